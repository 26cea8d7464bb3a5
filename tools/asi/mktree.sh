#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Assemble the kernel tree the ASI overlay is built in:
#   1. make sure the build tools and the Linux 6.12 source are there,
#   2. unpack (or copy) the source into $TREE, once,
#   3. apply patches/, re-applying them when patches/ changed,
#   4. lay this repository's files over the tree as symlinks, so that
#      Kbuild sees every edit and rebuilds only what it touches.
#
# Usage: mktree.sh REPO TREE   (env: KERNEL_TARBALL, KERNEL_SRC)

set -euo pipefail

REPO=$(cd "$1" && pwd)
TREE=$2
KERNEL_TARBALL=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
KERNEL_SRC=${KERNEL_SRC:-}

# Directories of this repository that sit at kernel paths.
OVERLAY_DIRS="arch include lib mm tools/testing"
# Debian packages, and the command each provides.  ccache is installed
# with them but not required: the builds use it when it is there
# (kunit-run.sh), and a machine without it builds as before.
PKGS="gcc make flex bison bc python3 patch xz-utils libelf-dev qemu-system-x86 lz4 git ccache"
CMDS="gcc make flex bison bc python3 patch xz qemu-system-x86_64 lz4 git"

say() { echo "mktree: $*"; }
die() { echo "mktree: error: $*" >&2; exit 1; }

need_install() {
	local c
	for c in $CMDS; do
		command -v "$c" >/dev/null || return 0
	done
	[ -f /usr/include/gelf.h ] || return 0
	[ -n "$KERNEL_SRC" ] || [ -f "$KERNEL_TARBALL" ] || return 0
	return 1
}

install_deps() {
	local pkgs=$PKGS
	if [ -z "$KERNEL_SRC" ] && [ "$KERNEL_TARBALL" = /usr/src/linux-source-6.12.tar.xz ]; then
		pkgs="$pkgs linux-source-6.12"
	fi
	if [ "$(id -u)" != 0 ]; then
		die "missing build tools or kernel source. As root, run:
    apt-get update && apt-get install -y $pkgs
or point KERNEL_TARBALL= at a 6.12.y tarball, or KERNEL_SRC= at a 6.12 tree."
	fi
	say "installing: $pkgs"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >/dev/null
}

# What no build here reads, left out of the tree: about half its size
# (the AMD GPU register headers alone are 450 MB), and so of the time it
# takes to write it.  Kconfig reads Documentation/Kconfig, arch/Kconfig,
# the two architectures built here and every architecture's crypto/Kconfig
# (from crypto/Kconfig): the other architectures keep their c* entries.
# A * matches within a name, not across a /; a pattern that matches a
# directory leaves out all below it.  make fails loudly if a file it needs
# is missing.
UNPACK_EXCLUDE=('*/drivers/gpu/drm/amd/include/asic_reg' '*/Documentation/[!K]*'
	'*/arch/[!Kux]*/[!c]*' '*/arch/xtensa/[!c]*')
# The C files of the largest driver classes, of sound/ and of net/: no
# configuration here builds one (none has a bus, a device or networking
# they would serve), so their code is about 400 MB and 15,000 files of
# writing for nothing.  Their Kconfig files, Makefiles and headers stay:
# Kconfig reads every Kconfig file, Kbuild walks some of these
# directories unconditionally, and a header may be included from
# anywhere.  A configuration that enables one of them stops at "No rule
# to make target ....c": ASI_FULL_TREE=1 unpacks everything.  Matched
# from the tree's top, * crossing /, so that only these directories are
# meant.
UNPACK_NO_C=(drivers/net drivers/gpu drivers/media drivers/scsi drivers/clk
	drivers/pinctrl drivers/usb drivers/infiniband drivers/iio
	drivers/staging drivers/video drivers/crypto sound net)
if [ "${ASI_FULL_TREE:-0}" = 1 ]; then
	UNPACK_EXCLUDE=()
	UNPACK_NO_C=()
fi

base_id() {
	if [ -n "$KERNEL_SRC" ]; then
		echo "src $(cd "$KERNEL_SRC" && pwd)"
	else
		echo "tarball $KERNEL_TARBALL $(stat -c '%s %Y' "$KERNEL_TARBALL")"
	fi
	echo "without ${UNPACK_EXCLUDE[*]+${UNPACK_EXCLUDE[*]}}"
	echo "without the C files of ${UNPACK_NO_C[*]+${UNPACK_NO_C[*]}}"
}

unpack() {
	local tmp="$TREE.new" p excl=(--no-wildcards-match-slash --exclude=.git)
	local xz=() top

	rm -rf "$tmp" "$TREE"
	mkdir -p "$tmp"
	for p in "${UNPACK_EXCLUDE[@]+${UNPACK_EXCLUDE[@]}}"; do
		excl+=("--exclude=$p")
	done
	case $KERNEL_TARBALL in *.xz) xz=(-I "xz -T0") ;; esac
	# The top directory the names start with, for the anchored patterns.
	if [ -n "$KERNEL_SRC" ]; then
		top=.
	else
		top=$(set +o pipefail
		      tar "${xz[@]}" -tf "$KERNEL_TARBALL" 2>/dev/null | head -n 1)
		top=${top%%/*}
		[ -n "$top" ] || die "cannot read $KERNEL_TARBALL"
	fi
	excl+=(--anchored --wildcards-match-slash)
	for p in "${UNPACK_NO_C[@]+${UNPACK_NO_C[@]}}"; do
		excl+=("--exclude=$top/$p/*.c")
	done
	if [ -n "$KERNEL_SRC" ]; then
		[ -f "$KERNEL_SRC/Makefile" ] || die "KERNEL_SRC=$KERNEL_SRC is not a kernel tree"
		say "copying $KERNEL_SRC"
		tar -C "$KERNEL_SRC" "${excl[@]}" -cf - . | tar -C "$tmp" -xf -
	else
		say "unpacking $KERNEL_TARBALL"
		# xz decompresses the blocks of a multi-block file (Debian's
		# is) on every core.
		tar -C "$tmp" --strip-components=1 "${xz[@]}" "${excl[@]}" \
			-xf "$KERNEL_TARBALL"
	fi
	grep -q '^PATCHLEVEL = 12$' "$tmp/Makefile" &&
		grep -q '^VERSION = 6$' "$tmp/Makefile" ||
		die "the kernel source is not Linux 6.12"
	[ -f "$tmp/.config" ] && die "the kernel source is configured (.config); give a clean tree"
	base_id > "$tmp/.asi-base"
	mv "$tmp" "$TREE"
}

patches_id() {
	cat "$REPO"/patches/*.patch 2>/dev/null | sha256sum | cut -d' ' -f1
}

# Re-applying a series rewrites every file it touches; a file whose content
# comes out the same gets its old timestamp back, so that a change to one
# patch (or to a patch's description) rebuilds only what it changes.
keep_mtimes() {
	local save="$TREE/.asi-mtimes" f

	if [ "$1" = save ]; then
		shift
		rm -rf "$save"
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$@" | sort -u |
		while read -r f; do
			[ -f "$TREE/$f" ] || continue
			mkdir -p "$save/$(dirname "$f")"
			cp -p "$TREE/$f" "$save/$f"
		done
		return 0
	fi
	[ -d "$save" ] || return 0
	(cd "$save" && find . -type f) | while read -r f; do
		if cmp -s "$save/$f" "$TREE/$f"; then
			touch -r "$save/$f" "$TREE/$f"
		fi
	done
	rm -rf "$save"
}

apply_patches() {
	local p q out applied="$TREE/.asi-applied"

	if [ -f "$TREE/.asi-patches" ] && [ "$(cat "$TREE/.asi-patches")" = "$(patches_id)" ]; then
		return 0
	fi
	if [ -d "$applied" ]; then
		say "patches/ changed: reverting the old series"
		keep_mtimes save "$applied"/*.patch "$REPO"/patches/*.patch
		for p in $(ls "$applied"/*.patch 2>/dev/null | sort -r); do
			if ! patch -d "$TREE" -p1 -R -F0 -s --no-backup-if-mismatch < "$p"; then
				say "cannot revert $(basename "$p"): starting from a fresh tree"
				unpack
				break
			fi
		done
		rm -rf "$applied"
	fi
	rm -f "$TREE/.asi-patches"
	mkdir -p "$applied.tmp"
	for p in "$REPO"/patches/*.patch; do
		[ -e "$p" ] || continue
		say "applying $(basename "$p")"
		# No fuzz: a hunk whose context moved is an error, named.  Tried
		# first, so that a failure leaves the tree as unpatched as it was.
		if ! out=$(patch -d "$TREE" -p1 -F0 -N --dry-run < "$p" 2>&1); then
			for q in $(ls "$applied.tmp"/*.patch 2>/dev/null | sort -r); do
				patch -d "$TREE" -p1 -R -F0 -s --no-backup-if-mismatch < "$q"
			done
			rm -rf "$applied.tmp"
			die "$(basename "$p") does not apply cleanly to this kernel:
$out"
		fi
		patch -d "$TREE" -p1 -F0 -N -s --no-backup-if-mismatch < "$p"
		cp "$p" "$applied.tmp/"
	done
	mv "$applied.tmp" "$applied"
	keep_mtimes restore
	patches_id > "$TREE/.asi-patches"
}

# The overlay's files, one per line, after a line naming the repository.
overlay_list() {
	local dir

	echo "# $REPO"
	for dir in $OVERLAY_DIRS; do
		[ -d "$REPO/$dir" ] || continue
		(cd "$REPO" && find "$dir" -type f ! -name '*~' ! -name '.*.swp')
	done
}

# Is every file of overlay_list's output @1 a link in $TREE?
all_linked() {
	local f

	while read -r f; do
		case $f in "#"*) continue ;; esac
		[ -L "$TREE/$f" ] || return 1
	done <<< "$1"
	return 0
}

lay_overlay() {
	local f link list="$TREE/.asi-links" now

	# Nothing added or removed since the last run, and every link there:
	# the links are right (each names its file in $REPO), and this is the
	# common case of an edit-build-test loop.
	now=$(overlay_list)
	if [ -f "$list" ] && [ "$now" = "$(cat "$list")" ] && all_linked "$now"; then
		return 0
	fi
	# Links whose file left the repository (or the overlay) go too: those
	# the last run made, or, in a tree from before the list, all of them.
	if [ -f "$list" ]; then
		grep -v '^#' "$list"
	else
		find "$TREE" -path "$TREE/.asi-applied" -prune -o -type l \
			-lname "$REPO/*" -print | sed "s|^$TREE/||"
	fi | while read -r link; do
		[ -L "$TREE/$link" ] || continue
		[ -e "$REPO/$link" ] && in_overlay "$link" || rm -f "$TREE/$link"
	done
	rm -f "$list"
	sed 1d <<< "$now" | while read -r f; do
		if [ -e "$TREE/$f" ] && [ ! -L "$TREE/$f" ]; then
			die "$f would replace a kernel file: change it through patches/"
		fi
		mkdir -p "$TREE/$(dirname "$f")"
		ln -sfn "$REPO/$f" "$TREE/$f"
	done
	echo "$now" > "$list"
}

# Is @1 (relative to the repository) under one of OVERLAY_DIRS?
in_overlay() {
	local dir

	for dir in $OVERLAY_DIRS; do
		case $1 in "$dir"/*) return 0 ;; esac
	done
	return 1
}

if need_install; then
	install_deps
fi
[ -n "$KERNEL_SRC" ] || [ -f "$KERNEL_TARBALL" ] || die "no kernel tarball at $KERNEL_TARBALL"

if [ ! -f "$TREE/.asi-base" ] || [ "$(cat "$TREE/.asi-base")" != "$(base_id)" ]; then
	unpack
fi
apply_patches
lay_overlay
