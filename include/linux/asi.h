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

/**
 * struct asi_class_ops - what a class plugs into the enter/exit path
 * @name: short name, for messages and statistics.
 * @post_enter: called after this CPU has switched into a domain of the
 *	class, with interrupts disabled.  Optional.
 * @pre_exit: called before this CPU leaves a domain of the class, with
 *	interrupts disabled; this includes the exit forced by a context
 *	switch, where the runqueue lock is held.  Must not sleep.  Optional.
 */
struct asi_class_ops {
	const char *name;
	void (*post_enter)(struct asi *asi);
	void (*pre_exit)(struct asi *asi);
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
 */
struct asi_class_stats {
	unsigned long domains;
	unsigned long enters;
	unsigned long exits;
	unsigned long fault_exits;
	unsigned long flushes;
	unsigned long flushes_deferred;
};

/*
 * Sensitive memory is made sensitive in blocks of this order (a 2M leaf
 * of the direct map) that smaller allocations share: see
 * asi_alloc_sensitive_pages().
 */
#define ASI_BLOCK_ORDER		(PMD_SHIFT - PAGE_SHIFT)

/* The class argument of asi_arch_cr3() that means the normal space. */
#define ASI_NORMAL_SPACE	(-1)

#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION

#include <asm/asi.h>

/**
 * struct asi - one restricted address space (a domain)
 * @pgd: the restricted page table, owned by the backend.
 * @mm: the mm the domain belongs to; it outlives the domain.
 * @class_id: the domain's class.
 */
struct asi {
	pgd_t *pgd;
	struct mm_struct *mm;
	enum asi_class_id class_id;
};

DECLARE_STATIC_KEY_FALSE(asi_enabled_key);
DECLARE_PER_CPU(struct asi *, asi_cpu_curr);

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
void __asi_exit(void);
struct asi *asi_get_current(void);
void asi_init_mm_state(struct mm_struct *mm);
void asi_destroy_mm_state(struct mm_struct *mm);
void asi_tlb_flush_one_user(struct mm_struct *mm, unsigned long addr);
void asi_invalidate_slot(unsigned int slot);
void asi_kernel_tables_edited(void);
void asi_kernel_entry_changed(bool was_table, bool was_global);
bool asi_handle_fault(unsigned long addr);
int asi_class_stats(enum asi_class_id class_id, struct asi_class_stats *stats);
struct page *asi_alloc_sensitive_pages(gfp_t gfp, unsigned int order);
void asi_free_sensitive_pages(struct page *page, unsigned int order);

/**
 * asi_exit() - leave the restricted address space, if this CPU is in one
 *
 * Cheap when not restricted, so that the context switch path can call it
 * unconditionally.  Safe with interrupts disabled.
 */
static __always_inline void asi_exit(void)
{
	if (asi_is_restricted())
		__asi_exit();
}

/*
 * The backend interface: the machine effects the core needs.  Every
 * architecture that supports ASI implements these; see arch/x86/mm/asi.c
 * and arch/um/asi/.  Except for the page table calls they are called with
 * interrupts disabled.
 */

/* Can this machine run ASI?  Called once at boot; false turns ASI off. */
bool asi_arch_init(void);
/* Allocate and populate @asi's restricted page table; may sleep. */
pgd_t *asi_arch_alloc_pgd(struct asi *asi);
/* Free it; called from __mmdrop(), so atomic-safe. */
void asi_arch_free_pgd(struct asi *asi);
/*
 * Remove @npages pages at @addr (direct map) from every restricted page
 * table and keep no global translation of them (@sensitive), or map them
 * again.  May sleep; the core flushes the TLBs afterwards.
 */
int asi_arch_set_sensitive(void *addr, unsigned long npages, bool sensitive);
/*
 * The CR3 value that loads @pgd: with PCIDs (@slot >= 0) tagged with the
 * PCID of ASID slot @slot for class @class_id (ASI_NORMAL_SPACE: the
 * kernel's own PCID of the slot), with the no-flush bit if @noflush.  The
 * encoding is the architecture's; the decisions are the core's.
 */
unsigned long asi_arch_cr3(pgd_t *pgd, int slot, int class_id, bool noflush);
/* Load a value from asi_arch_cr3(). */
void asi_arch_write_cr3(unsigned long cr3);
/* The mm whose normal address space this CPU has loaded. */
struct mm_struct *asi_arch_loaded_mm(void);
/* @mm's ASID slot on this CPU, or -1 if it has none. */
int asi_arch_asid_slot(struct mm_struct *mm);
/* CR4.PCIDE and INVPCID support on this CPU. */
bool asi_arch_has_pcid(void);
bool asi_arch_has_invpcid(void);
/* INVPCID individual-address in the PCID of (@slot, @class_id). */
void asi_arch_invpcid_addr(unsigned int slot, int class_id, unsigned long addr);
/* INVLPG: drop @addr's translation in the loaded PCID. */
void asi_arch_invlpg(unsigned long addr);

#ifdef CONFIG_DEBUG_ASI
/**
 * struct asi_kernel_map - what one kernel page-table leaf grants
 * @present: it maps anything.
 * @pfn: the first frame.
 * @write: writes allowed.
 * @exec: instruction fetches allowed.
 * @user: user-mode accesses allowed.
 * @global: the translation is global (survives CR3 writes).
 * @attrs: memory type and encryption, in the backend's encoding, which
 *	must be equal for the two sides to map the same memory the same way.
 * @raw: the entry as the backend holds it, for the report.
 */
struct asi_kernel_map {
	bool present;
	unsigned long pfn;
	bool write, exec, user, global;
	u64 attrs;
	u64 raw;
};

bool asi_kernel_map_widens(const struct asi_kernel_map *normal,
			   const struct asi_kernel_map *restricted);
void asi_report_widening(unsigned long addr, unsigned int level,
			 const struct asi_kernel_map *normal,
			 const struct asi_kernel_map *restricted);
unsigned long asi_check_tables(pgd_t *pgd);
/*
 * Walk the kernel half of restricted table @pgd (NULL: the template every
 * restricted table copies) and init_mm's, calling asi_kernel_map_widens()
 * on each pair of leaves and asi_report_widening() where it is true.
 * Returns the number of reports.
 */
unsigned long asi_arch_check_tables(pgd_t *pgd);
#endif

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * Test seams: KUnit static stubs redirect these to inject failures, or to
 * leave out exactly one of the flushes the core issues.
 */
struct asi *asi_domain_alloc(void);
struct page *asi_sensitive_page_alloc(gfp_t gfp, unsigned int order);
struct page *asi_block_alloc(gfp_t gfp, unsigned int order);
int asi_asid_slot(struct mm_struct *mm);
bool asi_flush_on_entry(unsigned int slot, enum asi_class_id class_id);
void asi_flush_pcid_addr(unsigned int slot, enum asi_class_id class_id,
			 unsigned long addr);
void asi_flush_loaded_addr(unsigned long addr);
void asi_flush_deferred(unsigned int slot, enum asi_class_id class_id);
void asi_flush_kernel_range(unsigned long start, unsigned long end);
void asi_flush_kernel_tables(void);
#endif

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
static inline void asi_exit(void) { }
static inline struct asi *asi_get_current(void) { return NULL; }
static inline void asi_init_mm_state(struct mm_struct *mm) { }
static inline void asi_destroy_mm_state(struct mm_struct *mm) { }

static inline void asi_tlb_flush_one_user(struct mm_struct *mm,
					  unsigned long addr)
{
}

static inline void asi_invalidate_slot(unsigned int slot) { }
static inline void asi_kernel_tables_edited(void) { }
static inline void asi_kernel_entry_changed(bool was_table, bool was_global) { }
static inline bool asi_handle_fault(unsigned long addr) { return false; }

static inline int asi_class_stats(enum asi_class_id class_id,
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

#endif /* CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION */

#endif /* _LINUX_ASI_H */
