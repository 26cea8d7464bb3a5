// SPDX-License-Identifier: GPL-2.0
/*
 * UML only: what the shared core asks of the machine, read back from the
 * mocked TLB.  These cases pin down the exact CR3 values, PCIDs and
 * invalidations that x86 hardware would be given.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/kallsyms.h>
#include <linux/asi.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/preempt.h>
#include <linux/sched/mm.h>

#include <trace/events/asi.h>

#include "asi_kunit.h"

static void um_case_exit(struct kunit *test)
{
	asi_um_tlb_cr3_hook(NULL, NULL, false);
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
	       (noflush ? ASI_UM_CR3_NOFLUSH : 0);
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
			__pa(mm->pgd) | (st.slot + 1) | ASI_UM_CR3_NOFLUSH);
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
	KUNIT_EXPECT_EQ(test, ev[0].val, expected_cr3(asi, false) & ASI_UM_CR3_PCID_MASK);
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

/*
 * Sensitive pages are out of the restricted spaces until freed.  Small
 * allocations share a block of 2M that is sensitive whole, and goes back
 * with the last of them; the memory around the block stays mapped.
 */
static void um_sensitive_pages(struct kunit *test)
{
	const unsigned long block = PAGE_SIZE << ASI_BLOCK_ORDER;
	struct page *page = asi_alloc_sensitive_pages(GFP_KERNEL, 2);
	struct page *more = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	void *p, *b;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_NOT_NULL(test, more);
	p = page_address(page);
	b = PTR_ALIGN_DOWN(p, block);
	/* One block for both, aligned to its order. */
	KUNIT_EXPECT_PTR_EQ(test, PTR_ALIGN_DOWN(page_address(more), block), b);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, 4 * PAGE_SIZE));
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_TRUE(test, asi_um_tlb_is_sensitive(p + i * PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, asi_um_tlb_is_sensitive(b));
	KUNIT_EXPECT_TRUE(test, asi_um_tlb_is_sensitive(b + block - PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, asi_um_tlb_is_sensitive(b + block));
	KUNIT_EXPECT_FALSE(test, asi_um_tlb_is_sensitive(b - PAGE_SIZE));
	asi_free_sensitive_pages(page, 2);
	KUNIT_EXPECT_TRUE(test, asi_um_tlb_is_sensitive(b));
	asi_free_sensitive_pages(more, 0);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_FALSE(test, asi_um_tlb_is_sensitive(p + i * PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, asi_um_tlb_is_sensitive(b));
	KUNIT_EXPECT_FALSE(test, asi_um_tlb_is_sensitive(b + block - PAGE_SIZE));
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
 * A backend that gives a slot out of range is warned about at both places
 * the core asks for one, and nothing reaches the machine with that slot:
 * no entry, no invalidation; the failed entry ends its critical section,
 * so that an interrupt's return does not try (and warn) again.  The exit
 * does not ask: it goes back to the
 * normal PCID of the slot recorded on entry, keeping its entries, as the
 * kernel's TLB code expects (never PCID 0 behind its back).
 */
static void um_bad_slot_warns(struct kunit *test)
{
	static const char *const where[] = {
		"asi_restricted_cr3", "asi_tlb_flush_one_user",
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
	/* The failed entry ended its section: no interrupt tries again. */
	local_irq_disable();
	asi_intr_enter();
	asi_intr_exit();
	local_irq_enable();
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
	KUNIT_EXPECT_EQ(test, after_exit.cr3,
			__pa(mm->pgd) | asi_um_pcid(before.slot, ASI_NORMAL_SPACE) |
			ASI_UM_CR3_NOFLUSH);
	asi_kunit_expect_warnings_from(test, where, ARRAY_SIZE(where));
	asi_kunit_mm_release(mm);
}

/* A class whose hooks count, for the fault-injection cases. */
static unsigned int post_enters, pre_exits;

static void count_post_enter(struct asi *asi)
{
	post_enters++;
}

static void count_pre_exit(struct asi *asi)
{
	pre_exits++;
}

static const struct asi_class_ops counting_ops = {
	.name = "um-counting",
	.post_enter = count_post_enter,
	.pre_exit = count_pre_exit,
};

/*
 * The fault (or an NMI that faults) the CR3 hook injects: before the
 * write, the model is still in the normal space, so the fault handler is
 * called directly, as for an access the restricted table would not map;
 * after it, a real access to a sensitive page faults in the model.
 */
struct injected {
	unsigned long addr;
	bool handled;
	int ret;
	unsigned long pfn;
	bool after;
};

static void inject_fault(void *arg)
{
	struct injected *f = arg;

	/* An NMI, as its entry and exit code count it. */
	asi_intr_enter();
	if (f->after)
		f->ret = asi_um_tlb_access(f->addr, false, &f->pfn);
	else
		f->handled = asi_handle_fault(f->addr, _THIS_IP_, 0);
	asi_intr_exit();
}

/*
 * An NMI's fault in asi_enter() between publishing the domain and the
 * CR3 write taking effect (@after false), or after the write but before
 * the counters and post_enter (@after true).  The fault leaves ASI (a
 * fault exit is counted), but the entry had not completed: no exit is
 * counted and pre_exit does not run.  The NMI's return does not switch
 * in the middle of a switch; asi_enter() itself starts over, since its
 * critical section wants the domain: the CPU ends restricted, entered
 * once, on the domain's CR3.  Its exit pairs with that entry.
 */
static void fault_in_enter(struct kunit *test, bool after)
{
	struct asi_class_stats before, mid, end;
	struct page *page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	struct injected f = { .after = after };
	struct asi_um_tlb_state st, st2;
	struct asi *asi, *curr;
	struct mm_struct *mm;
	bool inside, again;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, page);
	f.addr = (unsigned long)page_address(page);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	err = asi_register_class(ASI_CLASS_KVM, &counting_ops);
	if (err == -EBUSY)
		kunit_skip(test, "ASI_CLASS_KVM is registered by someone else");
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_KVM, &asi), 0);
	post_enters = 0;
	pre_exits = 0;
	asi_get_class_stats(ASI_CLASS_KVM, &before);

	preempt_disable();
	asi_um_tlb_cr3_hook(inject_fault, &f, after);
	asi_enter(asi);
	inside = asi_is_restricted();
	curr = asi_get_current();
	st = tlb_state();
	preempt_enable();
	asi_get_class_stats(ASI_CLASS_KVM, &mid);

	KUNIT_EXPECT_TRUE(test, inside);
	KUNIT_EXPECT_PTR_EQ(test, curr, asi);
	KUNIT_EXPECT_EQ(test, st.cr3 & ~ASI_UM_CR3_NOFLUSH,
			__pa(asi->pgd) | asi_um_pcid(st.slot, ASI_CLASS_KVM));
	if (after) {
		KUNIT_EXPECT_EQ(test, f.ret, 0);
		KUNIT_EXPECT_EQ(test, f.pfn, page_to_pfn(page));
	} else {
		KUNIT_EXPECT_TRUE(test, f.handled);
	}
	KUNIT_EXPECT_EQ(test, mid.enters - before.enters, 1);
	KUNIT_EXPECT_EQ(test, mid.reentries - before.reentries, 0);
	KUNIT_EXPECT_EQ(test, mid.exits - before.exits, 0);
	KUNIT_EXPECT_EQ(test, mid.fault_exits - before.fault_exits, 1);
	KUNIT_EXPECT_EQ(test, post_enters, 1);
	KUNIT_EXPECT_EQ(test, pre_exits, 0);

	preempt_disable();
	asi_exit();
	again = asi_is_restricted();
	st2 = tlb_state();
	preempt_enable();
	asi_get_class_stats(ASI_CLASS_KVM, &end);
	KUNIT_EXPECT_FALSE(test, again);
	KUNIT_EXPECT_EQ(test, st2.cr3 & ~ASI_UM_CR3_NOFLUSH,
			__pa(mm->pgd) | asi_um_pcid(st2.slot, ASI_NORMAL_SPACE));
	KUNIT_EXPECT_EQ(test, end.enters - mid.enters, 0);
	KUNIT_EXPECT_EQ(test, end.exits - mid.exits, 1);
	KUNIT_EXPECT_EQ(test, post_enters, 1);
	KUNIT_EXPECT_EQ(test, pre_exits, 1);

	asi_kunit_mm_release(mm);
	KUNIT_EXPECT_EQ(test, asi_unregister_class(ASI_CLASS_KVM), 0);
	asi_free_sensitive_pages(page, 0);
}

static void um_fault_before_cr3_write(struct kunit *test)
{
	fault_in_enter(test, false);
}

static void um_fault_after_cr3_write(struct kunit *test)
{
	fault_in_enter(test, true);
}

static struct asi_kunit_exits exits_seen;

/*
 * Taking a page out of the restricted spaces, where the template already
 * owns the page table (a sensitive page next to it), costs no restricted
 * PCID its entries: the core removes the page from the template while its
 * translation is still global, which the range flush drops, so nothing
 * makes every restricted PCID stale, and the next entry keeps the
 * domain's PCID (no-flush bit).  The other order would leave a
 * non-global translation to remove, and a flush of every PCID.
 */
static void um_sensitive_keeps_pcids_fresh(struct kunit *test)
{
	struct page *pair = alloc_pages(GFP_KERNEL, 1);
	struct mm_struct *mm;
	struct asi *asi;
	unsigned long cr3;

	KUNIT_ASSERT_NOT_NULL(test, pair);
	split_page(pair, 1);
	asi_kunit_alloc_sensitive(test, pair, 0);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	preempt_disable();
	asi_enter(asi);
	asi_exit();
	preempt_enable();

	asi_kunit_alloc_sensitive(test, pair + 1, 0);
	preempt_disable();
	asi_enter(asi);
	cr3 = tlb_state().cr3;
	asi_exit();
	preempt_enable();
	KUNIT_EXPECT_TRUE(test, cr3 & ASI_UM_CR3_NOFLUSH);
	asi_free_sensitive_pages(pair + 1, 0);
	asi_free_sensitive_pages(pair, 0);
	asi_kunit_mm_release(mm);
}

/*
 * The exit reasons of the model's x86 TLB code: a flush of the loaded
 * mm's user range leaves with ASI_EXIT_TLB_FLUSH; a fault exit records
 * the address, the code that touched it and x86's error code (here: a
 * read of a page not present, 0).
 */
static void um_exit_reasons_and_fault_record(struct kunit *test)
{
	char where[KSYM_SYMBOL_LEN];
	struct mm_struct *mm;
	unsigned long pfn;
	struct page *page;
	struct asi *asi;

	page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_kunit_record_exits(test, &exits_seen);

	preempt_disable();
	asi_enter(asi);
	asi_um_flush_tlb_user(mm, 0x10000000, 0x10000000 + PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	asi_enter(asi);
	KUNIT_EXPECT_EQ(test, asi_um_tlb_access((unsigned long)page_address(page),
						false, &pfn), 0);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	preempt_enable();

	KUNIT_ASSERT_EQ(test, exits_seen.n, 2);
	KUNIT_EXPECT_EQ(test, exits_seen.reason[0], ASI_EXIT_TLB_FLUSH);
	KUNIT_EXPECT_EQ(test, exits_seen.reason[1], ASI_EXIT_FAULT);
	KUNIT_EXPECT_EQ(test, exits_seen.faults, 1);
	KUNIT_EXPECT_EQ(test, exits_seen.addr,
			(unsigned long)page_address(page));
	KUNIT_EXPECT_EQ(test, exits_seen.error_code, 0);
	sprint_symbol_no_offset(where, exits_seen.ip);
	KUNIT_EXPECT_STREQ(test, where, "um_exit_reasons_and_fault_record");
	asi_kunit_mm_release(mm);
	asi_free_sensitive_pages(page, 0);
}

static struct kunit_case asi_um_tlb_cases[] = {
	KUNIT_CASE(um_enter_loads_domain_cr3),
	KUNIT_CASE(um_flush_invpcid_per_domain),
	KUNIT_CASE(um_no_pcid),
	KUNIT_CASE(um_no_invpcid),
	KUNIT_CASE(um_pgd_freed_with_mm),
	KUNIT_CASE(um_sensitive_pages),
	KUNIT_CASE(um_bad_slot_warns),
	KUNIT_CASE(um_fault_before_cr3_write),
	KUNIT_CASE(um_fault_after_cr3_write),
	KUNIT_CASE(um_exit_reasons_and_fault_record),
	KUNIT_CASE(um_sensitive_keeps_pcids_fresh),
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
