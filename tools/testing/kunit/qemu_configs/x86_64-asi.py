# SPDX-License-Identifier: GPL-2.0
# x86_64 for the ASI suites: `make x86` (KVM=1 adds -enable-kvm -cpu host).
# ASI is on by default; no asi=on here, as it would override the asi=off
# that `make check` passes with --kernel_args (those come first).
# QEMU loads vmlinux itself through its PVH entry point (qboot supports
# that): no bzImage to build and no decompression at every boot.  Bochs
# boots the bzImage of the same build (tools/asi/bochs-run.sh).
# Under QEMU's software emulation (TCG) the CPU has neither PCID nor INVPCID,
# so this boot exercises the no-PCID path of the backend.  Four CPUs, which
# TCG runs in threads of their own, so that remote TLB flushes reach CPUs
# that are inside a domain.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_HYPERVISOR_GUEST=y
CONFIG_PVH=y''',
			   qemu_arch='x86_64',
			   kernel_path='vmlinux',
			   kernel_command_line='console=ttyS0',
			   extra_qemu_params=['-bios', 'qboot.rom', '-cpu', 'max',
					      '-m', '8192', '-smp', '4'])
