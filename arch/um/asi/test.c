// SPDX-License-Identifier: GPL-2.0
/*
 * What the suites see of the UML model of ASI (arch/um/include/asm/asi.h):
 * the modelled CPU's state, counters and log, its features, the
 * translations it holds, direct TLB operations, reports expected on
 * purpose, and a hook into the next CR3 write.
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

/**
 * asi_um_tlb_cached() - what the model holds for @addr in @pcid
 * @pcid: the PCID.
 * @addr: the address.
 * @user: user or kernel address.
 *
 * Return: ASI_UM_TLB_LOCAL for an entry tagged @pcid, ASI_UM_TLB_GLOBAL
 * for a global entry (any PCID uses it), else ASI_UM_TLB_NONE.
 */
enum asi_um_tlb_hold asi_um_tlb_cached(u16 pcid, unsigned long addr, bool user)
{
	struct asi_um_tlb_entry *e;
	unsigned long flags;
	enum asi_um_tlb_hold hold = ASI_UM_TLB_NONE;

	local_irq_save(flags);
	e = asi_um_tlb_find(this_cpu_ptr(&asi_um_tlb), pcid, addr, user);
	if (e)
		hold = e->global ? ASI_UM_TLB_GLOBAL : ASI_UM_TLB_LOCAL;
	local_irq_restore(flags);
	return hold;
}
EXPORT_SYMBOL_GPL(asi_um_tlb_cached);

/**
 * asi_um_tlb_invlpg() - INVLPG, for tests of the model itself
 * @addr: the address.
 * @user: user or kernel address.
 */
void asi_um_tlb_invlpg(unsigned long addr, bool user)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_um_tlb_do_invlpg(this_cpu_ptr(&asi_um_tlb), addr, user);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_invlpg);

/**
 * asi_um_tlb_invpcid() - INVPCID, for tests of the model itself
 * @type: the INVPCID type.
 * @pcid: the PCID, for types 0 and 1.
 * @addr: the address, for type 0.
 * @user: user or kernel address, for type 0.
 */
void asi_um_tlb_invpcid(enum asi_um_invpcid_type type, u16 pcid,
			unsigned long addr, bool user)
{
	unsigned long flags;

	local_irq_save(flags);
	asi_um_tlb_do_invpcid(this_cpu_ptr(&asi_um_tlb), type, pcid, addr,
			      user);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_invpcid);

/**
 * asi_um_tlb_expect_reports() - collect reports instead of failing the case
 * @expect: true while a case breaks a flush on purpose.
 *
 * The reports are counted (asi_um_tlb_state.reports) and the last one is
 * kept for asi_um_tlb_last_report().
 */
void asi_um_tlb_expect_reports(bool expect)
{
	this_cpu_write(asi_um_tlb.expect_reports, expect);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_expect_reports);

/**
 * asi_um_tlb_last_report() - the text of this CPU's last report
 * @buf: where to copy it, NUL-terminated.
 * @size: size of @buf.
 */
void asi_um_tlb_last_report(char *buf, size_t size)
{
	unsigned long flags;

	local_irq_save(flags);
	strscpy(buf, this_cpu_ptr(&asi_um_tlb)->last_report, size);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_last_report);

/**
 * asi_um_tlb_is_sensitive() - is the page at @addr out of the restricted spaces?
 * @addr: a direct-map address.
 *
 * Return: true between asi_alloc_sensitive_pages() and its free: the
 * template does not map the page.
 */
bool asi_um_tlb_is_sensitive(void *addr)
{
	struct asi_um_kwalk w;

	if (!asi_um_kpt_covers((unsigned long)addr))
		return false;
	asi_um_kpt_walk(asi_um_kpt_root(true), (unsigned long)addr, &w);
	return !w.present;
}
EXPORT_SYMBOL_GPL(asi_um_tlb_is_sensitive);

/**
 * asi_um_tlb_cr3_hook() - run @hook at the core's next CR3 write
 * @hook: called once, with interrupts off, as an NMI or a fault taken at
 *	that point would run; NULL clears a hook that did not run.
 * @arg: its argument.
 * @after: run it right after the write took effect instead of right
 *	before.
 *
 * Only the core's writes (asi_arch_write_cr3()) run the hook, not the
 * model's own (switch_mm, flushes): a case uses it to put a fault in a
 * window of asi_enter() or the exit path.
 */
void asi_um_tlb_cr3_hook(void (*hook)(void *arg), void *arg, bool after)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	tlb->cr3_hook = hook;
	tlb->cr3_hook_arg = arg;
	tlb->cr3_hook_after = after;
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_cr3_hook);

/**
 * asi_um_tlb_run_untrusted() - run the untrusted context, as the CPU would
 *
 * What the model checks when a client's untrusted context (a guest, user
 * code) runs: that it runs restricted, with the data flushes of its
 * class's policy done since the CPU last ran unrestricted; and that the
 * predictors it trains are flushed, as the policy says, before the CPU
 * runs unrestricted again.  The client calls asi_before_untrusted() first
 * and asi_after_untrusted() afterwards.
 *
 * Context: interrupts disabled, in a critical section.
 */
void asi_um_tlb_run_untrusted(void)
{
	lockdep_assert_irqs_disabled();
	asi_um_run_untrusted(this_cpu_ptr(&asi_um_tlb));
}
EXPORT_SYMBOL_GPL(asi_um_tlb_run_untrusted);

/**
 * asi_um_tlb_get_state() - snapshot this CPU's modelled TLB
 * @state: filled in.
 */
void asi_um_tlb_get_state(struct asi_um_tlb_state *state)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int i;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	*state = (struct asi_um_tlb_state) {
		.cr3 = tlb->cr3,
		.pcide = tlb->pcide,
		.invpcid = tlb->invpcid,
		.slot = tlb->loaded_slot,
		.cr3_writes = tlb->cr3_writes,
		.cr3_noflush = tlb->cr3_noflush,
		.invpcid_addr = tlb->invpcid_addr,
		.invpcid_ctx = tlb->invpcid_ctx,
		.invpcid_all = tlb->invpcid_all,
		.invlpg = tlb->invlpg,
		.fills = tlb->fills,
		.hits = tlb->hits,
		.faults = tlb->faults,
		.psc_hits = tlb->psc_hits,
		.reports = tlb->reports,
		.exposed = tlb->exposed,
		.trained = tlb->trained,
		.untrusted_runs = tlb->untrusted_runs,
		.needless_flushes = tlb->needless_flushes,
	};
	memcpy(state->flushes, tlb->flushes, sizeof(state->flushes));
	for (i = 0; i < ASI_UM_TLB_ENTRIES; i++)
		state->entries += tlb->entries[i].valid;
	for (i = 0; i < ASI_UM_PSC_ENTRIES; i++)
		state->psc_entries += tlb->psc[i].valid;
	local_irq_restore(flags);
	state->pgd_allocs = atomic_long_read(&asi_um_pgd_allocs);
	state->pgd_frees = atomic_long_read(&asi_um_pgd_frees);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_get_state);

/**
 * asi_um_tlb_set_features() - choose the CPU features the model offers
 * @pcide: CR4.PCIDE.
 * @invpcid: INVPCID support.
 *
 * Turning CR4.PCIDE off flushes the whole TLB on x86, global entries
 * included (turning it on flushes nothing).  The kernel then starts its
 * ASID slots over: the loaded mm gets slot 0, flushed, and every slot's
 * restricted PCIDs are stale for the core.  INVPCID is a CPU feature of
 * its own, but the core only uses it with PCIDs.  Callers must not be in
 * ASI.
 */
void asi_um_tlb_set_features(bool pcide, bool invpcid)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int slot;

	local_irq_save(flags);
	WARN_ON_ONCE(asi_is_restricted());
	tlb = this_cpu_ptr(&asi_um_tlb);
	if (tlb->pcide && !pcide) {
		asi_um_tlb_drop(tlb, -1, true, 0, false, true);
		asi_um_psc_drop(tlb, -1);
	}
	tlb->pcide = pcide;
	tlb->invpcid = invpcid;
	memset(tlb->slots, 0, sizeof(tlb->slots));
	tlb->next_slot = 1;
	for (slot = 0; slot < ASI_ARCH_NR_ASID_SLOTS; slot++)
		asi_slot_mark_stale(slot);
	asi_um_load_mm(tlb, tlb->loaded_mm, 0, true);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(asi_um_tlb_set_features);

/**
 * asi_um_tlb_log() - copy the newest entries of this CPU's log
 * @events: where to copy them, oldest first.
 * @max: room in @events.
 *
 * Return: the number of entries copied.
 */
unsigned int asi_um_tlb_log(struct asi_um_tlb_event *events, unsigned int max)
{
	struct asi_um_tlb *tlb;
	unsigned long flags;
	unsigned int n, i;

	local_irq_save(flags);
	tlb = this_cpu_ptr(&asi_um_tlb);
	n = min3(max, tlb->log_next, (unsigned int)ASI_UM_TLB_LOG_SIZE);
	for (i = 0; i < n; i++)
		events[i] = tlb->log[(tlb->log_next - n + i) % ASI_UM_TLB_LOG_SIZE];
	local_irq_restore(flags);
	return n;
}
EXPORT_SYMBOL_GPL(asi_um_tlb_log);
