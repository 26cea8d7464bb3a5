/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MM_ASI_INTERNAL_H
#define _MM_ASI_INTERNAL_H

/*
 * Between the ASI core (mm/asi.c) and its backends (arch/x86/mm/asi.c, and
 * the UML model of an x86 TLB in arch/um/asi/): the domain itself, the
 * operations a backend provides, what a backend tells the core, and the
 * KUnit seams of the core.  Not for ASI's users: they have <linux/asi.h>.
 */

#include <linux/asi.h>
#include <asm/asi.h>

/*
 * Every warning of the core starts its message with the function's name,
 * so that a report names the place that found the bug even when the
 * compiler reached the warning's slow path by a tail call.
 *
 * A warning that would flood a log if the bug recurs on a hot path is
 * printed once per boot, except with CONFIG_DEBUG_ASI: there every
 * occurrence is reported, so that one occurrence does not hide the
 * next.
 */
#ifdef CONFIG_DEBUG_ASI
#define ASI_WARN_ONCE(cond, fmt...)	WARN(cond, fmt)
#else
#define ASI_WARN_ONCE(cond, fmt...)	WARN_ONCE(cond, fmt)
#endif

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

/* The class argument of asi_arch_cr3() that means the normal space. */
#define ASI_NORMAL_SPACE	(-1)

void asi_kernel_tables_edited(void);
void asi_kernel_entry_changed(bool was_table, bool was_global);

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
/*
 * Make @asi's restricted table map its mm's user memory as the normal one
 * does, and keep it so from now on; for a class that maps user memory,
 * once the domain is in mm->asi[].  May sleep.
 */
void asi_arch_map_user(struct asi *asi);
/* Free it; called from __mmdrop(), so atomic-safe. */
void asi_arch_free_pgd(struct asi *asi);
/*
 * Unmap @npages pages at @addr (direct map) in every restricted page
 * table (@unmap), or map them again as the normal one does.  Unmapping
 * may sleep and fail, leaving them mapped; mapping again may sleep and
 * does not fail.  The core orders it against asi_arch_set_global() and
 * flushes the TLBs.
 */
int asi_arch_restricted_unmap(void *addr, unsigned long npages, bool unmap);
/* Set or clear the global bit of the pages' normal translation (CPA). */
int asi_arch_set_global(void *addr, unsigned long npages, bool global);
/*
 * The CR3 value that loads @pgd: with PCIDs (@slot >= 0) tagged with the
 * PCID of ASID slot @slot for class @class_id (ASI_NORMAL_SPACE: the
 * kernel's own PCID of the slot), with the no-flush bit if @noflush.  The
 * encoding is the architecture's; the decisions are the core's.
 */
unsigned long asi_arch_cr3(pgd_t *pgd, int slot, int class_id, bool noflush);
/*
 * init_mm's kernel half changed in [@start, @end): make the restricted
 * kernel half map it as init_mm does, minus the sensitive pages.  Any
 * context; from asi_kernel_range_changed().
 */
void asi_arch_sync_kernel_range(unsigned long start, unsigned long end);
/* Load a value from asi_arch_cr3(). */
void asi_arch_write_cr3(unsigned long cr3);
/* The CR3 value this CPU runs with, as it reads back (no no-flush bit). */
unsigned long asi_arch_read_cr3(void);
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
/*
 * One ASI_FLUSH_* flush of this CPU's state, with the machine's means and
 * as its mitigation settings allow (nothing where the CPU has none).
 */
void asi_arch_flush(unsigned int flush);

extern const char *const asi_flush_names[ASI_NR_FLUSHES];

/* Does @asi's restricted space map its mm's user memory? */
bool asi_maps_user(struct asi *asi);
/* A user entry of @mm's PGD was written: mirror it where it belongs. */
void asi_user_pgd_changed(struct mm_struct *mm, unsigned int index, pgd_t pgd);

/* A class's operations, for the UML model's check of its flush policy. */
const struct asi_class_ops *asi_class_ops(enum asi_class_id class_id);

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

/* mm/asi_clients.c: create the userspace-class domain of current's mm. */
int asi_userspace_prepare(struct mm_struct *mm);

/**
 * struct asi_pool_stats - the counters of the pool of user memory
 * @blocks: blocks in the pool.
 * @pages: pages of them handed out (and of blocks being filled).
 * @fallbacks: user allocations the pool could not serve, handed out by
 *	the page allocator from its own pages, not sensitive.
 * @released: blocks given back to the page allocator.
 */
struct asi_pool_stats {
	unsigned long blocks;
	unsigned long pages;
	unsigned long fallbacks;
	unsigned long released;
};

#if IS_ENABLED(CONFIG_KUNIT)
bool asi_pool_wants(gfp_t gfp);
unsigned long asi_pool_release_empty(void);
bool asi_pool_may_hold(unsigned long pfn);
void asi_pool_get_stats(struct asi_pool_stats *st);

/*
 * Seams: with KUnit, a static stub can replace each of these, to inject a
 * failure or to leave out exactly one of the flushes the core issues.
 */
struct asi *asi_domain_alloc(void);
struct page *asi_sensitive_page_alloc(gfp_t gfp, unsigned int order);
struct page *asi_block_alloc(gfp_t gfp, unsigned int order);
int asi_set_sensitive(void *addr, unsigned long npages, bool sensitive);
int __asi_set_sensitive(void *addr, unsigned long npages, bool sensitive);
int asi_asid_slot(struct mm_struct *mm);
bool asi_pcid_mark_fresh(unsigned int slot, enum asi_class_id class_id);
void asi_flush_pcid_addr(unsigned int slot, enum asi_class_id class_id,
			 unsigned long addr);
void asi_flush_loaded_addr(unsigned long addr);
void asi_pcid_mark_stale(unsigned int slot, enum asi_class_id class_id);
void asi_flush_kernel_range(unsigned long start, unsigned long end);
void asi_kernel_tables_catch_up(void);
void asi_flush_normal_addr(unsigned long addr);
void asi_pcids_mark_stale_but(struct asi *asi);
void asi_flush_cpu(unsigned int flush, enum asi_class_id class_id);
void asi_reenter(void);
void asi_owe_control(struct asi *asi);
void asi_reentry_pays_data(struct asi *asi);
unsigned int asi_intr_depth(void);
#endif

#endif /* _MM_ASI_INTERNAL_H */
