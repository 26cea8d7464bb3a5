// SPDX-License-Identifier: GPL-2.0
/*
 * UML only: the TLB model (arch/um/asi/cpu.c) and what it proves.
 *
 * asi_um_model: each operation of the modelled CPU checked against the
 * x86 rules, and the stale-translation check shown to fire.
 *
 * asi_um_scenarios: the shared core driven through real mm operations
 * (mmap, zapping pages, mm teardown and ASID slot reuse, sensitive
 * allocations) while the model checks every access.  Each flush the core
 * issues is a parameter of broken_flush_is_reported, which stubs exactly
 * that flush out and asserts that the model reports the stale translation
 * left behind: a model that cannot fail would prove nothing.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mm_types.h>
#include <linux/preempt.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <asm/tlbflush.h>

#include "asi_kunit.h"

/* Where the cases map user memory: a fixed address every mm has free. */
#define USER_ADDR	0x10000000UL
/* More pages than a ranged flush does one by one (x86's ceiling, 33). */
#define LONG_RANGE	40

/* Two PCIDs no mm or domain is given (those are 1-6 and 0x1xx-0x3xx). */
#define PCID_A		0x21
#define PCID_B		0x22

static struct asi_um_tlb_state tlb_state(void)
{
	struct asi_um_tlb_state st;

	asi_um_tlb_get_state(&st);
	return st;
}

static u16 loaded_pcid(void)
{
	return tlb_state().cr3 & ASI_UM_CR3_PCID_MASK;
}

/* Access through the model, with preemption off around it. */
static int access_addr(unsigned long addr, bool user, unsigned long *pfn)
{
	int ret;

	preempt_disable();
	ret = asi_um_tlb_access(addr, user, pfn);
	preempt_enable();
	return ret;
}

static unsigned long user_pfn(struct kunit *test)
{
	unsigned long pfn = 0;

	KUNIT_EXPECT_EQ(test, access_addr(USER_ADDR, true, &pfn), 0);
	return pfn;
}

/* Load @mm's normal page table with @pcid, as the self-tests do by hand. */
static void load_cr3(pgd_t *pgd, u16 pcid, bool noflush)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_arch_write_cr3(__pa(pgd) | pcid | (noflush ? ASI_UM_CR3_NOFLUSH : 0));
	local_irq_restore(flags);
}

/* @npages of anonymous memory at USER_ADDR of current->mm, faulted in. */
static void map_user(struct kunit *test, unsigned long npages)
{
	unsigned long addr;

	addr = vm_mmap(NULL, USER_ADDR, npages * PAGE_SIZE,
		       PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE,
		       0);
	KUNIT_ASSERT_EQ(test, addr, USER_ADDR);
}

static struct mm_struct *mm_with_user_page(struct kunit *test,
					   struct asi **asi)
{
	struct mm_struct *mm = asi_kunit_mm_with_test_domain(test, asi);

	map_user(test, 1);
	return mm;
}

/*
 * Every case ends with the model as it found it: nothing cached that a
 * broken case left stale, reports failing cases again, and the default
 * CPU features with fresh ASID slots.
 */
static void model_case_exit(struct kunit *test)
{
	asi_exit();
	asi_um_tlb_set_features(true, true);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_ALL_INCL_GLOBAL, 0, 0, false);
	asi_um_tlb_expect_reports(false);
	asi_kunit_case_exit(test);
}

/*
 * Reports a case provokes on purpose: counted from reports_begin() to
 * reports_collect(), which may both run in atomic context, and checked by
 * reports_check(), which may not.
 */
struct report_check {
	unsigned long reports;
	char text[192];
};

static void reports_begin(struct report_check *rc)
{
	rc->reports = tlb_state().reports;
	asi_um_tlb_expect_reports(true);
}

static void reports_collect(struct report_check *rc)
{
	asi_um_tlb_expect_reports(false);
	rc->reports = tlb_state().reports - rc->reports;
	asi_um_tlb_last_report(rc->text, sizeof(rc->text));
}

/* Expect at least one report, the last one containing each of @parts. */
static void reports_check(struct kunit *test, struct report_check *rc,
			  const char *const *parts, int nparts)
{
	int i;

	KUNIT_ASSERT_GT_MSG(test, rc->reports, 0, "the model reported nothing");
	for (i = 0; i < nparts; i++)
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(rc->text, parts[i]),
					  "\"%s\" not in report: %s", parts[i],
					  rc->text);
}

static void reports_end(struct kunit *test, struct report_check *rc,
			const char *const *parts, int nparts)
{
	reports_collect(rc);
	reports_check(test, rc, parts, nparts);
}

/*
 * Model self-tests.
 */

/*
 * The self-tests' set-up: an mm with a domain and a user page, a kernel
 * buffer at *@kaddr, and the mm's normal page table loaded with PCID_A.
 * With @cache, USER_ADDR and *@kaddr are then accessed (cached).
 */
static struct mm_struct *model_setup(struct kunit *test, unsigned long *kaddr,
				     bool cache)
{
	struct mm_struct *mm;
	unsigned long pfn;
	struct asi *asi;

	mm = mm_with_user_page(test, &asi);
	*kaddr = (unsigned long)kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NE(test, *kaddr, 0);
	load_cr3(mm->pgd, PCID_A, false);
	if (cache) {
		user_pfn(test);
		access_addr(*kaddr, false, &pfn);
	}
	return mm;
}

/* A walk fills an entry, the next access hits it; kernel ones are global. */
static void model_fill_and_hit(struct kunit *test)
{
	unsigned long pfn2, upfn;
	int ret[3];
	struct asi_um_tlb_state before, after;
	unsigned long kaddr, pfn;
	struct mm_struct *mm;

	mm = model_setup(test, &kaddr, false);
	/* Preemption off: no other task's kernel TLB flush in between. */
	preempt_disable();
	before = tlb_state();
	ret[0] = asi_um_tlb_access(kaddr, false, &pfn);
	ret[1] = asi_um_tlb_access(kaddr, false, &pfn2);
	ret[2] = asi_um_tlb_access(USER_ADDR, true, &upfn);
	after = tlb_state();
	preempt_enable();
	KUNIT_EXPECT_EQ(test, ret[0], 0);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	KUNIT_EXPECT_EQ(test, ret[2], 0);
	KUNIT_EXPECT_EQ(test, pfn, __pa(kaddr) >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, pfn2, pfn);
	KUNIT_EXPECT_NE(test, upfn, 0);
	KUNIT_EXPECT_EQ(test, after.fills - before.fills, 2);
	KUNIT_EXPECT_EQ(test, after.hits - before.hits, 1);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_B, kaddr, false),
			ASI_UM_TLB_GLOBAL);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, USER_ADDR, true),
			ASI_UM_TLB_LOCAL);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_B, USER_ADDR, true),
			ASI_UM_TLB_NONE);
	/* Unmapped user memory is never cached. */
	KUNIT_EXPECT_EQ(test, access_addr(USER_ADDR + PAGE_SIZE, true, &pfn),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, USER_ADDR + PAGE_SIZE,
						true), ASI_UM_TLB_NONE);
	/* Outside the direct map is outside the model. */
	KUNIT_EXPECT_EQ(test, access_addr(0, false, &pfn), -EINVAL);
	asi_kunit_mm_release(mm);
}

/*
 * The set is bounded: more pages than entries evict the oldest.  Kernel
 * translations cover the page their leaf maps, up to 2M here, so the
 * addresses are 2M apart.
 */
static void model_bounded(struct kunit *test)
{
	const unsigned int n = 2 * ASI_UM_TLB_ENTRIES;
	struct mm_struct *mm;
	unsigned long pfn;
	struct asi *asi;
	unsigned int i;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	load_cr3(mm->pgd, PCID_A, false);
	for (i = 0; i < n; i++)
		access_addr((unsigned long)__va(i * SZ_2M), false, &pfn);
	KUNIT_EXPECT_EQ(test, tlb_state().entries, ASI_UM_TLB_ENTRIES);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A,
						(unsigned long)__va(0), false),
			ASI_UM_TLB_NONE);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A,
						(unsigned long)__va((n - 1) * SZ_2M),
						false),
			ASI_UM_TLB_GLOBAL);
	asi_kunit_mm_release(mm);
}

/*
 * Paging-structure caches: a kernel walk caches its upper levels in the
 * loaded PCID, never globally; a walk near it starts from them; INVLPG
 * drops every entry of the loaded PCID, INVPCID type 0 and 1 every entry
 * of theirs, types 2 and 3 all, and a CR3 write without the no-flush bit
 * those of the PCID it loads.
 */
static void model_psc(struct kunit *test)
{
	unsigned long k1 = (unsigned long)__va(0), k2 = (unsigned long)__va(SZ_1G);
	struct asi_um_tlb_state st;
	unsigned int in_a, in_ab;
	struct mm_struct *mm;
	unsigned long pfn;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	load_cr3(mm->pgd, PCID_A, false);
	KUNIT_EXPECT_EQ(test, tlb_state().psc_entries, 0);
	access_addr(k1, false, &pfn);
	in_a = tlb_state().psc_entries;
	KUNIT_EXPECT_GE(test, in_a, 2);
	/* Another 2M page under the same tables: the walk starts cached. */
	st = tlb_state();
	access_addr(k1 + SZ_2M, false, &pfn);
	KUNIT_EXPECT_EQ(test, tlb_state().psc_hits - st.psc_hits, 1);

	load_cr3(mm->pgd, PCID_B, true);
	access_addr(k2, false, &pfn);
	in_ab = tlb_state().psc_entries;
	KUNIT_EXPECT_GT(test, in_ab, in_a);
	asi_um_tlb_invlpg(k1, false);
	KUNIT_EXPECT_EQ(test, tlb_state().psc_entries, in_a);
	load_cr3(mm->pgd, PCID_A, false);
	KUNIT_EXPECT_EQ(test, tlb_state().psc_entries, 0);

	access_addr(k2 + SZ_2M, false, &pfn);
	in_a = tlb_state().psc_entries;
	KUNIT_EXPECT_GE(test, in_a, 2);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_SINGLE_CTX, PCID_B, 0, false);
	KUNIT_EXPECT_EQ(test, tlb_state().psc_entries, in_a);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_ADDR, PCID_A, USER_ADDR, true);
	KUNIT_EXPECT_EQ(test, tlb_state().psc_entries, 0);
	access_addr(k2 + 2 * SZ_2M, false, &pfn);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_ALL_NON_GLOBAL, 0, 0, false);
	KUNIT_EXPECT_EQ(test, tlb_state().psc_entries, 0);
	asi_kunit_mm_release(mm);
}

/*
 * CR3 writes: without the no-flush bit the new PCID's non-global entries
 * go; with it they stay; other PCIDs and global entries are untouched.
 */
static void model_cr3_write(struct kunit *test)
{
	struct mm_struct *mm;
	unsigned long kaddr;

	mm = model_setup(test, &kaddr, true);
	load_cr3(mm->pgd, PCID_B, true);
	KUNIT_EXPECT_EQ(test, loaded_pcid(), PCID_B);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, USER_ADDR, true),
			ASI_UM_TLB_LOCAL);
	user_pfn(test);
	load_cr3(mm->pgd, PCID_A, true);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, USER_ADDR, true),
			ASI_UM_TLB_LOCAL);
	load_cr3(mm->pgd, PCID_A, false);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, USER_ADDR, true),
			ASI_UM_TLB_NONE);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_B, USER_ADDR, true),
			ASI_UM_TLB_LOCAL);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, kaddr, false),
			ASI_UM_TLB_GLOBAL);
	asi_kunit_mm_release(mm);
}

/*
 * CR4.PCIDE off: turning it off flushes everything, every CR3 write then
 * flushes all non-global entries, the no-flush bit is invalid, and so is
 * INVPCID of any PCID but 0 (the all-context types stay legal).
 */
static void model_pcid_off(struct kunit *test)
{
	static const char *const parts[] = { "CR4.PCIDE is off" };
	static const char *const gp[] = { "PCIDE is off (#GP)" };
	struct report_check rc;
	unsigned long reports;
	struct mm_struct *mm;
	unsigned long kaddr, pfn;

	mm = model_setup(test, &kaddr, true);

	asi_um_tlb_set_features(false, true);
	KUNIT_EXPECT_EQ(test, tlb_state().cr3, __pa(mm->pgd));
	KUNIT_EXPECT_EQ(test, tlb_state().entries, 0);
	user_pfn(test);
	access_addr(kaddr, false, &pfn);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(0, USER_ADDR, true),
			ASI_UM_TLB_LOCAL);
	load_cr3(mm->pgd, 0, false);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(0, USER_ADDR, true),
			ASI_UM_TLB_NONE);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(0, kaddr, false),
			ASI_UM_TLB_GLOBAL);

	reports_begin(&rc);
	load_cr3(mm->pgd, 0, true);
	reports_end(test, &rc, parts, ARRAY_SIZE(parts));

	reports = tlb_state().reports;
	asi_um_tlb_invpcid(ASI_UM_INVPCID_ALL_NON_GLOBAL, 0, 0, false);
	KUNIT_EXPECT_EQ(test, tlb_state().reports, reports);
	reports_begin(&rc);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_SINGLE_CTX, PCID_A, 0, false);
	reports_end(test, &rc, gp, ARRAY_SIZE(gp));
	asi_kunit_mm_release(mm);
}

/* INVLPG: the loaded PCID's entry and the global one, no other PCID's. */
static void model_invlpg(struct kunit *test)
{
	struct mm_struct *mm;
	unsigned long kaddr;

	mm = model_setup(test, &kaddr, true);
	load_cr3(mm->pgd, PCID_B, false);
	user_pfn(test);

	asi_um_tlb_invlpg(USER_ADDR, true);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_B, USER_ADDR, true),
			ASI_UM_TLB_NONE);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, USER_ADDR, true),
			ASI_UM_TLB_LOCAL);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_B, kaddr, false),
			ASI_UM_TLB_GLOBAL);
	asi_um_tlb_invlpg(kaddr, false);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, kaddr, false),
			ASI_UM_TLB_NONE);
	asi_kunit_mm_release(mm);
}

/* Cache USER_ADDR in PCID_A and PCID_B and @kaddr globally. */
static void fill_two_pcids(struct kunit *test, struct mm_struct *mm,
			   unsigned long kaddr)
{
	unsigned long pfn;

	load_cr3(mm->pgd, PCID_A, true);
	user_pfn(test);
	access_addr(kaddr, false, &pfn);
	load_cr3(mm->pgd, PCID_B, true);
	user_pfn(test);
}

static void expect_held(struct kunit *test, unsigned long kaddr,
			enum asi_um_tlb_hold a, enum asi_um_tlb_hold b,
			enum asi_um_tlb_hold k)
{
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, USER_ADDR, true), a);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_B, USER_ADDR, true), b);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(PCID_A, kaddr, false), k);
}

/*
 * INVPCID: type 0 one address in one PCID, type 1 one PCID, type 2
 * everything, type 3 everything but global entries.  Only type 2 drops
 * global entries.  A CPU without INVPCID reports its use.
 */
static void model_invpcid(struct kunit *test)
{
	static const char *const parts[] = { "without INVPCID" };
	const enum asi_um_tlb_hold L = ASI_UM_TLB_LOCAL, N = ASI_UM_TLB_NONE,
				   G = ASI_UM_TLB_GLOBAL;
	struct asi_um_tlb_state before = tlb_state();
	struct report_check rc;
	struct mm_struct *mm;
	unsigned long kaddr;

	mm = model_setup(test, &kaddr, false);
	fill_two_pcids(test, mm, kaddr);
	expect_held(test, kaddr, L, L, G);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_ADDR, PCID_A, USER_ADDR, true);
	expect_held(test, kaddr, N, L, G);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_ADDR, PCID_A, kaddr, false);
	expect_held(test, kaddr, N, L, G);

	fill_two_pcids(test, mm, kaddr);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_SINGLE_CTX, PCID_B, 0, false);
	expect_held(test, kaddr, L, N, G);

	fill_two_pcids(test, mm, kaddr);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_ALL_NON_GLOBAL, 0, 0, false);
	expect_held(test, kaddr, N, N, G);

	fill_two_pcids(test, mm, kaddr);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_ALL_INCL_GLOBAL, 0, 0, false);
	expect_held(test, kaddr, N, N, N);
	KUNIT_EXPECT_EQ(test, tlb_state().invpcid_addr - before.invpcid_addr, 2);
	KUNIT_EXPECT_EQ(test, tlb_state().invpcid_ctx - before.invpcid_ctx, 1);

	asi_um_tlb_set_features(true, false);
	reports_begin(&rc);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_SINGLE_CTX, PCID_A, 0, false);
	reports_end(test, &rc, parts, ARRAY_SIZE(parts));
	asi_kunit_mm_release(mm);
}

/*
 * The stale-translation check itself: a PTE edited without a flush, both
 * cleared and pointed elsewhere, a PCID used for a second page table, and
 * a CR3 pointing to a table the mm does not have.
 */
static void model_stale_check(struct kunit *test)
{
	struct page *other = alloc_page(GFP_KERNEL);
	char pcid_a[16], where[32], pfns[48];
	const char *const unmapped[] = { pcid_a, where, "now unmapped" };
	const char *const changed[] = { pcid_a, where, pfns };
	const char *const shared[] = { pcid_a, "another page table" };
	const char *const unknown[] = { "neither" };
	unsigned long pfn, pfn2, old_pfn;
	struct report_check rc, rc2;
	struct mm_struct *mm;
	struct asi *asi;
	int ret;
	spinlock_t *ptl;	/* the PTE's, held while it is edited */
	pte_t *ptep, old;

	KUNIT_ASSERT_NOT_NULL(test, other);
	mm = mm_with_user_page(test, &asi);
	snprintf(pcid_a, sizeof(pcid_a), "PCID %#x", PCID_A);
	snprintf(where, sizeof(where), "address %#lx", USER_ADDR);
	load_cr3(mm->pgd, PCID_A, false);
	old_pfn = user_pfn(test);
	snprintf(pfns, sizeof(pfns), "cached pfn %#lx, the normal page table now maps pfn %#lx",
		 old_pfn, page_to_pfn(other));

	ptep = get_locked_pte(mm, USER_ADDR, &ptl);
	KUNIT_ASSERT_NOT_NULL(test, ptep);
	old = ptep_get(ptep);
	pte_clear(mm, USER_ADDR, ptep);
	reports_begin(&rc);
	ret = asi_um_tlb_access(USER_ADDR, true, &pfn);
	reports_collect(&rc);

	set_pte_at(mm, USER_ADDR, ptep, pfn_pte(page_to_pfn(other),
						PAGE_SHARED));
	reports_begin(&rc2);
	asi_um_tlb_access(USER_ADDR, true, &pfn2);
	reports_collect(&rc2);
	set_pte_at(mm, USER_ADDR, ptep, old);
	pte_unmap_unlock(ptep, ptl);

	/* The stale translation was used, and reported. */
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, pfn, old_pfn);
	KUNIT_EXPECT_EQ(test, pfn2, old_pfn);
	reports_check(test, &rc, unmapped, ARRAY_SIZE(unmapped));
	reports_check(test, &rc2, changed, ARRAY_SIZE(changed));

	reports_begin(&rc);
	load_cr3(asi->pgd, PCID_A, true);
	access_addr(USER_ADDR, true, &pfn);
	reports_end(test, &rc, shared, ARRAY_SIZE(shared));

	reports_begin(&rc);
	load_cr3(page_address(other), PCID_B, false);
	reports_end(test, &rc, unknown, ARRAY_SIZE(unknown));
	load_cr3(mm->pgd, PCID_A, false);

	asi_kunit_mm_release(mm);
	__free_page(other);
}

/*
 * Inside a domain a sensitive page is unmapped: the access faults, the
 * core leaves ASI, and the retry reaches the page through a non-global
 * entry of the normal PCID.  Other kernel memory hits the global entry.
 */
static void model_fault_exit(struct kunit *test)
{
	bool inside[2];
	int ret[2];
	struct page *page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	struct asi_class_stats before, after;
	unsigned long addr, kaddr, pfn;
	struct mm_struct *mm;
	struct asi *asi;
	u16 normal;

	KUNIT_ASSERT_NOT_NULL(test, page);
	addr = (unsigned long)page_address(page);
	kaddr = (unsigned long)kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NE(test, kaddr, 0);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	normal = loaded_pcid();
	access_addr(kaddr, false, &pfn);

	asi_get_class_stats(ASI_CLASS_TEST, &before);
	preempt_disable();
	asi_enter(asi);
	ret[0] = asi_um_tlb_access(kaddr, false, &pfn);
	inside[0] = asi_is_restricted();
	ret[1] = asi_um_tlb_access(addr, false, &pfn);
	inside[1] = asi_is_restricted();
	asi_exit();
	preempt_enable();
	asi_get_class_stats(ASI_CLASS_TEST, &after);
	KUNIT_EXPECT_EQ(test, ret[0], 0);
	KUNIT_EXPECT_TRUE(test, inside[0]);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	KUNIT_EXPECT_FALSE(test, inside[1]);
	KUNIT_EXPECT_EQ(test, pfn, page_to_pfn(page));
	KUNIT_EXPECT_EQ(test, after.fault_exits - before.fault_exits, 1);
	KUNIT_EXPECT_EQ(test, loaded_pcid(), normal);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(normal, addr, false),
			ASI_UM_TLB_LOCAL);
	asi_kunit_mm_release(mm);
	asi_free_sensitive_pages(page, 0);
}

static struct kunit_case asi_um_model_cases[] = {
	KUNIT_CASE(model_fill_and_hit),
	KUNIT_CASE(model_bounded),
	KUNIT_CASE(model_psc),
	KUNIT_CASE(model_cr3_write),
	KUNIT_CASE(model_pcid_off),
	KUNIT_CASE(model_invlpg),
	KUNIT_CASE(model_invpcid),
	KUNIT_CASE(model_stale_check),
	KUNIT_CASE(model_fault_exit),
	{}
};

static struct kunit_suite asi_um_model_suite = {
	.name = "asi_um_model",
	.suite_init = asi_kunit_backend_suite_init,
	.suite_exit = asi_kunit_backend_suite_exit,
	.init = asi_kunit_backend_case_init,
	.exit = model_case_exit,
	.test_cases = asi_um_model_cases,
};

/*
 * Scenarios: the core and the kernel's mm code, checked by the model.
 *
 * Each scenario takes a probe: in scenario_stays_clean it asserts what a
 * correct core gives; in broken_flush_is_reported one flush is stubbed
 * out, the assertions are off and the model must report the stale
 * translation at the PCID and address the probe names.
 */
struct probe {
	bool broken;
	u16 pcid;
	unsigned long addr;
};

/* An expectation of the plain run; @a and @b must have no side effects. */
#define CHECK_EQ(test, p, a, b) do {				\
		if (!(p)->broken)				\
			KUNIT_EXPECT_EQ(test, a, b);		\
	} while (0)

static u16 domain_pcid(struct asi *asi)
{
	return asi_um_pcid(tlb_state().slot, asi->class_id);
}

/* Enter @asi, access USER_ADDR, leave; the access's result. */
static int access_in_domain(struct asi *asi, unsigned long *pfn)
{
	int ret;

	preempt_disable();
	asi_enter(asi);
	ret = asi_um_tlb_access(USER_ADDR, true, pfn);
	asi_exit();
	preempt_enable();
	return ret;
}

static const struct asi_class_ops userspace_ops = { .name = "um-userspace" };

static int scenarios_suite_init(struct kunit_suite *suite)
{
	int err = asi_kunit_backend_suite_init(suite);

	if (err || !asi_enabled())
		return err;
	err = asi_register_class(ASI_CLASS_USERSPACE, &userspace_ops);
	if (err)
		asi_kunit_backend_suite_exit(suite);
	return err;
}

static void scenarios_suite_exit(struct kunit_suite *suite)
{
	if (asi_enabled())
		asi_unregister_class(ASI_CLASS_USERSPACE);
	asi_kunit_backend_suite_exit(suite);
}

/*
 * Two domains of one mm and a domain of another mm: every address space
 * has its own PCID, the mms' translations never mix, and an mm that kept
 * its ASID slot finds its entries again (no flush).
 */
static void scenario_domains_and_mms(struct kunit *test)
{
	unsigned long pfn_in[2];
	enum asi_um_tlb_hold held[3];
	int ret[2], i;
	u16 pcid[3];
	unsigned long pfn_a, pfn_b, pfn;
	struct asi *test_a, *user_a, *test_b;
	struct mm_struct *a, *b;
	unsigned long hits;

	b = mm_with_user_page(test, &test_b);
	pfn_b = user_pfn(test);
	asi_kunit_mm_unuse(b);
	a = mm_with_user_page(test, &test_a);
	KUNIT_ASSERT_EQ(test, asi_init(a, ASI_CLASS_USERSPACE, &user_a), 0);
	pfn_a = user_pfn(test);
	KUNIT_EXPECT_NE(test, pfn_a, pfn_b);

	preempt_disable();
	asi_enter(test_a);
	ret[0] = asi_um_tlb_access(USER_ADDR, true, &pfn_in[0]);
	asi_enter(user_a);
	ret[1] = asi_um_tlb_access(USER_ADDR, true, &pfn_in[1]);
	asi_exit();
	pcid[0] = domain_pcid(test_a);
	pcid[1] = domain_pcid(user_a);
	pcid[2] = loaded_pcid();
	for (i = 0; i < 3; i++)
		held[i] = asi_um_tlb_cached(pcid[i], USER_ADDR, true);
	preempt_enable();
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, ret[i], 0);
		KUNIT_EXPECT_EQ(test, pfn_in[i], pfn_a);
	}
	/* Three address spaces, three PCIDs, each holding the page. */
	KUNIT_EXPECT_NE(test, pcid[0], pcid[1]);
	KUNIT_EXPECT_NE(test, pcid[0], pcid[2]);
	KUNIT_EXPECT_NE(test, pcid[1], pcid[2]);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, held[i], ASI_UM_TLB_LOCAL);

	asi_kunit_mm_unuse(a);
	asi_kunit_mm_use(b);
	KUNIT_EXPECT_EQ(test, access_in_domain(test_b, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, pfn_b);
	asi_kunit_mm_unuse(b);

	asi_kunit_mm_use(a);
	hits = tlb_state().hits;
	KUNIT_EXPECT_EQ(test, access_in_domain(test_a, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, pfn_a);
	KUNIT_EXPECT_EQ(test, tlb_state().hits - hits, 1);
	KUNIT_EXPECT_TRUE(test, tlb_state().cr3 & ASI_UM_CR3_NOFLUSH);
	asi_kunit_mm_release(a);
	asi_kunit_mm_put(b);
}

/*
 * A user page replaced (zapped, then faulted in again while the
 * old page is pinned, so its frame cannot come back; the VMA stays, so
 * the kernel's flush is the one page's): the kernel's flush
 * reaches the domain's PCID by INVPCID (asi_flush_pcid_addr()).
 */
static void user_page_changed(struct kunit *test, struct probe *p)
{
	unsigned long old_pfn, new_pfn, pfn = 0;
	struct mm_struct *mm;
	struct asi *asi;
	struct page *old;

	mm = mm_with_user_page(test, &asi);
	old_pfn = user_pfn(test);
	KUNIT_EXPECT_EQ(test, access_in_domain(asi, &pfn), 0);
	old = pfn_to_page(old_pfn);
	get_page(old);
	asi_kunit_zap_user(test, mm, USER_ADDR, 1);
	mm_populate(USER_ADDR, PAGE_SIZE);
	new_pfn = user_pfn(test);
	KUNIT_EXPECT_NE(test, new_pfn, old_pfn);
	p->pcid = domain_pcid(asi);
	p->addr = USER_ADDR;
	KUNIT_EXPECT_EQ(test, access_in_domain(asi, &pfn), 0);
	CHECK_EQ(test, p, pfn, new_pfn);
	put_page(old);
	asi_kunit_mm_release(mm);
}

/*
 * @npages at USER_ADDR cached in the domain's PCID, then unmapped by the
 * kernel (while @mm is not loaded, if @elsewhere); the next access from
 * inside the domain must fault, not find the old page.
 */
static void user_unmapped(struct kunit *test, struct probe *p,
			  unsigned long npages, bool invpcid, bool elsewhere)
{
	struct mm_struct *mm;
	unsigned long pfn;
	struct asi *asi;
	int ret;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	map_user(test, npages);
	asi_um_tlb_set_features(true, invpcid);
	KUNIT_EXPECT_EQ(test, access_in_domain(asi, &pfn), 0);
	if (elsewhere)
		asi_kunit_mm_unuse(mm);
	asi_kunit_zap_user(test, mm, USER_ADDR, npages);
	if (elsewhere)
		asi_kunit_mm_use(mm);
	p->pcid = domain_pcid(asi);
	p->addr = USER_ADDR;
	ret = access_in_domain(asi, &pfn);
	CHECK_EQ(test, p, ret, -EFAULT);
	asi_kunit_mm_release(mm);
}

/*
 * Without INVPCID: the domain is not loaded during the kernel's flush, so
 * its PCID is flushed on the next entry instead (asi_pcid_mark_stale()).
 */
static void user_page_unmapped_no_invpcid(struct kunit *test, struct probe *p)
{
	user_unmapped(test, p, 1, false, false);
}

/*
 * While the mm is not loaded on this CPU: when it is loaded again its
 * slot is flushed (x86's tlb_gen check) and the core is told the slot's
 * restricted PCIDs are stale (asi_slot_mark_stale()).
 */
static void user_page_unmapped_elsewhere(struct kunit *test, struct probe *p)
{
	user_unmapped(test, p, 1, true, true);
}

/*
 * A long range: the kernel flushes the whole normal PCID and the core is
 * told the slot's restricted PCIDs are stale (asi_slot_mark_stale()), so
 * the next entry flushes.
 */
static void user_range_unmapped(struct kunit *test, struct probe *p)
{
	user_unmapped(test, p, LONG_RANGE, true, false);
}

/*
 * Without INVPCID, a user flush while the domain is loaded: INVLPG in the
 * loaded PCID (asi_flush_loaded_addr()).  The kernel's own flush path
 * always leaves ASI first, so the PTE is edited by hand here, under its
 * lock, and put back before the case ends.
 */
static void user_page_changed_while_inside(struct kunit *test,
					   struct probe *p)
{
	struct page *other = alloc_page(GFP_KERNEL);
	unsigned long old_pfn, pfn[2];
	struct mm_struct *mm;
	struct asi *asi;
	int ret[2];
	spinlock_t *ptl;	/* the PTE's, held while it is edited */
	pte_t *ptep, old;

	KUNIT_ASSERT_NOT_NULL(test, other);
	mm = mm_with_user_page(test, &asi);
	asi_um_tlb_set_features(true, false);
	ptep = get_locked_pte(mm, USER_ADDR, &ptl);
	KUNIT_ASSERT_NOT_NULL(test, ptep);
	old = ptep_get(ptep);
	old_pfn = pte_pfn(old);

	asi_enter(asi);
	ret[0] = asi_um_tlb_access(USER_ADDR, true, &pfn[0]);
	set_pte_at(mm, USER_ADDR, ptep, pfn_pte(page_to_pfn(other),
						PAGE_SHARED));
	asi_tlb_flush_one_user(mm, USER_ADDR);
	p->pcid = domain_pcid(asi);
	p->addr = USER_ADDR;
	ret[1] = asi_um_tlb_access(USER_ADDR, true, &pfn[1]);
	set_pte_at(mm, USER_ADDR, ptep, old);
	asi_tlb_flush_one_user(mm, USER_ADDR);
	asi_exit();
	pte_unmap_unlock(ptep, ptl);

	KUNIT_EXPECT_EQ(test, ret[0], 0);
	KUNIT_EXPECT_EQ(test, pfn[0], old_pfn);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	CHECK_EQ(test, p, pfn[1], page_to_pfn(other));

	asi_kunit_mm_release(mm);
	__free_page(other);
}

/*
 * An mm torn down, and its ASID slot handed to a new mm that maps other
 * memory at the same address: the new mm's first entry into its domain
 * must flush the PCID (asi_slot_mark_stale(), asi_pcid_mark_fresh()).
 */
static void slot_reused(struct kunit *test, struct probe *p)
{
	struct mm_struct *mm, *next = NULL, *others[2 * ASI_ARCH_NR_ASID_SLOTS];
	unsigned long pfn, old_pfn, new_pfn, entry_cr3;
	unsigned int slot, n = 0;
	struct asi *asi;
	int ret;

	mm = mm_with_user_page(test, &asi);
	slot = tlb_state().slot;
	KUNIT_EXPECT_EQ(test, access_in_domain(asi, &old_pfn), 0);
	asi_kunit_mm_release(mm);

	/* New mms take slots round-robin until one is given @slot. */
	while (n < ARRAY_SIZE(others)) {
		others[n] = asi_kunit_mm_new(test);
		asi_kunit_mm_use(others[n]);
		if (tlb_state().slot == slot) {
			next = others[n++];
			break;
		}
		asi_kunit_mm_unuse(others[n++]);
	}
	KUNIT_ASSERT_NOT_NULL(test, next);
	KUNIT_ASSERT_EQ(test, asi_init(next, ASI_CLASS_TEST, &asi), 0);
	map_user(test, 1);

	p->pcid = domain_pcid(asi);
	p->addr = USER_ADDR;
	preempt_disable();
	asi_enter(asi);
	entry_cr3 = tlb_state().cr3;
	ret = asi_um_tlb_access(USER_ADDR, true, &pfn);
	asi_exit();
	preempt_enable();
	CHECK_EQ(test, p, entry_cr3 & ASI_UM_CR3_NOFLUSH, 0);
	KUNIT_EXPECT_EQ(test, ret, 0);
	new_pfn = user_pfn(test);
	CHECK_EQ(test, p, pfn, new_pfn);
	asi_kunit_mm_unuse(next);
	while (n--)
		asi_kunit_mm_put(others[n]);
}

/*
 * Without PCIDs the core issues no flush at all: every CR3 write flushes
 * the non-global entries, so an unmapped user page is never seen stale.
 */
static void scenario_pcid_off(struct kunit *test)
{
	struct asi_um_tlb_state before;
	struct mm_struct *mm;
	unsigned long pfn;
	struct asi *asi;

	mm = mm_with_user_page(test, &asi);
	asi_um_tlb_set_features(false, false);
	KUNIT_EXPECT_EQ(test, access_in_domain(asi, &pfn), 0);
	before = tlb_state();
	asi_kunit_zap_user(test, mm, USER_ADDR, 1);
	KUNIT_EXPECT_EQ(test, access_in_domain(asi, &pfn), -EFAULT);
	KUNIT_EXPECT_EQ(test, tlb_state().invpcid_addr, before.invpcid_addr);
	KUNIT_EXPECT_EQ(test, tlb_state().cr3_noflush, before.cr3_noflush);
	KUNIT_EXPECT_EQ(test, tlb_state().cr3 & ASI_UM_CR3_PCID_MASK, 0);
	asi_kunit_mm_release(mm);
}

/* asi_free_sensitive_pages() of @page, which the case keeps holding. */
static void free_sensitive(struct page *page)
{
	get_page(page);
	asi_free_sensitive_pages(page, 0);
}

/*
 * Make @page sensitive and free it again, as some earlier allocation
 * there did: the normal direct map around it is split down to 4K pages
 * (CPA keeps splits), and the template shares the normal tables there
 * again.  A later carve-out near it then edits the template without
 * splitting the normal side, so without CPA's flush_tlb_all(), which
 * would hide whatever flush the case is about.
 */
static void presplit(struct kunit *test, struct page *page)
{
	asi_kunit_alloc_sensitive(test, page, 0);
	free_sensitive(page);
}

/*
 * Enter @asi, read (or @write) kernel address @addr, leave; was it still
 * inside?
 */
static bool kernel_rw_in_domain(struct asi *asi, unsigned long addr,
				bool write, unsigned long *pfn, int *ret)
{
	bool inside;

	preempt_disable();
	asi_enter(asi);
	*ret = asi_um_tlb_access_rw(addr, false, write, pfn);
	inside = asi_is_restricted();
	asi_exit();
	preempt_enable();
	return inside;
}

static bool kernel_access_in_domain(struct asi *asi, unsigned long addr,
				    unsigned long *pfn, int *ret)
{
	return kernel_rw_in_domain(asi, addr, false, pfn, ret);
}

/*
 * A free page whose global translation is cached (as any page the kernel
 * used before may be) is allocated sensitive: the core's kernel range
 * flush (asi_flush_kernel_range()) must drop the global entry, or a
 * restricted space would still reach the page through it.
 */
static void sensitive_after_global(struct kunit *test, struct probe *p)
{
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long addr, pfn;
	struct mm_struct *mm;
	struct asi *asi;
	bool inside;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, page);
	addr = (unsigned long)page_address(page);
	presplit(test, page);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	KUNIT_EXPECT_EQ(test, access_addr(addr, false, &pfn), 0);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(loaded_pcid(), addr, false),
			ASI_UM_TLB_GLOBAL);

	asi_kunit_alloc_sensitive(test, page, 0);
	p->pcid = domain_pcid(asi);
	p->addr = addr;
	inside = kernel_access_in_domain(asi, addr, &pfn, &ret);
	KUNIT_EXPECT_EQ(test, ret, 0);
	/* It faulted: the global entry was gone. */
	CHECK_EQ(test, p, inside, false);
	asi_free_sensitive_pages(page, 0);
	asi_kunit_mm_release(mm);
}

/*
 * A domain walks to a kernel page next to one that is then allocated
 * sensitive, so its PCID caches the tables it went through, which the
 * template shares with the normal space.  The carve-out replaces them
 * with private copies: on its next entry the domain's PCID must be
 * flushed (asi_kernel_tables_catch_up()), or a walk starting from the cached
 * table reaches the sensitive page through the normal tables.
 */
static void kernel_table_replaced(struct kunit *test, struct probe *p)
{
	struct page *pages = alloc_pages(GFP_KERNEL, 1);
	unsigned long addr, near, pfn;
	struct mm_struct *mm;
	struct asi *asi;
	bool inside;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	addr = (unsigned long)page_address(pages);
	near = addr + PAGE_SIZE;
	presplit(test, pages);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	KUNIT_EXPECT_TRUE(test, kernel_access_in_domain(asi, near, &pfn, &ret));
	KUNIT_EXPECT_EQ(test, ret, 0);

	asi_kunit_alloc_sensitive(test, pages, 0);
	p->pcid = domain_pcid(asi);
	p->addr = addr;
	inside = kernel_access_in_domain(asi, addr, &pfn, &ret);
	KUNIT_EXPECT_EQ(test, ret, 0);
	CHECK_EQ(test, p, inside, false);
	free_sensitive(pages);
	__free_pages(pages, 1);
	asi_kunit_mm_release(mm);
}

/*
 * A domain walks through the template's private tables next to a
 * sensitive page; the page is freed, and the template shares the normal
 * tables again and frees its copies.  On its next entry the domain's
 * PCID must be flushed (asi_kernel_tables_catch_up()), or a walk to another
 * page there starts from a freed table.
 */
static void kernel_table_freed(struct kunit *test, struct probe *p)
{
	struct page *pages = alloc_pages(GFP_KERNEL, 2);
	unsigned long addr, pfn;
	struct mm_struct *mm;
	struct asi *asi;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	addr = (unsigned long)page_address(pages);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_kunit_alloc_sensitive(test, pages, 0);
	KUNIT_EXPECT_TRUE(test, kernel_access_in_domain(asi, addr + PAGE_SIZE,
							&pfn, &ret));
	free_sensitive(pages);

	p->pcid = domain_pcid(asi);
	p->addr = addr + 2 * PAGE_SIZE;
	KUNIT_EXPECT_TRUE(test, kernel_access_in_domain(asi, p->addr, &pfn,
							&ret));
	KUNIT_EXPECT_EQ(test, ret, 0);
	CHECK_EQ(test, p, pfn, page_to_pfn(pages) + 2);
	__free_pages(pages, 2);
	asi_kunit_mm_release(mm);
}

static bool kernel_write_in_domain(struct asi *asi, unsigned long addr,
				   int *ret)
{
	unsigned long pfn;

	return kernel_rw_in_domain(asi, addr, true, &pfn, ret);
}

/*
 * The kernel makes a page read-only (the model's CPA) that a domain wrote
 * to before, so its PCID caches a writable translation.  The page is next
 * to a sensitive page: the template owns its page table and holds its own
 * copy of the leaf, which must follow (asi_kernel_range_changed()).  If the page
 * was global the kernel's own flush drops the translation in every PCID;
 * if not (@nonglobal: set_memory_nonglobal(), as the kernel may do for its
 * own reasons) that flush, in the normal PCID, does not reach the
 * domain's: the core must have it flushed on its next entry
 * (asi_kernel_entry_changed()), or a write there goes through.
 */
static void kernel_page_made_read_only(struct kunit *test, struct probe *p,
				       bool nonglobal)
{
	struct page *pages = alloc_pages(GFP_KERNEL, 1);
	struct mm_struct *mm;
	unsigned long addr;
	struct asi *asi;
	bool inside;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	addr = (unsigned long)page_address(pages + 1);
	asi_kunit_alloc_sensitive(test, pages, 0);
	if (nonglobal)
		KUNIT_ASSERT_EQ(test, asi_um_kpt_change((void *)addr, 1, false, -1), 0);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	KUNIT_EXPECT_TRUE(test, kernel_write_in_domain(asi, addr, &ret));
	KUNIT_EXPECT_EQ(test, ret, 0);

	KUNIT_ASSERT_EQ(test, asi_um_kpt_change((void *)addr, 1, -1, false), 0);
	p->pcid = domain_pcid(asi);
	p->addr = addr;
	inside = kernel_write_in_domain(asi, addr, &ret);
	/* Refused inside, so refused outside too. */
	CHECK_EQ(test, p, ret, -EFAULT);
	CHECK_EQ(test, p, inside, false);
	KUNIT_EXPECT_EQ(test, asi_check_tables(asi->pgd), 0);

	KUNIT_EXPECT_EQ(test, asi_um_kpt_change((void *)addr, 1, true, true), 0);
	KUNIT_EXPECT_TRUE(test, kernel_write_in_domain(asi, addr, &ret));
	KUNIT_EXPECT_EQ(test, ret, 0);
	free_sensitive(pages);
	__free_pages(pages, 1);
	asi_kunit_mm_release(mm);
}

static void kernel_global_made_read_only(struct kunit *test, struct probe *p)
{
	kernel_page_made_read_only(test, p, false);
}

static void kernel_nonglobal_made_read_only(struct kunit *test,
					    struct probe *p)
{
	kernel_page_made_read_only(test, p, true);
}

/* The kernel's flush of @addr reaches this CPU inside @asi: still inside? */
static bool kernel_flush_in_domain(struct asi *asi, unsigned long addr)
{
	bool inside;

	preempt_disable();
	asi_enter(asi);
	flush_tlb_kernel_range(addr, addr + PAGE_SIZE);
	inside = asi_is_restricted();
	asi_exit();
	preempt_enable();
	return inside;
}

/*
 * A kernel page whose translation the normal PCID holds, not global (it
 * is sensitive), is made read-only; the kernel's flush reaches this CPU
 * while it is inside a domain.  The CPU stays inside (the address is
 * invalidated in place) and the normal PCID must lose its writable
 * translation too (asi_flush_normal_addr(): INVPCID, or without it a
 * flushing exit), or a write there after the exit goes through.
 */
static void kernel_flush_inside_normal(struct kunit *test, struct probe *p,
				       bool invpcid)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct mm_struct *mm;
	unsigned long addr, pfn;
	struct asi *asi;
	bool inside;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, page);
	addr = (unsigned long)page_address(page);
	asi_kunit_alloc_sensitive(test, page, 0);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_um_tlb_set_features(true, invpcid);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_access_rw(addr, false, true, &pfn), 0);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_cached(loaded_pcid(), addr, false),
			ASI_UM_TLB_LOCAL);
	KUNIT_ASSERT_EQ(test, asi_um_kpt_change_noflush((void *)addr, 1, -1,
							false), 0);
	inside = kernel_flush_in_domain(asi, addr);
	KUNIT_EXPECT_TRUE(test, inside);
	preempt_disable();
	p->pcid = loaded_pcid();
	p->addr = addr;
	ret = asi_um_tlb_access_rw(addr, false, true, &pfn);
	preempt_enable();
	CHECK_EQ(test, p, ret, -EFAULT);

	KUNIT_EXPECT_EQ(test, asi_um_kpt_change((void *)addr, 1, -1, true), 0);
	asi_um_tlb_set_features(true, true);
	asi_free_sensitive_pages(page, 0);
	asi_kunit_mm_release(mm);
}

static void kernel_flush_inside_invpcid(struct kunit *test, struct probe *p)
{
	kernel_flush_inside_normal(test, p, true);
}

static void kernel_flush_inside_no_invpcid(struct kunit *test, struct probe *p)
{
	kernel_flush_inside_normal(test, p, false);
}

/*
 * A kernel page that is not global, in tables the template shares (no
 * sensitive page near it), is written from a domain of another class, so
 * that domain's PCID holds the writable translation.  Made read-only with
 * this CPU inside the first domain, the flush stays inside and the other
 * PCID must be flushed on its next entry (asi_pcids_mark_stale_but()):
 * no template edit tells the core, the tables are shared.
 */
static void kernel_flush_inside_other_domain(struct kunit *test,
					     struct probe *p)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct asi *asi, *other;
	struct mm_struct *mm;
	unsigned long addr;
	bool inside;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, page);
	addr = (unsigned long)page_address(page);
	KUNIT_ASSERT_EQ(test, asi_um_kpt_change((void *)addr, 1, false, -1), 0);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_USERSPACE, &other), 0);
	KUNIT_EXPECT_TRUE(test, kernel_write_in_domain(other, addr, &ret));
	KUNIT_EXPECT_EQ(test, ret, 0);

	KUNIT_ASSERT_EQ(test, asi_um_kpt_change_noflush((void *)addr, 1, -1,
							false), 0);
	KUNIT_EXPECT_TRUE(test, kernel_flush_in_domain(asi, addr));
	p->pcid = domain_pcid(other);
	p->addr = addr;
	inside = kernel_write_in_domain(other, addr, &ret);
	CHECK_EQ(test, p, ret, -EFAULT);
	CHECK_EQ(test, p, inside, false);

	KUNIT_EXPECT_EQ(test, asi_um_kpt_change((void *)addr, 1, true, true), 0);
	asi_kunit_mm_release(mm);
	__free_page(page);
}

typedef void (*scenario_fn)(struct kunit *test, struct probe *p);

/* The scenarios whose flushes the broken cases take away, run whole. */
struct scenario {
	const char *name;
	scenario_fn run;
};

static const struct scenario scenarios[] = {
	{ "user_page_changed", user_page_changed },
	{ "user_page_unmapped_no_invpcid", user_page_unmapped_no_invpcid },
	{ "user_page_unmapped_elsewhere", user_page_unmapped_elsewhere },
	{ "user_range_unmapped", user_range_unmapped },
	{ "user_page_changed_while_inside", user_page_changed_while_inside },
	{ "slot_reused", slot_reused },
	{ "sensitive_after_global", sensitive_after_global },
	{ "kernel_table_replaced", kernel_table_replaced },
	{ "kernel_table_freed", kernel_table_freed },
	{ "kernel_global_made_read_only", kernel_global_made_read_only },
	{ "kernel_nonglobal_made_read_only", kernel_nonglobal_made_read_only },
	{ "kernel_flush_inside_invpcid", kernel_flush_inside_invpcid },
	{ "kernel_flush_inside_no_invpcid", kernel_flush_inside_no_invpcid },
	{ "kernel_flush_inside_other_domain", kernel_flush_inside_other_domain },
};

KUNIT_ARRAY_PARAM_DESC(scenarios, scenarios, name);

/* A correct core: the scenario's expectations hold and nothing is stale. */
static void scenario_stays_clean(struct kunit *test)
{
	const struct scenario *sc = test->param_value;
	unsigned long reports = tlb_state().reports;
	struct probe p = { };

	sc->run(test, &p);
	KUNIT_EXPECT_EQ(test, tlb_state().reports, reports);
}

/* The no-op replacements of the core's flush seams. */
static bool never_flush_on_entry(unsigned int slot, enum asi_class_id class_id)
{
	return false;
}

static void skip_slot(unsigned int slot)
{
}

static void skip_pcid_addr(unsigned int slot, enum asi_class_id class_id,
			   unsigned long addr)
{
}

static void skip_addr(unsigned long addr)
{
}

static void skip_pcid(unsigned int slot, enum asi_class_id class_id)
{
}

static void skip_range(unsigned long start, unsigned long end)
{
}

static void skip_entry_changed(bool was_table, bool was_global)
{
}

static void skip_mark_stale_but(struct asi *asi)
{
}

static void skip_kernel_tables(void)
{
}

enum seam {
	SEAM_FLUSH_ON_ENTRY,
	SEAM_INVALIDATE_SLOT,
	SEAM_FLUSH_PCID_ADDR,
	SEAM_FLUSH_LOADED_ADDR,
	SEAM_FLUSH_DEFERRED,
	SEAM_FLUSH_KERNEL_RANGE,
	SEAM_FLUSH_KERNEL_TABLES,
	SEAM_KERNEL_ENTRY_CHANGED,
	SEAM_FLUSH_NORMAL_ADDR,
	SEAM_PCIDS_MARK_STALE_BUT,
};

/* One flush left out, the scenario that needs it, what the model says. */
struct breakage {
	const char *name;
	enum seam seam;
	scenario_fn scenario;
	const char *what;
};

static const struct breakage breakages[] = {
	{ "asi_flush_pcid_addr", SEAM_FLUSH_PCID_ADDR, user_page_changed,
	  "now maps pfn" },
	{ "asi_pcid_mark_stale", SEAM_FLUSH_DEFERRED,
	  user_page_unmapped_no_invpcid, "now unmapped" },
	{ "asi_slot_mark_stale on a flush while not loaded",
	  SEAM_INVALIDATE_SLOT, user_page_unmapped_elsewhere, "now unmapped" },
	{ "asi_slot_mark_stale on a whole flush", SEAM_INVALIDATE_SLOT,
	  user_range_unmapped, "now unmapped" },
	{ "asi_flush_loaded_addr", SEAM_FLUSH_LOADED_ADDR,
	  user_page_changed_while_inside, "now maps pfn" },
	{ "asi_slot_mark_stale on slot reuse", SEAM_INVALIDATE_SLOT,
	  slot_reused, "owns the PCID now" },
	{ "asi_pcid_mark_fresh", SEAM_FLUSH_ON_ENTRY, slot_reused,
	  "owns the PCID now" },
	{ "asi_flush_kernel_range", SEAM_FLUSH_KERNEL_RANGE,
	  sensitive_after_global, "global kernel address" },
	{ "asi_kernel_tables_catch_up on a shared table copied",
	  SEAM_FLUSH_KERNEL_TABLES, kernel_table_replaced, "table replaced" },
	{ "asi_kernel_tables_catch_up on a private table freed",
	  SEAM_FLUSH_KERNEL_TABLES, kernel_table_freed, "table freed" },
	{ "asi_kernel_entry_changed on a non-global leaf",
	  SEAM_KERNEL_ENTRY_CHANGED, kernel_nonglobal_made_read_only,
	  "now maps it read-only" },
	{ "asi_kernel_tables_catch_up on a non-global leaf",
	  SEAM_FLUSH_KERNEL_TABLES, kernel_nonglobal_made_read_only,
	  "now maps it read-only" },
	{ "asi_flush_normal_addr with INVPCID", SEAM_FLUSH_NORMAL_ADDR,
	  kernel_flush_inside_invpcid, "now maps it read-only" },
	{ "asi_flush_normal_addr without INVPCID", SEAM_FLUSH_NORMAL_ADDR,
	  kernel_flush_inside_no_invpcid, "now maps it read-only" },
	{ "asi_pcids_mark_stale_but", SEAM_PCIDS_MARK_STALE_BUT,
	  kernel_flush_inside_other_domain, "now maps it read-only" },
};

KUNIT_ARRAY_PARAM_DESC(breakages, breakages, name);

/*
 * Stub out exactly one of the core's flushes; return the seam, for
 * kunit_deactivate_static_stub().
 */
static void *stub_out(struct kunit *test, enum seam seam)
{
	switch (seam) {
	case SEAM_FLUSH_ON_ENTRY:
		kunit_activate_static_stub(test, asi_pcid_mark_fresh,
					   never_flush_on_entry);
		return asi_pcid_mark_fresh;
	case SEAM_INVALIDATE_SLOT:
		kunit_activate_static_stub(test, asi_slot_mark_stale, skip_slot);
		return asi_slot_mark_stale;
	case SEAM_FLUSH_PCID_ADDR:
		kunit_activate_static_stub(test, asi_flush_pcid_addr,
					   skip_pcid_addr);
		return asi_flush_pcid_addr;
	case SEAM_FLUSH_LOADED_ADDR:
		kunit_activate_static_stub(test, asi_flush_loaded_addr,
					   skip_addr);
		return asi_flush_loaded_addr;
	case SEAM_FLUSH_DEFERRED:
		kunit_activate_static_stub(test, asi_pcid_mark_stale, skip_pcid);
		return asi_pcid_mark_stale;
	case SEAM_FLUSH_KERNEL_RANGE:
		kunit_activate_static_stub(test, asi_flush_kernel_range,
					   skip_range);
		return asi_flush_kernel_range;
	case SEAM_FLUSH_KERNEL_TABLES:
		kunit_activate_static_stub(test, asi_kernel_tables_catch_up,
					   skip_kernel_tables);
		return asi_kernel_tables_catch_up;
	case SEAM_KERNEL_ENTRY_CHANGED:
		kunit_activate_static_stub(test, asi_kernel_entry_changed,
					   skip_entry_changed);
		return asi_kernel_entry_changed;
	case SEAM_FLUSH_NORMAL_ADDR:
		kunit_activate_static_stub(test, asi_flush_normal_addr,
					   skip_addr);
		return asi_flush_normal_addr;
	case SEAM_PCIDS_MARK_STALE_BUT:
		kunit_activate_static_stub(test, asi_pcids_mark_stale_but,
					   skip_mark_stale_but);
		return asi_pcids_mark_stale_but;
	}
	return NULL;
}

/*
 * The flush left out, the scenario must leave a stale translation, and
 * the model must report it at the scenario's PCID and address.
 */
static void broken_flush_is_reported(struct kunit *test)
{
	const struct breakage *b = test->param_value;
	char pcid[16], addr[32];
	const char *const parts[] = { pcid, addr, b->what };
	struct probe p = { .broken = true };
	unsigned long flushes_all;
	struct report_check rc;
	void *seam;

	int tries = 0;

	seam = stub_out(test, b->seam);
	/*
	 * A TLB-wide flush while the scenario slept (another task's vmap
	 * purging, say, or the scenario's own direct-map split) may have
	 * emptied the TLB: then nothing was left to go stale, which proves
	 * nothing either way.  Try again, from a clean model, a few times.
	 */
	do {
		if (tries) {
			asi_um_tlb_set_features(true, true);
			asi_um_tlb_invpcid(ASI_UM_INVPCID_ALL_INCL_GLOBAL, 0, 0,
					   false);
		}
		flushes_all = tlb_state().invpcid_all;
		p = (struct probe){ .broken = true };
		reports_begin(&rc);
		b->scenario(test, &p);
		reports_collect(&rc);
	} while (!rc.reports && tlb_state().invpcid_all != flushes_all &&
		 ++tries < 3);
	/* The case's exit puts the model back in order with the seam there. */
	kunit_deactivate_static_stub(test, seam);
	if (!rc.reports && tlb_state().invpcid_all != flushes_all)
		kunit_skip(test, "TLB-wide flushes hid the omission three times");
	snprintf(pcid, sizeof(pcid), "PCID %#x", p.pcid);
	snprintf(addr, sizeof(addr), "address %#lx", p.addr);
	reports_check(test, &rc, parts, ARRAY_SIZE(parts));
}

static void skip_sync(unsigned long start, unsigned long end)
{
}

/*
 * The model's CPA change that does not reach the template (its sync
 * stubbed out) leaves a page read-only on the normal side writable inside
 * ASI.  The model's TLB sees nothing stale (the template says writable):
 * the checker must find it, and warn.
 */
static void broken_kernel_sync_is_caught(struct kunit *test)
{
	struct page *pages = alloc_pages(GFP_KERNEL, 1);
	struct mm_struct *mm;
	unsigned long addr;
	struct asi *asi;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	addr = (unsigned long)page_address(pages + 1);
	asi_kunit_alloc_sensitive(test, pages, 0);
	mm = asi_kunit_mm_with_test_domain(test, &asi);

	kunit_activate_static_stub(test, asi_kernel_range_changed, skip_sync);
	KUNIT_EXPECT_EQ(test, asi_um_kpt_change((void *)addr, 1, -1, false), 0);
	kunit_deactivate_static_stub(test, asi_kernel_range_changed);
	KUNIT_EXPECT_EQ(test, asi_check_tables(asi->pgd), 1);
	asi_kunit_expect_warnings(test, 1, "asi_check_tables");
	/* The widening is real: the write goes through inside. */
	KUNIT_EXPECT_TRUE(test, kernel_write_in_domain(asi, addr, &ret));
	KUNIT_EXPECT_EQ(test, ret, 0);

	/* The next change of the page reaches the template again. */
	KUNIT_EXPECT_EQ(test, asi_um_kpt_change((void *)addr, 1, -1, true), 0);
	KUNIT_EXPECT_EQ(test, asi_check_tables(NULL), 0);
	free_sensitive(pages);
	__free_pages(pages, 1);
	asi_kunit_mm_release(mm);
}

static struct kunit_case asi_um_scenario_cases[] = {
	KUNIT_CASE(scenario_domains_and_mms),
	KUNIT_CASE(scenario_pcid_off),
	KUNIT_CASE_PARAM(scenario_stays_clean, scenarios_gen_params),
	KUNIT_CASE_PARAM(broken_flush_is_reported, breakages_gen_params),
	KUNIT_CASE(broken_kernel_sync_is_caught),
	{}
};

static struct kunit_suite asi_um_scenario_suite = {
	.name = "asi_um_scenarios",
	.suite_init = scenarios_suite_init,
	.suite_exit = scenarios_suite_exit,
	.init = asi_kunit_backend_case_init,
	.exit = model_case_exit,
	.test_cases = asi_um_scenario_cases,
};

kunit_test_suites(&asi_um_model_suite, &asi_um_scenario_suite);
