// SPDX-License-Identifier: GPL-2.0
/*
 * Print this machine's TSC rate in kHz, measured against
 * CLOCK_MONOTONIC_RAW, for the tsc_early_khz= of the x86 userspace runs
 * (run.sh): QEMU's software emulation hands its guest the host's TSC.
 *
 * Each end of the interval is the clock read pair, of a thousand, that
 * lies closest together around its TSC read, so that a preemption in
 * the middle of one pair does not skew the result on a loaded machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* One end of the interval: a TSC value and the time it was read at. */
static void stamp(uint64_t *ns, uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 1000; i++) {
		uint64_t a = now_ns(), c = __rdtsc(), b = now_ns();

		if (b - a < best) {
			best = b - a;
			*ns = a + (b - a) / 2;
			*tsc = c;
		}
	}
}

int main(void)
{
	struct timespec nap = { 0, 200000000 };
	uint64_t ns0, tsc0, ns1, tsc1, khz;

	stamp(&ns0, &tsc0);
	nanosleep(&nap, NULL);
	stamp(&ns1, &tsc1);
	khz = (tsc1 - tsc0) * 1000000ull / (ns1 - ns0);
	/* No TSC runs below 100 MHz; a rate that low is a broken clock. */
	if (khz < 100000) {
		fprintf(stderr, "tsc-khz: implausible rate %llu kHz\n",
			(unsigned long long)khz);
		return 1;
	}
	printf("%llu\n", (unsigned long long)khz);
	return 0;
}
