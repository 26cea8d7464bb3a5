// SPDX-License-Identifier: GPL-2.0
/*
 * The mocked TLB: the UML backend of ASI.
 *
 * UML has no CR3 and no PCIDs, so this file plays the CPU: it holds the
 * registers the shared core writes (CR3, CR4.PCIDE), gives the loaded mm an
 * ASID slot the way arch/x86/mm/tlb.c does, and counts and logs every
 * switch and invalidation so that KUnit cases can check what the core
 * asked of the machine.  It makes no decision of its own: when to flush,
 * which PCID and which no-flush bit are the core's (mm/asi.c).
 */

#include <linux/asi.h>
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/minmax.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/xarray.h>

#define ASI_UM_TLB_LOG_SIZE	64

struct asi_um_tlb {
	/* The mm owning ASID slot 0, whose normal space is loaded. */
	struct mm_struct *loaded_mm;
	unsigned long normal_cr3;
	unsigned long cr3;
	bool pcide;
	bool invpcid;
	unsigned long cr3_writes;
	unsigned long cr3_noflush;
	unsigned long invpcid_addr;
	unsigned long invlpg;
	struct asi_um_tlb_event log[ASI_UM_TLB_LOG_SIZE];
	unsigned int log_next;
};

/* The modelled CPU has PCID and INVPCID, as every x86_64 host ASI targets. */
static DEFINE_PER_CPU(struct asi_um_tlb, asi_um_tlb) = {
	.pcide = true,
	.invpcid = true,
};

static atomic_long_t asi_um_pgd_allocs;
static atomic_long_t asi_um_pgd_frees;

static void asi_um_tlb_record(struct asi_um_tlb *tlb, enum asi_um_tlb_op op,
			      unsigned long val, unsigned long addr)
{
	struct asi_um_tlb_event *ev;

	ev = &tlb->log[tlb->log_next++ % ASI_UM_TLB_LOG_SIZE];
	ev->op = op;
	ev->val = val;
	ev->addr = addr;
}

bool asi_arch_init(void)
{
	return true;
}

pgd_t *asi_arch_alloc_pgd(struct asi *asi)
{
	pgd_t *pgd = (pgd_t *)__get_free_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (pgd)
		atomic_long_inc(&asi_um_pgd_allocs);
	return pgd;
}

void asi_arch_free_pgd(struct asi *asi)
{
	free_page((unsigned long)asi->pgd);
	atomic_long_inc(&asi_um_pgd_frees);
}

/*
 * The pages taken out of the restricted spaces.  UML has no restricted
 * page tables to edit, so the mock keeps the set for tests to check.
 */
static DEFINE_XARRAY(asi_um_sensitive);

int asi_arch_set_sensitive(void *addr, unsigned long npages, bool sensitive)
{
	unsigned long pfn = __pa(addr) >> PAGE_SHIFT, i;
	int err;

	might_sleep();
	for (i = 0; i < npages; i++) {
		if (!sensitive) {
			xa_erase(&asi_um_sensitive, pfn + i);
			continue;
		}
		err = xa_err(xa_store(&asi_um_sensitive, pfn + i,
				      xa_mk_value(1), GFP_KERNEL));
		if (err) {
			while (i--)
				xa_erase(&asi_um_sensitive, pfn + i);
			return err;
		}
	}
	return 0;
}

/**
 * asi_um_tlb_is_sensitive() - is the page at @addr out of the restricted spaces?
 * @addr: a direct-map address.
 *
 * Return: true between asi_alloc_sensitive_pages() and its free.
 */
bool asi_um_tlb_is_sensitive(void *addr)
{
	return xa_load(&asi_um_sensitive, __pa(addr) >> PAGE_SHIFT);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_is_sensitive);

void asi_arch_write_cr3(unsigned long cr3)
{
	struct asi_um_tlb *tlb = this_cpu_ptr(&asi_um_tlb);

	lockdep_assert_irqs_disabled();
	tlb->cr3 = cr3;
	tlb->cr3_writes++;
	if (cr3 & ASI_CR3_NOFLUSH)
		tlb->cr3_noflush++;
	asi_um_tlb_record(tlb, ASI_UM_TLB_CR3, cr3, 0);
}

struct mm_struct *asi_arch_loaded_mm(void)
{
	return this_cpu_read(asi_um_tlb.loaded_mm);
}

int asi_arch_asid_slot(struct mm_struct *mm)
{
	return this_cpu_read(asi_um_tlb.loaded_mm) == mm ? 0 : -1;
}

bool asi_arch_has_pcid(void)
{
	return this_cpu_read(asi_um_tlb.pcide);
}

bool asi_arch_has_invpcid(void)
{
	return this_cpu_read(asi_um_tlb.invpcid);
}

void asi_arch_invpcid_addr(u16 pcid, unsigned long addr)
{
	struct asi_um_tlb *tlb = this_cpu_ptr(&asi_um_tlb);

	lockdep_assert_irqs_disabled();
	WARN_ON_ONCE(!tlb->invpcid);
	tlb->invpcid_addr++;
	asi_um_tlb_record(tlb, ASI_UM_TLB_INVPCID_ADDR, pcid, addr);
}

void asi_arch_invlpg(unsigned long addr)
{
	struct asi_um_tlb *tlb = this_cpu_ptr(&asi_um_tlb);

	lockdep_assert_irqs_disabled();
	tlb->invlpg++;
	asi_um_tlb_record(tlb, ASI_UM_TLB_INVLPG, tlb->cr3 & ASI_CR3_PCID_MASK,
			  addr);
}

/**
 * asi_um_switch_mm() - the mm switch, as the mocked TLB sees it
 * @prev: the mm being left.
 * @next: the mm being loaded.
 *
 * Called from UML's switch_mm().  The restricted space belongs to @prev,
 * so ASI is left first.  Slot 0 then passes to @next as a new owner: like
 * x86 the normal PCID is loaded flushing, and the core is told that the
 * slot's restricted PCIDs may hold @prev's translations.
 */
void asi_um_switch_mm(struct mm_struct *prev, struct mm_struct *next)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;

	asi_exit();

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (tlb->loaded_mm != next) {
		tlb->loaded_mm = next;
		tlb->normal_cr3 = __pa(next->pgd) |
				  (tlb->pcide ? asi_normal_pcid(0) : 0);
		asi_invalidate_slot(0);
		asi_arch_write_cr3(tlb->normal_cr3);
	}
	local_irq_restore(flags);
}

/**
 * asi_um_tlb_get_state() - snapshot this CPU's mocked TLB
 * @state: filled in.
 */
void asi_um_tlb_get_state(struct asi_um_tlb_state *state)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	state->cr3 = tlb->cr3;
	state->pcide = tlb->pcide;
	state->invpcid = tlb->invpcid;
	state->cr3_writes = tlb->cr3_writes;
	state->cr3_noflush = tlb->cr3_noflush;
	state->invpcid_addr = tlb->invpcid_addr;
	state->invlpg = tlb->invlpg;
	local_irq_restore(flags);
	state->pgd_allocs = atomic_long_read(&asi_um_pgd_allocs);
	state->pgd_frees = atomic_long_read(&asi_um_pgd_frees);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_get_state);

/**
 * asi_um_tlb_set_features() - choose the CPU features the model offers
 * @pcide: CR4.PCIDE.
 * @invpcid: INVPCID support; only meaningful with @pcide.
 *
 * Toggling CR4.PCIDE flushes the whole TLB on x86, so every slot's
 * restricted PCIDs start over as stale.  Callers must not be in ASI.
 */
void asi_um_tlb_set_features(bool pcide, bool invpcid)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int slot;

	local_irq_save(flags);
	WARN_ON_ONCE(asi_is_restricted());
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (tlb->pcide != pcide) {
		tlb->normal_cr3 &= ~ASI_CR3_PCID_MASK;
		if (pcide)
			tlb->normal_cr3 |= asi_normal_pcid(0);
	}
	tlb->pcide = pcide;
	tlb->invpcid = pcide && invpcid;
	for (slot = 0; slot < ASI_ARCH_NR_ASID_SLOTS; slot++)
		asi_invalidate_slot(slot);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_set_features);

/**
 * asi_um_tlb_log() - copy the newest entries of this CPU's log
 * @events: where to copy them, oldest first.
 * @max: room in @events.
 *
 * Return: the number of entries copied.
 */
unsigned int asi_um_tlb_log(struct asi_um_tlb_event *events, unsigned int max)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int n, i;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	n = min3(max, tlb->log_next, (unsigned int)ASI_UM_TLB_LOG_SIZE);
	for (i = 0; i < n; i++)
		events[i] = tlb->log[(tlb->log_next - n + i) % ASI_UM_TLB_LOG_SIZE];
	local_irq_restore(flags);
	return n;
}
EXPORT_SYMBOL_GPL(asi_um_tlb_log);
