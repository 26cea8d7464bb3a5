// SPDX-License-Identifier: GPL-2.0
/*
 * UML's user-mode boundary for ASI.  UML runs a process's user code in a
 * host process it drives with ptrace (userspace(), in os-Linux/skas/): the
 * return to user mode is the ptrace call that resumes it, the entry from
 * user mode the wait that sees it stop.  x86 has these steps in its
 * generic entry code (exit_to_user_mode_prepare(), enter_from_user_mode());
 * UML has no generic entry, so its loop calls the same steps here.
 *
 * With ASI on, the modelled CPU then runs the untrusted context, so the
 * TLB model checks each real return to user mode as it checks the KUnit
 * cases' (the flushes of the userspace class's policy, the domain
 * loaded).  Built with ASI off too: the calls are then no-ops.
 */

#include <linux/asi.h>
#include <linux/irqflags.h>
#include <asm/asi.h>
#include <kern_util.h>

/* From userspace(): the user process is resumed next. */
void um_asi_user_return(void)
{
	unsigned long flags;

	local_irq_save(flags);
	if (asi_user_return())
		asi_um_tlb_run_untrusted();
	local_irq_restore(flags);
}

/* From userspace(): the user process stopped (a syscall, a signal). */
void um_asi_user_entered(void)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_user_entered();
	local_irq_restore(flags);
}
