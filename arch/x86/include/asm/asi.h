/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_ASI_H
#define _ASM_X86_ASI_H

/*
 * The x86 backend of ASI: CR3/PCID switching and restricted page tables.
 * The decisions (when to flush, what is stale) are the shared core's, in
 * mm/asi.c; the encoding of CR3 is x86's, next to kern_pcid() and
 * build_cr3() in arch/x86/mm/tlb.c.
 */

#include <linux/types.h>
#include <asm/pgtable_types.h>

/* The dynamic ASID slots of arch/x86/mm/tlb.c (TLB_NR_DYN_ASIDS). */
#define ASI_ARCH_NR_ASID_SLOTS	6

/*
 * The PCID of a restricted space: the kernel PCID of the mm's ASID slot
 * (kern_pcid(), slot + 1) with the domain's class + 1 in bits 8-10.  Bit
 * 11 stays free for the KPTI user PCID.
 */
#define ASI_PCID_CLASS_SHIFT	8
#define ASI_PCID_CLASS_BITS	3

#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION
/*
 * The PCID of ASID slot @slot for class @class_id (ASI_NORMAL_SPACE: the
 * kernel's own, kern_pcid()), in arch/x86/mm/tlb.c.
 */
u16 asi_x86_pcid(unsigned int slot, int class_id);
/* The piece at @offset of leaf @e of @level, as an entry of level @sub. */
u64 asi_sub_leaf(u64 e, unsigned int level, unsigned int sub,
		 unsigned long offset);
/* Fill the return stack buffer, as a context switch does (asi_rsb.S). */
void asi_x86_fill_rsb(void);
#endif

/*
 * A user entry of an mm's PGD was written: mirror it (set_p4d/set_pgd).
 * Not in the decompressor, which builds its own page tables.
 */
#if defined(CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION) && \
	!defined(BOOT_COMPRESSED_MISC_H)
void asi_x86_set_user_pgd(pgd_t *pgdp, pgd_t pgd);
#else
static inline void asi_x86_set_user_pgd(pgd_t *pgdp, pgd_t pgd) { }
#endif

#endif /* _ASM_X86_ASI_H */
