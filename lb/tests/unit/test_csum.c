/* SPDX-License-Identifier: MIT */
/*
 * csum: the full sum (RFC 1071) against known vectors and an independent
 * big-endian reference, and the incremental updates (RFC 1624) against a full
 * recompute over many random fields and the 0x0000/0xffff corners.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "csum.h"
#include "pktbuild.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return (uint32_t)(x >> 16);
}

static void rnd_fill(uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

/* Stores a csum.h checksum value (wire-order 16 bits) and returns its bytes as BE. */
static uint16_t wire(uint16_t c)
{
	uint8_t b[2];

	memcpy(b, &c, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* The inverse of wire(): big-endian value -> csum.h's in-header value. */
static uint16_t unwire(uint16_t be)
{
	uint8_t b[2] = { (uint8_t)(be >> 8), (uint8_t)be };
	uint16_t c;

	memcpy(&c, b, 2);
	return c;
}

static uint16_t ld16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return v;
}

/* --- full sum --------------------------------------------------------------- */

struct sum_case {
	const char *name;
	uint8_t bytes[24];
	size_t len;
	uint16_t check;		/* expected checksum, big-endian as on the wire */
};

/*
 * RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2 (checksum
 * 0x220d); an IPv4 header from the Wikipedia worked example (checksum field
 * zeroed) whose checksum is 0xb861; odd lengths pad with a zero byte.
 */
static const struct sum_case sum_cases[] = {
	{ "rfc1071", { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 }, 8, 0x220d },
	{ "ipv4_wikipedia", { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			      0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
			      0xc0, 0xa8, 0x00, 0xc7 }, 20, 0xb861 },
	{ "odd_one", { 0xab }, 1, 0x54ff },
	{ "odd_three", { 0x12, 0x34, 0x56 }, 3, (uint16_t)~(0x1234 + 0x5600) },
	{ "empty", { 0 }, 0, 0xffff },
	{ "all_ones", { 0xff, 0xff, 0xff, 0xff }, 4, 0x0000 },
	{ "carry_chain", { 0xff, 0xff, 0x00, 0x01 }, 4, 0xfffe },
};

static void test_csum_add_known_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sum_cases) / sizeof(sum_cases[0]); i++) {
		const struct sum_case *c = &sum_cases[i];
		uint16_t got = wire(csum_fold(csum_add(0, c->bytes, c->len)));

		if (got != c->check)
			fail_msg("%s: got %04x want %04x", c->name, got, c->check);
		assert_int_equal(pb_fold(pb_sum(0, c->bytes, c->len)), c->check);
	}
}

/* Every length 0..200 and alignment 0..3, against the byte-wise reference. */
static void test_csum_add_matches_reference_all_lengths(void **state)
{
	uint8_t buf[256];
	size_t len, off;

	(void)state;
	for (len = 0; len <= 200; len++) {
		for (off = 0; off < 4; off++) {
			uint16_t want, got;

			rnd_fill(buf, sizeof(buf));
			want = pb_fold(pb_sum(0, buf + off, len));
			got = wire(csum_fold(csum_add(0, buf + off, len)));
			if (got != want)
				fail_msg("len %zu off %zu: got %04x want %04x",
					 len, off, got, want);
		}
	}
}

/* Chaining on even lengths equals one call, whatever the split. */
static void test_csum_add_chained_even_splits(void **state)
{
	uint8_t buf[101];
	size_t split;

	(void)state;
	rnd_fill(buf, sizeof(buf));
	for (split = 0; split <= 100; split += 2) {
		uint32_t a = csum_add(csum_add(0, buf, split), buf + split,
				      sizeof(buf) - split);

		assert_int_equal(csum_fold(a),
				 csum_fold(csum_add(0, buf, sizeof(buf))));
	}
}

/* Large lengths make the 64-bit accumulator carry; all-ones is the worst case. */
static void test_csum_add_long_all_ones(void **state)
{
	static uint8_t buf[65536];

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(wire(csum_fold(csum_add(0, buf, sizeof(buf)))),
			 pb_fold(pb_sum(0, buf, sizeof(buf))));
	assert_int_equal(wire(csum_fold(csum_add(0, buf, sizeof(buf) - 1))),
			 pb_fold(pb_sum(0, buf, sizeof(buf) - 1)));
	/* A nonzero start accumulator is added in. */
	assert_int_equal(csum_fold(csum_add(0x1234, buf, 2)),
			 csum_fold(0x1234 + 0xffff));
}

static void test_csum_pseudo_matches_reference(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		struct pb_ip ip;
		struct pb_tcp t = { .sport = (uint16_t)rnd(), .dport = (uint16_t)rnd(),
				    .seq = rnd(), .flags = PB_ACK };
		uint8_t seg[200];
		size_t dlen = rnd() % 120, n;
		uint32_t s;

		pb_ip_init(&ip, "10.0.0.1", "10.0.0.2");
		ip.saddr = rnd();
		ip.daddr = rnd();
		n = pb_tcp_seg(seg, sizeof(seg), &ip, &t, pb_payload(dlen), dlen);
		assert_true(n > 0);
		s = csum_pseudo(ip.saddr, ip.daddr, 6, (uint16_t)n);
		/* Over the segment with its checksum in place, the sum verifies. */
		assert_int_equal(csum_fold(csum_add(s, seg, n)), 0);
	}
}

struct ip_case {
	const char *name;
	uint8_t ihl;		/* words */
};

static const struct ip_case ip_cases[] = {
	{ "no_options", 5 }, { "options_4", 6 }, { "options_40", 15 },
};

static void test_csum_ipv4_set_then_ok_and_bit_flips_fail(void **state)
{
	size_t i, bit;

	(void)state;
	for (i = 0; i < sizeof(ip_cases) / sizeof(ip_cases[0]); i++) {
		size_t hlen = (size_t)ip_cases[i].ihl * 4;
		uint8_t h[60];

		rnd_fill(h, hlen);
		h[0] = (uint8_t)(0x40 | ip_cases[i].ihl);
		csum_ipv4_set(h, hlen);
		assert_true(csum_ipv4_ok(h, hlen));
		assert_int_equal(pb_fold(pb_sum(0, h, hlen)), 0);
		for (bit = 0; bit < hlen * 8; bit++) {
			h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (csum_ipv4_ok(h, hlen))
				fail_msg("%s: flip of bit %zu verifies",
					 ip_cases[i].name, bit);
			h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
}

/* --- incremental -------------------------------------------------------------- */

/*
 * RFC 1624 §4: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives 0x0000 with eqn. 3
 * (eqn. 2 of RFC 1141 would give 0xffff). Values are big-endian here.
 */
struct repl_case {
	const char *name;
	uint16_t hc, from, to, want;
};

static const struct repl_case repl_cases[] = {
	{ "rfc1624_s4", 0xdd2f, 0x5555, 0x3285, 0x0000 },
	{ "no_change", 0x1234, 0xabcd, 0xabcd, 0x1234 },
	{ "to_zero", 0x0000, 0xffff, 0x0000, 0x0000 },
	{ "from_zero", 0x0001, 0x0000, 0x0001, 0x0000 },
};

/*
 * The one case eqn. 3 differs from a recompute: the covered data is all zeros
 * after the change (an ICMP echo reply with id, seq and payload 0). It gives
 * +0; the recompute gives 0xffff. Callers that can meet it must check.
 */
static void test_csum_replace2_all_zero_data_gives_plus_zero(void **state)
{
	uint8_t msg[8] = { 0x08, 0, 0, 0, 0, 0, 0, 0 };	/* echo request */
	uint16_t c = unwire(pb_fold(pb_sum(0, msg, sizeof(msg))));

	(void)state;
	assert_int_equal(wire(c), 0xf7ff);
	msg[0] = 0;					/* echo reply */
	assert_int_equal(csum_replace2(c, unwire(0x0800), 0), 0x0000);
	assert_int_equal(pb_fold(pb_sum(0, msg, sizeof(msg))), 0xffff);
}

static void test_csum_replace2_known_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(repl_cases) / sizeof(repl_cases[0]); i++) {
		const struct repl_case *c = &repl_cases[i];
		uint16_t got = wire(csum_replace2(unwire(c->hc), unwire(c->from),
						  unwire(c->to)));

		if (got != c->want)
			fail_msg("%s: got %04x want %04x", c->name, got, c->want);
	}
}

/*
 * Fills the <len>-byte header <h> with random bytes except the <keepn> bytes
 * at <keep>, and stores a valid checksum at <coff>. When <force> >= 0, a
 * filler word is chosen so that the checksum comes out exactly <force>.
 */
static void make_header(uint8_t *h, size_t len, size_t coff, int force,
			size_t keep, size_t keepn)
{
	uint8_t saved[4];
	size_t filler = 0;
	uint16_t c;

	memcpy(saved, h + keep, keepn);
	rnd_fill(h, len);
	memcpy(h + keep, saved, keepn);
	h[coff] = h[coff + 1] = 0;
	if (force >= 0) {
		uint16_t s, want;
		uint32_t f;

		while (filler == coff || (filler >= keep && filler < keep + keepn))
			filler += 2;
		h[filler] = h[filler + 1] = 0;
		s = (uint16_t)~pb_fold(pb_sum(0, h, len));	/* folded sum */
		want = (uint16_t)~(uint16_t)force;		/* sum we need */
		f = (uint32_t)want + (uint16_t)~s;		/* want - s */
		f = (f & 0xffff) + (f >> 16);
		h[filler] = (uint8_t)(f >> 8);
		h[filler + 1] = (uint8_t)f;
	}
	c = pb_fold(pb_sum(0, h, len));
	h[coff] = (uint8_t)(c >> 8);
	h[coff + 1] = (uint8_t)c;
}

static uint16_t full_check(uint8_t *h, size_t len, size_t coff)
{
	uint8_t save[2] = { h[coff], h[coff + 1] };
	uint16_t c;

	h[coff] = h[coff + 1] = 0;
	c = pb_fold(pb_sum(0, h, len));
	h[coff] = save[0];
	h[coff + 1] = save[1];
	return c;
}

/*
 * Prepares <h> (a 20-byte header, checksum at 10) for changing the <n> bytes
 * at <k> from <from> to <to>: mode 0 a random header, mode 1 one whose old
 * checksum is 0x0000, mode 2 one whose new checksum will be 0x0000.
 */
static void prepare(uint8_t *h, size_t k, size_t n, const uint8_t *from,
		    const uint8_t *to, int mode)
{
	uint16_t c;

	if (mode == 2) {
		memcpy(h + k, to, n);
		make_header(h, 20, 10, 0, k, n);
		memcpy(h + k, from, n);
		c = full_check(h, 20, 10);
		h[10] = (uint8_t)(c >> 8);
		h[11] = (uint8_t)c;
		return;
	}
	memcpy(h + k, from, n);
	make_header(h, 20, 10, mode == 1 ? 0 : -1, k, n);
}

/*
 * Random 20-byte headers, a random word changed to a random or corner value;
 * in a third of the runs each, the old or the new checksum is 0x0000.
 */
static void test_csum_replace2_equals_full_recompute(void **state)
{
	static const uint16_t corner[] = { 0x0000, 0xffff, 0x0001, 0xfffe, 0x8000 };
	int i, new_zero = 0, old_zero = 0;

	(void)state;
	for (i = 0; i < 200000; i++) {
		uint8_t h[20], fb[2], tb[2];
		size_t k = (rnd() % 9) * 2;
		uint16_t from, to, got, want;
		int mode = (int)(rnd() % 3);

		if (k >= 10)
			k += 2;		/* skip the checksum word at 10 */
		from = rnd() % 4 ? (uint16_t)rnd() : corner[rnd() % 5];
		to = rnd() % 4 ? (uint16_t)rnd() : corner[rnd() % 5];
		fb[0] = (uint8_t)(from >> 8);
		fb[1] = (uint8_t)from;
		tb[0] = (uint8_t)(to >> 8);
		tb[1] = (uint8_t)to;
		prepare(h, k, 2, fb, tb, mode);
		if (h[10] == 0 && h[11] == 0)
			old_zero++;
		got = csum_replace2(ld16(h + 10), ld16(fb), ld16(tb));
		memcpy(h + k, tb, 2);
		want = full_check(h, sizeof(h), 10);
		if (want == 0)
			new_zero++;
		if (wire(got) != want)
			fail_msg("run %d mode %d: field %zu %04x -> %04x: got %04x want %04x",
				 i, mode, k, from, to, wire(got), want);
	}
	/* The corners were really exercised, not just hoped for. */
	assert_true(new_zero > 10000);
	assert_true(old_zero > 10000);
}

static void test_csum_replace4_equals_full_recompute(void **state)
{
	static const uint32_t corner[] = { 0x00000000, 0xffffffff, 0x0000ffff,
					   0xffff0000, 0x7f000001 };
	int i, new_zero = 0, old_zero = 0;

	(void)state;
	for (i = 0; i < 200000; i++) {
		uint8_t h[20];
		size_t k = rnd() % 2 ? 12 : 16;		/* saddr or daddr */
		uint32_t from, to;
		uint16_t got, want;
		int mode = (int)(rnd() % 3);

		from = rnd() % 4 ? rnd() : corner[rnd() % 5];
		to = rnd() % 4 ? rnd() : corner[rnd() % 5];
		prepare(h, k, 4, (const uint8_t *)&from, (const uint8_t *)&to,
			mode);
		if (h[10] == 0 && h[11] == 0)
			old_zero++;
		got = csum_replace4(ld16(h + 10), from, to);
		memcpy(h + k, &to, 4);
		want = full_check(h, sizeof(h), 10);
		if (want == 0)
			new_zero++;
		if (wire(got) != want)
			fail_msg("run %d mode %d: addr at %zu: got %04x want %04x",
				 i, mode, k, wire(got), want);
	}
	assert_true(new_zero > 10000);
	assert_true(old_zero > 10000);
}

/*
 * A TCP segment's checksum after address and port changes (what NAT does):
 * replace4 for the pseudo-header address, replace2 for the port, equal to a
 * recompute over pseudo-header and segment.
 */
static void test_csum_replace_l4_pseudo_header(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		struct pb_ip ip, ip2;
		struct pb_tcp t = { .sport = (uint16_t)rnd(), .dport = (uint16_t)rnd(),
				    .seq = rnd(), .ack = rnd(), .flags = PB_ACK };
		struct pb_tcp t2;
		uint8_t seg[128], seg2[128];
		size_t dlen = rnd() % 60, n;
		uint16_t c;
		__be32 nd = rnd();
		uint16_t np = (uint16_t)rnd(), np_be = htons(np), op_be;

		pb_ip_init(&ip, "10.0.0.1", "10.0.0.2");
		ip.saddr = rnd();
		ip.daddr = rnd();
		n = pb_tcp_seg(seg, sizeof(seg), &ip, &t, pb_payload(dlen), dlen);
		ip2 = ip;
		ip2.daddr = nd;
		t2 = t;
		t2.dport = np;
		assert_int_equal(pb_tcp_seg(seg2, sizeof(seg2), &ip2, &t2,
					    pb_payload(dlen), dlen), n);
		memcpy(&op_be, seg + 2, 2);
		c = csum_replace4(ld16(seg + 16), ip.daddr, nd);
		c = csum_replace2(c, op_be, np_be);
		assert_int_equal(c, ld16(seg2 + 16));
	}
}

/*
 * NAT's one fold per checksum: the address and TTL terms of an IPv4 header,
 * summed with csum_add32() and applied once by csum_update(), equal a full
 * recompute, for random headers, corner addresses and every TTL that may be
 * decremented; and csum_fold() agrees with the two-step fold on every
 * 32-bit corner of the carry.
 */
static void test_csum_update_summed_terms_equal_full_recompute(void **state)
{
	static const uint32_t corner[] = { 0x00000000, 0xffffffff, 0x0000ffff,
					   0xffff0000, 0x0001ffff, 0xfffeffff };
	int i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		uint8_t h[20];
		uint32_t from, to;
		uint16_t c, got, want;

		rnd_fill(h, sizeof(h));
		h[0] = 0x45;
		h[8] = (uint8_t)(1 + rnd() % 255);	/* TTL >= 1 */
		csum_ipv4_set(h, sizeof(h));
		if (rnd() % 4 == 0) {
			from = corner[rnd() % 6];
			memcpy(h + 16, &from, 4);
			csum_ipv4_set(h, sizeof(h));
		}
		memcpy(&from, h + 16, 4);
		to = rnd() % 4 ? rnd() : corner[rnd() % 6];
		c = ld16(h + 10);
		got = csum_update(c, csum_add32(csum_delta4(from, to),
						CSUM_DELTA_TTL_DEC));
		memcpy(h + 16, &to, 4);
		h[8]--;
		csum_ipv4_set(h, sizeof(h));
		want = ld16(h + 10);
		if (got != want)
			fail_msg("run %d: got %04x want %04x", i, wire(got),
				 wire(want));
	}
	for (i = 0; i < 200000; i++) {
		uint32_t x = i < 6 ? corner[i] : rnd(), y = x;

		y = (y & 0xffff) + (y >> 16);
		y = (y & 0xffff) + (y >> 16);
		assert_int_equal(csum_fold(x), (uint16_t)~y);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_add_known_vectors),
		cmocka_unit_test(test_csum_add_matches_reference_all_lengths),
		cmocka_unit_test(test_csum_add_chained_even_splits),
		cmocka_unit_test(test_csum_add_long_all_ones),
		cmocka_unit_test(test_csum_pseudo_matches_reference),
		cmocka_unit_test(test_csum_ipv4_set_then_ok_and_bit_flips_fail),
		cmocka_unit_test(test_csum_replace2_known_vectors),
		cmocka_unit_test(test_csum_replace2_all_zero_data_gives_plus_zero),
		cmocka_unit_test(test_csum_replace2_equals_full_recompute),
		cmocka_unit_test(test_csum_replace4_equals_full_recompute),
		cmocka_unit_test(test_csum_replace_l4_pseudo_header),
		cmocka_unit_test(test_csum_update_summed_terms_equal_full_recompute),
	};

	return cmocka_run_group_tests_name("csum", tests, NULL, NULL);
}
