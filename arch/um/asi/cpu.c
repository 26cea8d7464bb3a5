// SPDX-License-Identifier: GPL-2.0
/*
 * The modelled x86 CPU: test code that plays, per CPU, the TLB of an x86
 * CPU with PCIDs, so that the shared core's decisions can be checked
 * without a VM.  Part of the UML model of ASI (arch/um/asi/); it protects
 * nothing.
 *
 * QEMU's software emulation has neither PCID nor INVPCID and flushes its
 * whole TLB on every CR3 write, so a missing invalidation in the shared
 * core goes unnoticed there.  This file plays the CPU instead:
 *
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
 * What the page tables say:
 * - user addresses walk the real page table UML keeps for the loaded mm.
 *   A restricted space maps the same user memory (as a domain of the
 *   userspace class would), so that the core's user flush fan-out is
 *   exercised; on x86 the restricted user half is still empty.
 * - direct-map kernel addresses walk the model's own kernel tables
 *   (kpt.c): the normal hierarchy, or the restricted template derived
 *   from it.
 *
 * A report fails the running KUnit case: this is test code.
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

/* The modelled CPU has PCID and INVPCID, as every x86_64 host ASI targets. */
DEFINE_PER_CPU(struct asi_um_tlb, asi_um_tlb) = {
	.loaded_mm = &init_mm,
	.loaded_ctx = 1,
	.next_slot = 1,
	.table = swapper_pg_dir,
	.pcide = true,
	.invpcid = true,
	/* Booting ran in the normal address space. */
	.exposed = ASI_FLUSH_DATA,
};

void asi_um_tlb_record(struct asi_um_tlb *tlb, enum asi_um_tlb_op op,
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
__printf(2, 3) void asi_um_tlb_report(struct asi_um_tlb *tlb,
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

u16 asi_um_tlb_pcid(struct asi_um_tlb *tlb)
{
	return tlb->pcide ? tlb->cr3 & ASI_UM_CR3_PCID_MASK : 0;
}

/* init_mm has none assigned: it is 1, as on x86, and other mms' start at 2. */
u64 asi_um_ctx_id(struct mm_struct *mm)
{
	return mm->context.ctx_id ?: 1;
}

/* By ctx_id too, so that a new mm at a freed mm's address is another mm. */
bool asi_um_is_loaded(struct asi_um_tlb *tlb, struct mm_struct *mm)
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

void asi_um_tlb_drop(struct asi_um_tlb *tlb, int pcid, bool all_addrs,
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
void asi_um_psc_drop(struct asi_um_tlb *tlb, int pcid)
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
void asi_um_tlb_run_cr3_hook(struct asi_um_tlb *tlb, bool after)
{
	void (*hook)(void *arg) = tlb->cr3_hook;

	if (!hook || tlb->cr3_hook_after != after)
		return;
	tlb->cr3_hook = NULL;
	hook(tlb->cr3_hook_arg);
}

/* Name the ASI_FLUSH_* kinds in @flushes, for a report. */
static const char *asi_um_flush_list(unsigned int flushes, char *buf,
				     size_t size)
{
	unsigned long bits = flushes;
	unsigned int bit;
	size_t len = 0;

	buf[0] = '\0';
	for_each_set_bit(bit, &bits, ASI_NR_FLUSHES)
		len += scnprintf(buf + len, size - len, "%s%s", len ? "+" : "",
				 asi_flush_names[bit]);
	return buf;
}

/*
 * The CPU now runs kernel code in the normal address space: it must not
 * do so with predictor state an untrusted context trained, and from here
 * on its caches and buffers may hold any kernel data.
 */
static void asi_um_exposure_normal(struct asi_um_tlb *tlb)
{
	char names[32];

	if (tlb->trained)
		asi_um_tlb_report(tlb,
				  "CPU %d: kernel code runs unrestricted after an untrusted context with %s not flushed",
				  smp_processor_id(),
				  asi_um_flush_list(tlb->trained, names,
						    sizeof(names)));
	tlb->trained = 0;
	tlb->exposed = ASI_FLUSH_DATA;
}

/**
 * asi_um_run_untrusted() - the CPU runs the untrusted context of its domain
 * @tlb: this CPU's.
 *
 * It must run restricted, without kernel data in the CPU state the
 * policy of its class flushes; from here on the predictor state the
 * policy flushes is the untrusted context's.
 */
void asi_um_run_untrusted(struct asi_um_tlb *tlb)
{
	const struct asi_class_ops *ops;
	char names[32];
	unsigned int left;

	tlb->untrusted_runs++;
	asi_um_tlb_record(tlb, ASI_UM_TLB_UNTRUSTED, 0, 0);
	if (!tlb->table_asi) {
		/* Reported once: what it trains is part of the same bug. */
		asi_um_tlb_report(tlb,
				  "CPU %d: an untrusted context runs in the normal address space",
				  smp_processor_id());
		return;
	}
	ops = asi_class_ops(tlb->table_asi->class_id);
	left = tlb->exposed & ops->flush_data;
	if (left)
		asi_um_tlb_report(tlb,
				  "CPU %d: the untrusted context of class %s runs with kernel data in %s not flushed",
				  smp_processor_id(), ops->name,
				  asi_um_flush_list(left, names, sizeof(names)));
	tlb->trained |= ops->flush_control;
}

/* A flush of CPU state: the kinds in @flush no longer hold anything. */
void asi_um_flush(struct asi_um_tlb *tlb, unsigned int flush)
{
	tlb->flushes[__ffs(flush)]++;
	if (!((tlb->exposed | tlb->trained) & flush))
		tlb->needless_flushes++;
	asi_um_tlb_record(tlb, ASI_UM_TLB_FLUSH, flush, 0);
	tlb->exposed &= ~flush;
	tlb->trained &= ~flush;
}

void asi_um_tlb_write_cr3(struct asi_um_tlb *tlb, unsigned long cr3)
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
	if (!tlb->table_asi)
		asi_um_exposure_normal(tlb);

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
void asi_um_tlb_drop_everything(struct asi_um_tlb *tlb)
{
	tlb->invpcid_all++;
	asi_um_tlb_drop(tlb, -1, true, 0, false, true);
	asi_um_psc_drop(tlb, -1);
}

void asi_um_tlb_do_invlpg(struct asi_um_tlb *tlb, unsigned long addr,
			  bool user)
{
	tlb->invlpg++;
	asi_um_tlb_record(tlb, ASI_UM_TLB_INVLPG, asi_um_tlb_pcid(tlb), addr);
	/* The loaded PCID's entry and any global one for the address. */
	asi_um_tlb_drop(tlb, asi_um_tlb_pcid(tlb), false, addr, user, true);
	asi_um_psc_drop(tlb, asi_um_tlb_pcid(tlb));
}

void asi_um_tlb_do_invpcid(struct asi_um_tlb *tlb,
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

struct asi_um_tlb_entry *asi_um_tlb_find(struct asi_um_tlb *tlb,
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

/* An access from the code at @ip (which a fault exit reports). */
static int asi_um_access(unsigned long addr, bool user, bool write,
			 unsigned long *pfn, unsigned long ip)
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
		/* x86's error code: present (a protection fault), write. */
		if (tlb->table_asi &&
		    asi_handle_fault(addr, ip,
				     (w.present ? 1 : 0) | (write ? 2 : 0)))
			goto retry;
		ret = -EFAULT;
	}
out:
	local_irq_restore(flags);
	return ret;
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
	return asi_um_access(addr, user, false, pfn, _RET_IP_);
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
	return asi_um_access(addr, user, write, pfn, _RET_IP_);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_access_rw);
