/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __UM_ASI_H
#define __UM_ASI_H

/*
 * The UML backend of ASI: a mocked TLB in place of CR3/PCID hardware, so
 * that the shared core's decisions can be checked without a VM.
 */

#include <linux/types.h>
#include <asm/page.h>

/* ASID slots the mocked TLB gives out per CPU. */
#define ASI_ARCH_NR_ASID_SLOTS	1

struct mm_struct;

#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION

void asi_um_switch_mm(struct mm_struct *prev, struct mm_struct *next);

/**
 * struct asi_um_tlb_state - what the mocked TLB shows a test
 * @cr3: the CR3 value last written, no-flush bit included.
 * @pcide: CR4.PCIDE.
 * @invpcid: whether the modelled CPU has INVPCID.
 * @cr3_writes: CR3 writes.
 * @cr3_noflush: CR3 writes with the no-flush bit.
 * @invpcid_addr: INVPCID individual-address operations.
 * @invlpg: INVLPG operations.
 * @pgd_allocs: restricted page tables allocated.
 * @pgd_frees: restricted page tables freed.
 */
struct asi_um_tlb_state {
	unsigned long cr3;
	bool pcide;
	bool invpcid;
	unsigned long cr3_writes;
	unsigned long cr3_noflush;
	unsigned long invpcid_addr;
	unsigned long invlpg;
	unsigned long pgd_allocs;
	unsigned long pgd_frees;
};

enum asi_um_tlb_op {
	ASI_UM_TLB_CR3,
	ASI_UM_TLB_INVPCID_ADDR,
	ASI_UM_TLB_INVLPG,
};

/**
 * struct asi_um_tlb_event - one entry of the mocked TLB's log
 * @op: the operation.
 * @val: CR3 value for ASI_UM_TLB_CR3, PCID for ASI_UM_TLB_INVPCID_ADDR.
 * @addr: the address invalidated, for the invalidations.
 */
struct asi_um_tlb_event {
	enum asi_um_tlb_op op;
	unsigned long val;
	unsigned long addr;
};

void asi_um_tlb_get_state(struct asi_um_tlb_state *state);
bool asi_um_tlb_is_sensitive(void *addr);
void asi_um_tlb_set_features(bool pcide, bool invpcid);
unsigned int asi_um_tlb_log(struct asi_um_tlb_event *events, unsigned int max);

#else

static inline void asi_um_switch_mm(struct mm_struct *prev,
				    struct mm_struct *next)
{
}

#endif /* CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION */

#endif /* __UM_ASI_H */
