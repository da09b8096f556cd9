/* SPDX-License-Identifier: MIT */
/*
 * Internet checksum (L0): the full sum of RFC 1071 and the incremental update
 * of RFC 1624. Pure arithmetic on caller buffers.
 *
 * Convention: 16-bit words are loaded in host order straight from the wire
 * bytes and the result is stored back the same way. The one's complement sum
 * is byte-order independent (RFC 1071 §2(B)), so no swapping is ever needed,
 * and a checksum "value" here is the 16 bits exactly as they sit in the header.
 */
#ifndef LB_CSUM_H
#define LB_CSUM_H

#include <arpa/inet.h>

#include "types.h"

/*
 * Adds <len> bytes at <buf> to the running 32-bit accumulator <sum> and returns
 * the new accumulator. An odd trailing byte is padded with zero (RFC 1071).
 * Chain calls only on even lengths except for the last one.
 */
uint32_t csum_add(uint32_t sum, const void *buf, size_t len);

/*
 * Folds an accumulator to 16 bits and complements it: the checksum to store.
 * The upper half of sum + (sum rotated by 16) is hi + lo plus the carry out
 * of lo + hi, the end-around carry, in one add (as Linux's csum_fold()).
 */
static inline uint16_t csum_fold(uint32_t sum)
{
	return (uint16_t)~((sum + (sum << 16 | sum >> 16)) >> 16);
}

/* Accumulator of the TCP/UDP pseudo-header; <l4len> in host order. */
uint32_t csum_pseudo(__be32 saddr, __be32 daddr, uint8_t proto, uint16_t l4len);

/*
 * One's complement addition of two 32-bit partial sums: the carry out of bit
 * 31 wraps around to bit 0 (RFC 1071 §2(C)), which keeps the sum congruent
 * mod 0xffff to the sum of all the 16-bit words that went into it.
 */
static inline uint32_t csum_add32(uint32_t a, uint32_t b)
{
	a += b;
	return a + (a < b);
}

/*
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), split so that several changes under
 * one checksum are summed first and folded once: csum_delta2()/csum_delta4()
 * return the ~m + m' term of one 16- or 32-bit field as a partial sum, terms
 * are combined with csum_add32(), and csum_update() applies the result to
 * <check>. Because a fold maps every non-zero sum to the one value in
 * 1..0xffff congruent to it mod 0xffff, one fold of the summed terms gives the
 * very bits a chain of csum_replace*() calls would.
 */
static inline uint32_t csum_delta2(uint16_t from, uint16_t to)
{
	return (uint32_t)(uint16_t)~from + to;
}

static inline uint32_t csum_delta4(uint32_t from, uint32_t to)
{
	return csum_add32(~from, to);
}

static inline uint16_t csum_update(uint16_t check, uint32_t delta)
{
	return csum_fold(csum_add32((uint16_t)~check, delta));
}

/*
 * The term of an IPv4 TTL decrement. TTL is the high byte of its 16-bit word
 * in network order, so the word drops by htons(0x0100) as loaded in host
 * order, whatever the host's byte order, and ~m + m' = ~htons(0x0100) mod
 * 0xffff (the kernel's ip_decrease_ttl() uses the same constant). Valid for
 * TTL >= 1, where the decrement cannot borrow from the protocol byte.
 */
#define CSUM_DELTA_TTL_DEC	((uint32_t)(uint16_t)~htons(0x0100))

/*
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the checksum <check> after a 16-bit
 * field changes from <from> to <to>. Equals a full recompute, including the
 * 0x0000/0xffff cases, except when every byte the checksum covers is zero
 * after the change: then it gives 0x0000 where a recompute gives 0xffff.
 * TCP/UDP (pseudo-header) and IPv4 headers can never be all zeros; an ICMP
 * message can (see icmp_echo_reply()).
 */
static inline uint16_t csum_replace2(uint16_t check, uint16_t from, uint16_t to)
{
	return csum_update(check, csum_delta2(from, to));
}

/* As csum_replace2() for a 32-bit field (an IPv4 address). */
static inline uint16_t csum_replace4(uint16_t check, uint32_t from, uint32_t to)
{
	return csum_update(check, csum_delta4(from, to));
}

/* True when the IPv4 header at <iph> (<hlen> bytes, a multiple of 4) verifies. */
bool csum_ipv4_ok(const uint8_t *iph, size_t hlen);

/* Computes the checksum for the IPv4 header at <iph> and stores it in place. */
void csum_ipv4_set(uint8_t *iph, size_t hlen);

#endif /* LB_CSUM_H */
