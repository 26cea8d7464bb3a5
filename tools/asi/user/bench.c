// SPDX-License-Identifier: GPL-2.0
/*
 * The user half of make bench (tools/asi/bench.sh): syscall-heavy and
 * fault-heavy loops, timed in the booted kernel, each printed as
 *
 *   # bench: NAME MEDIAN MIN MAX ns
 *
 * per operation over BATCHES batches, and after each what ASI did for
 * it, summed over the userspace and KVM classes, per operation:
 *
 *   # bench-counts: NAME enters E exits X fault_exits F relaxes R
 *	flush_l1d L flush_buffers B flush_ibpb I flush_rsb S
 *
 * (nothing with ASI off).  The KVM guest (kvm_guest) runs BATCHES times
 * as kvm_io_exit.  /init runs this when booted with asi_user.only=bench,
 * with ASI's classes on and with asi=off; the ratios of the two boots
 * are the figures.  Not a test: nothing here passes or fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCHES	7

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const char *const keys[] = {
	"enters", "exits", "fault_exits", "relaxes",
	"flush_l1d", "flush_buffers", "flush_ibpb", "flush_rsb",
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* The counters of both client classes, summed; zeros without ASI. */
static void counts(unsigned long long *c)
{
	static const char *const files[] = {
		"/sys/kernel/debug/asi/userspace/stats",
		"/sys/kernel/debug/asi/kvm/stats",
	};
	unsigned long long v;
	char key[64];
	unsigned int f, k;
	FILE *in;

	memset(c, 0, NKEYS * sizeof(*c));
	for (f = 0; f < 2; f++) {
		in = fopen(files[f], "r");
		if (!in)
			continue;
		while (fscanf(in, "%63s %llu", key, &v) == 2)
			for (k = 0; k < NKEYS; k++)
				if (!strcmp(key, keys[k]))
					c[k] += v;
		fclose(in);
	}
}

/* What ASI did between @before and now, per one of @ops operations. */
static void print_counts(const char *name, const unsigned long long *before,
			 unsigned long long ops)
{
	unsigned long long now[NKEYS];
	unsigned int k;

	counts(now);
	printf("# bench-counts: %s", name);
	for (k = 0; k < NKEYS; k++)
		printf(" %s %.2f", keys[k], (double)(now[k] - before[k]) / ops);
	printf("\n");
}

static void print_times(const char *name, uint64_t *v)
{
	qsort(v, BATCHES, sizeof(*v), cmp);
	printf("# bench: %s %llu %llu %llu ns\n", name,
	       (unsigned long long)v[BATCHES / 2], (unsigned long long)v[0],
	       (unsigned long long)v[BATCHES - 1]);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Time BATCHES batches of @n calls of @op; print per call. */
static void bench(const char *name, void (*op)(int), int n)
{
	unsigned long long before[NKEYS];
	uint64_t v[BATCHES], t;
	int b;

	op(n / 10 + 1);	/* warm up */
	counts(before);
	for (b = 0; b < BATCHES; b++) {
		t = now_ns();
		op(n);
		v[b] = (now_ns() - t) / n;
	}
	print_counts(name, before, (unsigned long long)BATCHES * n);
	print_times(name, v);
	fflush(stdout);
}

/*
 * The KVM guest's run, BATCHES times: a round trip of an I/O exit, as
 * kvm_guest measures it (its 1000 exits and the HLT).
 */
static void bench_kvm(void)
{
	unsigned long long before[NKEYS], ns;
	uint64_t v[BATCHES];
	char line[256];
	int b, got;
	FILE *in;

	if (access("/dev/kvm", F_OK))
		return;
	counts(before);
	for (b = 0; b < BATCHES; b++) {
		in = popen("/bin/kvm_guest", "r");
		got = 0;
		while (in && fgets(line, sizeof(line), in))
			if (sscanf(line, "# bench: kvm_io_exit %llu", &ns) == 1)
				got = 1;
		if (!in || pclose(in) || !got) {
			printf("# bench: kvm_io_exit failed\n");
			return;
		}
		v[b] = ns;
	}
	print_counts("kvm_io_exit", before, BATCHES * 1001ull);
	print_times("kvm_io_exit", v);
}

static void getpid_loop(int n)
{
	while (n--)
		syscall(SYS_getpid);
}

/* One byte there and back between two processes, over two pipes. */
static void pipe_loop(int n)
{
	int there[2], back[2];
	char c = 0;
	pid_t pid;

	if (pipe(there) || pipe(back))
		exit(1);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (!pid) {
		close(there[1]);
		close(back[0]);
		while (read(there[0], &c, 1) == 1 && write(back[1], &c, 1) == 1)
			;
		_exit(0);
	}
	while (n--) {
		if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
			exit(1);
	}
	close(there[1]);
	waitpid(pid, NULL, 0);
	close(there[0]);
	close(back[0]);
	close(back[1]);
}

/* Map 16 pages, fault each in, unmap: 16 faults and two syscalls. */
static void mmap_loop(int n)
{
	const long page = sysconf(_SC_PAGESIZE);
	char *p;
	int i;

	while (n--) {
		p = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			exit(1);
		for (i = 0; i < 16; i++)
			p[i * page] = 1;
		munmap(p, 16 * page);
	}
}

static void fork_loop(int n)
{
	pid_t pid;

	while (n--) {
		pid = fork();
		if (pid < 0)
			exit(1);
		if (!pid)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
}

int main(void)
{
	bench("getpid", getpid_loop, 20000);
	bench("pipe_roundtrip", pipe_loop, 2000);
	bench("mmap_fault16_munmap", mmap_loop, 300);
	bench("fork_exit", fork_loop, 100);
	bench_kvm();
	return 0;
}
