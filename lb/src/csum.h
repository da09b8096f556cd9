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

#include "types.h"

/*
 * Adds <len> bytes at <buf> to the running 32-bit accumulator <sum> and returns
 * the new accumulator. An odd trailing byte is padded with zero (RFC 1071).
 * Chain calls only on even lengths except for the last one.
 */
uint32_t csum_add(uint32_t sum, const void *buf, size_t len);

/* Folds an accumulator to 16 bits and complements it: the checksum to store. */
static inline uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Accumulator of the TCP/UDP pseudo-header; <l4len> in host order. */
uint32_t csum_pseudo(__be32 saddr, __be32 daddr, uint8_t proto, uint16_t l4len);

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
	uint32_t sum = (uint16_t)~check;

	sum += (uint16_t)~from;
	sum += to;
	return csum_fold(sum);
}

/* As csum_replace2() for a 32-bit field (an IPv4 address). */
static inline uint16_t csum_replace4(uint16_t check, uint32_t from, uint32_t to)
{
	uint32_t sum = (uint16_t)~check;

	sum += (uint16_t)~from + (uint16_t)~(from >> 16);
	sum += (to & 0xffff) + (to >> 16);
	return csum_fold(sum);
}

/* True when the IPv4 header at <iph> (<hlen> bytes, a multiple of 4) verifies. */
bool csum_ipv4_ok(const uint8_t *iph, size_t hlen);

/* Computes the checksum for the IPv4 header at <iph> and stores it in place. */
void csum_ipv4_set(uint8_t *iph, size_t hlen);

#endif /* LB_CSUM_H */
