// SPDX-License-Identifier: GPL-2.0
/*
 * x86 only: the hardware view.  CR3 read back, faults taken inside a
 * restricted address space, interrupts while restricted.
 */

#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pgtable.h>
#include <linux/preempt.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/tlbflush.h>

#include "asi_kunit.h"

static unsigned long fault_exits(struct kunit *test)
{
	struct asi_class_stats s;

	KUNIT_EXPECT_EQ(test, asi_class_stats(ASI_CLASS_TEST, &s), 0);
	return s.fault_exits;
}

/* CR3 holds the domain's page table (and PCID) inside, the mm's outside. */
static void x86_cr3_enter_exit(struct kunit *test)
{
	unsigned long cr3, want;
	struct mm_struct *mm;
	struct asi *asi;
	u16 slot;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	preempt_disable();
	slot = this_cpu_read(cpu_tlbstate.loaded_mm_asid);
	asi_enter(asi);
	cr3 = __read_cr3();
	want = __sme_pa(asi->pgd);
	if (boot_cpu_has(X86_FEATURE_PCID))
		want |= (slot + 1) | ((ASI_CLASS_TEST + 1) << 8);
	KUNIT_EXPECT_EQ(test, cr3, want);
	asi_exit();
	cr3 = __read_cr3();
	want = __sme_pa(mm->pgd);
	if (boot_cpu_has(X86_FEATURE_PCID))
		want |= slot + 1;
	KUNIT_EXPECT_EQ(test, cr3, want);
	preempt_enable();
	asi_kunit_mm_release(mm);
}

/* Non-sensitive kernel memory is mapped: reading it stays restricted. */
static void x86_nonsensitive_read_stays(struct kunit *test)
{
	unsigned long before;
	struct mm_struct *mm;
	struct asi *asi;
	int *p, v;

	p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	*p = 0x5a5a;
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	before = fault_exits(test);
	preempt_disable();
	asi_enter(asi);
	v = READ_ONCE(*p);
	KUNIT_EXPECT_TRUE(test, asi_is_restricted());
	asi_exit();
	preempt_enable();
	KUNIT_EXPECT_EQ(test, v, 0x5a5a);
	KUNIT_EXPECT_EQ(test, fault_exits(test), before);
	asi_kunit_mm_release(mm);
}

/*
 * The restricted page table maps no user memory: a user read from inside
 * faults, leaves ASI, and is retried with the right result.
 */
static void x86_user_read_faults_out(struct kunit *test)
{
	unsigned long addr, before, left;
	struct mm_struct *mm;
	struct asi *asi;
	u32 v = 0;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	KUNIT_ASSERT_EQ(test, put_user(0xabcd1234U, (u32 __user *)addr), 0);

	before = fault_exits(test);
	preempt_disable();
	pagefault_disable();
	asi_enter(asi);
	left = __copy_from_user_inatomic(&v, (void __user *)addr, sizeof(v));
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	pagefault_enable();
	preempt_enable();
	KUNIT_EXPECT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, v, 0xabcd1234U);
	KUNIT_EXPECT_EQ(test, fault_exits(test) - before, 1);
	asi_kunit_mm_release(mm);
}

static bool direct_map_global(void *addr)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)addr, &level);

	return pte && (pte_flags(*pte) & _PAGE_GLOBAL);
}

/*
 * Sensitive memory is not mapped inside: a read faults, leaves ASI and
 * returns the right value.  Its normal mapping is not global, so no TLB
 * entry can carry it into a restricted space; freeing restores both.
 */
static void x86_sensitive_read_faults_out(struct kunit *test)
{
	unsigned long before;
	struct mm_struct *mm;
	struct page *page;
	struct asi *asi;
	u64 *p, v;
	int i;

	page = asi_alloc_sensitive_pages(GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	p[0] = 0x1122334455667788ULL;
	p[PAGE_SIZE / sizeof(u64)] = 0x99aabbccddeeff00ULL;
	KUNIT_EXPECT_FALSE(test, direct_map_global(p));

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	for (i = 0; i < 2; i++) {
		before = fault_exits(test);
		preempt_disable();
		asi_enter(asi);
		KUNIT_EXPECT_TRUE(test, asi_is_restricted());
		v = READ_ONCE(p[i * PAGE_SIZE / sizeof(u64)]);
		KUNIT_EXPECT_FALSE(test, asi_is_restricted());
		preempt_enable();
		KUNIT_EXPECT_EQ(test, v, i ? 0x99aabbccddeeff00ULL :
					     0x1122334455667788ULL);
		KUNIT_EXPECT_EQ(test, fault_exits(test) - before, 1);
	}
	asi_kunit_mm_release(mm);

	asi_free_sensitive_pages(page, 1);
	KUNIT_EXPECT_TRUE(test, direct_map_global(p));
}

static bool mapped_in(pgd_t *pgd, void *addr)
{
	unsigned int level;
	pte_t *pte = lookup_address_in_pgd(pgd_offset_pgd(pgd, (unsigned long)addr),
					   (unsigned long)addr, &level);

	return pte && pte_present(*pte);
}

/*
 * Every domain's page table, including one created before the allocation,
 * loses the sensitive pages, and has them back once they are freed.
 */
static void x86_sensitive_in_every_domain(struct kunit *test)
{
	struct mm_struct *mm;
	struct page *page;
	struct asi *asi;
	void *p;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	KUNIT_EXPECT_FALSE(test, mapped_in(asi->pgd, p));
	KUNIT_EXPECT_TRUE(test, mapped_in(mm->pgd, p));
	KUNIT_EXPECT_TRUE(test, mapped_in(asi->pgd, p + PAGE_SIZE));
	asi_free_sensitive_pages(page, 0);
	KUNIT_EXPECT_TRUE(test, mapped_in(asi->pgd, p));
	asi_kunit_mm_release(mm);
}

/* Timer interrupts are taken, and return, while restricted. */
static void x86_interrupts_while_restricted(struct kunit *test)
{
	unsigned long start, deadline;
	struct mm_struct *mm;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	preempt_disable();
	asi_enter(asi);
	start = jiffies;
	deadline = start + HZ;
	while (time_before_eq(jiffies, start + 2) && time_before(jiffies, deadline))
		cpu_relax();
	KUNIT_EXPECT_TRUE(test, time_after(jiffies, start + 1));
	asi_exit();
	preempt_enable();
	asi_kunit_mm_release(mm);
}

static struct kunit_case asi_x86_cases[] = {
	KUNIT_CASE(x86_cr3_enter_exit),
	KUNIT_CASE(x86_nonsensitive_read_stays),
	KUNIT_CASE(x86_user_read_faults_out),
	KUNIT_CASE(x86_sensitive_read_faults_out),
	KUNIT_CASE(x86_sensitive_in_every_domain),
	KUNIT_CASE(x86_interrupts_while_restricted),
	{}
};

static struct kunit_suite asi_x86_suite = {
	.name = "asi_x86",
	.suite_init = asi_kunit_backend_suite_init,
	.suite_exit = asi_kunit_backend_suite_exit,
	.init = asi_kunit_backend_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_x86_cases,
};

kunit_test_suites(&asi_x86_suite);
