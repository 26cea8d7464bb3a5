// SPDX-License-Identifier: GPL-2.0
/*
 * The transition suite: restricted critical sections, interrupts and NMIs
 * nested in them, and the flushes of the class policies.  Shared: on x86
 * the interrupts are real (an hrtimer's hardirq) or counted as the entry
 * code counts them, the faults are real; on UML the same interrupt path
 * runs (irq_enter_rcu()), the modelled CPU faults, and the model checks
 * every untrusted run and every return to the normal address space.
 */

#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/preempt.h>

#include "asi_kunit.h"

/* Every flush, for the test class; some of them, for the "user" one. */
static const struct asi_class_ops all_flushes_ops = {
	.name = "transition-test",
	.post_enter = asi_kunit_count_post_enter,
	.pre_exit = asi_kunit_count_pre_exit,
	.flush_data = ASI_FLUSH_DATA,
	.flush_control = ASI_FLUSH_CONTROL,
};

static const struct asi_class_ops some_flushes_ops = {
	.name = "transition-user",
	.post_enter = asi_kunit_count_post_enter,
	.pre_exit = asi_kunit_count_pre_exit,
	.flush_data = ASI_FLUSH_L1D,
	.flush_control = ASI_FLUSH_IBPB,
};

static int transition_suite_init(struct kunit_suite *suite)
{
	return asi_kunit_register_own_classes(&all_flushes_ops,
					      &some_flushes_ops);
}

static int transition_case_init(struct kunit *test)
{
	memset(&asi_kunit_hooks, 0, sizeof(asi_kunit_hooks));
	return asi_kunit_backend_case_init(test);
}

static struct asi_class_stats stats_of(enum asi_class_id id)
{
	struct asi_class_stats s;

	WARN_ON(asi_get_class_stats(id, &s));
	return s;
}

/* A sensitive page holding @value. */
static u64 *sensitive_value(struct kunit *test, u64 value)
{
	struct page *page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	u64 *p;

	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	*p = value;
	return p;
}

static void free_sensitive_value(u64 *p)
{
	asi_free_sensitive_pages(virt_to_page(p), 0);
}

/* A real interrupt: an hrtimer expiring in hardirq context. */
struct irq_probe {
	struct hrtimer timer;
	const u64 *reads;
	u64 value;
	bool was_restricted;
	bool fired;
};

static enum hrtimer_restart probe_fire(struct hrtimer *timer)
{
	struct irq_probe *p = container_of(timer, struct irq_probe, timer);

	p->was_restricted = asi_is_restricted();
	if (p->reads)
		p->value = asi_kunit_read_kernel(p->reads);
	WRITE_ONCE(p->fired, true);
	return HRTIMER_NORESTART;
}

/*
 * Take one interrupt here, interrupts enabled, without leaving the CPU:
 * the caller has preemption disabled.  Returns whether it came (within
 * a second).
 */
static bool take_interrupt(struct irq_probe *p)
{
	u64 deadline = ktime_get_ns() + NSEC_PER_SEC;

	hrtimer_init(&p->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	p->timer.function = probe_fire;
	hrtimer_start(&p->timer, ns_to_ktime(20 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	while (!READ_ONCE(p->fired) && ktime_get_ns() < deadline)
		cpu_relax();
	hrtimer_cancel(&p->timer);
	return READ_ONCE(p->fired);
}

/*
 * An interrupt inside a critical section reads sensitive memory: its
 * fault leaves ASI, and its return goes back in.  The interrupted code
 * finds itself restricted; one fault exit, one re-entry, hooks paired.
 */
static void asi_irq_in_section_reenters(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct irq_probe probe = { };
	struct asi_kunit_exits exits;
	struct mm_struct *mm;
	bool fired, inside;
	struct asi *asi;
	u64 *secret;

	secret = sensitive_value(test, 0x5ec7e7);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_kunit_record_exits(test, &exits);
	before = stats_of(ASI_CLASS_TEST);
	preempt_disable();
	asi_enter(asi);
	probe.reads = secret;
	fired = take_interrupt(&probe);
	inside = asi_is_restricted();
	asi_exit();
	preempt_enable();
	after = stats_of(ASI_CLASS_TEST);

	KUNIT_ASSERT_TRUE_MSG(test, fired, "no interrupt within a second");
	KUNIT_EXPECT_TRUE(test, probe.was_restricted);
	KUNIT_EXPECT_EQ(test, probe.value, 0x5ec7e7);
	KUNIT_EXPECT_TRUE(test, inside);
	KUNIT_EXPECT_EQ(test, after.fault_exits - before.fault_exits, 1);
	KUNIT_EXPECT_EQ(test, after.reentries - before.reentries, 1);
	KUNIT_EXPECT_EQ(test, after.enters - before.enters, 2);
	KUNIT_EXPECT_EQ(test, after.exits - before.exits, 2);
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.post_enter, 2);
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.pre_exit, 2);
	KUNIT_ASSERT_EQ(test, exits.n, 2);
	KUNIT_EXPECT_EQ(test, exits.reason[0], ASI_EXIT_FAULT);
	KUNIT_EXPECT_EQ(test, exits.reason[1], ASI_EXIT_CALL);
	KUNIT_EXPECT_EQ(test, exits.addr, (unsigned long)secret);
	asi_kunit_mm_release(mm);
	free_sensitive_value(secret);
}

/* The same interrupt after asi_relax(): the CPU stays out afterwards. */
static void asi_irq_after_relax_stays_out(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct irq_probe probe = { };
	struct mm_struct *mm;
	bool fired, inside;
	struct asi *asi;
	u64 *secret;

	secret = sensitive_value(test, 0x7e1a);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	before = stats_of(ASI_CLASS_TEST);
	preempt_disable();
	asi_enter(asi);
	asi_relax();
	probe.reads = secret;
	fired = take_interrupt(&probe);
	inside = asi_is_restricted();
	preempt_enable();
	after = stats_of(ASI_CLASS_TEST);

	KUNIT_ASSERT_TRUE_MSG(test, fired, "no interrupt within a second");
	KUNIT_EXPECT_TRUE(test, probe.was_restricted);
	KUNIT_EXPECT_EQ(test, probe.value, 0x7e1a);
	KUNIT_EXPECT_FALSE(test, inside);
	KUNIT_EXPECT_EQ(test, after.fault_exits - before.fault_exits, 1);
	KUNIT_EXPECT_EQ(test, after.reentries - before.reentries, 0);
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.post_enter, 1);
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.pre_exit, 1);
	asi_kunit_mm_release(mm);
	free_sensitive_value(secret);
}

/*
 * A context switch ends the critical section: an interrupt afterwards
 * (touching nothing) does not take the CPU back in.
 */
static void asi_context_switch_ends_section(struct kunit *test)
{
	struct irq_probe probe = { };
	struct mm_struct *mm;
	struct asi *asi;
	bool fired;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_enter(asi);
	usleep_range(100, 200);
	preempt_disable();
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	fired = take_interrupt(&probe);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	preempt_enable();
	KUNIT_ASSERT_TRUE_MSG(test, fired, "no interrupt within a second");
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.post_enter, 1);
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.pre_exit, 1);
	asi_kunit_mm_release(mm);
}

/*
 * An IRQ, an NMI inside it that reads sensitive memory, counted as the
 * entry code counts them: the NMI's fault leaves, its return into the
 * IRQ stays out, the IRQ's return into the critical section goes back
 * in.  Then an IRQ handler's own asi_exit(), told apart as an interrupt's
 * exit, keeps the critical section too.
 */
static void asi_nested_nmi_reenters_outermost(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct asi_kunit_exits exits;
	bool in_nmi, in_irq, back, in_handler, back2;
	struct mm_struct *mm;
	struct asi *asi;
	u64 *secret;
	u64 value;

	secret = sensitive_value(test, 0x4e57);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_kunit_record_exits(test, &exits);
	before = stats_of(ASI_CLASS_TEST);
	preempt_disable();
	local_irq_disable();
	asi_enter(asi);
	asi_intr_enter();		/* an IRQ */
	asi_intr_enter();		/* an NMI inside it */
	value = asi_kunit_read_kernel(secret);
	in_nmi = asi_is_restricted();
	asi_intr_exit();		/* the NMI returns into the IRQ */
	in_irq = asi_is_restricted();
	asi_intr_exit();		/* the IRQ returns */
	back = asi_is_restricted();
	asi_intr_enter();
	asi_exit();
	in_handler = asi_is_restricted();
	asi_intr_exit();
	back2 = asi_is_restricted();
	asi_exit();
	local_irq_enable();
	preempt_enable();
	after = stats_of(ASI_CLASS_TEST);

	KUNIT_EXPECT_EQ(test, value, 0x4e57);
	KUNIT_EXPECT_FALSE(test, in_nmi);
	KUNIT_EXPECT_FALSE(test, in_irq);
	KUNIT_EXPECT_TRUE(test, back);
	KUNIT_EXPECT_FALSE(test, in_handler);
	KUNIT_EXPECT_TRUE(test, back2);
	KUNIT_EXPECT_EQ(test, after.reentries - before.reentries, 2);
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.post_enter, 3);
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.pre_exit, 3);
	KUNIT_ASSERT_EQ(test, exits.n, 3);
	KUNIT_EXPECT_EQ(test, exits.reason[0], ASI_EXIT_FAULT);
	KUNIT_EXPECT_EQ(test, exits.reason[1], ASI_EXIT_INTERRUPT);
	KUNIT_EXPECT_EQ(test, exits.reason[2], ASI_EXIT_CALL);
	asi_kunit_mm_release(mm);
	free_sensitive_value(secret);
}

/*
 * The critical section's own code faults on sensitive memory: the CPU
 * leaves and the access is retried unrestricted.  An interrupt taken
 * then, which did not interrupt restricted code, leaves it out (the
 * section's code would only fault again); the untrusted context still
 * runs restricted, as asi_before_untrusted() goes back in first.
 */
static void asi_fault_in_section_reentered_before_untrusted(struct kunit *test)
{
	bool out, fired, out_after_irq, ready, inside;
	struct asi_class_stats before, after;
	struct irq_probe probe = { };
	struct mm_struct *mm;
	struct asi *asi;
	u64 *secret;
	u64 value;

	secret = sensitive_value(test, 0xfa17);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	before = stats_of(ASI_CLASS_TEST);
	preempt_disable();
	asi_enter(asi);
	value = asi_kunit_read_kernel(secret);
	out = !asi_is_restricted();
	fired = take_interrupt(&probe);
	out_after_irq = !asi_is_restricted();
	ready = asi_kunit_run_untrusted();
	inside = asi_is_restricted();
	asi_exit();
	preempt_enable();
	after = stats_of(ASI_CLASS_TEST);

	KUNIT_ASSERT_TRUE_MSG(test, fired, "no interrupt within a second");
	KUNIT_EXPECT_EQ(test, value, 0xfa17);
	KUNIT_EXPECT_TRUE(test, out);
	KUNIT_EXPECT_TRUE(test, out_after_irq);
	KUNIT_EXPECT_TRUE(test, ready);
	KUNIT_EXPECT_TRUE(test, inside);
	KUNIT_EXPECT_EQ(test, after.reentries - before.reentries, 1);
	KUNIT_EXPECT_EQ(test, after.fault_exits - before.fault_exits, 1);
	asi_kunit_mm_release(mm);
	free_sensitive_value(secret);
}

/* The flushes of @id's class so far, by ASI_FLUSH_* bit number. */
static void flushes_of(enum asi_class_id id, unsigned long *n)
{
	struct asi_class_stats s = stats_of(id);

	memcpy(n, s.cpu_flushes, sizeof(s.cpu_flushes));
}

static void expect_flushes(struct kunit *test, enum asi_class_id id,
			   const unsigned long *before, unsigned int l1d,
			   unsigned int buffers, unsigned int ibpb,
			   unsigned int rsb, const char *when)
{
	unsigned long now[ASI_NR_FLUSHES];

	flushes_of(id, now);
	KUNIT_EXPECT_EQ_MSG(test, now[0] - before[0], l1d, "l1d, %s", when);
	KUNIT_EXPECT_EQ_MSG(test, now[1] - before[1], buffers, "buffers, %s",
			    when);
	KUNIT_EXPECT_EQ_MSG(test, now[2] - before[2], ibpb, "ibpb, %s", when);
	KUNIT_EXPECT_EQ_MSG(test, now[3] - before[3], rsb, "rsb, %s", when);
}

/*
 * Each flush exactly when the policy asks for it, and once: data
 * flushes before an untrusted run that follows unrestricted code,
 * control flushes before unrestricted code that follows an untrusted
 * run; nothing when nothing is owed; a class flushes only what its
 * policy names (the "user" class: L1D and IBPB), and what it leaves owed
 * is paid by the next class that asks.
 */
static void asi_flushes_follow_policy(struct kunit *test)
{
	unsigned long t0[ASI_NR_FLUSHES], u0[ASI_NR_FLUSHES];
	struct asi *asi, *user;
	struct mm_struct *mm;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_USERSPACE, &user), 0);
	preempt_disable();
	/* A known start: the CPU ran unrestricted, no untrusted since. */
	asi_enter(asi);
	asi_exit();
	flushes_of(ASI_CLASS_TEST, t0);
	flushes_of(ASI_CLASS_USERSPACE, u0);

	asi_enter(asi);
	expect_flushes(test, ASI_CLASS_TEST, t0, 0, 0, 0, 0, "entered");
	asi_kunit_run_untrusted();
	expect_flushes(test, ASI_CLASS_TEST, t0, 1, 1, 0, 0, "untrusted");
	asi_kunit_run_untrusted();
	expect_flushes(test, ASI_CLASS_TEST, t0, 1, 1, 0, 0, "again");
	asi_relax();
	asi_exit();
	expect_flushes(test, ASI_CLASS_TEST, t0, 1, 1, 1, 1, "left");
	asi_enter(asi);
	asi_exit();
	expect_flushes(test, ASI_CLASS_TEST, t0, 1, 1, 1, 1, "no untrusted");

	asi_enter(user);
	asi_kunit_run_untrusted();
	expect_flushes(test, ASI_CLASS_USERSPACE, u0, 1, 0, 0, 0, "user");
	asi_exit();
	expect_flushes(test, ASI_CLASS_USERSPACE, u0, 1, 0, 1, 0, "user left");

	asi_enter(asi);
	asi_kunit_run_untrusted();
	asi_exit();
	preempt_enable();
	expect_flushes(test, ASI_CLASS_TEST, t0, 2, 2, 2, 2, "test again");
	expect_flushes(test, ASI_CLASS_USERSPACE, u0, 1, 0, 1, 0, "at the end");
	asi_kunit_mm_release(mm);
}

/* A policy naming a control flush as a data one is refused, loudly. */
static void asi_register_bad_policy_warns(struct kunit *test)
{
	static const struct asi_class_ops bad = {
		.name = "bad-policy",
		.flush_data = ASI_FLUSH_IBPB,
	};
	struct asi_class_ops bad_control = {
		.name = "bad-policy",
		.flush_control = ASI_FLUSH_L1D,
	};

	KUNIT_EXPECT_EQ(test, asi_register_class(ASI_CLASS_KVM, &bad),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, asi_register_class(ASI_CLASS_KVM, &bad_control),
			-EINVAL);
	asi_kunit_expect_warnings(test, 2, "asi_register_class");
}

/*
 * Misuse from an interrupt handler, outside a critical section, or with
 * interrupts enabled where they must be off.
 */
static void asi_misuse_warns(struct kunit *test)
{
	static const char *const where[] = {
		"asi_enter", "asi_relax", "asi_intr_exit",
		"asi_before_untrusted", "asi_enter", "asi_exit_irqoff",
	};
	struct mm_struct *mm;
	bool inside, ready;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	preempt_disable();
	local_irq_disable();
	asi_intr_enter();
	asi_enter(asi);			/* from an interrupt handler */
	inside = asi_is_restricted();
	asi_intr_exit();
	KUNIT_EXPECT_FALSE(test, inside);

	asi_enter(asi);
	asi_intr_enter();
	asi_relax();			/* would end the interrupted section */
	asi_intr_exit();
	asi_exit();
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.post_enter, 1);

	asi_intr_exit();		/* no interrupt to return from */
	ready = asi_before_untrusted();	/* no critical section */
	KUNIT_EXPECT_FALSE(test, ready);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	local_irq_enable();

	/* The _irqoff calls with interrupts on: warned, nothing done. */
	asi_enter_irqoff(asi);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	asi_enter(asi);
	asi_exit_irqoff(ASI_EXIT_CALL);
	KUNIT_EXPECT_TRUE(test, asi_is_restricted());
	asi_exit();
	preempt_enable();
	asi_kunit_expect_warnings_from(test, where, ARRAY_SIZE(where));
	asi_kunit_mm_release(mm);
}

static struct kunit_case asi_transition_cases[] = {
	KUNIT_CASE(asi_irq_in_section_reenters),
	KUNIT_CASE(asi_irq_after_relax_stays_out),
	KUNIT_CASE(asi_context_switch_ends_section),
	KUNIT_CASE(asi_nested_nmi_reenters_outermost),
	KUNIT_CASE(asi_fault_in_section_reentered_before_untrusted),
	KUNIT_CASE(asi_flushes_follow_policy),
	KUNIT_CASE(asi_register_bad_policy_warns),
	KUNIT_CASE(asi_misuse_warns),
	{}
};

static struct kunit_suite asi_transition_suite = {
	.name = "asi_transition",
	.suite_init = transition_suite_init,
	.suite_exit = asi_kunit_unregister_own_classes,
	.init = transition_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_transition_cases,
};

kunit_test_suites(&asi_transition_suite);
