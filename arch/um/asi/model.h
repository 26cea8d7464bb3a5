/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __UM_ASI_MODEL_H
#define __UM_ASI_MODEL_H

/*
 * Inside the UML model of ASI: what its parts tell each other.  The
 * modelled CPU (cpu.c), the x86 TLB code it plays (x86tlb.c), the backend
 * operations (backend.c), the test API (test.c) and the modelled kernel
 * page tables (kpt.c).
 */

#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/types.h>
#include <asm/asi.h>

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

/* x86tlb.c: x86's flush_tlb_all() on this CPU, for the modelled CPA. */
void asi_um_tlb_flush_all(void);

/* The modelled CPU (cpu.c). */

#define ASI_UM_TLB_LOG_SIZE	64
/* Paging-structure cache entries per CPU, all levels together. */
#define ASI_UM_PSC_ENTRIES	32

struct asi_um_tlb_entry {
	bool valid;
	bool global;
	bool user;
	/* Writes allowed: the leaf's write bit (user pages: always). */
	bool write;
	/* The level of the leaf: 1 (4K), 2 (2M) or 3 (1G). */
	u8 level;
	u16 pcid;
	/* The first page the entry covers, and the frame it maps. */
	unsigned long vpn;
	unsigned long pfn;
	/* The mm loaded, and the page table walked, when it was cached. */
	u64 ctx_id;
	pgd_t *pgd;
};

/*
 * A paging-structure cache entry: in @pcid, the region of @level that
 * holds the address tag (address >> the level's shift) leads to @table.
 * @id tells whether @table is still there: it may have been freed.
 */
struct asi_um_psc_entry {
	bool valid;
	u8 level;
	u16 pcid;
	unsigned long tag;
	u64 id;
	struct asi_um_ptable *table;
};

/* An ASID slot, as cpu_tlbstate.ctxs[] on x86. */
struct asi_um_slot {
	u64 ctx_id;
	/* The mm's mappings changed while it was not loaded (x86's tlb_gen). */
	bool need_flush;
};

struct asi_um_tlb {
	/* The kernel's side: which mm is loaded, in which slot. */
	struct mm_struct *loaded_mm;
	u64 loaded_ctx;
	unsigned int loaded_slot;
	unsigned int next_slot;
	struct asi_um_slot slots[ASI_ARCH_NR_ASID_SLOTS];

	/* The CPU's side. */
	unsigned long cr3;
	pgd_t *table;
	struct asi *table_asi;
	bool pcide;
	bool invpcid;
	struct asi_um_tlb_entry entries[ASI_UM_TLB_ENTRIES];
	unsigned int victim;
	struct asi_um_psc_entry psc[ASI_UM_PSC_ENTRIES];
	unsigned int psc_victim;

	/* A test's hook into the next CR3 write; see asi_um_tlb_cr3_hook(). */
	void (*cr3_hook)(void *arg);
	void *cr3_hook_arg;
	bool cr3_hook_after;

	unsigned long cr3_writes;
	unsigned long cr3_noflush;
	unsigned long invpcid_addr;
	unsigned long invpcid_ctx;
	unsigned long invpcid_all;
	unsigned long invlpg;
	unsigned long fills;
	unsigned long hits;
	unsigned long faults;
	unsigned long psc_hits;
	unsigned long reports;
	bool expect_reports;

	/*
	 * Speculation exposure: the ASI_FLUSH_DATA kinds of state that may
	 * hold kernel data (from running in the normal address space, and
	 * from boot), and the ASI_FLUSH_CONTROL kinds an untrusted context
	 * trained, as the policy of its class counts them.
	 */
	unsigned int exposed;
	unsigned int trained;
	unsigned long untrusted_runs;
	unsigned long flushes[ASI_NR_FLUSHES];
	/* Flushes of state that held nothing to flush. */
	unsigned long needless_flushes;
	char last_report[192];

	struct asi_um_tlb_event log[ASI_UM_TLB_LOG_SIZE];
	unsigned int log_next;
};

DECLARE_PER_CPU(struct asi_um_tlb, asi_um_tlb);
/* Restricted page tables allocated and freed (backend.c). */
extern atomic_long_t asi_um_pgd_allocs;
extern atomic_long_t asi_um_pgd_frees;

void asi_um_tlb_record(struct asi_um_tlb *tlb, enum asi_um_tlb_op op,
		       unsigned long val, unsigned long addr);
__printf(2, 3) void asi_um_tlb_report(struct asi_um_tlb *tlb,
				      const char *fmt, ...);
u16 asi_um_tlb_pcid(struct asi_um_tlb *tlb);
u64 asi_um_ctx_id(struct mm_struct *mm);
bool asi_um_is_loaded(struct asi_um_tlb *tlb, struct mm_struct *mm);
void asi_um_tlb_drop(struct asi_um_tlb *tlb, int pcid, bool all_addrs,
		     unsigned long addr, bool user, bool globals);
void asi_um_psc_drop(struct asi_um_tlb *tlb, int pcid);
void asi_um_tlb_write_cr3(struct asi_um_tlb *tlb, unsigned long cr3);
void asi_um_tlb_drop_everything(struct asi_um_tlb *tlb);
void asi_um_tlb_do_invlpg(struct asi_um_tlb *tlb, unsigned long addr,
			  bool user);
void asi_um_tlb_do_invpcid(struct asi_um_tlb *tlb,
			   enum asi_um_invpcid_type type, u16 pcid,
			   unsigned long addr, bool user);
struct asi_um_tlb_entry *asi_um_tlb_find(struct asi_um_tlb *tlb,
					 u16 pcid, unsigned long addr,
					 bool user);
void asi_um_tlb_run_cr3_hook(struct asi_um_tlb *tlb, bool after);
void asi_um_run_untrusted(struct asi_um_tlb *tlb);
void asi_um_flush(struct asi_um_tlb *tlb, unsigned int flush);

/* x86tlb.c: load @mm's normal address space in @slot, as switch_mm() does. */
void asi_um_load_mm(struct asi_um_tlb *tlb, struct mm_struct *mm,
		    unsigned int slot, bool need_flush);

#endif /* __UM_ASI_MODEL_H */
