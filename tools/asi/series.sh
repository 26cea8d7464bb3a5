#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project as a patch series for Linux, and the proof that the series
# is the tree the gate builds and tests.
#
#   series.sh export REPO TREE OUT     write the series to OUT (make patches)
#   series.sh verify REPO TREE OUT     git am OUT on a pristine import and
#                                      compare the result with TREE, then
#                                      checkpatch --strict each patch
#   series.sh refresh REPO TREE        rewrite patches/ as format-patch
#                                      output of the series (3 lines of
#                                      context, git headers)
#
# patches/series lists the series: each line a patch of patches/ (its
# subject, its body and its hunks into existing files) and the files of
# this repository that patch adds.  Every file laid over the kernel tree
# must be in exactly one line.  patches/cover-letter is the cover letter.
#
# The commits are made in a scratch repository holding the pristine
# source ($BUILD/series-base, imported once per base: about 30 s).  The
# author and Signed-off-by are the user's git identity (git var
# GIT_AUTHOR_IDENT: user.name and user.email, or GIT_AUTHOR_NAME and
# GIT_AUTHOR_EMAIL); with ASI_SERIES_THROWAWAY=1 (make check, which must
# also run where no identity is configured) a throwaway one is used when
# there is none, for the scratch repository only.

set -euo pipefail

die() { echo "series: error: $*" >&2; exit 1; }
say() { echo "series: $*"; }

[ $# -ge 3 ] || die "usage: $0 export|verify|refresh REPO TREE [OUT]"
MODE=$1 REPO=$(cd "$2" && pwd) TREE=$(cd "$3" && pwd)
OUT=${4:+$(realpath -m "$4")}
BUILD=$(dirname "$TREE")
WORK=$BUILD/series-base
KERNEL_TARBALL=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
KERNEL_SRC=${KERNEL_SRC:-}
# The overlay as tools/asi/mktree.sh lays it over the tree.
OVERLAY_DIRS="arch include lib mm tools/testing"

command -v git >/dev/null || die "git is needed (apt-get install git)"
[ -f "$TREE/.asi-base" ] || die "no assembled tree at $TREE: run make tree"

identity() {
	local ident

	if ident=$(cd "$REPO" && git var GIT_AUTHOR_IDENT 2>/dev/null); then
		AUTHOR=${ident% * *}
	elif [ "${ASI_SERIES_THROWAWAY:-0}" = 1 ]; then
		AUTHOR="ASI gate <asi-gate@localhost>"
	else
		die "no git identity to sign the patches with: set user.name and user.email (git config), or GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL"
	fi
	export GIT_AUTHOR_NAME=${AUTHOR% <*} GIT_AUTHOR_EMAIL=${AUTHOR##*<}
	GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL%>}
	export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
	export GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
}

# The pristine source in a git repository, tagged asi-base.
base_repo() {
	local want have=

	want=$(cat "$TREE/.asi-base")
	[ -f "$WORK/.git/asi-base" ] && have=$(cat "$WORK/.git/asi-base")
	if [ "$want" != "$have" ]; then
		say "importing the pristine source into $WORK"
		rm -rf "$WORK"
		mkdir -p "$WORK"
		if [ -n "$KERNEL_SRC" ]; then
			tar -C "$KERNEL_SRC" --exclude=.git -cf - . | tar -C "$WORK" -xf -
		else
			tar -C "$WORK" --strip-components=1 -xf "$KERNEL_TARBALL"
		fi
		(cd "$WORK" && git init -q && git add -A -f &&
		 GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@localhost \
		 GIT_COMMITTER_NAME=base GIT_COMMITTER_EMAIL=base@localhost \
		 git commit -q -m "Linux $(kernel_version)" && git tag asi-base)
		echo "$want" > "$WORK/.git/asi-base"
	fi
	(cd "$WORK" && git checkout -q -f --detach asi-base && git clean -q -fdx)
}

kernel_version() {
	make -s -C "$TREE" kernelversion 2>/dev/null ||
		sed -n 's/^SUBLEVEL = //p' "$TREE/Makefile"
}

# The base, as the cover letter names it.
base_name() {
	local deb

	if [ -n "$KERNEL_SRC" ]; then
		echo "Linux $(kernel_version) (the tree at $KERNEL_SRC)"
	elif deb=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) &&
	     [ "$KERNEL_TARBALL" = /usr/src/linux-source-6.12.tar.xz ]; then
		echo "Linux $(kernel_version) as packaged by Debian (linux-source-6.12 $deb)"
	else
		echo "Linux $(kernel_version) ($(basename "$KERNEL_TARBALL"))"
	fi
}

series_lines() {
	grep -v '^[[:space:]]*\(#\|$\)' "$REPO/patches/series"
}

# Every overlay file, as mktree.sh lays it.
overlay_files() {
	(cd "$REPO" && git ls-files -- $OVERLAY_DIRS | sort)
}

# The message of a patch of patches/: subject, body; its sign-offs dropped.
message() {
	awk '
		/^Subject:/ { sub(/^Subject: (\[[^]]*\] )?/, ""); subj = $0; next }
		subj != "" && !body && /^$/ { body = 1; print subj; print ""; next }
		body && /^---$/ { exit }
		body && !/^Signed-off-by:/ { print }
	' "$1"
}

# One commit per line of patches/series, in the scratch repository.
commit_series() {
	local line file paths p n=0

	base_repo
	while read -r line; do
		file=${line%% *}
		paths=${line#"$file"}
		[ -f "$REPO/patches/$file" ] || die "patches/series: no patches/$file"
		for p in $paths; do
			[ -e "$REPO/$p" ] || die "patches/series: $p is not in the repository"
			(cd "$REPO" && git ls-files -- "$p") | while read -r f; do
				mkdir -p "$WORK/$(dirname "$f")"
				cp "$REPO/$f" "$WORK/$f"
			done
		done
		git -C "$WORK" apply -p1 "$REPO/patches/$file" ||
			die "patches/$file does not apply to $(base_name)"
		{ message "$REPO/patches/$file"; echo; echo "Signed-off-by: $GIT_AUTHOR_NAME <$GIT_AUTHOR_EMAIL>"; } > "$WORK/.git/asi-msg"
		git -C "$WORK" add -A -f
		git -C "$WORK" commit -q -F "$WORK/.git/asi-msg" ||
			die "patches/$file: nothing to commit"
		n=$((n + 1))
	done < <(series_lines)
	[ "$n" -gt 0 ] || die "patches/series lists no patch"
	# Every overlay file in the series, once.
	comm -3 <(overlay_files) \
		<(git -C "$WORK" diff --name-only --diff-filter=A asi-base HEAD |
		  sort) | sed 's/^/series: not in exactly one patch of patches\/series: /' |
		grep . >&2 && die "patches/series does not add the overlay as it is" || true
}

cover_letter() {
	local out=$1 figures

	figures=$(sed -n '/^| what | time |$/,/^$/p' "$REPO/README.md" | sed '/^$/d')
	if [ -d "$BUILD/results" ]; then
		figures="$figures

The runs of the last make check on this tree:
$(python3 "$REPO/tools/asi/tally.py" "$BUILD/results" 2>/dev/null |
  grep -v 'series\|skipped (not' || true)"
	fi
	python3 - "$out" "$REPO/patches/cover-letter" "$(base_name)" "$figures" <<'PY'
import sys
out, tmpl, base, figures = sys.argv[1:5]
lines = open(tmpl).read().replace('@BASE@', base).replace('@FIGURES@', figures)
subject, body = lines.split('\n', 1)
text = open(out).read()
text = text.replace('*** SUBJECT HERE ***', subject.strip())
text = text.replace('*** BLURB HERE ***', body.strip('\n'))
open(out, 'w').write(text)
PY
}

export_series() {
	[ -n "$OUT" ] || die "export: no output directory"
	identity
	commit_series
	rm -rf "$OUT"
	git -C "$WORK" format-patch -q --cover-letter --base=asi-base \
		-o "$OUT" asi-base..HEAD
	cover_letter "$OUT"/0000-cover-letter.patch
	say "$(ls "$OUT"/*.patch | wc -l) files in $OUT, on $(base_name), signed off by $GIT_AUTHOR_NAME <$GIT_AUTHOR_EMAIL>"
}

verify_series() {
	local f patches expected changed bad=0

	[ -d "$OUT" ] || die "verify: no series at $OUT"
	identity
	base_repo
	patches=$(ls "$OUT"/*.patch | grep -v '/0000-cover-letter.patch$')
	git -C "$WORK" am -q $patches ||
		{ git -C "$WORK" am --abort; die "git am of the series failed"; }
	changed=$(git -C "$WORK" diff --name-only asi-base HEAD | sort)
	expected=$( { overlay_files; sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$REPO"/patches/*.patch; } | sort -u)
	if [ "$changed" != "$expected" ]; then
		echo "series: the series changes other files than the gate's tree:" >&2
		diff <(echo "$expected") <(echo "$changed") >&2 || true
		bad=1
	fi
	for f in $changed; do
		if ! cmp -s "$WORK/$f" "$TREE/$f"; then
			echo "series: $f differs from the tested tree" >&2
			bad=1
		fi
	done
	[ "$bad" = 0 ] || die "git am of the series does not give the tested tree"
	say "git am of $(echo "$patches" | wc -l) patches on $(base_name) gives the tested tree ($(echo "$changed" | wc -l) files)"
	(cd "$TREE" && ./scripts/checkpatch.pl --strict --quiet --show-types \
		$patches) || die "checkpatch --strict complains about the series"
	say "checkpatch --strict: every patch clean"
}

# patches/ rewritten from the series: each patch's hunks into existing files.
refresh_patches() {
	local line file commit n=0 new

	identity
	commit_series
	while read -r line; do
		file=${line%% *}
		n=$((n + 1))
		commit=$(git -C "$WORK" rev-list --reverse asi-base..HEAD | sed -n "${n}p")
		new=$(git -C "$WORK" diff --name-only --diff-filter=M "$commit~" "$commit")
		[ -n "$new" ] || die "patches/$file changes no existing file"
		git -C "$WORK" format-patch -q --stdout --no-signature -1 "$commit" -- $new \
			> "$REPO/patches/$file"
	done < <(series_lines)
	say "rewrote $n patches in $REPO/patches"
}

case $MODE in
export) export_series ;;
verify) verify_series ;;
refresh) refresh_patches ;;
*) die "unknown mode $MODE" ;;
esac
