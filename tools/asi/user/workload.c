// SPDX-License-Identifier: GPL-2.0
/*
 * The workload of the userspace runs: what a process does to the kernel's
 * memory management, each piece a KTAP case (a subtest named "workload").
 * Built static, it runs on x86 under QEMU and in UML, with ASI on (the
 * userspace class entering on every return to user mode) and off.
 *
 * Each case checks what it reads: a stale translation left by a missing
 * TLB flush, in the normal or a restricted address space, shows up as
 * data of the wrong mapping (remap_is_seen_by_threads above all).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PAGE		4096UL
#define INDENT		"    "

static char why[256];

#define FAIL(...)	do { snprintf(why, sizeof(why), __VA_ARGS__); return 1; } while (0)
#define SKIP		2

/* fork() and exec() of a static program, many times; every child exits 0. */
static int fork_exec(void)
{
	int i, status;

	for (i = 0; i < 50; i++) {
		pid_t pid = fork();

		if (pid < 0)
			FAIL("fork: %s", strerror(errno));
		if (!pid) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid)
			FAIL("waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			FAIL("child %d: status %#x", i, status);
	}
	return 0;
}

/* Round trips through two pipes between two processes; data checked. */
static int pipe_pingpong(void)
{
	int to[2], from[2], i, status;
	unsigned char buf[256];
	pid_t pid;

	if (pipe(to) || pipe(from))
		FAIL("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		FAIL("fork: %s", strerror(errno));
	if (!pid) {
		close(to[1]);
		close(from[0]);
		for (;;) {
			ssize_t n = read(to[0], buf, sizeof(buf));

			if (n <= 0)
				_exit(n ? 1 : 0);
			for (i = 0; i < n; i++)
				buf[i] ^= 0xff;
			if (write(from[1], buf, n) != n)
				_exit(1);
		}
	}
	close(to[0]);
	close(from[1]);
	for (i = 0; i < 3000; i++) {
		unsigned char got[sizeof(buf)];
		size_t j, len = 1 + i % sizeof(buf), done = 0;

		for (j = 0; j < len; j++)
			buf[j] = i + j;
		if (write(to[1], buf, len) != (ssize_t)len)
			FAIL("write: %s", strerror(errno));
		while (done < len) {
			ssize_t n = read(from[0], got + done, len - done);

			if (n <= 0)
				FAIL("read: %zd", n);
			done += n;
		}
		for (j = 0; j < len; j++)
			if (got[j] != (unsigned char)~buf[j])
				FAIL("round trip %d byte %zu: %#x", i, j, got[j]);
	}
	close(to[1]);
	if (waitpid(pid, &status, 0) != pid || status)
		FAIL("child status %#x", status);
	close(from[0]);
	return 0;
}

static sigjmp_buf segv_jmp;

static void on_segv(int sig)
{
	siglongjmp(segv_jmp, 1);
}

/*
 * Anonymous memory faulted in page by page, checked, made read-only (a
 * write must fault), unmapped (a read must fault), again and again.
 */
static int mmap_mprotect_munmap(void)
{
	size_t len = 8 << 20, off;
	struct sigaction sa = { .sa_handler = on_segv };
	volatile unsigned long *p;
	int round;

	sigaction(SIGSEGV, &sa, NULL);
	for (round = 0; round < 10; round++) {
		unsigned long *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			FAIL("mmap: %s", strerror(errno));
		for (off = 0; off < len; off += PAGE)
			m[off / sizeof(*m)] = off ^ round;
		for (off = 0; off < len; off += PAGE)
			if (m[off / sizeof(*m)] != (off ^ round))
				FAIL("round %d: page %zu reads %#lx", round,
				     off / PAGE, m[off / sizeof(*m)]);
		if (mprotect(m, len, PROT_READ))
			FAIL("mprotect: %s", strerror(errno));
		p = m + (round * PAGE) / sizeof(*m);
		if (!sigsetjmp(segv_jmp, 1)) {
			*p = 1;
			FAIL("round %d: a write to a read-only page went through",
			     round);
		}
		if (munmap(m, len))
			FAIL("munmap: %s", strerror(errno));
		if (!sigsetjmp(segv_jmp, 1)) {
			(void)*p;
			FAIL("round %d: an unmapped page still reads", round);
		}
	}
	signal(SIGSEGV, SIG_DFL);
	return 0;
}

/* Copy-on-write: a child's writes never reach the parent, and back. */
static int fork_cow(void)
{
	size_t len = 4 << 20, i;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status;
	pid_t pid;

	if (m == MAP_FAILED)
		FAIL("mmap: %s", strerror(errno));
	memset(m, 0x5a, len);
	pid = fork();
	if (pid < 0)
		FAIL("fork: %s", strerror(errno));
	if (!pid) {
		for (i = 0; i < len; i += PAGE)
			if (m[i] != 0x5a)
				_exit(1);
		memset(m, 0xa5, len);
		for (i = 0; i < len; i += PAGE)
			if (m[i] != 0xa5)
				_exit(2);
		_exit(0);
	}
	for (i = 0; i < len; i += 2 * PAGE)
		m[i] = 0x11;
	if (waitpid(pid, &status, 0) != pid || status)
		FAIL("child status %#x", status);
	for (i = 0; i < len; i += PAGE)
		if (m[i] != ((i / PAGE) % 2 ? 0x5a : 0x11))
			FAIL("page %zu reads %#x after the child wrote", i / PAGE,
			     m[i]);
	munmap(m, len);
	return 0;
}

/* A file on tmpfs: written, mapped shared, changed through the mapping. */
static int file_faults(void)
{
	size_t len = 2 << 20, i;
	unsigned char *m, buf[PAGE];
	int fd = open("/tmp/workload.file", O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		FAIL("open: %s", strerror(errno));
	for (i = 0; i < len; i += PAGE) {
		memset(buf, i / PAGE, PAGE);
		if (write(fd, buf, PAGE) != PAGE)
			FAIL("write: %s", strerror(errno));
	}
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		FAIL("mmap: %s", strerror(errno));
	for (i = 0; i < len; i += PAGE)
		if (m[i + 7] != (unsigned char)(i / PAGE))
			FAIL("page %zu maps %#x", i / PAGE, m[i + 7]);
	for (i = 0; i < len; i += PAGE)
		m[i + 9] = ~(i / PAGE);
	if (msync(m, len, MS_SYNC))
		FAIL("msync: %s", strerror(errno));
	for (i = 0; i < len; i += PAGE) {
		if (pread(fd, buf, PAGE, i) != PAGE)
			FAIL("pread: %s", strerror(errno));
		if (buf[9] != (unsigned char)~(i / PAGE) ||
		    buf[7] != (unsigned char)(i / PAGE))
			FAIL("page %zu reads back %#x %#x", i / PAGE, buf[7],
			     buf[9]);
	}
	munmap(m, len);
	close(fd);
	unlink("/tmp/workload.file");
	return 0;
}

#define THREADS		4

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long count;

static void *thread_churn(void *arg)
{
	unsigned long i, mine = (uintptr_t)arg;

	for (i = 0; i < 200; i++) {
		size_t len = PAGE * (1 + (i + mine) % 16), j;
		unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return (void *)1;
		for (j = 0; j < len; j += PAGE)
			m[j] = mine;
		for (j = 0; j < len; j += PAGE)
			if (m[j] != mine)
				return (void *)2;
		munmap(m, len);
		pthread_mutex_lock(&count_lock);
		count++;
		pthread_mutex_unlock(&count_lock);
	}
	return NULL;
}

/* Threads of one mm mapping, touching and unmapping memory at once. */
static int threads_churn(void)
{
	pthread_t t[THREADS];
	void *ret;
	int i, err = 0;

	count = 0;
	for (i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, thread_churn,
				   (void *)(uintptr_t)(i + 1)))
			FAIL("pthread_create");
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &ret);
		if (ret)
			err = (int)(uintptr_t)ret;
	}
	if (err)
		FAIL("a thread failed (%d)", err);
	if (count != THREADS * 200)
		FAIL("count %lu", count);
	return 0;
}

static atomic_ulong remap_gen;
static atomic_ulong remap_acks;
static atomic_int remap_bad;
static volatile unsigned long *remap_addr;

static void *remap_reader(void *arg)
{
	unsigned long seen = 0;

	for (;;) {
		unsigned long gen = atomic_load(&remap_gen);

		if (gen == ~0UL)
			return NULL;
		if (gen == seen) {
			/* UML has one CPU: let the writer run. */
			sched_yield();
			continue;
		}
		/* The mapping of generation gen holds gen in its first word. */
		if (*remap_addr != gen)
			atomic_store(&remap_bad, (int)gen);
		seen = gen;
		atomic_fetch_add(&remap_acks, 1);
	}
}

/*
 * One thread maps a new page over the old one (MAP_FIXED) and the others,
 * on other CPUs, must read the new page's contents: a CPU that kept the
 * old translation (a TLB flush missing in its address space, restricted
 * or not) reads the old page.
 */
static int remap_is_seen_by_threads(void)
{
	pthread_t t[THREADS];
	unsigned long gen;
	void *at;
	int i;

	at = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (at == MAP_FAILED)
		FAIL("mmap: %s", strerror(errno));
	*(unsigned long *)at = 0;
	remap_addr = at;
	atomic_store(&remap_gen, 0);
	atomic_store(&remap_acks, 0);
	atomic_store(&remap_bad, 0);
	for (i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, remap_reader, NULL))
			FAIL("pthread_create");
	for (gen = 1; gen <= 300; gen++) {
		unsigned long *m = mmap(at, PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					-1, 0);

		if (m == MAP_FAILED)
			FAIL("mmap: %s", strerror(errno));
		/* Written through this CPU's new translation... */
		*m = gen;
		atomic_store(&remap_acks, 0);
		atomic_store(&remap_gen, gen);
		/* ...and read through the others'. */
		while (atomic_load(&remap_acks) < THREADS)
			sched_yield();
	}
	atomic_store(&remap_gen, ~0UL);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	munmap(at, PAGE);
	if (atomic_load(&remap_bad))
		FAIL("generation %d: a thread read the old page",
		     atomic_load(&remap_bad));
	return 0;
}

/*
 * Secret memory (memfd_secret()): out of the direct map, so out of every
 * restricted table too.  Its owner reads and writes it as usual.
 */
static int secretmem(void)
{
	size_t len = 4 * PAGE, i;
	unsigned char *m;
	int fd = syscall(__NR_memfd_secret, 0);

	if (fd < 0 && (errno == ENOSYS || errno == EINVAL)) {
		snprintf(why, sizeof(why), "no memfd_secret() here (%s)",
			 strerror(errno));
		return SKIP;
	}
	if (fd < 0)
		FAIL("memfd_secret: %s", strerror(errno));
	if (ftruncate(fd, len))
		FAIL("ftruncate: %s", strerror(errno));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		FAIL("mmap: %s", strerror(errno));
	for (i = 0; i < len; i++)
		m[i] = i * 7;
	for (i = 0; i < len; i++)
		if (m[i] != (unsigned char)(i * 7))
			FAIL("byte %zu reads %#x", i, m[i]);
	munmap(m, len);
	close(fd);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "fork_exec", fork_exec },
	{ "pipe_pingpong", pipe_pingpong },
	{ "mmap_mprotect_munmap", mmap_mprotect_munmap },
	{ "fork_cow", fork_cow },
	{ "file_faults", file_faults },
	{ "threads_churn", threads_churn },
	{ "remap_is_seen_by_threads", remap_is_seen_by_threads },
	{ "secretmem", secretmem },
};

#define NR_CASES	(sizeof(cases) / sizeof(cases[0]))	/* no ARRAY_SIZE() here */

int main(void)
{
	unsigned int i, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf(INDENT "KTAP version 1\n" INDENT "# Subtest: workload\n"
	       INDENT "1..%zu\n", NR_CASES);
	for (i = 0; i < NR_CASES; i++) {
		int ret;

		why[0] = '\0';
		ret = cases[i].fn();
		if (ret == 1) {
			printf(INDENT "# %s: %s\n", cases[i].name, why);
			failed++;
		}
		if (ret == SKIP)
			printf(INDENT "ok %u %s # SKIP %s\n", i + 1,
			       cases[i].name, why);
		else
			printf(INDENT "%sok %u %s\n", ret ? "not " : "",
			       i + 1, cases[i].name);
	}
	return failed ? 1 : 0;
}
