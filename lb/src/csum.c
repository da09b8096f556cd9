/* SPDX-License-Identifier: MIT */
/*
 * Internet checksum, full sum (RFC 1071). L0: pure, no I/O.
 */
#include <arpa/inet.h>
#include <string.h>

#include "csum.h"

uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	/*
	 * Sum 32 bits at a time into a 64-bit accumulator: the carries pile up
	 * in the upper half and are folded once at the end, which is what the
	 * end-around carry of the 16-bit sum amounts to.
	 */
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = { p[0], 0 };
		uint16_t w;

		memcpy(&w, last, 2);
		acc += w;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint32_t csum_pseudo(__be32 saddr, __be32 daddr, uint8_t proto, uint16_t l4len)
{
	uint8_t ph[12];
	uint16_t len_be = htons(l4len);

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = proto;
	memcpy(ph + 10, &len_be, 2);
	return csum_add(0, ph, sizeof(ph));
}

bool csum_ipv4_ok(const uint8_t *iph, size_t hlen)
{
	return csum_fold(csum_add(0, iph, hlen)) == 0;
}

void csum_ipv4_set(uint8_t *iph, size_t hlen)
{
	uint16_t c;

	iph[10] = 0;
	iph[11] = 0;
	c = csum_fold(csum_add(0, iph, hlen));
	memcpy(iph + 10, &c, 2);
}
