// SPDX-License-Identifier: GPL-2.0
/*
 * The pool suite: the memory of user mappings, taken from ASI's pool of
 * sensitive blocks (mm/asi.c) through the page allocator's own paths.
 * Shared: on UML the model's restricted tables lose the pool's blocks as
 * x86's do.  Each case turns the pool on for itself and gives its empty
 * blocks back at the end.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/gfp.h>
#include <linux/kasan.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/string.h>

#include "../../mm/asi_internal.h"
#include "asi_kunit.h"

static void pool_restore(void *was_taking)
{
	asi_pool_set_taking((uintptr_t)was_taking);
	asi_pool_release_empty();
}

static int pool_case_init(struct kunit *test)
{
	bool was;
	int err;

	err = asi_kunit_backend_case_init(test);
	if (err)
		return err;
	was = asi_pool_set_taking(true);
	return kunit_add_action_or_reset(test, pool_restore,
					 (void *)(uintptr_t)was);
}

static struct asi_pool_stats pool_stats(void)
{
	struct asi_pool_stats st;

	asi_pool_get_stats(&st);
	return st;
}

/*
 * A user page is out of the restricted spaces: read from inside a domain
 * it faults, leaves ASI and reads the right value.  A kernel page next to
 * it is read inside, with no exit.
 */
static void pool_user_page_sensitive(struct kunit *test)
{
	struct page *user, *kern;
	struct asi_kunit_exits exits;
	bool in_after_kern, in_after_user;
	u64 *u, *k, vu, vk;
	struct mm_struct *mm;
	struct asi *asi;

	user = alloc_page(GFP_HIGHUSER_MOVABLE);
	KUNIT_ASSERT_NOT_NULL(test, user);
	kern = alloc_page(GFP_KERNEL);
	if (!kern)
		__free_page(user);
	KUNIT_ASSERT_NOT_NULL(test, kern);
	KUNIT_EXPECT_TRUE(test, asi_pool_holds(user));
	KUNIT_EXPECT_FALSE(test, asi_pool_holds(kern));
	u = page_address(user);
	k = page_address(kern);
	*u = 0x5ec7e7;
	*k = 0x600d;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_kunit_record_exits(test, &exits);
	preempt_disable();
	asi_enter(asi);
	vk = asi_kunit_read_kernel(k);
	in_after_kern = asi_is_restricted();
	vu = asi_kunit_read_kernel(u);
	in_after_user = asi_is_restricted();
	asi_exit();
	preempt_enable();
	asi_kunit_mm_release(mm);

	KUNIT_EXPECT_EQ(test, vk, 0x600d);
	KUNIT_EXPECT_TRUE(test, in_after_kern);
	KUNIT_EXPECT_EQ(test, vu, 0x5ec7e7);
	KUNIT_EXPECT_FALSE(test, in_after_user);
	KUNIT_EXPECT_EQ(test, exits.faults, 1);
	KUNIT_EXPECT_EQ(test, exits.addr, (unsigned long)u);
	__free_page(user);
	__free_page(kern);
}

/*
 * A freed user page stays in the pool and is handed out again; the block
 * goes back to the page allocator once empty, and only then.  The map of
 * the pool's blocks has the block while it is the pool's, and not after:
 * frees of its pages skip the index again.
 */
static void pool_free_keeps_then_gives_back(struct kunit *test)
{
	struct asi_pool_stats st0 = pool_stats(), st;
	struct page *a, *b, *c;

	a = alloc_page(GFP_HIGHUSER_MOVABLE);
	b = alloc_page(GFP_HIGHUSER_MOVABLE);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, page_to_pfn(a) >> ASI_BLOCK_ORDER,
			page_to_pfn(b) >> ASI_BLOCK_ORDER);
	st = pool_stats();
	KUNIT_EXPECT_EQ(test, st.blocks - st0.blocks, 1);
	KUNIT_EXPECT_EQ(test, st.pages - st0.pages, 2);

	KUNIT_EXPECT_TRUE(test, asi_pool_may_hold(page_to_pfn(a)));
	__free_page(a);
	KUNIT_EXPECT_TRUE(test, asi_pool_holds(a));
	KUNIT_EXPECT_EQ(test, pool_stats().pages - st0.pages, 1);
	/* Nothing to give back while a page is out. */
	KUNIT_EXPECT_EQ(test, asi_pool_release_empty(), 0);
	c = alloc_page(GFP_HIGHUSER_MOVABLE);
	KUNIT_EXPECT_PTR_EQ(test, c, a);

	__free_page(b);
	if (c)
		__free_page(c);
	KUNIT_EXPECT_EQ(test, pool_stats().pages, st0.pages);
	KUNIT_EXPECT_EQ(test, asi_pool_release_empty(), 1);
	st = pool_stats();
	KUNIT_EXPECT_EQ(test, st.blocks, st0.blocks);
	KUNIT_EXPECT_EQ(test, st.released - st0.released, 1);
	KUNIT_EXPECT_FALSE(test, asi_pool_holds(a));
	KUNIT_EXPECT_FALSE(test, asi_pool_may_hold(page_to_pfn(a)));
}

static int seen_calls;
static bool seen_cleared;
static void *seen_addr;

/* Notes whether a block is cleared when it is mapped again. */
static int clear_noting_set_sensitive(void *addr, unsigned long npages,
				      bool sensitive)
{
	if (!sensitive) {
		seen_calls++;
		seen_addr = addr;
		kasan_disable_current();
		seen_cleared = !memchr_inv(addr, 0, npages * PAGE_SIZE);
		kasan_enable_current();
	}
	return __asi_set_sensitive(addr, npages, sensitive);
}

/*
 * A block given back is cleared before the restricted spaces map it
 * again: what processes left in it would be every domain's otherwise.
 */
static void pool_give_back_clears_first(struct kunit *test)
{
	struct page *page = alloc_page(GFP_HIGHUSER_MOVABLE);
	unsigned long block;

	KUNIT_ASSERT_NOT_NULL(test, page);
	block = ALIGN_DOWN(page_to_pfn(page), 1UL << ASI_BLOCK_ORDER);
	memset(page_address(page), 0xa5, PAGE_SIZE);
	__free_page(page);
	seen_calls = 0;
	seen_cleared = false;
	kunit_activate_static_stub(test, asi_set_sensitive,
				   clear_noting_set_sensitive);
	KUNIT_EXPECT_EQ(test, asi_pool_release_empty(), 1);
	kunit_deactivate_static_stub(test, asi_set_sensitive);
	KUNIT_EXPECT_EQ(test, seen_calls, 1);
	KUNIT_EXPECT_PTR_EQ(test, seen_addr, page_address(pfn_to_page(block)));
	KUNIT_EXPECT_TRUE_MSG(test, seen_cleared,
			      "a block was mapped again with old contents");
}

static int map_failing_set_sensitive(void *addr, unsigned long npages,
				     bool sensitive)
{
	if (!sensitive) {
		seen_addr = addr;
		return -ENOMEM;
	}
	return __asi_set_sensitive(addr, npages, sensitive);
}

/*
 * A block that cannot be mapped again is leaked, with a warning, rather
 * than handed to the page allocator unmapped; the case then maps and
 * frees it itself.
 */
static void pool_give_back_failure_leaks(struct kunit *test)
{
	struct asi_pool_stats st0 = pool_stats();
	struct page *page = alloc_page(GFP_HIGHUSER_MOVABLE);

	KUNIT_ASSERT_NOT_NULL(test, page);
	__free_page(page);
	seen_addr = NULL;
	kunit_activate_static_stub(test, asi_set_sensitive,
				   map_failing_set_sensitive);
	KUNIT_EXPECT_EQ(test, asi_pool_release_empty(), 1);
	kunit_deactivate_static_stub(test, asi_set_sensitive);
	asi_kunit_expect_message(test, "cannot map a block of the pool again");
	asi_kunit_expect_warnings(test, 1, "asi_pool_give_back");
	KUNIT_EXPECT_EQ(test, pool_stats().released, st0.released);
	KUNIT_EXPECT_EQ(test, pool_stats().blocks, st0.blocks);
	KUNIT_EXPECT_FALSE(test, asi_pool_holds(page));
	KUNIT_ASSERT_NOT_NULL(test, seen_addr);
	KUNIT_ASSERT_EQ(test, __asi_set_sensitive(seen_addr,
						  1UL << ASI_BLOCK_ORDER,
						  false), 0);
	free_prepared_pages(virt_to_page(seen_addr), ASI_BLOCK_ORDER);
}

/* Which allocations are memory for user mappings. */
static void pool_serves_user_memory_only(struct kunit *test)
{
	static const struct {
		gfp_t gfp;
		bool wants;
	} cases[] = {
		{ GFP_HIGHUSER_MOVABLE, true },
		{ GFP_HIGHUSER, true },
		{ GFP_USER | __GFP_MOVABLE, true },
		{ GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT, true },
		{ GFP_USER, false },
		{ GFP_KERNEL, false },
		{ GFP_KERNEL | __GFP_MOVABLE, false },
		{ GFP_ATOMIC, false },
		{ GFP_HIGHUSER | __GFP_DMA32, false },
		{ GFP_HIGHUSER_MOVABLE | __GFP_THISNODE, false },
	};
	struct page *page;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, asi_pool_wants(cases[i].gfp),
				    cases[i].wants, "gfp %pGg", &cases[i].gfp);
	/* A slab page for kmalloc(GFP_USER) stays kernel memory. */
	page = alloc_page(GFP_USER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, asi_pool_holds(page));
	__free_page(page);
}

/*
 * What the pool cannot serve falls back to the page allocator's own
 * pages, counted: a huge page, and an allocation that cannot sleep when
 * no block has room.  One that cannot sleep is served when one has.
 */
static void pool_fallbacks_counted(struct kunit *test)
{
	const gfp_t nowait = (GFP_HIGHUSER_MOVABLE & ~__GFP_DIRECT_RECLAIM);
	struct asi_pool_stats st0 = pool_stats();
	struct page *huge, *atomic, *user;

	huge = alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN,
			   ASI_BLOCK_ORDER);
	if (huge) {
		KUNIT_EXPECT_FALSE(test, asi_pool_holds(huge));
		__free_pages(huge, ASI_BLOCK_ORDER);
	}
	KUNIT_EXPECT_EQ(test, pool_stats().fallbacks - st0.fallbacks, 1);

	KUNIT_ASSERT_EQ_MSG(test, st0.blocks, 0, "the pool has blocks already");
	atomic = alloc_page(nowait);
	KUNIT_ASSERT_NOT_NULL(test, atomic);
	KUNIT_EXPECT_FALSE(test, asi_pool_holds(atomic));
	KUNIT_EXPECT_EQ(test, pool_stats().fallbacks - st0.fallbacks, 2);
	__free_page(atomic);

	user = alloc_page(GFP_HIGHUSER_MOVABLE);
	KUNIT_ASSERT_NOT_NULL(test, user);
	atomic = alloc_page(nowait);
	KUNIT_EXPECT_TRUE(test, atomic && asi_pool_holds(atomic));
	KUNIT_EXPECT_EQ(test, pool_stats().fallbacks - st0.fallbacks, 2);
	if (atomic)
		__free_page(atomic);
	__free_page(user);
}

/* A large folio of the page cache's kind: compound, aligned, returned. */
static void pool_compound_folio(struct kunit *test)
{
	struct asi_pool_stats st0 = pool_stats();
	struct folio *folio;

	folio = folio_alloc(GFP_HIGHUSER_MOVABLE, 2);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_TRUE(test, asi_pool_holds(&folio->page));
	KUNIT_EXPECT_EQ(test, folio_order(folio), 2);
	KUNIT_EXPECT_EQ(test, folio_pfn(folio) & 3, 0);
	KUNIT_EXPECT_EQ(test, pool_stats().pages - st0.pages, 4);
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, pool_stats().pages, st0.pages);
}

static struct kunit_case asi_pool_cases[] = {
	KUNIT_CASE(pool_user_page_sensitive),
	KUNIT_CASE(pool_free_keeps_then_gives_back),
	KUNIT_CASE(pool_give_back_clears_first),
	KUNIT_CASE(pool_give_back_failure_leaks),
	KUNIT_CASE(pool_serves_user_memory_only),
	KUNIT_CASE(pool_fallbacks_counted),
	KUNIT_CASE(pool_compound_folio),
	{}
};

static struct kunit_suite asi_pool_suite = {
	.name = "asi_pool",
	.suite_init = asi_kunit_backend_suite_init,
	.suite_exit = asi_kunit_backend_suite_exit,
	.init = pool_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_pool_cases,
};

kunit_test_suites(&asi_pool_suite);
