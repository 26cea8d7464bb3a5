/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_ASI_H
#define _ASM_X86_ASI_H

/*
 * The x86 backend of ASI: CR3/PCID switching and restricted page tables.
 * The decisions (which CR3 value, when to flush) are the shared core's,
 * in mm/asi.c.
 */

#include <linux/types.h>
#include <asm/pgtable_types.h>

/* The dynamic ASID slots of arch/x86/mm/tlb.c (TLB_NR_DYN_ASIDS). */
#define ASI_ARCH_NR_ASID_SLOTS	6

#if IS_ENABLED(CONFIG_KUNIT)
/* The template's large-page splits, for the suites to check. */
int asi_split_pud(pud_t *pud);
int asi_split_pmd(pmd_t *pmd);
#endif

#endif /* _ASM_X86_ASI_H */
