/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the connection table: memory for 1,000,000 flows in a table of
 * 1,048,576 slots, and the median cost of lookups, updates and expiry. Prints
 * one "name value" line per figure for scripts to grep.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "conn.h"

#define CAPACITY	1048576u
#define FLOWS		1000000u
#define ROUNDS		10
#define MIB		(1024.0 * 1024.0)

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* A bijection on uint32, so distinct i give distinct client addresses. */
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long rss_bytes(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts <v> and prints its median and minimum as "<name>_median" and "_min". */
static void report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%s_median %.1f\n", name,
	       n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
	printf("%s_min %.1f\n", name, v[0]);
}

int main(void)
{
	struct flow_key *keys, *q;
	struct conn **cps, **qc;
	struct conn_timeouts t;
	struct conn_tab *tab;
	double ns[ROUNDS], t0;
	uint64_t sink = 0;
	long rss0, rss1;
	uint32_t now = 1000;
	size_t n;

	keys = calloc(FLOWS, sizeof(*keys));
	q = calloc(FLOWS, sizeof(*q));
	cps = calloc(FLOWS, sizeof(*cps));
	qc = calloc(FLOWS, sizeof(*qc));
	if (!keys || !q || !cps || !qc) {
		fprintf(stderr, "bench_conn: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < FLOWS; i++) {
		keys[i].caddr = mix32(i);
		keys[i].cport = (__be16)(1024 + rng() % 64000);
		keys[i].vaddr = htonl(0x0a000001u + (i & 3));
		keys[i].vport = htons(i & 4 ? 443 : 80);
		keys[i].proto = IPPROTO_TCP;
	}
	/*
	 * Touch the bench's own arrays before the baseline reading (non-zero:
	 * a memset(0) after calloc() may be optimized away).
	 */
	memset(q, 0xff, FLOWS * sizeof(*q));
	memset(cps, 0xff, FLOWS * sizeof(*cps));
	memset(qc, 0xff, FLOWS * sizeof(*qc));

	rss0 = rss_bytes();
	conn_timeouts_default(&t);
	tab = conn_tab_new(CAPACITY, CAPACITY / 8, &t, 0xdeadbeefu);
	if (tab == NULL) {
		fprintf(stderr, "bench_conn: conn_tab_new failed\n");
		return 1;
	}
	t0 = now_ns();
	for (uint32_t i = 0; i < FLOWS; i++) {
		enum lb_drop why;
		enum lb_fwd fwd = i & 1 ? LB_FWD_DR : LB_FWD_NAT;

		cps[i] = conn_new(tab, &keys[i], htonl(0x0a000100u + (i & 15)),
				  htons(8080), fwd, 0, 0, now, &why);
		if (cps[i] == NULL) {
			fprintf(stderr, "bench_conn: insert %u failed (%d)\n",
				i, (int)why);
			return 1;
		}
		/* Complete the handshake so the half-open bound stays clear. */
		conn_update(tab, cps[i], fwd == LB_FWD_DR ? CONN_DIR_IN_ONLY :
			    CONN_DIR_IN, CONN_TCP_ACK, now);
	}
	printf("conn_insert_ns %.1f\n", (now_ns() - t0) / FLOWS);
	rss1 = rss_bytes();

	printf("conn_capacity %u\n", conn_capacity(tab));
	printf("conn_flows %u\n", conn_count(tab));
	printf("conn_struct_bytes %zu\n", sizeof(struct conn));
	printf("conn_mem_bytes %zu\n", conn_tab_bytes(tab));
	printf("conn_mem_mb %.1f\n", conn_tab_bytes(tab) / MIB);
	printf("conn_rss_growth_mb %.1f\n", (double)(rss1 - rss0) / MIB);

	/*
	 * Lookups of existing keys in random order. The keys are copied into
	 * q[] in query order first, so that the timed loop reads its keys
	 * sequentially, as a datapath reads them from the packet.
	 */
	for (int r = 0; r < ROUNDS; r++) {
		for (uint32_t j = 0; j < FLOWS; j++)
			q[j] = keys[rng() % FLOWS];
		t0 = now_ns();
		for (uint32_t j = 0; j < FLOWS; j++) {
			struct conn *cp = conn_lookup_in(tab, &q[j]);

			sink += cp->rs_gen + 1;
		}
		ns[r] = (now_ns() - t0) / FLOWS;
	}
	if (sink != (uint64_t)ROUNDS * FLOWS) {
		fprintf(stderr, "bench_conn: a lookup missed\n");
		return 1;
	}
	report("conn_lookup_ns", ns, ROUNDS);

	/*
	 * The same with each lookup waiting for the previous one (rs_gen is 0
	 * everywhere, but the CPU cannot know), which is the latency of one
	 * lookup when nothing overlaps it.
	 */
	for (int r = 0; r < ROUNDS; r++) {
		uint32_t j = 0;

		for (uint32_t i = 0; i < FLOWS; i++)
			q[i] = keys[rng() % FLOWS];
		t0 = now_ns();
		for (uint32_t i = 0; i < FLOWS; i++) {
			struct conn *cp = conn_lookup_in(tab, &q[j]);

			j = j + 1 + cp->rs_gen;
		}
		ns[r] = (now_ns() - t0) / FLOWS;
		sink += j;
	}
	report("conn_lookup_dep_ns", ns, ROUNDS);

	/* Updates (ACK on ESTABLISHED), with the clock at 1M packets/s. */
	for (int r = 0; r < ROUNDS; r++) {
		for (uint32_t j = 0; j < FLOWS; j++)
			qc[j] = cps[rng() % FLOWS];
		t0 = now_ns();
		for (uint32_t j = 0; j < FLOWS; j++) {
			struct conn *cp = qc[j];

			conn_update(tab, cp, cp->fwd == LB_FWD_DR ?
				    CONN_DIR_IN_ONLY : CONN_DIR_IN,
				    CONN_TCP_ACK, now + j / 1000);
		}
		ns[r] = (now_ns() - t0) / FLOWS;
		now += FLOWS / 1000;
	}
	report("conn_update_ns", ns, ROUNDS);

	/* Expire everything: the cost per removed flow. */
	now += t.ms[CONN_S_ESTABLISHED] + t.ms[CONN_S_ESTABLISHED] / 32;
	t0 = now_ns();
	n = conn_expire(tab, now, SIZE_MAX, NULL, NULL);
	printf("conn_expire_ns_per_conn %.1f\n", (now_ns() - t0) / (double)n);
	printf("conn_expired %zu\n", n);
	if (sink < (uint64_t)ROUNDS * FLOWS)
		fprintf(stderr, "bench_conn: dependent lookups went wrong\n");

	conn_tab_free(tab);
	free(qc);
	free(cps);
	free(q);
	free(keys);
	return n == FLOWS ? 0 : 1;
}
