/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_ASI_H
#define _LINUX_ASI_H

/*
 * Address Space Isolation (ASI): run kernel code in a restricted address
 * space that maps only non-sensitive memory.
 *
 * Lifetime rules (see mm/asi.c for the full story):
 *  - A domain (struct asi) belongs to one mm and one class.  Once
 *    asi_init() has created it, it lives until the mm itself is freed
 *    (__mmdrop()).  There is no asi_destroy().
 *  - asi_init() may only be called with current->mm == mm.
 *  - A CPU running inside a domain runs a task that holds the domain's mm,
 *    so the domain cannot be freed under it.
 *
 * With CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION=n every call below is a
 * no-op and asi_init() hands back a NULL domain, as it does when ASI is
 * disabled at boot (asi=off, mitigations=off).
 */

#include <linux/asi_types.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/jump_label.h>
#include <linux/percpu.h>
#include <linux/types.h>

struct mm_struct;
struct task_struct;

/**
 * struct asi_class_ops - what a class plugs into the enter/exit path
 * @name: short name, for messages and statistics.
 * @post_enter: called after this CPU has switched into a domain of the
 *	class.  Optional.
 * @pre_exit: called before this CPU leaves a domain of the class, once
 *	for each post_enter call.  Optional.
 * @flush_data: of ASI_FLUSH_DATA, what to flush before the class's
 *	untrusted context runs (asi_before_untrusted()) when the CPU ran
 *	unrestricted since the last such flush.
 * @flush_control: of ASI_FLUSH_CONTROL, what to flush before unrestricted
 *	kernel code runs after the class's untrusted context ran.
 * @map_user: the domains of the class map their mm's user memory as the
 *	normal address space does (the userspace class: the kernel copies
 *	to and from user memory inside them); otherwise they map none.
 *
 * The hooks run with interrupts disabled, from asi_enter() and asi_exit()
 * and from every context that enters or leaves on its own: the fault
 * handler (any context the fault came from, NMI included), the context
 * switch (the runqueue lock held), the mm switch, an interrupt's or NMI's
 * return (the critical section's re-entry), asi_before_untrusted().  So a
 * hook must not sleep, take locks, touch memory a domain of its class does
 * not map (a fault there leaves ASI, but the hook does not run again) or
 * call back into ASI.
 */
struct asi_class_ops {
	const char *name;
	void (*post_enter)(struct asi *asi);
	void (*pre_exit)(struct asi *asi);
	unsigned int flush_data;
	unsigned int flush_control;
	bool map_user;
};

/**
 * struct asi_class_stats - counters of one class, summed over all CPUs
 * @domains: domains of the class that are alive (created, mm not freed).
 * @enters: switches into a domain of the class.
 * @exits: switches out of a domain of the class, fault exits included.
 * @fault_exits: exits forced by a page fault inside a domain of the class.
 * @flushes: single-address invalidations issued into the class's PCIDs.
 * @flushes_deferred: invalidations turned into "flush this PCID on the
 *	next entry" because the CPU has no INVPCID.
 * @reentries: entries that took a CPU back into the domain of its
 *	critical section after an exit inside it (in an interrupt, or a
 *	fault); also counted in @enters.
 * @relaxes: critical sections in a domain of the class ended by
 *	asi_relax(), the CPU staying inside.
 * @exits_by: @exits by reason (enum asi_exit_reason).
 * @cpu_flushes: flushes of each kind (ASI_FLUSH_*, by bit number) the
 *	class's policy asked for.
 */
struct asi_class_stats {
	unsigned long domains;
	unsigned long enters;
	unsigned long exits;
	unsigned long fault_exits;
	unsigned long flushes;
	unsigned long flushes_deferred;
	unsigned long reentries;
	unsigned long relaxes;
	unsigned long exits_by[ASI_NR_EXIT_REASONS];
	unsigned long cpu_flushes[ASI_NR_FLUSHES];
};

/*
 * Sensitive memory is made sensitive in blocks of this order (a 2M leaf
 * of the direct map) that smaller allocations share: see
 * asi_alloc_sensitive_pages().
 */
#define ASI_BLOCK_ORDER		(PMD_SHIFT - PAGE_SHIFT)

#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION

DECLARE_STATIC_KEY_FALSE(asi_enabled_key);
DECLARE_PER_CPU(struct asi *, asi_cpu_curr);
DECLARE_PER_CPU(struct asi *, asi_cpu_target);

/**
 * asi_enabled() - is ASI enabled on this boot?
 *
 * Return: false when booted with asi=off or mitigations=off.
 */
static __always_inline bool asi_enabled(void)
{
	return static_branch_likely(&asi_enabled_key);
}

/**
 * asi_is_restricted() - is this CPU in a restricted address space now?
 *
 * Inherently racy when preemptible: the answer is about the CPU the caller
 * was on.  It only compares a per-CPU pointer with NULL and never
 * dereferences the domain, so unlike asi_get_current() it is safe, and
 * silent, in preemptible context.
 *
 * Return: true if a domain is loaded on this CPU.
 */
static __always_inline bool asi_is_restricted(void)
{
	return asi_enabled() && this_cpu_read(asi_cpu_curr);
}

int asi_register_class(enum asi_class_id class_id,
		       const struct asi_class_ops *ops);
int asi_unregister_class(enum asi_class_id class_id);
int asi_init(struct mm_struct *mm, enum asi_class_id class_id,
	     struct asi **out_asi);
void asi_enter(struct asi *asi);
void asi_enter_irqoff(struct asi *asi);
void asi_exit_irqoff(enum asi_exit_reason reason);
void asi_relax(void);
void __asi_exit(enum asi_exit_reason reason);
bool asi_before_untrusted(void);
void asi_after_untrusted(void);
void asi_intr_enter(void);
void asi_intr_exit(void);
struct asi *asi_get_current(void);
void asi_init_mm_state(struct mm_struct *mm);
void asi_destroy_mm_state(struct mm_struct *mm);
void asi_tlb_flush_one_user(struct mm_struct *mm, unsigned long addr);
void asi_slot_mark_stale(unsigned int slot);
void asi_kernel_range_changed(unsigned long start, unsigned long end);
bool asi_handle_fault(unsigned long addr, unsigned long ip,
		      unsigned long error_code);
unsigned long asi_current_cr3(void);
bool asi_flush_kernel_addr(unsigned long addr);
int asi_get_class_stats(enum asi_class_id class_id, struct asi_class_stats *stats);
struct page *asi_alloc_sensitive_pages(gfp_t gfp, unsigned int order);
void asi_free_sensitive_pages(struct page *page, unsigned int order);

/* The pool of user memory (mm/asi.c), and the page allocator's side. */
DECLARE_STATIC_KEY_FALSE(asi_pool_key);
bool asi_pool_set_taking(bool on);
struct page *__asi_pool_alloc(gfp_t gfp, unsigned int order);
bool __asi_pool_free(struct page *page, unsigned int order);
bool __asi_pool_holds(struct page *page);
void free_prepared_pages(struct page *page, unsigned int order);

/**
 * asi_pool_alloc() - free pages of the pool, for an allocation of its
 * @gfp: the allocation's flags.
 * @order: log2 of the number of pages.
 *
 * The page allocator's first step, before its free lists.
 *
 * Return: free pages of the pool, which the page allocator prepares as it
 * prepares its own, or NULL to go on with its free lists.
 */
static inline struct page *asi_pool_alloc(gfp_t gfp, unsigned int order)
{
	if (static_branch_unlikely(&asi_pool_key))
		return __asi_pool_alloc(gfp, order);
	return NULL;
}

/**
 * asi_pool_free() - keep pages prepared as free, if they are the pool's
 * @page: the first page.
 * @order: log2 of the number of pages.
 *
 * Return: true if the pool took them: the page allocator must not.
 */
static inline bool asi_pool_free(struct page *page, unsigned int order)
{
	if (static_branch_unlikely(&asi_pool_key))
		return __asi_pool_free(page, order);
	return false;
}

/**
 * asi_pool_holds() - is @page in the pool, handed out or free?
 * @page: any page.
 *
 * Return: true if it is.
 */
static inline bool asi_pool_holds(struct page *page)
{
	return static_branch_unlikely(&asi_pool_key) && __asi_pool_holds(page);
}

/**
 * asi_exit_because() - leave the restricted address space, for @reason
 * @reason: why: what the asi_exit tracepoint reports.
 *
 * Cheap outside ASI, so that the context switch, mm switch and TLB flush
 * paths can call it unconditionally: it only has work to do when the CPU
 * is restricted, or in a critical section (which @reason may end).  Safe
 * with interrupts disabled.
 */
static __always_inline void asi_exit_because(enum asi_exit_reason reason)
{
	if (asi_enabled() && (this_cpu_read(asi_cpu_curr) ||
			      this_cpu_read(asi_cpu_target)))
		__asi_exit(reason);
}

/**
 * asi_exit() - leave the restricted address space, if this CPU is in one
 *
 * As asi_exit_because(ASI_EXIT_CALL).
 */
static __always_inline void asi_exit(void)
{
	asi_exit_because(ASI_EXIT_CALL);
}

/* The clients (mm/asi_clients.c): asi_userspace=on, asi_kvm=on. */
DECLARE_STATIC_KEY_FALSE(asi_userspace_key);
DECLARE_STATIC_KEY_FALSE(asi_kvm_key);
void asi_userspace_new_mm(struct task_struct *tsk);
void asi_userspace_resume(void);
bool asi_userspace_return(void);
void asi_userspace_entered(void);
int asi_kvm_init_vm(void);
void asi_kvm_enter(void);
void asi_kvm_before_guest(void);
void asi_kvm_after_guest(void);

/**
 * asi_user_new_mm() - @tsk will return to user mode with a new mm
 * @tsk: a task fresh from fork, or current after exec.
 *
 * Its first return to user mode creates its userspace-class domain.
 */
static inline void asi_user_new_mm(struct task_struct *tsk)
{
	if (static_branch_unlikely(&asi_userspace_key))
		asi_userspace_new_mm(tsk);
}

/**
 * asi_user_resume() - from resume_user_mode_work(): the domain is created
 */
static inline void asi_user_resume(void)
{
	if (static_branch_unlikely(&asi_userspace_key))
		asi_userspace_resume();
}

/**
 * asi_user_return() - the last step before user mode
 *
 * Enters current's userspace-class domain, or with the class off leaves
 * any domain the CPU is in (ASI_EXIT_RETURN_TO_USER).
 *
 * Context: interrupts disabled, inside an instrumentation region.
 * Return: true if user mode runs in the domain.
 */
static __always_inline bool asi_user_return(void)
{
	if (static_branch_unlikely(&asi_userspace_key))
		return asi_userspace_return();
	asi_exit_because(ASI_EXIT_RETURN_TO_USER);
	return false;
}

/**
 * asi_user_entered() - the first step of an entry from user mode
 *
 * Context: interrupts disabled; noinstr, RCU watching.
 */
static __always_inline void asi_user_entered(void)
{
	if (static_branch_unlikely(&asi_userspace_key))
		asi_userspace_entered();
}

/**
 * asi_kvm_vm_created() - KVM_CREATE_VM: the new VM's domain
 *
 * Return: 0, or an error with which the VM is not created.
 */
static inline int asi_kvm_vm_created(void)
{
	if (static_branch_unlikely(&asi_kvm_key))
		return asi_kvm_init_vm();
	return 0;
}

/**
 * asi_kvm_vcpu_enter() - before VM entry, before KVM reads the host CR3
 *
 * Context: interrupts disabled; noinstr.
 */
static __always_inline void asi_kvm_vcpu_enter(void)
{
	if (static_branch_unlikely(&asi_kvm_key))
		asi_kvm_enter();
}

/**
 * asi_kvm_guest_enter() - the last step before the guest runs
 *
 * Context: interrupts disabled, RCU watching; noinstr.
 */
static __always_inline void asi_kvm_guest_enter(void)
{
	if (static_branch_unlikely(&asi_kvm_key))
		asi_kvm_before_guest();
}

/**
 * asi_kvm_guest_exit() - the first step after a VM exit
 *
 * Context: interrupts disabled, RCU watching; noinstr.
 */
static __always_inline void asi_kvm_guest_exit(void)
{
	if (static_branch_unlikely(&asi_kvm_key))
		asi_kvm_after_guest();
}

#else /* !CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION */

static inline bool asi_enabled(void) { return false; }
static inline bool asi_is_restricted(void) { return false; }

static inline int asi_register_class(enum asi_class_id class_id,
				     const struct asi_class_ops *ops)
{
	return 0;
}

static inline int asi_unregister_class(enum asi_class_id class_id)
{
	return 0;
}

static inline int asi_init(struct mm_struct *mm, enum asi_class_id class_id,
			   struct asi **out_asi)
{
	*out_asi = NULL;
	return 0;
}

static inline void asi_enter(struct asi *asi) { }
static inline void asi_enter_irqoff(struct asi *asi) { }
static inline void asi_exit_irqoff(enum asi_exit_reason reason) { }
static inline void asi_relax(void) { }
static inline bool asi_before_untrusted(void) { return true; }
static inline void asi_after_untrusted(void) { }
static inline void asi_intr_enter(void) { }
static inline void asi_intr_exit(void) { }
static inline void asi_exit_because(enum asi_exit_reason reason) { }
static inline void asi_exit(void) { }
static inline void asi_user_new_mm(struct task_struct *tsk) { }
static inline void asi_user_resume(void) { }
static inline bool asi_user_return(void) { return false; }
static inline void asi_user_entered(void) { }
static inline int asi_kvm_vm_created(void) { return 0; }
static inline void asi_kvm_vcpu_enter(void) { }
static inline void asi_kvm_guest_enter(void) { }
static inline void asi_kvm_guest_exit(void) { }
static inline struct asi *asi_get_current(void) { return NULL; }
static inline void asi_init_mm_state(struct mm_struct *mm) { }
static inline void asi_destroy_mm_state(struct mm_struct *mm) { }

static inline void asi_tlb_flush_one_user(struct mm_struct *mm,
					  unsigned long addr)
{
}

static inline void asi_slot_mark_stale(unsigned int slot) { }
static inline void asi_kernel_range_changed(unsigned long start,
					    unsigned long end)
{
}

static inline bool asi_handle_fault(unsigned long addr, unsigned long ip,
				    unsigned long error_code)
{
	return false;
}

static inline unsigned long asi_current_cr3(void) { return 0; }
static inline bool asi_flush_kernel_addr(unsigned long addr) { return false; }

static inline int asi_get_class_stats(enum asi_class_id class_id,
				      struct asi_class_stats *stats)
{
	return -EOPNOTSUPP;
}

static inline struct page *asi_alloc_sensitive_pages(gfp_t gfp,
						     unsigned int order)
{
	return alloc_pages(gfp, order);
}

static inline void asi_free_sensitive_pages(struct page *page,
					    unsigned int order)
{
	__free_pages(page, order);
}

static inline bool asi_pool_set_taking(bool on) { return false; }

static inline struct page *asi_pool_alloc(gfp_t gfp, unsigned int order)
{
	return NULL;
}

static inline bool asi_pool_free(struct page *page, unsigned int order)
{
	return false;
}

static inline bool asi_pool_holds(struct page *page) { return false; }

#endif /* CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION */

#endif /* _LINUX_ASI_H */
