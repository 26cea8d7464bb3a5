// SPDX-License-Identifier: GPL-2.0
/*
 * Address Space Isolation: the shared core.
 *
 * Everything here is a decision; the backend (x86 in arch/x86/mm/, or the
 * mocked TLB in arch/um/asi/) only carries out machine effects: load a
 * CR3 value, invalidate an address in a PCID, allocate a page table.  That
 * split lets the UML build check on any laptop the decisions that x86
 * hardware acts on.
 *
 * Lifetime rules:
 *
 * 1. A domain, once initialized, stays initialized until its mm_struct is
 *    freed (mm_count reaches zero, __mmdrop()).  There is no per-user
 *    reference count and no asi_destroy(): a class cannot be torn down and
 *    re-initialized inside one mm.
 * 2. asi_init() may sleep and serializes on mm->asi_init_lock.  It is
 *    idempotent, and may only be called with current->mm == mm, so it can
 *    never race with teardown: the caller's mm reference keeps the mm alive.
 * 3. asi_destroy_mm_state() runs from __mmdrop(), which can be reached in
 *    atomic context: it does not sleep and does not take asi_init_lock.
 *    It must cope with an mm whose mm_init() failed part way, which is why
 *    asi_init_mm_state() runs before anything in mm_init() can fail.
 * 4. Because a domain is never re-initialized inside an mm, teardown does
 *    not need to bump the mm's TLB generation.  What does need care is an
 *    ASID slot that passes to a new mm: the restricted PCIDs of that slot
 *    may hold the old mm's translations (asi_slot_mark_stale()).
 * 5. asi_enter() warns if asi->mm != current->mm.  A CPU inside a domain
 *    runs a task holding the domain's mm (task->mm or task->active_mm), so
 *    the domain cannot be freed under it.
 * 6. asi_get_current() warns when preemptible: active_mm can change under
 *    a preemptible kthread and the domain could then be freed.
 * 7. asi_is_restricted() is racy, never dereferences the domain and does
 *    not warn when preemptible.
 * 8. An unused domain costs its memory until mm teardown and one extra
 *    single-address flush per domain in asi_tlb_flush_one_user().
 */

#define pr_fmt(fmt) "asi: " fmt

#include <linux/asi.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/instrumentation.h>
#include <linux/kasan.h>
#include <linux/lockdep.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <asm/tlbflush.h>
#include <kunit/static_stub.h>
#include <kunit/test-bug.h>
#include <kunit/visibility.h>

#include "asi_internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/asi.h>

/*
 * The transitions run from noinstr code (entry, NMI, VM entry): what they
 * call is noinstr too, and tracing, class hooks and warnings are inside
 * instrumentation_begin()/_end().  Their KUnit seams cannot use
 * KUNIT_STATIC_STUB_REDIRECT(), which calls out of noinstr code: they
 * look the stub up here, and call it, inside instrumentation_begin()/
 * _end() (a stub is test code).  Without KUnit there is no stub.
 * Nor in NMI context: KUnit looks a stub up under the test's spinlock,
 * which the NMI may have interrupted the case holding (lockdep reports
 * the deadlock); no case stubs a seam that runs there (the seams are
 * stubbed on UML, which has no NMI).
 */
static __always_inline void *asi_seam_stub(void *real)
{
#if IS_ENABLED(CONFIG_KUNIT)
	struct kunit *test = kunit_get_current_test();
	void *stub = NULL;

	if (unlikely(test) && !in_nmi()) {
		instrumentation_begin();
		stub = kunit_hooks.get_static_stub_address(test, real);
		instrumentation_end();
	}
	return stub;
#else
	return NULL;
#endif
}

/*
 * Per ASID slot, a bit per class: set while the PCID of that (slot, class)
 * is known to hold no stale translation, so that entering it may keep its
 * TLB entries (CR3 no-flush bit).  Zero, the boot state, means "flush on
 * the next entry".
 */
static DEFINE_PER_CPU(unsigned long[ASI_ARCH_NR_ASID_SLOTS], asi_pcid_fresh);

struct asi_pcpu_stats {
	unsigned long enters;
	unsigned long exits;
	unsigned long fault_exits;
	unsigned long flushes;
	unsigned long flushes_deferred;
	unsigned long reentries;
	unsigned long relaxes;
	unsigned long exits_by[ASI_NR_EXIT_REASONS];
	unsigned long cpu_flushes[ASI_NR_FLUSHES];
};

static DEFINE_PER_CPU(struct asi_pcpu_stats[ASI_MAX_NUM_CLASSES], asi_stats);

static struct asi_class {
	const struct asi_class_ops *ops;
	atomic_t nr_domains;
	struct dentry *debugfs;
} asi_classes[ASI_MAX_NUM_CLASSES];

/* Serializes class registration against domain creation. */
static DEFINE_MUTEX(asi_class_lock);

/* On unless booted with asi=off or mitigations=off; see asi_setup(). */
DEFINE_STATIC_KEY_FALSE(asi_enabled_key);
EXPORT_SYMBOL_GPL(asi_enabled_key);

/* The domain loaded on this CPU, NULL while unrestricted. */
DEFINE_PER_CPU(struct asi *, asi_cpu_curr);
EXPORT_PER_CPU_SYMBOL_GPL(asi_cpu_curr);

/*
 * Set when a kernel address was invalidated in place while restricted and
 * the normal PCID could not be reached (no INVPCID): the exit then loads
 * the normal space without the no-flush bit.
 */
static DEFINE_PER_CPU(bool, asi_normal_stale);

/* The CR3 value asi_enter() loaded, as CR3 reads back: asi_current_cr3(). */
static DEFINE_PER_CPU(unsigned long, asi_cpu_cr3);

/*
 * The ASID slot of the domain this CPU is in, recorded on entry: the exit
 * goes back to the normal PCID of the same slot (the mm cannot change
 * while restricted: switching it leaves ASI first).
 */
static DEFINE_PER_CPU(unsigned int, asi_cpu_slot);

enum asi_boot_mode { ASI_BOOT_AUTO, ASI_BOOT_ON, ASI_BOOT_OFF };
static enum asi_boot_mode asi_boot_mode __initdata = ASI_BOOT_AUTO;

static int __init asi_parse_cmdline(char *arg)
{
	if (!arg)
		return -EINVAL;
	if (!strcmp(arg, "on"))
		asi_boot_mode = ASI_BOOT_ON;
	else if (!strcmp(arg, "off"))
		asi_boot_mode = ASI_BOOT_OFF;
	else
		pr_warn("unknown asi=%s, expected on or off\n", arg);
	return 0;
}
early_param("asi", asi_parse_cmdline);

/*
 * asi=on wins over mitigations=off, as pti=on does: an explicit request
 * for this one mitigation is honoured.
 */
static int __init asi_setup(void)
{
	bool on = asi_boot_mode == ASI_BOOT_ON ||
		  (asi_boot_mode == ASI_BOOT_AUTO && !cpu_mitigations_off());

	if (on && !asi_arch_init()) {
		pr_info("not supported on this machine\n");
		on = false;
	}
	if (on)
		static_branch_enable(&asi_enabled_key);
	pr_info("%s\n", on ? "enabled" : "disabled");
	return 0;
}
early_initcall(asi_setup);

/* The ASI_FLUSH_* kinds by bit number, for statistics and reports. */
const char *const asi_flush_names[ASI_NR_FLUSHES] = {
	"l1d", "buffers", "ibpb", "rsb",
};

/* The exit reasons by number, for the statistics. */
static const char *const asi_exit_names[ASI_NR_EXIT_REASONS] = {
	[ASI_EXIT_CALL] = "call",
	[ASI_EXIT_SWITCH] = "switch",
	[ASI_EXIT_FAULT] = "fault",
	[ASI_EXIT_CONTEXT_SWITCH] = "context_switch",
	[ASI_EXIT_MM_SWITCH] = "mm_switch",
	[ASI_EXIT_TLB_FLUSH] = "tlb_flush",
	[ASI_EXIT_INTERRUPT] = "interrupt",
	[ASI_EXIT_RETURN_TO_USER] = "return_to_user",
};

static int asi_stats_show(struct seq_file *m, void *v)
{
	enum asi_class_id id = (uintptr_t)m->private;
	struct asi_class_stats s;
	int i;

	asi_get_class_stats(id, &s);
	seq_printf(m, "domains %lu\nenters %lu\nexits %lu\nfault_exits %lu\n"
		   "flushes %lu\nflushes_deferred %lu\nreentries %lu\n",
		   s.domains, s.enters, s.exits, s.fault_exits, s.flushes,
		   s.flushes_deferred, s.reentries);
	seq_printf(m, "relaxes %lu\n", s.relaxes);
	for (i = 0; i < ASI_NR_EXIT_REASONS; i++)
		seq_printf(m, "exit_%s %lu\n", asi_exit_names[i],
			   s.exits_by[i]);
	for (i = 0; i < ASI_NR_FLUSHES; i++)
		seq_printf(m, "flush_%s %lu\n", asi_flush_names[i],
			   s.cpu_flushes[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(asi_stats);

/*
 * /sys/kernel/debug/asi/<name>/stats, while the class is registered: the
 * counters of asi_get_class_stats(), under the class's own name.  Called
 * with asi_class_lock held.
 */
static void asi_class_debugfs(enum asi_class_id class_id)
{
	struct asi_class *class = &asi_classes[class_id];
	struct dentry *root;

	if (!IS_ENABLED(CONFIG_DEBUG_FS))
		return;
	if (!class->ops) {
		debugfs_remove(class->debugfs);
		class->debugfs = NULL;
		return;
	}
	root = debugfs_lookup("asi", NULL) ?: debugfs_create_dir("asi", NULL);
	class->debugfs = debugfs_create_dir(class->ops->name, root);
	debugfs_create_file("stats", 0400, class->debugfs,
			    (void *)(uintptr_t)class_id, &asi_stats_fops);
	dput(root);
}

static bool asi_class_id_valid(enum asi_class_id class_id)
{
	return (unsigned int)class_id < ASI_MAX_NUM_CLASSES;
}

/**
 * asi_register_class() - make a class available to asi_init()
 * @class_id: the class.
 * @ops: its name (also of its debugfs directory, asi/<name>), its
 *	enter/exit hooks and its flush policy; must stay valid until
 *	asi_unregister_class() succeeds.
 *
 * Context: process context, may sleep.
 * Return: 0, -EBUSY if the class is already registered, or -EINVAL (with a
 * warning) for a bad id, missing @ops, or a flush policy naming a data
 * flush as control or the other way round.
 */
int asi_register_class(enum asi_class_id class_id,
		       const struct asi_class_ops *ops)
{
	int err = 0;

	if (WARN(!asi_class_id_valid(class_id) || !ops || !ops->name,
		 "%s(): bad class %d or ops without a name\n", __func__,
		 class_id))
		return -EINVAL;
	if (WARN((ops->flush_data & ~ASI_FLUSH_DATA) ||
		 (ops->flush_control & ~ASI_FLUSH_CONTROL),
		 "%s(): class %s: data flushes %#x, control flushes %#x\n",
		 __func__, ops->name, ops->flush_data, ops->flush_control))
		return -EINVAL;

	mutex_lock(&asi_class_lock);
	if (asi_classes[class_id].ops) {
		err = -EBUSY;
	} else {
		asi_classes[class_id].ops = ops;
		if (asi_enabled())
			asi_class_debugfs(class_id);
	}
	mutex_unlock(&asi_class_lock);
	return err;
}
EXPORT_SYMBOL_GPL(asi_register_class);

/**
 * asi_unregister_class() - withdraw a class
 * @class_id: the class.
 *
 * Domains live until their mm is freed and call the class hooks until
 * then, so a class with live domains cannot go away.
 *
 * Context: process context, may sleep.
 * Return: 0, -ENOENT if not registered, -EBUSY while domains of the class
 * are alive, or -EINVAL (with a warning) for a bad id.
 */
int asi_unregister_class(enum asi_class_id class_id)
{
	int err = 0;

	if (WARN(!asi_class_id_valid(class_id), "%s(): bad class %d\n",
		 __func__, class_id))
		return -EINVAL;

	mutex_lock(&asi_class_lock);
	if (!asi_classes[class_id].ops)
		err = -ENOENT;
	else if (atomic_read(&asi_classes[class_id].nr_domains))
		err = -EBUSY;
	else
		asi_classes[class_id].ops = NULL;
	if (!err)
		asi_class_debugfs(class_id);
	mutex_unlock(&asi_class_lock);
	return err;
}
EXPORT_SYMBOL_GPL(asi_unregister_class);

/*
 * Allocation of the domain itself, apart so that its failure can be
 * injected (a seam, see mm/asi_internal.h): asi_init() must leave no
 * trace of a domain it could not make.
 */
VISIBLE_IF_KUNIT struct asi *asi_domain_alloc(void)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_domain_alloc);
	return kzalloc(sizeof(struct asi), GFP_KERNEL_ACCOUNT);
}
EXPORT_SYMBOL_IF_KUNIT(asi_domain_alloc);

/* The backend's page table allocation, with the same KUnit seam. */
static pgd_t *asi_alloc_pgd(struct asi *asi)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_arch_alloc_pgd, asi);
	return asi_arch_alloc_pgd(asi);
}

static void asi_domain_free(struct asi *asi)
{
	asi_arch_free_pgd(asi);
	atomic_dec(&asi_classes[asi->class_id].nr_domains);
	kfree(asi);
}

/*
 * Called with mm->asi_init_lock held.  The domain is published only once
 * whole, so lockless readers (asi_tlb_flush_one_user()) see either NULL or
 * a complete domain.
 */
static int asi_create_domain(struct mm_struct *mm, enum asi_class_id class_id,
			     struct asi **out_asi)
{
	struct asi *asi;
	int err = 0;

	mutex_lock(&asi_class_lock);
	if (!asi_classes[class_id].ops) {
		err = -ENOENT;
		goto out;
	}
	asi = asi_domain_alloc();
	if (!asi) {
		err = -ENOMEM;
		goto out;
	}
	asi->mm = mm;
	asi->class_id = class_id;
	asi->pgd = asi_alloc_pgd(asi);
	if (!asi->pgd) {
		kfree(asi);
		err = -ENOMEM;
		goto out;
	}
	atomic_inc(&asi_classes[class_id].nr_domains);
	/* Pairs with the acquire loads in asi_init() and the flush fan-out. */
	smp_store_release(&mm->asi[class_id], asi);
	/* Published first, so that the backend sees later changes to mirror. */
	if (asi_maps_user(asi)) {
		/*
		 * A writer of a user PGD entry stores the entry, then loads
		 * the domains (asi_user_pgd_changed()); the copy stores the
		 * domain, then loads the entries: each side needs a full
		 * barrier between its store and its load, or both may miss
		 * the other.
		 */
		smp_mb();
		asi_arch_map_user(asi);
	}
	*out_asi = asi;
out:
	mutex_unlock(&asi_class_lock);
	return err;
}

/**
 * asi_init() - get @mm's domain of class @class_id, creating it if needed
 * @mm: the mm; must be current->mm.
 * @class_id: a registered class.
 * @out_asi: where the domain is stored; NULL on failure, and NULL on
 *	success when ASI is disabled at boot (every other call accepts a
 *	NULL domain as "no isolation").
 *
 * Idempotent: every call for the same mm and class returns the same domain,
 * which lives until @mm is freed.  Requiring current->mm == @mm is what
 * makes a race with teardown impossible: the caller's own reference keeps
 * @mm alive.  Any other caller is a bug and is refused with a warning,
 * changing nothing.
 *
 * Context: process context, may sleep; takes mm->asi_init_lock.
 * Return: 0; -ENOENT if the class is not registered; -ENOMEM; -EINVAL with
 * a warning for a bad class, a NULL argument or @mm != current->mm.
 */
int asi_init(struct mm_struct *mm, enum asi_class_id class_id,
	     struct asi **out_asi)
{
	struct asi *asi;
	int err = 0;

	if (WARN(!out_asi, "%s(): no place for the domain\n", __func__))
		return -EINVAL;
	*out_asi = NULL;
	if (WARN(!mm || !asi_class_id_valid(class_id),
		 "%s(): no mm or bad class %d\n", __func__, class_id))
		return -EINVAL;
	if (WARN(mm != current->mm, "%s() on an mm that is not current->mm\n",
		 __func__))
		return -EINVAL;
	might_sleep();

	if (!asi_enabled())
		return 0;

	/* Lockless fast path; pairs with asi_create_domain()'s release. */
	asi = smp_load_acquire(&mm->asi[class_id]);
	if (asi) {
		*out_asi = asi;
		return 0;
	}

	mutex_lock(&mm->asi_init_lock);
	asi = mm->asi[class_id];
	if (asi)
		*out_asi = asi;
	else
		err = asi_create_domain(mm, class_id, out_asi);
	mutex_unlock(&mm->asi_init_lock);
	return err;
}
EXPORT_SYMBOL_GPL(asi_init);

/**
 * asi_init_mm_state() - initialize the ASI part of a new mm
 * @mm: the mm, from mm_init().
 *
 * Called before anything in mm_init() can fail, so that teardown never
 * sees the domain pointers that dup_mm() copied from the parent.
 */
void asi_init_mm_state(struct mm_struct *mm)
{
	memset(mm->asi, 0, sizeof(mm->asi));
	mutex_init(&mm->asi_init_lock);
}

/**
 * asi_destroy_mm_state() - free every domain of @mm
 * @mm: the mm, from __mmdrop(); nobody else can reach it any more.
 *
 * May run in atomic context and on the exit path of every process: no
 * sleeping, no asi_init_lock, no TLB generation bump (see rule 4 above).
 * Safe on an mm whose mm_init() failed after asi_init_mm_state().
 */
void asi_destroy_mm_state(struct mm_struct *mm)
{
	int i;

	KUNIT_STATIC_STUB_REDIRECT(asi_destroy_mm_state, mm);

	for (i = 0; i < ASI_MAX_NUM_CLASSES; i++) {
		struct asi *asi = mm->asi[i];

		if (!asi)
			continue;
		/* Rule 5: nobody runs in a domain of an mm being freed. */
		if (ASI_WARN_ONCE(raw_cpu_read(asi_cpu_curr) == asi,
				  "%s(): this CPU is still inside a domain of the mm\n",
				  __func__))
			__asi_exit(ASI_EXIT_CALL);
		WRITE_ONCE(mm->asi[i], NULL);
		asi_domain_free(asi);
	}
}
EXPORT_SYMBOL_IF_KUNIT(asi_destroy_mm_state);

/*
 * The flushes the core issues go through the small functions below, one
 * per reason to flush, so that each can be left out on purpose (a seam,
 * see mm/asi_internal.h) and shown to be needed.
 */

/*
 * Edits of the restricted spaces' kernel tables that replaced, split or
 * freed a table: a restricted PCID may cache the old table in its
 * paging-structure caches (SDM 4.10.3), on any CPU.  The kernel's own
 * range flush does not reach those PCIDs: it leaves ASI first and
 * invalidates the normal PCID only.  So each edit bumps the generation,
 * and a CPU that has not seen it flushes every restricted PCID on its
 * next entry (asi_kernel_tables_catch_up()).  A CPU inside a domain at the
 * time of the edit does not keep the old tables either: the kernel range
 * flush that follows every edit (CPA's, asi_alloc_sensitive_pages()'s)
 * interrupts every CPU.  For a short range the CPU stays inside and
 * invalidates each address in place (asi_flush_kernel_addr()): INVLPG
 * drops every paging-structure cache entry of the loaded PCID, and the
 * other PCIDs are marked stale; a long range is flush_tlb_all(), which
 * invalidates every PCID, paging-structure caches included (INVPCID type
 * 2, or CR4.PGE toggled).  The generation needs no barrier of its own:
 * the IPI orders the edit and the increment before the interrupted CPU's
 * next entry.
 *
 * Mapping pages again (asi_free_sensitive_pages()) needs no flush: no
 * CPU caches a translation that is not present.  A table the backend
 * unlinks there may still be walked, through a cached entry, by a CPU
 * inside a domain, so a backend must not free it while one may be (the
 * x86 backend never frees a template table).
 */
static atomic_long_t asi_kernel_tables_gen = ATOMIC_LONG_INIT(0);
static DEFINE_PER_CPU(long, asi_kernel_tables_seen);

/**
 * asi_kernel_tables_edited() - the backend edited the restricted kernel tables
 *
 * Called by the backend after it replaced, split or freed a table of the
 * kernel half that restricted spaces walk, before the core's kernel range
 * flush.  Clearing or setting a leaf needs no call: the range flush covers
 * the TLB entries.
 */
void asi_kernel_tables_edited(void)
{
	atomic_long_inc(&asi_kernel_tables_gen);
}

/**
 * asi_kernel_range_changed() - init_mm's kernel half changed in a range
 * @start: first address.
 * @end: end of the range.
 *
 * Called by the architecture after each change of init_mm's kernel
 * mappings it makes (x86: the page-attribute code, CPA, and memory
 * hotplug), before the TLB flush that makes the change effective, so that
 * the restricted spaces map the range as init_mm does, minus sensitive
 * memory, by the time anybody relies on the change.
 *
 * Context: any.
 */
void asi_kernel_range_changed(unsigned long start, unsigned long end)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_kernel_range_changed, start, end);
	asi_arch_sync_kernel_range(start, end);
}

/**
 * asi_kernel_entry_changed() - the backend changed a restricted kernel entry
 * @was_table: the old entry pointed to a table.
 * @was_global: the old entry was a global leaf.
 *
 * Called by the backend after it changed or cleared a present entry of
 * the kernel half that restricted spaces walk, before the flush of the
 * range that whoever changed init_mm does (CPA's, a _noflush caller's,
 * asi_alloc_sensitive_pages()'s).  That flush drops a global translation
 * in every PCID (INVLPG drops global entries whatever the PCID; a full
 * flush drops everything), so a global leaf needs nothing more.  A
 * non-global leaf may be cached in a restricted PCID, and a table in its
 * paging-structure caches, where that flush does not reach: as for
 * asi_kernel_tables_edited(), every restricted PCID is flushed on its
 * next entry.
 */
void asi_kernel_entry_changed(bool was_table, bool was_global)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_kernel_entry_changed, was_table,
				   was_global);
	if (was_table || !was_global)
		asi_kernel_tables_edited();
}

/**
 * asi_kernel_tables_catch_up() - flush every restricted PCID after a table edit
 *
 * On entry: if the restricted kernel tables changed since this CPU last
 * looked, every restricted PCID of this CPU must be flushed on its next
 * entry, as an ASID slot handed to another mm is.
 */
VISIBLE_IF_KUNIT noinstr void asi_kernel_tables_catch_up(void)
{
	typeof(asi_kernel_tables_catch_up) *stub =
		asi_seam_stub(asi_kernel_tables_catch_up);
	long gen = raw_atomic_long_read(&asi_kernel_tables_gen);
	unsigned int slot;

	if (unlikely(stub)) {
		instrumentation_begin();
		stub();
		instrumentation_end();
		return;
	}
	if (__this_cpu_read(asi_kernel_tables_seen) == gen)
		return;
	for (slot = 0; slot < ASI_ARCH_NR_ASID_SLOTS; slot++)
		__this_cpu_write(asi_pcid_fresh[slot], 0);
	__this_cpu_write(asi_kernel_tables_seen, gen);
}
EXPORT_SYMBOL_IF_KUNIT(asi_kernel_tables_catch_up);

/**
 * asi_pcid_mark_fresh() - must entering this PCID flush it?
 * @slot: the ASID slot.
 * @class_id: the domain's class.
 *
 * The PCID of (@slot, @class_id) may keep its entries (CR3 no-flush bit)
 * only if nothing made them stale since the last flushing entry; from now
 * on it is fresh again.
 *
 * Return: true if the CR3 write must flush the PCID.
 */
VISIBLE_IF_KUNIT noinstr bool asi_pcid_mark_fresh(unsigned int slot,
						  enum asi_class_id class_id)
{
	typeof(asi_pcid_mark_fresh) *stub = asi_seam_stub(asi_pcid_mark_fresh);
	unsigned long fresh;

	if (unlikely(stub)) {
		bool ret;

		instrumentation_begin();
		ret = stub(slot, class_id);
		instrumentation_end();
		return ret;
	}
	asi_kernel_tables_catch_up();
	fresh = __this_cpu_read(asi_pcid_fresh[slot]);
	__this_cpu_write(asi_pcid_fresh[slot], fresh | BIT(class_id));
	return !(fresh & BIT(class_id));
}
EXPORT_SYMBOL_IF_KUNIT(asi_pcid_mark_fresh);

/**
 * asi_flush_pcid_addr() - INVPCID individual-address in a domain's PCID
 * @slot: the ASID slot.
 * @class_id: the domain's class.
 * @addr: the user address.
 */
VISIBLE_IF_KUNIT void asi_flush_pcid_addr(unsigned int slot,
					  enum asi_class_id class_id,
					  unsigned long addr)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_flush_pcid_addr, slot, class_id, addr);
	asi_arch_invpcid_addr(slot, class_id, addr);
}
EXPORT_SYMBOL_IF_KUNIT(asi_flush_pcid_addr);

/**
 * asi_flush_loaded_addr() - INVLPG in the loaded (restricted) PCID
 * @addr: the user or kernel address.
 */
VISIBLE_IF_KUNIT void asi_flush_loaded_addr(unsigned long addr)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_flush_loaded_addr, addr);
	asi_arch_invlpg(addr);
}
EXPORT_SYMBOL_IF_KUNIT(asi_flush_loaded_addr);

/**
 * asi_pcid_mark_stale() - flush a domain's PCID on its next entry
 * @slot: the ASID slot.
 * @class_id: the domain's class.
 *
 * Without INVPCID a PCID that is not loaded cannot be reached.
 */
VISIBLE_IF_KUNIT void asi_pcid_mark_stale(unsigned int slot,
					  enum asi_class_id class_id)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_pcid_mark_stale, slot, class_id);
	__this_cpu_and(asi_pcid_fresh[slot], ~BIT(class_id));
}
EXPORT_SYMBOL_IF_KUNIT(asi_pcid_mark_stale);

/**
 * asi_flush_kernel_range() - drop every CPU's translations of a kernel range
 * @start: first address.
 * @end: end of the range.
 *
 * Global translations included: flush_tlb_kernel_range().
 */
VISIBLE_IF_KUNIT void asi_flush_kernel_range(unsigned long start,
					     unsigned long end)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_flush_kernel_range, start, end);
	flush_tlb_kernel_range(start, end);
}
EXPORT_SYMBOL_IF_KUNIT(asi_flush_kernel_range);

/**
 * asi_flush_normal_addr() - invalidate a kernel address in the normal PCID
 * @addr: the address.
 *
 * From inside a domain, whose PCID is the loaded one: INVPCID reaches the
 * normal PCID of the slot; without it, the exit flushes that PCID.
 */
VISIBLE_IF_KUNIT void asi_flush_normal_addr(unsigned long addr)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_flush_normal_addr, addr);
	if (asi_arch_has_invpcid())
		asi_arch_invpcid_addr(__this_cpu_read(asi_cpu_slot),
				      ASI_NORMAL_SPACE, addr);
	else
		__this_cpu_write(asi_normal_stale, true);
}
EXPORT_SYMBOL_IF_KUNIT(asi_flush_normal_addr);

/**
 * asi_pcids_mark_stale_but() - flush the other restricted PCIDs on entry
 * @asi: the domain loaded, whose PCID was invalidated in place.
 *
 * Every other restricted PCID of this CPU may hold a non-global
 * translation of a changed kernel address, or a table of the kernel half
 * in its paging-structure caches, which no INVLPG in the loaded PCID
 * reaches.
 */
VISIBLE_IF_KUNIT void asi_pcids_mark_stale_but(struct asi *asi)
{
	unsigned int slot = __this_cpu_read(asi_cpu_slot), s;
	unsigned long keep;

	KUNIT_STATIC_STUB_REDIRECT(asi_pcids_mark_stale_but, asi);
	keep = __this_cpu_read(asi_pcid_fresh[slot]) & BIT(asi->class_id);
	for (s = 0; s < ASI_ARCH_NR_ASID_SLOTS; s++)
		__this_cpu_write(asi_pcid_fresh[s], s == slot ? keep : 0);
}
EXPORT_SYMBOL_IF_KUNIT(asi_pcids_mark_stale_but);

/**
 * asi_flush_kernel_addr() - invalidate a kernel address, staying restricted
 * @addr: a kernel address whose translation changed.
 *
 * Called by the architecture's kernel TLB flush on each CPU (x86:
 * flush_tlb_one_kernel(), in the flush IPI) in place of its own
 * invalidation.  Outside a domain it does nothing: the caller invalidates
 * the normal PCID as usual.  Inside one the CPU stays restricted, and what
 * may hold the old translation is invalidated: the loaded restricted PCID
 * in place (INVLPG, which also drops the address's global translation in
 * every PCID and the loaded PCID's paging-structure caches); the normal
 * PCID, which may hold non-global kernel translations (sensitive memory)
 * and the kernel half's tables (asi_flush_normal_addr()); the other
 * restricted PCIDs of this CPU, on their next entry.  Without PCIDs the
 * CR3 write of the exit flushes the normal space anyway.
 *
 * Context: any.
 * Return: true if @addr was invalidated here.
 */
bool asi_flush_kernel_addr(unsigned long addr)
{
	unsigned long flags;
	struct asi *asi;

	if (!asi_enabled())
		return false;
	local_irq_save(flags);
	asi = this_cpu_read(asi_cpu_curr);
	if (asi) {
		asi_flush_loaded_addr(addr);
		if (asi_arch_has_pcid()) {
			asi_flush_normal_addr(addr);
			asi_pcids_mark_stale_but(asi);
		}
	}
	local_irq_restore(flags);
	return asi;
}

/**
 * asi_asid_slot() - @mm's ASID slot on this CPU, as the backend says
 * @mm: the mm.
 *
 * Apart from asi_arch_asid_slot() so that the backend's answer can be
 * replaced (a seam): a slot out of range must be warned about and leave
 * the machine alone.
 *
 * Return: the slot, or -1 if @mm has none here.
 */
VISIBLE_IF_KUNIT noinstr int asi_asid_slot(struct mm_struct *mm)
{
	typeof(asi_asid_slot) *stub = asi_seam_stub(asi_asid_slot);

	if (unlikely(stub)) {
		int slot;

		instrumentation_begin();
		slot = stub(mm);
		instrumentation_end();
		return slot;
	}
	return asi_arch_asid_slot(mm);
}
EXPORT_SYMBOL_IF_KUNIT(asi_asid_slot);

/*
 * Work out the CR3 value that enters @asi: its page table, and with PCIDs
 * the domain's PCID, keeping the PCID's entries (no-flush) only when they
 * are known not to be stale.  Returns 0 if @asi's mm has no ASID slot on
 * this CPU, which cannot happen while current->mm == asi->mm.
 */
static noinstr unsigned long asi_restricted_cr3(struct asi *asi)
{
	bool flush;
	int slot;

	if (!asi_arch_has_pcid()) {
		__this_cpu_write(asi_cpu_cr3,
				 asi_arch_cr3(asi->pgd, -1, asi->class_id, false));
		return __this_cpu_read(asi_cpu_cr3);
	}

	slot = asi_asid_slot(asi->mm);
	if (unlikely(slot < 0 || slot >= ASI_ARCH_NR_ASID_SLOTS)) {
		instrumentation_begin();
		ASI_WARN_ONCE(1, "%s(): the backend gave ASID slot %d\n",
			      __func__, slot);
		instrumentation_end();
		return 0;
	}

	flush = asi_pcid_mark_fresh(slot, asi->class_id);
	__this_cpu_write(asi_cpu_slot, slot);
	/* The no-flush bit acts on the write and reads back as 0. */
	__this_cpu_write(asi_cpu_cr3,
			 asi_arch_cr3(asi->pgd, slot, asi->class_id, false));
	return asi_arch_cr3(asi->pgd, slot, asi->class_id, !flush);
}

/*
 * The CR3 value that goes back to the normal address space of the mm this
 * CPU has loaded, in the slot recorded on entry.  Its PCID is the
 * kernel's (arch/x86/mm/tlb.c), which keeps it up to date itself: every
 * user flush the kernel does on this CPU while restricted leaves ASI
 * first, and a kernel one reaches it (asi_flush_kernel_addr()).  So the
 * entries are kept, unless a kernel flush could not reach it.
 */
static noinstr unsigned long asi_unrestricted_cr3(void)
{
	struct mm_struct *mm = asi_arch_loaded_mm();
	bool stale = __this_cpu_read(asi_normal_stale);

	if (!asi_arch_has_pcid())
		return asi_arch_cr3(mm->pgd, -1, ASI_NORMAL_SPACE, false);
	__this_cpu_write(asi_normal_stale, false);
	return asi_arch_cr3(mm->pgd, __this_cpu_read(asi_cpu_slot),
			    ASI_NORMAL_SPACE, !stale);
}

/**
 * asi_maps_user() - does a domain map its mm's user memory?
 * @asi: the domain.
 *
 * For the backend, which keeps the user half of such a domain's table
 * the mm's own.  A class's answer cannot change while it has domains
 * (its ops stay until it is unregistered, which needs none alive).
 *
 * Return: the class's &asi_class_ops.map_user.
 */
bool asi_maps_user(struct asi *asi)
{
	return asi_classes[asi->class_id].ops->map_user;
}

/**
 * asi_user_pgd_changed() - a user entry of @mm's PGD was written
 * @mm: the mm.
 * @index: the entry's index, in the user half.
 * @pgd: its new value, already in @mm's PGD.
 *
 * Called by the backend's page-table code, under whatever serializes
 * @mm's PGD entries (its page_table_lock or mmap_lock, or no other user).
 * The domains that map user memory get the same entry: their user half
 * is @mm's own (asi_arch_map_user()).
 */
void asi_user_pgd_changed(struct mm_struct *mm, unsigned int index, pgd_t pgd)
{
	struct asi *asi;
	int i;

	/*
	 * The caller's store of the normal entry before the loads of the
	 * domains: pairs with the barrier between publishing a domain and
	 * copying the user half (asi_create_domain()).
	 */
	smp_mb();
	for (i = 0; i < ASI_MAX_NUM_CLASSES; i++) {
		/* Pairs with the release that publishes a new domain. */
		asi = smp_load_acquire(&mm->asi[i]);
		if (asi && asi_maps_user(asi))
			WRITE_ONCE(asi->pgd[index], pgd);
	}
}

const struct asi_class_ops *asi_class_ops(enum asi_class_id class_id)
{
	return asi_class_id_valid(class_id) ? asi_classes[class_id].ops : NULL;
}

static const char *asi_class_name(struct asi *asi)
{
	return asi_classes[asi->class_id].ops->name;
}

/*
 * The transition state of a CPU, besides asi_cpu_curr (the domain loaded):
 *
 * asi_cpu_target: the domain of the restricted critical section the CPU
 * is in, from asi_enter() to asi_relax() or asi_exit(), or NULL.  An exit
 * inside the critical section (a fault, or an interrupt that needs the
 * normal address space) leaves it set, so that the CPU goes back into
 * the domain before it returns from the outermost interrupt and before
 * the untrusted context runs.
 *
 * asi_cpu_depth: interrupts and NMIs nested on the CPU (asi_intr_enter()),
 * plus one while a switch is under way, so that an NMI landing in the
 * middle of one does not start another on its way back.
 * asi_cpu_intr_inside: whether the outermost of them interrupted code
 * running restricted: only then does its return go back in.  Code of a
 * critical section that faulted out stays out until asi_before_untrusted(),
 * rather than fault again on its retried access after an interrupt.
 *
 * asi_cpu_entered: the domain whose entry completed (counted, traced, its
 * post_enter hook run).  Only its exit is counted and traced and runs the
 * pre_exit hook, so the hooks pair up even when an NMI's fault leaves in
 * the middle of an entry, or a hook itself faults.
 *
 * asi_cpu_owed: the ASI_FLUSH_* flushes this CPU owes: the data ones from
 * running unrestricted (from boot), the control ones, of the policy of
 * asi_cpu_control_class, from running an untrusted context.
 *
 * asi_cpu_untrusted: the domain whose untrusted context is about to run or
 * runs (asi_before_untrusted() to asi_after_untrusted()).  An NMI that
 * leaves in that window cannot know whether it ran yet: its exit pays
 * the control flushes of the domain's class and its re-entry the data
 * ones, so that neither the untrusted run nor the kernel after it goes
 * without.
 */
DEFINE_PER_CPU(struct asi *, asi_cpu_target);
EXPORT_PER_CPU_SYMBOL_GPL(asi_cpu_target);
static DEFINE_PER_CPU(unsigned int, asi_cpu_depth);
static DEFINE_PER_CPU(struct asi *, asi_cpu_entered);
static DEFINE_PER_CPU(unsigned int, asi_cpu_owed) = ASI_FLUSH_DATA;
static DEFINE_PER_CPU(int, asi_cpu_control_class);
static DEFINE_PER_CPU(struct asi *, asi_cpu_untrusted);
static DEFINE_PER_CPU(bool, asi_cpu_intr_inside);

/**
 * asi_flush_cpu() - one flush of CPU state, for @class_id's policy
 * @flush: one ASI_FLUSH_* kind.
 * @class_id: the class whose policy asks for it (for the statistics).
 *
 * Apart from the backend's asi_arch_flush() so that a case can leave out
 * exactly one kind (a seam), and see the model catch it.
 */
VISIBLE_IF_KUNIT noinstr void asi_flush_cpu(unsigned int flush,
					    enum asi_class_id class_id)
{
	typeof(asi_flush_cpu) *stub = asi_seam_stub(asi_flush_cpu);

	if (unlikely(stub)) {
		instrumentation_begin();
		stub(flush, class_id);
		instrumentation_end();
		return;
	}
	__this_cpu_inc(asi_stats[class_id].cpu_flushes[__ffs(flush)]);
	asi_arch_flush(flush);
}
EXPORT_SYMBOL_IF_KUNIT(asi_flush_cpu);

/*
 * Pay, of the flushes this CPU owes, those in @flushes.  Interrupts off.
 * Marked paid first: an NMI that runs unrestricted in between owes them
 * again, and must not have that undone.
 */
static noinstr void asi_flush_owed(unsigned int flushes,
				   enum asi_class_id class_id)
{
	unsigned int due = __this_cpu_read(asi_cpu_owed) & flushes;
	unsigned int bit;

	__this_cpu_and(asi_cpu_owed, ~due);
	for (bit = 0; bit < ASI_NR_FLUSHES; bit++) {
		if (due & BIT(bit))
			asi_flush_cpu(BIT(bit), class_id);
	}
}

/*
 * The untrusted context of @asi ran, or may have: the control flushes of
 * its class's policy are owed.  A seam, as is the next: a case leaves
 * each out and sees the model catch it.
 */
VISIBLE_IF_KUNIT noinstr void asi_owe_control(struct asi *asi)
{
	typeof(asi_owe_control) *stub = asi_seam_stub(asi_owe_control);
	unsigned int control = asi_classes[asi->class_id].ops->flush_control;

	if (unlikely(stub)) {
		instrumentation_begin();
		stub(asi);
		instrumentation_end();
		return;
	}
	if (control) {
		__this_cpu_write(asi_cpu_control_class, asi->class_id);
		__this_cpu_or(asi_cpu_owed, control);
	}
}
EXPORT_SYMBOL_IF_KUNIT(asi_owe_control);

/*
 * Back in @asi while its untrusted context is due (an NMI left and came
 * back): pay the data flushes of its class's policy that the NMI's
 * unrestricted run owes.
 */
VISIBLE_IF_KUNIT noinstr void asi_reentry_pays_data(struct asi *asi)
{
	typeof(asi_reentry_pays_data) *stub =
		asi_seam_stub(asi_reentry_pays_data);

	if (unlikely(stub)) {
		instrumentation_begin();
		stub(asi);
		instrumentation_end();
		return;
	}
	asi_flush_owed(asi_classes[asi->class_id].ops->flush_data,
		       asi->class_id);
}
EXPORT_SYMBOL_IF_KUNIT(asi_reentry_pays_data);

/*
 * What leaving @asi does before CR3 changes: the class's pre-exit hook,
 * the count, the tracepoint; only if the entry into @asi completed, and
 * once: the hook may itself fault on memory the restricted table does
 * not map, and the nested exit of that fault (asi_handle_fault()) finds
 * asi_cpu_entered already cleared.
 */
static noinstr void asi_before_exit(struct asi *asi,
				    enum asi_exit_reason reason)
{
	const struct asi_class_ops *ops = asi_classes[asi->class_id].ops;

	if (__this_cpu_read(asi_cpu_entered) != asi)
		return;
	__this_cpu_write(asi_cpu_entered, NULL);
	__this_cpu_inc(asi_stats[asi->class_id].exits);
	__this_cpu_inc(asi_stats[asi->class_id].exits_by[reason]);
	instrumentation_begin();
	if (ops->pre_exit)
		ops->pre_exit(asi);
	trace_asi_exit(asi->class_id, asi_class_name(asi), reason);
	instrumentation_end();
}

/*
 * One attempt at loading @asi's restricted address space, with
 * interrupts disabled and asi_cpu_depth raised: a no-op if it is loaded;
 * another domain loaded is left without passing through the normal
 * address space (its pre_exit hook runs).  False if it cannot be loaded.
 */
static noinstr bool asi_switch_in_once(struct asi *asi, bool reentry)
{
	const struct asi_class_ops *ops = asi_classes[asi->class_id].ops;
	unsigned long cr3;
	struct asi *prev;

	prev = __this_cpu_read(asi_cpu_curr);
	if (prev == asi)
		return true;
	cr3 = asi_restricted_cr3(asi);
	if (!cr3)
		return false;
	if (prev)
		asi_before_exit(prev, ASI_EXIT_SWITCH);
	/*
	 * Published before the CR3 write, as the exit path clears it after
	 * its own, so that no fault ever runs on a restricted CR3 the fault
	 * path does not know about.  A fault taken in between (only an NMI's
	 * can be, interrupts are off) leaves ASI before our CR3 write: the
	 * normal CR3 then goes back in, and the caller tries again.
	 */
	this_cpu_write(asi_cpu_curr, asi);
	asi_arch_write_cr3(cr3);
	if (unlikely(this_cpu_read(asi_cpu_curr) != asi)) {
		asi_arch_write_cr3(asi_unrestricted_cr3());
		return true;
	}

	__this_cpu_write(asi_cpu_entered, asi);
	__this_cpu_inc(asi_stats[asi->class_id].enters);
	if (reentry)
		__this_cpu_inc(asi_stats[asi->class_id].reentries);
	/* Back in after an exit (an NMI's) while untrusted code is due. */
	if (__this_cpu_read(asi_cpu_untrusted) == asi)
		asi_reentry_pays_data(asi);
	instrumentation_begin();
	trace_asi_enter(asi->class_id, asi_class_name(asi), cr3);
	if (ops->post_enter)
		ops->post_enter(asi);
	instrumentation_end();
	return true;
}

/*
 * Load @asi's restricted address space, with interrupts disabled.  The
 * depth is raised across each attempt, so that an NMI landing in it
 * (which may leave, as its fault does, or find the section wanting @asi)
 * does not switch on its own way back, which would enter twice; the
 * attempt is made again until it sticks, while the critical section
 * still wants @asi.  A domain that cannot be loaded here (the backend
 * gave no ASID slot, warned about) ends its critical section: every
 * interrupt's return would try, and warn, again.
 */
static noinstr void asi_switch_in(struct asi *asi, bool reentry)
{
	unsigned int depth = __this_cpu_read(asi_cpu_depth);
	bool ok;

	do {
		__this_cpu_write(asi_cpu_depth, depth + 1);
		ok = asi_switch_in_once(asi, reentry);
		__this_cpu_write(asi_cpu_depth, depth);
	} while (ok && !depth && this_cpu_read(asi_cpu_curr) != asi &&
		 this_cpu_read(asi_cpu_target) == asi);
	if (!ok && this_cpu_read(asi_cpu_target) == asi)
		this_cpu_write(asi_cpu_target, NULL);
}

/**
 * asi_enter_irqoff() - asi_enter(), with interrupts disabled
 * @asi: as for asi_enter().
 *
 * For noinstr callers (a VM entry path): the class's post_enter hook and
 * the tracepoint run inside instrumentation_begin()/_end(), so RCU must
 * be watching.  Warns and does nothing with interrupts enabled.
 *
 * Context: interrupts disabled.
 */
noinstr void asi_enter_irqoff(struct asi *asi)
{
	if (!asi_enabled() || !asi)
		return;
	if (unlikely(asi->mm != current->mm || !raw_irqs_disabled() ||
		     __this_cpu_read(asi_cpu_depth))) {
		instrumentation_begin();
		WARN(1, "asi_enter() %s\n", asi->mm != current->mm ?
		     "into a domain of another mm" : !raw_irqs_disabled() ?
		     "with interrupts enabled" : "from an interrupt handler");
		instrumentation_end();
		return;
	}
	__this_cpu_write(asi_cpu_target, asi);
	asi_switch_in(asi, false);
}
EXPORT_SYMBOL_GPL(asi_enter_irqoff);

/**
 * asi_enter() - start a restricted critical section in @asi
 * @asi: a domain from asi_init() for current->mm, or NULL (no-op).
 *
 * Loads @asi's restricted address space (a no-op if it is loaded;
 * another domain loaded is left without passing through the normal
 * address space) and starts a critical section: until asi_relax(),
 * asi_exit(), a context switch or an mm switch, an exit inside it (an
 * interrupt's, a fault's) is undone before the outermost interrupt
 * returns and before the untrusted context runs (asi_before_untrusted()).
 * The caller must not be preempted in between to keep it: a context
 * switch ends it.
 *
 * Warns and does nothing if @asi belongs to another mm than current's,
 * or if called from an interrupt or NMI handler.
 */
void asi_enter(struct asi *asi)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_enter_irqoff(asi);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_enter);

/**
 * asi_relax() - end the restricted critical section, staying restricted
 *
 * The CPU stays in the domain until something needs the normal address
 * space (a fault, an interrupt that asks for it, asi_exit()), and is not
 * taken back into it afterwards.  A no-op outside a critical section.
 * Warns if called from an interrupt or NMI handler, which would end the
 * critical section of the context it interrupted.
 *
 * Context: any but an interrupt handler; safe from noinstr code.
 */
noinstr void asi_relax(void)
{
	struct asi *target;

	if (!asi_enabled())
		return;
	if (unlikely(this_cpu_read(asi_cpu_depth))) {
		instrumentation_begin();
		WARN(1, "%s() from an interrupt handler\n", __func__);
		instrumentation_end();
		return;
	}
	target = this_cpu_read(asi_cpu_target);
	if (target) {
		this_cpu_write(asi_cpu_target, NULL);
		__this_cpu_inc(asi_stats[target->class_id].relaxes);
	}
}
EXPORT_SYMBOL_GPL(asi_relax);

/*
 * Back into the domain of the critical section, if an exit inside it
 * left.  Interrupts off.  A seam: a case leaves it out and sees the model
 * catch the untrusted context running unrestricted.
 */
VISIBLE_IF_KUNIT noinstr void asi_reenter(void)
{
	typeof(asi_reenter) *stub = asi_seam_stub(asi_reenter);
	struct asi *target;

	if (unlikely(stub)) {
		instrumentation_begin();
		stub();
		instrumentation_end();
		return;
	}
	target = __this_cpu_read(asi_cpu_target);
	if (target && target != __this_cpu_read(asi_cpu_curr))
		asi_switch_in(target, true);
}
EXPORT_SYMBOL_IF_KUNIT(asi_reenter);

/**
 * asi_intr_enter() - an interrupt or NMI handler starts on this CPU
 *
 * Called by the interrupt entry code (irq_enter_rcu(), the NMI entry),
 * paired with asi_intr_exit().  While handlers are nested, exits do not
 * end the interrupted critical section; the outermost one records
 * whether it interrupted code running restricted.
 *
 * Context: hardirq or NMI, interrupts disabled; safe from noinstr code.
 */
noinstr void asi_intr_enter(void)
{
	if (!asi_enabled())
		return;
	/* The outermost: did it interrupt restricted code? */
	if (!this_cpu_read(asi_cpu_depth))
		this_cpu_write(asi_cpu_intr_inside,
			       !!this_cpu_read(asi_cpu_curr));
	this_cpu_inc(asi_cpu_depth);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* The interrupt depth of this CPU, for the cases' invariants. */
unsigned int asi_intr_depth(void)
{
	return this_cpu_read(asi_cpu_depth);
}
EXPORT_SYMBOL_IF_KUNIT(asi_intr_depth);
#endif

/**
 * asi_intr_exit() - the handler of asi_intr_enter() returns
 *
 * When the outermost one returns into a critical section it interrupted
 * restricted, and an exit inside it left, the CPU goes back into its
 * domain (the class's post_enter hook
 * runs here, so RCU must still be watching).  Warns if not paired with
 * asi_intr_enter().
 *
 * Context: hardirq or NMI, interrupts disabled; safe from noinstr code.
 */
noinstr void asi_intr_exit(void)
{
	unsigned int depth;

	if (!asi_enabled())
		return;
	depth = this_cpu_read(asi_cpu_depth);
	if (unlikely(!depth)) {
		instrumentation_begin();
		WARN(1, "%s() without asi_intr_enter()\n", __func__);
		instrumentation_end();
		return;
	}
	this_cpu_write(asi_cpu_depth, depth - 1);
	if (depth == 1 && this_cpu_read(asi_cpu_intr_inside) &&
	    this_cpu_read(asi_cpu_target) &&
	    this_cpu_read(asi_cpu_target) != this_cpu_read(asi_cpu_curr))
		asi_reenter();
}

/**
 * asi_before_untrusted() - the critical section's untrusted context runs next
 *
 * Called right before the class's untrusted context runs (the VM entry,
 * the return to user mode), inside the critical section: goes back into
 * its domain if an exit left it, and pays the data flushes the class's
 * policy asks for if the CPU ran unrestricted since they were last paid.
 * Until asi_after_untrusted(), an exit pays the policy's control flushes
 * and a re-entry its data flushes.  Warns outside a critical section.
 *
 * Context: interrupts disabled; safe from noinstr code where RCU watches.
 * Return: true if the CPU is in the domain, ready for the untrusted
 * context; false if it could not go back in (warned about), when the
 * untrusted context must not run.
 */
noinstr bool asi_before_untrusted(void)
{
	const struct asi_class_ops *ops;
	struct asi *target;

	if (!asi_enabled())
		return true;
	target = __this_cpu_read(asi_cpu_target);
	if (unlikely(!target)) {
		instrumentation_begin();
		ASI_WARN_ONCE(1, "%s() outside a critical section\n", __func__);
		instrumentation_end();
		return false;
	}
	asi_reenter();
	if (unlikely(this_cpu_read(asi_cpu_curr) != target))
		return false;
	ops = asi_classes[target->class_id].ops;
	asi_flush_owed(ops->flush_data, target->class_id);
	__this_cpu_write(asi_cpu_untrusted, target);
	return true;
}
EXPORT_SYMBOL_GPL(asi_before_untrusted);

/* The untrusted context ran: its class's control flushes are owed. */
static noinstr void asi_untrusted_done(void)
{
	struct asi *asi = __this_cpu_read(asi_cpu_untrusted);

	if (!asi)
		return;
	__this_cpu_write(asi_cpu_untrusted, NULL);
	asi_owe_control(asi);
}

/*
 * With CONFIG_DEBUG_ASI: the untrusted context stopped, and the CPU must
 * be in the address space the core loaded, restricted or not.  A VM exit
 * loads the host CR3 KVM saved before the VM entry (VMX's HOST_CR3):
 * read before the entry into the domain, it takes the CPU out behind the
 * core's back; read inside, and an exit (a fault's) before the VM entry,
 * and it takes the CPU back in behind the core's back.
 */
static noinstr void asi_check_cr3(void)
{
	unsigned long cr3, want;
	struct mm_struct *mm;
	int slot = -1;

	if (!IS_ENABLED(CONFIG_DEBUG_ASI))
		return;
	if (__this_cpu_read(asi_cpu_curr)) {
		want = __this_cpu_read(asi_cpu_cr3);
	} else {
		mm = asi_arch_loaded_mm();
		if (asi_arch_has_pcid())
			slot = asi_arch_asid_slot(mm);
		want = asi_arch_cr3(mm->pgd, slot, ASI_NORMAL_SPACE, false);
	}
	cr3 = asi_arch_read_cr3();
	if (unlikely(cr3 != want)) {
		instrumentation_begin();
		WARN(1, "asi_after_untrusted(): the CPU came back with CR3 %#lx, not the %s %#lx\n",
		     cr3, __this_cpu_read(asi_cpu_curr) ? "domain's" :
		     "normal", want);
		instrumentation_end();
	}
}

/**
 * asi_after_untrusted() - the untrusted context stopped running
 *
 * Called as soon as the untrusted context stops (the VM exit, the entry
 * from user mode): from here the CPU owes the control flushes of the
 * class's policy, paid when it next leaves for the normal address space.
 * A no-op without asi_before_untrusted() first.
 *
 * Context: interrupts disabled; safe from noinstr code.
 */
noinstr void asi_after_untrusted(void)
{
	if (!asi_enabled())
		return;
	asi_check_cr3();
	asi_untrusted_done();
}
EXPORT_SYMBOL_GPL(asi_after_untrusted);

/* Does an exit for @reason, at interrupt depth @depth, end the section? */
static __always_inline bool
asi_exit_ends_section(enum asi_exit_reason reason, unsigned int depth)
{
	switch (reason) {
	case ASI_EXIT_CALL:
		return !depth;
	case ASI_EXIT_CONTEXT_SWITCH:
	case ASI_EXIT_MM_SWITCH:
	case ASI_EXIT_RETURN_TO_USER:
		return true;
	default:
		return false;
	}
}

/**
 * asi_exit_irqoff() - __asi_exit(), with interrupts disabled
 * @reason: as for __asi_exit().
 *
 * For noinstr callers; the class's pre_exit hook and the tracepoint run
 * inside instrumentation_begin()/_end(), so RCU must be watching.  Warns
 * and does nothing with interrupts enabled.
 *
 * Context: interrupts disabled.
 */
noinstr void asi_exit_irqoff(enum asi_exit_reason reason)
{
	unsigned int depth;
	struct asi *asi;

	if (!asi_enabled())
		return;
	if (unlikely(!raw_irqs_disabled())) {
		instrumentation_begin();
		WARN(1, "%s() with interrupts enabled\n", __func__);
		instrumentation_end();
		return;
	}
	depth = __this_cpu_read(asi_cpu_depth);
	if (asi_exit_ends_section(reason, depth)) {
		this_cpu_write(asi_cpu_target, NULL);
		/* A client that did not say the untrusted context stopped. */
		asi_untrusted_done();
	} else if (reason == ASI_EXIT_CALL) {
		reason = ASI_EXIT_INTERRUPT;
	}
	asi = this_cpu_read(asi_cpu_curr);
	if (!asi)
		return;
	/*
	 * Raised so that an NMI landing here, whose fault may leave, does
	 * not go back in on its way out before this exit is done.
	 */
	__this_cpu_write(asi_cpu_depth, depth + 1);
	asi_before_exit(asi, reason);
	/* Unless a fault in the hook left already. */
	if (this_cpu_read(asi_cpu_curr) == asi) {
		/*
		 * No unrestricted code with predictors an untrusted context
		 * trained, or may have: while one is due, it may have run.
		 */
		if (__this_cpu_read(asi_cpu_untrusted) == asi)
			asi_owe_control(asi);
		asi_flush_owed(ASI_FLUSH_CONTROL,
			       __this_cpu_read(asi_cpu_control_class));
		asi_arch_write_cr3(asi_unrestricted_cr3());
		this_cpu_write(asi_cpu_curr, NULL);
		/* Anything may be touched, and cached, from here. */
		__this_cpu_or(asi_cpu_owed, ASI_FLUSH_DATA);
	}
	__this_cpu_write(asi_cpu_depth, depth);
}
EXPORT_SYMBOL_GPL(asi_exit_irqoff);

/**
 * __asi_exit() - leave the restricted address space; see asi_exit()
 * @reason: why, for the asi_exit tracepoint.
 *
 * Reloads the normal address space of the loaded mm, keeping its PCID's
 * entries (asi_unrestricted_cr3()), after the control flushes the CPU
 * owes.  An explicit call (ASI_EXIT_CALL) in the context that entered, a
 * context switch, an mm switch and a return to user mode end the critical
 * section; an explicit call from an interrupt handler is told apart as
 * ASI_EXIT_INTERRUPT and, like a fault's exit, leaves it to be re-entered.
 *
 * Context: any; interrupts may be disabled.
 */
void __asi_exit(enum asi_exit_reason reason)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_exit_irqoff(reason);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(__asi_exit);

/**
 * asi_current_cr3() - the CR3 value of the domain this CPU is in
 *
 * For the architecture's code that builds the CR3 value it expects to find
 * loaded (x86: __get_current_cr3_fast(), which KVM writes into the VMCS as
 * the host's CR3): inside a domain that is the restricted page table.
 *
 * Context: interrupts disabled, or the answer may be stale at once.
 * Return: the CR3 value asi_enter() loaded, as CR3 reads back, or 0 when
 * this CPU is in no domain.
 */
unsigned long asi_current_cr3(void)
{
	if (!asi_is_restricted())
		return 0;
	return __this_cpu_read(asi_cpu_cr3);
}

/**
 * asi_handle_fault() - the page fault policy inside a restricted space
 * @addr: the faulting address.
 * @ip: where the access was, for the asi_fault_exit tracepoint.
 * @error_code: the architecture's page fault error code, for the same.
 *
 * Called first thing by the architecture's page fault handler.  A fault
 * while restricted is taken to be an access to memory the restricted page
 * table does not map: leave ASI and let the access be retried in the
 * normal address space.  If the normal table does not map @addr either,
 * the retry faults again, unrestricted, and is handled as usual.
 *
 * Context: any, interrupts disabled; safe from noinstr code where RCU
 * watches.
 * Return: true if the fault was handled by leaving ASI.
 */
noinstr bool asi_handle_fault(unsigned long addr, unsigned long ip,
			      unsigned long error_code)
{
	struct asi *asi;

	if (!asi_enabled())
		return false;
	/* Read once: an NMI's fault may leave ASI at any moment. */
	asi = this_cpu_read(asi_cpu_curr);
	if (!asi)
		return false;
	__this_cpu_inc(asi_stats[asi->class_id].fault_exits);
	instrumentation_begin();
	trace_asi_fault_exit(asi->class_id, asi_class_name(asi), addr, ip,
			     error_code);
	instrumentation_end();
	asi_exit_irqoff(ASI_EXIT_FAULT);
	return true;
}

/**
 * asi_get_current() - the domain this CPU is in
 *
 * Only meaningful with preemption disabled: a preemptible kthread's
 * active_mm can change under it, and with it the domain could be freed
 * before the caller looks at it.  Warns when called preemptible; use
 * asi_is_restricted() for a racy yes/no instead.
 *
 * Return: the loaded domain, or NULL when unrestricted or ASI is off.
 */
struct asi *asi_get_current(void)
{
	if (!asi_enabled())
		return NULL;
	ASI_WARN_ONCE(preemptible(), "%s() called preemptible\n", __func__);
	return this_cpu_read(asi_cpu_curr);
}
EXPORT_SYMBOL_GPL(asi_get_current);

/**
 * asi_slot_mark_stale() - the restricted PCIDs of an ASID slot are stale
 * @slot: the slot on this CPU.
 *
 * Called by the backend, with interrupts disabled, when the kernel hands
 * @slot to another mm or flushes the slot's normal PCID whole: the slot's
 * restricted PCIDs may hold translations that are no longer valid, so the
 * next entry into each of them must flush it.
 */
void asi_slot_mark_stale(unsigned int slot)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_slot_mark_stale, slot);
	if (ASI_WARN_ONCE(slot >= ASI_ARCH_NR_ASID_SLOTS,
			  "%s(): slot %u out of range\n", __func__, slot))
		return;
	this_cpu_write(asi_pcid_fresh[slot], 0);
}

/**
 * asi_tlb_flush_one_user() - invalidate a user address in @mm's domains
 * @mm: the mm whose mapping of @addr changed.
 * @addr: the user address.
 *
 * Called next to the normal single-address flush on a CPU where @mm owns
 * an ASID slot.  Each initialized domain gets an INVPCID individual-address
 * on its PCID; without INVPCID the loaded domain gets INVLPG and the others
 * are flushed on their next entry.  Without PCIDs nothing is needed: every
 * CR3 write already flushed the restricted spaces, and the caller's INVLPG
 * covers the loaded one.
 */
void asi_tlb_flush_one_user(struct mm_struct *mm, unsigned long addr)
{
	unsigned long flags;
	bool invpcid;
	int slot, i;

	if (!asi_enabled() || !mm || !asi_arch_has_pcid())
		return;

	local_irq_save(flags);
	slot = asi_asid_slot(mm);
	if (slot < 0 || ASI_WARN_ONCE(slot >= ASI_ARCH_NR_ASID_SLOTS,
				      "%s(): the backend gave ASID slot %d\n",
				      __func__, slot))
		goto out;
	invpcid = asi_arch_has_invpcid();

	for (i = 0; i < ASI_MAX_NUM_CLASSES; i++) {
		/* Pairs with asi_create_domain()'s release: a whole domain. */
		struct asi *asi = smp_load_acquire(&mm->asi[i]);

		if (!asi)
			continue;
		if (invpcid) {
			asi_flush_pcid_addr(slot, i, addr);
			__this_cpu_inc(asi_stats[i].flushes);
		} else if (this_cpu_read(asi_cpu_curr) == asi) {
			asi_flush_loaded_addr(addr);
			__this_cpu_inc(asi_stats[i].flushes);
		} else {
			asi_pcid_mark_stale(slot, i);
			__this_cpu_inc(asi_stats[i].flushes_deferred);
		}
	}
out:
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_tlb_flush_one_user);

/*
 * Sensitive memory.
 *
 * Taking pages out of the restricted spaces makes the backend drop them
 * from its restricted tables and make their normal translation non-global,
 * which on x86 is CPA on the direct map: done page by page it splits the
 * direct map's 2M and 1G leaves down to 4K for good (CPA never merges).
 * So allocations smaller than a large leaf come from blocks of one large
 * leaf (ASI_BLOCK_ORDER, 2M) made sensitive whole, whose normal leaf CPA
 * keeps, and a block goes back to the page allocator, mapped again, when
 * its last page is freed.  Larger allocations are whole blocks already.
 * Only when no block can be had without effort (the page allocator's
 * order-9 fallback would have to reclaim or compact hard) is a small
 * allocation made sensitive on its own, and its 2M split.
 */
#define ASI_BLOCK_PAGES		BIT(ASI_BLOCK_ORDER)

/**
 * struct asi_block - a block of sensitive memory that small allocations share
 * @list: in asi_blocks, or for a block of the pool in asi_pool_blocks
 *	while it has free pages.
 * @pfn: its first frame, aligned to the block size.
 * @used: pages handed out.
 * @pooled: a block of the pool (see below): its free pages are free to
 *	the page allocator's eyes, and come back through asi_pool_free().
 * @busy: of the pool, being filled or given back: nothing is taken from it.
 * @map: which pages are handed out.
 */
struct asi_block {
	struct list_head list;
	unsigned long pfn;
	unsigned long used;
	bool pooled;
	bool busy;
	DECLARE_BITMAP(map, ASI_BLOCK_PAGES);
};

static LIST_HEAD(asi_blocks);
/* The blocks by pfn >> ASI_BLOCK_ORDER: which block a freed page is of. */
static DEFINE_XARRAY(asi_block_index);
static DEFINE_MUTEX(asi_blocks_lock);

/* Serializes the changes of the sensitive set. */
static DEFINE_MUTEX(asi_sensitive_lock);

/**
 * __asi_set_sensitive() - take pages out of the restricted spaces, or back
 * @addr: the first page, in the direct map.
 * @npages: how many.
 * @sensitive: take out (true) or map again (false).
 *
 * Two machine effects.  A global normal translation would survive a CR3
 * switch into a restricted space (the KPTI rule), so sensitive memory
 * loses the global bit as it leaves the restricted tables.  The order is
 * chosen: out of the restricted tables before the normal translation
 * drops the global bit, and global again before the restricted tables map
 * it.  So the restricted tables never hold a non-global translation of
 * it, whose removal would make every restricted PCID of every CPU flush
 * on its next entry (asi_kernel_entry_changed()); a global one is dropped
 * by the caller's flush.
 *
 * Context: process context, may sleep.
 * Return: 0, or the backend's error with nothing changed (taking out) or
 * the pages still out of the restricted tables (mapping again).
 */
VISIBLE_IF_KUNIT int __asi_set_sensitive(void *addr, unsigned long npages,
					 bool sensitive)
{
	int err;

	mutex_lock(&asi_sensitive_lock);
	if (sensitive) {
		err = asi_arch_restricted_unmap(addr, npages, true);
		if (!err) {
			err = asi_arch_set_global(addr, npages, false);
			if (err) {
				asi_arch_set_global(addr, npages, true);
				asi_arch_restricted_unmap(addr, npages, false);
			}
		}
	} else {
		err = asi_arch_set_global(addr, npages, true);
		if (!err)
			err = asi_arch_restricted_unmap(addr, npages, false);
	}
	mutex_unlock(&asi_sensitive_lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(__asi_set_sensitive);

/* __asi_set_sensitive(), with a KUnit seam. */
VISIBLE_IF_KUNIT int asi_set_sensitive(void *addr, unsigned long npages,
				       bool sensitive)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_set_sensitive, addr, npages, sensitive);
	return __asi_set_sensitive(addr, npages, sensitive);
}
EXPORT_SYMBOL_IF_KUNIT(asi_set_sensitive);

/*
 * Take @npages at @addr out of the restricted spaces; then translations
 * cached while they were not sensitive, global ones included, must go.
 */
static int asi_make_sensitive(void *addr, unsigned long npages)
{
	int err = asi_set_sensitive(addr, npages, true);

	if (!err)
		asi_flush_kernel_range((unsigned long)addr,
				       (unsigned long)addr + npages * PAGE_SIZE);
	return err;
}

/**
 * asi_sensitive_page_alloc() - the allocation of asi_alloc_sensitive_pages()
 * @gfp: allocation flags.
 * @order: log2 of the number of pages.
 *
 * A seam, through which the page can be chosen.
 *
 * Return: the first page, or NULL.
 */
VISIBLE_IF_KUNIT struct page *asi_sensitive_page_alloc(gfp_t gfp,
						       unsigned int order)
{
	KUNIT_STATIC_STUB_REDIRECT(asi_sensitive_page_alloc, gfp, order);
	return alloc_pages(gfp, order);
}
EXPORT_SYMBOL_IF_KUNIT(asi_sensitive_page_alloc);

/*
 * The 2M of new block @b (pooled or not, as it says), from the page
 * allocator with @gfp, in the index and sensitive: its first page, not
 * split, or NULL (with @b not in the index) if none comes easily.
 */
static struct page *asi_block_fill(struct asi_block *b, gfp_t gfp)
{
	struct page *page;

	page = asi_sensitive_page_alloc(gfp | __GFP_NOWARN | __GFP_NORETRY,
					ASI_BLOCK_ORDER);
	if (!page)
		return NULL;
	b->pfn = page_to_pfn(page);
	if (xa_insert(&asi_block_index, b->pfn >> ASI_BLOCK_ORDER, b,
		      GFP_KERNEL))
		goto free_page;
	if (asi_make_sensitive(page_address(page), ASI_BLOCK_PAGES))
		goto erase;
	return page;

erase:
	xa_erase(&asi_block_index, b->pfn >> ASI_BLOCK_ORDER);
free_page:
	__free_pages(page, ASI_BLOCK_ORDER);
	return NULL;
}

/* A new block, sensitive whole, on the list; NULL if none comes easily. */
static struct asi_block *asi_block_new(gfp_t gfp)
{
	struct asi_block *b = kzalloc(sizeof(*b), GFP_KERNEL);
	struct page *page;

	if (!b)
		return NULL;
	page = asi_block_fill(b, gfp & ~(__GFP_ZERO | __GFP_COMP |
					 __GFP_NOFAIL));
	if (!page) {
		kfree(b);
		return NULL;
	}
	/* Its pages are handed out and come back one allocation at a time. */
	split_page(page, ASI_BLOCK_ORDER);
	list_add(&b->list, &asi_blocks);
	return b;
}

/**
 * asi_block_alloc() - pages for a small sensitive allocation, from a block
 * @gfp: allocation flags.
 * @order: log2 of the number of pages, below ASI_BLOCK_ORDER.
 *
 * The first free run of 2^@order aligned pages of a block, a new block if
 * none has one.  A seam: declining makes a small allocation sensitive on
 * its own, as when no block can be had.
 *
 * Return: the first page, or NULL if no block could be had.
 */
VISIBLE_IF_KUNIT struct page *asi_block_alloc(gfp_t gfp, unsigned int order)
{
	unsigned long n = 1UL << order, i;
	struct page *page = NULL;
	struct asi_block *b;

	KUNIT_STATIC_STUB_REDIRECT(asi_block_alloc, gfp, order);
	mutex_lock(&asi_blocks_lock);
	list_for_each_entry(b, &asi_blocks, list) {
		i = bitmap_find_next_zero_area(b->map, ASI_BLOCK_PAGES, 0, n,
					       n - 1);
		if (i < ASI_BLOCK_PAGES)
			goto found;
	}
	b = asi_block_new(gfp);
	if (!b)
		goto out;
	i = 0;
found:
	bitmap_set(b->map, i, n);
	b->used += n;
	page = pfn_to_page(b->pfn + i);
out:
	mutex_unlock(&asi_blocks_lock);
	return page;
}
EXPORT_SYMBOL_IF_KUNIT(asi_block_alloc);

/*
 * Give pages of block @b back; the block's last ones take it back to the
 * page allocator, mapped again in the restricted spaces.  If mapping
 * fails the block is leaked (with a warning) rather than handed out
 * unmapped.
 */
static void asi_block_free(struct asi_block *b, struct page *page,
			   unsigned int order)
{
	unsigned long n = 1UL << order, i;
	bool last;

	mutex_lock(&asi_blocks_lock);
	bitmap_clear(b->map, page_to_pfn(page) - b->pfn, n);
	b->used -= n;
	last = !b->used;
	if (last) {
		list_del(&b->list);
		xa_erase(&asi_block_index, b->pfn >> ASI_BLOCK_ORDER);
	}
	mutex_unlock(&asi_blocks_lock);
	if (!last)
		return;
	if (WARN(asi_set_sensitive(page_address(pfn_to_page(b->pfn)),
				   ASI_BLOCK_PAGES, false),
		 "%s(): cannot map a block again, leaking it\n", __func__))
		return;
	for (i = 0; i < ASI_BLOCK_PAGES; i++)
		__free_page(pfn_to_page(b->pfn + i));
	kfree(b);
}

/*
 * Making memory sensitive allocates (page tables, the index) with
 * GFP_KERNEL: within what @gfp allows, through the task's allocation
 * scope.  Returns what asi_gfp_scope_end() restores.
 */
static unsigned int asi_gfp_scope_begin(gfp_t gfp)
{
	if (!(gfp & __GFP_IO))
		return memalloc_noio_save();
	if (!(gfp & __GFP_FS))
		return memalloc_nofs_save();
	return 0;
}

static void asi_gfp_scope_end(gfp_t gfp, unsigned int scope)
{
	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(scope);
	else if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(scope);
}

/**
 * asi_alloc_sensitive_pages() - allocate memory no restricted space maps
 * @gfp: allocation flags.
 * @order: log2 of the number of pages.
 *
 * The pages are removed from every restricted page table and from the
 * global TLB entries of the normal one, so that no restricted address
 * space can reach them, even speculatively; an access from inside a domain
 * faults and leaves ASI (asi_handle_fault()).  With ASI off this is
 * alloc_pages().  Allocations smaller than 2M share blocks of 2M that are
 * sensitive whole, so that the direct map keeps its large leaves (see
 * above); their pages are not a compound page, and each has a reference.
 *
 * Taking pages out of the restricted tables edits page tables and
 * interrupts every CPU to flush them, which an atomic caller cannot wait
 * for: @gfp must allow blocking.  Without __GFP_FS or __GFP_IO every
 * allocation on the way, the backend's included, keeps to that too.
 *
 * Context: process context, may sleep.
 * Return: the first page, or NULL; NULL with a warning for a @gfp that
 * does not allow blocking.
 */
struct page *asi_alloc_sensitive_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = NULL;
	unsigned int scope;

	if (WARN(!gfpflags_allow_blocking(gfp),
		 "%s(): gfp %pGg does not allow blocking\n", __func__, &gfp))
		return NULL;
	if (!asi_enabled())
		return alloc_pages(gfp, order);
	might_sleep();

	scope = asi_gfp_scope_begin(gfp);

	if (order < ASI_BLOCK_ORDER) {
		page = asi_block_alloc(gfp, order);
		if (page && (gfp & __GFP_ZERO))
			memset(page_address(page), 0, PAGE_SIZE << order);
	}
	if (!page) {
		page = asi_sensitive_page_alloc(gfp, order);
		if (page && asi_make_sensitive(page_address(page), 1UL << order)) {
			__free_pages(page, order);
			page = NULL;
		}
	}

	asi_gfp_scope_end(gfp, scope);
	return page;
}
EXPORT_SYMBOL_GPL(asi_alloc_sensitive_pages);

/**
 * asi_free_sensitive_pages() - free memory from asi_alloc_sensitive_pages()
 * @page: the first page.
 * @order: as allocated.
 *
 * The pages are cleared, so that their secrets do not become visible to
 * every restricted space, and mapped in the restricted spaces again before
 * they go back to the page allocator (pages of a shared block: with the
 * block's last).  If mapping fails they are leaked (with a warning) rather
 * than handed out unmapped.
 *
 * Context: process context, may sleep.
 */
void asi_free_sensitive_pages(struct page *page, unsigned int order)
{
	struct asi_block *b;

	if (!page)
		return;
	if (asi_enabled()) {
		memset(page_address(page), 0, PAGE_SIZE << order);
		b = xa_load(&asi_block_index,
			    page_to_pfn(page) >> ASI_BLOCK_ORDER);
		if (b) {
			asi_block_free(b, page, order);
			return;
		}
		if (WARN(asi_set_sensitive(page_address(page), 1UL << order,
					   false),
			 "%s(): cannot map the pages again, leaking them\n",
			 __func__))
			return;
	}
	__free_pages(page, order);
}
EXPORT_SYMBOL_GPL(asi_free_sensitive_pages);

/*
 * The pool: the memory of user mappings, sensitive.
 *
 * With a client class on (asi_pool_set_taking()), what the page allocator
 * hands out for user mappings (asi_pool_wants(): anonymous memory, the
 * page cache, tmpfs, pipe buffers, and so a guest's memory, which is its
 * VMM's) comes from blocks that are sensitive whole, like the blocks
 * above, so that no restricted space reaches one process's or guest's
 * memory through the direct map; a domain of the userspace class reaches
 * its own process's memory through its user half only.
 *
 * A pool block's free pages are free in the page allocator's eyes: a page
 * comes to the pool when free_pages_prepare() has prepared it as free
 * (asi_pool_free()), and leaves it through the page allocator's own
 * preparation of a new page (asi_pool_alloc()), so that nothing else can
 * tell them from the buddy allocator's.  A block whose last page comes
 * back is given back to the page allocator a second later, cleared and
 * mapped again (asi_pool_release_empty()): soon enough that memory a
 * process freed is not held for good, late enough that the next process
 * does not make a new block at once.
 *
 * Not from the pool, and so not protected: a user allocation of a block
 * or more (a huge page), one that cannot sleep when no pool block has
 * room (both counted as fallbacks), and one that names a zone or node
 * (__GFP_DMA, __GFP_DMA32, __GFP_THISNODE), which the pool's blocks may
 * not be in.  Compaction does not move a pool page (its free pages are
 * the buddy allocator's); other migration allocates its target as user
 * memory, from the pool.
 */

DEFINE_STATIC_KEY_FALSE(asi_pool_key);
/* asi_pool_key stays on once the pool has blocks; this says "take". */
static bool asi_pool_taking;
/* The pool's blocks that have free pages; their counts; @busy. */
static DEFINE_SPINLOCK(asi_pool_lock);

/*
 * Which 2M of memory hold a block of the pool, a bit each, for the pfns
 * below max_pfn when the pool first took pages: so that freeing a page
 * that is not the pool's, nearly every free the page allocator makes
 * while the pool is on, returns without a look into the index (an RCU
 * read section, costly under lockdep: it made the teardown of an mm
 * with one domain 17 % dearer on Bochs).  A bit is set before any page
 * of its block can be freed into the pool, and cleared once the block
 * left the index, before its pages go back to the page allocator: a
 * stale set bit only sends a free to the index.  Pages above the map
 * (memory added later) always go to the index.
 */
static unsigned long *asi_pool_map;
static unsigned long asi_pool_map_bits;

/* Can the page at @pfn be in a block of the pool?  False is certain. */
VISIBLE_IF_KUNIT bool asi_pool_may_hold(unsigned long pfn)
{
	unsigned long i = pfn >> ASI_BLOCK_ORDER;

	/* Pairs with the release in asi_pool_set_taking(): map, then size. */
	return i >= smp_load_acquire(&asi_pool_map_bits) ||
	       test_bit(i, asi_pool_map);
}
EXPORT_SYMBOL_IF_KUNIT(asi_pool_may_hold);

/* Mark or unmark the block at @pfn in the map, if the map covers it. */
static void asi_pool_map_set(unsigned long pfn, bool in)
{
	unsigned long i = pfn >> ASI_BLOCK_ORDER;

	/* As asi_pool_may_hold(): the size, then the map it covers. */
	if (i >= smp_load_acquire(&asi_pool_map_bits))
		return;
	if (in)
		set_bit(i, asi_pool_map);
	else
		clear_bit(i, asi_pool_map);
}

static LIST_HEAD(asi_pool_blocks);
static unsigned long asi_pool_nr_blocks, asi_pool_nr_pages;
static unsigned long asi_pool_nr_released;
static atomic_long_t asi_pool_nr_fallbacks = ATOMIC_LONG_INIT(0);

static void asi_pool_release_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(asi_pool_release_work, asi_pool_release_fn);

/**
 * asi_pool_wants() - is an allocation with @gfp memory for user mappings?
 * @gfp: the allocation's flags.
 *
 * GFP_HIGHUSER and GFP_HIGHUSER_MOVABLE (the page cache, anonymous and
 * tmpfs memory, pipe buffers), and GFP_USER | __GFP_MOVABLE (the target of
 * a user page's migration).  Not GFP_USER alone: the slab allocator passes
 * it on from kmalloc(), and kernel objects sharing a slab page with a user
 * buffer would become sensitive.  Not a zone or node (__GFP_DMA,
 * __GFP_DMA32, __GFP_THISNODE), which the pool's blocks may not be in.
 *
 * Return: true if the pool should serve it.
 */
VISIBLE_IF_KUNIT bool asi_pool_wants(gfp_t gfp)
{
	if (!(gfp & __GFP_HARDWALL) || !(gfp & (__GFP_HIGHMEM | __GFP_MOVABLE)))
		return false;
	return !(gfp & (__GFP_DMA | __GFP_DMA32 | __GFP_THISNODE));
}
EXPORT_SYMBOL_IF_KUNIT(asi_pool_wants);

/* Hand out pages [@i, @i + @n) of @b, with asi_pool_lock held. */
static struct page *asi_pool_take_from(struct asi_block *b, unsigned long i,
				       unsigned long n)
{
	lockdep_assert_held(&asi_pool_lock);
	bitmap_set(b->map, i, n);
	b->used += n;
	asi_pool_nr_pages += n;
	if (b->used == ASI_BLOCK_PAGES)
		list_del_init(&b->list);
	return pfn_to_page(b->pfn + i);
}

/* 2^@order aligned free pages of a block that has them, or NULL. */
static struct page *asi_pool_take(unsigned int order)
{
	unsigned long n = 1UL << order, flags, i;
	struct page *page = NULL;
	struct asi_block *b;

	spin_lock_irqsave(&asi_pool_lock, flags);
	list_for_each_entry(b, &asi_pool_blocks, list) {
		i = bitmap_find_next_zero_area(b->map, ASI_BLOCK_PAGES, 0, n,
					       n - 1);
		if (i < ASI_BLOCK_PAGES) {
			page = asi_pool_take_from(b, i, n);
			break;
		}
	}
	spin_unlock_irqrestore(&asi_pool_lock, flags);
	return page;
}

/*
 * A new block for the pool, and 2^@order of its pages; NULL if no block
 * comes easily.  Its 2M are freed whole once sensitive, so that its pages
 * come in as every page of the pool does, prepared as free by the page
 * allocator, through asi_pool_free(); meanwhile @busy keeps it from being
 * given back as empty.
 */
static struct page *asi_pool_grow(gfp_t gfp, unsigned int order)
{
	unsigned long n = 1UL << order, flags, i;
	struct page *page = NULL;
	struct asi_block *b;
	unsigned int scope;

	scope = asi_gfp_scope_begin(gfp);
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		goto out;
	b->pooled = true;
	b->busy = true;
	b->used = ASI_BLOCK_PAGES;
	bitmap_fill(b->map, ASI_BLOCK_PAGES);
	INIT_LIST_HEAD(&b->list);
	/* As the caller may reclaim; kernel memory, not the pool's again. */
	page = asi_block_fill(b, gfp & (__GFP_RECLAIM | __GFP_IO | __GFP_FS));
	if (!page) {
		kfree(b);
		goto out;
	}
	/*
	 * Before its pages come in: the lock orders it before any CPU takes
	 * one, and whoever frees a page later got it from that CPU.
	 */
	asi_pool_map_set(b->pfn, true);
	spin_lock_irqsave(&asi_pool_lock, flags);
	asi_pool_nr_pages += ASI_BLOCK_PAGES;
	spin_unlock_irqrestore(&asi_pool_lock, flags);
	__free_pages(page, ASI_BLOCK_ORDER);

	spin_lock_irqsave(&asi_pool_lock, flags);
	b->busy = false;
	asi_pool_nr_blocks++;
	page = NULL;
	if (b->used < ASI_BLOCK_PAGES) {
		list_add(&b->list, &asi_pool_blocks);
		i = bitmap_find_next_zero_area(b->map, ASI_BLOCK_PAGES, 0, n,
					       n - 1);
		if (i < ASI_BLOCK_PAGES)
			page = asi_pool_take_from(b, i, n);
	}
	spin_unlock_irqrestore(&asi_pool_lock, flags);
out:
	asi_gfp_scope_end(gfp, scope);
	return page;
}

/**
 * __asi_pool_alloc() - the pool's pages for an allocation, if it is its
 * @gfp: the allocation's flags, scoped as the page allocator scopes them.
 * @order: log2 of the number of pages.
 *
 * Called by the page allocator before its free lists, which prepares the
 * page as it prepares its own.  May sleep to make a new block, if @gfp
 * allows it.
 *
 * Return: free pages of the pool, or NULL: not for the pool, or a
 * fallback (counted) to the page allocator's own pages.
 */
struct page *__asi_pool_alloc(gfp_t gfp, unsigned int order)
{
	struct page *page;

	if (!READ_ONCE(asi_pool_taking) || !asi_pool_wants(gfp))
		return NULL;
	if (order < ASI_BLOCK_ORDER) {
		page = asi_pool_take(order);
		/*
		 * Not from reclaim (PF_MEMALLOC): a new block would dip into
		 * the reserves for 2M, and making it sensitive allocates and
		 * may reclaim again, back into this allocator.
		 */
		if (!page && gfpflags_allow_blocking(gfp) &&
		    !(current->flags & PF_MEMALLOC))
			page = asi_pool_grow(gfp, order);
		if (page)
			return page;
	}
	atomic_long_inc(&asi_pool_nr_fallbacks);
	return NULL;
}

/**
 * __asi_pool_free() - keep freed pages in the pool, if they are its
 * @page: the first page, prepared as free by free_pages_prepare().
 * @order: log2 of the number of pages.
 *
 * Context: any, from the page allocator's free paths.
 * Return: true if the pool took the pages: the page allocator must not.
 */
bool __asi_pool_free(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page), flags;
	struct asi_block *b;
	bool empty;

	if (!asi_pool_may_hold(pfn))
		return false;
	/* A block with a page out is neither given back nor freed. */
	b = xa_load(&asi_block_index, pfn >> ASI_BLOCK_ORDER);
	if (!b || !b->pooled)
		return false;
	spin_lock_irqsave(&asi_pool_lock, flags);
	if (b->used == ASI_BLOCK_PAGES && !b->busy)
		list_add(&b->list, &asi_pool_blocks);
	bitmap_clear(b->map, pfn - b->pfn, 1UL << order);
	b->used -= 1UL << order;
	asi_pool_nr_pages -= 1UL << order;
	empty = !b->used && !b->busy;
	spin_unlock_irqrestore(&asi_pool_lock, flags);
	if (empty)
		queue_delayed_work(system_wq, &asi_pool_release_work, HZ);
	return true;
}

/**
 * __asi_pool_holds() - is @page in a block of the pool?
 * @page: any page.
 *
 * Return: true if it is, handed out or free.
 */
bool __asi_pool_holds(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	struct asi_block *b;

	if (!asi_pool_may_hold(pfn))
		return false;
	b = xa_load(&asi_block_index, pfn >> ASI_BLOCK_ORDER);
	return b && b->pooled;
}

/*
 * Give empty block @b, out of the list and the index, back to the page
 * allocator: cleared first, since mapped again its old contents would be
 * every restricted space's.  Leaked, with a warning, if it cannot be
 * mapped again.
 */
static void asi_pool_give_back(struct asi_block *b)
{
	struct page *page = pfn_to_page(b->pfn);
	unsigned long flags;

	/* Its pages are free: KASAN has them poisoned. */
	kasan_disable_current();
	memset(page_address(page), 0, PAGE_SIZE << ASI_BLOCK_ORDER);
	kasan_enable_current();
	spin_lock_irqsave(&asi_pool_lock, flags);
	asi_pool_nr_blocks--;
	spin_unlock_irqrestore(&asi_pool_lock, flags);
	if (WARN(asi_set_sensitive(page_address(page), ASI_BLOCK_PAGES, false),
		 "%s(): cannot map a block of the pool again, leaking it\n",
		 __func__))
		goto out;
	free_prepared_pages(page, ASI_BLOCK_ORDER);
	spin_lock_irqsave(&asi_pool_lock, flags);
	asi_pool_nr_released++;
	spin_unlock_irqrestore(&asi_pool_lock, flags);
out:
	kfree(b);
}

/**
 * asi_pool_release_empty() - give the pool's empty blocks back now
 *
 * What the pool's delayed work does a second after a block empties.
 *
 * Context: process context, may sleep.
 * Return: how many blocks were given back.
 */
VISIBLE_IF_KUNIT unsigned long asi_pool_release_empty(void)
{
	struct asi_block *b, *found;
	unsigned long flags, n = 0;

	for (;;) {
		found = NULL;
		spin_lock_irqsave(&asi_pool_lock, flags);
		list_for_each_entry(b, &asi_pool_blocks, list) {
			if (!b->used) {
				found = b;
				list_del_init(&b->list);
				b->busy = true;
				break;
			}
		}
		spin_unlock_irqrestore(&asi_pool_lock, flags);
		if (!found)
			return n;
		xa_erase(&asi_block_index, found->pfn >> ASI_BLOCK_ORDER);
		asi_pool_map_set(found->pfn, false);
		asi_pool_give_back(found);
		n++;
	}
}
EXPORT_SYMBOL_IF_KUNIT(asi_pool_release_empty);

static void asi_pool_release_fn(struct work_struct *work)
{
	asi_pool_release_empty();
}

/**
 * asi_pool_get_stats() - the pool's counters
 * @st: filled in.
 */
VISIBLE_IF_KUNIT void asi_pool_get_stats(struct asi_pool_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&asi_pool_lock, flags);
	st->blocks = asi_pool_nr_blocks;
	st->pages = asi_pool_nr_pages;
	st->released = asi_pool_nr_released;
	spin_unlock_irqrestore(&asi_pool_lock, flags);
	st->fallbacks = atomic_long_read(&asi_pool_nr_fallbacks);
}
EXPORT_SYMBOL_IF_KUNIT(asi_pool_get_stats);

static int asi_pool_show(struct seq_file *m, void *v)
{
	struct asi_pool_stats st;

	asi_pool_get_stats(&st);
	seq_printf(m, "blocks %lu\npages %lu\nfallbacks %lu\nreleased %lu\n",
		   st.blocks, st.pages, st.fallbacks, st.released);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(asi_pool);

/**
 * asi_pool_set_taking() - whether user mappings' memory comes from the pool
 * @on: from now on, or not.
 *
 * Pages the pool already handed out come back to it either way.  With ASI
 * off this does nothing.  The first call makes /sys/kernel/debug/asi/pool,
 * the counters of asi_pool_get_stats().
 *
 * Context: process context, may sleep.
 * Return: the setting before.
 */
bool asi_pool_set_taking(bool on)
{
	static bool debugfs_done, map_tried;
	struct dentry *root;

	if (!asi_enabled())
		return false;
	/*
	 * The map of the pool's blocks, at the first call that turns the
	 * pool on and only then: no block exists before asi_pool_taking
	 * is first set below, so a map made now starts out right.  One made
	 * later would miss the blocks made meanwhile, and frees of their
	 * pages would skip the pool; if this allocation fails there is no
	 * map for good, and every free looks into the index: slower only.
	 */
	mutex_lock(&asi_blocks_lock);
	if (on && !map_tried) {
		unsigned long bits = DIV_ROUND_UP(max_pfn, ASI_BLOCK_PAGES);

		map_tried = true;
		asi_pool_map = kvcalloc(BITS_TO_LONGS(bits), sizeof(long),
					GFP_KERNEL);
		if (asi_pool_map) {
			/* The map, then its size: asi_pool_may_hold(). */
			smp_store_release(&asi_pool_map_bits, bits);
		}
	}
	mutex_unlock(&asi_blocks_lock);
	static_branch_enable(&asi_pool_key);
	if (IS_ENABLED(CONFIG_DEBUG_FS) && !xchg(&debugfs_done, true)) {
		root = debugfs_lookup("asi", NULL) ?:
		       debugfs_create_dir("asi", NULL);
		debugfs_create_file("pool", 0400, root, NULL, &asi_pool_fops);
		dput(root);
	}
	return xchg(&asi_pool_taking, on);
}
EXPORT_SYMBOL_GPL(asi_pool_set_taking);

/**
 * asi_get_class_stats() - read the counters of a class
 * @class_id: the class.
 * @stats: filled in, summed over all CPUs.
 *
 * Return: 0, or -EINVAL for a bad class id.
 */
int asi_get_class_stats(enum asi_class_id class_id, struct asi_class_stats *stats)
{
	int cpu, i;

	if (!asi_class_id_valid(class_id) || !stats)
		return -EINVAL;

	memset(stats, 0, sizeof(*stats));
	stats->domains = atomic_read(&asi_classes[class_id].nr_domains);
	for_each_possible_cpu(cpu) {
		struct asi_pcpu_stats *s = &per_cpu(asi_stats, cpu)[class_id];

		stats->enters += READ_ONCE(s->enters);
		stats->exits += READ_ONCE(s->exits);
		stats->fault_exits += READ_ONCE(s->fault_exits);
		stats->flushes += READ_ONCE(s->flushes);
		stats->flushes_deferred += READ_ONCE(s->flushes_deferred);
		stats->reentries += READ_ONCE(s->reentries);
		stats->relaxes += READ_ONCE(s->relaxes);
		for (i = 0; i < ASI_NR_EXIT_REASONS; i++)
			stats->exits_by[i] += READ_ONCE(s->exits_by[i]);
		for (i = 0; i < ASI_NR_FLUSHES; i++)
			stats->cpu_flushes[i] += READ_ONCE(s->cpu_flushes[i]);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(asi_get_class_stats);

#ifdef CONFIG_DEBUG_ASI
/**
 * asi_kernel_map_widens() - does a restricted leaf grant more than init_mm?
 * @normal: what init_mm maps at the address.
 * @restricted: what a restricted table maps there.
 *
 * The rule of ASI: a restricted space maps a kernel address not at all,
 * or to the same frame with the same or fewer permissions (write, fetch,
 * user access, global), the same memory type and the same encryption.
 *
 * Return: true if @restricted breaks it.
 */
bool asi_kernel_map_widens(const struct asi_kernel_map *normal,
			   const struct asi_kernel_map *restricted)
{
	if (!restricted->present)
		return false;
	return !normal->present || restricted->pfn != normal->pfn ||
	       restricted->attrs != normal->attrs ||
	       (restricted->write && !normal->write) ||
	       (restricted->exec && !normal->exec) ||
	       (restricted->user && !normal->user) ||
	       (restricted->global && !normal->global);
}
EXPORT_SYMBOL_IF_KUNIT(asi_kernel_map_widens);

/**
 * asi_report_widening() - report a place where a restricted table maps more
 * @addr: the first address of the leaf.
 * @level: the leaf's level (0: 4K page).
 * @normal: what init_mm maps there.
 * @restricted: what the restricted table maps there.
 */
void asi_report_widening(unsigned long addr, unsigned int level,
			 const struct asi_kernel_map *normal,
			 const struct asi_kernel_map *restricted)
{
	pr_err("%s(): restricted table maps more than the kernel at %#lx (level %u): kernel %#llx, restricted %#llx\n",
	       __func__, addr, level, normal->raw, restricted->raw);
}

/**
 * asi_check_tables() - find where a restricted table maps more than init_mm
 * @pgd: a restricted page table, or NULL for the template every restricted
 *	table copies its kernel half from.
 *
 * Walks the kernel half of @pgd against init_mm's, in the manner of
 * debug_checkwx(), and reports each leaf that breaks the rule of
 * asi_kernel_map_widens() with its address and both entries, then warns
 * once with the count.  Slow: for debugging and tests.
 *
 * Context: process context; init_mm's tables must not be freed meanwhile.
 * Return: the number of places reported.
 */
unsigned long asi_check_tables(pgd_t *pgd)
{
	unsigned long n;

	if (!asi_enabled())
		return 0;
	n = asi_arch_check_tables(pgd);
	WARN(n, "%s(): a restricted table maps more than init_mm at %lu places\n",
	     __func__, n);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(asi_check_tables);

/* Once at boot, after everything built in has changed page attributes. */
static int __init asi_check_tables_at_boot(void)
{
	unsigned long n;

	if (!asi_enabled())
		return 0;
	n = asi_check_tables(NULL);
	if (!n)
		pr_info("restricted kernel half checked: maps nothing init_mm does not\n");
	return 0;
}
late_initcall_sync(asi_check_tables_at_boot);
#endif /* CONFIG_DEBUG_ASI */
