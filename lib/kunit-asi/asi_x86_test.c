// SPDX-License-Identifier: GPL-2.0
/*
 * x86 only: the hardware view.  CR3 read back, faults taken inside a
 * restricted address space, interrupts while restricted (asi_x86), and
 * what other CPUs do to a CPU that sits inside a domain (asi_x86_smp).
 */

#include <kunit/test.h>
#include <linux/asi.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/hw_breakpoint.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_context.h>
#include <linux/pgtable.h>
#include <linux/preempt.h>
#include <linux/sched/mm.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/tlbflush.h>
#include <trace/events/asi.h>

#include "asi_kunit.h"

static unsigned long fault_exits(struct kunit *test)
{
	struct asi_class_stats s;

	KUNIT_EXPECT_EQ(test, asi_get_class_stats(ASI_CLASS_TEST, &s), 0);
	return s.fault_exits;
}

/*
 * CR3 holds the domain's page table (and PCID) inside, the mm's outside;
 * x86_pcid_enter_exit checks the PCIDs where the CPU has them.
 */
static void x86_cr3_enter_exit(struct kunit *test)
{
	unsigned long cr3, want;
	struct mm_struct *mm;
	struct asi *asi;
	u16 slot;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	preempt_disable();
	slot = this_cpu_read(cpu_tlbstate.loaded_mm_asid);
	asi_enter(asi);
	cr3 = __read_cr3();
	want = __sme_pa(asi->pgd);
	if (boot_cpu_has(X86_FEATURE_PCID))
		want |= (slot + 1) | ((ASI_CLASS_TEST + 1) << 8);
	KUNIT_EXPECT_EQ(test, cr3, want);
	asi_exit();
	cr3 = __read_cr3();
	want = __sme_pa(mm->pgd);
	if (boot_cpu_has(X86_FEATURE_PCID))
		want |= slot + 1;
	KUNIT_EXPECT_EQ(test, cr3, want);
	preempt_enable();
	asi_kunit_mm_release(mm);
}

/* Non-sensitive kernel memory is mapped: reading it stays restricted. */
static void x86_nonsensitive_read_stays(struct kunit *test)
{
	unsigned long before;
	struct mm_struct *mm;
	struct asi *asi;
	int *p, v;

	p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	*p = 0x5a5a;
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	before = fault_exits(test);
	preempt_disable();
	asi_enter(asi);
	v = READ_ONCE(*p);
	KUNIT_EXPECT_TRUE(test, asi_is_restricted());
	asi_exit();
	preempt_enable();
	KUNIT_EXPECT_EQ(test, v, 0x5a5a);
	KUNIT_EXPECT_EQ(test, fault_exits(test), before);
	asi_kunit_mm_release(mm);
}

/*
 * The restricted page table maps no user memory: a user read from inside
 * faults, leaves ASI, and is retried with the right result.
 */
static void x86_user_read_faults_out(struct kunit *test)
{
	unsigned long addr, before, left;
	struct mm_struct *mm;
	struct asi *asi;
	u32 v = 0;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	KUNIT_ASSERT_EQ(test, put_user(0xabcd1234U, (u32 __user *)addr), 0);

	before = fault_exits(test);
	preempt_disable();
	pagefault_disable();
	asi_enter(asi);
	left = __copy_from_user_inatomic(&v, (void __user *)addr, sizeof(v));
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	pagefault_enable();
	preempt_enable();
	KUNIT_EXPECT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, v, 0xabcd1234U);
	KUNIT_EXPECT_EQ(test, fault_exits(test) - before, 1);
	asi_kunit_mm_release(mm);
}

static bool direct_map_global(void *addr)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)addr, &level);

	return pte && (pte_flags(*pte) & _PAGE_GLOBAL);
}

/*
 * Sensitive memory is not mapped inside: a read faults, leaves ASI and
 * returns the right value.  Its normal mapping is not global, so no TLB
 * entry can carry it into a restricted space; freeing restores both.
 */
static void x86_sensitive_read_faults_out(struct kunit *test)
{
	unsigned long before;
	struct mm_struct *mm;
	struct page *page;
	struct asi *asi;
	u64 *p, v;
	int i;

	page = asi_alloc_sensitive_pages(GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	p[0] = 0x1122334455667788ULL;
	p[PAGE_SIZE / sizeof(u64)] = 0x99aabbccddeeff00ULL;
	KUNIT_EXPECT_FALSE(test, direct_map_global(p));

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	for (i = 0; i < 2; i++) {
		before = fault_exits(test);
		preempt_disable();
		asi_enter(asi);
		KUNIT_EXPECT_TRUE(test, asi_is_restricted());
		v = READ_ONCE(p[i * PAGE_SIZE / sizeof(u64)]);
		KUNIT_EXPECT_FALSE(test, asi_is_restricted());
		preempt_enable();
		KUNIT_EXPECT_EQ(test, v, i ? 0x99aabbccddeeff00ULL :
					     0x1122334455667788ULL);
		KUNIT_EXPECT_EQ(test, fault_exits(test) - before, 1);
	}
	asi_kunit_mm_release(mm);

	asi_free_sensitive_pages(page, 1);
	KUNIT_EXPECT_TRUE(test, direct_map_global(p));
}

static bool mapped_in(pgd_t *pgd, void *addr)
{
	unsigned int level;
	pte_t *pte = lookup_address_in_pgd(pgd_offset_pgd(pgd, (unsigned long)addr),
					   (unsigned long)addr, &level);

	return pte && pte_present(*pte);
}

/*
 * Every domain's page table, including one created before the allocation,
 * loses the sensitive pages, and has them back once they are freed.
 */
static void x86_sensitive_in_every_domain(struct kunit *test)
{
	struct mm_struct *mm;
	struct page *page;
	struct asi *asi;
	void *p;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	KUNIT_EXPECT_FALSE(test, mapped_in(asi->pgd, p));
	KUNIT_EXPECT_TRUE(test, mapped_in(mm->pgd, p));
	/* Past its block of 2M, which is sensitive whole. */
	KUNIT_EXPECT_TRUE(test, mapped_in(asi->pgd,
					  PTR_ALIGN(p + 1, PMD_SIZE)));
	asi_free_sensitive_pages(page, 0);
	KUNIT_EXPECT_TRUE(test, mapped_in(asi->pgd, p));
	asi_kunit_mm_release(mm);
}

/* Timer interrupts are taken, and return, while restricted. */
static void x86_interrupts_while_restricted(struct kunit *test)
{
	unsigned long start, deadline;
	struct mm_struct *mm;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	preempt_disable();
	asi_enter(asi);
	start = jiffies;
	deadline = start + HZ;
	while (time_before_eq(jiffies, start + 2) && time_before(jiffies, deadline))
		cpu_relax();
	KUNIT_EXPECT_TRUE(test, time_after(jiffies, start + 1));
	asi_exit();
	preempt_enable();
	asi_kunit_mm_release(mm);
}

static struct asi_kunit_exits x86_exits;

/*
 * The kernel's local TLB flush leaves ASI with ASI_EXIT_TLB_FLUSH, and a
 * fault exit records the address, the code that touched it (this
 * function) and the hardware's error code: a kernel read of a page not
 * present, 0.
 */
static noinline void x86_exit_reasons_and_fault_record(struct kunit *test)
{
	char where[KSYM_SYMBOL_LEN];
	struct mm_struct *mm;
	struct page *page;
	struct asi *asi;
	u64 *p, v;

	page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	*p = 0xfa17;
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	asi_kunit_record_exits(test, &x86_exits);
	preempt_disable();
	asi_enter(asi);
	flush_tlb_local();
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	asi_enter(asi);
	v = READ_ONCE(*p);
	KUNIT_EXPECT_FALSE(test, asi_is_restricted());
	preempt_enable();

	KUNIT_EXPECT_EQ(test, v, 0xfa17);
	KUNIT_ASSERT_EQ(test, x86_exits.n, 2);
	KUNIT_EXPECT_EQ(test, x86_exits.reason[0], ASI_EXIT_TLB_FLUSH);
	KUNIT_EXPECT_EQ(test, x86_exits.reason[1], ASI_EXIT_FAULT);
	KUNIT_EXPECT_EQ(test, x86_exits.addr, (unsigned long)p);
	KUNIT_EXPECT_EQ(test, x86_exits.error_code, 0);
	sprint_symbol_no_offset(where, x86_exits.ip);
	KUNIT_EXPECT_STREQ(test, where, "x86_exit_reasons_and_fault_record");
	asi_kunit_mm_release(mm);
	asi_free_sensitive_pages(page, 0);
}

/*
 * Code that reads or assumes CR3 knows about ASI: inside a domain,
 * __get_current_cr3_fast() (which KVM writes into the VMCS as the host's
 * CR3) is the restricted CR3 the hardware holds, without the DEBUG_VM
 * check firing, and nmi_uaccess_okay() says no (a restricted table maps
 * no user memory) without warning; outside, both are as before.
 */
static void x86_cr3_readers_know_asi(struct kunit *test)
{
	unsigned long fast_in, hw_in, fast_out, hw_out;
	bool uaccess_in, uaccess_out;
	struct mm_struct *mm;
	unsigned long flags;
	struct asi *asi;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	preempt_disable();
	local_irq_save(flags);
	asi_enter(asi);
	fast_in = __get_current_cr3_fast();
	hw_in = __read_cr3();
	uaccess_in = nmi_uaccess_okay();
	asi_exit();
	fast_out = __get_current_cr3_fast();
	hw_out = __read_cr3();
	uaccess_out = nmi_uaccess_okay();
	local_irq_restore(flags);
	preempt_enable();

	KUNIT_EXPECT_EQ(test, fast_in, hw_in);
	KUNIT_EXPECT_EQ(test, hw_in & CR3_ADDR_MASK,
			__sme_pa(asi->pgd) & CR3_ADDR_MASK);
	KUNIT_EXPECT_FALSE(test, uaccess_in);
	KUNIT_EXPECT_EQ(test, fast_out, hw_out);
	KUNIT_EXPECT_EQ(test, hw_out & CR3_ADDR_MASK,
			__sme_pa(mm->pgd) & CR3_ADDR_MASK);
	KUNIT_EXPECT_TRUE(test, uaccess_out);
	asi_kunit_mm_release(mm);
}

/*
 * The piece of a large leaf that the template derives keeps every
 * attribute, the memory type included: the PAT bit is bit 12 in a 1G or
 * 2M leaf and bit 7 (where a leaf has PSE) in a 4K page.  The entries are
 * built here and never used to map anything.
 */
static void x86_sub_leaf_keeps_attributes(struct kunit *test)
{
	const pteval_t attrs = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
			       _PAGE_DIRTY | _PAGE_GLOBAL | _PAGE_PWT |
			       (__supported_pte_mask & _PAGE_NX) | _PAGE_ENC;
	const u64 pfn = 1ULL << (PUD_SHIFT - PAGE_SHIFT);
	const u64 pud = (pfn << PAGE_SHIFT) | attrs | _PAGE_PSE |
			_PAGE_PAT_LARGE;
	u64 pmd;

	/* 1G to 2M: the offset is rounded down to the piece. */
	pmd = asi_sub_leaf(pud, 2, 1, 3 * PMD_SIZE + 5 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pmd, ((pfn + 3 * PTRS_PER_PTE) << PAGE_SHIFT) |
			attrs | _PAGE_PSE | _PAGE_PAT_LARGE);
	/* 2M to 4K and 1G to 4K: PSE gone, PAT moved to bit 7. */
	KUNIT_EXPECT_EQ(test, asi_sub_leaf(pmd, 1, 0, 7 * PAGE_SIZE),
			((pfn + 3 * PTRS_PER_PTE + 7) << PAGE_SHIFT) | attrs |
			_PAGE_PAT);
	KUNIT_EXPECT_EQ(test, asi_sub_leaf(pud, 2, 0, PMD_SIZE + PAGE_SIZE),
			((pfn + PTRS_PER_PTE + 1) << PAGE_SHIFT) | attrs |
			_PAGE_PAT);
	KUNIT_EXPECT_EQ(test, asi_sub_leaf(pud & ~_PAGE_PAT_LARGE, 2, 0, 0),
			(pfn << PAGE_SHIFT) | attrs);
}

static struct asi_class_stats test_stats(struct kunit *test);

/*
 * A real NMI-like exception: a write to a watched variable raises #DB,
 * which x86 handles from kernel mode as it does an NMI
 * (irqentry_nmi_enter()); the breakpoint's handler reads a sensitive page.
 */
static struct {
	const u64 *reads;
	u64 value;
	unsigned long hits;
	bool was_restricted;
} nmi_like;

static u64 watched;

static void nmi_like_handler(struct perf_event *bp,
			     struct perf_sample_data *data,
			     struct pt_regs *regs)
{
	nmi_like.was_restricted = asi_is_restricted();
	nmi_like.value = READ_ONCE(*nmi_like.reads);
	nmi_like.hits++;
}

/* An interrupt that takes the #DB, and looks at the CPU after it. */
static struct {
	struct hrtimer timer;
	bool restricted_after, fired;
} db_irq;

static enum hrtimer_restart db_irq_fire(struct hrtimer *timer)
{
	WRITE_ONCE(watched, watched + 1);
	db_irq.restricted_after = asi_is_restricted();
	WRITE_ONCE(db_irq.fired, true);
	return HRTIMER_NORESTART;
}

/*
 * NMI-like exceptions in a critical section, each reading sensitive
 * memory: one taken in the critical section's own code returns into the
 * domain; one taken inside an interrupt returns into the interrupt
 * unrestricted, and the interrupt's return goes back in.  Each is one
 * fault exit and one re-entry.
 */
static void x86_nmi_in_section_reenters(struct kunit *test)
{
	struct asi_class_stats before, mid, after;
	struct perf_event * __percpu *bp;
	struct perf_event_attr attr;
	bool inside, fired, inside2;
	struct mm_struct *mm;
	struct page *page;
	struct asi *asi;
	u64 deadline;

	page = asi_alloc_sensitive_pages(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	*(u64 *)page_address(page) = 0x4a11;
	memset(&nmi_like, 0, sizeof(nmi_like));
	nmi_like.reads = page_address(page);
	hw_breakpoint_init(&attr);
	attr.bp_addr = (unsigned long)&watched;
	attr.bp_len = HW_BREAKPOINT_LEN_8;
	attr.bp_type = HW_BREAKPOINT_W;
	bp = register_wide_hw_breakpoint(&attr, nmi_like_handler, NULL);
	if (IS_ERR((void __force *)bp)) {
		asi_free_sensitive_pages(page, 0);
		kunit_skip(test, "no hardware breakpoint: %ld",
			   PTR_ERR((void __force *)bp));
	}
	mm = asi_kunit_mm_with_test_domain(test, &asi);

	before = test_stats(test);
	preempt_disable();
	asi_enter(asi);
	WRITE_ONCE(watched, watched + 1);
	inside = asi_is_restricted();
	asi_exit();
	preempt_enable();
	mid = test_stats(test);
	if (!nmi_like.hits) {
		/* Bochs without its x86 debugger support, say. */
		unregister_wide_hw_breakpoint(bp);
		asi_kunit_mm_release(mm);
		asi_free_sensitive_pages(page, 0);
		kunit_skip(test, "the CPU raised no #DB for a data breakpoint");
	}
	KUNIT_EXPECT_EQ(test, nmi_like.hits, 1);
	KUNIT_EXPECT_TRUE(test, nmi_like.was_restricted);
	KUNIT_EXPECT_EQ(test, nmi_like.value, 0x4a11);
	KUNIT_EXPECT_TRUE(test, inside);
	KUNIT_EXPECT_EQ(test, mid.fault_exits - before.fault_exits, 1);
	KUNIT_EXPECT_EQ(test, mid.reentries - before.reentries, 1);

	memset(&db_irq, 0, sizeof(db_irq));
	nmi_like.was_restricted = false;
	hrtimer_init(&db_irq.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	db_irq.timer.function = db_irq_fire;
	preempt_disable();
	asi_enter(asi);
	hrtimer_start(&db_irq.timer, ns_to_ktime(20 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	deadline = ktime_get_ns() + NSEC_PER_SEC;
	while (!READ_ONCE(db_irq.fired) && ktime_get_ns() < deadline)
		cpu_relax();
	hrtimer_cancel(&db_irq.timer);
	fired = READ_ONCE(db_irq.fired);
	inside2 = asi_is_restricted();
	asi_exit();
	preempt_enable();
	after = test_stats(test);
	unregister_wide_hw_breakpoint(bp);

	KUNIT_ASSERT_TRUE_MSG(test, fired, "no interrupt within a second");
	KUNIT_EXPECT_EQ(test, nmi_like.hits, 2);
	KUNIT_EXPECT_TRUE(test, nmi_like.was_restricted);
	KUNIT_EXPECT_FALSE(test, db_irq.restricted_after);
	KUNIT_EXPECT_TRUE(test, inside2);
	KUNIT_EXPECT_EQ(test, after.fault_exits - mid.fault_exits, 1);
	KUNIT_EXPECT_EQ(test, after.reentries - mid.reentries, 1);
	asi_kunit_mm_release(mm);
	asi_free_sensitive_pages(page, 0);
}

static struct kunit_case asi_x86_cases[] = {
	KUNIT_CASE(x86_cr3_enter_exit),
	KUNIT_CASE(x86_nonsensitive_read_stays),
	KUNIT_CASE(x86_user_read_faults_out),
	KUNIT_CASE(x86_sensitive_read_faults_out),
	KUNIT_CASE(x86_sensitive_in_every_domain),
	KUNIT_CASE(x86_interrupts_while_restricted),
	KUNIT_CASE(x86_sub_leaf_keeps_attributes),
	KUNIT_CASE(x86_exit_reasons_and_fault_record),
	KUNIT_CASE(x86_cr3_readers_know_asi),
	KUNIT_CASE(x86_nmi_in_section_reenters),
	{}
};

static struct kunit_suite asi_x86_suite = {
	.name = "asi_x86",
	.suite_init = asi_kunit_backend_suite_init,
	.suite_exit = asi_kunit_backend_suite_exit,
	.init = asi_kunit_backend_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_x86_cases,
};

/* ---- other CPUs and PCIDs ---------------------------------------------- */

/*
 * Generous: under emulation a CPU may stall for seconds (QEMU's vCPU
 * threads share the host's cores; a clocksource switch can make jiffies
 * jump), and a remote that gave up fails the case.
 */
#define REMOTE_TIMEOUT	(30 * HZ)

enum remote_cmd {
	REMOTE_ENTER,		/* asi_enter() the domain */
	REMOTE_READ_KERNEL,	/* read the u64 at a kernel address */
	REMOTE_READ_USER,	/* read the u64 at a user address of the mm */
	REMOTE_ENTER_READ,	/* enter, then read at a kernel address */
	REMOTE_READ_NOFAULT,	/* read at a kernel address that may be gone */
	REMOTE_STOP,
};

/*
 * A kthread pinned to another CPU that uses the case's mm and sits inside
 * one of its domains while the case acts on its own CPU.  It spins with
 * preemption off rather than sleeping, as a context switch would leave
 * the domain, and takes interrupts, so that the kernel's TLB flush IPIs
 * reach it there.  One command at a time: the case writes it and bumps
 * @seq, the remote answers by setting @ack to it.
 */
struct remote {
	struct task_struct *task;
	struct mm_struct *mm;
	struct asi *asi;
	int cpu;
	enum remote_cmd cmd;
	unsigned long addr;
	unsigned int seq;
	unsigned int ack;
	bool started;
	bool stopped;
	bool timed_out;
	/* The answer: restricted before and after the command, and so on. */
	bool inside_before;
	bool inside_after;
	u64 value;
	int ret;
	unsigned long cr3;
};

static void remote_run(struct remote *r)
{
	switch (r->cmd) {
	case REMOTE_ENTER:
		asi_enter(r->asi);
		r->ret = 0;
		break;
	case REMOTE_ENTER_READ:
		/* No window for an interrupt between the two commands. */
		asi_enter(r->asi);
		r->inside_before = asi_is_restricted();
		fallthrough;
	case REMOTE_READ_KERNEL:
		/* A fault inside the domain leaves it and is retried. */
		r->value = READ_ONCE(*(u64 *)r->addr);
		r->ret = 0;
		break;
	case REMOTE_READ_NOFAULT:
		r->ret = copy_from_kernel_nofault(&r->value, (void *)r->addr,
						  sizeof(r->value));
		break;
	case REMOTE_READ_USER:
		pagefault_disable();
		r->ret = __copy_from_user_inatomic(&r->value,
						   (void __user *)r->addr,
						   sizeof(r->value)) ? -EFAULT : 0;
		pagefault_enable();
		break;
	case REMOTE_STOP:
		break;
	}
}

/*
 * Let the CPU go when something must run there (stop_machine(), which a
 * clocksource switch uses, waits for every CPU): the context switch takes
 * the remote out of its domain, and it goes back in afterwards, so that
 * the next command finds it where the last one left it.
 */
static void remote_yield(struct remote *r)
{
	bool inside = asi_is_restricted();

	preempt_enable();
	cond_resched();
	preempt_disable();
	if (inside)
		asi_enter(r->asi);
}

static int remote_fn(void *data)
{
	struct remote *r = data;
	unsigned int seen = 0;
	unsigned long deadline;

	r->started = true;
	asi_kunit_mm_use(r->mm);
	preempt_disable();
	for (;;) {
		deadline = jiffies + REMOTE_TIMEOUT;
		/* Acquire: the command and address written before @seq. */
		while (smp_load_acquire(&r->seq) == seen &&
		       time_before(jiffies, deadline)) {
			if (need_resched())
				remote_yield(r);
			cpu_relax();
		}
		/* Acquire, as above: the last look before giving up. */
		if (smp_load_acquire(&r->seq) == seen) {
			WRITE_ONCE(r->timed_out, true);
			break;
		}
		seen = r->seq;
		r->inside_before = asi_is_restricted();
		remote_run(r);
		r->inside_after = asi_is_restricted();
		r->cr3 = __read_cr3();
		/* Release: the answer is written before @ack says so. */
		smp_store_release(&r->ack, seen);
		if (r->cmd == REMOTE_STOP)
			break;
	}
	asi_exit();
	preempt_enable();
	asi_kunit_mm_unuse(r->mm);
	mmput(r->mm);

	/* kthread_stop() wants the thread alive until it is called. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* Have @r carry out @cmd; the command's result, or -ETIMEDOUT. */
static int remote_do(struct kunit *test, struct remote *r,
		     enum remote_cmd cmd, unsigned long addr)
{
	unsigned long deadline = jiffies + REMOTE_TIMEOUT;
	unsigned int seq = r->seq + 1;

	r->cmd = cmd;
	r->addr = addr;
	/* Release: pairs with the remote's acquire of @seq. */
	smp_store_release(&r->seq, seq);
	/* Acquire: pairs with the remote's release of @ack. */
	while (smp_load_acquire(&r->ack) != seq) {
		if (READ_ONCE(r->timed_out) || time_after(jiffies, deadline)) {
			KUNIT_FAIL(test, "CPU %d did not answer command %d",
				   r->cpu, cmd);
			return -ETIMEDOUT;
		}
		usleep_range(20, 50);
	}
	return r->ret;
}

static void remote_stop(void *data)
{
	struct remote *r = data;

	if (r->stopped)
		return;
	r->stopped = true;
	r->cmd = REMOTE_STOP;
	/* Release: pairs with the remote's acquire of @seq. */
	smp_store_release(&r->seq, r->seq + 1);
	kthread_stop(r->task);
	/* A thread stopped before it ran leaves its mm reference here. */
	if (!r->started)
		mmput(r->mm);
	put_task_struct(r->task);
}

/*
 * A remote on the first online CPU after @after, using @mm (the remote
 * takes its own user reference) with @asi to enter.  Stopped when the
 * case ends, also after a failed assertion.
 */
static struct remote *remote_start(struct kunit *test, struct mm_struct *mm,
				   struct asi *asi, int after)
{
	struct remote *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->cpu = cpumask_next_wrap(after, cpu_online_mask, after, false);
	KUNIT_ASSERT_LT(test, r->cpu, nr_cpu_ids);
	r->mm = mm;
	r->asi = asi;
	r->task = kthread_create(remote_fn, r, "asi-remote/%d", r->cpu);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r->task));
	get_task_struct(r->task);
	mmget(mm);
	kthread_bind(r->task, r->cpu);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, remote_stop, r),
			0);
	wake_up_process(r->task);
	return r;
}

static struct asi_class_stats test_stats(struct kunit *test)
{
	struct asi_class_stats s;

	KUNIT_EXPECT_EQ(test, asi_get_class_stats(ASI_CLASS_TEST, &s), 0);
	return s;
}

/*
 * The case needs @n CPUs in all; it runs on the one asi_kunit_case_init()
 * pinned it to, so no remote lands there.
 */
static int this_cpu_of_n(struct kunit *test, unsigned int n)
{
	if (num_online_cpus() < n)
		kunit_skip(test, "needs %u CPUs, %u online", n,
			   num_online_cpus());
	return raw_smp_processor_id();
}

/*
 * The count-based cases retry a window in which something else took the
 * remote out: a flush from elsewhere, or a context switch (early in the
 * boot the clocksource's switch to the refined TSC stops every CPU, and
 * what follows it keeps the CPUs busy for a few milliseconds).  The tries
 * are spread over half a second.
 */
#define REMOTE_TRIES	5

static void remote_retry_pause(int tries)
{
	if (tries)
		msleep(100);
}

/*
 * (a) The case changes a user page of the mm while another CPU sits in
 * the mm's domain, in a critical section: the kernel's flush IPI reaches
 * that CPU and leaves ASI there to flush the normal PCID, as every user
 * flush does, and the interrupt's return takes it back in.  Its next
 * read sees the new page, never the old one.
 */
static void smp_user_page_changed(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct mm_struct *mm;
	struct remote *r;
	unsigned long addr;
	struct asi *asi;
	int cpu, tries;

	cpu = this_cpu_of_n(test, 2);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	KUNIT_ASSERT_EQ(test, put_user(0x1111ULL, (u64 __user *)addr), 0);

	r = remote_start(test, mm, asi, cpu);
	KUNIT_ASSERT_EQ(test, remote_do(test, r, REMOTE_ENTER, 0), 0);
	KUNIT_EXPECT_EQ(test, remote_do(test, r, REMOTE_READ_USER, addr), 0);
	KUNIT_EXPECT_EQ(test, r->value, 0x1111ULL);
	/* The restricted table maps no user memory: the read left. */
	KUNIT_EXPECT_FALSE(test, r->inside_after);
	/*
	 * The remote's next read sees the new page, every time.  The flush
	 * IPI takes it out and back in, which the counters show unless the
	 * remote was also switched out in the window (a stop_machine(), the
	 * clocksource's, say): REMOTE_TRIES tries for a window without that.
	 */
	for (tries = 0; tries < REMOTE_TRIES; tries++) {
		remote_retry_pause(tries);
		u64 value = 0x2222ULL + tries;

		KUNIT_ASSERT_EQ(test, remote_do(test, r, REMOTE_ENTER, 0), 0);
		KUNIT_EXPECT_TRUE(test, r->inside_after);
		before = test_stats(test);
		asi_kunit_zap_user(test, mm, addr, 1);
		KUNIT_ASSERT_EQ(test, put_user(value, (u64 __user *)addr), 0);
		after = test_stats(test);

		KUNIT_EXPECT_EQ(test,
				remote_do(test, r, REMOTE_READ_USER, addr), 0);
		KUNIT_EXPECT_EQ(test, r->value, value);
		KUNIT_EXPECT_TRUE(test, r->inside_before);
		KUNIT_EXPECT_EQ(test, after.fault_exits - before.fault_exits, 0);
		if (after.exits_by[ASI_EXIT_CONTEXT_SWITCH] !=
		    before.exits_by[ASI_EXIT_CONTEXT_SWITCH])
			continue;
		KUNIT_EXPECT_GE(test, after.exits_by[ASI_EXIT_TLB_FLUSH] -
				before.exits_by[ASI_EXIT_TLB_FLUSH], 1);
		KUNIT_EXPECT_EQ(test, after.reentries - before.reentries, 1);
		break;
	}
	KUNIT_EXPECT_LT_MSG(test, tries, REMOTE_TRIES,
			    "the remote was switched out in every window");
	kunit_release_action(test, remote_stop, r);
	asi_kunit_mm_release(mm);
}

/*
 * (b) A kernel mapping changed while another CPU sits in a domain: the
 * kernel range flush reaches it there and invalidates the address in
 * place, so it stays inside (no exit counted) and reads the new page
 * (kernel mappings outside the direct map are shared with the restricted
 * tables).
 */
static void smp_kernel_range_flushed(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct page *pages[2];
	struct vm_struct *area;
	struct mm_struct *mm;
	struct remote *r;
	unsigned long va;
	int cpu, i, tries;
	struct asi *asi;

	cpu = this_cpu_of_n(test, 2);
	for (i = 0; i < 2; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		*(u64 *)page_address(pages[i]) = 0xa0a0 + i;
	}
	area = get_vm_area(PAGE_SIZE, VM_IOREMAP);
	KUNIT_ASSERT_NOT_NULL(test, area);
	va = (unsigned long)area->addr;
	KUNIT_ASSERT_EQ(test, ioremap_page_range(va, va + PAGE_SIZE,
						 page_to_phys(pages[0]),
						 PAGE_KERNEL), 0);

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	r = remote_start(test, mm, asi, cpu);
	KUNIT_ASSERT_EQ(test, remote_do(test, r, REMOTE_ENTER, 0), 0);
	remote_do(test, r, REMOTE_READ_KERNEL, va);
	KUNIT_EXPECT_EQ(test, r->value, 0xa0a0ULL);
	KUNIT_EXPECT_TRUE(test, r->inside_after);

	/*
	 * The flush IPI leaves the remote inside, and its read is fresh.
	 * Something else may take it out meanwhile (it lets the CPU go when
	 * the scheduler asks): no exit at all in one of REMOTE_TRIES tries.
	 */
	for (tries = 0; tries < REMOTE_TRIES; tries++) {
		remote_retry_pause(tries);
		i = (tries + 1) % 2;
		before = test_stats(test);
		vunmap_range(va, va + PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, ioremap_page_range(va, va + PAGE_SIZE,
							 page_to_phys(pages[i]),
							 PAGE_KERNEL), 0);
		remote_do(test, r, REMOTE_READ_KERNEL, va);
		KUNIT_EXPECT_TRUE(test, r->inside_before);
		KUNIT_EXPECT_TRUE(test, r->inside_after);
		KUNIT_EXPECT_EQ(test, r->value, 0xa0a0ULL + i);
		after = test_stats(test);
		if (after.exits == before.exits)
			break;
	}
	KUNIT_EXPECT_LT_MSG(test, tries, REMOTE_TRIES,
			    "the remote left its domain every time");
	kunit_release_action(test, remote_stop, r);
	asi_kunit_mm_release(mm);
	free_vm_area(area);
	for (i = 0; i < 2; i++)
		__free_page(pages[i]);
}

/*
 * (e) The kernel removes a page from its direct map (set_memory_np()) that
 * another CPU has read from inside a domain, its translation cached: CPA
 * takes the restricted tables along and its flush reaches that CPU, whose
 * next read from inside faults out and never returns data.  The page is
 * next to a sensitive one, so the template owns the table that maps it.
 * Put back (set_memory_p()), it reads again from inside.
 */
static void smp_cpa_reaches_remote(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct page *pair, *page;
	struct mm_struct *mm;
	struct remote *r;
	unsigned long va;
	struct asi *asi;
	int cpu;

	cpu = this_cpu_of_n(test, 2);
	pair = alloc_pages(GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, pair);
	split_page(pair, 1);
	asi_kunit_alloc_sensitive(test, pair, 0);
	page = pair + 1;
	va = (unsigned long)page_address(page);
	*(u64 *)va = 0x5eed;

	mm = asi_kunit_mm_with_test_domain(test, &asi);
	r = remote_start(test, mm, asi, cpu);
	KUNIT_ASSERT_EQ(test, remote_do(test, r, REMOTE_ENTER_READ, va), 0);
	KUNIT_EXPECT_EQ(test, r->value, 0x5eedULL);
	KUNIT_EXPECT_TRUE(test, r->inside_after);

	KUNIT_ASSERT_EQ(test, set_memory_np(va, 1), 0);
	before = test_stats(test);
	KUNIT_EXPECT_EQ(test, remote_do(test, r, REMOTE_ENTER, 0), 0);
	KUNIT_EXPECT_EQ(test, remote_do(test, r, REMOTE_READ_NOFAULT, va),
			-EFAULT);
	KUNIT_EXPECT_TRUE(test, r->inside_before);
	KUNIT_EXPECT_FALSE(test, r->inside_after);
	after = test_stats(test);
	KUNIT_EXPECT_EQ(test, after.fault_exits - before.fault_exits, 1);

	KUNIT_ASSERT_EQ(test, set_memory_p(va, 1), 0);
	KUNIT_EXPECT_EQ(test, remote_do(test, r, REMOTE_ENTER, 0), 0);
	KUNIT_EXPECT_EQ(test, remote_do(test, r, REMOTE_READ_NOFAULT, va), 0);
	KUNIT_EXPECT_EQ(test, r->value, 0x5eedULL);
	KUNIT_EXPECT_TRUE(test, r->inside_after);
	kunit_release_action(test, remote_stop, r);
	asi_kunit_mm_release(mm);
	asi_free_sensitive_pages(pair, 0);
	__free_page(page);
}

/*
 * (c) A page another CPU has read from inside a domain (its translation
 * cached, globally) is allocated sensitive: that CPU's next read from
 * inside faults out and finds the value; once freed, the page is mapped
 * inside again, and cleared.
 */
static void smp_sensitive_alloc_free(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct mm_struct *mm;
	struct page *page;
	struct remote *r;
	unsigned long va;
	struct asi *asi;
	int cpu;

	cpu = this_cpu_of_n(test, 2);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	va = (unsigned long)page_address(page);
	*(u64 *)va = 0x5e5e;
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	r = remote_start(test, mm, asi, cpu);
	KUNIT_ASSERT_EQ(test, remote_do(test, r, REMOTE_ENTER, 0), 0);
	remote_do(test, r, REMOTE_READ_KERNEL, va);
	KUNIT_EXPECT_TRUE(test, r->inside_after);

	asi_kunit_alloc_sensitive(test, page, 0);

	before = test_stats(test);
	remote_do(test, r, REMOTE_ENTER_READ, va);
	after = test_stats(test);
	KUNIT_EXPECT_TRUE(test, r->inside_before);
	KUNIT_EXPECT_EQ(test, r->value, 0x5e5eULL);
	KUNIT_EXPECT_FALSE(test, r->inside_after);
	KUNIT_EXPECT_EQ(test, after.fault_exits - before.fault_exits, 1);

	/* An extra reference keeps the page ours after the free. */
	get_page(page);
	asi_free_sensitive_pages(page, 0);
	before = test_stats(test);
	remote_do(test, r, REMOTE_ENTER_READ, va);
	after = test_stats(test);
	KUNIT_EXPECT_EQ(test, r->value, 0ULL);
	KUNIT_EXPECT_TRUE(test, r->inside_after);
	KUNIT_EXPECT_EQ(test, after.fault_exits - before.fault_exits, 0);
	kunit_release_action(test, remote_stop, r);
	asi_kunit_mm_release(mm);
	put_page(page);
}

/*
 * (d) Another mm, with a domain, torn down while a CPU sits inside a
 * domain of the first: the teardown does not disturb it.
 */
static void smp_other_mm_teardown(struct kunit *test)
{
	struct asi_class_stats before, after;
	struct mm_struct *mm, *other;
	struct asi *asi, *other_asi;
	static u64 marker = 0x77;
	unsigned long addr;
	struct remote *r;
	int cpu, tries;

	cpu = this_cpu_of_n(test, 2);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	r = remote_start(test, mm, asi, cpu);
	asi_kunit_mm_unuse(mm);
	/*
	 * A kernel TLB flush from elsewhere (a lazy vmap purge, say) takes
	 * the remote out too: the teardown must leave it inside at least
	 * once in REMOTE_TRIES tries, and it never does that if the teardown
	 * disturbs it.
	 */
	for (tries = 0; tries < REMOTE_TRIES; tries++) {
		remote_retry_pause(tries);
		KUNIT_ASSERT_EQ(test, remote_do(test, r, REMOTE_ENTER, 0), 0);
		before = test_stats(test);
		other = asi_kunit_mm_with_test_domain(test, &other_asi);
		addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, 0);
		KUNIT_EXPECT_FALSE(test, IS_ERR_VALUE(addr));
		KUNIT_EXPECT_EQ(test, test_stats(test).domains,
				before.domains + 1);
		asi_kunit_mm_release(other);
		after = test_stats(test);
		KUNIT_EXPECT_EQ(test, after.domains, before.domains);

		remote_do(test, r, REMOTE_READ_KERNEL, (unsigned long)&marker);
		KUNIT_EXPECT_EQ(test, r->value, 0x77ULL);
		if (r->inside_before && r->inside_after &&
		    test_stats(test).exits == before.exits)
			break;
	}
	KUNIT_EXPECT_LT_MSG(test, tries, REMOTE_TRIES,
			    "the remote was taken out of its domain every time");
	kunit_release_action(test, remote_stop, r);
	asi_kunit_mm_put(mm);
}

/* The CR3 a CPU inside @asi has: the domain's table, PCID if any. */
static unsigned long domain_cr3(struct asi *asi, unsigned int slot)
{
	unsigned long cr3 = __sme_pa(asi->pgd);

	if (boot_cpu_has(X86_FEATURE_PCID))
		cr3 |= asi_x86_pcid(slot, asi->class_id);
	return cr3;
}

/*
 * Two CPUs at once inside two domains of one mm, each on its own
 * restricted table (and PCID).
 */
static void smp_two_domains_one_mm(struct kunit *test)
{
	static u64 marker = 0x99;
	struct asi *test_asi, *user_asi;
	struct remote *r[2];
	struct mm_struct *mm;
	int cpu, i, tries;

	cpu = this_cpu_of_n(test, 3);
	mm = asi_kunit_mm_with_test_domain(test, &test_asi);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_USERSPACE, &user_asi), 0);
	r[0] = remote_start(test, mm, test_asi, cpu);
	r[1] = remote_start(test, mm, user_asi, r[0]->cpu);
	KUNIT_ASSERT_NE(test, r[1]->cpu, cpu);
	/* A flush from elsewhere may take one out: REMOTE_TRIES tries. */
	for (tries = 0; tries < REMOTE_TRIES; tries++) {
		remote_retry_pause(tries);
		for (i = 0; i < 2; i++)
			KUNIT_ASSERT_EQ(test, remote_do(test, r[i],
							REMOTE_ENTER, 0), 0);
		for (i = 0; i < 2; i++) {
			remote_do(test, r[i], REMOTE_READ_KERNEL,
				  (unsigned long)&marker);
			KUNIT_EXPECT_EQ(test, r[i]->value, 0x99ULL);
		}
		if (r[0]->inside_before && r[1]->inside_before)
			break;
	}
	KUNIT_EXPECT_LT_MSG(test, tries, REMOTE_TRIES,
			    "the two CPUs were never inside at once");
	KUNIT_EXPECT_EQ(test, r[0]->cr3 & CR3_ADDR_MASK,
			__sme_pa(test_asi->pgd));
	KUNIT_EXPECT_EQ(test, r[1]->cr3 & CR3_ADDR_MASK,
			__sme_pa(user_asi->pgd));
	if (boot_cpu_has(X86_FEATURE_PCID))
		KUNIT_EXPECT_NE(test, r[0]->cr3 & CR3_PCID_MASK,
				r[1]->cr3 & CR3_PCID_MASK);
	for (i = 0; i < 2; i++)
		kunit_release_action(test, remote_stop, r[i]);
	asi_kunit_mm_release(mm);
}

/* The CR3 values written to enter domains, per CPU (no-flush bit too). */
static DEFINE_PER_CPU(unsigned long, entered_cr3);

static void probe_enter_cr3(void *data, int class_id, const char *class_name,
			    unsigned long cr3)
{
	this_cpu_write(entered_cr3, cr3);
}

static void unregister_enter_probe(void *unused)
{
	unregister_trace_asi_enter(probe_enter_cr3, NULL);
	tracepoint_synchronize_unregister();
}

/*
 * With PCIDs: a user page of the mm changed while another CPU is inside
 * its domain.  That CPU's restricted PCID is brought up to date there:
 * by INVPCID where the CPU has it, so that the next entry keeps the
 * PCID's entries (no-flush), else by flushing it on the next entry.
 */
static void smp_pcid_fresh_after_remote_flush(struct kunit *test)
{
	struct asi_class_stats before, after;
	unsigned long addr, cr3;
	struct mm_struct *mm;
	struct remote *r;
	struct asi *asi;
	bool invpcid;
	int cpu;

	if (!boot_cpu_has(X86_FEATURE_PCID))
		kunit_skip(test, "the CPU has no PCID");
	cpu = this_cpu_of_n(test, 2);
	invpcid = boot_cpu_has(X86_FEATURE_INVPCID);
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	/* Before the remote: its action stops it before this one runs. */
	KUNIT_ASSERT_EQ(test, register_trace_asi_enter(probe_enter_cr3, NULL),
			0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							unregister_enter_probe,
							NULL), 0);
	r = remote_start(test, mm, asi, cpu);
	/* Only the remote has the mm loaded from now on. */
	asi_kunit_mm_unuse(mm);
	KUNIT_ASSERT_EQ(test, remote_do(test, r, REMOTE_ENTER, 0), 0);
	/* A second entry of a PCID nothing made stale keeps its entries. */
	remote_do(test, r, REMOTE_READ_USER, addr);
	remote_do(test, r, REMOTE_ENTER, 0);
	cr3 = per_cpu(entered_cr3, r->cpu);
	KUNIT_EXPECT_TRUE(test, cr3 & CR3_NOFLUSH);
	KUNIT_EXPECT_EQ(test, cr3 & CR3_PCID_MASK, r->cr3 & CR3_PCID_MASK);

	before = test_stats(test);
	asi_kunit_zap_user(test, mm, addr, 1);
	remote_do(test, r, REMOTE_ENTER, 0);
	after = test_stats(test);
	cr3 = per_cpu(entered_cr3, r->cpu);
	KUNIT_EXPECT_TRUE(test, r->inside_after);
	if (invpcid) {
		KUNIT_EXPECT_EQ(test, after.flushes - before.flushes, 1);
		KUNIT_EXPECT_EQ(test, after.flushes_deferred,
				before.flushes_deferred);
		KUNIT_EXPECT_TRUE(test, cr3 & CR3_NOFLUSH);
	} else {
		KUNIT_EXPECT_EQ(test, after.flushes_deferred -
				before.flushes_deferred, 1);
		KUNIT_EXPECT_EQ(test, after.flushes, before.flushes);
		KUNIT_EXPECT_FALSE(test, cr3 & CR3_NOFLUSH);
	}
	remote_do(test, r, REMOTE_READ_USER, addr);
	KUNIT_EXPECT_EQ(test, r->value, 0ULL);
	kunit_release_action(test, remote_stop, r);
	asi_kunit_mm_put(mm);
}

/*
 * With PCIDs: CR3 holds the domain's PCID inside and the mm's normal
 * PCID (its ASID slot's kernel PCID) after the exit.
 */
static void x86_pcid_enter_exit(struct kunit *test)
{
	unsigned long inside, outside;
	struct mm_struct *mm;
	struct asi *asi;
	u16 slot;

	if (!boot_cpu_has(X86_FEATURE_PCID))
		kunit_skip(test, "the CPU has no PCID");
	mm = asi_kunit_mm_with_test_domain(test, &asi);
	preempt_disable();
	slot = this_cpu_read(cpu_tlbstate.loaded_mm_asid);
	asi_enter(asi);
	inside = __read_cr3();
	asi_exit();
	outside = __read_cr3();
	preempt_enable();
	KUNIT_EXPECT_EQ(test, inside, domain_cr3(asi, slot));
	KUNIT_EXPECT_EQ(test, inside & CR3_PCID_MASK,
			(unsigned long)asi_x86_pcid(slot, ASI_CLASS_TEST));
	KUNIT_EXPECT_EQ(test, outside & CR3_PCID_MASK,
			(unsigned long)asi_x86_pcid(slot, ASI_NORMAL_SPACE));
	KUNIT_EXPECT_EQ(test, outside & CR3_ADDR_MASK, __sme_pa(mm->pgd));
	asi_kunit_mm_release(mm);
}

/*
 * With PCIDs: a user flush reaches every domain of the mm on this CPU,
 * by INVPCID where the CPU has it, else by flushing each one on its next
 * entry (and INVLPG in the loaded one).
 */
static void x86_pcid_user_flush_fanout(struct kunit *test)
{
	struct asi_class_stats before[2], after[2];
	enum asi_class_id ids[2] = { ASI_CLASS_TEST, ASI_CLASS_USERSPACE };
	struct asi *asi[2];
	struct mm_struct *mm;
	unsigned long cr3;
	bool invpcid;
	int i;

	if (!boot_cpu_has(X86_FEATURE_PCID))
		kunit_skip(test, "the CPU has no PCID");
	invpcid = boot_cpu_has(X86_FEATURE_INVPCID);
	mm = asi_kunit_mm_with_test_domain(test, &asi[0]);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_USERSPACE, &asi[1]), 0);
	KUNIT_ASSERT_EQ(test, register_trace_asi_enter(probe_enter_cr3, NULL),
			0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							unregister_enter_probe,
							NULL), 0);
	/* Both PCIDs fresh: entered once each. */
	preempt_disable();
	for (i = 0; i < 2; i++) {
		asi_enter(asi[i]);
		asi_exit();
	}
	for (i = 0; i < 2; i++)
		asi_get_class_stats(ids[i], &before[i]);
	asi_tlb_flush_one_user(mm, 0x400000);
	for (i = 0; i < 2; i++)
		asi_get_class_stats(ids[i], &after[i]);
	asi_enter(asi[0]);
	cr3 = this_cpu_read(entered_cr3);
	asi_exit();
	preempt_enable();

	for (i = 0; i < 2; i++) {
		if (invpcid) {
			KUNIT_EXPECT_EQ(test, after[i].flushes -
					before[i].flushes, 1);
		} else {
			KUNIT_EXPECT_EQ(test, after[i].flushes_deferred -
					before[i].flushes_deferred, 1);
		}
	}
	/* Kept its entries only if INVPCID brought them up to date. */
	KUNIT_EXPECT_EQ(test, !!(cr3 & CR3_NOFLUSH), invpcid);
	asi_kunit_mm_release(mm);
}

/*
 * A user memory read from inside @asi: whether it stayed inside, with the
 * value, and the fault exits of @asi's class it cost.
 */
static bool user_read_inside(struct asi *asi, unsigned long addr, u64 *v,
			     unsigned long *exits)
{
	struct asi_class_stats before, after;
	unsigned long left;
	bool inside;

	asi_get_class_stats(asi->class_id, &before);
	preempt_disable();
	pagefault_disable();
	asi_enter(asi);
	left = __copy_from_user_inatomic(v, (void __user *)addr, sizeof(*v));
	inside = asi_is_restricted();
	asi_exit();
	pagefault_enable();
	preempt_enable();
	asi_get_class_stats(asi->class_id, &after);
	*exits = after.fault_exits - before.fault_exits;
	return !left && inside;
}

/* User PGD entries of @asi's table that are not the mm's own. */
static unsigned int user_half_differs(struct mm_struct *mm, struct asi *asi)
{
	unsigned int i, n = 0;

	for (i = 0; i < KERNEL_PGD_BOUNDARY; i++)
		n += pgd_val(READ_ONCE(asi->pgd[i])) !=
		     pgd_val(READ_ONCE(mm->pgd[i]));
	return n;
}

/*
 * A domain of a class that maps user memory (this suite's userspace
 * class) maps the mm's own user half: created after the memory was
 * mapped (copied), and for memory mapped later in another PGD slot
 * (mirrored on set_p4d()/set_pgd()), and unmapped again (the mirror
 * empties too); reads stay inside.  A class that does not (the test
 * class) maps no user memory at all.
 */
static void x86_user_memory_of_userspace_class(struct kunit *test)
{
	struct asi *test_asi, *user_asi;
	unsigned long addr, far, exits;
	struct mm_struct *mm;
	unsigned int i, n;
	u64 v = 0;
	pgd_t e;
	int idx;

	mm = asi_kunit_mm_with_test_domain(test, &test_asi);
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	KUNIT_ASSERT_EQ(test, put_user(0x5a5a0001ULL, (u64 __user *)addr), 0);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_USERSPACE, &user_asi), 0);
	KUNIT_EXPECT_EQ(test, user_half_differs(mm, user_asi), 0);
	KUNIT_EXPECT_TRUE(test, user_read_inside(user_asi, addr, &v, &exits));
	KUNIT_EXPECT_EQ(test, v, 0x5a5a0001ULL);
	KUNIT_EXPECT_EQ(test, exits, 0);

	/*
	 * A PGD slot of its own, empty until the write populates it (the
	 * raw value: with four levels pgd_none() is always false).  With
	 * five, mmap() keeps below 47 bits, all in slot 0: slot 1 is tried.
	 */
	for (idx = pgd_index(addr) - 1; idx > 0; idx--) {
		if (!pgd_val(READ_ONCE(mm->pgd[idx])))
			break;
	}
	if (idx <= 0)
		idx = pgd_index(addr) + 1;
	far = (unsigned long)idx << PGDIR_SHIFT;
	KUNIT_ASSERT_EQ(test, pgd_val(READ_ONCE(mm->pgd[idx])), 0);
	if (vm_mmap(NULL, far, PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED_NOREPLACE, 0) != far) {
		asi_kunit_mm_release(mm);
		kunit_skip(test, "cannot map %#lx (PGD slot %d) here", far, idx);
	}
	KUNIT_ASSERT_EQ(test, put_user(0x5a5a0002ULL, (u64 __user *)far), 0);
	e = READ_ONCE(user_asi->pgd[idx]);
	KUNIT_EXPECT_NE(test, pgd_val(e), 0);
	KUNIT_EXPECT_EQ(test, user_half_differs(mm, user_asi), 0);
	KUNIT_EXPECT_TRUE(test, user_read_inside(user_asi, far, &v, &exits));
	KUNIT_EXPECT_EQ(test, v, 0x5a5a0002ULL);
	KUNIT_EXPECT_EQ(test, exits, 0);

	/* Unmapped: its tables go, and the mirror's entry with them. */
	KUNIT_EXPECT_EQ(test, vm_munmap(far, PAGE_SIZE), 0);
	e = READ_ONCE(mm->pgd[idx]);
	KUNIT_EXPECT_EQ(test, pgd_val(e), 0);
	KUNIT_EXPECT_EQ(test, user_half_differs(mm, user_asi), 0);

	/* The test class maps none: the read faults out. */
	for (i = 0, n = 0; i < KERNEL_PGD_BOUNDARY; i++)
		n += !!pgd_val(READ_ONCE(test_asi->pgd[i]));
	KUNIT_EXPECT_EQ(test, n, 0);
	KUNIT_EXPECT_FALSE(test, user_read_inside(test_asi, addr, &v, &exits));
	KUNIT_EXPECT_EQ(test, exits, 1);
	asi_kunit_mm_release(mm);
}

static const struct asi_class_ops user_class_ops = {
	.name = "x86-user",
	.map_user = true,
};

static bool user_registered;

static int asi_x86_cpus_suite_init(struct kunit_suite *suite)
{
	int err = asi_kunit_backend_suite_init(suite);

	if (err || !asi_enabled())
		return err;
	err = asi_register_class(ASI_CLASS_USERSPACE, &user_class_ops);
	if (err) {
		asi_kunit_backend_suite_exit(suite);
		return err;
	}
	user_registered = true;
	return 0;
}

static void asi_x86_cpus_suite_exit(struct kunit_suite *suite)
{
	if (user_registered)
		WARN(asi_unregister_class(ASI_CLASS_USERSPACE),
		     "%s(): a case left a domain alive\n", __func__);
	user_registered = false;
	asi_kunit_backend_suite_exit(suite);
}

static struct kunit_case asi_x86_cpus_cases[] = {
	KUNIT_CASE(smp_user_page_changed),
	KUNIT_CASE(smp_kernel_range_flushed),
	KUNIT_CASE(smp_sensitive_alloc_free),
	KUNIT_CASE(smp_cpa_reaches_remote),
	KUNIT_CASE(smp_other_mm_teardown),
	KUNIT_CASE(smp_two_domains_one_mm),
	KUNIT_CASE(smp_pcid_fresh_after_remote_flush),
	KUNIT_CASE(x86_pcid_enter_exit),
	KUNIT_CASE(x86_pcid_user_flush_fanout),
	KUNIT_CASE(x86_user_memory_of_userspace_class),
	{}
};

static struct kunit_suite asi_x86_cpus_suite = {
	.name = "asi_x86_cpus",
	.suite_init = asi_x86_cpus_suite_init,
	.suite_exit = asi_x86_cpus_suite_exit,
	.init = asi_kunit_backend_case_init,
	.exit = asi_kunit_case_exit,
	.test_cases = asi_x86_cpus_cases,
};

kunit_test_suites(&asi_x86_suite, &asi_x86_cpus_suite);
