// SPDX-License-Identifier: GPL-2.0
/*
 * The backend operations of the UML model of ASI (mm/asi_internal.h),
 * carried out on the modelled CPU (cpu.c) and kernel tables (kpt.c).  The
 * model makes no decision of the core's: when to flush, which PCID and
 * which no-flush bit are mm/asi.c's.  Its CR3 values and PCIDs are x86's,
 * so that the model checks the values x86 would load.
 */

#define pr_fmt(fmt) "asi: TLB model: " fmt

#include <linux/asi.h>
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>

#include "../../../mm/asi_internal.h"
#include "model.h"

atomic_long_t asi_um_pgd_allocs;
atomic_long_t asi_um_pgd_frees;

bool __init asi_arch_init(void)
{
	if (asi_um_kpt_init()) {
		pr_err("no memory for the modelled kernel page tables\n");
		return false;
	}
	return true;
}

/*
 * A restricted page table.  Its user half is the mm's and its kernel half
 * the template's (kpt.c), which the model walks directly, so the page
 * itself only gives the domain a CR3 value of its own.
 */
pgd_t *asi_arch_alloc_pgd(struct asi *asi)
{
	pgd_t *pgd = (pgd_t *)__get_free_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (pgd)
		atomic_long_inc(&asi_um_pgd_allocs);
	return pgd;
}

/*
 * The model's restricted spaces walk the mm's own page table for user
 * addresses (cpu.c): they map user memory whatever the class, as a
 * userspace-class domain does on x86.
 */
void asi_arch_map_user(struct asi *asi)
{
}

void asi_arch_free_pgd(struct asi *asi)
{
	free_page((unsigned long)asi->pgd);
	atomic_long_inc(&asi_um_pgd_frees);
}

/*
 * The CR3 write the core asks for, with the test's hook (if one is set)
 * run just before it takes effect or just after.
 */
void asi_arch_write_cr3(unsigned long cr3)
{
	struct asi_um_tlb *tlb = this_cpu_ptr(&asi_um_tlb);

	lockdep_assert_irqs_disabled();
	asi_um_tlb_run_cr3_hook(tlb, false);
	asi_um_tlb_write_cr3(tlb, cr3);
	asi_um_tlb_run_cr3_hook(tlb, true);
}

unsigned long asi_arch_read_cr3(void)
{
	return this_cpu_ptr(&asi_um_tlb)->cr3 & ~ASI_UM_CR3_NOFLUSH;
}

struct mm_struct *asi_arch_loaded_mm(void)
{
	return this_cpu_read(asi_um_tlb.loaded_mm);
}

int asi_arch_asid_slot(struct mm_struct *mm)
{
	struct asi_um_tlb *tlb = this_cpu_ptr(&asi_um_tlb);

	return asi_um_is_loaded(tlb, mm) ? tlb->loaded_slot : -1;
}

bool asi_arch_has_pcid(void)
{
	return this_cpu_read(asi_um_tlb.pcide);
}

bool asi_arch_has_invpcid(void)
{
	return this_cpu_read(asi_um_tlb.invpcid);
}

void asi_arch_invpcid_addr(unsigned int slot, int class_id, unsigned long addr)
{
	lockdep_assert_irqs_disabled();
	asi_um_tlb_do_invpcid(this_cpu_ptr(&asi_um_tlb), ASI_UM_INVPCID_ADDR,
			      asi_um_pcid(slot, class_id), addr,
			      !asi_um_kpt_covers(addr));
}

unsigned long asi_arch_cr3(pgd_t *pgd, int slot, int class_id, bool noflush)
{
	unsigned long cr3 = __pa(pgd);

	if (slot < 0)
		return cr3;
	cr3 |= asi_um_pcid(slot, class_id);
	return noflush ? cr3 | ASI_UM_CR3_NOFLUSH : cr3;
}

void asi_arch_flush(unsigned int flush)
{
	lockdep_assert_irqs_disabled();
	asi_um_flush(this_cpu_ptr(&asi_um_tlb), flush);
}

void asi_arch_invlpg(unsigned long addr)
{
	lockdep_assert_irqs_disabled();
	/* The model keeps user and direct-map translations apart. */
	asi_um_tlb_do_invlpg(this_cpu_ptr(&asi_um_tlb), addr,
			     !asi_um_kpt_covers(addr));
}
