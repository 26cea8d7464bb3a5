// SPDX-License-Identifier: GPL-2.0
/*
 * The modelled kernel page tables of the UML backend: the direct map, as
 * x86_64 lays it out, in a normal hierarchy and a restricted template.
 *
 * UML has no page tables of its own for the kernel, so the model keeps a
 * table hierarchy shaped like x86_64's for the direct map, indexed by the
 * direct-map address itself:
 *
 * - the normal hierarchy maps it with the largest leaves x86 would use: 1G
 *   where address and frame are 1G-aligned and the whole 1G is memory,
 *   else 2M, else 4K; every leaf is global.  (UML's direct map starts at
 *   1.5G, so in practice it gets 2M leaves and a page table at its end.)
 * - the template is the kernel half of every restricted space.  Its root
 *   and the tables one level below (the PDPTs) are private from boot, as
 *   on x86, where each restricted PGD copies the template's PGD entries
 *   and so they must never change; below, it shares the normal tables.
 *
 * The template is derived from the normal hierarchy, as x86's is from
 * init_mm (arch/x86/mm/asi.c): below its private PDPTs it shares the
 * normal tables, except on the way down to a sensitive page, where it owns
 * a table.  Every entry of an owned table is a pointer to another owned
 * table, nothing for a sensitive page, or derived from the normal side:
 * its entry at that level (a table below is then shared), or the piece of
 * a larger leaf, with its frame and its global and write bits.  Whenever
 * the normal side changes (asi_um_kpt_change(), the model's CPA) the owned
 * entries are derived again (asi_kernel_range_changed()), and each changed entry is
 * reported to the core (asi_kernel_entry_changed()), which decides what
 * the restricted PCIDs must flush.
 *
 * Ownership is explicit: a table the template owns has ->template_owned
 * set, counts in ->sensitive the pages carved out below it, and a page
 * table marks them in ->carved.  When the last one is mapped again the
 * template shares the normal side at that place again and frees its table:
 * the template stays small, and it is what lets a later carve-out replace
 * a shared table while the normal side needs no split (and so no CPA
 * flush): the case the core's kernel table invalidation is for.  (x86
 * never frees its tables; the model does so that a freed table cached in
 * a paging-structure cache is exercised too.)  The normal hierarchy's
 * splits are kept, as x86's CPA keeps them, except that the model's CPA
 * always splits down to 4K; the boot-private PDPTs and the roots are never
 * freed (the model lives as long as the kernel).
 *
 * Every table has a never-reused id, which the modelled paging-structure
 * caches remember, and the ids of live tables are kept in an xarray: a
 * cached table that is gone is told from one that was replaced.
 *
 * Edits take asi_um_kpt_lock and may sleep; walks come from the modelled
 * CPU with interrupts off and take no lock.  That is safe because UML is
 * uniprocessor and no walker runs while an editor is between two stores
 * (the editor does not sleep with an edit half done).
 */

#define pr_fmt(fmt) "asi: TLB model: " fmt

#include <linux/asi.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <asm/tlbflush.h>
#include <linux/xarray.h>

#include "../../../mm/asi_internal.h"
#include "model.h"

enum asi_um_kpte_kind { ASI_UM_NONE, ASI_UM_TABLE, ASI_UM_LEAF };

struct asi_um_kpte {
	u8 kind;
	bool global;
	bool write;
	union {
		struct asi_um_ptable *table;
		unsigned long pfn;
	};
};

/**
 * struct asi_um_ptable - one modelled paging structure
 * @id: never reused; what a paging-structure cache entry remembers.
 * @level: the level of its entries.
 * @template_owned: private to the restricted template.
 * @permanent: a template table that is never given back (root, PDPTs).
 * @sensitive: for a template-owned table, the pages carved out below it.
 * @carved: for a template-owned page table, which of its pages they are.
 * @e: the entries.
 */
struct asi_um_ptable {
	u64 id;
	u8 level;
	bool template_owned;
	bool permanent;
	unsigned int sensitive;
	DECLARE_BITMAP(carved, ASI_UM_PT_ENTRIES);
	struct asi_um_kpte e[ASI_UM_PT_ENTRIES];
};

static struct asi_um_ptable *asi_um_normal_root, *asi_um_template_root;
static unsigned long asi_um_dmap_start, asi_um_dmap_end;
static u64 asi_um_next_id = 1;
static DEFINE_MUTEX(asi_um_kpt_lock);
static DEFINE_XARRAY(asi_um_kpt_ids);

static unsigned int asi_um_index(unsigned long addr, unsigned int level)
{
	return (addr >> asi_um_level_shift(level)) & (ASI_UM_PT_ENTRIES - 1);
}

static struct asi_um_ptable *asi_um_table_new(unsigned int level,
					      bool template_owned)
{
	struct asi_um_ptable *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return NULL;
	t->level = level;
	t->template_owned = template_owned;
	t->id = asi_um_next_id++;
	if (xa_err(xa_store(&asi_um_kpt_ids, t->id, t, GFP_KERNEL))) {
		kfree(t);
		return NULL;
	}
	return t;
}

static void asi_um_table_free(struct asi_um_ptable *t)
{
	xa_erase(&asi_um_kpt_ids, t->id);
	kfree(t);
}

/* A private copy of @t for the template: the same entries. */
static struct asi_um_ptable *asi_um_table_copy(struct asi_um_ptable *t)
{
	struct asi_um_ptable *copy = asi_um_table_new(t->level, true);

	if (copy)
		memcpy(copy->e, t->e, sizeof(t->e));
	return copy;
}

/* A table of leaves one level down mapping what the leaf @e maps. */
static struct asi_um_ptable *asi_um_split(struct asi_um_kpte *e,
					  unsigned int level,
					  bool template_owned)
{
	struct asi_um_ptable *t = asi_um_table_new(level - 1, template_owned);
	unsigned long step = 1UL << (asi_um_level_shift(level - 1) - PAGE_SHIFT);
	unsigned int i;

	if (!t)
		return NULL;
	for (i = 0; i < ASI_UM_PT_ENTRIES; i++)
		t->e[i] = (struct asi_um_kpte) { .kind = ASI_UM_LEAF,
			.global = e->global, .write = e->write,
			.pfn = e->pfn + i * step };
	return t;
}

/* Map [@start, @end) below @t with the largest leaves that fit. */
static int __init asi_um_map_range(struct asi_um_ptable *t,
				   unsigned long start, unsigned long end)
{
	unsigned int level = t->level, shift = asi_um_level_shift(level);
	unsigned long addr, next, size = 1UL << shift;
	struct asi_um_kpte *e;
	int err;

	for (addr = start; addr < end; addr = next) {
		next = min(end, round_down(addr, size) + size);
		e = &t->e[asi_um_index(addr, level)];
		if (level == ASI_UM_PTE ||
		    (level <= ASI_UM_PDPTE && next - addr == size &&
		     IS_ALIGNED(addr, size) && IS_ALIGNED(__pa(addr), size))) {
			*e = (struct asi_um_kpte) { .kind = ASI_UM_LEAF,
				.global = true, .write = true,
				.pfn = __pa(addr) >> PAGE_SHIFT };
			continue;
		}
		if (e->kind != ASI_UM_TABLE) {
			e->table = asi_um_table_new(level - 1, false);
			if (!e->table)
				return -ENOMEM;
			e->kind = ASI_UM_TABLE;
		}
		err = asi_um_map_range(e->table, addr, next);
		if (err)
			return err;
	}
	return 0;
}

/**
 * asi_um_kpt_init() - build the normal direct map and the template
 *
 * Called from asi_arch_init(), once.  Nothing built here is freed: the
 * model lasts as long as the kernel.
 *
 * Return: 0 or -ENOMEM.
 */
int __init asi_um_kpt_init(void)
{
	struct asi_um_kpte *e;
	unsigned int i;

	asi_um_dmap_start = PAGE_OFFSET;
	asi_um_dmap_end = PAGE_OFFSET + (max_mapnr << PAGE_SHIFT);
	asi_um_normal_root = asi_um_table_new(ASI_UM_PML4E, false);
	asi_um_template_root = asi_um_table_new(ASI_UM_PML4E, true);
	if (!asi_um_normal_root || !asi_um_template_root ||
	    asi_um_map_range(asi_um_normal_root, asi_um_dmap_start,
			     asi_um_dmap_end))
		return -ENOMEM;
	asi_um_template_root->permanent = true;
	for (i = 0; i < ASI_UM_PT_ENTRIES; i++) {
		e = &asi_um_template_root->e[i];
		*e = asi_um_normal_root->e[i];
		if (e->kind != ASI_UM_TABLE)
			continue;
		e->table = asi_um_table_copy(e->table);
		if (!e->table)
			return -ENOMEM;
		e->table->permanent = true;
	}
	return 0;
}

/**
 * asi_um_kpt_covers() - is @addr in the modelled direct map?
 * @addr: a kernel address.
 *
 * Return: true if the modelled kernel tables translate @addr.
 */
bool asi_um_kpt_covers(unsigned long addr)
{
	return addr >= asi_um_dmap_start && addr < asi_um_dmap_end;
}

/**
 * asi_um_kpt_root() - the root of a kernel hierarchy
 * @restricted: the template's rather than the normal one.
 *
 * Return: the PML4 of the modelled kernel half.
 */
struct asi_um_ptable *asi_um_kpt_root(bool restricted)
{
	return restricted ? asi_um_template_root : asi_um_normal_root;
}

/**
 * asi_um_kpt_walk() - walk from @table down to what maps @addr
 * @table: where to start: a root, or a table a cache entry points to.
 * @addr: the direct-map address.
 * @w: filled in; @w->tables above @table's level are left alone.
 */
void asi_um_kpt_walk(struct asi_um_ptable *table, unsigned long addr,
		     struct asi_um_kwalk *w)
{
	unsigned int level;
	struct asi_um_kpte *e;

	w->present = false;
	w->global = false;
	w->write = false;
	for (level = table->level; level >= ASI_UM_PTE; level--)
		w->tables[level] = NULL;
	for (level = table->level; table; level--) {
		w->tables[level] = table;
		e = &table->e[asi_um_index(addr, level)];
		table = NULL;
		if (e->kind == ASI_UM_TABLE && level > ASI_UM_PTE) {
			table = e->table;
		} else if (e->kind == ASI_UM_LEAF) {
			w->present = true;
			w->global = e->global;
			w->write = e->write;
			w->leaf_level = level;
			w->pfn = e->pfn + ((addr & ((1UL << asi_um_level_shift(level)) - 1))
					   >> PAGE_SHIFT);
		}
	}
}

/**
 * asi_um_kpt_id() - the never-reused id of a modelled table
 * @table: the table.
 *
 * Return: its id.
 */
u64 asi_um_kpt_id(struct asi_um_ptable *table)
{
	return table->id;
}

/**
 * asi_um_kpt_live() - is the table of id @id still part of a hierarchy?
 * @id: a table id.
 *
 * Return: false once the table was freed.
 */
bool asi_um_kpt_live(u64 id)
{
	return xa_load(&asi_um_kpt_ids, id);
}

/**
 * asi_um_kpt_level_name() - x86's name of the entries of a level
 * @level: 1 to 4.
 *
 * Return: "PTE", "PDE", "PDPTE" or "PML4E".
 */
const char *asi_um_kpt_level_name(unsigned int level)
{
	static const char *const names[] = { "?", "PTE", "PDE", "PDPTE",
					     "PML4E" };

	return level <= ASI_UM_PML4E ? names[level] : names[0];
}

static bool asi_um_kpte_equal(struct asi_um_kpte a, struct asi_um_kpte b)
{
	if (a.kind != b.kind)
		return false;
	if (a.kind == ASI_UM_TABLE)
		return a.table == b.table;
	return a.kind == ASI_UM_NONE ||
	       (a.pfn == b.pfn && a.global == b.global && a.write == b.write);
}

/*
 * What the normal side maps at @addr, as an entry of @level: its own entry
 * there (a table is then shared), the piece of a larger leaf, or nothing.
 */
static struct asi_um_kpte asi_um_derive(unsigned long addr, unsigned int level)
{
	struct asi_um_ptable *t = asi_um_normal_root;
	unsigned long offset;
	struct asi_um_kpte e;
	unsigned int l;

	for (l = ASI_UM_PML4E; ; l--) {
		e = t->e[asi_um_index(addr, l)];
		if (l == level || e.kind == ASI_UM_NONE)
			return e;
		if (e.kind == ASI_UM_LEAF) {
			offset = addr & ((1UL << asi_um_level_shift(l)) - 1) &
				 ~((1UL << asi_um_level_shift(level)) - 1);
			e.pfn += offset >> PAGE_SHIFT;
			return e;
		}
		t = e.table;
	}
}

/* Tell the core what replacing @old may have left in a TLB. */
static void asi_um_edited(struct asi_um_kpte old)
{
	if (old.kind != ASI_UM_NONE)
		asi_kernel_entry_changed(old.kind == ASI_UM_TABLE, old.global);
}

/*
 * Derive again the entries of template-owned table @t that map
 * [@start, @last].  The root's own entries never change: only the owned
 * tables below it are walked.
 */
static void asi_um_sync_table(struct asi_um_ptable *t, unsigned long start,
			      unsigned long last)
{
	unsigned long size = 1UL << asi_um_level_shift(t->level);
	unsigned long addr = start, base, end;
	struct asi_um_kpte *e, want;
	unsigned int i;

	for (;;) {
		i = asi_um_index(addr, t->level);
		base = addr & ~(size - 1);
		end = min(base + size - 1, last);
		e = &t->e[i];
		if (e->kind == ASI_UM_TABLE && e->table->template_owned) {
			asi_um_sync_table(e->table, addr, end);
		} else if (t != asi_um_template_root) {
			if (t->level == ASI_UM_PTE && test_bit(i, t->carved))
				want = (struct asi_um_kpte) { .kind = ASI_UM_NONE };
			else
				want = asi_um_derive(base, t->level);
			if (!asi_um_kpte_equal(*e, want)) {
				struct asi_um_kpte old = *e;

				*e = want;
				asi_um_edited(old);
			}
		}
		if (end == last)
			break;
		addr = end + 1;
	}
}

/*
 * The backend operation: the model's CPA (below) calls the core's
 * asi_kernel_range_changed() after changing the normal side, before its
 * flush, as x86's does.
 */
void asi_arch_sync_kernel_range(unsigned long start, unsigned long end)
{
	if (asi_um_template_root && start < end)
		asi_um_sync_table(asi_um_template_root, start, end - 1);
}

/*
 * The model's CPA on one page of the normal side: a large leaf on the way
 * is split (into leaves of the same bits), and then, as CPA's
 * __split_large_page() does with flush_tlb_all(), every TLB and
 * paging-structure cache is flushed (this CPU's: UML is uniprocessor).
 */
static int asi_um_normal_change(unsigned long addr, int global, int write)
{
	struct asi_um_ptable *t = asi_um_normal_root;
	bool split = false;
	struct asi_um_kpte *e;
	unsigned int level;

	for (level = ASI_UM_PML4E; ; level--) {
		e = &t->e[asi_um_index(addr, level)];
		if (e->kind == ASI_UM_LEAF && level > ASI_UM_PTE) {
			struct asi_um_ptable *n = asi_um_split(e, level, false);

			if (!n)
				return -ENOMEM;
			*e = (struct asi_um_kpte) { .kind = ASI_UM_TABLE,
						    .table = n };
			split = true;
		}
		if (WARN_ON_ONCE(e->kind == ASI_UM_NONE))
			return -EINVAL;
		if (level == ASI_UM_PTE)
			break;
		t = e->table;
	}
	if (global >= 0)
		e->global = global;
	if (write >= 0)
		e->write = write;
	if (split)
		asi_um_tlb_flush_all();
	return 0;
}

/**
 * asi_um_kpt_change() - the model's CPA: change pages of the normal side
 * @addr: the first page, in the direct map.
 * @npages: how many.
 * @global: the new global bit, or -1 to leave it.
 * @write: the new write bit, or -1 to leave it.
 *
 * As set_memory_nonglobal()/global()/ro()/rw(): the normal side changes,
 * the template follows (asi_kernel_range_changed()), then every CPU's translations
 * of the range are flushed (flush_tlb_kernel_range()).
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOMEM from a split (pages before it are changed).
 */
int asi_um_kpt_change(void *addr, unsigned long npages, int global, int write)
{
	int err = asi_um_kpt_change_noflush(addr, npages, global, write);

	flush_tlb_kernel_range((unsigned long)addr,
			       (unsigned long)addr + npages * PAGE_SIZE);
	return err;
}
EXPORT_SYMBOL_GPL(asi_um_kpt_change);

/**
 * asi_um_kpt_change_noflush() - asi_um_kpt_change() without the flush
 * @addr: as for asi_um_kpt_change().
 * @npages: as for asi_um_kpt_change().
 * @global: as for asi_um_kpt_change().
 * @write: as for asi_um_kpt_change().
 *
 * As the kernel's _noflush calls (set_direct_map_*_noflush()): the caller
 * flushes (flush_tlb_kernel_range()) before relying on the change.
 *
 * Context: process context, may sleep.
 * Return: as asi_um_kpt_change().
 */
int asi_um_kpt_change_noflush(void *addr, unsigned long npages, int global,
			      int write)
{
	unsigned long start = (unsigned long)addr, i;
	int err = 0;

	mutex_lock(&asi_um_kpt_lock);
	for (i = 0; i < npages && !err; i++)
		err = asi_um_normal_change(start + i * PAGE_SIZE, global, write);
	asi_kernel_range_changed(start, start + i * PAGE_SIZE);
	mutex_unlock(&asi_um_kpt_lock);
	return err;
}
EXPORT_SYMBOL_GPL(asi_um_kpt_change_noflush);

/* set_memory_(non)global() on one page, as the backend's CPA. */
static int asi_um_set_global(unsigned long addr, bool global)
{
	int err = asi_um_normal_change(addr, global, -1);

	asi_kernel_range_changed(addr, addr + PAGE_SIZE);
	return err;
}

/*
 * The template's page table for @addr, making the template own every
 * table on the way first: a new table, its entries derived from the
 * normal side, replaces what was there (a shared table, a leaf).
 */
static struct asi_um_ptable *asi_um_own_path(unsigned long addr)
{
	struct asi_um_ptable *t = asi_um_template_root, *n;
	unsigned long size;
	struct asi_um_kpte *e, old;
	unsigned int level, j;

	for (level = ASI_UM_PML4E; level > ASI_UM_PTE; level--) {
		e = &t->e[asi_um_index(addr, level)];
		if (e->kind == ASI_UM_TABLE && e->table->template_owned) {
			t = e->table;
			continue;
		}
		if (e->kind == ASI_UM_NONE)
			return ERR_PTR(-EINVAL);
		n = asi_um_table_new(level - 1, true);
		if (!n)
			return ERR_PTR(-ENOMEM);
		size = 1UL << asi_um_level_shift(level - 1);
		for (j = 0; j < ASI_UM_PT_ENTRIES; j++)
			n->e[j] = asi_um_derive(round_down(addr, size * ASI_UM_PT_ENTRIES) +
						j * size, level - 1);
		old = *e;
		*e = (struct asi_um_kpte) { .kind = ASI_UM_TABLE, .table = n };
		asi_um_edited(old);
		t = n;
	}
	return t;
}

/* Carve @addr out of the template: its PTE cleared, counted on the way. */
static int asi_um_template_carve(unsigned long addr)
{
	struct asi_um_ptable *t = asi_um_own_path(addr), *u;
	unsigned int level;

	if (IS_ERR(t))
		return PTR_ERR(t);
	if (WARN_ON_ONCE(__test_and_set_bit(asi_um_index(addr, ASI_UM_PTE),
					    t->carved)))
		return -EINVAL;
	for (level = ASI_UM_PML4E, u = asi_um_template_root; level >= ASI_UM_PTE;
	     level--) {
		u->sensitive++;
		if (level > ASI_UM_PTE)
			u = u->e[asi_um_index(addr, level)].table;
	}
	asi_um_sync_table(t, addr, addr + PAGE_SIZE - 1);
	return 0;
}

/*
 * Map @addr in the template again.  A template table with no carved-out
 * page left below goes back to sharing the normal side at its place, and
 * is freed.
 */
static void asi_um_template_uncarve(unsigned long addr)
{
	struct asi_um_ptable *path[ASI_UM_PML4E + 1] = { };
	struct asi_um_ptable *t = asi_um_template_root;
	struct asi_um_kpte *e;
	unsigned int level;

	for (level = ASI_UM_PML4E; level > ASI_UM_PTE; level--) {
		path[level] = t;
		e = &t->e[asi_um_index(addr, level)];
		if (WARN_ON_ONCE(e->kind != ASI_UM_TABLE ||
				 !e->table->template_owned))
			return;
		t = e->table;
	}
	path[ASI_UM_PTE] = t;
	if (WARN_ON_ONCE(!__test_and_clear_bit(asi_um_index(addr, ASI_UM_PTE),
					       t->carved)))
		return;
	asi_um_sync_table(t, addr, addr + PAGE_SIZE - 1);

	for (level = ASI_UM_PTE; level <= ASI_UM_PML4E; level++) {
		t = path[level];
		if (WARN_ON_ONCE(!t->sensitive))
			return;
		if (--t->sensitive || t->permanent)
			continue;
		e = &path[level + 1]->e[asi_um_index(addr, level + 1)];
		*e = asi_um_derive(addr, level + 1);
		asi_um_table_free(t);
		/* The freed table may be in a paging-structure cache. */
		asi_kernel_tables_edited();
	}
}

/* Carve pages out of the template, or map them again; see the top. */
int asi_arch_restricted_unmap(void *addr, unsigned long npages, bool unmap)
{
	unsigned long start = (unsigned long)addr, i;
	int err = 0;

	might_sleep();
	mutex_lock(&asi_um_kpt_lock);
	for (i = 0; i < npages && !err; i++) {
		if (unmap)
			err = asi_um_template_carve(start + i * PAGE_SIZE);
		else
			asi_um_template_uncarve(start + i * PAGE_SIZE);
	}
	/* A failed carve-out changes nothing. */
	while (err && --i)
		asi_um_template_uncarve(start + (i - 1) * PAGE_SIZE);
	mutex_unlock(&asi_um_kpt_lock);
	return err;
}

/* set_memory_(non)global(), as the backend's CPA. */
int asi_arch_set_global(void *addr, unsigned long npages, bool global)
{
	unsigned long start = (unsigned long)addr, i;
	int err = 0;

	mutex_lock(&asi_um_kpt_lock);
	for (i = 0; i < npages && !err; i++)
		err = asi_um_set_global(start + i * PAGE_SIZE, global);
	mutex_unlock(&asi_um_kpt_lock);
	return err;
}

#ifdef CONFIG_DEBUG_ASI
/* What the core compares of a modelled translation. */
static void asi_um_describe(bool present, unsigned long pfn, bool global,
			    bool write, struct asi_kernel_map *m)
{
	memset(m, 0, sizeof(*m));
	m->present = present;
	if (!present)
		return;
	m->pfn = pfn;
	m->write = write;
	m->global = global;
	/* x86's bits, for the report: present, write, global. */
	m->raw = (u64)pfn << PAGE_SHIFT | global << 8 | write << 1 | 1;
}

/*
 * Check the template table @t, mapping from @base, against the normal
 * hierarchy: a table it shares with the normal side is not walked, a leaf
 * is compared page by page with what the normal side maps.
 */
static unsigned long asi_um_check(struct asi_um_ptable *t, unsigned long base)
{
	unsigned long size = 1UL << asi_um_level_shift(t->level);
	struct asi_kernel_map rm, nm;
	struct asi_um_kwalk w;
	struct asi_um_kpte *e, normal;
	unsigned long n = 0, addr, va;
	unsigned int i;

	for (i = 0; i < ASI_UM_PT_ENTRIES; i++) {
		e = &t->e[i];
		addr = base + i * size;
		if (e->kind == ASI_UM_TABLE) {
			normal = asi_um_derive(addr, t->level);
			if (normal.kind == ASI_UM_TABLE &&
			    normal.table == e->table)
				continue;
			n += asi_um_check(e->table, addr);
		} else if (e->kind == ASI_UM_LEAF) {
			for (va = addr; va < addr + size; va += PAGE_SIZE) {
				asi_um_kpt_walk(asi_um_normal_root, va, &w);
				asi_um_describe(w.present, w.pfn, w.global, w.write,
						&nm);
				asi_um_describe(true, e->pfn + ((va - addr) >> PAGE_SHIFT),
						e->global, e->write, &rm);
				if (!asi_kernel_map_widens(&nm, &rm))
					continue;
				asi_report_widening(va, t->level - 1, &nm, &rm);
				n++;
			}
		}
	}
	return n;
}

/*
 * The model's restricted spaces all use the template's kernel half: @pgd
 * is not looked at.
 */
unsigned long asi_arch_check_tables(pgd_t *pgd)
{
	unsigned long n;

	mutex_lock(&asi_um_kpt_lock);
	n = asi_um_check(asi_um_template_root, 0);
	mutex_unlock(&asi_um_kpt_lock);
	return n;
}
#endif
