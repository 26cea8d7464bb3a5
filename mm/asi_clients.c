// SPDX-License-Identifier: GPL-2.0
/*
 * Address Space Isolation: its clients, the userspace and KVM classes.
 *
 * The userspace class.
 * Every process gets a domain of ASI_CLASS_USERSPACE, which maps its own
 * user memory (the class's map_user) and the kernel's non-sensitive
 * memory.  The CPU enters it, starting a critical section, on every
 * return to user mode, so user code runs restricted; every entry from user
 * mode (syscall, interrupt, exception) relaxes the section, so the kernel
 * goes on running restricted until it touches sensitive memory, and its
 * fault takes the CPU out.  The core's taint policy decides the flushes:
 * the class asks for the data ones before user mode if the CPU ran
 * unrestricted, and the control ones before unrestricted kernel code
 * after user mode ran.
 *
 * A domain is created where the lifetime rules allow it, with
 * current->mm == mm: on the first return to user mode of a task with a
 * new mm (after exec, and after fork), from resume_user_mode_work(),
 * which can sleep.  Every return to user mode of any task leaves a domain
 * that does not map user memory (ASI_EXIT_RETURN_TO_USER): a KVM vCPU
 * thread returning from its run ioctl, say, with the class off.
 *
 * The KVM class.  A VM's domain is of the VMM's mm, created with the VM
 * (KVM_CREATE_VM, where current->mm is the VM's mm) and maps no user
 * memory.  The vCPU run loop enters it before VM entry, early enough
 * that the host CR3 the VM exit loads is the restricted one (VMX writes
 * it into the VMCS), and relaxes after VM exit: KVM handles the exit
 * restricted until it touches sensitive memory or the VMM's memory.  The
 * guest is the untrusted context, with the same flushes as user mode.
 *
 * Both are off by default; asi_userspace=on and asi_kvm=on turn them on
 * where ASI is on.  (The KUnit suites register classes of their own in
 * these slots, so they run with both off.)
 */

#define pr_fmt(fmt) "asi: " fmt

#include <linux/asi.h>
#include <linux/init.h>
#include <linux/instrumentation.h>
#include <linux/kstrtox.h>
#include <linux/mm_types.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <kunit/visibility.h>

#include "asi_internal.h"

static bool asi_userspace_param __initdata;
static bool asi_kvm_param __initdata;

/* The hooks of the clients, on once their class is registered at boot. */
DEFINE_STATIC_KEY_FALSE(asi_userspace_key);
EXPORT_SYMBOL_GPL(asi_userspace_key);

DEFINE_STATIC_KEY_FALSE(asi_kvm_key);
EXPORT_SYMBOL_GPL(asi_kvm_key);

static int __init asi_client_parse(const char *name, char *arg, bool *on)
{
	if (!arg || kstrtobool(arg, on))
		pr_warn("unknown %s=%s, expected on or off\n", name, arg ?: "");
	return 0;
}

static int __init asi_userspace_parse(char *arg)
{
	return asi_client_parse("asi_userspace", arg, &asi_userspace_param);
}
early_param("asi_userspace", asi_userspace_parse);

static int __init asi_kvm_parse(char *arg)
{
	return asi_client_parse("asi_kvm", arg, &asi_kvm_param);
}
early_param("asi_kvm", asi_kvm_parse);

/*
 * User mode is the untrusted context: it may read what the kernel left in
 * the L1D cache and the CPU buffers, and it trains the branch predictors
 * and the return stack buffer that kernel code runs with afterwards.
 */
static const struct asi_class_ops asi_userspace_ops = {
	.name = "userspace",
	.flush_data = ASI_FLUSH_DATA,
	.flush_control = ASI_FLUSH_CONTROL,
	.map_user = true,
};

/* A guest is as untrusted as user mode; its VMM's memory is not mapped. */
static const struct asi_class_ops asi_kvm_ops = {
	.name = "kvm",
	.flush_data = ASI_FLUSH_DATA,
	.flush_control = ASI_FLUSH_CONTROL,
};

/* Register a client's class and turn its hooks on, saying what is on. */
static void __init asi_client_setup(enum asi_class_id class_id,
				    const struct asi_class_ops *ops,
				    bool param, struct static_key_false *key,
				    const char *what)
{
	int err;

	if (!param) {
		pr_info("%s class off (asi_%s=on turns it on)\n", ops->name,
			ops->name);
		return;
	}
	if (!asi_enabled()) {
		pr_info("%s class off: ASI is off\n", ops->name);
		return;
	}
	err = asi_register_class(class_id, ops);
	if (err) {
		pr_err("%s class off: cannot register it (%d)\n", ops->name,
		       err);
		return;
	}
	static_branch_enable(key);
	pr_info("%s class on: %s; L1D and CPU buffers flushed before it after unrestricted kernel code, IBPB and RSB before unrestricted kernel code after it\n",
		ops->name, what);
}

/* After asi_setup() (early_initcall) and debugfs; before init runs. */
static int __init asi_clients_setup(void)
{
	asi_client_setup(ASI_CLASS_USERSPACE, &asi_userspace_ops,
			 asi_userspace_param, &asi_userspace_key,
			 "user mode runs restricted, entered on each return to it");
	asi_client_setup(ASI_CLASS_KVM, &asi_kvm_ops, asi_kvm_param,
			 &asi_kvm_key,
			 "guests run restricted, entered before each VM entry");
	/*
	 * What one process or guest must not reach of another: their memory,
	 * which the restricted spaces would otherwise map through the direct
	 * map.
	 */
	if (static_branch_unlikely(&asi_userspace_key) ||
	    static_branch_unlikely(&asi_kvm_key)) {
		asi_pool_set_taking(true);
		pr_info("user memory is sensitive: anonymous memory, the page cache, tmpfs, pipe buffers and so guests' memory come from 2M blocks no restricted space maps\n");
	}
	return 0;
}
subsys_initcall(asi_clients_setup);

/**
 * asi_userspace_new_mm() - @tsk will return to user mode with a new mm
 * @tsk: a task fresh from fork, or current after exec.
 *
 * Its first return to user mode creates the mm's domain
 * (asi_userspace_resume()), with current->mm == mm as asi_init() wants.
 * Called through asi_user_new_mm().
 */
void asi_userspace_new_mm(struct task_struct *tsk)
{
	if (tsk->mm && !(tsk->flags & PF_KTHREAD))
		set_tsk_thread_flag(tsk, TIF_NOTIFY_RESUME);
}

/**
 * asi_userspace_prepare() - create the domain of @mm, if it has none
 * @mm: current->mm.
 *
 * Context: process context, may sleep.
 * Return: 0, or asi_init()'s error.
 */
int asi_userspace_prepare(struct mm_struct *mm)
{
	struct asi *asi;

	return asi_init(mm, ASI_CLASS_USERSPACE, &asi);
}
EXPORT_SYMBOL_IF_KUNIT(asi_userspace_prepare);

/**
 * asi_userspace_resume() - before user mode: current's mm needs its domain
 *
 * Called from resume_user_mode_work() (through asi_user_resume()).  A
 * process whose domain cannot be created cannot run protected: it is
 * killed, as an exec that fails past its point of no return is.
 */
void asi_userspace_resume(void)
{
	struct mm_struct *mm = current->mm;
	int err;

	if (!mm || (current->flags & PF_KTHREAD))
		return;
	/* Pairs with the release that publishes a domain (asi_init()). */
	if (smp_load_acquire(&mm->asi[ASI_CLASS_USERSPACE]))
		return;
	err = asi_userspace_prepare(mm);
	if (err) {
		pr_err_ratelimited("%s[%d] killed: no userspace-class domain (%d)\n",
				   current->comm, task_pid_nr(current), err);
		force_sig(SIGKILL);
	}
}

/**
 * asi_userspace_return() - the CPU returns to user mode
 *
 * Enters current's userspace-class domain and makes it ready for user
 * mode (asi_before_untrusted()).  With the class off, or without a domain
 * (a bug: warned about), a domain the CPU is in does not map user memory:
 * it is left, and the section ended (ASI_EXIT_RETURN_TO_USER).
 *
 * Context: the last step of the return to user mode, interrupts disabled;
 * noinstr.
 * Return: true if user mode runs in the domain.
 */
noinstr bool asi_userspace_return(void)
{
	struct mm_struct *mm = current->mm;
	struct asi *asi = NULL;

	if (static_branch_unlikely(&asi_userspace_key)) {
		/* Pairs with the release that publishes a domain. */
		asi = mm ? smp_load_acquire(&mm->asi[ASI_CLASS_USERSPACE]) :
			   NULL;
		if (unlikely(!asi)) {
			instrumentation_begin();
			ASI_WARN_ONCE(1,
				      "%s(): %s[%d] returns to user mode without a domain\n",
				      __func__, current->comm,
				      task_pid_nr(current));
			instrumentation_end();
		}
	}
	if (!asi) {
		asi_exit_irqoff(ASI_EXIT_RETURN_TO_USER);
		return false;
	}
	asi_enter_irqoff(asi);
	return asi_before_untrusted();
}
EXPORT_SYMBOL_IF_KUNIT(asi_userspace_return);

/**
 * asi_userspace_entered() - the CPU entered the kernel from user mode
 *
 * User mode stopped: the control flushes are owed (asi_after_untrusted())
 * and the kernel runs on restricted outside a critical section.
 *
 * Context: the first step of the entry, interrupts disabled; noinstr.
 */
noinstr void asi_userspace_entered(void)
{
	asi_after_untrusted();
	asi_relax();
}
EXPORT_SYMBOL_IF_KUNIT(asi_userspace_entered);

/**
 * asi_kvm_init_vm() - a VM is created: its domain
 *
 * Called through asi_kvm_vm_created() by KVM_CREATE_VM, in the VMM's
 * process (current->mm is the VM's mm).
 *
 * Context: process context, may sleep.
 * Return: 0, or asi_init()'s error (the VM is not created).
 */
int asi_kvm_init_vm(void)
{
	struct asi *asi;

	return asi_init(current->mm, ASI_CLASS_KVM, &asi);
}
EXPORT_SYMBOL_GPL(asi_kvm_init_vm);

/**
 * asi_kvm_enter() - a vCPU is about to enter its guest: the VM's domain
 *
 * Starts the critical section in the domain of current's mm (the VM's:
 * KVM runs a vCPU only in its VM's process).  Warns if there is none.
 *
 * Context: interrupts disabled, before the host state KVM saves for the
 * VM exit (VMX's HOST_CR3) is read; noinstr.
 */
noinstr void asi_kvm_enter(void)
{
	/* Pairs with the release that publishes a domain (asi_init()). */
	struct asi *asi = smp_load_acquire(&current->mm->asi[ASI_CLASS_KVM]);

	if (unlikely(!asi)) {
		instrumentation_begin();
		ASI_WARN_ONCE(1,
			      "%s(): a vCPU of %s[%d] runs without its VM's domain\n",
			      __func__, current->comm, task_pid_nr(current));
		instrumentation_end();
		return;
	}
	asi_enter_irqoff(asi);
}
EXPORT_SYMBOL_GPL(asi_kvm_enter);

/**
 * asi_kvm_before_guest() - the guest runs next
 *
 * Back into the domain if an exit left it since asi_kvm_enter(), with
 * the data flushes owed (asi_before_untrusted()).  Should that fail (no
 * ASID slot: the core warns), the guest runs unrestricted: KVM cannot
 * back out of the VM entry here.
 *
 * Context: interrupts disabled, RCU watching (before
 * guest_state_enter_irqoff()); noinstr.
 */
noinstr void asi_kvm_before_guest(void)
{
	asi_before_untrusted();
}
EXPORT_SYMBOL_GPL(asi_kvm_before_guest);

/**
 * asi_kvm_after_guest() - the guest stopped (a VM exit)
 *
 * The control flushes are owed and KVM goes on restricted outside a
 * critical section.
 *
 * Context: interrupts disabled, RCU watching (after
 * guest_state_exit_irqoff()); noinstr.
 */
noinstr void asi_kvm_after_guest(void)
{
	asi_after_untrusted();
	asi_relax();
}
EXPORT_SYMBOL_GPL(asi_kvm_after_guest);
