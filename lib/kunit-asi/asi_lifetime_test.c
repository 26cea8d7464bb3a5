// SPDX-License-Identifier: GPL-2.0
/*
 * The ASI lifetime, state and flush suites.  They use only the shared API
 * and counters, so they run unchanged on every backend.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <trace/events/asi.h>

#include "asi_kunit.h"

/* Hooks of the three classes: count calls and keep their order. */
#define HOOK_LOG_LEN 16

static struct {
	int post_enter[ASI_MAX_NUM_CLASSES];
	int pre_exit[ASI_MAX_NUM_CLASSES];
	struct asi *last[ASI_MAX_NUM_CLASSES];
	char log[HOOK_LOG_LEN + 1];
	int log_len;
} hooks;

static void hook_note(char c)
{
	if (hooks.log_len < HOOK_LOG_LEN)
		hooks.log[hooks.log_len++] = c;
}

static void test_post_enter(struct asi *asi)
{
	hooks.post_enter[asi->class_id]++;
	hooks.last[asi->class_id] = asi;
	hook_note('A' + asi->class_id);
}

/* What a pre-exit hook reads, if a case sets it, and what it found. */
static const u64 *hook_reads;
static u64 hook_read;

static void test_pre_exit(struct asi *asi)
{
	hooks.pre_exit[asi->class_id]++;
	hooks.last[asi->class_id] = asi;
	hook_note('a' + asi->class_id);
	if (hook_reads)
		hook_read = asi_kunit_read_kernel(hook_reads);
}

static const struct asi_class_ops test_class_ops[ASI_MAX_NUM_CLASSES] = {
	[ASI_CLASS_KVM] = { "kvm-test", test_post_enter, test_pre_exit },
	[ASI_CLASS_USERSPACE] = { "user-test", test_post_enter, test_pre_exit },
	[ASI_CLASS_TEST] = { "test", test_post_enter, test_pre_exit },
};

/*
 * The classes these suites registered, and so may unregister: a class
 * some other code registered stays as it is.
 */
static unsigned int suite_classes;

static void asi_suite_exit(struct kunit_suite *suite)
{
	enum asi_class_id id;

	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		if (suite_classes & BIT(id))
			WARN(asi_unregister_class(id),
			     "%s(): a case left a domain of class %d alive\n",
			     __func__, id);
	}
	suite_classes = 0;
}

static int asi_suite_init(struct kunit_suite *suite)
{
	enum asi_class_id id;
	int err;

	if (!asi_enabled())
		return 0;
	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		err = asi_register_class(id, &test_class_ops[id]);
		if (err) {
			asi_suite_exit(suite);
			return err;
		}
		suite_classes |= BIT(id);
	}
	return 0;
}

/*
 * A case that unregisters ASI_CLASS_TEST puts it back when it ends, even
 * after a failed assertion, so that the cases after it find it.
 */
static void reregister_test_class(void *unused)
{
	int err = asi_register_class(ASI_CLASS_TEST,
				     &test_class_ops[ASI_CLASS_TEST]);

	WARN(err && err != -EBUSY, "%s(): %d\n", __func__, err);
}

static int asi_case_init(struct kunit *test)
{
	/*
	 * Stay on this CPU.  A kthread that migrates while it uses a case's
	 * mm leaves that mm lazily referenced by the CPU it left, and freed,
	 * domains and all, whenever that CPU next switches: in the middle of
	 * a later case that counts the live domains (seen on x86, 4 CPUs).
	 */
	set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id()));
	asi_kunit_case_init(test);
	if (!asi_enabled())
		kunit_skip(test, "ASI is off");
	memset(&hooks, 0, sizeof(hooks));
	return 0;
}

static struct asi_class_stats stats_of(struct kunit *test, enum asi_class_id id)
{
	struct asi_class_stats s;

	KUNIT_EXPECT_EQ(test, asi_get_class_stats(id, &s), 0);
	return s;
}

static unsigned long live_domains(struct kunit *test)
{
	unsigned long n = 0;
	enum asi_class_id id;

	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++)
		n += stats_of(test, id).domains;
	return n;
}

/* A fresh mm in use by the case, with a domain for each class in @mask. */
static struct mm_struct *mm_with_domains(struct kunit *test, unsigned int mask,
					 struct asi **asi)
{
	struct mm_struct *mm = asi_kunit_mm_new(test);
	enum asi_class_id id;

	asi_kunit_mm_use(mm);
	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		if (!(mask & BIT(id)))
			continue;
		KUNIT_ASSERT_EQ(test, asi_init(mm, id, &asi[id]), 0);
		KUNIT_ASSERT_NOT_NULL(test, asi[id]);
	}
	return mm;
}

/* Stop using @mm and drop the case's last reference to it. */
static void mm_release(struct mm_struct *mm)
{
	if (current->mm == mm)
		asi_kunit_mm_unuse(mm);
	asi_kunit_mm_put(mm);
}

#define ALL_CLASSES (BIT(ASI_MAX_NUM_CLASSES) - 1)

/* ---- lifetime ---------------------------------------------------------- */

static void asi_init_creates_domain(struct kunit *test)
{
	unsigned long before = stats_of(test, ASI_CLASS_TEST).domains;
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;

	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	KUNIT_EXPECT_PTR_EQ(test, asi[ASI_CLASS_TEST]->mm, mm);
	KUNIT_EXPECT_EQ(test, asi[ASI_CLASS_TEST]->class_id, ASI_CLASS_TEST);
	KUNIT_EXPECT_NOT_NULL(test, asi[ASI_CLASS_TEST]->pgd);
	KUNIT_EXPECT_PTR_EQ(test, mm->asi[ASI_CLASS_TEST], asi[ASI_CLASS_TEST]);
	KUNIT_EXPECT_EQ(test, stats_of(test, ASI_CLASS_TEST).domains, before + 1);
	mm_release(mm);
	KUNIT_EXPECT_EQ(test, stats_of(test, ASI_CLASS_TEST).domains, before);
}

static void asi_init_is_idempotent(struct kunit *test)
{
	unsigned long before = live_domains(test);
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {}, *again;
	struct mm_struct *mm;
	int i;

	mm = mm_with_domains(test, BIT(ASI_CLASS_KVM), asi);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_KVM, &again), 0);
		KUNIT_EXPECT_PTR_EQ(test, again, asi[ASI_CLASS_KVM]);
	}
	KUNIT_EXPECT_EQ(test, live_domains(test), before + 1);
	mm_release(mm);
}

static void asi_init_every_class(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long before = live_domains(test);
	struct mm_struct *mm;
	enum asi_class_id id;

	mm = mm_with_domains(test, ALL_CLASSES, asi);
	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		KUNIT_EXPECT_PTR_EQ(test, mm->asi[id], asi[id]);
		KUNIT_EXPECT_EQ(test, asi[id]->class_id, id);
		if (id)
			KUNIT_EXPECT_PTR_NE(test, asi[id]->pgd, asi[id - 1]->pgd);
	}
	KUNIT_EXPECT_EQ(test, live_domains(test), before + ASI_MAX_NUM_CLASSES);
	mm_release(mm);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
}

struct init_thread {
	struct mm_struct *mm;
	struct asi *asi;
	int ret;
	struct completion started;
	struct completion done;
};

static int init_thread_fn(void *data)
{
	struct init_thread *t = data;

	asi_kunit_mm_use(t->mm);
	complete(&t->started);
	t->ret = asi_init(t->mm, ASI_CLASS_TEST, &t->asi);
	asi_kunit_mm_unuse(t->mm);
	complete(&t->done);
	return 0;
}

static struct task_struct *start_init_thread(struct kunit *test,
					     struct init_thread *t,
					     struct mm_struct *mm)
{
	struct task_struct *task;

	t->mm = mm;
	t->ret = -1;
	init_completion(&t->started);
	init_completion(&t->done);
	task = kthread_run(init_thread_fn, t, "asi-init-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wait_for_completion(&t->started);
	return task;
}

/*
 * asi_init() sleeps on mm->asi_init_lock, and two callers that both found
 * no domain before taking it end up with one domain between them.
 */
static void asi_init_serializes_on_mm_lock(struct kunit *test)
{
	struct mm_struct *mm = asi_kunit_mm_new(test);
	unsigned long before = live_domains(test);
	struct task_struct *task[2];
	struct init_thread t[2];
	struct asi *mine;
	int i;

	mutex_lock(&mm->asi_init_lock);
	for (i = 0; i < 2; i++)
		task[i] = start_init_thread(test, &t[i], mm);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, wait_for_completion_timeout(&t[i].done, HZ / 20), 0);
		KUNIT_EXPECT_EQ(test, READ_ONCE(task[i]->__state), TASK_UNINTERRUPTIBLE);
	}
	mutex_unlock(&mm->asi_init_lock);
	for (i = 0; i < 2; i++) {
		wait_for_completion(&t[i].done);
		KUNIT_EXPECT_EQ(test, t[i].ret, 0);
		KUNIT_EXPECT_NOT_NULL(test, t[i].asi);
	}
	KUNIT_EXPECT_PTR_EQ(test, t[0].asi, t[1].asi);
	KUNIT_EXPECT_EQ(test, live_domains(test), before + 1);
	asi_kunit_mm_use(mm);
	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_TEST, &mine), 0);
	KUNIT_EXPECT_PTR_EQ(test, mine, t[0].asi);
	mm_release(mm);
}

/* A kthread without an mm may not create domains for someone's mm. */
static void asi_init_without_mm_warns(struct kunit *test)
{
	unsigned long before = live_domains(test);
	struct mm_struct *mm = asi_kunit_mm_new(test);
	struct asi *asi = ERR_PTR(-EINVAL);

	KUNIT_ASSERT_NULL(test, current->mm);
	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_TEST, &asi), -EINVAL);
	asi_kunit_expect_message(test, "asi_init() on an mm that is not current->mm");
	asi_kunit_expect_warnings(test, 1, "asi_init");
	KUNIT_EXPECT_NULL(test, asi);
	KUNIT_EXPECT_NULL(test, mm->asi[ASI_CLASS_TEST]);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
	asi_kunit_mm_put(mm);
}

static void asi_init_other_mm_warns(struct kunit *test)
{
	unsigned long before = live_domains(test);
	struct mm_struct *mine = asi_kunit_mm_new(test);
	struct mm_struct *other = asi_kunit_mm_new(test);
	struct asi *asi;

	asi_kunit_mm_use(mine);
	KUNIT_EXPECT_EQ(test, asi_init(other, ASI_CLASS_USERSPACE, &asi), -EINVAL);
	asi_kunit_expect_message(test, "asi_init() on an mm that is not current->mm");
	asi_kunit_expect_warnings(test, 1, "asi_init");
	KUNIT_EXPECT_NULL(test, asi);
	KUNIT_EXPECT_NULL(test, other->asi[ASI_CLASS_USERSPACE]);
	KUNIT_EXPECT_NULL(test, mine->asi[ASI_CLASS_USERSPACE]);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
	mm_release(mine);
	asi_kunit_mm_put(other);
}

static void asi_init_bad_class_warns(struct kunit *test)
{
	unsigned long before = live_domains(test);
	struct mm_struct *mm = asi_kunit_mm_new(test);
	struct asi *asi;

	asi_kunit_mm_use(mm);
	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_MAX_NUM_CLASSES, &asi), -EINVAL);
	KUNIT_EXPECT_EQ(test, asi_init(mm, (enum asi_class_id)-1, &asi), -EINVAL);
	asi_kunit_expect_warnings(test, 2, "asi_init");
	KUNIT_EXPECT_NULL(test, asi);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
	mm_release(mm);
}

static void asi_init_null_args_warn(struct kunit *test)
{
	unsigned long before = live_domains(test);
	struct mm_struct *mm = asi_kunit_mm_new(test);
	struct asi *asi;

	asi_kunit_mm_use(mm);
	KUNIT_EXPECT_EQ(test, asi_init(NULL, ASI_CLASS_TEST, &asi), -EINVAL);
	KUNIT_EXPECT_NULL(test, asi);
	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_TEST, NULL), -EINVAL);
	asi_kunit_expect_warnings(test, 2, "asi_init");
	KUNIT_EXPECT_NULL(test, mm->asi[ASI_CLASS_TEST]);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
	mm_release(mm);
}

/* An unregistered class is an error, not a bug: no warning. */
static void asi_init_unregistered_class_fails(struct kunit *test)
{
	unsigned long before = live_domains(test);
	struct mm_struct *mm = asi_kunit_mm_new(test);
	struct asi *asi;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							reregister_test_class,
							NULL), 0);
	KUNIT_ASSERT_EQ(test, asi_unregister_class(ASI_CLASS_TEST), 0);
	asi_kunit_mm_use(mm);
	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_TEST, &asi), -ENOENT);
	KUNIT_EXPECT_NULL(test, asi);
	KUNIT_EXPECT_NULL(test, mm->asi[ASI_CLASS_TEST]);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
	KUNIT_ASSERT_EQ(test, asi_register_class(ASI_CLASS_TEST,
						 &test_class_ops[ASI_CLASS_TEST]), 0);
	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_TEST, &asi), 0);
	KUNIT_EXPECT_NOT_NULL(test, asi);
	mm_release(mm);
}

static struct asi *failing_domain_alloc(void)
{
	return NULL;
}

static pgd_t *failing_alloc_pgd(struct asi *asi)
{
	return NULL;
}

/* An allocation failure leaves nothing behind, and a retry works. */
static void asi_init_alloc_failure_no_trace(struct kunit *test)
{
	unsigned long before = live_domains(test);
	struct mm_struct *mm = asi_kunit_mm_new(test);
	struct asi *asi;

	asi_kunit_mm_use(mm);
	kunit_activate_static_stub(test, asi_domain_alloc, failing_domain_alloc);
	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_KVM, &asi), -ENOMEM);
	KUNIT_EXPECT_NULL(test, asi);
	kunit_deactivate_static_stub(test, asi_domain_alloc);

	kunit_activate_static_stub(test, asi_arch_alloc_pgd, failing_alloc_pgd);
	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_KVM, &asi), -ENOMEM);
	KUNIT_EXPECT_NULL(test, asi);
	kunit_deactivate_static_stub(test, asi_arch_alloc_pgd);

	KUNIT_EXPECT_NULL(test, mm->asi[ASI_CLASS_KVM]);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
	KUNIT_EXPECT_TRUE(test, mutex_trylock(&mm->asi_init_lock));
	mutex_unlock(&mm->asi_init_lock);

	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_KVM, &asi), 0);
	KUNIT_EXPECT_NOT_NULL(test, asi);
	KUNIT_EXPECT_EQ(test, live_domains(test), before + 1);
	mm_release(mm);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
}

/*
 * mmget()/mmput() and mmgrab() keep the domains; only the last mmdrop()
 * frees them.
 */
static void asi_teardown_at_last_mmdrop(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long before = live_domains(test);
	struct mm_struct *mm;

	mm = mm_with_domains(test, ALL_CLASSES, asi);
	asi_kunit_mm_unuse(mm);
	mmget(mm);
	mmput(mm);
	KUNIT_EXPECT_EQ(test, live_domains(test), before + 3);
	mmgrab(mm);
	asi_kunit_mm_put(mm);	/* last user: exit_mmap() */
	KUNIT_EXPECT_EQ(test, live_domains(test), before + 3);
	KUNIT_EXPECT_PTR_EQ(test, mm->asi[ASI_CLASS_KVM], asi[ASI_CLASS_KVM]);
	mmdrop(mm);		/* last reference: __mmdrop() */
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
}

/*
 * Held by the cases that call in atomic context.  Static: lockdep needs a
 * lock defined on the stack to be set up with spin_lock_init(), and turns
 * itself off for the rest of the run, every later case unchecked, when
 * one is not.
 */
static DEFINE_SPINLOCK(atomic_lock);

/* __mmdrop() from atomic context: no sleeping, no asi_init_lock. */
static void asi_teardown_atomic_last_drop(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long before = live_domains(test);
	struct mm_struct *mm;

	mm = mm_with_domains(test, ALL_CLASSES, asi);
	asi_kunit_mm_unuse(mm);
	mmgrab(mm);
	asi_kunit_mm_put(mm);
	KUNIT_EXPECT_EQ(test, live_domains(test), before + 3);

	spin_lock(&atomic_lock);
	mmdrop(mm);
	spin_unlock(&atomic_lock);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
	/* The case's exit fails it on any "BUG: sleeping function" report. */
}

static struct {
	bool called;
	bool atomic;
	bool cleared;
	unsigned long flushes;
} seen_teardown;

static void checking_destroy_mm_state(struct mm_struct *mm)
{
	struct kunit *test = kunit_get_current_test();
	struct asi_class_stats s;
	enum asi_class_id id;

	kunit_deactivate_static_stub(test, asi_destroy_mm_state);
	asi_destroy_mm_state(mm);

	seen_teardown.called = true;
	seen_teardown.atomic = !preemptible();
	seen_teardown.cleared = true;
	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		seen_teardown.cleared &= !mm->asi[id];
		asi_get_class_stats(id, &s);
		seen_teardown.flushes += s.flushes + s.flushes_deferred;
	}
}

/*
 * Teardown clears the mm's domain pointers, so a later flush fan-out finds
 * nothing, and issues no flush itself (rule 4).
 */
static void asi_teardown_clears_without_flush(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long flushes_before = 0;
	struct asi_class_stats s;
	struct mm_struct *mm;
	enum asi_class_id id;

	memset(&seen_teardown, 0, sizeof(seen_teardown));
	mm = mm_with_domains(test, ALL_CLASSES, asi);
	asi_kunit_mm_unuse(mm);
	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		asi_get_class_stats(id, &s);
		flushes_before += s.flushes + s.flushes_deferred;
	}
	mmgrab(mm);
	asi_kunit_mm_put(mm);
	kunit_activate_static_stub(test, asi_destroy_mm_state,
				   checking_destroy_mm_state);
	preempt_disable();
	mmdrop(mm);
	preempt_enable();
	KUNIT_EXPECT_TRUE(test, seen_teardown.called);
	KUNIT_EXPECT_TRUE(test, seen_teardown.atomic);
	KUNIT_EXPECT_TRUE(test, seen_teardown.cleared);
	KUNIT_EXPECT_EQ(test, seen_teardown.flushes, flushes_before);
}

/*
 * dup_mm() copies the parent, domain pointers included, and mm_init() may
 * fail after asi_init_mm_state(): tearing such a child down must not touch
 * the parent's domains.  A never-initialized (zeroed) mm is safe too.
 */
/*
 * Rule 5 says nobody runs in a domain of an mm being freed; if teardown
 * finds this CPU inside one anyway, it warns and leaves ASI before freeing
 * the domain.  Teardown is called directly here, as the mm's last drop
 * would, with the case's kthread still inside.
 */
static void asi_teardown_while_inside_warns(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long domains;
	struct mm_struct *mm;
	bool inside;

	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	domains = stats_of(test, ASI_CLASS_TEST).domains;
	preempt_disable();
	asi_enter(asi[ASI_CLASS_TEST]);
	asi_destroy_mm_state(mm);
	inside = asi_is_restricted();
	preempt_enable();
	asi_kunit_expect_warnings(test, 1, "asi_destroy_mm_state");
	KUNIT_EXPECT_FALSE(test, inside);
	KUNIT_EXPECT_NULL(test, mm->asi[ASI_CLASS_TEST]);
	KUNIT_EXPECT_EQ(test, stats_of(test, ASI_CLASS_TEST).domains,
			domains - 1);
	mm_release(mm);
}

static void asi_teardown_after_failed_mm_init(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long before = live_domains(test);
	struct mm_struct *parent, *child;
	enum asi_class_id id;

	parent = mm_with_domains(test, ALL_CLASSES, asi);
	child = kmemdup(parent, sizeof(*parent), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, child);
	asi_init_mm_state(child);
	asi_destroy_mm_state(child);
	kfree(child);

	child = kzalloc(sizeof(*child), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, child);
	asi_destroy_mm_state(child);
	kfree(child);

	KUNIT_EXPECT_EQ(test, live_domains(test), before + 3);
	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++)
		KUNIT_EXPECT_PTR_EQ(test, parent->asi[id], asi[id]);
	preempt_disable();
	asi_enter(asi[ASI_CLASS_TEST]);
	KUNIT_EXPECT_PTR_EQ(test, asi_get_current(), asi[ASI_CLASS_TEST]);
	asi_exit();
	preempt_enable();
	mm_release(parent);
	KUNIT_EXPECT_EQ(test, live_domains(test), before);
}

/* Leaving a domain does not end it: it lives as long as the mm. */
static void asi_domain_outlives_exit(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {}, *again;
	unsigned long before = live_domains(test);
	struct mm_struct *mm;

	mm = mm_with_domains(test, BIT(ASI_CLASS_USERSPACE), asi);
	asi_enter(asi[ASI_CLASS_USERSPACE]);
	asi_exit();
	KUNIT_EXPECT_EQ(test, asi_init(mm, ASI_CLASS_USERSPACE, &again), 0);
	KUNIT_EXPECT_PTR_EQ(test, again, asi[ASI_CLASS_USERSPACE]);
	KUNIT_EXPECT_EQ(test, live_domains(test), before + 1);
	mm_release(mm);
}

static void asi_class_registration(struct kunit *test)
{
	static const char *const where[] = {
		"asi_register_class", "asi_register_class",
		"asi_register_class", "asi_unregister_class",
	};
	static const struct asi_class_ops nameless = {};
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							reregister_test_class,
							NULL), 0);
	KUNIT_EXPECT_EQ(test, asi_register_class(ASI_CLASS_TEST,
						 &test_class_ops[ASI_CLASS_TEST]),
			-EBUSY);
	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	KUNIT_EXPECT_EQ(test, asi_unregister_class(ASI_CLASS_TEST), -EBUSY);
	mm_release(mm);
	KUNIT_EXPECT_EQ(test, asi_unregister_class(ASI_CLASS_TEST), 0);
	KUNIT_EXPECT_EQ(test, asi_unregister_class(ASI_CLASS_TEST), -ENOENT);
	KUNIT_EXPECT_EQ(test, asi_register_class(ASI_CLASS_TEST,
						 &test_class_ops[ASI_CLASS_TEST]), 0);
	asi_kunit_expect_warnings(test, 0, NULL);

	KUNIT_EXPECT_EQ(test, asi_register_class(ASI_MAX_NUM_CLASSES,
						 &test_class_ops[0]), -EINVAL);
	KUNIT_EXPECT_EQ(test, asi_register_class(ASI_CLASS_KVM, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, asi_register_class(ASI_CLASS_KVM, &nameless),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, asi_unregister_class(ASI_MAX_NUM_CLASSES), -EINVAL);
	asi_kunit_expect_warnings_from(test, where, ARRAY_SIZE(where));
}

static struct kunit_case asi_lifetime_cases[] = {
	KUNIT_CASE(asi_init_creates_domain),
	KUNIT_CASE(asi_init_is_idempotent),
	KUNIT_CASE(asi_init_every_class),
	KUNIT_CASE(asi_init_serializes_on_mm_lock),
	KUNIT_CASE(asi_init_without_mm_warns),
	KUNIT_CASE(asi_init_other_mm_warns),
	KUNIT_CASE(asi_init_bad_class_warns),
	KUNIT_CASE(asi_init_null_args_warn),
	KUNIT_CASE(asi_init_unregistered_class_fails),
	KUNIT_CASE(asi_init_alloc_failure_no_trace),
	KUNIT_CASE(asi_teardown_at_last_mmdrop),
	KUNIT_CASE(asi_teardown_atomic_last_drop),
	KUNIT_CASE(asi_teardown_clears_without_flush),
	KUNIT_CASE(asi_teardown_while_inside_warns),
	KUNIT_CASE(asi_teardown_after_failed_mm_init),
	KUNIT_CASE(asi_domain_outlives_exit),
	KUNIT_CASE(asi_class_registration),
	{}
};

static struct kunit_suite asi_lifetime_suite = {
	.name = "asi_lifetime",
	.suite_init = asi_suite_init,
	.suite_exit = asi_suite_exit,
	.init = asi_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_lifetime_cases,
};

/* ---- enter / exit state machine --------------------------------------- */

static void asi_enter_exit(struct kunit *test)
{
	struct asi_class_stats before = stats_of(test, ASI_CLASS_TEST), after;
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;

	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	preempt_disable();
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	KUNIT_EXPECT_NULL(test, asi_get_current());
	asi_enter(asi[ASI_CLASS_TEST]);
	KUNIT_EXPECT_TRUE(test, asi_is_restricted());
	KUNIT_EXPECT_PTR_EQ(test, asi_get_current(), asi[ASI_CLASS_TEST]);
	asi_exit();
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	KUNIT_EXPECT_NULL(test, asi_get_current());
	preempt_enable();
	after = stats_of(test, ASI_CLASS_TEST);
	KUNIT_EXPECT_EQ(test, after.enters - before.enters, 1);
	KUNIT_EXPECT_EQ(test, after.exits - before.exits, 1);
	KUNIT_EXPECT_EQ(test, hooks.post_enter[ASI_CLASS_TEST], 1);
	KUNIT_EXPECT_EQ(test, hooks.pre_exit[ASI_CLASS_TEST], 1);
	mm_release(mm);
}

static void asi_enter_twice_is_noop(struct kunit *test)
{
	struct asi_class_stats before = stats_of(test, ASI_CLASS_KVM), after;
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;

	mm = mm_with_domains(test, BIT(ASI_CLASS_KVM), asi);
	preempt_disable();
	asi_enter(asi[ASI_CLASS_KVM]);
	asi_enter(asi[ASI_CLASS_KVM]);
	KUNIT_EXPECT_PTR_EQ(test, asi_get_current(), asi[ASI_CLASS_KVM]);
	asi_exit();
	asi_exit();
	preempt_enable();
	after = stats_of(test, ASI_CLASS_KVM);
	KUNIT_EXPECT_EQ(test, after.enters - before.enters, 1);
	KUNIT_EXPECT_EQ(test, after.exits - before.exits, 1);
	KUNIT_EXPECT_STREQ(test, hooks.log, "Aa");
	mm_release(mm);
}

static void asi_reenter_after_exit(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;
	int i;

	mm = mm_with_domains(test, BIT(ASI_CLASS_USERSPACE), asi);
	preempt_disable();
	for (i = 0; i < 3; i++) {
		asi_enter(asi[ASI_CLASS_USERSPACE]);
		KUNIT_EXPECT_PTR_EQ(test, asi_get_current(), asi[ASI_CLASS_USERSPACE]);
		asi_exit();
		KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	}
	preempt_enable();
	KUNIT_EXPECT_STREQ(test, hooks.log, "BbBbBb");
	mm_release(mm);
}

/* Entering B while in A leaves A first: A's pre_exit, then B's post_enter. */
static void asi_switch_between_domains(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;

	mm = mm_with_domains(test, ALL_CLASSES, asi);
	preempt_disable();
	asi_enter(asi[ASI_CLASS_KVM]);
	asi_enter(asi[ASI_CLASS_TEST]);
	KUNIT_EXPECT_PTR_EQ(test, asi_get_current(), asi[ASI_CLASS_TEST]);
	asi_enter(asi[ASI_CLASS_USERSPACE]);
	KUNIT_EXPECT_PTR_EQ(test, asi_get_current(), asi[ASI_CLASS_USERSPACE]);
	asi_exit();
	preempt_enable();
	KUNIT_EXPECT_STREQ(test, hooks.log, "AaCcBb");
	KUNIT_EXPECT_PTR_EQ(test, hooks.last[ASI_CLASS_KVM], asi[ASI_CLASS_KVM]);
	KUNIT_EXPECT_PTR_EQ(test, hooks.last[ASI_CLASS_TEST], asi[ASI_CLASS_TEST]);
	mm_release(mm);
}

static void asi_enter_foreign_mm_warns(struct kunit *test)
{
	struct asi_class_stats before = stats_of(test, ASI_CLASS_TEST), after;
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm, *other;

	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	asi_kunit_mm_unuse(mm);
	other = asi_kunit_mm_new(test);
	asi_kunit_mm_use(other);
	asi_enter(asi[ASI_CLASS_TEST]);
	asi_kunit_expect_message(test, "asi_enter() into a domain of another mm");
	asi_kunit_expect_warnings(test, 1, "asi_enter");
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	after = stats_of(test, ASI_CLASS_TEST);
	KUNIT_EXPECT_EQ(test, after.enters, before.enters);
	KUNIT_EXPECT_EQ(test, hooks.post_enter[ASI_CLASS_TEST], 0);
	mm_release(other);
	asi_kunit_mm_put(mm);
}

static void asi_null_and_idle_calls_are_noops(struct kunit *test)
{
	struct asi_class_stats before = stats_of(test, ASI_CLASS_TEST), after;
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;

	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	asi_enter(NULL);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	asi_exit();
	asi_tlb_flush_one_user(NULL, 0x1000);
	after = stats_of(test, ASI_CLASS_TEST);
	KUNIT_EXPECT_EQ(test, after.exits, before.exits);
	KUNIT_EXPECT_EQ(test, hooks.log_len, 0);
	mm_release(mm);
}

static void asi_get_current_preemptible_warns(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;

	if (!IS_ENABLED(CONFIG_PREEMPTION))
		kunit_skip(test, "needs CONFIG_PREEMPTION");
	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	KUNIT_EXPECT_TRUE(test, preemptible());
	asi_get_current();
	asi_kunit_expect_message(test, "asi_get_current() called preemptible");
	asi_kunit_expect_warnings(test, 1, "asi_get_current");
	mm_release(mm);
}

/* asi_is_restricted() is fine preemptible, in and out of a domain. */
static void asi_is_restricted_preemptible_silent(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long switches;
	struct mm_struct *mm;
	struct asi *cur;
	bool in;

	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	preempt_disable();
	asi_enter(asi[ASI_CLASS_TEST]);
	switches = current->nvcsw + current->nivcsw;
	preempt_enable_no_resched();
	in = asi_is_restricted();	/* preemptible now */
	preempt_disable();
	cur = asi_get_current();
	switches = current->nvcsw + current->nivcsw - switches;
	asi_exit();
	preempt_enable();

	/*
	 * The answer is only a snapshot: a context switch right after it
	 * leaves ASI.  Without one, it must be right.
	 */
	if (switches)
		KUNIT_EXPECT_NULL(test, cur);
	else
		KUNIT_EXPECT_TRUE(test, in && cur == asi[ASI_CLASS_TEST]);
	asi_kunit_expect_warnings(test, 0, NULL);
	mm_release(mm);
}

/* Every class's hooks run, each with its own domain. */
static void asi_hooks_every_class(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;
	enum asi_class_id id;

	mm = mm_with_domains(test, ALL_CLASSES, asi);
	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		preempt_disable();
		asi_enter(asi[id]);
		KUNIT_EXPECT_EQ(test, hooks.post_enter[id], 1);
		KUNIT_EXPECT_EQ(test, hooks.pre_exit[id], 0);
		asi_exit();
		preempt_enable();
		KUNIT_EXPECT_EQ(test, hooks.pre_exit[id], 1);
		KUNIT_EXPECT_PTR_EQ(test, hooks.last[id], asi[id]);
	}
	KUNIT_EXPECT_STREQ(test, hooks.log, "AaBbCc");
	mm_release(mm);
}

static struct {
	int n;
	char what[8];
	int class_id[8];
	const char *class_name[8];
	int reason[8];
} traced;

static void trace_note(char what, int class_id, const char *class_name,
		       int reason)
{
	if (traced.n < ARRAY_SIZE(traced.what)) {
		traced.what[traced.n] = what;
		traced.class_id[traced.n] = class_id;
		traced.class_name[traced.n] = class_name;
		traced.reason[traced.n] = reason;
	}
	traced.n++;
}

static void probe_enter(void *data, int class_id, const char *class_name,
			unsigned long cr3)
{
	trace_note('E', class_id, class_name, -1);
}

static void probe_exit(void *data, int class_id, const char *class_name,
		       int reason)
{
	trace_note('X', class_id, class_name, reason);
}

static void unregister_probes(void *unused)
{
	unregister_trace_asi_enter(probe_enter, NULL);
	unregister_trace_asi_exit(probe_exit, NULL);
	tracepoint_synchronize_unregister();
}

/* The tracepoints of the case, until it ends (also on a failed assertion). */
static void register_probes(struct kunit *test)
{
	memset(&traced, 0, sizeof(traced));
	KUNIT_ASSERT_EQ(test, register_trace_asi_enter(probe_enter, NULL), 0);
	KUNIT_ASSERT_EQ(test, register_trace_asi_exit(probe_exit, NULL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, unregister_probes,
							NULL), 0);
}

/* A context switch leaves ASI: the domain belongs to the task leaving. */
static void asi_context_switch_exits(struct kunit *test)
{
	struct asi_class_stats before = stats_of(test, ASI_CLASS_TEST), after;
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;

	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	register_probes(test);
	asi_enter(asi[ASI_CLASS_TEST]);
	schedule_timeout_uninterruptible(1);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	after = stats_of(test, ASI_CLASS_TEST);
	KUNIT_EXPECT_EQ(test, after.exits - before.exits, 1);
	KUNIT_ASSERT_EQ(test, traced.n, 2);
	KUNIT_EXPECT_EQ(test, traced.reason[1], ASI_EXIT_CONTEXT_SWITCH);
	KUNIT_EXPECT_STREQ(test, hooks.log, "Cc");
	mm_release(mm);
}

/* Switching mm (kthread_use_mm() here, exec or a task switch) leaves ASI. */
static void asi_mm_switch_exits(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm, *other;

	other = asi_kunit_mm_new(test);
	mm = mm_with_domains(test, BIT(ASI_CLASS_KVM), asi);
	register_probes(test);
	preempt_disable();
	asi_enter(asi[ASI_CLASS_KVM]);
	KUNIT_EXPECT_TRUE(test, asi_is_restricted());
	asi_kunit_mm_unuse(mm);
	asi_kunit_mm_use(other);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	preempt_enable();
	KUNIT_ASSERT_EQ(test, traced.n, 2);
	KUNIT_EXPECT_EQ(test, traced.reason[1], ASI_EXIT_MM_SWITCH);
	KUNIT_EXPECT_STREQ(test, hooks.log, "Aa");
	mm_release(other);
	asi_kunit_mm_put(mm);
}

/*
 * A kthread that stops using the mm (kthread_unuse_mm()) keeps it lazily,
 * without a CR3 switch, but leaves its domain (ASI_EXIT_MM_SWITCH).
 */
static void asi_unuse_mm_exits(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;
	bool inside;

	mm = mm_with_domains(test, BIT(ASI_CLASS_KVM), asi);
	register_probes(test);
	preempt_disable();
	asi_enter(asi[ASI_CLASS_KVM]);
	kthread_unuse_mm(mm);
	inside = asi_is_restricted();
	kthread_use_mm(mm);
	preempt_enable();
	KUNIT_EXPECT_FALSE(test, inside);
	KUNIT_ASSERT_EQ(test, traced.n, 2);
	KUNIT_EXPECT_EQ(test, traced.reason[1], ASI_EXIT_MM_SWITCH);
	mm_release(mm);
}

/* The enter and exit tracepoints fire with the class (id, name) and the reason. */
static void asi_tracepoints(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct mm_struct *mm;

	mm = mm_with_domains(test, BIT(ASI_CLASS_KVM) | BIT(ASI_CLASS_TEST), asi);
	register_probes(test);
	preempt_disable();
	asi_enter(asi[ASI_CLASS_KVM]);
	asi_enter(asi[ASI_CLASS_TEST]);
	asi_exit();
	preempt_enable();

	KUNIT_ASSERT_EQ(test, traced.n, 4);
	KUNIT_EXPECT_EQ(test, traced.what[0], 'E');
	KUNIT_EXPECT_EQ(test, traced.class_id[0], ASI_CLASS_KVM);
	KUNIT_EXPECT_EQ(test, traced.what[1], 'X');
	KUNIT_EXPECT_EQ(test, traced.class_id[1], ASI_CLASS_KVM);
	KUNIT_EXPECT_EQ(test, traced.reason[1], ASI_EXIT_SWITCH);
	KUNIT_EXPECT_EQ(test, traced.what[2], 'E');
	KUNIT_EXPECT_EQ(test, traced.class_id[2], ASI_CLASS_TEST);
	KUNIT_EXPECT_EQ(test, traced.what[3], 'X');
	KUNIT_EXPECT_EQ(test, traced.reason[3], ASI_EXIT_CALL);
	/* Named as the class registered itself. */
	KUNIT_EXPECT_STREQ(test, traced.class_name[0],
			   test_class_ops[ASI_CLASS_KVM].name);
	KUNIT_EXPECT_STREQ(test, traced.class_name[3],
			   test_class_ops[ASI_CLASS_TEST].name);
	mm_release(mm);
}

/*
 * /sys/kernel/debug/asi/<name>/stats shows what asi_get_class_stats()
 * counts, for every registered class under its own name, and moves with
 * it; a class that is unregistered takes its directory along.
 */
static void asi_debugfs_stats(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long enters, exits, domains;
	struct asi_class_stats s;
	enum asi_class_id id;
	struct mm_struct *mm;
	char path[32];
	char *buf;
	int n;

	if (!IS_ENABLED(CONFIG_DEBUG_FS))
		kunit_skip(test, "CONFIG_DEBUG_FS is off");
	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	mm = mm_with_domains(test, BIT(ASI_CLASS_USERSPACE), asi);
	preempt_disable();
	asi_enter(asi[ASI_CLASS_USERSPACE]);
	asi_exit();
	preempt_enable();

	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		snprintf(path, sizeof(path), "asi/%s/stats",
			 test_class_ops[id].name);
		KUNIT_ASSERT_GT_MSG(test, asi_kunit_read_debugfs(path, buf, PAGE_SIZE),
				    0, "reading %s", path);
		s = stats_of(test, id);
		n = sscanf(buf, "domains %lu\nenters %lu\nexits %lu\n",
			   &domains, &enters, &exits);
		KUNIT_ASSERT_EQ_MSG(test, n, 3, "%s: %s", path, buf);
		KUNIT_EXPECT_EQ(test, domains, s.domains);
		KUNIT_EXPECT_EQ(test, enters, s.enters);
		KUNIT_EXPECT_EQ(test, exits, s.exits);
		if (id == ASI_CLASS_USERSPACE)
			KUNIT_EXPECT_GT(test, enters, 0);
	}
	mm_release(mm);

	KUNIT_ASSERT_EQ(test, asi_unregister_class(ASI_CLASS_TEST), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							reregister_test_class,
							NULL), 0);
	snprintf(path, sizeof(path), "asi/%s/stats",
		 test_class_ops[ASI_CLASS_TEST].name);
	KUNIT_EXPECT_EQ(test, asi_kunit_read_debugfs(path, buf, PAGE_SIZE),
			-ENOENT);
}

/* A backend naming an ASID slot it does not have is warned about. */
static void asi_invalidate_bad_slot_warns(struct kunit *test)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_slot_mark_stale(ASI_ARCH_NR_ASID_SLOTS);
	local_irq_restore(flags);
	asi_kunit_expect_message(test, "slot 6 out of range");
	asi_kunit_expect_warnings(test, 1, "asi_slot_mark_stale");
}

/*
 * With CONFIG_DEBUG_ASI the core's once-per-boot warnings fire every
 * time: the cases above that provoke them must not hide a later real one.
 */
static void asi_once_warnings_repeat(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long flags;
	struct mm_struct *mm;
	int i;

	if (!IS_ENABLED(CONFIG_DEBUG_ASI) || !IS_ENABLED(CONFIG_PREEMPTION))
		kunit_skip(test, "needs CONFIG_DEBUG_ASI and CONFIG_PREEMPTION");
	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	for (i = 0; i < 2; i++) {
		local_irq_save(flags);
		asi_slot_mark_stale(ASI_ARCH_NR_ASID_SLOTS + i);
		local_irq_restore(flags);
		asi_kunit_expect_warnings(test, 1, "asi_slot_mark_stale");
		asi_get_current();
		asi_kunit_expect_warnings(test, 1, "asi_get_current");
		preempt_disable();
		asi_enter(asi[ASI_CLASS_TEST]);
		asi_destroy_mm_state(mm);
		preempt_enable();
		asi_kunit_expect_warnings(test, 1, "asi_destroy_mm_state");
		KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_TEST,
					       &asi[ASI_CLASS_TEST]), 0);
	}
	mm_release(mm);
}

/*
 * A class's pre-exit hook that reads sensitive memory faults inside the
 * exit: the hook runs once and reads the right value, one exit and one
 * fault exit are counted (the exit's reason is the call's), and the CPU
 * ends outside.
 */
static void asi_fault_in_pre_exit_hook_once(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	struct asi_class_stats before, after;
	struct asi_kunit_exits exits;
	struct mm_struct *mm;
	struct page *page;
	u64 *p;

	page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	*p = 0x4007;
	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	asi_kunit_record_exits(test, &exits);
	before = stats_of(test, ASI_CLASS_TEST);
	hook_read = 0;
	preempt_disable();
	asi_enter(asi[ASI_CLASS_TEST]);
	hook_reads = p;
	asi_exit();
	hook_reads = NULL;
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	KUNIT_EXPECT_EQ(test, asi_current_cr3(), 0);
	preempt_enable();
	after = stats_of(test, ASI_CLASS_TEST);

	KUNIT_EXPECT_EQ(test, hooks.pre_exit[ASI_CLASS_TEST], 1);
	KUNIT_EXPECT_EQ(test, hook_read, 0x4007);
	KUNIT_EXPECT_EQ(test, after.exits - before.exits, 1);
	KUNIT_EXPECT_EQ(test, after.fault_exits - before.fault_exits, 1);
	KUNIT_EXPECT_EQ(test, exits.n, 1);
	KUNIT_EXPECT_EQ(test, exits.reason[0], ASI_EXIT_CALL);
	KUNIT_EXPECT_EQ(test, exits.faults, 1);
	KUNIT_EXPECT_EQ(test, exits.addr, (unsigned long)p);
	mm_release(mm);
	asi_free_sensitive_pages(page, 0);
}

/*
 * Freeing sensitive memory maps it into every restricted space again: its
 * contents must be gone first.  An extra reference keeps the page from
 * the allocator, so the case can look at it after the free.
 */
static void asi_sensitive_free_clears(struct kunit *test)
{
	struct page *page;
	const u8 *p;

	page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	memset(page_address(page), 0xa5, PAGE_SIZE);
	get_page(page);
	asi_free_sensitive_pages(page, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	KUNIT_EXPECT_NULL_MSG(test, memchr(p, 0xa5, PAGE_SIZE),
			      "a secret byte is left in the freed page");
	__free_pages(page, 0);
}

/* An atomic caller is refused with a warning, and nothing sleeps. */
static void asi_sensitive_atomic_refused(struct kunit *test)
{
	struct page *page;

	spin_lock(&atomic_lock);
	page = asi_alloc_sensitive_pages(GFP_ATOMIC, 0);
	spin_unlock(&atomic_lock);
	KUNIT_EXPECT_NULL(test, page);
	asi_kunit_expect_message(test, "does not allow blocking");
	asi_kunit_expect_warnings(test, 1, "asi_alloc_sensitive_pages");
	if (page)
		asi_free_sensitive_pages(page, 0);
}

static unsigned int seen_scope;

static int scope_noting_set_sensitive(void *addr, unsigned long npages,
				      bool sensitive)
{
	seen_scope = current->flags & (PF_MEMALLOC_NOIO | PF_MEMALLOC_NOFS);
	return __asi_set_sensitive(addr, npages, sensitive);
}

/*
 * The backend edits the tables within the allocation context the caller
 * allows: no filesystem reclaim for GFP_NOFS, no I/O for GFP_NOIO.
 */
static void asi_sensitive_gfp_scope(struct kunit *test)
{
	static const struct {
		gfp_t gfp;
		unsigned int scope;
	} cases[] = {
		{ GFP_KERNEL, 0 },
		{ GFP_NOFS, PF_MEMALLOC_NOFS },
		{ GFP_NOIO, PF_MEMALLOC_NOIO },
	};
	struct page *page;
	int i;

	kunit_activate_static_stub(test, asi_set_sensitive,
				   scope_noting_set_sensitive);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		seen_scope = ~0U;
		page = asi_alloc_sensitive_pages(cases[i].gfp, 0);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_EQ_MSG(test, seen_scope, cases[i].scope,
				    "gfp %pGg", &cases[i].gfp);
		asi_free_sensitive_pages(page, 0);
		KUNIT_EXPECT_EQ(test, seen_scope, 0);
	}
	kunit_deactivate_static_stub(test, asi_set_sensitive);
}

static int unmap_failing_set_sensitive(void *addr, unsigned long npages,
				       bool sensitive)
{
	return sensitive ? __asi_set_sensitive(addr, npages, true) : -ENOMEM;
}

/*
 * Pages that cannot be mapped in the restricted spaces again are leaked,
 * with a warning, rather than handed back to the allocator unmapped: a
 * shared block whose last page goes, and a page that was sensitive on
 * its own.  The case then maps and frees them itself.
 */
static void asi_sensitive_free_failure_leaks(struct kunit *test)
{
	static const char *const where[] = {
		"asi_block_free", "asi_free_sensitive_pages",
	};
	const unsigned long npages = 1UL << ASI_BLOCK_ORDER;
	struct page *page, *alone, *block;
	unsigned long i;

	kunit_activate_static_stub(test, asi_set_sensitive,
				   unmap_failing_set_sensitive);
	page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	get_page(page);
	asi_free_sensitive_pages(page, 0);
	asi_kunit_expect_message(test, "cannot map a block again");

	kunit_activate_static_stub(test, asi_block_alloc,
				   asi_kunit_decline_block);
	alone = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	kunit_deactivate_static_stub(test, asi_block_alloc);
	KUNIT_ASSERT_NOT_NULL(test, alone);
	get_page(alone);
	asi_free_sensitive_pages(alone, 0);
	kunit_deactivate_static_stub(test, asi_set_sensitive);
	asi_kunit_expect_message(test, "cannot map the pages again");
	asi_kunit_expect_warnings_from(test, where, ARRAY_SIZE(where));

	/* Not freed: the allocation's reference and the case's are left. */
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	KUNIT_EXPECT_EQ(test, page_ref_count(alone), 2);
	block = pfn_to_page(ALIGN_DOWN(page_to_pfn(page), npages));
	KUNIT_EXPECT_EQ(test, __asi_set_sensitive(page_address(block),
						  npages, false), 0);
	put_page(page);
	for (i = 0; i < npages; i++)
		__free_page(block + i);
	KUNIT_EXPECT_EQ(test, __asi_set_sensitive(page_address(alone), 1,
						  false), 0);
	put_page(alone);
	__free_page(alone);
}

static struct kunit_case asi_state_cases[] = {
	KUNIT_CASE(asi_enter_exit),
	KUNIT_CASE(asi_enter_twice_is_noop),
	KUNIT_CASE(asi_reenter_after_exit),
	KUNIT_CASE(asi_switch_between_domains),
	KUNIT_CASE(asi_enter_foreign_mm_warns),
	KUNIT_CASE(asi_null_and_idle_calls_are_noops),
	KUNIT_CASE(asi_get_current_preemptible_warns),
	KUNIT_CASE(asi_is_restricted_preemptible_silent),
	KUNIT_CASE(asi_hooks_every_class),
	KUNIT_CASE(asi_context_switch_exits),
	KUNIT_CASE(asi_mm_switch_exits),
	KUNIT_CASE(asi_unuse_mm_exits),
	KUNIT_CASE(asi_tracepoints),
	KUNIT_CASE(asi_debugfs_stats),
	KUNIT_CASE(asi_invalidate_bad_slot_warns),
	KUNIT_CASE(asi_once_warnings_repeat),
	KUNIT_CASE(asi_fault_in_pre_exit_hook_once),
	KUNIT_CASE(asi_sensitive_free_clears),
	KUNIT_CASE(asi_sensitive_atomic_refused),
	KUNIT_CASE(asi_sensitive_gfp_scope),
	KUNIT_CASE(asi_sensitive_free_failure_leaks),
	{}
};

static struct kunit_suite asi_state_suite = {
	.name = "asi_state",
	.suite_init = asi_suite_init,
	.suite_exit = asi_suite_exit,
	.init = asi_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_state_cases,
};

/* ---- flush fan-out ---------------------------------------------------- */

static unsigned long flushes_of(struct kunit *test, enum asi_class_id id)
{
	struct asi_class_stats s = stats_of(test, id);

	return s.flushes + s.flushes_deferred;
}

/* One invalidation per initialized domain of the mm, none for the others. */
static void asi_flush_one_per_domain(struct kunit *test)
{
	unsigned int masks[] = { 0, BIT(ASI_CLASS_TEST),
				 BIT(ASI_CLASS_KVM) | BIT(ASI_CLASS_USERSPACE),
				 ALL_CLASSES };
	int i;

	for (i = 0; i < ARRAY_SIZE(masks); i++) {
		struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
		unsigned long before[ASI_MAX_NUM_CLASSES];
		struct mm_struct *mm;
		enum asi_class_id id;
		bool pcid;

		mm = mm_with_domains(test, masks[i], asi);
		for (id = 0; id < ASI_MAX_NUM_CLASSES; id++)
			before[id] = flushes_of(test, id);
		preempt_disable();
		pcid = asi_arch_has_pcid();
		asi_tlb_flush_one_user(mm, 0x400000);
		preempt_enable();
		for (id = 0; id < ASI_MAX_NUM_CLASSES; id++)
			KUNIT_EXPECT_EQ_MSG(test, flushes_of(test, id) - before[id],
					    pcid && (masks[i] & BIT(id)) ? 1 : 0,
					    "mask %#x class %d", masks[i], id);
		mm_release(mm);
	}
}

/* An mm not loaded on this CPU has no ASID slot here: nothing to flush. */
static void asi_flush_unloaded_mm_none(struct kunit *test)
{
	struct asi *asi[ASI_MAX_NUM_CLASSES] = {};
	unsigned long before = flushes_of(test, ASI_CLASS_TEST);
	struct mm_struct *mm;

	mm = mm_with_domains(test, BIT(ASI_CLASS_TEST), asi);
	asi_kunit_mm_unuse(mm);
	asi_tlb_flush_one_user(mm, 0x400000);
	KUNIT_EXPECT_EQ(test, flushes_of(test, ASI_CLASS_TEST), before);
	asi_kunit_mm_put(mm);
}

static struct kunit_case asi_flush_cases[] = {
	KUNIT_CASE(asi_flush_one_per_domain),
	KUNIT_CASE(asi_flush_unloaded_mm_none),
	{}
};

static struct kunit_suite asi_flush_suite = {
	.name = "asi_flush",
	.suite_init = asi_suite_init,
	.suite_exit = asi_suite_exit,
	.init = asi_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_flush_cases,
};

kunit_test_suites(&asi_lifetime_suite, &asi_state_suite, &asi_flush_suite);
