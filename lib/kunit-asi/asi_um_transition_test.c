// SPDX-License-Identifier: GPL-2.0
/*
 * UML only: the transition mechanism under the model's speculation
 * checks.
 *
 * The modelled CPU knows, on its own, what its state may hold: kernel
 * data in its caches and buffers after it ran in the normal address
 * space, predictor state an untrusted context trained.  It fails a case
 * when an untrusted context runs unrestricted, or with kernel data its
 * class's policy flushes still there, or when kernel code runs
 * unrestricted with predictor state the policy flushes still trained.
 *
 * broken_transition_is_reported leaves out each flush, the re-entry,
 * and each place where the core owes or pays flushes around an untrusted
 * run, and asserts the model says so.  The
 * exploration runs every sequence of EXPLORE_LEN transitions (enter
 * either of two domains, relax, exit, an interrupt that touches nothing,
 * one that touches sensitive memory, an NMI inside an interrupt that
 * does, a fault of the critical section's own code, an untrusted run
 * alone or with an NMI touching sensitive memory just before it runs or
 * just after it ran) and after every step checks the restricted state
 * against the critical-section rule, the hooks paired, the interrupt
 * depth back at zero, no flush the model finds needless (but those the
 * NMIs of the untrusted window cost), and no report of the model.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/bitops.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/string.h>

#include "asi_kunit.h"

static const struct asi_class_ops guest_ops = {
	.name = "um-guest",
	.post_enter = asi_kunit_count_post_enter,
	.pre_exit = asi_kunit_count_pre_exit,
	.flush_data = ASI_FLUSH_DATA,
	.flush_control = ASI_FLUSH_CONTROL,
};

static const struct asi_class_ops user_ops = {
	.name = "um-user",
	.post_enter = asi_kunit_count_post_enter,
	.pre_exit = asi_kunit_count_pre_exit,
	.flush_data = ASI_FLUSH_BUFFERS,
	.flush_control = ASI_FLUSH_RSB,
};

static int um_transition_suite_init(struct kunit_suite *suite)
{
	return asi_kunit_register_own_classes(&guest_ops, &user_ops);
}

static struct asi_um_tlb_state tlb_state(void)
{
	struct asi_um_tlb_state st;

	asi_um_tlb_get_state(&st);
	return st;
}

/* An interrupt (and, if @nmi, an NMI inside it) that may read @p. */
static u64 interrupt(const u64 *p, bool nmi)
{
	u64 v = 0;

	asi_intr_enter();
	if (nmi)
		asi_intr_enter();
	if (p)
		v = asi_kunit_read_kernel(p);
	if (nmi)
		asi_intr_exit();
	asi_intr_exit();
	return v;
}

/* Where an NMI lands in an untrusted run (see untrusted_run()). */
enum nmi_at { NMI_NOWHERE, NMI_BEFORE_RUN, NMI_AFTER_RUN };

/*
 * An untrusted run as a client makes it, with an interrupt touching @p
 * (an NMI: the client runs with interrupts off) just before the
 * untrusted context runs or just after it ran.  Interrupts disabled.
 */
static void untrusted_run(const u64 *p, enum nmi_at nmi)
{
	asi_before_untrusted();
	if (nmi == NMI_BEFORE_RUN)
		interrupt(p, false);
	asi_um_tlb_run_untrusted();
	if (nmi == NMI_AFTER_RUN)
		interrupt(p, false);
	asi_after_untrusted();
}

/*
 * Bring what the CPU owes in line with what the model holds, after a
 * case left a flush out on purpose: an untrusted run of the class that
 * flushes everything (the model may still report the omission's leftover
 * there) and back out, which owes every data flush and no control one on
 * both sides.  Interrupts disabled.
 */
static void settle(struct asi *guest)
{
	asi_um_tlb_expect_reports(true);
	asi_enter(guest);
	untrusted_run(NULL, NMI_NOWHERE);
	asi_exit();
	asi_um_tlb_expect_reports(false);
}

/* ---- one flush, or the re-entry, left out --------------------------- */

static unsigned int omitted;

static void flush_but_omitted(unsigned int flush, enum asi_class_id class_id)
{
	if (flush != omitted)
		asi_arch_flush(flush);
}

static void no_reentry(void)
{
}

static void no_control_owed(struct asi *asi)
{
}

static void no_data_on_reentry(struct asi *asi)
{
}

/* The core's seam a case leaves out. */
enum omitted_seam {
	SEAM_FLUSH,		/* one kind of asi_flush_cpu() */
	SEAM_REENTER,		/* asi_reenter() */
	SEAM_OWE_CONTROL,	/* asi_owe_control() */
	SEAM_REENTRY_DATA,	/* asi_reentry_pays_data() */
};

enum omission_scenario {
	UNTRUSTED_THEN_EXIT,
	FAULT_THEN_UNTRUSTED,
	INTERRUPT_THEN_UNTRUSTED,
	NMI_BEFORE_RUN_THEN_EXIT,
	NMI_AFTER_RUN_THEN_EXIT,
};

struct omission {
	const char *name;
	enum omitted_seam seam;
	unsigned int flush;	/* for SEAM_FLUSH */
	enum omission_scenario scenario;
	const char *what;
};

static const struct omission omissions[] = {
	{ "L1D flush", SEAM_FLUSH, ASI_FLUSH_L1D, UNTRUSTED_THEN_EXIT,
	  "kernel data in l1d not flushed" },
	{ "CPU buffer clear", SEAM_FLUSH, ASI_FLUSH_BUFFERS,
	  UNTRUSTED_THEN_EXIT, "kernel data in buffers not flushed" },
	{ "IBPB", SEAM_FLUSH, ASI_FLUSH_IBPB, UNTRUSTED_THEN_EXIT,
	  "context with ibpb not flushed" },
	{ "RSB fill", SEAM_FLUSH, ASI_FLUSH_RSB, UNTRUSTED_THEN_EXIT,
	  "context with rsb not flushed" },
	{ "re-entry after a fault", SEAM_REENTER, 0, FAULT_THEN_UNTRUSTED,
	  "runs in the normal address space" },
	{ "re-entry on an interrupt's return", SEAM_REENTER, 0,
	  INTERRUPT_THEN_UNTRUSTED, "runs in the normal address space" },
	{ "control flushes owed after an untrusted run", SEAM_OWE_CONTROL, 0,
	  UNTRUSTED_THEN_EXIT, "context with ibpb+rsb not flushed" },
	{ "control flushes owed by an NMI's exit after the run",
	  SEAM_OWE_CONTROL, 0, NMI_AFTER_RUN_THEN_EXIT,
	  "context with ibpb+rsb not flushed" },
	{ "data flushes on an NMI's re-entry before the run",
	  SEAM_REENTRY_DATA, 0, NMI_BEFORE_RUN_THEN_EXIT,
	  "kernel data in l1d+buffers not flushed" },
};

KUNIT_ARRAY_PARAM_DESC(omissions, omissions, name);

/* Stub out the omission's seam; return it, for deactivating. */
static void *omit(struct kunit *test, const struct omission *o)
{
	switch (o->seam) {
	case SEAM_FLUSH:
		omitted = o->flush;
		kunit_activate_static_stub(test, asi_flush_cpu,
					   flush_but_omitted);
		return asi_flush_cpu;
	case SEAM_REENTER:
		kunit_activate_static_stub(test, asi_reenter, no_reentry);
		return asi_reenter;
	case SEAM_OWE_CONTROL:
		kunit_activate_static_stub(test, asi_owe_control,
					   no_control_owed);
		return asi_owe_control;
	case SEAM_REENTRY_DATA:
		kunit_activate_static_stub(test, asi_reentry_pays_data,
					   no_data_on_reentry);
		return asi_reentry_pays_data;
	}
	return NULL;
}

/*
 * The omission left out, the scenario that needs it: the model must
 * report, once, naming what was not done.
 */
static void broken_transition_is_reported(struct kunit *test)
{
	const struct omission *o = test->param_value;
	struct page *page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	unsigned long reports;
	struct mm_struct *mm;
	bool restricted;
	char last[192];
	struct asi *asi;
	void *seam;

	KUNIT_ASSERT_NOT_NULL(test, page);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	seam = omit(test, o);
	preempt_disable();
	/* Start from unrestricted code, with nothing trained. */
	asi_enter(asi);
	asi_exit();
	reports = tlb_state().reports;
	asi_um_tlb_expect_reports(true);
	asi_enter(asi);
	switch (o->scenario) {
	case UNTRUSTED_THEN_EXIT:
		asi_kunit_run_untrusted();
		break;
	case FAULT_THEN_UNTRUSTED:
		asi_kunit_read_kernel(page_address(page));
		asi_kunit_run_untrusted();
		break;
	case INTERRUPT_THEN_UNTRUSTED:
		local_irq_disable();
		interrupt(page_address(page), false);
		restricted = asi_is_restricted();
		local_irq_enable();
		KUNIT_EXPECT_FALSE(test, restricted);
		asi_kunit_run_untrusted();
		break;
	case NMI_BEFORE_RUN_THEN_EXIT:
	case NMI_AFTER_RUN_THEN_EXIT:
		local_irq_disable();
		untrusted_run(page_address(page),
			      o->scenario == NMI_BEFORE_RUN_THEN_EXIT ?
			      NMI_BEFORE_RUN : NMI_AFTER_RUN);
		local_irq_enable();
		break;
	}
	asi_exit();
	asi_um_tlb_expect_reports(false);
	kunit_deactivate_static_stub(test, seam);
	asi_um_tlb_last_report(last, sizeof(last));
	KUNIT_EXPECT_EQ(test, tlb_state().reports - reports, 1);
	local_irq_disable();
	settle(asi);
	local_irq_enable();
	preempt_enable();
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(last, o->what),
				  "the model said: %s", last);
	asi_kunit_mm_release(mm);
	asi_free_sensitive_pages(page, 0);
}

/* ---- bounded exploration -------------------------------------------- */

#define EXPLORE_LEN	4

enum op {
	OP_ENTER_GUEST, OP_ENTER_USER, OP_RELAX, OP_EXIT, OP_IRQ,
	OP_IRQ_SENSITIVE, OP_NMI_SENSITIVE, OP_FAULT, OP_UNTRUSTED,
	OP_UNTRUSTED_NMI_BEFORE, OP_UNTRUSTED_NMI_AFTER, NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"enter(guest)", "enter(user)", "relax", "exit", "interrupt",
	"interrupt touching sensitive", "NMI in an interrupt touching sensitive",
	"fault in the section", "run untrusted",
	"run untrusted, an NMI touching sensitive before it runs",
	"run untrusted, an NMI touching sensitive after it ran",
};

struct explorer {
	struct kunit *test;
	struct asi *domain[2];
	const u64 *secret;
	/* What the critical-section rule says: the section, the CPU's. */
	struct asi *section, *restricted;
	enum op seq[EXPLORE_LEN];
	unsigned int failed_len;
	unsigned long needless;
	/* Needless flushes the NMIs of the untrusted window may cause. */
	unsigned int excused;
	unsigned long reports;
	char failure[160];
};

/* One step, on the CPU and on the rule. */
static void step(struct explorer *x, enum op op)
{
	switch (op) {
	case OP_ENTER_GUEST:
	case OP_ENTER_USER:
		asi_enter(x->domain[op - OP_ENTER_GUEST]);
		x->section = x->domain[op - OP_ENTER_GUEST];
		x->restricted = x->section;
		break;
	case OP_RELAX:
		asi_relax();
		x->section = NULL;
		break;
	case OP_EXIT:
		asi_exit();
		x->section = NULL;
		x->restricted = NULL;
		break;
	case OP_IRQ:
	case OP_IRQ_SENSITIVE:
	case OP_NMI_SENSITIVE:
		interrupt(op == OP_IRQ ? NULL : x->secret,
			  op == OP_NMI_SENSITIVE);
		/* Back in only if it interrupted the section restricted. */
		if (op != OP_IRQ && !(x->restricted && x->section))
			x->restricted = NULL;
		break;
	case OP_FAULT:
		asi_kunit_read_kernel(x->secret);
		x->restricted = NULL;
		break;
	case OP_UNTRUSTED:
	case OP_UNTRUSTED_NMI_BEFORE:
	case OP_UNTRUSTED_NMI_AFTER:
		untrusted_run(x->secret, op == OP_UNTRUSTED ? NMI_NOWHERE :
			      op == OP_UNTRUSTED_NMI_BEFORE ? NMI_BEFORE_RUN :
			      NMI_AFTER_RUN);
		x->restricted = x->section;
		/*
		 * The NMI's exit cannot know whether the untrusted context
		 * ran yet, and pays the control flushes either way: before
		 * the run that one is needless (the model counts it), after
		 * it the ones the next exit pays are.  Those, no more.
		 */
		if (op != OP_UNTRUSTED)
			x->excused += hweight32(asi_class_ops(x->section->class_id)->flush_control);
		break;
	case NR_OPS:
		break;
	}
}

/* The invariants after a step; false with x->failure set if one broke. */
static bool check(struct explorer *x)
{
	struct asi_um_tlb_state st = tlb_state();
	struct asi *curr = asi_get_current();

	if (curr != x->restricted) {
		snprintf(x->failure, sizeof(x->failure),
			 "restricted in %s, the rule says %s",
			 curr ? asi_class_ops(curr->class_id)->name : "none",
			 x->restricted ?
			 asi_class_ops(x->restricted->class_id)->name : "none");
		return false;
	}
	if (asi_kunit_hooks.post_enter - asi_kunit_hooks.pre_exit != !!curr) {
		snprintf(x->failure, sizeof(x->failure),
			 "%d post_enter and %d pre_exit calls while %s",
			 asi_kunit_hooks.post_enter, asi_kunit_hooks.pre_exit,
			 curr ? "inside" : "outside");
		return false;
	}
	if (st.needless_flushes - x->needless > x->excused) {
		snprintf(x->failure, sizeof(x->failure),
			 "a flush of state holding nothing to flush");
		return false;
	}
	x->excused -= st.needless_flushes - x->needless;
	x->needless = st.needless_flushes;
	if (st.reports != x->reports) {
		asi_um_tlb_last_report(x->failure, sizeof(x->failure));
		return false;
	}
	if (asi_intr_depth()) {
		snprintf(x->failure, sizeof(x->failure),
			 "interrupt depth %u after the step", asi_intr_depth());
		return false;
	}
	return true;
}

static void print_sequence(struct explorer *x, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		kunit_err(x->test, "  step %u: %s\n", i + 1,
			  op_names[x->seq[i]]);
}

/* Every sequence; false at the first that breaks an invariant. */
static bool explore(struct explorer *x, unsigned long *sequences)
{
	unsigned long code, n = 1;
	unsigned int i;

	for (i = 0; i < EXPLORE_LEN; i++)
		n *= NR_OPS;
	for (code = 0; code < n; code++) {
		unsigned long c = code;
		bool section = false;

		for (i = 0; i < EXPLORE_LEN; i++, c /= NR_OPS) {
			x->seq[i] = c % NR_OPS;
			/* Untrusted code runs in critical sections only. */
			if (x->seq[i] >= OP_UNTRUSTED && !section)
				break;
			if (x->seq[i] <= OP_ENTER_USER)
				section = true;
			else if (x->seq[i] == OP_RELAX ||
				 x->seq[i] == OP_EXIT)
				section = false;
		}
		if (i < EXPLORE_LEN)
			continue;

		/*
		 * The same start: unrestricted, no section, hooks paired.
		 * The exit is a step of the sequences that have it: what it
		 * flushes here counts for nothing.
		 */
		asi_exit();
		x->section = NULL;
		x->restricted = NULL;
		x->needless = tlb_state().needless_flushes;
		x->excused = 0;
		for (i = 0; i < EXPLORE_LEN; i++) {
			step(x, x->seq[i]);
			if (!check(x)) {
				x->failed_len = i + 1;
				return false;
			}
		}
		(*sequences)++;
	}
	asi_exit();
	return true;
}

static void transitions_explored(struct kunit *test)
{
	struct page *page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	struct explorer x = { .test = test };
	unsigned long sequences = 0;
	struct mm_struct *mm;
	bool ok;

	KUNIT_ASSERT_NOT_NULL(test, page);
	x.secret = page_address(page);
	mm = asi_kunit_mm_with_test_domain(test, &x.domain[0]);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_USERSPACE, &x.domain[1]),
			0);
	preempt_disable();
	/* Real interrupts would step in the middle: only the modelled ones. */
	local_irq_disable();
	settle(x.domain[0]);
	memset(&asi_kunit_hooks, 0, sizeof(asi_kunit_hooks));
	x.needless = tlb_state().needless_flushes;
	x.reports = tlb_state().reports;
	ok = explore(&x, &sequences);
	local_irq_enable();
	preempt_enable();
	if (!ok)
		print_sequence(&x, x.failed_len);
	KUNIT_EXPECT_TRUE_MSG(test, ok, "%s", x.failure);
	kunit_info(test, "%lu sequences of %u transitions\n", sequences,
		   EXPLORE_LEN);
	asi_kunit_mm_release(mm);
	asi_free_sensitive_pages(page, 0);
}

static struct kunit_case asi_um_transition_cases[] = {
	KUNIT_CASE_PARAM(broken_transition_is_reported,
			 omissions_gen_params),
	KUNIT_CASE(transitions_explored),
	{}
};

static struct kunit_suite asi_um_transition_suite = {
	.name = "asi_um_transitions",
	.suite_init = um_transition_suite_init,
	.suite_exit = asi_kunit_unregister_own_classes,
	.init = asi_kunit_backend_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_um_transition_cases,
};

kunit_test_suites(&asi_um_transition_suite);
