// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 backend of ASI: the machine effects the shared core asks for.
 *
 * A restricted page table has an empty user half (user accesses fault and
 * leave ASI) and the kernel half of the template, which every restricted
 * PGD copies when it is created.
 *
 * The invariant: for every kernel virtual address, at every moment a CPU
 * can be restricted, a restricted page table maps it not at all, or to the
 * same frame with the same or fewer permissions, the same memory type and
 * the same encryption as init_mm.
 *
 * It holds by construction.  The template is a function of init_mm and of
 * the set of sensitive pages, never a fork of init_mm:
 *
 * - It shares init_mm's own tables everywhere except on the way down to a
 *   sensitive page.  A shared table is the same memory: every change the
 *   kernel makes there (CPA, vmalloc, modules, ...) is the template's too.
 * - Where it cannot share, it owns a table.  Ownership is explicit: an
 *   owned table is in asi_owned_tables, nothing is inferred from entry
 *   values.  Every entry of an owned table is either a pointer to another
 *   owned table, or none for a sensitive page, or derived from init_mm
 *   (asi_kernel_entry()): init_mm's entry at that level (so a table below
 *   is shared), or the piece of a larger init_mm leaf, with its frame,
 *   permissions, memory type and encryption bits.
 * - The entries of the template's PGD never change once it is built, so
 *   that a restricted PGD copied from it at any time sees every later
 *   edit: the tables below its direct-map entries are owned from boot.
 * - Each change the kernel makes to init_mm's kernel half where the
 *   template may own a table calls asi_kernel_range_changed(), and the
 *   owned entries are derived again (asi_arch_sync_kernel_range()): CPA
 *   after changing a range (before CPA's TLB flush, or the caller's for
 *   the _noflush calls), memory hot-add and
 *   hot-remove.  Deriving twice gives the same result, so the order in
 *   which racing changes are synced does not matter: the last sync reads
 *   init_mm's last state.
 *
 * Non-sensitive kernel mappings stay global, as init_mm's are, because the
 * invalidation story stays complete: a changed global leaf is dropped in
 * every PCID by the INVLPG or full flush that every change of init_mm is
 * followed by anyway; a changed non-global leaf or table pointer, which
 * that flush does not reach in restricted PCIDs, is reported to the core
 * (asi_kernel_entry_changed()), which has every restricted PCID flushed on
 * its next entry.  A global translation filled while restricted and still
 * there after the switch back to init_mm maps the same as init_mm.
 *
 * Memory hot-added under a PGD entry that was empty at boot is not mapped
 * in restricted spaces (accesses fault out of ASI); that maps less, never
 * more.  Owned tables are never freed: a CPU inside a domain may walk them
 * through its paging-structure caches.
 */

#define pr_fmt(fmt) "asi: " fmt

#include <linux/asi.h>
#include <linux/bitmap.h>
#include <linux/cpufeature.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <asm/invpcid.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/set_memory.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "../../../mm/asi_internal.h"

static_assert(ASI_ARCH_NR_ASID_SLOTS == TLB_NR_DYN_ASIDS);
static_assert(ASI_MAX_NUM_CLASSES < (1 << ASI_PCID_CLASS_BITS));
static_assert(TLB_NR_DYN_ASIDS < (1 << ASI_PCID_CLASS_SHIFT));
static_assert(ASI_PCID_CLASS_SHIFT + ASI_PCID_CLASS_BITS <= X86_CR3_PCID_BITS);
#ifdef CONFIG_MITIGATION_PAGE_TABLE_ISOLATION
/* The class field must leave the KPTI user-PCID bit alone. */
static_assert(ASI_PCID_CLASS_SHIFT + ASI_PCID_CLASS_BITS <=
	      X86_CR3_PTI_PCID_USER_BIT);
#endif

/*
 * Levels as the template walks them: the entries of a level-0 table are
 * PTEs, of level 1 PMDs, and so on up to the PGD, level 3 with 4-level
 * paging and 4 with 5-level paging.
 */
#define ASI_LEVEL_BITS	9
static_assert(PTRS_PER_PTE == 1 << ASI_LEVEL_BITS);

static unsigned int asi_top_level(void)
{
	return pgtable_l5_enabled() ? 4 : 3;
}

static unsigned int asi_level_shift(unsigned int level)
{
	return PAGE_SHIFT + level * ASI_LEVEL_BITS;
}

static unsigned long asi_level_size(unsigned int level)
{
	return 1UL << asi_level_shift(level);
}

static unsigned int asi_index(unsigned long addr, unsigned int level)
{
	return (addr >> asi_level_shift(level)) & (PTRS_PER_PTE - 1);
}

static bool asi_entry_is_table(u64 e, unsigned int level)
{
	return level && (e & _PAGE_PRESENT) && !(e & _PAGE_PSE);
}

static u64 *asi_entry_table(u64 e)
{
	return __va(e & PTE_PFN_MASK);
}

/* The frame bits of a leaf of @level: a large leaf keeps its PAT in bit 12. */
static u64 asi_leaf_pfn_mask(unsigned int level)
{
	return PTE_PFN_MASK & ~(asi_level_size(level) - 1);
}

/**
 * asi_sub_leaf() - the piece of a large leaf that maps part of it
 * @e: a present leaf of level @level.
 * @level: its level.
 * @sub: the level of the piece, below @level.
 * @offset: where the piece starts, from the start of @e's range.
 *
 * The piece has the same frame (plus @offset), permissions, memory type and
 * encryption.  The PAT bit of a large leaf is bit 12 and of a 4K page bit
 * 7, where a large leaf has PSE: PSE goes before the PAT bit moves there.
 *
 * Return: the entry of level @sub.
 */
u64 asi_sub_leaf(u64 e, unsigned int level, unsigned int sub,
		 unsigned long offset)
{
	u64 mask = asi_leaf_pfn_mask(level);
	u64 flags = e & ~mask;
	u64 phys = (e & mask) + (offset & ~(asi_level_size(sub) - 1));

	if (!sub && level) {
		flags &= ~_PAGE_PSE;
		if (flags & _PAGE_PAT_LARGE)
			flags = (flags & ~_PAGE_PAT_LARGE) | _PAGE_PAT;
	}
	return phys | flags;
}

/*
 * An entry with the restrictions of the entries above it folded in: x86
 * grants a write, a user access or an instruction fetch only if every
 * level does.
 */
static u64 asi_fold(u64 e, u64 rw_user, u64 nx)
{
	if (!(e & _PAGE_PRESENT))
		return e;
	return (e & ~(_PAGE_RW | _PAGE_USER)) |
	       (e & rw_user & (_PAGE_RW | _PAGE_USER)) | nx;
}

/**
 * asi_kernel_entry() - what init_mm maps at @addr, as an entry of @level
 * @addr: a kernel address, aligned to @level's size.
 * @level: the level of the entry wanted.
 *
 * init_mm's own entry there (a table it points to is then shared), or the
 * piece of a larger leaf, or nothing, with the restrictions of the levels
 * above folded in.  A large leaf that is not present yields nothing.
 *
 * Return: the entry.
 */
static u64 asi_kernel_entry(unsigned long addr, unsigned int level)
{
	u64 *table = (u64 *)init_mm.pgd, rw_user = ~0ULL, nx = 0, e;
	unsigned int l;

	for (l = asi_top_level(); ; l--) {
		e = READ_ONCE(table[asi_index(addr, l)]);
		if (l == level)
			return asi_fold(e, rw_user, nx);
		if (!(e & _PAGE_PRESENT))
			return 0;
		if (!asi_entry_is_table(e, l))
			return asi_fold(asi_sub_leaf(e, l, level,
						     addr & (asi_level_size(l) - 1)),
					rw_user, nx);
		rw_user &= e;
		nx |= e & _PAGE_NX;
		table = asi_entry_table(e);
	}
}

/**
 * struct asi_owned - a page table the template owns
 * @level: the level of its entries.
 * @sensitive: for a level-0 table, the pages that are sensitive.
 */
struct asi_owned {
	unsigned int level;
	DECLARE_BITMAP(sensitive, PTRS_PER_PTE);
};

/* The tables the template owns, by the pfn of the table; the PGD aside. */
static DEFINE_XARRAY(asi_owned_tables);
static pgd_t *asi_template_pgd;
/* Every write to the template; taken from CPA, in any context. */
static DEFINE_SPINLOCK(asi_template_lock);

static struct asi_owned *asi_owned_child(u64 e, unsigned int level)
{
	if (!asi_entry_is_table(e, level))
		return NULL;
	return xa_load(&asi_owned_tables, (e & PTE_PFN_MASK) >> PAGE_SHIFT);
}

/* Tell the core what a template edit may have left in a TLB. */
static void asi_edited(u64 old, unsigned int level)
{
	if (old & _PAGE_PRESENT)
		asi_kernel_entry_changed(asi_entry_is_table(old, level),
					 old & _PAGE_GLOBAL);
}

/*
 * Derive again the entries of owned table @table, of @level, that map
 * [@start, @last].  The PGD's own entries never change (see above): only
 * the owned tables below them are walked.
 */
static void asi_sync_table(u64 *table, struct asi_owned *own,
			   unsigned int level, unsigned long start,
			   unsigned long last)
{
	bool root = table == (u64 *)asi_template_pgd;
	unsigned long addr = start, base, end;
	struct asi_owned *child;
	unsigned int i;
	u64 e, want;

	lockdep_assert_held(&asi_template_lock);
	for (;;) {
		i = asi_index(addr, level);
		base = addr & ~(asi_level_size(level) - 1);
		end = min(base + (asi_level_size(level) - 1), last);
		e = READ_ONCE(table[i]);
		child = asi_owned_child(e, level);
		if (child) {
			asi_sync_table(asi_entry_table(e), child, level - 1,
				       addr, end);
		} else if (!root) {
			want = !level && test_bit(i, own->sensitive) ? 0 :
			       asi_kernel_entry(base, level);
			if (want != e) {
				WRITE_ONCE(table[i], want);
				asi_edited(e, level);
			}
		}
		if (end == last)
			break;
		addr = end + 1;
	}
}

/*
 * Cheap outside the direct map, where the template shares init_mm's
 * tables: only owned tables are walked.  Takes a spinlock with interrupts
 * disabled, as CPA may run in any context (debug_pagealloc).
 */
void asi_arch_sync_kernel_range(unsigned long start, unsigned long end)
{
	unsigned long flags;

	if (!asi_template_pgd || start >= end)
		return;
	spin_lock_irqsave(&asi_template_lock, flags);
	asi_sync_table((u64 *)asi_template_pgd, NULL, asi_top_level(),
		       start, end - 1);
	spin_unlock_irqrestore(&asi_template_lock, flags);
}

/*
 * Make the template own the table that entry @i of owned @table (of
 * @level) points to: a new table, its entries derived from init_mm,
 * replaces whatever was there (a shared table, a leaf, nothing).
 */
static int asi_own_table(u64 *table, unsigned int level, unsigned int i,
			 unsigned long addr)
{
	unsigned long base = addr & ~(asi_level_size(level) - 1), flags;
	u64 *new = (u64 *)get_zeroed_page(GFP_KERNEL);
	struct asi_owned *own = kzalloc(sizeof(*own), GFP_KERNEL);
	unsigned int j;
	u64 e, tflags;
	int err;

	if (!new || !own) {
		err = -ENOMEM;
		goto fail;
	}
	own->level = level - 1;
	err = xa_insert(&asi_owned_tables, __pa(new) >> PAGE_SHIFT, own,
			GFP_KERNEL);
	if (err)
		goto fail;

	spin_lock_irqsave(&asi_template_lock, flags);
	for (j = 0; j < PTRS_PER_PTE; j++)
		new[j] = asi_kernel_entry(base + j * asi_level_size(level - 1),
					  level - 1);
	e = READ_ONCE(table[i]);
	/* init_mm's table entry flags, else a kernel table's. */
	tflags = asi_entry_is_table(e, level) ? e & ~PTE_PFN_MASK : _KERNPG_TABLE;
	WRITE_ONCE(table[i], __pa(new) | tflags);
	spin_unlock_irqrestore(&asi_template_lock, flags);
	asi_edited(e, level);
	return 0;

fail:
	kfree(own);
	free_page((unsigned long)new);
	return err;
}

/*
 * The record of the owned PTE table that maps @addr, making the template
 * own every table on the way first if @create (which may sleep).  Only
 * below the PGD's direct-map entries, which are owned from boot: anything
 * else is not for the sensitive set.
 */
static struct asi_owned *asi_own_path(unsigned long addr, bool create)
{
	u64 *table = (u64 *)asi_template_pgd;
	unsigned int level = asi_top_level();
	struct asi_owned *own = NULL;
	unsigned int i;
	int err;
	u64 e;

	for (; level; level--) {
		i = asi_index(addr, level);
		e = READ_ONCE(table[i]);
		own = asi_owned_child(e, level);
		if (!own) {
			if (!create || level == asi_top_level())
				return ERR_PTR(-EINVAL);
			err = asi_own_table(table, level, i, addr);
			if (err)
				return ERR_PTR(err);
			e = READ_ONCE(table[i]);
			own = asi_owned_child(e, level);
		}
		table = asi_entry_table(e);
	}
	return own;
}

static void asi_mark(unsigned long start, unsigned long npages, bool sensitive)
{
	unsigned long flags, i, addr;
	struct asi_owned *own;

	spin_lock_irqsave(&asi_template_lock, flags);
	for (i = 0; i < npages; i++) {
		addr = start + i * PAGE_SIZE;
		own = asi_own_path(addr, false);
		/* Owned before marking; never marked when mapping again. */
		if (IS_ERR(own))
			continue;
		if (sensitive)
			__set_bit(asi_index(addr, 0), own->sensitive);
		else
			__clear_bit(asi_index(addr, 0), own->sensitive);
	}
	asi_sync_table((u64 *)asi_template_pgd, NULL, asi_top_level(), start,
		       start + npages * PAGE_SIZE - 1);
	spin_unlock_irqrestore(&asi_template_lock, flags);
}

/*
 * The tables on the way are owned first, which may allocate and fail; the
 * marking itself cannot, so a failure changes nothing but leaves owned
 * tables that map as init_mm does.  Serialized by the core.
 */
int asi_arch_restricted_unmap(void *addr, unsigned long npages, bool unmap)
{
	unsigned long start = (unsigned long)addr, i;
	struct asi_owned *own;

	for (i = 0; unmap && i < npages; i++) {
		own = asi_own_path(start + i * PAGE_SIZE, true);
		if (IS_ERR(own))
			return PTR_ERR(own);
	}
	asi_mark(start, npages, unmap);
	return 0;
}

int asi_arch_set_global(void *addr, unsigned long npages, bool global)
{
	return global ? set_memory_global((unsigned long)addr, npages) :
			set_memory_nonglobal((unsigned long)addr, npages);
}

static void asi_free_owned(void)
{
	struct asi_owned *own;
	unsigned long pfn;

	xa_for_each(&asi_owned_tables, pfn, own) {
		xa_erase(&asi_owned_tables, pfn);
		free_page((unsigned long)pfn_to_kaddr(pfn));
		kfree(own);
	}
}

static int __init asi_build_template(void)
{
	unsigned long addr, end = PAGE_OFFSET + (max_pfn << PAGE_SHIFT);
	unsigned int top = asi_top_level();
	int err;

	asi_template_pgd = (pgd_t *)get_zeroed_page(GFP_KERNEL);
	if (!asi_template_pgd)
		return -ENOMEM;
	memcpy(asi_template_pgd + KERNEL_PGD_BOUNDARY,
	       init_mm.pgd + KERNEL_PGD_BOUNDARY,
	       KERNEL_PGD_PTRS * sizeof(pgd_t));

	for (addr = PAGE_OFFSET; addr < end; addr = pgd_addr_end(addr, end)) {
		if (!pgd_present(*pgd_offset_pgd(asi_template_pgd, addr)))
			continue;
		err = asi_own_table((u64 *)asi_template_pgd, top,
				    asi_index(addr, top), addr);
		if (err)
			goto fail;
	}
	return 0;

fail:
	asi_free_owned();
	free_page((unsigned long)asi_template_pgd);
	asi_template_pgd = NULL;
	return err;
}

bool __init asi_arch_init(void)
{
	/*
	 * A Xen PV guest cannot load a page table the hypervisor has not
	 * pinned and validated, and restricted tables are not: the first
	 * CR3 write would fault.  Untested here (no Xen).
	 */
	if (cpu_feature_enabled(X86_FEATURE_XENPV)) {
		pr_info("not supported in a Xen PV guest\n");
		return false;
	}
	/*
	 * With KPTI the entry code flips CR3 to the user copy of the PGD on
	 * the way out to userspace, which a restricted PGD does not have.
	 */
	if (boot_cpu_has(X86_FEATURE_PTI)) {
		pr_info("not used together with page table isolation\n");
		return false;
	}
	if (asi_build_template()) {
		pr_err("no memory for the restricted page table template\n");
		return false;
	}
	return true;
}

pgd_t *asi_arch_alloc_pgd(struct asi *asi)
{
	pgd_t *pgd = (pgd_t *)__get_free_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!pgd)
		return NULL;
	memcpy(pgd + KERNEL_PGD_BOUNDARY, asi_template_pgd + KERNEL_PGD_BOUNDARY,
	       KERNEL_PGD_PTRS * sizeof(pgd_t));
	return pgd;
}

/*
 * The user half of a domain whose class maps user memory (the userspace
 * class) is the mm's own: the same PGD entries, so the same page tables
 * below them, which the kernel's own flushes keep coherent (the core fans
 * user flushes out to the restricted PCIDs, and marks them stale on a
 * whole flush).  It maps exactly what the normal table maps, never more.
 * Only the PGD entries are copies: every write of a user entry of an
 * mm's PGD (set_p4d() with four levels, set_pgd() with five) goes to
 * the core (asi_x86_set_user_pgd()), after the normal entry is written,
 * which mirrors it into the domains that map user memory.
 */
void asi_arch_map_user(struct asi *asi)
{
	pgd_t *normal = asi->mm->pgd;
	unsigned int i;
	pgd_t e;

	/*
	 * The domain is published: an entry written from now on is
	 * mirrored.  One written while this copies may be copied stale
	 * after its mirror; the normal entry then no longer matches what
	 * was copied, and it is copied again.
	 */
	for (i = 0; i < KERNEL_PGD_BOUNDARY; i++) {
		do {
			e = READ_ONCE(normal[i]);
			WRITE_ONCE(asi->pgd[i], e);
		} while (pgd_val(READ_ONCE(normal[i])) != pgd_val(e));
	}
}

/**
 * asi_x86_set_user_pgd() - hand a written user entry of an mm's PGD to the core
 * @pgdp: the entry, just written.
 * @pgd: its value.
 *
 * Called by native_set_p4d() (four-level paging, where the P4D is the
 * PGD) and native_set_pgd() for every entry they write; the core mirrors
 * a user entry of an mm's PGD into the domains that map user memory.
 */
void asi_x86_set_user_pgd(pgd_t *pgdp, pgd_t pgd)
{
	unsigned int idx = ((unsigned long)pgdp & ~PAGE_MASK) / sizeof(pgd_t);
	struct mm_struct *mm;

	if (!asi_enabled() || idx >= KERNEL_PGD_BOUNDARY)
		return;
	/* Set on every mm's PGD (pgd_ctor()); NULL on the kernel's own. */
	mm = pgd_page_get_mm(virt_to_page(pgdp));
	if (mm && mm->pgd == pgdp - idx)
		asi_user_pgd_changed(mm, idx, pgd);
}

void asi_arch_free_pgd(struct asi *asi)
{
	free_page((unsigned long)asi->pgd);
}

#ifdef CONFIG_DEBUG_ASI
/* What the core compares of an entry: see asi_kernel_map_widens(). */
static void asi_describe(u64 e, unsigned int level, struct asi_kernel_map *m)
{
	u64 kept = _PAGE_PWT | _PAGE_PCD | _PAGE_ENC | _PAGE_PKEY_MASK |
		   (level ? _PAGE_PAT_LARGE : _PAGE_PAT);

	memset(m, 0, sizeof(*m));
	m->present = e & _PAGE_PRESENT;
	if (!m->present)
		return;
	m->pfn = (e & asi_leaf_pfn_mask(level)) >> PAGE_SHIFT;
	m->write = e & _PAGE_RW;
	m->user = e & _PAGE_USER;
	m->exec = !(e & _PAGE_NX);
	m->global = e & _PAGE_GLOBAL;
	/*
	 * Memory type and encryption, compared as they are: the PAT, PCD
	 * and PWT bits, SME's C-bit, and any other address bit that memory
	 * encryption took out of the frame number (TDX's shared bit).
	 */
	m->attrs = (e & kept) |
		   (e & GENMASK_ULL(__PHYSICAL_MASK_SHIFT - 1, PAGE_SHIFT) &
		    ~PTE_PFN_MASK);
	m->raw = e;
}

/*
 * Check restricted entry @r of @level at @addr, with the restrictions of
 * the entries above it, against init_mm.  A table the restricted side
 * shares with init_mm is the same memory and is not walked.
 */
static unsigned long asi_check_entry(u64 r, unsigned int level,
				     unsigned long addr, u64 rw_user, u64 nx)
{
	u64 k = asi_kernel_entry(addr, level), *t;
	struct asi_kernel_map rm, km;
	unsigned long n = 0, size;
	unsigned int j;

	if (!(r & _PAGE_PRESENT))
		return 0;
	r = asi_fold(r, rw_user, nx);
	if (!level)
		goto leaf;
	size = asi_level_size(level - 1);
	if (asi_entry_is_table(r, level)) {
		if (r == k)
			return 0;
		t = asi_entry_table(r);
		for (j = 0; j < PTRS_PER_PTE; j++)
			n += asi_check_entry(READ_ONCE(t[j]), level - 1,
					     addr + j * size, rw_user & r,
					     nx | (r & _PAGE_NX));
		return n;
	}
	if (asi_entry_is_table(k, level)) {
		/* init_mm maps finer: compare with each of its pieces. */
		for (j = 0; j < PTRS_PER_PTE; j++)
			n += asi_check_entry(asi_sub_leaf(r, level, level - 1,
							  j * size),
					     level - 1, addr + j * size, ~0ULL, 0);
		return n;
	}
leaf:
	asi_describe(r, level, &rm);
	asi_describe(k, level, &km);
	if (!asi_kernel_map_widens(&km, &rm))
		return 0;
	asi_report_widening(addr, level, &km, &rm);
	return 1;
}

unsigned long asi_arch_check_tables(pgd_t *pgd)
{
	unsigned int top = asi_top_level(), i;
	u64 *t = (u64 *)(pgd ?: asi_template_pgd);
	unsigned long n = 0;

	for (i = KERNEL_PGD_BOUNDARY; i < PTRS_PER_PGD; i++)
		n += asi_check_entry(READ_ONCE(t[i]), top,
				     (unsigned long)i << asi_level_shift(top) |
				     (~0UL << (asi_level_shift(top) +
					       ASI_LEVEL_BITS)),
				     ~0ULL, 0);
	return n;
}
#endif /* CONFIG_DEBUG_ASI */

/*
 * What the core's transitions call is noinstr, as they are (they run from
 * entry code, NMIs and VM entry paths).
 */
noinstr void asi_arch_write_cr3(unsigned long cr3)
{
	asm volatile("mov %0,%%cr3" : : "r" (cr3) : "memory");
}

noinstr unsigned long asi_arch_read_cr3(void)
{
	return __native_read_cr3();
}

noinstr struct mm_struct *asi_arch_loaded_mm(void)
{
	return this_cpu_read(cpu_tlbstate.loaded_mm);
}

noinstr int asi_arch_asid_slot(struct mm_struct *mm)
{
	if (this_cpu_read(cpu_tlbstate.loaded_mm) != mm)
		return -1;
	return this_cpu_read(cpu_tlbstate.loaded_mm_asid);
}

noinstr bool asi_arch_has_pcid(void)
{
	return cpu_feature_enabled(X86_FEATURE_PCID);
}

bool asi_arch_has_invpcid(void)
{
	return cpu_feature_enabled(X86_FEATURE_INVPCID);
}

/* As build_cr3() in arch/x86/mm/tlb.c, with ASI's PCIDs (asi_x86_pcid()). */
noinstr unsigned long asi_arch_cr3(pgd_t *pgd, int slot, int class_id,
				   bool noflush)
{
	unsigned long cr3 = __sme_pa_nodebug(pgd) | tlbstate_lam_cr3_mask();

	if (slot < 0)
		return cr3;
	cr3 |= asi_x86_pcid(slot, class_id);
	return noflush ? cr3 | CR3_NOFLUSH : cr3;
}

void asi_arch_invpcid_addr(unsigned int slot, int class_id, unsigned long addr)
{
	invpcid_flush_one(asi_x86_pcid(slot, class_id), addr);
}

void asi_arch_invlpg(unsigned long addr)
{
	asm volatile("invlpg (%0)" ::"r" (addr) : "memory");
}

/*
 * The flushes with the kernel's own primitives, each only where the CPU
 * has it and the kernel's mitigation settings use it: a CPU not affected
 * by a leak, or booted with that mitigation off, pays nothing for it.
 * That is the same choice the kernel makes at its other boundaries
 * (context switch, VM entry, return to user).  On a CPU with none of them
 * (QEMU's emulation, Bochs) only the decision, counted by the core, is
 * tested; the instructions have not run on hardware.
 */
noinstr void asi_arch_flush(unsigned int flush)
{
	switch (flush) {
	case ASI_FLUSH_L1D:
		/* As VMX does for L1TF, without its software fallback. */
		if (cpu_feature_enabled(X86_FEATURE_FLUSH_L1D))
			__wrmsr(MSR_IA32_FLUSH_CMD, L1D_FLUSH, 0);
		break;
	case ASI_FLUSH_BUFFERS:
		/* VERW, where MDS/TAA/MMIO/RFDS mitigations use it. */
		if (cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF))
			x86_clear_cpu_buffers();
		break;
	case ASI_FLUSH_IBPB:
		/* indirect_branch_prediction_barrier(), always inline. */
		alternative_msr_write(MSR_IA32_PRED_CMD, x86_pred_cmd,
				      X86_FEATURE_USE_IBPB);
		break;
	case ASI_FLUSH_RSB:
		/* Only with X86_FEATURE_RSB_CTXSW (spectre_v2). */
		asi_x86_fill_rsb();
		break;
	}
}
