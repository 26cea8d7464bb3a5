// SPDX-License-Identifier: GPL-2.0
/*
 * UML only: what the shared core asks of the machine, read back from the
 * mocked TLB.  These cases pin down the exact CR3 values, PCIDs and
 * invalidations that x86 hardware would be given.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/preempt.h>
#include <linux/sched/mm.h>

#include "asi_kunit.h"

static void um_case_exit(struct kunit *test)
{
	asi_um_tlb_set_features(true, true);
	asi_kunit_case_exit(test);
}

static struct asi_um_tlb_state tlb_state(void)
{
	struct asi_um_tlb_state st;

	asi_um_tlb_get_state(&st);
	return st;
}

/*
 * The spec, written out: PCID = (slot + 1) | (class + 1) << 8, where slot
 * is the ASID slot the kernel gave the mm on this CPU.
 */
static unsigned long expected_cr3(struct asi *asi, bool noflush)
{
	unsigned long slot = tlb_state().slot;

	return __pa(asi->pgd) | (slot + 1) | ((ASI_CLASS_TEST + 1) << 8) |
	       (noflush ? ASI_CR3_NOFLUSH : 0);
}

/*
 * The first entry into a domain's PCID flushes it; later entries keep its
 * entries; exit reloads the normal space with its kernel PCID, no-flush.
 */
static void um_enter_loads_domain_cr3(struct kunit *test)
{
	struct asi_um_tlb_state st;
	struct mm_struct *mm;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	preempt_disable();
	asi_enter(asi);
	st = tlb_state();
	KUNIT_EXPECT_EQ(test, st.cr3, expected_cr3(asi, false));
	asi_exit();
	st = tlb_state();
	KUNIT_EXPECT_EQ(test, st.cr3,
			__pa(mm->pgd) | (st.slot + 1) | ASI_CR3_NOFLUSH);
	asi_enter(asi);
	st = tlb_state();
	KUNIT_EXPECT_EQ(test, st.cr3, expected_cr3(asi, true));
	asi_exit();
	preempt_enable();
	asi_kunit_mm_release(mm);
}

/* INVPCID individual-address on each domain's own PCID, same address. */
static void um_flush_invpcid_per_domain(struct kunit *test)
{
	struct asi_um_tlb_event ev[ASI_MAX_NUM_CLASSES];
	struct asi_um_tlb_state before, after;
	struct mm_struct *mm;
	struct asi *asi;
	unsigned int n;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	before = tlb_state();
	preempt_disable();
	asi_tlb_flush_one_user(mm, 0x7f0000);
	n = asi_um_tlb_log(ev, 1);
	preempt_enable();
	after = tlb_state();
	KUNIT_EXPECT_EQ(test, after.invpcid_addr - before.invpcid_addr, 1);
	KUNIT_EXPECT_EQ(test, after.cr3_writes, before.cr3_writes);
	KUNIT_ASSERT_EQ(test, n, 1);
	KUNIT_EXPECT_EQ(test, ev[0].op, ASI_UM_TLB_INVPCID_ADDR);
	KUNIT_EXPECT_EQ(test, ev[0].val, expected_cr3(asi, false) & ASI_CR3_PCID_MASK);
	KUNIT_EXPECT_EQ(test, ev[0].addr, 0x7f0000);
	asi_kunit_mm_release(mm);
}

/* Without PCIDs: untagged CR3, and every CR3 write flushes, so no fan-out. */
static void um_no_pcid(struct kunit *test)
{
	struct asi_um_tlb_state before, after;
	struct mm_struct *mm;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_um_tlb_set_features(false, false);
	preempt_disable();
	before = tlb_state();
	asi_enter(asi);
	after = tlb_state();
	KUNIT_EXPECT_EQ(test, after.cr3, __pa(asi->pgd));
	asi_tlb_flush_one_user(mm, 0x7f0000);
	asi_exit();
	after = tlb_state();
	KUNIT_EXPECT_EQ(test, after.cr3, __pa(mm->pgd));
	KUNIT_EXPECT_EQ(test, after.cr3_noflush, before.cr3_noflush);
	KUNIT_EXPECT_EQ(test, after.invpcid_addr, before.invpcid_addr);
	KUNIT_EXPECT_EQ(test, after.invlpg, before.invlpg);
	preempt_enable();
	asi_kunit_mm_release(mm);
}

/*
 * PCID without INVPCID: the loaded domain gets INVLPG; a domain not loaded
 * cannot be reached and is flushed on its next entry instead.
 */
static void um_no_invpcid(struct kunit *test)
{
	struct asi_um_tlb_state before, after;
	struct mm_struct *mm;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_um_tlb_set_features(true, false);
	preempt_disable();
	asi_enter(asi);
	asi_exit();
	asi_enter(asi);
	KUNIT_EXPECT_EQ(test, tlb_state().cr3, expected_cr3(asi, true));
	before = tlb_state();
	asi_tlb_flush_one_user(mm, 0x7f0000);
	after = tlb_state();
	KUNIT_EXPECT_EQ(test, after.invlpg - before.invlpg, 1);
	KUNIT_EXPECT_EQ(test, after.invpcid_addr, before.invpcid_addr);
	asi_exit();

	asi_tlb_flush_one_user(mm, 0x7f0000);
	KUNIT_EXPECT_EQ(test, tlb_state().invlpg, after.invlpg);
	asi_enter(asi);
	KUNIT_EXPECT_EQ(test, tlb_state().cr3, expected_cr3(asi, false));
	asi_exit();
	asi_enter(asi);
	KUNIT_EXPECT_EQ(test, tlb_state().cr3, expected_cr3(asi, true));
	asi_exit();
	preempt_enable();
	asi_kunit_mm_release(mm);
}

/* Every restricted page table allocated is freed with its mm. */
static void um_pgd_freed_with_mm(struct kunit *test)
{
	struct asi_um_tlb_state before = tlb_state(), after;
	struct mm_struct *mm;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	after = tlb_state();
	KUNIT_EXPECT_EQ(test, after.pgd_allocs - before.pgd_allocs, 1);
	KUNIT_EXPECT_EQ(test, after.pgd_frees, before.pgd_frees);
	asi_kunit_mm_release(mm);
	after = tlb_state();
	KUNIT_EXPECT_EQ(test, after.pgd_frees - before.pgd_frees, 1);
}

/* Sensitive pages are out of the restricted spaces until freed. */
static void um_sensitive_pages(struct kunit *test)
{
	struct page *page = asi_alloc_sensitive_pages(GFP_KERNEL, 2);
	void *p;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_TRUE(test, asi_um_tlb_is_sensitive(p + i * PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, asi_um_tlb_is_sensitive(p + 4 * PAGE_SIZE));
	asi_free_sensitive_pages(page, 2);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_FALSE(test, asi_um_tlb_is_sensitive(p + i * PAGE_SIZE));
}

/*
 * asi_asid_slot() stub: a broken backend's answer while @slot_broken is
 * set.  Activating a stub allocates, so it is done once, preemptible, and
 * the flag picks the moments inside the preemption-off section.
 */
static bool slot_broken;

static int slot_out_of_range(struct mm_struct *mm)
{
	return slot_broken ? ASI_ARCH_NR_ASID_SLOTS : asi_arch_asid_slot(mm);
}

/*
 * A backend that gives a slot out of range is warned about at each of
 * the three places the core asks for one, and nothing reaches the
 * machine with that slot: no entry, no invalidation, and the exit goes
 * back to the normal page table with PCID 0, flushing it.
 */
static void um_bad_slot_warns(struct kunit *test)
{
	static const char *const where[] = {
		"asi_restricted_cr3", "asi_tlb_flush_one_user",
		"asi_unrestricted_cr3",
	};
	struct asi_um_tlb_state before, after_enter, after_flush, after_exit;
	bool entered, stayed;
	struct mm_struct *mm;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	kunit_activate_static_stub(test, asi_asid_slot, slot_out_of_range);
	preempt_disable();
	before = tlb_state();
	WRITE_ONCE(slot_broken, true);
	asi_enter(asi);
	entered = asi_is_restricted();
	after_enter = tlb_state();
	asi_tlb_flush_one_user(mm, 0x7f0000);
	after_flush = tlb_state();
	WRITE_ONCE(slot_broken, false);

	asi_enter(asi);
	WRITE_ONCE(slot_broken, true);
	asi_exit();
	WRITE_ONCE(slot_broken, false);
	stayed = asi_is_restricted();
	after_exit = tlb_state();
	preempt_enable();
	kunit_deactivate_static_stub(test, asi_asid_slot);

	KUNIT_EXPECT_FALSE(test, entered);
	KUNIT_EXPECT_EQ(test, after_enter.cr3_writes, before.cr3_writes);
	KUNIT_EXPECT_EQ(test, after_flush.invpcid_addr, before.invpcid_addr);
	KUNIT_EXPECT_EQ(test, after_flush.invlpg, before.invlpg);
	KUNIT_EXPECT_FALSE(test, stayed);
	KUNIT_EXPECT_EQ(test, after_exit.cr3, __pa(mm->pgd));
	asi_kunit_expect_warnings_from(test, where, ARRAY_SIZE(where));
	asi_kunit_mm_release(mm);
}

static struct kunit_case asi_um_tlb_cases[] = {
	KUNIT_CASE(um_enter_loads_domain_cr3),
	KUNIT_CASE(um_flush_invpcid_per_domain),
	KUNIT_CASE(um_no_pcid),
	KUNIT_CASE(um_no_invpcid),
	KUNIT_CASE(um_pgd_freed_with_mm),
	KUNIT_CASE(um_sensitive_pages),
	KUNIT_CASE(um_bad_slot_warns),
	{}
};

static struct kunit_suite asi_um_tlb_suite = {
	.name = "asi_um_tlb",
	.suite_init = asi_kunit_backend_suite_init,
	.suite_exit = asi_kunit_backend_suite_exit,
	.init = asi_kunit_backend_case_init,
	.exit = um_case_exit,
	.test_cases = asi_um_tlb_cases,
};

kunit_test_suites(&asi_um_tlb_suite);
