/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __UM_ASI_H
#define __UM_ASI_H

/*
 * The UML backend of ASI: a model of a PCID-tagged x86 TLB in place of
 * CR3/PCID hardware, so that the shared core's decisions can be checked
 * without a VM.  Test code: see arch/um/asi/.
 */

#include <linux/asi_types.h>
#include <linux/bits.h>
#include <linux/types.h>
#include <asm/page.h>

/* ASID slots per CPU, as x86's TLB_NR_DYN_ASIDS. */
#define ASI_ARCH_NR_ASID_SLOTS	6
/* Translations the modelled TLB holds per CPU. */
#define ASI_UM_TLB_ENTRIES	64

/*
 * The modelled CPU's CR3, as x86's: the PCID in bits 11:0 (with
 * CR4.PCIDE), the no-flush bit 63.  Its PCIDs are the x86 backend's: the
 * kernel PCID of the slot (slot + 1), the class + 1 in bits 8-10.
 */
#define ASI_UM_CR3_PCID_MASK	0xfffUL
#define ASI_UM_CR3_NOFLUSH	BIT_ULL(63)
#define ASI_UM_PCID_CLASS_SHIFT	8

/**
 * asi_um_pcid() - the modelled PCID of ASID slot @slot for a class
 * @slot: the slot.
 * @class_id: a domain's class, or ASI_NORMAL_SPACE.
 *
 * Return: the 12-bit PCID.
 */
static inline u16 asi_um_pcid(unsigned int slot, int class_id)
{
	return (slot + 1) | ((class_id + 1) << ASI_UM_PCID_CLASS_SHIFT);
}

struct mm_struct;

#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION

void asi_um_switch_mm(struct mm_struct *prev, struct mm_struct *next);
void asi_um_flush_tlb_user(struct mm_struct *mm, unsigned long start,
			   unsigned long end);
void asi_um_flush_tlb_kernel(unsigned long start, unsigned long end);

/**
 * struct asi_um_tlb_state - what the modelled CPU shows a test
 * @cr3: the CR3 value last written, no-flush bit included.
 * @pcide: CR4.PCIDE.
 * @invpcid: whether the modelled CPU has INVPCID.
 * @slot: the ASID slot of the loaded mm.
 * @cr3_writes: CR3 writes.
 * @cr3_noflush: CR3 writes with the no-flush bit.
 * @invpcid_addr: INVPCID individual-address operations (type 0).
 * @invpcid_ctx: INVPCID single-context operations (type 1).
 * @invpcid_all: INVPCID all-context operations (types 2 and 3).
 * @invlpg: INVLPG operations.
 * @fills: translations walked and cached.
 * @hits: accesses served from a cached translation.
 * @faults: accesses that found no translation.
 * @psc_hits: walks that started from a paging-structure cache entry.
 * @reports: stale translations and invalid operations reported.
 * @entries: valid entries now.
 * @psc_entries: valid paging-structure cache entries now.
 * @pgd_allocs: restricted page tables allocated.
 * @pgd_frees: restricted page tables freed.
 * @exposed: the ASI_FLUSH_DATA kinds of CPU state that may hold kernel
 *	data.
 * @trained: the ASI_FLUSH_CONTROL kinds an untrusted context trained.
 * @untrusted_runs: times an untrusted context ran.
 * @flushes: flushes of each ASI_FLUSH_* kind, by bit number.
 * @needless_flushes: flushes of state that held nothing to flush: kernel
 *	data not there since the last flush, predictors not trained.
 */
struct asi_um_tlb_state {
	unsigned long cr3;
	bool pcide;
	bool invpcid;
	unsigned int slot;
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
	unsigned int entries;
	unsigned int psc_entries;
	unsigned long pgd_allocs;
	unsigned long pgd_frees;
	unsigned int exposed;
	unsigned int trained;
	unsigned long untrusted_runs;
	unsigned long flushes[ASI_NR_FLUSHES];
	unsigned long needless_flushes;
};

enum asi_um_tlb_op {
	ASI_UM_TLB_CR3,
	ASI_UM_TLB_INVPCID_ADDR,
	ASI_UM_TLB_INVLPG,
	ASI_UM_TLB_FLUSH,
	ASI_UM_TLB_UNTRUSTED,
};

/**
 * struct asi_um_tlb_event - one entry of the model's log of core requests
 * @op: the operation.
 * @val: CR3 value for ASI_UM_TLB_CR3, PCID for ASI_UM_TLB_INVPCID_ADDR.
 * @addr: the address invalidated, for the invalidations.
 */
struct asi_um_tlb_event {
	enum asi_um_tlb_op op;
	unsigned long val;
	unsigned long addr;
};

/* The INVPCID types, with their x86 numbers. */
enum asi_um_invpcid_type {
	ASI_UM_INVPCID_ADDR = 0,
	ASI_UM_INVPCID_SINGLE_CTX = 1,
	ASI_UM_INVPCID_ALL_INCL_GLOBAL = 2,
	ASI_UM_INVPCID_ALL_NON_GLOBAL = 3,
};

/* What the model holds for an address in a PCID; see asi_um_tlb_cached(). */
enum asi_um_tlb_hold {
	ASI_UM_TLB_NONE,
	ASI_UM_TLB_LOCAL,
	ASI_UM_TLB_GLOBAL,
};

void asi_um_tlb_get_state(struct asi_um_tlb_state *state);
bool asi_um_tlb_is_sensitive(void *addr);
void asi_um_tlb_set_features(bool pcide, bool invpcid);
unsigned int asi_um_tlb_log(struct asi_um_tlb_event *events, unsigned int max);
int asi_um_tlb_access(unsigned long addr, bool user, unsigned long *pfn);
int asi_um_tlb_access_rw(unsigned long addr, bool user, bool write,
			 unsigned long *pfn);
int asi_um_kpt_change(void *addr, unsigned long npages, int global, int write);
int asi_um_kpt_change_noflush(void *addr, unsigned long npages, int global,
			      int write);

enum asi_um_tlb_hold asi_um_tlb_cached(u16 pcid, unsigned long addr,
				       bool user);
void asi_um_tlb_invlpg(unsigned long addr, bool user);
void asi_um_tlb_invpcid(enum asi_um_invpcid_type type, u16 pcid,
			unsigned long addr, bool user);
void asi_um_tlb_expect_reports(bool expect);
void asi_um_tlb_last_report(char *buf, size_t size);
void asi_um_tlb_cr3_hook(void (*hook)(void *arg), void *arg, bool after);
void asi_um_tlb_run_untrusted(void);

#else

static inline void asi_um_switch_mm(struct mm_struct *prev,
				    struct mm_struct *next)
{
}

static inline void asi_um_flush_tlb_user(struct mm_struct *mm,
					 unsigned long start, unsigned long end)
{
}

static inline void asi_um_flush_tlb_kernel(unsigned long start,
					   unsigned long end)
{
}

static inline void asi_um_tlb_run_untrusted(void) { }

#endif /* CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION */

#endif /* __UM_ASI_H */
