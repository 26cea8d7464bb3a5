// SPDX-License-Identifier: GPL-2.0
/*
 * The console watch of asi_kunit_util.c, checked: it sees reports from
 * other tasks, of every kind, and outside any case; a claim names one
 * precise place.  Linked last, so that asi_watch_end runs after every
 * other ASI suite and fails on a report printed after the last case.
 */

#include <kunit/test.h>
#include <linux/bug.h>
#include <linux/debug_locks.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>

#include "asi_kunit.h"

/* A report from the suite's init, before any case runs. */
static int asi_watch_suite_init(struct kunit_suite *suite)
{
	WARN(1, "%s(): deliberate report outside any case\n", __func__);
	return 0;
}

/* A report from the suite's exit, after its last case. */
static void asi_watch_suite_exit(struct kunit_suite *suite)
{
	WARN(1, "%s(): deliberate report outside any case\n", __func__);
}

/* The report printed by the suite's init belongs to the first case. */
static void watch_sees_suite_init(struct kunit *test)
{
	asi_kunit_expect_outside_warnings(test, 1, "asi_watch_suite_init");
}

static void watch_warn_work(struct work_struct *work)
{
	WARN(1, "%s(): deliberate report from a kworker\n", __func__);
}

/* A report printed by another task while the case runs is the case's. */
static void watch_sees_other_tasks(struct kunit *test)
{
	struct work_struct work;
	int cpu;

	INIT_WORK_ONSTACK(&work, watch_warn_work);
	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu >= nr_cpu_ids)
		cpu = raw_smp_processor_id();
	queue_work_on(cpu, system_wq, &work);
	flush_work(&work);
	destroy_work_on_stack(&work);
	asi_kunit_expect_warnings(test, 1, "watch_warn_work");
}

/* Every kind of report the watch knows, printed as the kernel does. */
static void watch_report_kinds(struct kunit *test)
{
	static const char *const kinds[] = {
		"WARNING:", "BUG:", "kernel BUG at", "Oops", "UBSAN:",
		"rcu: INFO:", "INFO: task ", "watchdog: ", "asi: TLB model:",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		pr_err("%s (asi_watch test record)\n", kinds[i]);
		pr_err("%s(): synthetic report %d\n", __func__, i);
	}
	asi_kunit_expect_warnings(test, ARRAY_SIZE(kinds), __func__);

	/* A record quoting a report, as KUnit's messages do, is none. */
	pr_info("    # quoted: WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x1\n");
	asi_kunit_expect_warnings(test, 0, NULL);
}

static void watch_warn_twice(void)
{
	WARN(1, "%s(): deliberate report\n", __func__);
}

/*
 * A claim names one function: a prefix of its name is another function
 * and does not match.  Checked on a scratch test, whose failure is the
 * point, so that this case passes.
 */
static void watch_claims_are_precise(struct kunit *test)
{
	struct kunit scratch;

	kunit_init_test(&scratch, "asi_watch_scratch", NULL);
	watch_warn_twice();
	asi_kunit_expect_warnings(&scratch, 1, "watch_warn");
	KUNIT_EXPECT_EQ(test, scratch.status, KUNIT_FAILURE);
	kunit_cleanup(&scratch);

	kunit_init_test(&scratch, "asi_watch_scratch", NULL);
	watch_warn_twice();
	asi_kunit_expect_warnings(&scratch, 1, "watch_warn_twice");
	KUNIT_EXPECT_EQ(test, scratch.status, KUNIT_SUCCESS);
	kunit_cleanup(&scratch);

	/* An unclaimed report fails the case that printed it. */
	kunit_init_test(&scratch, "asi_watch_scratch", NULL);
	watch_warn_twice();
	asi_kunit_expect_warnings(&scratch, 0, NULL);
	KUNIT_EXPECT_EQ(test, scratch.status, KUNIT_FAILURE);
	kunit_cleanup(&scratch);
}

/*
 * The mm helpers warn when a case puts an mm it does not own: a second
 * put of its own mm would otherwise go unseen until the memory is reused.
 */
static void watch_untracked_mm_put_warns(struct kunit *test)
{
	struct mm_struct *mm = mm_alloc();

	KUNIT_ASSERT_NOT_NULL(test, mm);
	mmget(mm);
	asi_kunit_mm_put(mm);
	asi_kunit_expect_message(test, "an mm the case does not own");
	asi_kunit_expect_warnings(test, 1, "case_mm_track");
	KUNIT_EXPECT_EQ(test, atomic_read(&mm->mm_users), 1);
	mmput(mm);
}

/*
 * A case in which lock debugging goes off fails: lockdep's report of a
 * lock it cannot track is no WARNING, and every later case would run
 * without it.  (The check itself, on a scratch case: turning lock
 * debugging off here would leave the rest of the run unchecked.)
 */
static void watch_lock_debugging_off_fails(struct kunit *test)
{
	struct kunit scratch;

	kunit_init_test(&scratch, "asi_watch_scratch", NULL);
	asi_kunit_check_lock_debugging(&scratch, 1, 0);
	KUNIT_EXPECT_EQ(test, scratch.status, KUNIT_FAILURE);
	kunit_cleanup(&scratch);

	kunit_init_test(&scratch, "asi_watch_scratch", NULL);
	asi_kunit_check_lock_debugging(&scratch, 1, 1);
	asi_kunit_check_lock_debugging(&scratch, 0, 0);
	KUNIT_EXPECT_EQ(test, scratch.status, KUNIT_SUCCESS);
	kunit_cleanup(&scratch);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

static struct kunit_case asi_watch_cases[] = {
	KUNIT_CASE(watch_sees_suite_init),
	KUNIT_CASE(watch_sees_other_tasks),
	KUNIT_CASE(watch_report_kinds),
	KUNIT_CASE(watch_claims_are_precise),
	KUNIT_CASE(watch_untracked_mm_put_warns),
	KUNIT_CASE(watch_lock_debugging_off_fails),
	{}
};

static struct kunit_suite asi_watch_suite = {
	.name = "asi_watch",
	.suite_init = asi_watch_suite_init,
	.suite_exit = asi_watch_suite_exit,
	.init = asi_kunit_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_watch_cases,
};

/* The report of asi_watch's exit, printed between two suites. */
static void watch_sees_suite_exit(struct kunit *test)
{
	asi_kunit_expect_outside_warnings(test, 1, "asi_watch_suite_exit");
}

/*
 * The last case of the run: a report printed after the previous case
 * (in a suite's exit, by a late kworker) fails it.
 */
static void watch_nothing_after_last_case(struct kunit *test)
{
	asi_kunit_expect_outside_warnings(test, 0, NULL);
}

static struct kunit_case asi_watch_end_cases[] = {
	KUNIT_CASE(watch_sees_suite_exit),
	KUNIT_CASE(watch_nothing_after_last_case),
	{}
};

static struct kunit_suite asi_watch_end_suite = {
	.name = "asi_watch_end",
	.init = asi_kunit_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_watch_end_cases,
};

kunit_test_suites(&asi_watch_suite, &asi_watch_end_suite);
