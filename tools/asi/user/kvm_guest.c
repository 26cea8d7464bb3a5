// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny KVM guest for the userspace runs: a real-mode loop that writes
 * a count down to an I/O port and halts.  Every OUT is a VM exit the VMM
 * (this program) checks, so the guest enters and leaves the KVM class's
 * domain a thousand times, and its values prove the vCPU state survived
 * each round trip.  A KTAP case of the "kvm" subtest (init): exit status
 * 0 passed, 4 skipped (no /dev/kvm), 1 failed.  It also says what a round
 * trip took, for make bench (tools/asi/bench.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define GUEST_MEM	0x10000
#define CODE_AT		0x1000
#define PORT		0x10
#define COUNT		1000

/*
 *	mov $COUNT, %cx
 * 1:	mov %cl, %al
 *	out %al, $PORT
 *	loop 1b
 *	hlt
 */
static const unsigned char code[] = {
	0xb9, COUNT & 0xff, COUNT >> 8,
	0x88, 0xc8,
	0xe6, PORT,
	0xe2, 0xfa,
	0xf4,
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int fail(const char *what)
{
	printf("# kvm_guest: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	int kvm, vm, vcpu, size, outs = 0;
	unsigned long long t;
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	unsigned char *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("# kvm_guest: SKIP no /dev/kvm\n");
		return 4;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy(mem + CODE_AT, code, sizeof(code));
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM,
		.userspace_addr = (unsigned long)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(*run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap of kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		return fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_AT;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_REGS");

	t = now_ns();
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0))
			return fail("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_IO ||
		    run->io.direction != KVM_EXIT_IO_OUT ||
		    run->io.port != PORT || run->io.size != 1) {
			printf("# kvm_guest: unexpected exit %u\n",
			       run->exit_reason);
			return 1;
		}
		/* The count down, its low byte: COUNT - outs. */
		if (*((unsigned char *)run + run->io.data_offset) !=
		    (unsigned char)(COUNT - outs)) {
			printf("# kvm_guest: OUT %d wrote %#x\n", outs,
			       *((unsigned char *)run + run->io.data_offset));
			return 1;
		}
		outs++;
	}
	if (outs != COUNT) {
		printf("# kvm_guest: %d OUTs before HLT, not %d\n", outs, COUNT);
		return 1;
	}
	t = now_ns() - t;
	printf("# kvm_guest: %d I/O exits, then HLT\n", outs);
	printf("# bench: kvm_io_exit %llu ns\n", t / (outs + 1));
	return 0;
}
