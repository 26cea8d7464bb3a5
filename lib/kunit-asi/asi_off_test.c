// SPDX-License-Identifier: GPL-2.0
/*
 * ASI off: built with CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION=n, or booted
 * with asi=off or mitigations=off.  asi_init() must succeed with a NULL
 * domain and every other call must accept it and do nothing.
 */

#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/debug_locks.h>
#include <linux/preempt.h>
#include <linux/sched/mm.h>

#include "asi_kunit.h"

/* The boot is what `make check` asked for (asi_kunit.expect=on|off). */
static void asi_boot_mode_matches(struct kunit *test)
{
	enum asi_kunit_expect want = asi_kunit_expected_mode();

	if (want == ASI_KUNIT_EXPECT_ANY)
		kunit_skip(test, "no asi_kunit.expect= on the command line");
	KUNIT_EXPECT_EQ(test, asi_enabled(), want == ASI_KUNIT_EXPECT_ON);
	KUNIT_EXPECT_EQ(test, asi_enabled(),
			IS_ENABLED(CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION) &&
			want == ASI_KUNIT_EXPECT_ON);
}

/*
 * The first case of all: the boot printed no report but those the
 * machine is known to print (asi_kunit.boot_warnings=), each once, and
 * left lock debugging on (each case then checks that it stays on).
 */
static void asi_boot_reports(struct kunit *test)
{
	const char *where[4];
	int n = asi_kunit_boot_warnings(where, ARRAY_SIZE(where));

	asi_kunit_expect_outside_warnings_from(test, where, n);
	KUNIT_EXPECT_TRUE_MSG(test, debug_locks,
			      "lock debugging went off during the boot");
}

static struct kunit_case asi_boot_cases[] = {
	KUNIT_CASE(asi_boot_reports),
	KUNIT_CASE(asi_boot_mode_matches),
	{}
};

static struct kunit_suite asi_boot_suite = {
	.name = "asi_boot",
	.init = asi_kunit_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_boot_cases,
};

static int asi_off_init(struct kunit *test)
{
	asi_kunit_case_init(test);
	if (asi_enabled())
		kunit_skip(test, "ASI is on");
	return 0;
}

static void asi_off_init_gives_null(struct kunit *test)
{
	struct mm_struct *mm = asi_kunit_mm_new(test);
	enum asi_class_id id;

	asi_kunit_mm_use(mm);
	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		struct asi *asi = ERR_PTR(-EINVAL);

		KUNIT_EXPECT_EQ(test, asi_init(mm, id, &asi), 0);
		KUNIT_EXPECT_NULL(test, asi);
	}
	asi_kunit_mm_unuse(mm);
	asi_kunit_mm_put(mm);
}

static void asi_off_calls_accept_null(struct kunit *test)
{
	struct mm_struct *mm = asi_kunit_mm_new(test);
	struct page *page;
	struct asi *asi;

	asi_kunit_mm_use(mm);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_USERSPACE, &asi), 0);
	asi_enter(asi);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	preempt_disable();
	KUNIT_EXPECT_NULL(test, asi_get_current());
	preempt_enable();
	/* Off, there is nothing to guard: no warning when preemptible. */
	KUNIT_EXPECT_NULL(test, asi_get_current());
	asi_tlb_flush_one_user(mm, 0x1000);
	asi_exit();
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	KUNIT_EXPECT_NOT_NULL(test, page);
	asi_free_sensitive_pages(page, 0);
	asi_kunit_mm_unuse(mm);
	asi_kunit_mm_put(mm);
}

#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION
/* Off at boot, domains are never made and nothing is counted. */
static void asi_off_nothing_counted(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct mm_struct *mm = asi_kunit_mm_new(test);
	struct asi *asi;

	KUNIT_ASSERT_EQ(test, asi_get_class_stats(ASI_CLASS_KVM, &before), 0);
	asi_kunit_mm_use(mm);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_KVM, &asi), 0);
	asi_enter(asi);
	asi_tlb_flush_one_user(mm, 0x2000);
	asi_exit();
	KUNIT_EXPECT_NULL(test, mm->asi[ASI_CLASS_KVM]);
	asi_kunit_mm_unuse(mm);
	asi_kunit_mm_put(mm);
	KUNIT_ASSERT_EQ(test, asi_get_class_stats(ASI_CLASS_KVM, &after), 0);
	KUNIT_EXPECT_EQ(test, after.domains, before.domains);
	KUNIT_EXPECT_EQ(test, after.enters, before.enters);
	KUNIT_EXPECT_EQ(test, after.flushes + after.flushes_deferred,
			before.flushes + before.flushes_deferred);
}

/* Misuse is still caught with ASI off at boot. */
static void asi_off_foreign_mm_still_warns(struct kunit *test)
{
	struct mm_struct *mm = asi_kunit_mm_new(test);
	struct asi *asi;

	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_KVM, &asi), -EINVAL);
	asi_kunit_expect_message(test, "asi_init() on an mm that is not current->mm");
	asi_kunit_expect_warnings(test, 1, "asi_init");
	KUNIT_EXPECT_NULL(test, asi);
	asi_kunit_mm_put(mm);
}
#endif

/* Off, there are no counters to show: no asi directory in debugfs. */
static void asi_off_no_debugfs(struct kunit *test)
{
	char buf[64];

	if (!IS_ENABLED(CONFIG_DEBUG_FS))
		kunit_skip(test, "CONFIG_DEBUG_FS is off");
	KUNIT_EXPECT_EQ(test, asi_kunit_read_debugfs("asi/test/stats", buf,
						     sizeof(buf)), -ENOENT);
	/* The reader itself works: it reads this suite's KUnit log. */
	KUNIT_EXPECT_GT(test, asi_kunit_read_debugfs("kunit/asi_off/results",
						     buf, sizeof(buf)), 0);
}

static struct kunit_case asi_off_cases[] = {
	KUNIT_CASE(asi_off_init_gives_null),
	KUNIT_CASE(asi_off_calls_accept_null),
	KUNIT_CASE(asi_off_no_debugfs),
#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION
	KUNIT_CASE(asi_off_nothing_counted),
	KUNIT_CASE(asi_off_foreign_mm_still_warns),
#endif
	{}
};

static struct kunit_suite asi_off_suite = {
	.name = "asi_off",
	.init = asi_off_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_off_cases,
};

kunit_test_suites(&asi_boot_suite, &asi_off_suite);

MODULE_DESCRIPTION("KUnit tests for Address Space Isolation");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
