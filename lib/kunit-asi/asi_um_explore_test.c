// SPDX-License-Identifier: GPL-2.0
/*
 * UML only: bounded exhaustive exploration of the core under the TLB model.
 *
 * Every sequence of up to EXPLORE_LEN operations from the list below runs
 * from the same start, under each combination of PCIDs and INVPCID, and
 * after every step each address space of the loaded mm (the normal one and
 * its three domains) accesses the user page and two kernel pages, one of
 * them the page the sensitive operation toggles; at the end of a sequence
 * the other mm is loaded and checked the same way.  The model checks each
 * access against the page tables, so any stale TLB or paging-structure
 * cache entry the core left behind is a report.  A failing sequence is
 * printed as its operation names.
 *
 * What is modelled: two mms A and B, each with a domain of every class
 * and one user page; the case's kthread switches between them with
 * kthread_unuse_mm()/kthread_use_mm(), which is the mm switch of a
 * context switch as the model sees it (switch_mm()).  A user page is
 * edited (another frame, then unmapped, then mapped again) by writing
 * the PTE and flushing through flush_tlb_page(), as the kernel's mm code
 * does, for the loaded mm and for the other one.  Handing the ASID slot
 * to a new mm runs six other mms through the slots.
 *
 * Only sequences of exactly the full length run: the check after every
 * step covers each shorter prefix.  Pruning: the two mms are symmetric
 * (the operations name "the loaded" and "the other" mm), and so are the
 * classes but for their hooks and registration, so classes are entered in
 * first-use order; steps that cannot change anything (an exit while
 * outside, entering the domain the CPU is in) are left out; and tearing
 * an mm down, which makes a host process for the new mm under UML and
 * costs more than all other steps together, is only the last step (the
 * final check then loads the new mm).  That leaves 5,052 sequences of 4
 * under each feature set with PCIDs, and 602 of 3 under each without
 * (every CR3 write flushes then, and the core never uses INVPCID, so the
 * two PCIDs-off runs differ only in that the model would report any
 * INVPCID as illegal): 11,308 in all, 1 to 2.5 s of UML time on the
 * 2-core machines here, most of it the 1,204 teardowns (a host process
 * made and killed for each, at the host's speed).
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mm_types.h>
#include <linux/kthread.h>
#include <linux/preempt.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <asm/tlbflush.h>

#include "asi_kunit.h"

#define USER_ADDR	0x10000000UL
#define LONG_RANGE	40
#define EXPLORE_LEN	4
#define NR_CLASSES	3
#define NR_FILLERS	ASI_ARCH_NR_ASID_SLOTS

enum op {
	OP_ENTER0, OP_ENTER1, OP_ENTER2,
	OP_EXIT,
	OP_SWITCH_MM,
	OP_EDIT_LOADED, OP_EDIT_OTHER,
	OP_FLUSH_LONG,
	OP_FLUSH_KERNEL,
	OP_SENSITIVE,
	OP_SLOT_TO_NEW_MM,
	OP_TEARDOWN_OTHER,
	NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"enter(class 0)", "enter(class 1)", "enter(class 2)", "exit",
	"switch mm", "edit user page (loaded)", "edit user page (other)",
	"flush long range", "flush kernel range", "alloc/free sensitive",
	"slot to new mm", "tear other mm down",
};

static const enum asi_class_id classes[NR_CLASSES] = {
	ASI_CLASS_TEST, ASI_CLASS_USERSPACE, ASI_CLASS_KVM,
};

struct xmm {
	struct mm_struct *mm;
	struct asi *asi[NR_CLASSES];
	struct vm_area_struct *vma;
	struct page *frame[2];
	/* Which frame the PTE maps: 0 or 1, or -1 for none. */
	int mapped;
};

struct explorer {
	struct kunit *test;
	struct xmm mms[2];
	unsigned int cur;
	int inside;
	struct mm_struct *fillers[NR_FILLERS];
	struct page *kpages;	/* order 1: the sensitive page, its neighbour */
	bool sensitive;
	bool registered[NR_CLASSES];
	unsigned long sequences;
	unsigned long reports_before;
	bool failed;
	char report[192];
	enum op seq[EXPLORE_LEN];
	unsigned int len;
};

static const struct asi_class_ops explore_ops = { .name = "um-explore" };

static void xmm_create(struct explorer *x, struct xmm *m)
{
	struct kunit *test = x->test;
	unsigned long addr;
	spinlock_t *ptl;	/* the PTE's */
	pte_t *ptep;
	int i;

	m->mm = asi_kunit_mm_new(test);
	asi_kunit_mm_switch(NULL, m->mm);
	addr = vm_mmap(NULL, USER_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE,
		       0);
	KUNIT_ASSERT_EQ(test, addr, USER_ADDR);
	for (i = 0; i < NR_CLASSES; i++)
		KUNIT_ASSERT_EQ(test, asi_init(m->mm, classes[i], &m->asi[i]),
				0);
	m->vma = vma_lookup(m->mm, USER_ADDR);
	KUNIT_ASSERT_NOT_NULL(test, m->vma);
	ptep = get_locked_pte(m->mm, USER_ADDR, &ptl);
	KUNIT_ASSERT_NOT_NULL(test, ptep);
	m->frame[0] = pte_page(ptep_get(ptep));
	pte_unmap_unlock(ptep, ptl);
	/* Held, so that the PTE may point elsewhere for a while. */
	get_page(m->frame[0]);
	if (!m->frame[1])
		m->frame[1] = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->frame[1]);
	m->mapped = 0;
	asi_kunit_mm_switch(m->mm, NULL);
}

/* Point @m's user PTE at frame @to (-1: none) and flush, as mm code does. */
static void xmm_set_pte(struct xmm *m, int to)
{
	spinlock_t *ptl;	/* the PTE's */
	pte_t *ptep;

	if (m->mapped == to)
		return;
	ptep = get_locked_pte(m->mm, USER_ADDR, &ptl);
	if (to < 0)
		pte_clear(m->mm, USER_ADDR, ptep);
	else
		set_pte_at(m->mm, USER_ADDR, ptep,
			   pfn_pte(page_to_pfn(m->frame[to]), PAGE_SHARED));
	pte_unmap_unlock(ptep, ptl);
	flush_tlb_page(m->vma, USER_ADDR);
	m->mapped = to;
}

/* The PTE back on the mm's own page, then the mm gone. */
static void xmm_destroy(struct xmm *m)
{
	if (!m->mm)
		return;
	xmm_set_pte(m, 0);
	put_page(m->frame[0]);
	asi_kunit_mm_put(m->mm);
	m->mm = NULL;
}

static void switch_to(struct explorer *x, unsigned int to)
{
	asi_exit();
	x->inside = -1;
	if (x->cur == to && current->mm == x->mms[to].mm)
		return;
	if (current->mm)
		asi_kunit_mm_switch(current->mm, NULL);
	asi_kunit_mm_switch(NULL, x->mms[to].mm);
	x->cur = to;
}

/* asi_sensitive_page_alloc() stub: the explorer's sensitive page. */
static struct page *explore_page(gfp_t gfp, unsigned int order)
{
	struct explorer *x = kunit_get_current_test()->priv;

	return x->kpages;
}

static void set_sensitive(struct explorer *x, bool sensitive)
{
	if (x->sensitive == sensitive)
		return;
	if (sensitive) {
		asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	} else {
		get_page(x->kpages);
		asi_free_sensitive_pages(x->kpages, 0);
	}
	x->sensitive = sensitive;
}

static void run_op(struct explorer *x, enum op op)
{
	struct xmm *loaded = &x->mms[x->cur], *other = &x->mms[!x->cur], *m;
	unsigned long k = (unsigned long)page_address(x->kpages);
	int i;

	switch (op) {
	case OP_ENTER0:
	case OP_ENTER1:
	case OP_ENTER2:
		asi_enter(loaded->asi[op - OP_ENTER0]);
		x->inside = op - OP_ENTER0;
		break;
	case OP_EXIT:
		asi_exit();
		x->inside = -1;
		break;
	case OP_SWITCH_MM:
		switch_to(x, !x->cur);
		break;
	case OP_EDIT_LOADED:
	case OP_EDIT_OTHER:
		/*
		 * The page is changed to another frame, then unmapped, then
		 * mapped again: frame 0, 1, none, 0...  The kernel's flush
		 * leaves ASI.
		 */
		x->inside = -1;
		m = op == OP_EDIT_LOADED ? loaded : other;
		xmm_set_pte(m, m->mapped == 0 ? 1 : m->mapped == 1 ? -1 : 0);
		break;
	case OP_FLUSH_LONG:
		x->inside = -1;
		flush_tlb_range(loaded->vma, USER_ADDR,
				USER_ADDR + LONG_RANGE * PAGE_SIZE);
		break;
	case OP_FLUSH_KERNEL:
		flush_tlb_kernel_range(k, k + PAGE_SIZE);
		break;
	case OP_SENSITIVE:
		set_sensitive(x, !x->sensitive);
		break;
	case OP_SLOT_TO_NEW_MM:
		/* Every slot goes round once: both mms lose theirs. */
		for (i = 0; i < NR_FILLERS; i++) {
			asi_kunit_mm_switch(current->mm, NULL);
			asi_kunit_mm_switch(NULL, x->fillers[i]);
		}
		asi_kunit_mm_switch(current->mm, NULL);
		asi_kunit_mm_switch(NULL, loaded->mm);
		x->inside = -1;
		break;
	case OP_TEARDOWN_OTHER:
		x->inside = -1;
		asi_exit();
		asi_kunit_mm_switch(loaded->mm, NULL);
		xmm_destroy(other);
		xmm_create(x, other);
		asi_kunit_mm_switch(NULL, loaded->mm);
		break;
	case NR_OPS:
		break;
	}
}

/* Access the explorer's addresses in the space loaded now. */
static void access_all(struct explorer *x)
{
	unsigned long k = (unsigned long)page_address(x->kpages), pfn;

	asi_um_tlb_access(USER_ADDR, true, &pfn);
	asi_um_tlb_access(k, false, &pfn);
	asi_um_tlb_access(k + PAGE_SIZE, false, &pfn);
}

/*
 * Every address space of the loaded mm looks at every address; then the
 * CPU goes back into the domain it was in.  Entering is what a CPU does
 * anyway, so the check adds no flush the core would not have done.
 */
static void check_loaded(struct explorer *x)
{
	struct xmm *m = &x->mms[x->cur];
	int i;

	preempt_disable();
	asi_exit();
	access_all(x);
	for (i = 0; i < NR_CLASSES; i++) {
		asi_enter(m->asi[i]);
		access_all(x);
		asi_exit();
	}
	if (x->inside >= 0)
		asi_enter(m->asi[x->inside]);
	preempt_enable();
}

static unsigned long reports_now(void)
{
	struct asi_um_tlb_state st;

	asi_um_tlb_get_state(&st);
	return st.reports;
}

static bool reported(struct explorer *x)
{
	if (reports_now() == x->reports_before)
		return false;
	asi_um_tlb_last_report(x->report, sizeof(x->report));
	return true;
}

/* Back to the start: A loaded, outside, pages as set up, TLB empty. */
static void reset(struct explorer *x, bool pcid, bool invpcid)
{
	switch_to(x, 0);
	xmm_set_pte(&x->mms[0], 0);
	xmm_set_pte(&x->mms[1], 0);
	set_sensitive(x, false);
	asi_um_tlb_set_features(true, true);
	asi_um_tlb_invpcid(ASI_UM_INVPCID_ALL_INCL_GLOBAL, 0, 0, false);
	asi_um_tlb_set_features(pcid, invpcid);
}

static void print_failure(struct explorer *x, bool pcid, bool invpcid)
{
	char buf[256];
	int n = 0;
	unsigned int i;

	for (i = 0; i < x->len; i++)
		n += scnprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "",
			       op_names[x->seq[i]]);
	kunit_info(x->test, "PCIDs %s, INVPCID %s: %s\n", pcid ? "on" : "off",
		   invpcid ? "on" : "off", buf);
	kunit_info(x->test, "the model: %s\n", x->report);
}

/* Run one sequence from the start; true if the model reported. */
static bool run_sequence(struct explorer *x, bool pcid, bool invpcid)
{
	unsigned int i;

	reset(x, pcid, invpcid);
	/* Counted from here: reports only say something about this run. */
	asi_um_tlb_expect_reports(true);
	x->reports_before = reports_now();
	check_loaded(x);
	for (i = 0; i < x->len && !reported(x); i++) {
		run_op(x, x->seq[i]);
		check_loaded(x);
	}
	if (!reported(x)) {
		switch_to(x, !x->cur);
		check_loaded(x);
	}
	asi_um_tlb_expect_reports(false);
	x->sequences++;
	return reported(x);
}

/*
 * Is @seq[0..@len) canonical: classes entered in first-use order, no
 * step that cannot change anything (an exit while outside, entering the
 * domain the CPU is in), a teardown only as the last step?
 */
static bool canonical(const enum op *seq, unsigned int len)
{
	unsigned int i, next_class = 0, teardowns = 0;
	int inside = -1;

	for (i = 0; i < len; i++) {
		switch (seq[i]) {
		case OP_ENTER0:
		case OP_ENTER1:
		case OP_ENTER2:
			if (seq[i] - OP_ENTER0 > next_class ||
			    seq[i] - OP_ENTER0 == inside)
				return false;
			if (seq[i] - OP_ENTER0 == next_class)
				next_class++;
			inside = seq[i] - OP_ENTER0;
			break;
		case OP_EXIT:
			if (inside < 0)
				return false;
			inside = -1;
			break;
		case OP_FLUSH_KERNEL:
		case OP_SENSITIVE:
			break;
		case OP_TEARDOWN_OTHER:
			if (teardowns++ || i != len - 1)
				return false;
			fallthrough;
		default:
			inside = -1;
		}
	}
	return true;
}

/*
 * Every canonical sequence of 1 to @max_len operations; stops at the first
 * one the model reports, which is then x->seq.
 */
static bool explore(struct explorer *x, unsigned int max_len, bool pcid,
		    bool invpcid)
{
	unsigned int i;

	for (x->len = max_len; x->len <= max_len; x->len++) {
		memset(x->seq, 0, sizeof(x->seq));
		for (;;) {
			if (canonical(x->seq, x->len) &&
			    run_sequence(x, pcid, invpcid)) {
				x->failed = true;
				return true;
			}
			for (i = x->len; i--; ) {
				if (++x->seq[i] < NR_OPS)
					break;
				x->seq[i] = 0;
			}
			if (i == UINT_MAX)
				break;
		}
	}
	return false;
}

static struct explorer *explorer_setup(struct kunit *test)
{
	struct explorer *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	int i, err;

	KUNIT_ASSERT_NOT_NULL(test, x);
	x->test = test;
	x->inside = -1;
	test->priv = x;
	for (i = 0; i < NR_CLASSES; i++) {
		err = asi_register_class(classes[i], &explore_ops);
		KUNIT_ASSERT_TRUE(test, !err || err == -EBUSY);
		x->registered[i] = !err;
	}
	x->kpages = alloc_pages(GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, x->kpages);
	kunit_activate_static_stub(test, asi_sensitive_page_alloc,
				   explore_page);
	kunit_activate_static_stub(test, asi_block_alloc,
				   asi_kunit_decline_block);
	/*
	 * Split the direct map there once, as some earlier allocation
	 * would have: otherwise every carve-out splits the normal side,
	 * and CPA's flush_tlb_all() hides what the core leaves stale.
	 */
	set_sensitive(x, true);
	set_sensitive(x, false);
	for (i = 0; i < NR_FILLERS; i++)
		x->fillers[i] = asi_kunit_mm_new(test);
	xmm_create(x, &x->mms[0]);
	xmm_create(x, &x->mms[1]);
	asi_kunit_mm_switch(NULL, x->mms[0].mm);
	return x;
}

static void explorer_teardown(struct explorer *x)
{
	int i;

	reset(x, true, true);
	asi_exit();
	asi_kunit_mm_switch(current->mm, NULL);
	asi_kunit_mm_use(x->mms[1].mm);
	asi_kunit_mm_unuse(x->mms[1].mm);
	for (i = 0; i < 2; i++) {
		xmm_destroy(&x->mms[i]);
		__free_page(x->mms[i].frame[1]);
	}
	for (i = 0; i < NR_FILLERS; i++)
		asi_kunit_mm_put(x->fillers[i]);
	kunit_deactivate_static_stub(x->test, asi_block_alloc);
	kunit_deactivate_static_stub(x->test, asi_sensitive_page_alloc);
	__free_pages(x->kpages, 1);
	for (i = 0; i < NR_CLASSES; i++) {
		if (x->registered[i])
			KUNIT_EXPECT_EQ(x->test,
					asi_unregister_class(classes[i]), 0);
	}
}

/* The four CPU feature sets, and how long the sequences are under each. */
static const struct {
	bool pcid, invpcid;
	unsigned int len;
} features[] = {
	{ true, true, EXPLORE_LEN },
	{ true, false, EXPLORE_LEN },
	/*
	 * Without PCIDs every CR3 write flushes all but global entries, and
	 * the core never uses INVPCID: one step shorter there covers what
	 * can go stale, and keeps the suites under 2 s of UML time.
	 */
	{ false, true, EXPLORE_LEN - 1 },
	{ false, false, EXPLORE_LEN - 1 },
};

/* A correct core: no sequence leaves anything stale. */
static void explore_stays_clean(struct kunit *test)
{
	struct explorer *x = explorer_setup(test);
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(features) && !x->failed; f++) {
		if (explore(x, features[f].len, features[f].pcid,
			    features[f].invpcid)) {
			print_failure(x, features[f].pcid, features[f].invpcid);
			KUNIT_FAIL(test, "the model reported a stale translation");
		}
	}
	kunit_info(test, "%lu sequences\n", x->sequences);
	explorer_teardown(x);
}

static void skip_slot(unsigned int slot)
{
}

static void skip_kernel_tables(void)
{
}

struct omission {
	const char *name;
	void (*stub)(struct kunit *test);
	void *seam;
};

static void stub_invalidate_slot(struct kunit *test)
{
	kunit_activate_static_stub(test, asi_slot_mark_stale, skip_slot);
}

static void stub_kernel_tables(struct kunit *test)
{
	kunit_activate_static_stub(test, asi_kernel_tables_catch_up,
				   skip_kernel_tables);
}

static const struct omission omissions[] = {
	{ "asi_slot_mark_stale", stub_invalidate_slot, asi_slot_mark_stale },
	{ "asi_kernel_tables_catch_up", stub_kernel_tables,
	  asi_kernel_tables_catch_up },
};

KUNIT_ARRAY_PARAM_DESC(omissions, omissions, name);

/*
 * One flush of the core left out: the explorer must find a sequence that
 * shows it, with PCIDs and INVPCID, and print it.
 */
static void broken_explorer_finds_a_sequence(struct kunit *test)
{
	const struct omission *o = test->param_value;
	struct explorer *x = explorer_setup(test);
	bool found;

	o->stub(test);
	found = explore(x, EXPLORE_LEN, true, true);
	kunit_deactivate_static_stub(test, o->seam);
	if (found)
		print_failure(x, true, true);
	explorer_teardown(x);
	KUNIT_EXPECT_TRUE_MSG(test, found, "no sequence of %d shows it",
			      EXPLORE_LEN);
}

static void explore_case_exit(struct kunit *test)
{
	asi_um_tlb_expect_reports(false);
	asi_kunit_case_exit(test);
}

/*
 * explore_stays_clean takes a second or two: most of it is the host
 * processes of the mms the teardowns make and end.  Marked slow, as KUnit
 * asks of a case over a second; make kunit runs the slow cases in a
 * kernel of their own beside the others (tools/asi/kunit-run.sh).
 */
static struct kunit_case asi_um_explore_cases[] = {
	KUNIT_CASE_SLOW(explore_stays_clean),
	KUNIT_CASE_PARAM(broken_explorer_finds_a_sequence,
			 omissions_gen_params),
	{}
};

static struct kunit_suite asi_um_explore_suite = {
	.name = "asi_um_explore",
	.suite_init = asi_kunit_backend_suite_init,
	.suite_exit = asi_kunit_backend_suite_exit,
	.init = asi_kunit_backend_case_init,
	.exit = explore_case_exit,
	.test_cases = asi_um_explore_cases,
};

kunit_test_suites(&asi_um_explore_suite);
