/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASI_KUNIT_H
#define _ASI_KUNIT_H

#include <kunit/test.h>
#include <linux/asi.h>

#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION
/* The suites test the core and its backends from the inside. */
#include "../../mm/asi_internal.h"
#endif

struct asi;
struct mm_struct;
struct page;

/*
 * The console watch, on from boot: every report the kernel prints
 * (WARNING, BUG, Oops, kernel BUG at, UBSAN, RCU stalls, hung tasks,
 * KASAN and lockdep, the TLB model's own reports), by any task, is
 * counted.  A report printed while a case runs belongs to that case; one
 * printed between cases, in a suite's init or exit or at boot belongs to
 * the next case that starts.  Reports a case does not claim fail it.
 *
 * A claim names a precise location, @where: either a function, which
 * matches a report whose WARNING line is in that function ("func+0x") or
 * whose message starts with "func()", or "file:line", which matches a
 * report "at file:line".
 */
int asi_kunit_case_init(struct kunit *test);
void asi_kunit_case_exit(struct kunit *test);
void asi_kunit_check_lock_debugging(struct kunit *test, int was_on, int is_on);
void asi_kunit_expect_warnings(struct kunit *test, int n, const char *where);
void asi_kunit_expect_warnings_from(struct kunit *test,
				    const char *const *where, int n);
void asi_kunit_expect_outside_warnings(struct kunit *test, int n,
				       const char *where);
void asi_kunit_expect_outside_warnings_from(struct kunit *test,
					    const char *const *where, int n);
void asi_kunit_expect_message(struct kunit *test, const char *text);

/* What the boot is expected to do: asi_kunit.expect=on|off. */
enum asi_kunit_expect { ASI_KUNIT_EXPECT_ANY, ASI_KUNIT_EXPECT_ON,
			ASI_KUNIT_EXPECT_OFF };
enum asi_kunit_expect asi_kunit_expected_mode(void);
int asi_kunit_boot_warnings(const char **where, int max);

/*
 * mm helpers: real mms, used the way a kthread uses them.  The case owns
 * the reference asi_kunit_mm_new() returns: it drops it with
 * asi_kunit_mm_put() (never a bare mmput()), or the case's cleanup does,
 * also after a failed assertion.  An mm the case's kthread still uses
 * when the case ends is let go of too.
 */
struct mm_struct *asi_kunit_mm_new(struct kunit *test);
void asi_kunit_mm_put(struct mm_struct *mm);
void asi_kunit_mm_use(struct mm_struct *mm);
void asi_kunit_mm_unuse(struct mm_struct *mm);
void asi_kunit_mm_switch(struct mm_struct *from, struct mm_struct *to);
void asi_kunit_mm_release(struct mm_struct *mm);

/*
 * For the backend suites (asi_um_*, asi_x86): ASI_CLASS_TEST registered
 * without hooks around the suite, cases skipped when ASI is off, and an
 * mm with its ASI_CLASS_TEST domain.
 */
int asi_kunit_backend_suite_init(struct kunit_suite *suite);
void asi_kunit_backend_suite_exit(struct kunit_suite *suite);
int asi_kunit_backend_case_init(struct kunit *test);
struct mm_struct *asi_kunit_mm_with_test_domain(struct kunit *test,
						struct asi **asi);
struct page *asi_kunit_decline_block(gfp_t gfp, unsigned int order);

/**
 * struct asi_kunit_exits - the exits a case saw (asi_kunit_record_exits())
 * @n: exits.
 * @reason: the reasons of the first four.
 * @faults: fault exits.
 * @addr: the address of the last fault exit.
 * @ip: where the access was.
 * @error_code: its error code.
 */
struct asi_kunit_exits {
	int n;
	int reason[4];
	int faults;
	unsigned long addr, ip, error_code;
};

void asi_kunit_record_exits(struct kunit *test, struct asi_kunit_exits *x);

/*
 * The transition suites' own classes (ASI_CLASS_TEST, ASI_CLASS_USERSPACE,
 * with the flush policies a suite names), and hooks for them that count
 * their calls in asi_kunit_hooks, which a case zeroes.
 */
struct asi_kunit_hooks {
	int post_enter;
	int pre_exit;
};

extern struct asi_kunit_hooks asi_kunit_hooks;
void asi_kunit_count_post_enter(struct asi *asi);
void asi_kunit_count_pre_exit(struct asi *asi);
int asi_kunit_register_own_classes(const struct asi_class_ops *test_ops,
				   const struct asi_class_ops *user_ops);
void asi_kunit_unregister_own_classes(struct kunit_suite *suite);
u64 asi_kunit_read_kernel(const u64 *addr);
bool asi_kunit_run_untrusted(void);
void asi_kunit_alloc_sensitive(struct kunit *test, struct page *page,
			       unsigned int order);

/*
 * Read the debugfs seq_file at @path ("asi/test/stats") into @buf,
 * NUL-ended.
 * Returns the length read, or -ENOENT if the file does not exist (and
 * -ENODEV without CONFIG_DEBUG_FS).
 */
ssize_t asi_kunit_read_debugfs(const char *path, char *buf, size_t size);
void asi_kunit_zap_user(struct kunit *test, struct mm_struct *mm,
			unsigned long addr, unsigned long npages);

#endif /* _ASI_KUNIT_H */
