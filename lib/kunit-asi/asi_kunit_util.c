// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers of the ASI KUnit suites: the console watch that proves a
 * warning fired (as mm/kfence/kfence_test.c does), and real mm lifecycles.
 */

#include <linux/asi.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mount.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/uio.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <trace/events/printk.h>

#include "asi_kunit.h"

static char *expect = "";
module_param(expect, charp, 0444);
MODULE_PARM_DESC(expect, "on or off: the ASI state this boot must have");

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
 * architectures and just after it on others: keep one record on each side.
 */
#define AROUND		3

static struct {
	raw_spinlock_t lock;
	int reports;
	char lines[WATCH_LINES][WATCH_LINE_LEN];
	char last[WATCH_LINE_LEN];
	int capture;
	char around[WATCH_LINES][AROUND][WATCH_LINE_LEN];
} watch = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(watch.lock),
};

static DEFINE_MUTEX(watch_users_lock);
static int watch_users;
static struct mm_struct *park_mm;

static bool starts_with(const char *buf, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !strncmp(buf, prefix, n);
}

/*
 * A WARN prints a record "WARNING: CPU: n PID: n at <file:line> <func>+...";
 * lockdep, KASAN and might_sleep() reports start with "WARNING:" or "BUG:".
 * Each such record is one report.  Only record starts count, so that a
 * KUnit message quoting a report is not a report itself.
 */
static void probe_console(void *ignore, const char *buf, size_t len)
{
	size_t n = min_t(size_t, len + 1, WATCH_LINE_LEN);
	unsigned long flags;

	raw_spin_lock_irqsave(&watch.lock, flags);
	if (starts_with(buf, len, "WARNING:") || starts_with(buf, len, "BUG:")) {
		if (watch.reports < WATCH_LINES) {
			strscpy(watch.lines[watch.reports], buf, n);
			strscpy(watch.around[watch.reports][0], watch.last,
				WATCH_LINE_LEN);
		}
		watch.reports++;
		watch.capture = AROUND - 1;
	} else if (watch.capture && watch.reports <= WATCH_LINES) {
		strscpy(watch.around[watch.reports - 1][AROUND - watch.capture],
			buf, n);
		watch.capture--;
	}
	strscpy(watch.last, buf, n);
	raw_spin_unlock_irqrestore(&watch.lock, flags);
}

/**
 * asi_kunit_watch_start() - suite init: start watching the console
 * @suite: the suite.
 *
 * Return: 0 or the tracepoint registration error.
 */
int asi_kunit_watch_start(struct kunit_suite *suite)
{
	int err = 0;

	mutex_lock(&watch_users_lock);
	if (!watch_users)
		err = register_trace_console(probe_console, NULL);
	if (!err)
		watch_users++;
	mutex_unlock(&watch_users_lock);
	return err;
}

/**
 * asi_kunit_watch_stop() - suite exit: stop watching the console
 * @suite: the suite.
 */
void asi_kunit_watch_stop(struct kunit_suite *suite)
{
	struct mm_struct *mm = NULL;

	mutex_lock(&watch_users_lock);
	if (!--watch_users) {
		unregister_trace_console(probe_console, NULL);
		tracepoint_synchronize_unregister();
		mm = park_mm;
		park_mm = NULL;
	}
	mutex_unlock(&watch_users_lock);
	if (mm)
		mmput(mm);
}

static void watch_reset(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&watch.lock, flags);
	watch.reports = 0;
	watch.capture = 0;
	memset(watch.around, 0, sizeof(watch.around));
	raw_spin_unlock_irqrestore(&watch.lock, flags);
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
	n = min(watch.reports, WATCH_LINES);
	for (i = 0; i < n * AROUND && !found; i++)
		found = strstr(watch.around[i / AROUND][i % AROUND], text);
	raw_spin_unlock_irqrestore(&watch.lock, flags);
	KUNIT_EXPECT_TRUE_MSG(test, found, "no console message \"%s\"", text);
}

/**
 * asi_kunit_expect_warnings() - claim the reports printed since last time
 * @test: the case.
 * @n: how many reports must have been printed.
 * @where: text each report must contain (the warning function), or NULL.
 */
void asi_kunit_expect_warnings(struct kunit *test, int n, const char *where)
{
	char lines[WATCH_LINES][WATCH_LINE_LEN];
	unsigned long flags;
	int reports, i;

	raw_spin_lock_irqsave(&watch.lock, flags);
	reports = watch.reports;
	memcpy(lines, watch.lines, sizeof(lines));
	watch.reports = 0;
	raw_spin_unlock_irqrestore(&watch.lock, flags);

	KUNIT_EXPECT_EQ_MSG(test, reports, n, "first report: %s",
			    reports ? lines[0] : "(none)");
	for (i = 0; where && i < min(reports, WATCH_LINES); i++)
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(lines[i], where),
					  "report %d is not from %s: %s",
					  i, where, lines[i]);
}

/**
 * asi_kunit_case_init() - case init: no report carried over
 * @test: the case.
 *
 * Return: 0.
 */
int asi_kunit_case_init(struct kunit *test)
{
	watch_reset();
	return 0;
}

/**
 * asi_kunit_case_exit() - case exit: fail on any unclaimed report
 * @test: the case.
 */
void asi_kunit_case_exit(struct kunit *test)
{
	if (current->mm)
		asi_kunit_mm_unuse(current->mm);
	asi_kunit_expect_warnings(test, 0, NULL);
}

/**
 * asi_kunit_mm_new() - a fresh mm, as mm_alloc() makes for exec
 * @test: the case; fails it if there is no memory.
 *
 * Return: the mm, with mm_users and mm_count at one.
 */
struct mm_struct *asi_kunit_mm_new(struct kunit *test)
{
	struct mm_struct *mm = mm_alloc();

	KUNIT_ASSERT_NOT_NULL(test, mm);
	return mm;
}

/**
 * asi_kunit_mm_use() - make @mm current->mm of the case's kthread
 * @mm: the mm.
 */
void asi_kunit_mm_use(struct mm_struct *mm)
{
	kthread_use_mm(mm);
}

/**
 * asi_kunit_mm_unuse() - stop using @mm and let go of it entirely
 * @mm: the mm.
 *
 * kthread_unuse_mm() leaves @mm as the kthread's lazy active_mm, holding a
 * reference; switching to a parked mm and back drops it, so the case can
 * tell exactly which put frees @mm.
 */
void asi_kunit_mm_unuse(struct mm_struct *mm)
{
	struct mm_struct *park;

	kthread_unuse_mm(mm);

	mutex_lock(&watch_users_lock);
	if (!park_mm)
		park_mm = mm_alloc();
	park = park_mm;
	mutex_unlock(&watch_users_lock);
	if (!park)
		return;
	kthread_use_mm(park);
	kthread_unuse_mm(park);
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

/* Backend suites: ASI_CLASS_TEST registered and the watch on, if ASI is on. */
int asi_kunit_backend_suite_init(struct kunit_suite *suite)
{
	int err;

	if (!asi_enabled())
		return 0;
	err = asi_register_class(ASI_CLASS_TEST, &backend_class_ops);
	if (err)
		return err;
	return asi_kunit_watch_start(suite);
}

void asi_kunit_backend_suite_exit(struct kunit_suite *suite)
{
	if (!asi_enabled())
		return;
	asi_kunit_watch_stop(suite);
	asi_unregister_class(ASI_CLASS_TEST);
}

/* Backend cases need ASI on: skip them when it is off at boot. */
int asi_kunit_backend_case_init(struct kunit *test)
{
	asi_kunit_case_init(test);
	if (!asi_enabled())
		kunit_skip(test, "ASI is off");
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

/* Stop using @mm and drop the reference asi_kunit_mm_new() gave. */
void asi_kunit_mm_release(struct mm_struct *mm)
{
	asi_kunit_mm_unuse(mm);
	mmput(mm);
}
