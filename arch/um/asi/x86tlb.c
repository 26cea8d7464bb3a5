// SPDX-License-Identifier: GPL-2.0
/*
 * x86's own TLB code, which UML does not have, played for the model of
 * ASI (arch/um/asi/): the ASID slots as choose_new_asid() hands them out,
 * and the local part of flush_tlb_mm_range() and flush_tlb_kernel_range(),
 * called from UML's switch_mm() and flush_tlb_*() (patch 4).  Like
 * arch/x86/mm/tlb.c it leaves ASI before flushing, tells the core when a
 * slot changes hands or is flushed whole (asi_slot_mark_stale()) and fans
 * user flushes out to the domains (asi_tlb_flush_one_user()).  Test code.
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

/* x86's tlb_single_page_flush_ceiling: longer ranges flush the PCID. */
#define ASI_UM_FLUSH_CEILING	33

/*
 * choose_new_asid(): the slot @mm already has on this CPU, else the next
 * one round-robin, which must be flushed since it served another mm.
 */
static unsigned int asi_um_choose_slot(struct asi_um_tlb *tlb,
				       struct mm_struct *mm, bool *need_flush)
{
	unsigned int slot;

	*need_flush = true;
	if (!tlb->pcide)
		return 0;
	for (slot = 0; slot < ASI_ARCH_NR_ASID_SLOTS; slot++) {
		if (tlb->slots[slot].ctx_id == asi_um_ctx_id(mm)) {
			*need_flush = tlb->slots[slot].need_flush;
			return slot;
		}
	}
	slot = tlb->next_slot++;
	if (slot >= ASI_ARCH_NR_ASID_SLOTS) {
		slot = 0;
		tlb->next_slot = 1;
	}
	return slot;
}

void asi_um_load_mm(struct asi_um_tlb *tlb, struct mm_struct *mm,
		    unsigned int slot, bool need_flush)
{
	unsigned long cr3 = __pa(mm->pgd);

	tlb->loaded_mm = mm;
	tlb->loaded_ctx = asi_um_ctx_id(mm);
	tlb->loaded_slot = slot;
	tlb->slots[slot].ctx_id = asi_um_ctx_id(mm);
	tlb->slots[slot].need_flush = false;
	if (tlb->pcide)
		cr3 |= asi_um_pcid(slot, ASI_NORMAL_SPACE);
	if (need_flush)
		asi_slot_mark_stale(slot);
	else
		cr3 |= ASI_UM_CR3_NOFLUSH;
	asi_um_tlb_write_cr3(tlb, cr3);
}

/**
 * asi_um_switch_mm() - switch_mm(), as the modelled CPU sees it
 * @prev: the mm being left.
 * @next: the mm being loaded.
 *
 * Called from UML's switch_mm() and activate_mm() (exec, unshare), so
 * that the model never holds an mm that was freed.  The restricted space
 * belongs to @prev,
 * so ASI is left first.  @next then gets an ASID slot as on x86: its own,
 * kept, or another mm's, flushed, which also makes the slot's restricted
 * PCIDs stale for the core.
 */
void asi_um_switch_mm(struct mm_struct *prev, struct mm_struct *next)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int slot;
	bool need_flush;

	asi_exit_because(ASI_EXIT_MM_SWITCH);

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (!asi_um_is_loaded(tlb, next)) {
		slot = asi_um_choose_slot(tlb, next, &need_flush);
		asi_um_load_mm(tlb, next, slot, need_flush);
	}
	local_irq_restore(flags);
}

/**
 * asi_um_flush_tlb_user() - flush_tlb_mm_range() on this CPU
 * @mm: the mm whose mappings changed.
 * @start: first address.
 * @end: end of the range; ~0UL for the whole mm.
 *
 * Called from UML's flush_tlb_page(), flush_tlb_range() and
 * flush_tlb_mm().  As x86 does: ASI is left, so that INVLPG reaches the
 * normal PCID; a short range is invalidated page by page and fanned out
 * to the domains (asi_tlb_flush_one_user()), a long one flushes the whole
 * normal PCID and makes the slot's restricted PCIDs stale.  An mm that is
 * not loaded is flushed when it next is, like x86's tlb_gen check.
 */
void asi_um_flush_tlb_user(struct mm_struct *mm, unsigned long start,
			   unsigned long end)
{
	struct asi_um_tlb *tlb;
	unsigned long flags, addr;
	unsigned int slot;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (!asi_um_is_loaded(tlb, mm)) {
		for (slot = 0; slot < ASI_ARCH_NR_ASID_SLOTS; slot++) {
			if (tlb->slots[slot].ctx_id == asi_um_ctx_id(mm))
				tlb->slots[slot].need_flush = true;
		}
		goto out;
	}

	asi_exit_because(ASI_EXIT_TLB_FLUSH);
	if (end > start && (end - start) >> PAGE_SHIFT <= ASI_UM_FLUSH_CEILING) {
		for (addr = start & PAGE_MASK; addr < end; addr += PAGE_SIZE) {
			asi_um_tlb_do_invlpg(tlb, addr, true);
			asi_tlb_flush_one_user(mm, addr);
		}
	} else {
		/* flush_tlb_local(): reload CR3, flushing its PCID. */
		asi_um_tlb_write_cr3(tlb, tlb->cr3 & ~ASI_UM_CR3_NOFLUSH);
		asi_slot_mark_stale(tlb->loaded_slot);
	}
out:
	local_irq_restore(flags);
}

/**
 * asi_um_flush_tlb_kernel() - flush_tlb_kernel_range() on this CPU
 * @start: first address.
 * @end: end of the range.
 *
 * Called from UML's flush_tlb_kernel_range().  INVLPG drops the global
 * translation of each page (and the loaded PCID's); a long range flushes
 * everything, as x86's flush_tlb_all().
 */
void asi_um_flush_tlb_kernel(unsigned long start, unsigned long end)
{
	struct asi_um_tlb *tlb;
	unsigned long flags, addr;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (end > start && (end - start) >> PAGE_SHIFT <= ASI_UM_FLUSH_CEILING) {
		/*
		 * flush_tlb_one_kernel(): inside a domain the core
		 * invalidates in place and the CPU stays restricted; else
		 * INVLPG in the normal PCID.
		 */
		for (addr = start & PAGE_MASK; addr < end; addr += PAGE_SIZE) {
			if (!asi_flush_kernel_addr(addr))
				asi_um_tlb_do_invlpg(tlb, addr, false);
		}
	} else {
		asi_um_tlb_drop_everything(tlb);
	}
	local_irq_restore(flags);
}

/*
 * x86's flush_tlb_all() on this CPU: every translation, global ones
 * included, and every paging-structure cache entry (INVPCID type 2).
 * UML is uniprocessor, so this is every CPU's.
 */
void asi_um_tlb_flush_all(void)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_um_tlb_drop_everything(this_cpu_ptr(&asi_um_tlb));
	local_irq_restore(flags);
}
