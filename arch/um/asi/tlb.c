// SPDX-License-Identifier: GPL-2.0
/*
 * The mocked TLB: the UML backend of ASI, a model of a PCID-tagged x86 TLB.
 *
 * QEMU's software emulation has neither PCID nor INVPCID and flushes its
 * whole TLB on every CR3 write, so a missing invalidation in the shared
 * core goes unnoticed there.  This file plays the x86 CPU instead, per
 * CPU:
 *
 * - registers: CR3 (page table, PCID; the no-flush bit acts on the write)
 *   and CR4.PCIDE;
 * - a bounded set of translations tagged by PCID, some of them global,
 *   filled when a test "accesses" an address (asi_um_tlb_access()) by a
 *   walk of the page table CR3 points to; a kernel translation covers the
 *   whole page its leaf maps (4K, 2M or 1G), as x86 may cache it;
 * - paging-structure caches (SDM 4.10.3) for kernel addresses: per PCID,
 *   never global, for a region the table the walk went through at each
 *   upper level (PML4E, PDPTE and PDE caches).  A walk starts from the
 *   deepest cached entry instead of the root;
 * - the operations with their architectural meaning: CR3 writes with and
 *   without the no-flush bit or with PCIDs off, INVLPG, INVPCID types 0-3,
 *   each dropping paging-structure cache entries as x86 does (INVLPG and
 *   INVPCID type 0 all of the PCID's, not only the address's);
 * - a stale-translation check: an access that hits an entry which no
 *   longer matches the page table, or was cached for another mm, or a
 *   walk that starts from a cached table the page tables no longer lead
 *   to (replaced, or freed), fails the running KUnit case, naming the
 *   PCID, the address and what went stale.
 *
 * It also plays the kernel's own TLB code of arch/x86/mm/tlb.c, which UML
 * does not have: ASID slots handed out as choose_new_asid() does, and the
 * local part of flush_tlb_mm_range() and flush_tlb_kernel_range(), called
 * from UML's flush_tlb_*() (patches/0004).  Like x86 it tells the core
 * when a slot changes hands (asi_slot_mark_stale()) and fans user flushes
 * out to the domains (asi_tlb_flush_one_user()).
 *
 * What the page tables say:
 * - user addresses walk the real page table UML keeps for the loaded mm.
 *   A restricted space maps the same user memory (as a domain of the
 *   userspace class would), so that the core's user flush fan-out is
 *   exercised; on x86 the restricted user half is still empty.
 * - direct-map kernel addresses walk the model's own kernel tables
 *   (kpt.c): the normal hierarchy, or the restricted template, which
 *   shares tables with it until a sensitive page is carved out.
 *
 * The model makes no decision of the core's: when to flush, which PCID
 * and which no-flush bit are mm/asi.c's.
 */

#define pr_fmt(fmt) "asi: TLB model: " fmt

#include <kunit/test.h>
#include <kunit/test-bug.h>
#include <linux/asi.h>
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>

#include "../../../mm/asi_internal.h"
#include "model.h"

#define ASI_UM_TLB_LOG_SIZE	64
/* x86's tlb_single_page_flush_ceiling: longer ranges flush the PCID. */
#define ASI_UM_FLUSH_CEILING	33
/* Paging-structure cache entries per CPU, all levels together. */
#define ASI_UM_PSC_ENTRIES	32

struct asi_um_tlb_entry {
	bool valid;
	bool global;
	bool user;
	/* Writes allowed: the leaf's write bit (user pages: always). */
	bool write;
	/* The level of the leaf: 1 (4K), 2 (2M) or 3 (1G). */
	u8 level;
	u16 pcid;
	/* The first page the entry covers, and the frame it maps. */
	unsigned long vpn;
	unsigned long pfn;
	/* The mm loaded, and the page table walked, when it was cached. */
	u64 ctx_id;
	pgd_t *pgd;
};

/*
 * A paging-structure cache entry: in @pcid, the region of @level that
 * holds the address tag (address >> the level's shift) leads to @table.
 * @id tells whether @table is still there: it may have been freed.
 */
struct asi_um_psc_entry {
	bool valid;
	u8 level;
	u16 pcid;
	unsigned long tag;
	u64 id;
	struct asi_um_ptable *table;
};

/* An ASID slot, as cpu_tlbstate.ctxs[] on x86. */
struct asi_um_slot {
	u64 ctx_id;
	/* The mm's mappings changed while it was not loaded (x86's tlb_gen). */
	bool need_flush;
};

struct asi_um_tlb {
	/* The kernel's side: which mm is loaded, in which slot. */
	struct mm_struct *loaded_mm;
	u64 loaded_ctx;
	unsigned int loaded_slot;
	unsigned int next_slot;
	struct asi_um_slot slots[ASI_ARCH_NR_ASID_SLOTS];

	/* The CPU's side. */
	unsigned long cr3;
	pgd_t *table;
	struct asi *table_asi;
	bool pcide;
	bool invpcid;
	struct asi_um_tlb_entry entries[ASI_UM_TLB_ENTRIES];
	unsigned int victim;
	struct asi_um_psc_entry psc[ASI_UM_PSC_ENTRIES];
	unsigned int psc_victim;

	/* A test's hook into the next CR3 write; see asi_um_tlb_cr3_hook(). */
	void (*cr3_hook)(void *arg);
	void *cr3_hook_arg;
	bool cr3_hook_after;

	unsigned long cr3_writes;
	unsigned long cr3_noflush;
	unsigned long invpcid_addr;
	unsigned long invpcid_ctx;
	unsigned long invpcid_all;
	unsigned long invlpg;
	unsigned long fills;
	unsigned long hits;
	unsigned long faults;
	unsigned long psc_hits;
	unsigned long reports;
	bool expect_reports;
	char last_report[192];

	struct asi_um_tlb_event log[ASI_UM_TLB_LOG_SIZE];
	unsigned int log_next;
};

/* The modelled CPU has PCID and INVPCID, as every x86_64 host ASI targets. */
static DEFINE_PER_CPU(struct asi_um_tlb, asi_um_tlb) = {
	.loaded_mm = &init_mm,
	.loaded_ctx = 1,
	.next_slot = 1,
	.table = swapper_pg_dir,
	.pcide = true,
	.invpcid = true,
};

static atomic_long_t asi_um_pgd_allocs;
static atomic_long_t asi_um_pgd_frees;

static void asi_um_tlb_record(struct asi_um_tlb *tlb, enum asi_um_tlb_op op,
			      unsigned long val, unsigned long addr)
{
	struct asi_um_tlb_event *ev;

	ev = &tlb->log[tlb->log_next++ % ASI_UM_TLB_LOG_SIZE];
	ev->op = op;
	ev->val = val;
	ev->addr = addr;
}

/*
 * A stale translation or an invalid operation: fail the running KUnit
 * case, unless the case asked to see reports (asi_um_tlb_expect_reports())
 * because it breaks a flush on purpose.  Reports come with interrupts
 * off, where KUnit cannot log (it allocates), so the case is marked
 * failed directly and the report goes to the console, which kunit.py
 * shows with the case.
 */
static __printf(2, 3) void asi_um_tlb_report(struct asi_um_tlb *tlb,
					     const char *fmt, ...)
{
	struct kunit *test = kunit_get_current_test();
	va_list args;

	va_start(args, fmt);
	vsnprintf(tlb->last_report, sizeof(tlb->last_report), fmt, args);
	va_end(args);
	tlb->reports++;
	if (tlb->expect_reports)
		return;
	pr_err("%s\n", tlb->last_report);
	if (IS_ENABLED(CONFIG_KUNIT) && test)
		kunit_set_failure(test);
}

static u16 asi_um_tlb_pcid(struct asi_um_tlb *tlb)
{
	return tlb->pcide ? tlb->cr3 & ASI_UM_CR3_PCID_MASK : 0;
}

/* init_mm has none assigned: it is 1, as on x86, and other mms' start at 2. */
static u64 asi_um_ctx_id(struct mm_struct *mm)
{
	return mm->context.ctx_id ?: 1;
}

/* By ctx_id too, so that a new mm at a freed mm's address is another mm. */
static bool asi_um_is_loaded(struct asi_um_tlb *tlb, struct mm_struct *mm)
{
	return tlb->loaded_mm == mm && tlb->loaded_ctx == asi_um_ctx_id(mm);
}

/*
 * Invalidate the entries of @pcid (or every PCID if @pcid < 0) for @addr
 * (or every address if @all_addrs); global entries only if @globals.
 */
/* Does @e translate @addr? */
static bool asi_um_tlb_covers(struct asi_um_tlb_entry *e, unsigned long addr,
			      bool user)
{
	unsigned int shift = asi_um_level_shift(e->level);

	return e->user == user &&
	       (e->vpn << PAGE_SHIFT) >> shift == addr >> shift;
}

static void asi_um_tlb_drop(struct asi_um_tlb *tlb, int pcid, bool all_addrs,
			    unsigned long addr, bool user, bool globals)
{
	struct asi_um_tlb_entry *e;

	for (e = tlb->entries; e < tlb->entries + ASI_UM_TLB_ENTRIES; e++) {
		if (!e->valid)
			continue;
		if (!all_addrs && !asi_um_tlb_covers(e, addr, user))
			continue;
		if (e->global ? !globals : pcid >= 0 && e->pcid != pcid)
			continue;
		e->valid = false;
	}
}

/*
 * Invalidate the paging-structure cache entries of @pcid (every PCID if
 * @pcid < 0).  They are never global, and x86 drops all of a PCID's
 * whenever it invalidates any address in it (SDM 4.10.4.1).
 */
static void asi_um_psc_drop(struct asi_um_tlb *tlb, int pcid)
{
	struct asi_um_psc_entry *p;

	for (p = tlb->psc; p < tlb->psc + ASI_UM_PSC_ENTRIES; p++) {
		if (pcid < 0 || p->pcid == pcid)
			p->valid = false;
	}
}

/* The deepest entry of @pcid whose region holds @addr. */
static struct asi_um_psc_entry *asi_um_psc_find(struct asi_um_tlb *tlb,
						u16 pcid, unsigned long addr)
{
	struct asi_um_psc_entry *p, *best = NULL;

	for (p = tlb->psc; p < tlb->psc + ASI_UM_PSC_ENTRIES; p++) {
		if (!p->valid || p->pcid != pcid ||
		    p->tag != addr >> asi_um_level_shift(p->level))
			continue;
		if (!best || p->level < best->level)
			best = p;
	}
	return best;
}

static void asi_um_psc_fill(struct asi_um_tlb *tlb, u16 pcid,
			    unsigned int level, unsigned long addr,
			    struct asi_um_ptable *table)
{
	unsigned long tag = addr >> asi_um_level_shift(level);
	struct asi_um_psc_entry *p, *free = NULL;

	for (p = tlb->psc; p < tlb->psc + ASI_UM_PSC_ENTRIES; p++) {
		if (p->valid && p->pcid == pcid && p->level == level &&
		    p->tag == tag)
			break;
		if (!p->valid && !free)
			free = p;
	}
	if (p == tlb->psc + ASI_UM_PSC_ENTRIES)
		p = free ?: &tlb->psc[tlb->psc_victim++ % ASI_UM_PSC_ENTRIES];
	*p = (struct asi_um_psc_entry) {
		.valid = true,
		.level = level,
		.pcid = pcid,
		.tag = tag,
		.id = asi_um_kpt_id(table),
		.table = table,
	};
}

/* Run the test's CR3 hook once, if it is set for this moment. */
static void asi_um_tlb_run_cr3_hook(struct asi_um_tlb *tlb, bool after)
{
	void (*hook)(void *arg) = tlb->cr3_hook;

	if (!hook || tlb->cr3_hook_after != after)
		return;
	tlb->cr3_hook = NULL;
	hook(tlb->cr3_hook_arg);
}

static void asi_um_tlb_write_cr3(struct asi_um_tlb *tlb, unsigned long cr3)
{
	pgd_t *pgd = __va(cr3 & ~(ASI_UM_CR3_NOFLUSH | ASI_UM_CR3_PCID_MASK));
	struct mm_struct *mm = tlb->loaded_mm;
	int i;

	tlb->cr3 = cr3;
	tlb->cr3_writes++;
	if (cr3 & ASI_UM_CR3_NOFLUSH)
		tlb->cr3_noflush++;
	asi_um_tlb_record(tlb, ASI_UM_TLB_CR3, cr3, 0);

	/* The page table: the loaded mm's, or one of its domains'. */
	tlb->table = pgd;
	tlb->table_asi = NULL;
	for (i = 0; pgd != mm->pgd && i < ASI_MAX_NUM_CLASSES; i++) {
		if (mm->asi[i] && mm->asi[i]->pgd == pgd)
			tlb->table_asi = mm->asi[i];
	}
	if (pgd != mm->pgd && !tlb->table_asi)
		asi_um_tlb_report(tlb,
				  "CR3 %#lx loads a page table that is neither mm %llu's nor one of its domains'",
				  cr3, asi_um_ctx_id(mm));

	if (!tlb->pcide) {
		/*
		 * Bit 63 is reserved then (#GP); bits 11:0 are PWT, PCD or
		 * ignored, so a PCID there is one the core must not have used.
		 */
		if (cr3 & (ASI_UM_CR3_NOFLUSH | ASI_UM_CR3_PCID_MASK))
			asi_um_tlb_report(tlb,
					  "CR3 %#lx has a no-flush bit (#GP) or a PCID while CR4.PCIDE is off",
					  cr3);
		asi_um_tlb_drop(tlb, -1, true, 0, false, false);
		asi_um_psc_drop(tlb, -1);
	} else if (!(cr3 & ASI_UM_CR3_NOFLUSH)) {
		asi_um_tlb_drop(tlb, cr3 & ASI_UM_CR3_PCID_MASK, true, 0, false,
				false);
		asi_um_psc_drop(tlb, cr3 & ASI_UM_CR3_PCID_MASK);
	}
}

/*
 * x86's flush_tlb_all(): INVPCID type 2, or toggling CR4.PGE on a CPU
 * without INVPCID.  Counted with the INVPCID all-context operations.
 */
static void asi_um_tlb_drop_everything(struct asi_um_tlb *tlb)
{
	tlb->invpcid_all++;
	asi_um_tlb_drop(tlb, -1, true, 0, false, true);
	asi_um_psc_drop(tlb, -1);
}

static void asi_um_tlb_do_invlpg(struct asi_um_tlb *tlb, unsigned long addr,
				 bool user)
{
	tlb->invlpg++;
	asi_um_tlb_record(tlb, ASI_UM_TLB_INVLPG, asi_um_tlb_pcid(tlb), addr);
	/* The loaded PCID's entry and any global one for the address. */
	asi_um_tlb_drop(tlb, asi_um_tlb_pcid(tlb), false, addr, user, true);
	asi_um_psc_drop(tlb, asi_um_tlb_pcid(tlb));
}

static void asi_um_tlb_do_invpcid(struct asi_um_tlb *tlb,
				  enum asi_um_invpcid_type type, u16 pcid,
				  unsigned long addr, bool user)
{
	if (!tlb->invpcid)
		asi_um_tlb_report(tlb, "INVPCID type %d on a CPU without INVPCID",
				  type);
	/* With PCIDs off only PCID 0 exists; types 0 and 1 #GP on others. */
	if (!tlb->pcide && type <= ASI_UM_INVPCID_SINGLE_CTX && pcid)
		asi_um_tlb_report(tlb,
				  "INVPCID type %d of PCID %#x while CR4.PCIDE is off (#GP)",
				  type, pcid);
	switch (type) {
	case ASI_UM_INVPCID_ADDR:
		tlb->invpcid_addr++;
		asi_um_tlb_record(tlb, ASI_UM_TLB_INVPCID_ADDR, pcid, addr);
		asi_um_tlb_drop(tlb, pcid, false, addr, user, false);
		asi_um_psc_drop(tlb, pcid);
		break;
	case ASI_UM_INVPCID_SINGLE_CTX:
		tlb->invpcid_ctx++;
		asi_um_tlb_drop(tlb, pcid, true, 0, false, false);
		asi_um_psc_drop(tlb, pcid);
		break;
	case ASI_UM_INVPCID_ALL_INCL_GLOBAL:
		tlb->invpcid_all++;
		asi_um_tlb_drop(tlb, -1, true, 0, false, true);
		asi_um_psc_drop(tlb, -1);
		break;
	case ASI_UM_INVPCID_ALL_NON_GLOBAL:
		tlb->invpcid_all++;
		asi_um_tlb_drop(tlb, -1, true, 0, false, false);
		asi_um_psc_drop(tlb, -1);
		break;
	}
}

/* A walk of @mm's user page table. */
static bool asi_um_walk_user(struct mm_struct *mm, unsigned long addr,
			     unsigned long *pfn)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	pte_t pte;

	if (pgd_none(*pgd))
		return false;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d))
		return false;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud))
		return false;
	pmd = pmd_offset(pud, addr);
	if (pmd_none(*pmd))
		return false;
	pte = ptep_get(pte_offset_kernel(pmd, addr));
	if (!pte_present(pte))
		return false;
	*pfn = pte_pfn(pte);
	return true;
}

/*
 * What the loaded page table says about @addr now: the walk from the
 * root, which the cached translations are checked against.
 */
static void asi_um_tlb_walk(struct asi_um_tlb *tlb, unsigned long addr,
			    bool user, struct asi_um_kwalk *w)
{
	if (!user) {
		asi_um_kpt_walk(asi_um_kpt_root(tlb->table_asi), addr, w);
		return;
	}
	memset(w, 0, sizeof(*w));
	w->leaf_level = ASI_UM_PTE;
	w->write = true;
	w->present = asi_um_walk_user(tlb->loaded_mm, addr, &w->pfn);
}

static struct asi_um_tlb_entry *asi_um_tlb_find(struct asi_um_tlb *tlb,
						u16 pcid, unsigned long addr,
						bool user)
{
	struct asi_um_tlb_entry *e;

	for (e = tlb->entries; e < tlb->entries + ASI_UM_TLB_ENTRIES; e++) {
		if (e->valid && asi_um_tlb_covers(e, addr, user) &&
		    (e->global || e->pcid == pcid))
			return e;
	}
	return NULL;
}

/* Cache what @w found for @addr: the whole page its leaf maps. */
static void asi_um_tlb_fill(struct asi_um_tlb *tlb, unsigned long addr,
			    bool user, struct asi_um_kwalk *w)
{
	unsigned int shift = asi_um_level_shift(w->leaf_level);
	unsigned long first = (addr >> shift << shift) >> PAGE_SHIFT;
	struct asi_um_tlb_entry *e;

	for (e = tlb->entries; e < tlb->entries + ASI_UM_TLB_ENTRIES; e++) {
		if (!e->valid)
			break;
	}
	/* Full: evict round-robin, as a real TLB may evict anything. */
	if (e == tlb->entries + ASI_UM_TLB_ENTRIES)
		e = &tlb->entries[tlb->victim++ % ASI_UM_TLB_ENTRIES];
	*e = (struct asi_um_tlb_entry) {
		.valid = true,
		.global = w->global,
		.user = user,
		.write = w->write,
		.level = w->leaf_level,
		.pcid = asi_um_tlb_pcid(tlb),
		.vpn = first,
		.pfn = w->pfn - ((addr >> PAGE_SHIFT) - first),
		.ctx_id = tlb->loaded_ctx,
		.pgd = tlb->table,
	};
	tlb->fills++;
}

/* A hit: does the cached translation still hold, for a @write too? */
static void asi_um_tlb_check(struct asi_um_tlb *tlb,
			     struct asi_um_tlb_entry *e, unsigned long addr,
			     struct asi_um_kwalk *w, unsigned long pfn,
			     bool write)
{
	const char *kind = e->global ? "global kernel" :
			   e->user ? "user" : "kernel";
	const char *space = tlb->table_asi ? "restricted" : "normal";
	/* A large page cached, smaller pages in the tables now. */
	const char *what = e->level > w->leaf_level ?
			   "large page split without invalidation" :
			   "missing invalidation";
	u64 ctx = tlb->loaded_ctx;
	u16 pcid = asi_um_tlb_pcid(tlb);

	if (!e->global && e->ctx_id != ctx)
		asi_um_tlb_report(tlb,
				  "PCID %#x, %s address %#lx: cached for mm %llu, but mm %llu owns the PCID now (no flush when its ASID slot changed hands)",
				  pcid, kind, addr, e->ctx_id, ctx);
	else if (!e->global && e->pgd != tlb->table)
		asi_um_tlb_report(tlb,
				  "PCID %#x, %s address %#lx: cached from another page table (two address spaces share the PCID)",
				  pcid, kind, addr);
	else if (!w->present)
		asi_um_tlb_report(tlb,
				  "PCID %#x, %s address %#lx: cached pfn %#lx, now unmapped in the %s page table (%s)",
				  pcid, kind, addr, pfn, space, what);
	else if (pfn != w->pfn)
		asi_um_tlb_report(tlb,
				  "PCID %#x, %s address %#lx: cached pfn %#lx, the %s page table now maps pfn %#lx (%s)",
				  pcid, kind, addr, pfn, space, w->pfn, what);
	else if (write && e->write && !w->write)
		asi_um_tlb_report(tlb,
				  "PCID %#x, %s address %#lx: a write through a cached writable translation, the %s page table now maps it read-only (missing invalidation)",
				  pcid, kind, addr, space);
}

/*
 * A TLB miss on a kernel address: the walk starts from the deepest
 * paging-structure cache entry of the loaded PCID for @addr, if any.  If
 * the tables no longer lead to the table it caches, that is reported and
 * the walk goes on from the cached table as the CPU's would (unless it
 * was freed: the model cannot read it then); *@w becomes what it finds.
 * Otherwise every upper-level table of the walk is cached.
 */
static void asi_um_psc_walk(struct asi_um_tlb *tlb, unsigned long addr,
			    struct asi_um_kwalk *w)
{
	const char *space = tlb->table_asi ? "restricted" : "normal";
	u16 pcid = asi_um_tlb_pcid(tlb);
	struct asi_um_psc_entry *p;
	struct asi_um_ptable *now;
	unsigned int level;

	p = asi_um_psc_find(tlb, pcid, addr);
	if (p) {
		tlb->psc_hits++;
		now = w->tables[p->level - 1];
		if (now && asi_um_kpt_id(now) == p->id)
			goto fill;
		if (!asi_um_kpt_live(p->id)) {
			asi_um_tlb_report(tlb,
					  "PCID %#x, kernel address %#lx: the %s cache leads to table %llu, which was freed (table freed without invalidation)",
					  pcid, addr, asi_um_kpt_level_name(p->level),
					  p->id);
			return;
		}
		asi_um_tlb_report(tlb,
				  "PCID %#x, kernel address %#lx: the %s cache leads to table %llu, the %s page table to table %llu now (table replaced without invalidation)",
				  pcid, addr, asi_um_kpt_level_name(p->level), p->id,
				  space, now ? asi_um_kpt_id(now) : 0);
		asi_um_kpt_walk(p->table, addr, w);
		return;
	}
fill:
	for (level = ASI_UM_PML4E; level > ASI_UM_PTE; level--) {
		if (w->tables[level - 1])
			asi_um_psc_fill(tlb, pcid, level, addr,
					w->tables[level - 1]);
	}
}

/**
 * asi_um_tlb_access() - access an address in the current address space
 * @addr: a user address of the loaded mm, or a direct-map kernel address.
 * @user: which of the two @addr is.
 * @pfn: the page frame the access reached.
 *
 * What the CPU does on a memory access: a translation cached for the
 * loaded PCID (or a global one) is used, and checked against the page
 * table; a stale one is reported (see asi_um_tlb_report()).  Otherwise the
 * page table is walked, from a paging-structure cache entry for kernel
 * addresses if there is one (checked too), and the translation cached.
 * Inside a domain an unmapped address faults and asi_handle_fault()
 * leaves ASI; the access is then retried in the normal space.
 *
 * Context: any; call with preemption disabled to stay in one address space.
 * Return: 0 with *@pfn set, -EFAULT if the address is not mapped, or
 * -EINVAL if it is neither a user address nor in the direct map.
 */
int asi_um_tlb_access(unsigned long addr, bool user, unsigned long *pfn)
{
	return asi_um_tlb_access_rw(addr, user, false, pfn);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_access);

/**
 * asi_um_tlb_access_rw() - asi_um_tlb_access(), for a read or a write
 * @addr: as for asi_um_tlb_access().
 * @user: as for asi_um_tlb_access().
 * @write: the access is a write: a translation without the write bit
 *	faults, and a cached writable translation of a page the table now
 *	maps read-only is reported.
 * @pfn: as for asi_um_tlb_access().
 *
 * Return: as asi_um_tlb_access(); -EFAULT also for a write to a page
 * mapped read-only.
 */
int asi_um_tlb_access_rw(unsigned long addr, bool user, bool write,
			 unsigned long *pfn)
{
	struct asi_um_tlb_entry *e;
	struct asi_um_kwalk w;
	struct asi_um_tlb *tlb;
	unsigned long flags;
	int ret = 0;

	if (!user && (!virt_addr_valid(addr) || !asi_um_kpt_covers(addr)))
		return -EINVAL;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
retry:
	asi_um_tlb_walk(tlb, addr, user, &w);
	e = asi_um_tlb_find(tlb, asi_um_tlb_pcid(tlb), addr, user);
	if (e && (!write || e->write)) {
		tlb->hits++;
		*pfn = e->pfn + ((addr >> PAGE_SHIFT) - e->vpn);
		asi_um_tlb_check(tlb, e, addr, &w, *pfn, write);
		goto out;
	}
	/* A write through a read-only translation faults; it is dropped. */
	if (e)
		e->valid = false;
	if (!user)
		asi_um_psc_walk(tlb, addr, &w);
	if (w.present && (!write || w.write)) {
		asi_um_tlb_fill(tlb, addr, user, &w);
		*pfn = w.pfn;
	} else {
		tlb->faults++;
		if (tlb->table_asi && asi_handle_fault(addr))
			goto retry;
		ret = -EFAULT;
	}
out:
	local_irq_restore(flags);
	return ret;
}
EXPORT_SYMBOL_GPL(asi_um_tlb_access_rw);

/**
 * asi_um_tlb_cached() - what the model holds for @addr in @pcid
 * @pcid: the PCID.
 * @addr: the address.
 * @user: user or kernel address.
 *
 * Return: ASI_UM_TLB_LOCAL for an entry tagged @pcid, ASI_UM_TLB_GLOBAL
 * for a global entry (any PCID uses it), else ASI_UM_TLB_NONE.
 */
enum asi_um_tlb_hold asi_um_tlb_cached(u16 pcid, unsigned long addr, bool user)
{
	struct asi_um_tlb_entry *e;
	unsigned long flags;
	enum asi_um_tlb_hold hold = ASI_UM_TLB_NONE;

	local_irq_save(flags);
	e = asi_um_tlb_find(this_cpu_ptr(&asi_um_tlb), pcid, addr, user);
	if (e)
		hold = e->global ? ASI_UM_TLB_GLOBAL : ASI_UM_TLB_LOCAL;
	local_irq_restore(flags);
	return hold;
}
EXPORT_SYMBOL_GPL(asi_um_tlb_cached);

/**
 * asi_um_tlb_invlpg() - INVLPG, for tests of the model itself
 * @addr: the address.
 * @user: user or kernel address.
 */
void asi_um_tlb_invlpg(unsigned long addr, bool user)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_um_tlb_do_invlpg(this_cpu_ptr(&asi_um_tlb), addr, user);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_invlpg);

/**
 * asi_um_tlb_invpcid() - INVPCID, for tests of the model itself
 * @type: the INVPCID type.
 * @pcid: the PCID, for types 0 and 1.
 * @addr: the address, for type 0.
 * @user: user or kernel address, for type 0.
 */
void asi_um_tlb_invpcid(enum asi_um_invpcid_type type, u16 pcid,
			unsigned long addr, bool user)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_um_tlb_do_invpcid(this_cpu_ptr(&asi_um_tlb), type, pcid, addr,
			      user);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_invpcid);

/**
 * asi_um_tlb_expect_reports() - collect reports instead of failing the case
 * @expect: true while a case breaks a flush on purpose.
 *
 * The reports are counted (asi_um_tlb_state.reports) and the last one is
 * kept for asi_um_tlb_last_report().
 */
void asi_um_tlb_expect_reports(bool expect)
{
	this_cpu_write(asi_um_tlb.expect_reports, expect);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_expect_reports);

/**
 * asi_um_tlb_last_report() - the text of this CPU's last report
 * @buf: where to copy it, NUL-terminated.
 * @size: size of @buf.
 */
void asi_um_tlb_last_report(char *buf, size_t size)
{
	unsigned long flags;

	local_irq_save(flags);
	strscpy(buf, this_cpu_ptr(&asi_um_tlb)->last_report, size);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_last_report);

/* The backend interface of include/linux/asi.h. */

bool __init asi_arch_init(void)
{
	if (asi_um_kpt_init()) {
		pr_err("no memory for the modelled kernel page tables\n");
		return false;
	}
	return true;
}

/*
 * A restricted page table.  Its user half is the mm's and its kernel half
 * the template's (kpt.c), which the model walks directly, so the page
 * itself only gives the domain a CR3 value of its own.
 */
pgd_t *asi_arch_alloc_pgd(struct asi *asi)
{
	pgd_t *pgd = (pgd_t *)__get_free_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (pgd)
		atomic_long_inc(&asi_um_pgd_allocs);
	return pgd;
}

void asi_arch_free_pgd(struct asi *asi)
{
	free_page((unsigned long)asi->pgd);
	atomic_long_inc(&asi_um_pgd_frees);
}

/**
 * asi_um_tlb_is_sensitive() - is the page at @addr out of the restricted spaces?
 * @addr: a direct-map address.
 *
 * Return: true between asi_alloc_sensitive_pages() and its free: the
 * template does not map the page.
 */
bool asi_um_tlb_is_sensitive(void *addr)
{
	struct asi_um_kwalk w;

	if (!asi_um_kpt_covers((unsigned long)addr))
		return false;
	asi_um_kpt_walk(asi_um_kpt_root(true), (unsigned long)addr, &w);
	return !w.present;
}
EXPORT_SYMBOL_GPL(asi_um_tlb_is_sensitive);

/*
 * The CR3 write the core asks for, with the test's hook (if one is set)
 * run just before it takes effect or just after.
 */
void asi_arch_write_cr3(unsigned long cr3)
{
	struct asi_um_tlb *tlb = this_cpu_ptr(&asi_um_tlb);

	lockdep_assert_irqs_disabled();
	asi_um_tlb_run_cr3_hook(tlb, false);
	asi_um_tlb_write_cr3(tlb, cr3);
	asi_um_tlb_run_cr3_hook(tlb, true);
}

/**
 * asi_um_tlb_cr3_hook() - run @hook at the core's next CR3 write
 * @hook: called once, with interrupts off, as an NMI or a fault taken at
 *	that point would run; NULL clears a hook that did not run.
 * @arg: its argument.
 * @after: run it right after the write took effect instead of right
 *	before.
 *
 * Only the core's writes (asi_arch_write_cr3()) run the hook, not the
 * model's own (switch_mm, flushes): a case uses it to put a fault in a
 * window of asi_enter() or the exit path.
 */
void asi_um_tlb_cr3_hook(void (*hook)(void *arg), void *arg, bool after)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	tlb->cr3_hook = hook;
	tlb->cr3_hook_arg = arg;
	tlb->cr3_hook_after = after;
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_cr3_hook);

struct mm_struct *asi_arch_loaded_mm(void)
{
	return this_cpu_read(asi_um_tlb.loaded_mm);
}

int asi_arch_asid_slot(struct mm_struct *mm)
{
	struct asi_um_tlb *tlb = this_cpu_ptr(&asi_um_tlb);

	return asi_um_is_loaded(tlb, mm) ? tlb->loaded_slot : -1;
}

bool asi_arch_has_pcid(void)
{
	return this_cpu_read(asi_um_tlb.pcide);
}

bool asi_arch_has_invpcid(void)
{
	return this_cpu_read(asi_um_tlb.invpcid);
}

/* The core invalidates user addresses only. */
void asi_arch_invpcid_addr(unsigned int slot, int class_id, unsigned long addr)
{
	lockdep_assert_irqs_disabled();
	asi_um_tlb_do_invpcid(this_cpu_ptr(&asi_um_tlb), ASI_UM_INVPCID_ADDR,
			      asi_um_pcid(slot, class_id), addr, true);
}

unsigned long asi_arch_cr3(pgd_t *pgd, int slot, int class_id, bool noflush)
{
	unsigned long cr3 = __pa(pgd);

	if (slot < 0)
		return cr3;
	cr3 |= asi_um_pcid(slot, class_id);
	return noflush ? cr3 | ASI_UM_CR3_NOFLUSH : cr3;
}

void asi_arch_invlpg(unsigned long addr)
{
	lockdep_assert_irqs_disabled();
	asi_um_tlb_do_invlpg(this_cpu_ptr(&asi_um_tlb), addr, true);
}

/* The kernel's own TLB code, as arch/x86/mm/tlb.c does it. */

/*
 * choose_new_asid(): the slot @mm already has on this CPU, else the next
 * one round-robin, which must be flushed since it served another mm.
 */
static unsigned int asi_um_choose_slot(struct asi_um_tlb *tlb,
				       struct mm_struct *mm, bool *need_flush)
{
	unsigned int slot;

	*need_flush = true;
	if (!tlb->pcide)
		return 0;
	for (slot = 0; slot < ASI_ARCH_NR_ASID_SLOTS; slot++) {
		if (tlb->slots[slot].ctx_id == asi_um_ctx_id(mm)) {
			*need_flush = tlb->slots[slot].need_flush;
			return slot;
		}
	}
	slot = tlb->next_slot++;
	if (slot >= ASI_ARCH_NR_ASID_SLOTS) {
		slot = 0;
		tlb->next_slot = 1;
	}
	return slot;
}

static void asi_um_load_mm(struct asi_um_tlb *tlb, struct mm_struct *mm,
			   unsigned int slot, bool need_flush)
{
	unsigned long cr3 = __pa(mm->pgd);

	tlb->loaded_mm = mm;
	tlb->loaded_ctx = asi_um_ctx_id(mm);
	tlb->loaded_slot = slot;
	tlb->slots[slot].ctx_id = asi_um_ctx_id(mm);
	tlb->slots[slot].need_flush = false;
	if (tlb->pcide)
		cr3 |= asi_um_pcid(slot, ASI_NORMAL_SPACE);
	if (need_flush)
		asi_slot_mark_stale(slot);
	else
		cr3 |= ASI_UM_CR3_NOFLUSH;
	asi_um_tlb_write_cr3(tlb, cr3);
}

/**
 * asi_um_switch_mm() - switch_mm(), as the modelled CPU sees it
 * @prev: the mm being left.
 * @next: the mm being loaded.
 *
 * Called from UML's switch_mm() and activate_mm() (exec, unshare), so
 * that the model never holds an mm that was freed.  The restricted space
 * belongs to @prev,
 * so ASI is left first.  @next then gets an ASID slot as on x86: its own,
 * kept, or another mm's, flushed, which also makes the slot's restricted
 * PCIDs stale for the core.
 */
void asi_um_switch_mm(struct mm_struct *prev, struct mm_struct *next)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int slot;
	bool need_flush;

	asi_exit();

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (!asi_um_is_loaded(tlb, next)) {
		slot = asi_um_choose_slot(tlb, next, &need_flush);
		asi_um_load_mm(tlb, next, slot, need_flush);
	}
	local_irq_restore(flags);
}

/**
 * asi_um_flush_tlb_user() - flush_tlb_mm_range() on this CPU
 * @mm: the mm whose mappings changed.
 * @start: first address.
 * @end: end of the range; ~0UL for the whole mm.
 *
 * Called from UML's flush_tlb_page(), flush_tlb_range() and
 * flush_tlb_mm().  As x86 does: ASI is left, so that INVLPG reaches the
 * normal PCID; a short range is invalidated page by page and fanned out
 * to the domains (asi_tlb_flush_one_user()), a long one flushes the whole
 * normal PCID and makes the slot's restricted PCIDs stale.  An mm that is
 * not loaded is flushed when it next is, like x86's tlb_gen check.
 */
void asi_um_flush_tlb_user(struct mm_struct *mm, unsigned long start,
			   unsigned long end)
{
	struct asi_um_tlb *tlb;
	unsigned long flags, addr;
	unsigned int slot;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (!asi_um_is_loaded(tlb, mm)) {
		for (slot = 0; slot < ASI_ARCH_NR_ASID_SLOTS; slot++) {
			if (tlb->slots[slot].ctx_id == asi_um_ctx_id(mm))
				tlb->slots[slot].need_flush = true;
		}
		goto out;
	}

	asi_exit();
	if (end > start && (end - start) >> PAGE_SHIFT <= ASI_UM_FLUSH_CEILING) {
		for (addr = start & PAGE_MASK; addr < end; addr += PAGE_SIZE) {
			asi_um_tlb_do_invlpg(tlb, addr, true);
			asi_tlb_flush_one_user(mm, addr);
		}
	} else {
		/* flush_tlb_local(): reload CR3, flushing its PCID. */
		asi_um_tlb_write_cr3(tlb, tlb->cr3 & ~ASI_UM_CR3_NOFLUSH);
		asi_slot_mark_stale(tlb->loaded_slot);
	}
out:
	local_irq_restore(flags);
}

/**
 * asi_um_flush_tlb_kernel() - flush_tlb_kernel_range() on this CPU
 * @start: first address.
 * @end: end of the range.
 *
 * Called from UML's flush_tlb_kernel_range().  INVLPG drops the global
 * translation of each page (and the loaded PCID's); a long range flushes
 * everything, as x86's flush_tlb_all().
 */
void asi_um_flush_tlb_kernel(unsigned long start, unsigned long end)
{
	struct asi_um_tlb *tlb;
	unsigned long flags, addr;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (end > start && (end - start) >> PAGE_SHIFT <= ASI_UM_FLUSH_CEILING) {
		/*
		 * flush_tlb_one_kernel() is flush_tlb_one_user(), which
		 * leaves ASI first: INVLPG then reaches the normal PCID's
		 * paging-structure caches, never a restricted one's.
		 */
		asi_exit();
		for (addr = start & PAGE_MASK; addr < end; addr += PAGE_SIZE)
			asi_um_tlb_do_invlpg(tlb, addr, false);
	} else {
		asi_um_tlb_drop_everything(tlb);
	}
	local_irq_restore(flags);
}

/*
 * x86's flush_tlb_all() on this CPU: every translation, global ones
 * included, and every paging-structure cache entry (INVPCID type 2).
 * UML is uniprocessor, so this is every CPU's.
 */
void asi_um_tlb_flush_all(void)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_um_tlb_drop_everything(this_cpu_ptr(&asi_um_tlb));
	local_irq_restore(flags);
}

/**
 * asi_um_tlb_get_state() - snapshot this CPU's modelled TLB
 * @state: filled in.
 */
void asi_um_tlb_get_state(struct asi_um_tlb_state *state)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int i;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	*state = (struct asi_um_tlb_state) {
		.cr3 = tlb->cr3,
		.pcide = tlb->pcide,
		.invpcid = tlb->invpcid,
		.slot = tlb->loaded_slot,
		.cr3_writes = tlb->cr3_writes,
		.cr3_noflush = tlb->cr3_noflush,
		.invpcid_addr = tlb->invpcid_addr,
		.invpcid_ctx = tlb->invpcid_ctx,
		.invpcid_all = tlb->invpcid_all,
		.invlpg = tlb->invlpg,
		.fills = tlb->fills,
		.hits = tlb->hits,
		.faults = tlb->faults,
		.psc_hits = tlb->psc_hits,
		.reports = tlb->reports,
	};
	for (i = 0; i < ASI_UM_TLB_ENTRIES; i++)
		state->entries += tlb->entries[i].valid;
	for (i = 0; i < ASI_UM_PSC_ENTRIES; i++)
		state->psc_entries += tlb->psc[i].valid;
	local_irq_restore(flags);
	state->pgd_allocs = atomic_long_read(&asi_um_pgd_allocs);
	state->pgd_frees = atomic_long_read(&asi_um_pgd_frees);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_get_state);

/**
 * asi_um_tlb_set_features() - choose the CPU features the model offers
 * @pcide: CR4.PCIDE.
 * @invpcid: INVPCID support.
 *
 * Turning CR4.PCIDE off flushes the whole TLB on x86, global entries
 * included (turning it on flushes nothing).  The kernel then starts its
 * ASID slots over: the loaded mm gets slot 0, flushed, and every slot's
 * restricted PCIDs are stale for the core.  INVPCID is a CPU feature of
 * its own, but the core only uses it with PCIDs.  Callers must not be in
 * ASI.
 */
void asi_um_tlb_set_features(bool pcide, bool invpcid)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int slot;

	local_irq_save(flags);
	WARN_ON_ONCE(asi_is_restricted());
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (tlb->pcide && !pcide) {
		asi_um_tlb_drop(tlb, -1, true, 0, false, true);
		asi_um_psc_drop(tlb, -1);
	}
	tlb->pcide = pcide;
	tlb->invpcid = invpcid;
	memset(tlb->slots, 0, sizeof(tlb->slots));
	tlb->next_slot = 1;
	for (slot = 0; slot < ASI_ARCH_NR_ASID_SLOTS; slot++)
		asi_slot_mark_stale(slot);
	asi_um_load_mm(tlb, tlb->loaded_mm, 0, true);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_set_features);

/**
 * asi_um_tlb_log() - copy the newest entries of this CPU's log
 * @events: where to copy them, oldest first.
 * @max: room in @events.
 *
 * Return: the number of entries copied.
 */
unsigned int asi_um_tlb_log(struct asi_um_tlb_event *events, unsigned int max)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int n, i;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	n = min3(max, tlb->log_next, (unsigned int)ASI_UM_TLB_LOG_SIZE);
	for (i = 0; i < n; i++)
		events[i] = tlb->log[(tlb->log_next - n + i) % ASI_UM_TLB_LOG_SIZE];
	local_irq_restore(flags);
	return n;
}
EXPORT_SYMBOL_GPL(asi_um_tlb_log);
