// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 backend of ASI: the machine effects the shared core asks for.
 *
 * A restricted page table has an empty user half (user accesses fault and
 * leave ASI) and the kernel half of the non-sensitive template, which maps
 * the whole kernel except memory allocated as sensitive.
 */

#define pr_fmt(fmt) "asi: " fmt

#include <kunit/visibility.h>
#include <linux/asi.h>
#include <linux/cpufeature.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/mem_encrypt.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/pgalloc.h>
#include <linux/pgtable.h>
#include <linux/string.h>
#include <asm/invpcid.h>
#include <asm/set_memory.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

static_assert(ASI_ARCH_NR_ASID_SLOTS == TLB_NR_DYN_ASIDS);
static_assert(ASI_CR3_NOFLUSH == CR3_NOFLUSH);
static_assert(ASI_CR3_PCID_MASK == CR3_PCID_MASK);
#ifdef CONFIG_MITIGATION_PAGE_TABLE_ISOLATION
/* The class field must leave the KPTI user-PCID bit alone. */
static_assert(ASI_PCID_CLASS_SHIFT + ASI_PCID_CLASS_BITS <=
	      X86_CR3_PTI_PCID_USER_BIT);
#endif

/*
 * The non-sensitive template: the kernel half every restricted page table
 * is a copy of.  It shares init_mm's page tables everywhere except under
 * the direct map, where a table is copied (and a large page split) the
 * first time a sensitive page has to be taken out of it.  The tables one
 * level below the template's direct-map PGD entries are private from boot,
 * so that the PGD entries never change and every domain, whenever it was
 * created, sees each later edit.
 */
static pgd_t *asi_template_pgd;
static DEFINE_MUTEX(asi_template_lock);

static void *asi_copy_table(void *table)
{
	void *copy = (void *)__get_free_page(GFP_KERNEL);

	if (copy)
		memcpy(copy, table, PAGE_SIZE);
	return copy;
}

static int __init asi_build_template(void)
{
	unsigned long addr, end = PAGE_OFFSET + (max_pfn << PAGE_SHIFT);
	pgd_t *pgd;
	void *copy;

	asi_template_pgd = (pgd_t *)get_zeroed_page(GFP_KERNEL);
	if (!asi_template_pgd)
		return -ENOMEM;
	memcpy(asi_template_pgd + KERNEL_PGD_BOUNDARY,
	       init_mm.pgd + KERNEL_PGD_BOUNDARY,
	       KERNEL_PGD_PTRS * sizeof(pgd_t));

	for (addr = PAGE_OFFSET; addr < end; addr = pgd_addr_end(addr, end)) {
		pgd = pgd_offset_pgd(asi_template_pgd, addr);
		if (pgd_none(*pgd))
			continue;
		copy = asi_copy_table((void *)pgd_page_vaddr(*pgd));
		if (!copy)
			goto fail;
		set_pgd(pgd, __pgd(__pa(copy) | pgd_flags(*pgd)));
	}
	return 0;

fail:
	/* The copies are exactly the entries before @addr: give them back. */
	end = addr;
	for (addr = PAGE_OFFSET; addr < end; addr = pgd_addr_end(addr, end)) {
		pgd = pgd_offset_pgd(asi_template_pgd, addr);
		if (!pgd_none(*pgd))
			free_page(pgd_page_vaddr(*pgd));
	}
	free_page((unsigned long)asi_template_pgd);
	asi_template_pgd = NULL;
	return -ENOMEM;
}

bool __init asi_arch_init(void)
{
	/*
	 * With KPTI the entry code flips CR3 to the user copy of the PGD on
	 * the way out to userspace, which a restricted PGD does not have.
	 */
	/*
	 * A Xen PV guest cannot load a page table the hypervisor has not
	 * pinned and validated, and restricted tables are not: the first
	 * CR3 write would fault.  Untested here (no Xen).
	 */
	if (cpu_feature_enabled(X86_FEATURE_XENPV)) {
		pr_info("not supported in a Xen PV guest\n");
		return false;
	}
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

/*
 * Replace a 1G leaf by a table of 2M leaves mapping the same, with the
 * same attributes: the PAT bit stays bit 12 in a 2M leaf.
 */
VISIBLE_IF_KUNIT int asi_split_pud(pud_t *pud)
{
	pmd_t *pmd = (pmd_t *)get_zeroed_page(GFP_KERNEL);
	unsigned long pfn = pud_pfn(*pud);
	pgprot_t prot = pud_pgprot(*pud);
	int i;

	if (!pmd)
		return -ENOMEM;
	for (i = 0; i < PTRS_PER_PMD; i++)
		set_pmd(&pmd[i], pfn_pmd(pfn + i * PTRS_PER_PTE, prot));
	set_pud(pud, __pud(__pa(pmd) | _KERNPG_TABLE));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(asi_split_pud);

/*
 * Replace a 2M leaf by a table of 4K pages mapping the same, with the same
 * attributes.  The PAT bit of a 2M leaf is bit 12 and of a 4K page bit 7,
 * where the leaf has PSE: so PSE goes before the PAT bit moves there.
 */
VISIBLE_IF_KUNIT int asi_split_pmd(pmd_t *pmd)
{
	pte_t *pte = (pte_t *)get_zeroed_page(GFP_KERNEL);
	unsigned long pfn = pmd_pfn(*pmd);
	pgprot_t prot = pmd_pgprot(*pmd);
	int i;

	if (!pte)
		return -ENOMEM;
	pgprot_val(prot) &= ~_PAGE_PSE;
	prot = pgprot_large_2_4k(prot);
	for (i = 0; i < PTRS_PER_PTE; i++)
		set_pte(&pte[i], pfn_pte(pfn + i, prot));
	set_pmd(pmd, __pmd(__pa(pte) | _KERNPG_TABLE));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(asi_split_pmd);

/*
 * Find the template's PTE for direct-map address @addr, making every table
 * on the way private: an entry equal to init_mm's points to a table shared
 * with init_mm, which is copied; a large page is split.  Each such edit
 * is reported to the core, as restricted PCIDs may cache the old table.
 */
static pte_t *asi_template_pte(unsigned long addr)
{
	pgd_t *pgd = pgd_offset_pgd(asi_template_pgd, addr);
	pgd_t *kpgd = pgd_offset_k(addr);
	p4d_t *p4d = p4d_offset(pgd, addr), *kp4d = p4d_offset(kpgd, addr);
	pmd_t *pmd, *kpmd = NULL;
	pud_t *pud, *kpud;
	void *copy;

	lockdep_assert_held(&asi_template_lock);
	if (pgd_none(*pgd) || p4d_none(*p4d))
		return NULL;
	if (p4d_val(*p4d) == p4d_val(*kp4d)) {
		copy = asi_copy_table((void *)p4d_pgtable(*p4d));
		if (!copy)
			return NULL;
		set_p4d(p4d, __p4d(__pa(copy) | p4d_flags(*p4d)));
		asi_kernel_tables_edited();
	}

	pud = pud_offset(p4d, addr);
	kpud = pud_offset(kp4d, addr);
	if (pud_none(*pud))
		return NULL;
	if (pud_leaf(*pud)) {
		if (asi_split_pud(pud))
			return NULL;
		asi_kernel_tables_edited();
	} else if (pud_val(*pud) == pud_val(*kpud)) {
		copy = asi_copy_table((void *)pud_pgtable(*pud));
		if (!copy)
			return NULL;
		set_pud(pud, __pud(__pa(copy) | pud_flags(*pud)));
		asi_kernel_tables_edited();
	}

	pmd = pmd_offset(pud, addr);
	if (pud_present(*kpud) && !pud_leaf(*kpud))
		kpmd = pmd_offset(kpud, addr);
	if (pmd_none(*pmd))
		return NULL;
	if (pmd_leaf(*pmd)) {
		if (asi_split_pmd(pmd))
			return NULL;
		asi_kernel_tables_edited();
	} else if (kpmd && pmd_val(*pmd) == pmd_val(*kpmd)) {
		copy = asi_copy_table((void *)pmd_page_vaddr(*pmd));
		if (!copy)
			return NULL;
		set_pmd(pmd, __pmd(__pa(copy) | pmd_flags(*pmd)));
		asi_kernel_tables_edited();
	}
	return pte_offset_kernel(pmd, addr);
}

/*
 * Sensitive pages leave the template, and so every restricted page table,
 * and lose _PAGE_GLOBAL in the normal direct map: a global translation
 * would survive the CR3 switch into a restricted space (the KPTI rule).
 */
int asi_arch_set_sensitive(void *addr, unsigned long npages, bool sensitive)
{
	unsigned long start = (unsigned long)addr, i;
	int err;

	err = sensitive ? set_memory_nonglobal(start, npages) :
			  set_memory_global(start, npages);
	if (err)
		return err;

	mutex_lock(&asi_template_lock);
	for (i = 0; i < npages; i++) {
		unsigned long va = start + i * PAGE_SIZE;
		pte_t *pte = asi_template_pte(va);

		if (!pte) {
			err = -ENOMEM;
			break;
		}
		if (sensitive)
			pte_clear(&init_mm, va, pte);
		else
			set_pte(pte, pfn_pte(__pa(va) >> PAGE_SHIFT, PAGE_KERNEL));
	}
	mutex_unlock(&asi_template_lock);
	if (err && sensitive) {
		/* Put back what was taken out; mapping needs no new table. */
		asi_arch_set_sensitive(addr, i, false);
		set_memory_global(start + i * PAGE_SIZE, npages - i);
	}
	return err;
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

void asi_arch_free_pgd(struct asi *asi)
{
	free_page((unsigned long)asi->pgd);
}

void asi_arch_write_cr3(unsigned long cr3)
{
	lockdep_assert_irqs_disabled();
	/* The same memory encryption and LAM bits as the kernel's own CR3. */
	native_write_cr3(cr3 | sme_me_mask | tlbstate_lam_cr3_mask());
}

struct mm_struct *asi_arch_loaded_mm(void)
{
	return this_cpu_read(cpu_tlbstate.loaded_mm);
}

int asi_arch_asid_slot(struct mm_struct *mm)
{
	if (this_cpu_read(cpu_tlbstate.loaded_mm) != mm)
		return -1;
	return this_cpu_read(cpu_tlbstate.loaded_mm_asid);
}

bool asi_arch_has_pcid(void)
{
	return cpu_feature_enabled(X86_FEATURE_PCID);
}

bool asi_arch_has_invpcid(void)
{
	return cpu_feature_enabled(X86_FEATURE_INVPCID);
}

void asi_arch_invpcid_addr(u16 pcid, unsigned long addr)
{
	invpcid_flush_one(pcid, addr);
}

void asi_arch_invlpg(unsigned long addr)
{
	asm volatile("invlpg (%0)" ::"r" (addr) : "memory");
}
