// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel half of make bench (tools/asi/bench.sh): what the core's
 * transitions and an mm's teardown cost, measured in the boot that
 * asi_kunit.bench=1 asks for, and printed on the console as lines
 *
 *   asi_bench: NAME MEDIAN MIN MAX UNIT
 *
 * each figure per operation, over BATCHES batches of ITERS operations.
 * Not a test: nothing here passes or fails, and a KUnit boot
 * (kunit.enable=1) never runs it.  Cycles are the TSC's, which an
 * emulator hands on from the host: only ratios within one boot mean
 * anything there.
 */

#include <linux/asi.h>
#include <linux/completion.h>
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/sched/mm.h>
#include <linux/sort.h>

#include "../../mm/asi_internal.h"

static bool bench;
module_param(bench, bool, 0444);
MODULE_PARM_DESC(bench, "run the ASI benchmarks at boot (make bench)");

#define BATCHES		15
#define ITERS		1000
#define MM_ITERS	50

static u64 bench_cycles(void)
{
	u32 lo, hi;

	/* x86_64 and UML on an x86_64 host: the TSC, as the CPU counts it. */
	asm volatile("lfence; rdtsc" : "=a" (lo), "=d" (hi) :: "memory");
	return ((u64)hi << 32) | lo;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Print the median, minimum and maximum of @v[BATCHES], each over @per. */
static void report(const char *name, u64 *v, unsigned int per,
		   const char *unit)
{
	sort(v, BATCHES, sizeof(*v), cmp_u64, NULL);
	pr_info("asi_bench: %s %llu %llu %llu %s\n", name,
		v[BATCHES / 2] / per, v[0] / per, v[BATCHES - 1] / per, unit);
}

/*
 * A new mm this kthread uses, with a domain of each registered class in
 * @classes; *@test is the test class's (NULL if none).
 */
static struct mm_struct *mm_with(unsigned long classes, struct asi **test)
{
	struct mm_struct *mm = mm_alloc();
	struct asi *asi = NULL;
	int id;

	*test = NULL;
	if (!mm)
		return NULL;
	kthread_use_mm(mm);
	if (!IS_ENABLED(CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION))
		return mm;
	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		if (!(classes & BIT(id)) || !asi_class_ops(id))
			continue;
		if (asi_init(mm, id, &asi))
			pr_warn("asi_bench: no domain of class %d\n", id);
		else if (id == ASI_CLASS_TEST)
			*test = asi;
	}
	return mm;
}

/*
 * Stop using @mm and drop it, its teardown timed: the kthread first moves
 * to @park, so that its lazy reference to @mm goes and mmput() is the
 * last, reaching __mmdrop() and asi_destroy_mm_state().  Returns the
 * cycles of mmput().
 */
static u64 mm_done(struct mm_struct *mm, struct mm_struct *park)
{
	u64 t;

	kthread_unuse_mm(mm);
	kthread_use_mm(park);
	t = bench_cycles();
	mmput(mm);
	t = bench_cycles() - t;
	kthread_unuse_mm(park);
	return t;
}

#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION
/*
 * The transitions, in one domain of the test class: enter and exit,
 * relax and enter again inside a section, and as a yardstick the bare
 * pair of CR3 writes of the same kind (the normal space's value, with
 * the no-flush bit where the CPU has PCIDs) that an enter and an exit
 * make.
 */
static void bench_transitions(struct mm_struct *park)
{
	u64 enter_exit[BATCHES], relax[BATCHES], cr3[BATCHES], t;
	unsigned long flags, value;
	struct mm_struct *mm;
	struct asi *asi;
	int b, i, slot;

	mm = mm_with(BIT(ASI_CLASS_TEST), &asi);
	if (!asi) {
		pr_info("asi_bench: no test domain: transitions not measured\n");
		goto out;
	}
	for (b = 0; b < BATCHES; b++) {
		preempt_disable();
		t = bench_cycles();
		for (i = 0; i < ITERS; i++) {
			asi_enter(asi);
			asi_exit();
		}
		enter_exit[b] = bench_cycles() - t;

		asi_enter(asi);
		t = bench_cycles();
		for (i = 0; i < ITERS; i++) {
			asi_relax();
			asi_enter(asi);
		}
		relax[b] = bench_cycles() - t;
		asi_exit();

		local_irq_save(flags);
		/* As the core builds it: no PCID (slot -1) where the CPU has none. */
		slot = asi_arch_has_pcid() ? asi_arch_asid_slot(mm) : -1;
		value = asi_arch_cr3(mm->pgd, slot, ASI_NORMAL_SPACE,
				     slot >= 0);
		t = bench_cycles();
		for (i = 0; i < ITERS; i++) {
			asi_arch_write_cr3(value);
			asi_arch_write_cr3(value);
		}
		cr3[b] = bench_cycles() - t;
		local_irq_restore(flags);
		preempt_enable();
	}
	report("enter_exit", enter_exit, ITERS, "cycles");
	report("relax_reenter", relax, ITERS, "cycles");
	report("cr3_write_pair", cr3, ITERS, "cycles");
out:
	if (mm)
		mm_done(mm, park);
}
#else
static void bench_transitions(struct mm_struct *park)
{
	pr_info("asi_bench: ASI not built: transitions not measured\n");
}
#endif

/*
 * An mm's life: mm_alloc() to the last mmput(), with no domain, one, and
 * one of every registered class; and the teardown alone, which the exit
 * path pays (asi_destroy_mm_state() in __mmdrop()).
 */
static void bench_mm(struct mm_struct *park)
{
	static const struct {
		const char *life, *teardown;
		unsigned long classes;
	} kinds[] = {
		{ "mm_life_no_domain", "mm_teardown_no_domain", 0 },
		{ "mm_life_one_domain", "mm_teardown_one_domain",
		  BIT(ASI_CLASS_TEST) },
		{ "mm_life_all_classes", "mm_teardown_all_classes", ~0UL },
	};
	u64 life[BATCHES], teardown[BATCHES], t;
	struct mm_struct *mm;
	struct asi *asi;
	int k, b, i;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (b = 0; b < BATCHES; b++) {
			teardown[b] = 0;
			t = bench_cycles();
			for (i = 0; i < MM_ITERS; i++) {
				mm = mm_with(kinds[k].classes, &asi);
				if (!mm)
					break;
				teardown[b] += mm_done(mm, park);
			}
			life[b] = bench_cycles() - t;
		}
		report(kinds[k].life, life, MM_ITERS, "cycles");
		report(kinds[k].teardown, teardown, MM_ITERS, "cycles");
	}
}

static DECLARE_COMPLETION(bench_done);

static int bench_thread(void *unused)
{
	struct mm_struct *park = mm_alloc();

	pr_info("asi_bench: start (ASI %s)\n", asi_enabled() ? "on" : "off");
	if (park) {
		bench_transitions(park);
		bench_mm(park);
		mmput(park);
	}
	pr_info("asi_bench: done\n");
	complete(&bench_done);
	return 0;
}

static const struct asi_class_ops bench_ops = {
	.name = "bench",
};

/*
 * After the clients' classes are registered; before init runs.  The
 * test class is the bench's for the run: a bench boot runs no KUnit
 * suite (kunit.enable=0), whose suites register it too.
 */
static int __init asi_bench_run(void)
{
	bool registered;

	if (!bench)
		return 0;
	registered = asi_enabled() &&
		     !asi_register_class(ASI_CLASS_TEST, &bench_ops);
	kthread_run(bench_thread, NULL, "asi_bench");
	wait_for_completion(&bench_done);
	if (registered)
		asi_unregister_class(ASI_CLASS_TEST);
	return 0;
}
late_initcall_sync(asi_bench_run);
