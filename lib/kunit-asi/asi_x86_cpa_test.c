// SPDX-License-Identifier: GPL-2.0
/*
 * x86 only: the restricted page tables never map more than init_mm, while
 * the kernel changes its own mappings (CPA: set_memory_*(),
 * set_direct_map_*()) and while pages become sensitive and are freed.
 *
 * Each page-attribute case works on a page of the direct map that init_mm
 * maps with a 4K page in a table the template owns (a sensitive page
 * next to it), with a 2M leaf in a table the template owns, or with a 1G
 * leaf (the template owns every table above the direct map's 1G entries).
 * Where the template only shares init_mm's tables it is coherent by
 * construction, so those are the places where a change could fail to
 * reach it.  After each case (here and in every suite) the checker,
 * asi_check_tables(), walks the template against init_mm.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/set_memory.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/set_memory.h>
#include <asm/tlbflush.h>

#include "asi_kunit.h"

static unsigned long fault_exits(struct kunit *test)
{
	struct asi_class_stats s;

	KUNIT_EXPECT_EQ(test, asi_get_class_stats(ASI_CLASS_TEST, &s), 0);
	return s.fault_exits;
}

/* The size of the init_mm leaf that maps @addr: 0 4K, 1 2M, 2 1G, -1 none. */
static int kernel_leaf(void *addr)
{
	unsigned int level;

	if (!lookup_address((unsigned long)addr, &level))
		return -1;
	return level - PG_LEVEL_4K;
}

/*
 * What a table maps at @addr, as a 4K page: present, frame, and the flags
 * that grant or type the access.  Computed with the kernel's own lookup,
 * apart from the template code, to check it.
 */
struct view {
	bool present;
	unsigned long pfn;
	pteval_t flags;
};

static struct view view_in(pgd_t *pgd, void *p)
{
	const pteval_t kept = _PAGE_RW | _PAGE_USER | _PAGE_PWT | _PAGE_PCD |
			      _PAGE_PAT | _PAGE_NX | _PAGE_ENC | _PAGE_GLOBAL;
	unsigned long addr = (unsigned long)p, size;
	struct view v = { };
	unsigned int level;
	pteval_t e, flags;
	pte_t *pte;

	pte = lookup_address_in_pgd(pgd_offset_pgd(pgd, addr), addr, &level);
	if (!pte || !(pte_flags(*pte) & _PAGE_PRESENT))
		return v;
	e = pte_val(*pte);
	v.present = true;
	if (level == PG_LEVEL_4K) {
		v.pfn = pte_pfn(*pte);
		v.flags = pte_flags(*pte) & kept;
		return v;
	}
	size = page_level_size(level);
	v.pfn = ((e & PTE_PFN_MASK & ~(size - 1)) + (addr & (size - 1))) >>
		PAGE_SHIFT;
	flags = e & ~(PTE_PFN_MASK & ~(size - 1)) & ~_PAGE_PSE;
	if (flags & _PAGE_PAT_LARGE)
		flags = (flags & ~_PAGE_PAT_LARGE) | _PAGE_PAT;
	v.flags = flags & kept;
	return v;
}

static void expect_same_view(struct kunit *test, pgd_t *pgd, void *p,
			     const char *which)
{
	struct view k = view_in(init_mm.pgd, p), r = view_in(pgd, p);
	unsigned long pfn = __pa(p) >> PAGE_SHIFT;

	KUNIT_EXPECT_EQ_MSG(test, r.present, k.present, "%s, pfn %#lx", which, pfn);
	if (!r.present || !k.present)
		return;
	KUNIT_EXPECT_EQ_MSG(test, r.pfn, k.pfn, "%s, pfn %#lx", which, pfn);
	KUNIT_EXPECT_EQ_MSG(test, r.flags, k.flags, "%s, pfn %#lx", which, pfn);
}

/*
 * Read (or write) the u64 at @p from inside @asi without oopsing where it
 * is not mapped.  Returns the access's error; *@exits counts the fault
 * exits it took, *@stayed whether the CPU was still inside after it.
 */
static int access_inside(struct kunit *test, struct asi *asi, u64 *p,
			 bool write, u64 *val, unsigned long *exits,
			 bool *stayed)
{
	unsigned long before = fault_exits(test);
	long err;

	preempt_disable();
	asi_enter(asi);
	if (write)
		err = copy_to_kernel_nofault(p, val, sizeof(*val));
	else
		err = copy_from_kernel_nofault(val, p, sizeof(*val));
	*stayed = asi_is_restricted();
	asi_exit();
	preempt_enable();
	*exits = fault_exits(test) - before;
	return err;
}

/* The page-attribute changes a case makes, and how each shows inside. */
enum cpa_effect { CPA_SAME, CPA_READ_ONLY, CPA_GONE };

struct cpa_op {
	const char *name;
	int (*change)(struct page *page);
	int (*undo)(struct page *page);
	enum cpa_effect effect;
};

static int do_ro(struct page *p) { return set_memory_ro((unsigned long)page_address(p), 1); }
static int do_rw(struct page *p) { return set_memory_rw((unsigned long)page_address(p), 1); }
static int do_np(struct page *p) { return set_memory_np((unsigned long)page_address(p), 1); }
static int do_p(struct page *p) { return set_memory_p((unsigned long)page_address(p), 1); }
static int do_uc(struct page *p) { return set_memory_uc((unsigned long)page_address(p), 1); }
static int do_wb(struct page *p) { return set_memory_wb((unsigned long)page_address(p), 1); }
static int do_4k(struct page *p) { return set_memory_4k((unsigned long)page_address(p), 1); }
static int do_default(struct page *p) { return set_direct_map_default_noflush(p); }

/* As secretmem does: invalid, then the flush the _noflush call leaves out. */
static int do_invalid(struct page *p)
{
	unsigned long addr = (unsigned long)page_address(p);
	int err = set_direct_map_invalid_noflush(p);

	flush_tlb_kernel_range(addr, addr + PAGE_SIZE);
	return err;
}

static const struct cpa_op cpa_ops[] = {
	{ "set_memory_ro", do_ro, do_rw, CPA_READ_ONLY },
	{ "set_memory_np", do_np, do_p, CPA_GONE },
	{ "set_memory_uc", do_uc, do_wb, CPA_SAME },
	{ "set_memory_4k", do_4k, NULL, CPA_SAME },
	{ "set_direct_map_invalid_noflush", do_invalid, do_default, CPA_GONE },
};

enum region { REGION_4K, REGION_2M, REGION_1G, NR_REGIONS };

static const char *const region_names[] = {
	[REGION_4K] = "4K page in an owned table",
	[REGION_2M] = "2M leaf in an owned table",
	[REGION_1G] = "1G leaf",
};

#define NR_CPA_PARAMS	(ARRAY_SIZE(cpa_ops) * NR_REGIONS)

static const void *cpa_gen_params(const void *prev, char *desc)
{
	unsigned long i = prev ? (unsigned long)prev : 0;

	if (i >= NR_CPA_PARAMS)
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s on a %s",
		 cpa_ops[i / NR_REGIONS].name, region_names[i % NR_REGIONS]);
	return (void *)(i + 1);
}

/*
 * The case's pages: the target and the sensitive page next to it, if any.
 */
struct target {
	struct page *page;
	struct page *sensitive;
};

static void target_release(struct target *t)
{
	if (t->sensitive)
		asi_free_sensitive_pages(t->sensitive, 0);
	if (t->page)
		__free_page(t->page);
}

/*
 * A free page that init_mm maps with a leaf of @leaf (1: 2M, 2: 1G), in
 * [@from, @to) of the direct map, taken from the page allocator by its
 * frame number: it hands out large leaves' pages in no useful order.
 * Each case splits the leaf it uses.  Returns 0 if there is none.
 */
static unsigned long find_pfn(int leaf, unsigned long from, unsigned long to)
{
#ifdef CONFIG_CONTIG_ALLOC
	unsigned long size = leaf == 2 ? PUD_SIZE : PMD_SIZE, addr, pfn;
	int i;

	to = min(to, PAGE_OFFSET + (max_pfn << PAGE_SHIFT));
	for (addr = ALIGN(from, size); addr < to; addr += size) {
		if (kernel_leaf((void *)addr) != leaf)
			continue;
		/* A few pageblocks in, away from the edges of the leaf. */
		for (i = 1; i < 8; i++) {
			pfn = (__pa(addr) + i * pageblock_nr_pages * PAGE_SIZE) >>
			      PAGE_SHIFT;
			if (pfn_valid(pfn) &&
			    !alloc_contig_range(pfn, pfn + 1, MIGRATE_MOVABLE,
						GFP_KERNEL | __GFP_NOWARN))
				return pfn;
		}
	}
#endif
	return 0;
}

/* Set up the target page for @region; false if the machine has none. */
static bool target_get(struct kunit *test, struct target *t, enum region region)
{
	struct page *pair;
	unsigned long pfn, near;

	t->page = NULL;
	t->sensitive = NULL;
	switch (region) {
	case REGION_4K:
		/* Two pages side by side: the first sensitive, the second ours. */
		pair = alloc_pages(GFP_KERNEL, 1);
		KUNIT_ASSERT_NOT_NULL(test, pair);
		split_page(pair, 1);
		asi_kunit_alloc_sensitive(test, pair, 0);
		t->sensitive = pair;
		t->page = pair + 1;
		KUNIT_EXPECT_EQ(test, kernel_leaf(page_address(t->page)), 0);
		return true;
	case REGION_2M:
		/* A sensitive page makes the template own the 1G's table. */
		t->sensitive = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, t->sensitive);
		near = ALIGN_DOWN((unsigned long)page_address(t->sensitive),
				  PUD_SIZE);
		pfn = find_pfn(1, near, near + PUD_SIZE);
		break;
	default:
		pfn = find_pfn(2, PAGE_OFFSET, ULONG_MAX);
		break;
	}
	if (!pfn)
		return false;
	t->page = pfn_to_page(pfn);
	return true;
}

static void expect_checker_clean(struct kunit *test, struct asi *a,
				 struct asi *b)
{
	KUNIT_EXPECT_EQ(test, asi_check_tables(NULL), 0);
	if (a)
		KUNIT_EXPECT_EQ(test, asi_check_tables(a->pgd), 0);
	if (b)
		KUNIT_EXPECT_EQ(test, asi_check_tables(b->pgd), 0);
}

/* What an access from inside @asi shows after a change of @effect. */
static void expect_inside(struct kunit *test, struct asi *asi, u64 *p,
			  enum cpa_effect effect, u64 want)
{
	unsigned long exits;
	bool stayed;
	u64 v = 0;
	int err;

	err = access_inside(test, asi, p, false, &v, &exits, &stayed);
	if (effect == CPA_GONE) {
		/* Never data: a fault out of ASI, then the kernel's own fault. */
		KUNIT_EXPECT_EQ(test, err, -EFAULT);
		KUNIT_EXPECT_EQ(test, exits, 1);
		return;
	}
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, v, want);
	KUNIT_EXPECT_TRUE(test, stayed);
	KUNIT_EXPECT_EQ(test, exits, 0);
	if (effect != CPA_READ_ONLY)
		return;
	v = want;
	err = access_inside(test, asi, p, true, &v, &exits, &stayed);
	KUNIT_EXPECT_EQ(test, err, -EFAULT);
	KUNIT_EXPECT_EQ(test, exits, 1);
}

/*
 * One page-attribute change on one kind of place: a domain created before
 * and one created after the change both map the page exactly as init_mm
 * does, an access from inside shows the change (a removed page faults out
 * and never returns data, a read-only page refuses a write), and the
 * checker finds nothing; again after the change is undone.
 */
static void x86_cpa_reaches_restricted(struct kunit *test)
{
	unsigned long i = (unsigned long)test->param_value - 1;
	const struct cpa_op *op = &cpa_ops[i / NR_REGIONS];
	enum region region = i % NR_REGIONS;
	struct mm_struct *mm_a, *mm_b;
	const u64 want = 0x0123456789abcdefULL;
	struct asi *a, *b;
	struct target t;
	u64 *p;

	if (!target_get(test, &t, region)) {
		target_release(&t);
		kunit_skip(test, "init_mm maps no page with a %s here",
			   region_names[region]);
	}
	p = page_address(t.page);
	*p = want;

	mm_a = asi_kunit_mm_with_test_domain(test, &a);
	KUNIT_ASSERT_EQ(test, op->change(t.page), 0);
	mm_b = asi_kunit_mm_new(test);
	asi_kunit_mm_switch(mm_a, mm_b);
	KUNIT_ASSERT_EQ(test, asi_init(mm_b, ASI_CLASS_TEST, &b), 0);

	expect_same_view(test, a->pgd, p, "domain before");
	expect_same_view(test, b->pgd, p, "domain after");
	expect_checker_clean(test, a, b);
	expect_inside(test, b, p, op->effect, want);
	asi_kunit_mm_switch(mm_b, mm_a);
	expect_inside(test, a, p, op->effect, want);

	if (op->undo) {
		KUNIT_EXPECT_EQ(test, op->undo(t.page), 0);
		expect_same_view(test, a->pgd, p, "domain before, undone");
		expect_same_view(test, b->pgd, p, "domain after, undone");
		expect_checker_clean(test, a, b);
		expect_inside(test, a, p, CPA_SAME, want);
	}
	asi_kunit_mm_release(mm_a);
	asi_kunit_mm_put(mm_b);
	target_release(&t);
}

/*
 * Module and BPF text is made read-only through its vmalloc address; CPA
 * changes the direct-map alias too (cpa_process_alias()), and the
 * restricted spaces follow both.
 */
static void x86_cpa_vmalloc_alias(struct kunit *test)
{
	const u64 want = 0xa11a5ULL;
	struct mm_struct *mm;
	unsigned long exits;
	struct page *page;
	struct asi *asi;
	bool stayed;
	u64 *p, *alias, v = want;

	p = vmalloc(PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, p);
	*p = want;
	page = vmalloc_to_page(p);
	alias = page_address(page);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	KUNIT_ASSERT_EQ(test, set_memory_ro((unsigned long)p, 1), 0);

	expect_same_view(test, asi->pgd, p, "vmalloc address");
	expect_same_view(test, asi->pgd, alias, "direct-map alias");
	KUNIT_EXPECT_FALSE(test, view_in(init_mm.pgd, alias).flags & _PAGE_RW);
	expect_checker_clean(test, asi, NULL);
	KUNIT_EXPECT_EQ(test, access_inside(test, asi, alias, true, &v, &exits,
					    &stayed), -EFAULT);
	KUNIT_EXPECT_EQ(test, exits, 1);

	KUNIT_ASSERT_EQ(test, set_memory_rw((unsigned long)p, 1), 0);
	expect_same_view(test, asi->pgd, alias, "direct-map alias, undone");
	KUNIT_EXPECT_EQ(test, access_inside(test, asi, alias, true, &v, &exits,
					    &stayed), 0);
	KUNIT_EXPECT_TRUE(test, stayed);
	asi_kunit_mm_release(mm);
	vfree(p);
}

static void skip_sync(unsigned long start, unsigned long end)
{
}

/*
 * The deliberate omission: a CPA change that does not reach the restricted
 * tables (asi_kernel_range_changed() stubbed out) leaves a page read-only in
 * init_mm writable inside ASI.  The checker must find it, and warn.
 */
static void broken_cpa_sync_is_caught(struct kunit *test)
{
	const u64 want = 0xfeedfacecafef00dULL;
	unsigned long exits, found;
	struct mm_struct *mm;
	struct target t;
	struct asi *asi;
	bool stayed;
	u64 *p, v;

	target_get(test, &t, REGION_4K);
	p = page_address(t.page);
	*p = want;
	mm = asi_kunit_mm_with_test_domain(test, &asi);

	kunit_activate_static_stub(test, asi_kernel_range_changed, skip_sync);
	KUNIT_ASSERT_EQ(test, set_memory_ro((unsigned long)p, 1), 0);
	kunit_deactivate_static_stub(test, asi_kernel_range_changed);

	found = asi_check_tables(asi->pgd);
	KUNIT_EXPECT_GE(test, found, 1);
	asi_kunit_expect_warnings(test, 1, "asi_check_tables");
	/* The widening is real: the write goes through inside. */
	v = want;
	KUNIT_EXPECT_EQ(test, access_inside(test, asi, p, true, &v, &exits,
					    &stayed), 0);
	KUNIT_EXPECT_TRUE(test, stayed);

	/* The next change of the page reaches the tables again. */
	KUNIT_EXPECT_EQ(test, set_memory_rw((unsigned long)p, 1), 0);
	expect_checker_clean(test, asi, NULL);
	asi_kunit_mm_release(mm);
	target_release(&t);
}

/*
 * Sensitive allocations of several orders, the largest crossing a 2M
 * boundary: every page leaves every domain (created before and after),
 * the memory past the allocation (past its block of 2M, for the small
 * ones) stays, and all is back once freed.
 */
static void x86_sensitive_orders(struct kunit *test)
{
	static const unsigned int orders[] = { 0, 3, 9, 10 };
	struct mm_struct *mm_a, *mm_b;
	struct asi *a, *b;
	struct page *page;
	unsigned long n, j;
	int i;

	mm_a = asi_kunit_mm_with_test_domain(test, &a);
	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		n = 1UL << orders[i];
		page = asi_alloc_sensitive_pages(GFP_KERNEL, orders[i]);
		KUNIT_ASSERT_NOT_NULL(test, page);
		mm_b = asi_kunit_mm_new(test);
		asi_kunit_mm_switch(mm_a, mm_b);
		KUNIT_ASSERT_EQ(test, asi_init(mm_b, ASI_CLASS_TEST, &b), 0);
		for (j = 0; j < n; j += max(1UL, n / 8)) {
			void *q = page_address(page + j);

			KUNIT_EXPECT_FALSE(test, view_in(a->pgd, q).present);
			KUNIT_EXPECT_FALSE(test, view_in(b->pgd, q).present);
			KUNIT_EXPECT_TRUE(test, view_in(init_mm.pgd, q).present);
		}
		KUNIT_EXPECT_FALSE(test, view_in(a->pgd, page_address(page + n - 1)).present);
		expect_same_view(test, a->pgd,
				 PTR_ALIGN(page_address(page) + (n << PAGE_SHIFT),
					   PMD_SIZE), "the page after");
		expect_checker_clean(test, a, b);
		asi_free_sensitive_pages(page, orders[i]);
		for (j = 0; j < n; j += max(1UL, n / 8))
			expect_same_view(test, b->pgd, page_address(page + j),
					 "freed");
		expect_checker_clean(test, a, b);
		asi_kunit_mm_switch(mm_b, mm_a);
		asi_kunit_mm_put(mm_b);
	}
	asi_kunit_mm_release(mm_a);
}

static struct page *prepared_block;

/* asi_sensitive_page_alloc() stub: the case's block, for a new block. */
static struct page *hand_out_block(gfp_t gfp, unsigned int order)
{
	return order == ASI_BLOCK_ORDER ? prepared_block : NULL;
}

/*
 * Small sensitive allocations share a block of 2M made sensitive whole:
 * init_mm's 2M leaf there stays a 2M leaf (not global while the block is
 * sensitive, global again after), where making the pages sensitive one by
 * one would split it to 4K for good.  The restricted spaces lose the
 * whole block until its last page is freed.
 */
static void x86_sensitive_keeps_large_leaf(struct kunit *test)
{
	struct page *tried[64], *block = NULL, *a, *b, *p;
	struct mm_struct *mm;
	struct asi *asi;
	int n = 0, i;
	void *base;

	while (n < ARRAY_SIZE(tried)) {
		p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, ASI_BLOCK_ORDER);
		if (!p)
			break;
		if (kernel_leaf(page_address(p)) == 1 &&
		    (view_in(init_mm.pgd, page_address(p)).flags & _PAGE_GLOBAL)) {
			block = p;
			break;
		}
		tried[n++] = p;
	}
	while (n--)
		__free_pages(tried[n], ASI_BLOCK_ORDER);
	if (!block)
		kunit_skip(test, "no free 2M leaf in the direct map");
	base = page_address(block);

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	prepared_block = block;
	kunit_activate_static_stub(test, asi_sensitive_page_alloc,
				   hand_out_block);
	a = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	b = asi_alloc_sensitive_pages(GFP_KERNEL, 3);
	kunit_deactivate_static_stub(test, asi_sensitive_page_alloc);
	KUNIT_ASSERT_PTR_EQ(test, a, block);
	/* The first free run of eight, aligned to eight. */
	KUNIT_ASSERT_PTR_EQ(test, b, block + 8);

	KUNIT_EXPECT_EQ(test, kernel_leaf(base), 1);
	KUNIT_EXPECT_FALSE(test, view_in(init_mm.pgd, base).flags & _PAGE_GLOBAL);
	for (i = 0; i < 1 << ASI_BLOCK_ORDER; i += 73)
		KUNIT_EXPECT_FALSE(test, view_in(asi->pgd, base + i * PAGE_SIZE).present);
	expect_same_view(test, asi->pgd, base + PMD_SIZE, "past the block");
	expect_checker_clean(test, asi, NULL);

	asi_free_sensitive_pages(a, 0);
	KUNIT_EXPECT_FALSE(test, view_in(asi->pgd, base).present);
	asi_free_sensitive_pages(b, 3);
	KUNIT_EXPECT_EQ(test, kernel_leaf(base), 1);
	KUNIT_EXPECT_TRUE(test, view_in(init_mm.pgd, base).flags & _PAGE_GLOBAL);
	for (i = 0; i < 1 << ASI_BLOCK_ORDER; i += 73)
		expect_same_view(test, asi->pgd, base + i * PAGE_SIZE, "freed");
	expect_checker_clean(test, asi, NULL);
	asi_kunit_mm_release(mm);
}

/*
 * A sensitive range that crosses a 1G boundary of the direct map, made
 * and undone with the core's own operation (no flush: the case flushes).  The pages there belong to
 * somebody else: being sensitive for a moment only makes their accesses
 * from inside ASI fault out.  Pages that may already be sensitive (not
 * global in init_mm) are left alone.
 */
static void x86_sensitive_across_1g(struct kunit *test)
{
	unsigned long boundary, end = PAGE_OFFSET + (max_pfn << PAGE_SHIFT);
	struct mm_struct *mm;
	struct asi *asi;
	void *p;

	for (boundary = PAGE_OFFSET + PUD_SIZE; boundary < end;
	     boundary += PUD_SIZE) {
		p = (void *)boundary - PAGE_SIZE;
		if (pfn_valid(__pa(p) >> PAGE_SHIFT) &&
		    pfn_valid(__pa(boundary) >> PAGE_SHIFT) &&
		    (view_in(init_mm.pgd, p).flags & _PAGE_GLOBAL) &&
		    (view_in(init_mm.pgd, (void *)boundary).flags & _PAGE_GLOBAL))
			break;
	}
	if (boundary >= end)
		kunit_skip(test, "no 1G boundary inside the direct map's memory");

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	KUNIT_ASSERT_EQ(test, asi_set_sensitive(p, 2, true), 0);
	flush_tlb_kernel_range((unsigned long)p, boundary + PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, view_in(asi->pgd, p).present);
	KUNIT_EXPECT_FALSE(test, view_in(asi->pgd, (void *)boundary).present);
	expect_same_view(test, asi->pgd, p - PAGE_SIZE, "below");
	expect_same_view(test, asi->pgd, (void *)boundary + PAGE_SIZE, "above");
	expect_checker_clean(test, asi, NULL);
	KUNIT_EXPECT_EQ(test, asi_set_sensitive(p, 2, false), 0);
	expect_same_view(test, asi->pgd, p, "undone");
	expect_same_view(test, asi->pgd, (void *)boundary, "undone");
	expect_checker_clean(test, asi, NULL);
	asi_kunit_mm_release(mm);
}

static struct kunit_case asi_x86_cpa_cases[] = {
	KUNIT_CASE_PARAM(x86_cpa_reaches_restricted, cpa_gen_params),
	KUNIT_CASE(x86_cpa_vmalloc_alias),
	KUNIT_CASE(broken_cpa_sync_is_caught),
	KUNIT_CASE(x86_sensitive_orders),
	KUNIT_CASE(x86_sensitive_keeps_large_leaf),
	KUNIT_CASE(x86_sensitive_across_1g),
	{}
};

static struct kunit_suite asi_x86_cpa_suite = {
	.name = "asi_x86_cpa",
	.suite_init = asi_kunit_backend_suite_init,
	.suite_exit = asi_kunit_backend_suite_exit,
	.init = asi_kunit_backend_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_x86_cpa_cases,
};

kunit_test_suites(&asi_x86_cpa_suite);
