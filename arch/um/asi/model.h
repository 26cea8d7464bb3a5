/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __UM_ASI_MODEL_H
#define __UM_ASI_MODEL_H

/*
 * Inside the UML backend of ASI: what the modelled kernel page tables
 * (kpt.c) and the modelled CPU (tlb.c) tell each other.
 */

#include <linux/types.h>

/*
 * Paging-structure levels, as x86_64 numbers them: an entry of level L
 * maps 4K << 9 * (L - 1) bytes.  A table "of level L" holds level-L
 * entries: the PML4 is level 4, a page table (PT) level 1.
 */
#define ASI_UM_PTE		1
#define ASI_UM_PDE		2
#define ASI_UM_PDPTE		3
#define ASI_UM_PML4E		4
#define ASI_UM_PT_ENTRIES	512

static inline unsigned int asi_um_level_shift(unsigned int level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

struct asi_um_ptable;

/**
 * struct asi_um_kwalk - what a walk of the modelled kernel tables found
 * @present: a leaf maps the address.
 * @global: the leaf has the global bit.
 * @write: the leaf allows writes.
 * @pfn: the frame the address reaches.
 * @leaf_level: the level of the leaf (1: 4K, 2: 2M, 3: 1G).
 * @tables: the table walked at each level (@tables[4] the root); NULL
 *	below where the walk stopped.
 */
struct asi_um_kwalk {
	bool present;
	bool global;
	bool write;
	unsigned long pfn;
	unsigned int leaf_level;
	struct asi_um_ptable *tables[ASI_UM_PML4E + 1];
};

int asi_um_kpt_init(void);
bool asi_um_kpt_covers(unsigned long addr);
struct asi_um_ptable *asi_um_kpt_root(bool restricted);
void asi_um_kpt_walk(struct asi_um_ptable *table, unsigned long addr,
		     struct asi_um_kwalk *w);
u64 asi_um_kpt_id(struct asi_um_ptable *table);
bool asi_um_kpt_live(u64 id);
const char *asi_um_kpt_level_name(unsigned int level);

/* tlb.c: x86's flush_tlb_all() on this CPU, for the modelled CPA. */
void asi_um_tlb_flush_all(void);

#endif /* __UM_ASI_MODEL_H */
