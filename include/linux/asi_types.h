/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_ASI_TYPES_H
#define _LINUX_ASI_TYPES_H

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
 * @ASI_EXIT_CALL: asi_exit().
 * @ASI_EXIT_SWITCH: asi_enter() into another domain.
 * @ASI_EXIT_FAULT: a page fault inside the domain (asi_handle_fault()).
 * @ASI_EXIT_CONTEXT_SWITCH: the task inside was switched out.
 * @ASI_EXIT_MM_SWITCH: the CPU switched to another mm.
 * @ASI_EXIT_TLB_FLUSH: the kernel flushed this CPU's normal PCID.
 */
enum asi_exit_reason {
	ASI_EXIT_CALL,
	ASI_EXIT_SWITCH,
	ASI_EXIT_FAULT,
	ASI_EXIT_CONTEXT_SWITCH,
	ASI_EXIT_MM_SWITCH,
	ASI_EXIT_TLB_FLUSH,
};

struct asi;

#endif /* _LINUX_ASI_TYPES_H */
