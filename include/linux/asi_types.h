/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_ASI_TYPES_H
#define _LINUX_ASI_TYPES_H

#include <linux/bits.h>

/*
 * Kept apart from <linux/asi.h> so that <linux/mm_types.h> can size
 * mm_struct::asi[] without pulling in the whole ASI API.
 */

/**
 * enum asi_class_id - the classes of restricted address space
 * @ASI_CLASS_KVM: KVM guest execution.
 * @ASI_CLASS_USERSPACE: userspace processes.
 * @ASI_CLASS_TEST: the KUnit suites' own; only when they are built.
 * @ASI_MAX_NUM_CLASSES: number of classes; not a valid id.
 *
 * Each mm has at most one domain (struct asi) per class.
 */
enum asi_class_id {
	ASI_CLASS_KVM,
	ASI_CLASS_USERSPACE,
#if IS_ENABLED(CONFIG_ASI_KUNIT_TEST)
	ASI_CLASS_TEST,
#endif
	ASI_MAX_NUM_CLASSES,
};

/**
 * enum asi_exit_reason - why a CPU left a restricted address space
 * @ASI_EXIT_CALL: asi_exit() in the context that entered; it ends the
 *	critical section.
 * @ASI_EXIT_SWITCH: asi_enter() into another domain.
 * @ASI_EXIT_FAULT: a page fault inside the domain (asi_handle_fault()).
 * @ASI_EXIT_CONTEXT_SWITCH: the task inside was switched out.
 * @ASI_EXIT_MM_SWITCH: the CPU switched to another mm.
 * @ASI_EXIT_TLB_FLUSH: the kernel flushed this CPU's normal PCID.
 * @ASI_EXIT_INTERRUPT: asi_exit() from an interrupt or NMI handler, which
 *	needs the normal address space; the interrupted critical section
 *	is re-entered when the outermost interrupt returns.
 * @ASI_EXIT_RETURN_TO_USER: leaving for user mode unrestricted.
 * @ASI_NR_EXIT_REASONS: number of reasons; not a reason.
 */
enum asi_exit_reason {
	ASI_EXIT_CALL,
	ASI_EXIT_SWITCH,
	ASI_EXIT_FAULT,
	ASI_EXIT_CONTEXT_SWITCH,
	ASI_EXIT_MM_SWITCH,
	ASI_EXIT_TLB_FLUSH,
	ASI_EXIT_INTERRUPT,
	ASI_EXIT_RETURN_TO_USER,
	ASI_NR_EXIT_REASONS,
};

/*
 * What ASI flushes (struct asi_class_ops): the CPU state sensitive data
 * may be left in after running unrestricted (data), and the predictor
 * state the untrusted context may have trained (control).
 */
#define ASI_FLUSH_L1D		BIT(0)	/* L1 data cache */
#define ASI_FLUSH_BUFFERS	BIT(1)	/* CPU buffers (x86: VERW) */
#define ASI_FLUSH_IBPB		BIT(2)	/* indirect branch predictors */
#define ASI_FLUSH_RSB		BIT(3)	/* return stack buffer */
#define ASI_NR_FLUSHES		4
#define ASI_FLUSH_DATA		(ASI_FLUSH_L1D | ASI_FLUSH_BUFFERS)
#define ASI_FLUSH_CONTROL	(ASI_FLUSH_IBPB | ASI_FLUSH_RSB)

struct asi;

#endif /* _LINUX_ASI_TYPES_H */
