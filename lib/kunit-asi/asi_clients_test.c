// SPDX-License-Identifier: GPL-2.0
/*
 * The clients suite: the userspace and KVM classes' steps
 * (mm/asi_clients.c) driven as the entry code and KVM drive them, with
 * the suite's own classes in their slots (the kernel's are off in a KUnit
 * boot) and the clients' static keys turned on for the case.  Shared: on
 * UML the model checks each untrusted run.  The real programs and guests
 * run in the userspace runs of make check (tools/asi/user/).
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/irqflags.h>
#include <linux/jump_label.h>
#include <linux/mm_types.h>
#include <linux/preempt.h>

#include "../../mm/asi_internal.h"
#include "asi_kunit.h"

static const struct asi_class_ops user_ops = {
	.name = "clients-user",
	.post_enter = asi_kunit_count_post_enter,
	.pre_exit = asi_kunit_count_pre_exit,
	.flush_data = ASI_FLUSH_DATA,
	.flush_control = ASI_FLUSH_CONTROL,
	.map_user = true,
};

static const struct asi_class_ops kvm_ops = {
	.name = "clients-kvm",
	.post_enter = asi_kunit_count_post_enter,
	.pre_exit = asi_kunit_count_pre_exit,
	.flush_data = ASI_FLUSH_DATA,
	.flush_control = ASI_FLUSH_CONTROL,
};

static int clients_suite_init(struct kunit_suite *suite)
{
	int err;

	if (!asi_enabled())
		return 0;
	err = asi_register_class(ASI_CLASS_USERSPACE, &user_ops);
	if (err)
		return err;
	err = asi_register_class(ASI_CLASS_KVM, &kvm_ops);
	if (err)
		asi_unregister_class(ASI_CLASS_USERSPACE);
	return err;
}

static void clients_suite_exit(struct kunit_suite *suite)
{
	if (!asi_enabled())
		return;
	WARN_ON(asi_unregister_class(ASI_CLASS_KVM));
	WARN_ON(asi_unregister_class(ASI_CLASS_USERSPACE));
}

static int clients_case_init(struct kunit *test)
{
	if (!asi_enabled())
		kunit_skip(test, "ASI is off");
	memset(&asi_kunit_hooks, 0, sizeof(asi_kunit_hooks));
	return asi_kunit_backend_case_init(test);
}

static void key_off(void *key)
{
	static_branch_disable((struct static_key_false *)key);
}

/* The client's hooks on for this case only (no process runs yet). */
static void key_on(struct kunit *test, struct static_key_false *key)
{
	static_branch_enable(key);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, key_off, key), 0);
}

static struct asi_class_stats stats_of(enum asi_class_id id)
{
	struct asi_class_stats s;

	WARN_ON(asi_get_class_stats(id, &s));
	return s;
}

/* What the CPU does while the untrusted context runs: the model checks. */
static void untrusted_runs(void)
{
#ifdef CONFIG_UML
	asi_um_tlb_run_untrusted();
#endif
}

/* An mm the case's kthread uses, with a domain of @class. */
static struct mm_struct *mm_with(struct kunit *test, enum asi_class_id class,
				 struct asi **asi)
{
	struct mm_struct *mm = asi_kunit_mm_new(test);

	asi_kunit_mm_use(mm);
	KUNIT_ASSERT_EQ(test, asi_init(mm, class, asi), 0);
	return mm;
}

/*
 * A return to user mode enters the process's domain with the data
 * flushes paid (the CPU ran unrestricted before); the entry from user
 * mode relaxes, staying inside; leaving then pays the control flushes.
 */
static void user_return_enters_entry_relaxes(struct kunit *test)
{
	struct asi_class_stats before, after;
	bool ready, inside, still_inside;
	struct mm_struct *mm;
	struct asi *asi;

	key_on(test, &asi_userspace_key);
	mm = mm_with(test, ASI_CLASS_USERSPACE, &asi);
	before = stats_of(ASI_CLASS_USERSPACE);
	preempt_disable();
	local_irq_disable();
	ready = asi_user_return();
	inside = asi_is_restricted();
	untrusted_runs();
	asi_user_entered();
	still_inside = asi_is_restricted();
	local_irq_enable();
	asi_exit();
	preempt_enable();
	after = stats_of(ASI_CLASS_USERSPACE);

	KUNIT_EXPECT_TRUE(test, ready);
	KUNIT_EXPECT_TRUE(test, inside);
	KUNIT_EXPECT_TRUE(test, still_inside);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	KUNIT_EXPECT_EQ(test, after.enters - before.enters, 1);
	KUNIT_EXPECT_EQ(test, after.relaxes - before.relaxes, 1);
	KUNIT_EXPECT_EQ(test, after.exits_by[ASI_EXIT_CALL] -
			before.exits_by[ASI_EXIT_CALL], 1);
	KUNIT_EXPECT_EQ(test, after.cpu_flushes[0] - before.cpu_flushes[0], 1);
	KUNIT_EXPECT_EQ(test, after.cpu_flushes[1] - before.cpu_flushes[1], 1);
	KUNIT_EXPECT_EQ(test, after.cpu_flushes[2] - before.cpu_flushes[2], 1);
	KUNIT_EXPECT_EQ(test, after.cpu_flushes[3] - before.cpu_flushes[3], 1);
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.post_enter, 1);
	KUNIT_EXPECT_EQ(test, asi_kunit_hooks.pre_exit, 1);
	asi_kunit_mm_release(mm);
}

/*
 * With the userspace class off, a return to user mode leaves a domain
 * the CPU is in (a vCPU thread back from its guest): user mode must not
 * run in tables that do not map its memory.
 */
static void user_return_class_off_leaves(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct mm_struct *mm;
	bool ready, inside;
	struct asi *asi;

	mm = mm_with(test, ASI_CLASS_KVM, &asi);
	before = stats_of(ASI_CLASS_KVM);
	preempt_disable();
	asi_enter(asi);
	asi_relax();
	local_irq_disable();
	ready = asi_user_return();
	inside = asi_is_restricted();
	local_irq_enable();
	preempt_enable();
	after = stats_of(ASI_CLASS_KVM);

	KUNIT_EXPECT_FALSE(test, ready);
	KUNIT_EXPECT_FALSE(test, inside);
	KUNIT_EXPECT_EQ(test, after.exits_by[ASI_EXIT_RETURN_TO_USER] -
			before.exits_by[ASI_EXIT_RETURN_TO_USER], 1);
	asi_kunit_mm_release(mm);
}

/* A process without its domain is a bug: warned, and user mode is out. */
static void user_return_without_domain_warns(struct kunit *test)
{
	struct mm_struct *mm;
	struct asi *asi;
	bool ready;

	key_on(test, &asi_userspace_key);
	mm = mm_with(test, ASI_CLASS_KVM, &asi);
	preempt_disable();
	asi_enter(asi);
	local_irq_disable();
	ready = asi_user_return();
	local_irq_enable();
	preempt_enable();

	KUNIT_EXPECT_FALSE(test, ready);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	asi_kunit_expect_warnings(test, 1, "asi_userspace_return");
	asi_kunit_mm_release(mm);
}

static struct asi *failing_domain_alloc(void)
{
	return NULL;
}

/*
 * The first return to user mode of a new mm creates its domain; when it
 * cannot, the error comes back (the caller kills the process) and the mm
 * is left without a domain.
 */
static void user_prepare_creates_domain(struct kunit *test)
{
	struct mm_struct *mm = asi_kunit_mm_new(test);
	struct asi *first;

	asi_kunit_mm_use(mm);
	kunit_activate_static_stub(test, asi_domain_alloc,
				   failing_domain_alloc);
	KUNIT_EXPECT_EQ(test, asi_userspace_prepare(mm), -ENOMEM);
	kunit_deactivate_static_stub(test, asi_domain_alloc);
	KUNIT_EXPECT_NULL(test, mm->asi[ASI_CLASS_USERSPACE]);

	KUNIT_EXPECT_EQ(test, asi_userspace_prepare(mm), 0);
	first = mm->asi[ASI_CLASS_USERSPACE];
	KUNIT_EXPECT_NOT_NULL(test, first);
	KUNIT_EXPECT_EQ(test, asi_userspace_prepare(mm), 0);
	KUNIT_EXPECT_PTR_EQ(test, mm->asi[ASI_CLASS_USERSPACE], first);
	KUNIT_EXPECT_NULL(test, mm->asi[ASI_CLASS_KVM]);
	asi_kunit_mm_release(mm);
}

/*
 * A vCPU run: the VM's domain (made with the VM) entered before the host
 * CR3 is read, ready before the guest runs, relaxed after the VM exit,
 * and left for user mode when the run ioctl returns.
 */
static void kvm_run_enters_exit_relaxes(struct kunit *test)
{
	bool entered, inside, still_inside, out;
	struct asi_class_stats before, after;
	struct mm_struct *mm;

	key_on(test, &asi_kvm_key);
	mm = asi_kunit_mm_new(test);
	asi_kunit_mm_use(mm);
	KUNIT_ASSERT_EQ(test, asi_kvm_vm_created(), 0);
	KUNIT_ASSERT_NOT_NULL(test, mm->asi[ASI_CLASS_KVM]);
	KUNIT_EXPECT_NULL(test, mm->asi[ASI_CLASS_USERSPACE]);
	before = stats_of(ASI_CLASS_KVM);
	preempt_disable();
	local_irq_disable();
	asi_kvm_vcpu_enter();
	entered = asi_is_restricted();
	asi_kvm_guest_enter();
	inside = asi_is_restricted();
	untrusted_runs();
	asi_kvm_guest_exit();
	still_inside = asi_is_restricted();
	asi_user_return();
	out = !asi_is_restricted();
	local_irq_enable();
	preempt_enable();
	after = stats_of(ASI_CLASS_KVM);

	KUNIT_EXPECT_TRUE(test, entered);
	KUNIT_EXPECT_TRUE(test, inside);
	KUNIT_EXPECT_TRUE(test, still_inside);
	KUNIT_EXPECT_TRUE(test, out);
	KUNIT_EXPECT_EQ(test, after.enters - before.enters, 1);
	KUNIT_EXPECT_EQ(test, after.relaxes - before.relaxes, 1);
	KUNIT_EXPECT_EQ(test, after.exits_by[ASI_EXIT_RETURN_TO_USER] -
			before.exits_by[ASI_EXIT_RETURN_TO_USER], 1);
	KUNIT_EXPECT_EQ(test, after.cpu_flushes[0] - before.cpu_flushes[0], 1);
	KUNIT_EXPECT_EQ(test, after.cpu_flushes[2] - before.cpu_flushes[2], 1);
	asi_kunit_mm_release(mm);
}

/*
 * A VM exit that lands in another CR3 than the core loaded is reported
 * where the guest stops: in the normal one while in the domain (VMX
 * loads the HOST_CR3 KVM read before the VM entry: read before
 * asi_enter(), it is the normal one), and in the domain's after an exit
 * between asi_before_untrusted() and the VM entry (a fault's).
 */
static void kvm_exit_to_other_cr3_warns(struct kunit *test)
{
	unsigned long normal, restricted;
	struct mm_struct *mm;
	bool out;

	if (!IS_ENABLED(CONFIG_DEBUG_ASI))
		kunit_skip(test, "the check is CONFIG_DEBUG_ASI's");
	key_on(test, &asi_kvm_key);
	mm = asi_kunit_mm_new(test);
	asi_kunit_mm_use(mm);
	KUNIT_ASSERT_EQ(test, asi_kvm_vm_created(), 0);
	preempt_disable();
	local_irq_disable();
	normal = asi_arch_read_cr3();
	asi_kvm_vcpu_enter();
	asi_kvm_guest_enter();
	restricted = asi_arch_read_cr3();
	asi_arch_write_cr3(normal);	/* the VM exit */
	asi_kvm_guest_exit();
	asi_arch_write_cr3(restricted);	/* back where the core is */

	asi_kvm_vcpu_enter();
	asi_kvm_guest_enter();
	asi_handle_fault(0, _THIS_IP_, 0);	/* out before the VM entry */
	out = !asi_is_restricted();
	asi_arch_write_cr3(restricted);	/* the VM exit */
	asi_kvm_guest_exit();
	asi_arch_write_cr3(normal);	/* back where the core is */
	local_irq_enable();
	asi_exit();
	preempt_enable();

	KUNIT_EXPECT_NE(test, normal, restricted);
	KUNIT_EXPECT_TRUE(test, out);
	asi_kunit_expect_warnings(test, 2, "asi_after_untrusted");
	asi_kunit_mm_release(mm);
}

/* A vCPU of a VM made before the class was on: warned, not entered. */
static void kvm_enter_without_domain_warns(struct kunit *test)
{
	struct mm_struct *mm = asi_kunit_mm_new(test);
	bool inside;

	key_on(test, &asi_kvm_key);
	asi_kunit_mm_use(mm);
	preempt_disable();
	local_irq_disable();
	asi_kvm_vcpu_enter();
	inside = asi_is_restricted();
	local_irq_enable();
	preempt_enable();

	KUNIT_EXPECT_FALSE(test, inside);
	asi_kunit_expect_warnings(test, 1, "asi_kvm_enter");
	asi_kunit_mm_release(mm);
}

static struct kunit_case asi_clients_cases[] = {
	KUNIT_CASE(user_return_enters_entry_relaxes),
	KUNIT_CASE(user_return_class_off_leaves),
	KUNIT_CASE(user_return_without_domain_warns),
	KUNIT_CASE(user_prepare_creates_domain),
	KUNIT_CASE(kvm_run_enters_exit_relaxes),
	KUNIT_CASE(kvm_enter_without_domain_warns),
	KUNIT_CASE(kvm_exit_to_other_cr3_warns),
	{}
};

static struct kunit_suite asi_clients_suite = {
	.name = "asi_clients",
	.suite_init = clients_suite_init,
	.suite_exit = clients_suite_exit,
	.init = clients_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_clients_cases,
};

kunit_test_suites(&asi_clients_suite);
