// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers of the ASI KUnit suites: the console watch that proves a
 * warning fired (as mm/kfence/kfence_test.c does) and that nothing else
 * did, and real mm lifecycles that a failed assertion does not leak.
 */

#include <kunit/static_stub.h>
#include <kunit/test-bug.h>
#include <linux/asi.h>
#include <linux/debug_locks.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kmsg_dump.h>
#include <linux/cpumask.h>
#include <linux/hardirq.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mount.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/uio.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <trace/events/asi.h>
#include <trace/events/printk.h>

#include "asi_kunit.h"

static char *expect = "";
module_param(expect, charp, 0444);
MODULE_PARM_DESC(expect, "on or off: the ASI state this boot must have");

static char *boot_warnings = "";
module_param(boot_warnings, charp, 0444);
MODULE_PARM_DESC(boot_warnings,
		 "where the reports this machine prints at boot come from (func,func...)");

/**
 * asi_kunit_boot_warnings() - the reports a boot is known to print
 * @where: filled with up to @max places (functions or file:line).
 * @max: room in @where.
 *
 * From asi_kunit.boot_warnings=, for machines whose boot warns about
 * something that is not ASI's (an emulator's CPU topology, say).
 *
 * Return: the number of places.
 */
int asi_kunit_boot_warnings(const char **where, int max)
{
	static char buf[128];
	char *cur = buf, *tok;
	int n = 0;

	strscpy(buf, boot_warnings, sizeof(buf));
	while (n < max && (tok = strsep(&cur, ",")))
		if (*tok)
			where[n++] = tok;
	return n;
}

enum asi_kunit_expect asi_kunit_expected_mode(void)
{
	if (!strcmp(expect, "on"))
		return ASI_KUNIT_EXPECT_ON;
	if (!strcmp(expect, "off"))
		return ASI_KUNIT_EXPECT_OFF;
	return ASI_KUNIT_EXPECT_ANY;
}

#define WATCH_LINES	8
#define WATCH_LINE_LEN	160

/*
 * A WARN's message is printed just before its WARNING line on some
 * architectures and just after it on others, and another CPU's record may
 * come in between (an x86 boot says its TSC is unstable at any moment):
 * keep the records on each side.
 */
#define BEFORE		3
#define AROUND		(BEFORE + 2)

/* The records that start a report, wherever and by whom they are printed. */
static const char *const report_starts[] = {
	"WARNING:",		/* WARN*(), lockdep */
	"BUG:",			/* BUG: KASAN, sleeping in atomic, faults */
	"kernel BUG at",	/* BUG_ON() */
	"Oops",
	"UBSAN:",
	"rcu: INFO:",		/* RCU stall warnings */
	"INFO: task ",		/* hung tasks */
	"Kernel panic",
	"watchdog: ",		/* soft and hard lockups */
	"asi: TLB model:",	/* the UML TLB model's reports */
};

/*
 * The reports printed since they were last taken: by the case that runs
 * (asi_kunit_expect_warnings()), by a case's start (those were printed
 * outside any case), or by a case's end (unclaimed).
 */
struct watch_reports {
	int n;
	char lines[WATCH_LINES][WATCH_LINE_LEN];
	char around[WATCH_LINES][AROUND][WATCH_LINE_LEN];
};

static struct {
	raw_spinlock_t lock;
	struct watch_reports now;
	/* The last BEFORE records, the newest at last[next - 1]. */
	char last[BEFORE][WATCH_LINE_LEN];
	int next;
	int capture;
} watch = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(watch.lock),
};

/* Reports printed in NMI context while the watch's lock was held. */
static atomic_t watch_nmi_reports = ATOMIC_INIT(0);

/* Reports printed before the running case started, not claimed yet. */
static struct watch_reports outside;

/*
 * Where a kthread's lazy active_mm is parked (see asi_kunit_mm_unuse()):
 * one mm for every case, as long as the test kernel runs.
 */
static struct mm_struct *park_mm;

/* The case's mms: what its cleanup must let go of. */
#define CASE_MMS	32
static struct {
	struct mm_struct *owned[CASE_MMS];
	struct mm_struct *used;
} case_mms;

static bool starts_with(const char *buf, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !strncmp(buf, prefix, n);
}

static bool is_report(const char *buf, size_t len)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(report_starts); i++) {
		if (starts_with(buf, len, report_starts[i]))
			return true;
	}
	return false;
}

/*
 * Only record starts count, so that a KUnit message quoting a report is
 * not a report itself.  The console tracepoint runs in the context of
 * whoever prints, any task, any CPU, interrupts included.
 */
static void probe_console(void *ignore, const char *buf, size_t len)
{
	size_t n = min_t(size_t, len + 1, WATCH_LINE_LEN);
	struct watch_reports *r = &watch.now;
	unsigned long flags;

	/*
	 * printk() stores records in NMI context too (lockup and stall
	 * backtraces): there the lock may be held by the code the NMI
	 * interrupted, so a report that cannot take it is only counted.
	 */
	if (in_nmi()) {
		if (!raw_spin_trylock(&watch.lock)) {
			if (is_report(buf, len))
				atomic_inc(&watch_nmi_reports);
			return;
		}
		flags = 0;
	} else {
		raw_spin_lock_irqsave(&watch.lock, flags);
	}
	if (is_report(buf, len)) {
		if (r->n < WATCH_LINES) {
			int i;

			strscpy(r->lines[r->n], buf, n);
			memset(r->around[r->n], 0, sizeof(r->around[r->n]));
			for (i = 0; i < BEFORE; i++)
				strscpy(r->around[r->n][i],
					watch.last[(watch.next + i) % BEFORE],
					WATCH_LINE_LEN);
		}
		r->n++;
		watch.capture = AROUND - BEFORE;
	} else if (watch.capture && r->n && r->n <= WATCH_LINES) {
		strscpy(r->around[r->n - 1][AROUND - watch.capture], buf, n);
		watch.capture--;
	}
	strscpy(watch.last[watch.next], buf, n);
	watch.next = (watch.next + 1) % BEFORE;
	if (in_nmi())
		raw_spin_unlock(&watch.lock);
	else
		raw_spin_unlock_irqrestore(&watch.lock, flags);
}

/*
 * The reports printed before the watch was on: read back from the log
 * buffer, without the timestamp the dump puts in front.
 */
static void __init watch_replay_log(void)
{
	static char line[WATCH_LINE_LEN] __initdata;
	struct kmsg_dump_iter iter;
	const char *text;
	size_t len;

	kmsg_dump_rewind(&iter);
	while (kmsg_dump_get_line(&iter, false, line, sizeof(line) - 1, &len)) {
		line[len] = '\0';
		strim(line);
		text = line;
		if (*text == '[' && strchr(text, ']'))
			text = skip_spaces(strchr(text, ']') + 1);
		probe_console(NULL, text, strlen(text));
	}
}

/*
 * The watch is on from early boot to the end, and replays what was
 * printed before, so that no report is missed: reports printed before the
 * first case belong to that case (asi_boot's first one claims those a
 * boot is known to print: asi_kunit.boot_warnings=).
 */
static int __init asi_kunit_init(void)
{
	park_mm = mm_alloc();
	watch_replay_log();
	return register_trace_console(probe_console, NULL);
}
postcore_initcall(asi_kunit_init);

/* Move the reports printed so far into @to (added to what it holds). */
static void watch_take(struct watch_reports *to)
{
	unsigned long flags;
	int i;

	raw_spin_lock_irqsave(&watch.lock, flags);
	for (i = 0; i < min(watch.now.n, WATCH_LINES); i++) {
		if (to->n + i >= WATCH_LINES)
			break;
		memcpy(to->lines[to->n + i], watch.now.lines[i], WATCH_LINE_LEN);
		memcpy(to->around[to->n + i], watch.now.around[i],
		       sizeof(to->around[0]));
	}
	/* No text is kept of those: no claim matches them. */
	to->n += watch.now.n + atomic_xchg(&watch_nmi_reports, 0);
	watch.now.n = 0;
	watch.capture = 0;
	raw_spin_unlock_irqrestore(&watch.lock, flags);
}

/*
 * Does report @i of @r come from @where: a function ("func") or a place
 * ("file:line")?  A function matches the WARNING line's symbol or a
 * message that starts with "func()"; a prefix of another name does not.
 */
static bool report_from(struct watch_reports *r, int i, const char *where)
{
	char pattern[WATCH_LINE_LEN];
	int j;

	if (i >= WATCH_LINES)
		return false;
	if (strchr(where, ':')) {
		snprintf(pattern, sizeof(pattern), " at %s ", where);
		return strstr(r->lines[i], pattern);
	}
	snprintf(pattern, sizeof(pattern), " %s+0x", where);
	if (strstr(r->lines[i], pattern))
		return true;
	snprintf(pattern, sizeof(pattern), "%s()", where);
	for (j = 0; j < AROUND; j++) {
		if (starts_with(r->around[i][j], strlen(r->around[i][j]),
				pattern))
			return true;
	}
	return false;
}

/* Claim @n reports of @r, report i from @where[i] (or all from where[0]). */
static void claim(struct kunit *test, struct watch_reports *r, int n,
		  const char *const *where, bool each, const char *kind)
{
	int i;

	KUNIT_EXPECT_EQ_MSG(test, r->n, n, "%s reports; first: %s", kind,
			    r->n ? r->lines[0] : "(none)");
	for (i = 0; i < min(r->n, min(n, WATCH_LINES)); i++) {
		const char *w = where[each ? i : 0];

		KUNIT_EXPECT_TRUE_MSG(test, report_from(r, i, w),
				      "%s report %d is not from %s: %s | %s | %s",
				      kind, i, w, r->lines[i], r->around[i][0],
				      r->around[i][1]);
	}
	r->n = 0;
}

/**
 * asi_kunit_expect_message() - check that a warning's message was printed
 * @test: the case.
 * @text: text of the message, which the WARNING line itself does not hold.
 *
 * Tells a warning from another one in the same function, so that a second
 * line of defence cannot stand in for the warning a case is about.  Call
 * it before asi_kunit_expect_warnings(), which forgets the reports.
 */
void asi_kunit_expect_message(struct kunit *test, const char *text)
{
	unsigned long flags;
	bool found = false;
	int i, n;

	raw_spin_lock_irqsave(&watch.lock, flags);
	n = min(watch.now.n, WATCH_LINES);
	for (i = 0; i < n * AROUND && !found; i++)
		found = strstr(watch.now.around[i / AROUND][i % AROUND], text);
	raw_spin_unlock_irqrestore(&watch.lock, flags);
	KUNIT_EXPECT_TRUE_MSG(test, found, "no console message \"%s\"", text);
}

/* Take the reports printed since last time and claim them. */
static void take_and_claim(struct kunit *test, const char *const *where,
			   int n, bool each)
{
	/* Too big for the stack; cases run one at a time. */
	static struct watch_reports taken;

	memset(&taken, 0, sizeof(taken));
	watch_take(&taken);
	claim(test, &taken, n, where, each, "case");
}

/**
 * asi_kunit_expect_warnings() - claim the reports printed since last time
 * @test: the case.
 * @n: how many reports must have been printed.
 * @where: where each of them must come from (see the top of asi_kunit.h);
 *	may be NULL only when @n is 0.
 */
void asi_kunit_expect_warnings(struct kunit *test, int n, const char *where)
{
	if (WARN_ON(n && !where))
		return;
	take_and_claim(test, &where, n, false);
}

/**
 * asi_kunit_expect_warnings_from() - claim reports from several places
 * @test: the case.
 * @where: where report i must come from, for each of the @n reports.
 * @n: how many reports must have been printed.
 */
void asi_kunit_expect_warnings_from(struct kunit *test,
				    const char *const *where, int n)
{
	take_and_claim(test, where, n, true);
}

/**
 * asi_kunit_expect_outside_warnings() - claim reports printed before the case
 * @test: the case.
 * @n: how many reports were printed between the previous case's end and
 *	this case's start (a suite's init, say).
 * @where: where each of them must come from; may be NULL only if @n is 0.
 *
 * For the cases that check the watch itself: any other case fails on
 * such reports.
 */
void asi_kunit_expect_outside_warnings(struct kunit *test, int n,
				       const char *where)
{
	if (WARN_ON(n && !where))
		return;
	claim(test, &outside, n, &where, false, "outside-case");
}

/**
 * asi_kunit_expect_outside_warnings_from() - the same, from several places
 * @test: the case.
 * @where: where report i must come from, for each of the @n reports.
 * @n: how many reports were printed before the case.
 */
void asi_kunit_expect_outside_warnings_from(struct kunit *test,
					    const char *const *where, int n)
{
	claim(test, &outside, n, where, true, "outside-case");
}

/*
 * A kthread's lazy active_mm holds a reference to the mm that ran before
 * it: switch it to the parked mm instead.
 */
static void park_lazy_mm(void)
{
	if (park_mm) {
		kthread_use_mm(park_mm);
		kthread_unuse_mm(park_mm);
	}
}

static void put_case_mms(void *unused)
{
	int i;

	/*
	 * The case's kthread ended while using an mm: exit_mm() dropped a
	 * user reference, which can only have been the case's own, and
	 * kthread_use_mm()'s mm_count reference is left over, as nobody
	 * called kthread_unuse_mm().  The dead kthread's lazy reference goes
	 * at its last context switch, which may not have happened yet: wait
	 * for it, so that the mm and its domains are gone before the next
	 * case counts them.
	 */
	if (case_mms.used) {
		struct mm_struct *mm = case_mms.used;
		unsigned long deadline = jiffies + 2 * HZ;

		for (i = 0; i < CASE_MMS; i++) {
			if (case_mms.owned[i] == mm) {
				case_mms.owned[i] = NULL;
				break;
			}
		}
		WARN(i == CASE_MMS, "%s(): the case used an mm it did not own\n",
		     __func__);
		/* Ours, to look at mm_count while the others go... */
		mmgrab(mm);
		/* ...and kthread_use_mm()'s, which nobody else drops. */
		mmdrop(mm);
		/* The mm may have been lent on to this kthread, lazily. */
		park_lazy_mm();
		/*
		 * The dead kthread's lazy reference, unless an idle task
		 * took it over on another CPU: then the mm, and its
		 * domains, go when that CPU next runs another task.
		 */
		while (atomic_read(&mm->mm_count) > 1 &&
		       time_before(jiffies, deadline))
			schedule_timeout_uninterruptible(1);
		mmdrop(mm);
	}
	for (i = 0; i < CASE_MMS; i++) {
		if (case_mms.owned[i])
			mmput(case_mms.owned[i]);
	}
	memset(&case_mms, 0, sizeof(case_mms));
}

/* Lock debugging (lockdep, the spinlock and mutex checks) at the case's start. */
static int case_debug_locks;

/**
 * asi_kunit_check_lock_debugging() - fail @test if lock debugging went off
 * @test: the case.
 * @was_on: debug_locks when the case started.
 * @is_on: debug_locks now.
 *
 * Lock debugging turns itself off for good after its first report, some
 * of which (lockdep's "trying to register non-static key") are not
 * WARNINGs: every case after would run unchecked, and pass.
 */
void asi_kunit_check_lock_debugging(struct kunit *test, int was_on, int is_on)
{
	if (was_on && !is_on)
		KUNIT_FAIL(test,
			   "lock debugging went off in this case (report above): the later cases run without it");
}

/**
 * asi_kunit_case_init() - case init: take the reports printed since the
 *	previous case ended
 * @test: the case.
 *
 * They were printed between cases, in a suite's init or exit, or at boot;
 * unless the case claims them (asi_kunit_expect_outside_warnings()), they
 * fail it when it ends.
 *
 * Return: 0.
 */
int asi_kunit_case_init(struct kunit *test)
{
	case_debug_locks = debug_locks;
	/*
	 * The case's kthread stays on this CPU: a kthread that sleeps lends
	 * its mm to the CPU's idle task, which keeps it (and its domains)
	 * until another task runs there.  Pinned, the kthread itself takes
	 * it back when it wakes, and a case can count exactly when an mm
	 * and its domains go.
	 */
	set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id()));
	memset(&outside, 0, sizeof(outside));
	watch_take(&outside);
	memset(&case_mms, 0, sizeof(case_mms));
	/*
	 * The case's mms go last, after its own actions (which stop the
	 * kthreads it started, and may still use them) and after its exit.
	 */
	return kunit_add_action_or_reset(test, put_case_mms, NULL);
}

/**
 * asi_kunit_case_exit() - case exit: fail on any unclaimed report, or on
 * restricted kernel tables that map more than init_mm (CONFIG_DEBUG_ASI)
 * @test: the case.
 *
 * Runs in a kthread of its own after the case's, which has ended, also
 * when an assertion stopped it half way.  The case's mms are put after
 * it, by the action asi_kunit_case_init() registered.
 */
void asi_kunit_case_exit(struct kunit *test)
{
#if defined(CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION) && defined(CONFIG_DEBUG_ASI)
	/* The rule of ASI, after every case: nothing mapped more inside. */
	KUNIT_EXPECT_EQ(test, asi_check_tables(NULL), 0);
#endif
	claim(test, &outside, 0, NULL, false, "outside-case");
	asi_kunit_expect_warnings(test, 0, NULL);
	asi_kunit_check_lock_debugging(test, case_debug_locks, debug_locks);
}

static void case_mm_track(struct mm_struct *mm, struct mm_struct *old)
{
	int i;

	for (i = 0; i < CASE_MMS; i++) {
		if (case_mms.owned[i] == old) {
			case_mms.owned[i] = mm;
			return;
		}
	}
	WARN(mm, "%s(): more than %d mms in one case\n", __func__, CASE_MMS);
	WARN(old, "%s(): an mm the case does not own\n", __func__);
}

/**
 * asi_kunit_mm_new() - a fresh mm, as mm_alloc() makes for exec
 * @test: the case; fails it if there is no memory.
 *
 * Return: the mm, with mm_users and mm_count at one: the case's reference.
 */
struct mm_struct *asi_kunit_mm_new(struct kunit *test)
{
	struct mm_struct *mm = mm_alloc();

	KUNIT_ASSERT_NOT_NULL(test, mm);
	case_mm_track(mm, NULL);
	return mm;
}

/**
 * asi_kunit_mm_put() - drop the case's reference to @mm
 * @mm: an mm from asi_kunit_mm_new().
 */
void asi_kunit_mm_put(struct mm_struct *mm)
{
	case_mm_track(NULL, mm);
	mmput(mm);
}

/**
 * asi_kunit_mm_use() - make @mm current->mm of the calling kthread
 * @mm: the mm.
 *
 * Safe with preemption disabled.  If the case's kthread ends still using
 * @mm (a failed assertion), the case's cleanup sorts the references out.
 */
void asi_kunit_mm_use(struct mm_struct *mm)
{
	kthread_use_mm(mm);
	if (kunit_get_current_test())
		case_mms.used = mm;
}

/**
 * asi_kunit_mm_switch() - switch the calling kthread from one mm to another
 * @from: the mm it uses, or NULL.
 * @to: the mm it uses next, or NULL.
 *
 * kthread_unuse_mm() and kthread_use_mm(), the bare mm switch, without
 * the parking of asi_kunit_mm_unuse(): for cases that switch often and
 * let go of their mms at the end.
 */
void asi_kunit_mm_switch(struct mm_struct *from, struct mm_struct *to)
{
	if (from)
		kthread_unuse_mm(from);
	if (to)
		kthread_use_mm(to);
	if (kunit_get_current_test())
		case_mms.used = to;
}

/**
 * asi_kunit_mm_unuse() - stop using @mm and let go of it entirely
 * @mm: the mm.
 *
 * kthread_unuse_mm() leaves @mm as the kthread's lazy active_mm, holding a
 * reference; switching to a parked mm and back drops it, so the case can
 * tell exactly which put frees @mm.  Safe with preemption disabled.
 */
void asi_kunit_mm_unuse(struct mm_struct *mm)
{
	kthread_unuse_mm(mm);
	if (kunit_get_current_test())
		case_mms.used = NULL;
	park_lazy_mm();
}

/*
 * The suites run before userspace, so nobody has mounted debugfs: take a
 * kernel-internal mount of it (debugfs has one superblock, so this is the
 * tree the kernel populated), look @path up one component at a time and
 * read the file, which must be a seq_file (DEFINE_SHOW_ATTRIBUTE and the
 * like), through the file operations debugfs gives it.
 */
ssize_t asi_kunit_read_debugfs(const char *path, char *buf, size_t size)
{
	struct file_system_type *type;
	struct dentry *dentry = NULL;
	char *names, *cursor, *name;
	struct vfsmount *mnt;
	struct file *file;
	ssize_t ret;

	if (!IS_ENABLED(CONFIG_DEBUG_FS))
		return -ENODEV;
	if (!size)
		return -EINVAL;
	names = kstrdup(path, GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	cursor = names;
	while ((name = strsep(&cursor, "/"))) {
		struct dentry *next = debugfs_lookup(name, dentry);

		dput(dentry);
		dentry = next;
		if (IS_ERR_OR_NULL(dentry))
			break;
	}
	kfree(names);
	if (IS_ERR_OR_NULL(dentry))
		return dentry ? PTR_ERR(dentry) : -ENOENT;

	type = get_fs_type("debugfs");
	mnt = type ? kern_mount(type) : ERR_PTR(-ENODEV);
	if (type)
		put_filesystem(type);
	if (IS_ERR(mnt)) {
		dput(dentry);
		return PTR_ERR(mnt);
	}
	file = dentry_open(&(struct path){ .mnt = mnt, .dentry = dentry },
			   O_RDONLY, current_cred());
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
	} else {
		/*
		 * kernel_read() wants ->read_iter, which the debugfs proxy
		 * does not offer; the proxy's open has set up the file's
		 * seq_file, so read that directly.
		 */
		struct kvec kvec = { .iov_base = buf, .iov_len = size - 1 };
		struct iov_iter iter;
		struct kiocb kiocb;

		init_sync_kiocb(&kiocb, file);
		kiocb.ki_pos = 0;
		iov_iter_kvec(&iter, ITER_DEST, &kvec, 1, size - 1);
		ret = seq_read_iter(&kiocb, &iter);
		fput(file);
	}
	buf[ret > 0 ? ret : 0] = '\0';
	kern_unmount(mnt);
	dput(dentry);
	return ret;
}

#ifdef CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION
/* The class the backend suites make their domains in: no hooks. */
static const struct asi_class_ops backend_class_ops = { .name = "kunit-backend" };

/*
 * Backend suites: ASI_CLASS_TEST registered, if ASI is on.  A suite whose
 * init fails gets no exit call, and one that did not register the class
 * must not unregister it: suites run one at a time, so a flag will do.
 */
static bool backend_registered;

int asi_kunit_backend_suite_init(struct kunit_suite *suite)
{
	int err;

	if (!asi_enabled())
		return 0;
	err = asi_register_class(ASI_CLASS_TEST, &backend_class_ops);
	backend_registered = !err;
	return err;
}

void asi_kunit_backend_suite_exit(struct kunit_suite *suite)
{
	if (backend_registered)
		WARN(asi_unregister_class(ASI_CLASS_TEST),
		     "%s(): a case left a domain of ASI_CLASS_TEST alive\n",
		     __func__);
	backend_registered = false;
}

/* Backend cases need ASI on: skip them when it is off at boot. */
int asi_kunit_backend_case_init(struct kunit *test)
{
	asi_kunit_case_init(test);
	if (!asi_enabled())
		kunit_skip(test, "ASI is off");
	return 0;
}

static struct page *prepared_page;

/* asi_sensitive_page_alloc() stub: the page the case prepared. */
static struct page *hand_out_prepared(gfp_t gfp, unsigned int order)
{
	return prepared_page;
}

/**
 * asi_kunit_decline_block() - asi_block_alloc() stub: no block to be had
 * @gfp: unused.
 * @order: unused.
 *
 * asi_alloc_sensitive_pages() then makes its own allocation sensitive on
 * its own, as it does when the page allocator has no block to spare.
 *
 * Return: NULL.
 */
struct page *asi_kunit_decline_block(gfp_t gfp, unsigned int order)
{
	return NULL;
}

/**
 * asi_kunit_alloc_sensitive() - make @page sensitive as if freshly allocated
 * @test: the case; fails it if asi_alloc_sensitive_pages() fails.
 * @page: a page the case allocated, and may have had translations of
 *	cached: what the allocator may hand out.
 * @order: its order.
 *
 * asi_alloc_sensitive_pages() runs for real, with its allocation
 * replaced by @page, and no shared block: @page alone becomes sensitive.
 * Free it with asi_free_sensitive_pages().
 */
void asi_kunit_alloc_sensitive(struct kunit *test, struct page *page,
			       unsigned int order)
{
	prepared_page = page;
	kunit_activate_static_stub(test, asi_sensitive_page_alloc,
				   hand_out_prepared);
	kunit_activate_static_stub(test, asi_block_alloc,
				   asi_kunit_decline_block);
	KUNIT_ASSERT_PTR_EQ(test, asi_alloc_sensitive_pages(GFP_KERNEL, order),
			    page);
	kunit_deactivate_static_stub(test, asi_block_alloc);
	kunit_deactivate_static_stub(test, asi_sensitive_page_alloc);
}

static void record_exit(void *data, int class_id, const char *class_name,
			int reason)
{
	struct asi_kunit_exits *x = data;

	if (x->n < ARRAY_SIZE(x->reason))
		x->reason[x->n] = reason;
	x->n++;
}

static void record_fault_exit(void *data, int class_id,
			      const char *class_name, unsigned long addr,
			      unsigned long ip, unsigned long error_code)
{
	struct asi_kunit_exits *x = data;

	x->faults++;
	x->addr = addr;
	x->ip = ip;
	x->error_code = error_code;
}

static void stop_recording_exits(void *data)
{
	unregister_trace_asi_exit(record_exit, data);
	unregister_trace_asi_fault_exit(record_fault_exit, data);
	tracepoint_synchronize_unregister();
}

/**
 * asi_kunit_read_kernel() - read a u64 of the direct map, as the CPU would
 * @addr: a direct-map address.
 *
 * On x86 a load, which faults inside a domain that does not map @addr; on
 * UML an access of the modelled CPU, which faults the same way in the
 * model, followed by the load.
 *
 * Return: the value read.
 */
u64 asi_kunit_read_kernel(const u64 *addr)
{
#ifdef CONFIG_UML
	unsigned long pfn;

	WARN_ON(asi_um_tlb_access((unsigned long)addr, false, &pfn));
#endif
	return READ_ONCE(*addr);
}

/**
 * asi_kunit_run_untrusted() - run the critical section's untrusted context
 *
 * What a client does around a guest or user code's run:
 * asi_before_untrusted() right before, asi_after_untrusted() right after.
 * On UML the modelled CPU runs it in between, and checks it runs
 * restricted with the flushes its class's policy asks for; it runs even
 * when asi_before_untrusted() said no, as a client ignoring that would,
 * so that the model shows what would happen.  On x86 nothing runs.
 *
 * Return: what asi_before_untrusted() said.
 */
bool asi_kunit_run_untrusted(void)
{
	unsigned long flags;
	bool ready;

	local_irq_save(flags);
	ready = asi_before_untrusted();
#ifdef CONFIG_UML
	asi_um_tlb_run_untrusted();
#endif
	asi_after_untrusted();
	local_irq_restore(flags);
	return ready;
}

/**
 * asi_kunit_record_exits() - record the exits of the case from now on
 * @test: the case; recording stops when it ends.
 * @x: where: every exit's reason (asi_exit tracepoint) and the last fault
 *	exit's address, ip and error code (asi_fault_exit).
 */
void asi_kunit_record_exits(struct kunit *test, struct asi_kunit_exits *x)
{
	memset(x, 0, sizeof(*x));
	KUNIT_ASSERT_EQ(test, register_trace_asi_exit(record_exit, x), 0);
	KUNIT_ASSERT_EQ(test, register_trace_asi_fault_exit(record_fault_exit,
							    x), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							stop_recording_exits,
							x), 0);
}

/* The calls of the counting hooks below; see asi_kunit.h. */
struct asi_kunit_hooks asi_kunit_hooks;

void asi_kunit_count_post_enter(struct asi *asi)
{
	asi_kunit_hooks.post_enter++;
}

void asi_kunit_count_pre_exit(struct asi *asi)
{
	asi_kunit_hooks.pre_exit++;
}

static unsigned int own_classes;

/**
 * asi_kunit_unregister_own_classes() - undo asi_kunit_register_own_classes()
 * @suite: unused; a suite_exit.
 */
void asi_kunit_unregister_own_classes(struct kunit_suite *suite)
{
	enum asi_class_id id;

	for (id = 0; id < ASI_MAX_NUM_CLASSES; id++) {
		if (own_classes & BIT(id))
			WARN(asi_unregister_class(id),
			     "%s(): a case left a domain of class %d alive\n",
			     __func__, id);
	}
	own_classes = 0;
}

/**
 * asi_kunit_register_own_classes() - a suite's classes, with its policies
 * @test_ops: for ASI_CLASS_TEST.
 * @user_ops: for ASI_CLASS_USERSPACE.
 *
 * For a suite_init: both registered, or neither.  Nothing when ASI is off.
 *
 * Return: 0 or asi_register_class()'s error.
 */
int asi_kunit_register_own_classes(const struct asi_class_ops *test_ops,
				   const struct asi_class_ops *user_ops)
{
	int err;

	if (!asi_enabled())
		return 0;
	err = asi_register_class(ASI_CLASS_TEST, test_ops);
	if (err)
		return err;
	own_classes |= BIT(ASI_CLASS_TEST);
	err = asi_register_class(ASI_CLASS_USERSPACE, user_ops);
	if (err) {
		asi_kunit_unregister_own_classes(NULL);
		return err;
	}
	own_classes |= BIT(ASI_CLASS_USERSPACE);
	return 0;
}

/* A new mm, used by the case's kthread, with its ASI_CLASS_TEST domain. */
struct mm_struct *asi_kunit_mm_with_test_domain(struct kunit *test,
						struct asi **asi)
{
	struct mm_struct *mm = asi_kunit_mm_new(test);

	asi_kunit_mm_use(mm);
	KUNIT_ASSERT_EQ(test, asi_init(mm, ASI_CLASS_TEST, asi), 0);
	return mm;
}
#endif

/**
 * asi_kunit_mm_release() - stop using @mm and drop the case's reference
 * @mm: an mm from asi_kunit_mm_new() that the case's kthread uses.
 */
void asi_kunit_mm_release(struct mm_struct *mm)
{
	asi_kunit_mm_unuse(mm);
	asi_kunit_mm_put(mm);
}

/**
 * asi_kunit_zap_user() - unmap user pages as MADV_DONTNEED does
 * @test: the case; it fails if no VMA holds @addr.
 * @mm: the mm.
 * @addr: the first page.
 * @npages: how many.
 *
 * The kernel zaps them and flushes its TLBs through its usual path
 * (mmu_gather, flush_tlb_range()): a user TLB flush.
 */
void asi_kunit_zap_user(struct kunit *test, struct mm_struct *mm,
			unsigned long addr, unsigned long npages)
{
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma)
		zap_page_range_single(vma, addr, npages * PAGE_SIZE, NULL);
	mmap_read_unlock(mm);
	KUNIT_ASSERT_NOT_NULL(test, vma);
}
