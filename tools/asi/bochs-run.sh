#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the x86_64 KUnit kernel of `make x86` under the Bochs emulator, on a
# CPU model that has PCID, and print the results as kunit.py prints them.
#
# Why Bochs: QEMU's software emulation (TCG) has neither PCID nor INVPCID,
# so `make x86` only runs the backend's no-PCID path, and KVM is not on
# every machine.  Bochs emulates PCID (corei7_sandy_bridge_2600k) and PCID
# with INVPCID (corei7_haswell_4770) and faults the way the hardware does
# on an illegal CR3 or CR4 write (reserved bits, PCIDE turned on with a
# PCID in CR3) or INVPCID (a bad type, reserved descriptor bits, a
# non-canonical address).  So a run here proves that every CR3 value and
# INVPCID the kernel issues is legal and that the PCID code paths run.  It
# does not prove that the flushes are sufficient: Bochs does not tag its
# TLB by PCID and drops its non-global translations on every CR3 write, so
# a missing invalidation goes unseen here.  The UML TLB model (`make
# kunit`) is what proves sufficiency.
#
# Bochs 2.7 cannot load a Linux kernel by itself: the bzImage is booted by
# SYSLINUX from a small FAT disk image.  The kernel command line is the
# one kunit.py passes to QEMU for x86_64 (tools/testing/kunit/kunit_kernel.py
# and qemu_configs/x86_64-asi.py), with the serial console at 115200 baud
# rather than Bochs's slow default.  The guest's serial output goes to a
# file; Bochs is stopped as soon as the KTAP output is complete (or the
# kernel panics, reboots or the timeout passes), and the file is handed to
# `kunit.py parse`, whose exit status is the script's.  A log with no
# results is a failure.
#
# Usage: bochs-run.sh TREE BUILD_DIR CPU_MODEL TIMEOUT_SECONDS [kernel args...]
#   TREE       the kernel tree holding tools/testing/kunit/kunit.py
#   BUILD_DIR  the x86_64 build (bzImage at arch/x86/boot/bzImage); the
#              disk image, bochsrc and logs go to BUILD_DIR/bochs-CPU_MODEL/
#   CPU_MODEL  a Bochs cpu model: corei7_haswell_4770 (PCID, INVPCID) or
#              corei7_sandy_bridge_2600k (PCID, no INVPCID)
#   kernel args are appended to the command line (asi_kunit.expect=on ...)
# Environment: BOCHS_CPUS=n (default 1), BOCHS_IPS=n (Bochs's instructions
# per emulated second, default 20000000).  BOCHS_INITRD=FILE boots a
# userspace run instead (tools/asi/user/): the initramfs goes on the disk,
# the command line is the caller's arguments and the serial console only
# (the caller passes kunit.enable=0), with 1 GiB, in
# BUILD_DIR/bochs-CPU_MODEL-user/.
#
# As root it installs the Debian packages it needs with apt-get, like
# mktree.sh; otherwise it prints the apt-get line.  Bochs runs inside
# `unshare -n`: its VNC display (the only headless one) listens nowhere.

set -euo pipefail

PKGS="bochs bochsbios vgabios syslinux mtools dosfstools"
BIOS=/usr/share/bochs/BIOS-bochs-latest
VGABIOS=/usr/share/vgabios/vgabios.bin
export PATH="$PATH:/usr/sbin:/sbin"
export MTOOLS_SKIP_CHECK=1

say() { echo "bochs-run: $*"; }
die() { echo "bochs-run: error: $*" >&2; exit 2; }

if [ $# -lt 4 ]; then
	echo "usage: $0 TREE BUILD_DIR CPU_MODEL TIMEOUT_SECONDS [kernel args...]" >&2
	exit 2
fi
TREE=$1 BUILD=$2 MODEL=$3 TIMEOUT=$4
shift 4
CPUS=${BOCHS_CPUS:-1}
# Bochs's clock: this many instructions make a guest second.  Too few and
# the guest spends its time in timer interrupts (at 4M the suites do not
# finish in 300 s); too many and every udelay() costs more instructions.
# The whole run takes 6.7 s at 20M-30M on this 2-core machine, 8.2 s at
# 10M or 50M, 14 s at 200M.
IPS=${BOCHS_IPS:-20000000}

KUNIT_PY=$TREE/tools/testing/kunit/kunit.py
BZIMAGE=$BUILD/arch/x86/boot/bzImage

[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "TIMEOUT_SECONDS must be a positive number, not '$TIMEOUT'"
[[ $MODEL =~ ^[a-z0-9_]+$ ]] || die "bad CPU_MODEL '$MODEL'"
[[ $CPUS =~ ^[1-9][0-9]*$ ]] || die "bad BOCHS_CPUS '$CPUS'"
[[ $IPS =~ ^[1-9][0-9]*$ ]] || die "bad BOCHS_IPS '$IPS'"
[ -f "$KUNIT_PY" ] || die "no kunit.py at $KUNIT_PY: is $TREE a kernel tree?"
[ -f "$BZIMAGE" ] || die "no kernel at $BZIMAGE: build it first (make x86 EMU=bochs)"

need_install() {
	local c
	for c in bochs-bin syslinux mcopy mkfs.fat unshare; do
		command -v "$c" >/dev/null || return 0
	done
	[ -f "$BIOS" ] && [ -f "$VGABIOS" ] || return 0
	return 1
}

if need_install; then
	if [ "$(id -u)" != 0 ]; then
		die "Bochs or SYSLINUX is missing. As root, run:
    apt-get update && apt-get install -y $PKGS"
	fi
	say "installing: $PKGS"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS >/dev/null
	need_install && die "still missing after apt-get install $PKGS"
fi

INITRD=${BOCHS_INITRD:-}
[ -z "$INITRD" ] || [ -f "$INITRD" ] || die "no initramfs at $INITRD"
OUT=$BUILD/bochs-$MODEL${INITRD:+-user}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DISK=$OUT/disk.img
SERIAL=$OUT/serial.log
BOCHSLOG=$OUT/bochs.log
RCFILE=$OUT/bochs.rc

# The command line kunit.py gives QEMU: its own arguments (the caller's,
# then kunit.enable=1), then the qemu config's kernel_command_line and
# kunit_shutdown=reboot.
CMDLINE="$* kunit.enable=1 console=ttyS0,115200 kunit_shutdown=reboot"
[ -z "$INITRD" ] || CMDLINE="$* console=ttyS0,115200"
CMDLINE=${CMDLINE# }

# A FAT disk image (no partition table) with SYSLINUX in its boot sector,
# in whole cylinders of 16 heads x 63 sectors so that Bochs takes its
# geometry as given.
size=$(stat -L -c %s "$BZIMAGE")
[ -z "$INITRD" ] || size=$((size + $(stat -L -c %s "$INITRD")))
kib=$(( (size + 1023) / 1024 + 2048 ))
cyls=$(( (kib + 503) / 504 ))
# Bochs leaves DISK.lock behind when it is killed, and refuses a locked image.
rm -f "$DISK" "$DISK.lock"
mkfs.fat -C -g 16/63 --mbr=n -n ASIKUNIT "$DISK" $((cyls * 504)) >/dev/null ||
	die "mkfs.fat failed on $DISK"
cat > "$OUT/syslinux.cfg" <<EOF
DEFAULT kunit
PROMPT 0
TIMEOUT 0
LABEL kunit
  LINUX /bzimage
  APPEND $CMDLINE
EOF
[ -z "$INITRD" ] || echo "  INITRD /initrd" >> "$OUT/syslinux.cfg"
mcopy -i "$DISK" "$BZIMAGE" ::/bzimage &&
	mcopy -i "$DISK" "$OUT/syslinux.cfg" ::/syslinux.cfg ||
	die "cannot copy the kernel into $DISK"
if [ -n "$INITRD" ]; then
	mcopy -i "$DISK" "$INITRD" ::/initrd ||
		die "cannot copy the initramfs into $DISK"
fi
syslinux --install "$DISK" || die "syslinux --install $DISK failed"

# 3 GiB, so that the direct map has a 1G leaf for the page-attribute
# cases; Bochs allocates at most 2 GiB of it on the host.  The boot then
# takes about twice as long as with 1 GiB (32 s for the suites, 4 CPUs).
# A userspace run has no such case: 1 GiB.
MEM="guest=3072, host=2048"
[ -z "$INITRD" ] || MEM="guest=1024, host=1024"
cat > "$OUT/bochsrc" <<EOF
# Written by tools/asi/bochs-run.sh
config_interface: textconfig
display_library: rfb, options="timeout=0"
memory: $MEM
romimage: file=$BIOS
vgaromimage: file=$VGABIOS
cpu: model=$MODEL, count=$CPUS, ips=$IPS, reset_on_triple_fault=1
pci: enabled=1, chipset=i440fx
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=disk, path="$DISK", mode=flat, cylinders=$cyls, heads=16, spt=63
boot: disk
com1: enabled=1, mode=file, dev="$SERIAL"
clock: sync=none, time0=utc
speaker: enabled=0
# The ALSA driver aborts (a fortified buffer overflow) with no sound card.
sound: driver=dummy
mouse: enabled=0
log: $BOCHSLOG
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
EOF
# The Debian build has the debugger: tell it to continue at once.
echo c > "$RCFILE"

# The KTAP output is complete when the top-level test plan "1..N" has had
# its Nth result; stop too when the kernel gave up or went down.
finished() {
	awk '
	{ sub(/\r$/, ""); sub(/^\[[ 0-9.]+\] /, "") }
	plan == "" && /^1\.\.[0-9]+$/ { plan = substr($0, 4) }
	plan != "" && $0 ~ ("^(not )?ok " plan "( |$)") { why = "done"; exit }
	/Kernel panic - not syncing|reboot: Restarting system|reboot: System halted|reboot: Power down/ { why = $0; exit }
	END { if (why == "") exit 1; print why }
	' "$SERIAL" 2>/dev/null
}

pid=
stop_bochs() {
	local i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || { pid=; return 0; }
	for i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
	rm -f "$DISK.lock"
}
trap stop_bochs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

if [ "$(id -u)" = 0 ]; then
	netns=(unshare -n)
else
	netns=(unshare -r -n)
fi

rm -f "$SERIAL" "$BOCHSLOG"
: > "$SERIAL"
say "booting $BZIMAGE on Bochs $MODEL (CPUs: $CPUS, timeout: ${TIMEOUT} s)"
say "kernel command line: $CMDLINE"
start=$SECONDS
"${netns[@]}" bochs-bin -q -f "$OUT/bochsrc" -rc "$RCFILE" \
	</dev/null >"$OUT/bochs.out" 2>&1 &
pid=$!

why= status=
while :; do
	if why=$(finished); then
		status="Bochs stopped after $((SECONDS - start)) s: $why"
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null && rc=0 || rc=$?
		pid=
		why=$(finished) || why=
		status="Bochs exited (status $rc) after $((SECONDS - start)) s${why:+: $why}"
		rm -f "$DISK.lock"
		if [ -z "$why" ]; then
			grep -h '>>PANIC<<\|buffer overflow' "$BOCHSLOG" "$OUT/bochs.out" >&2 || true
			status="$status; see $OUT/bochs.out and $BOCHSLOG"
		fi
		break
	fi
	if [ $((SECONDS - start)) -ge "$TIMEOUT" ]; then
		status="timed out after $TIMEOUT s"
		break
	fi
	sleep 0.5
done
stop_bochs
say "$status"

rc=0
python3 "$KUNIT_PY" parse "$SERIAL" || rc=$?
if ! grep -Eq 'K?TAP version [0-9]' "$SERIAL"; then
	echo "bochs-run: error: no KUnit results in the serial log $SERIAL ($status; Bochs log: $BOCHSLOG)" >&2
	rc=1
elif [ "$why" != done ]; then
	echo "bochs-run: error: the tests did not finish ($status); serial log: $SERIAL" >&2
	rc=1
fi
exit "$rc"
