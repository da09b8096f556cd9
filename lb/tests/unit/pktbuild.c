/* SPDX-License-Identifier: MIT */
/*
 * Test-only packet builder (see pktbuild.h). Byte-at-a-time, big-endian and
 * obvious on purpose: it is the reference the datapath is compared against,
 * so it must not reuse the datapath's own tricks (host-order sums, RFC 1624).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pktbuild.h"

#define PB_ETH_HLEN	14

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Network-order address -> its four wire bytes. */
static void put_addr(uint8_t *b, __be32 a)
{
	memcpy(b, &a, 4);
}

__be32 pb_addr(const char *dotted)
{
	struct in_addr a;

	if (inet_pton(AF_INET, dotted, &a) != 1) {
		fprintf(stderr, "pktbuild: bad address '%s'\n", dotted);
		abort();
	}
	return a.s_addr;
}

uint32_t pb_sum(uint32_t sum, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1) {
		sum += (uint32_t)b[len - 1] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

uint16_t pb_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t pb_pseudo(__be32 s, __be32 d, uint8_t proto, size_t l4len)
{
	uint8_t ph[12];

	put_addr(ph, s);
	put_addr(ph + 4, d);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, (uint16_t)l4len);
	return pb_sum(0, ph, sizeof(ph));
}

void pb_ip_init(struct pb_ip *ip, const char *saddr, const char *daddr)
{
	memset(ip, 0, sizeof(*ip));
	ip->saddr = pb_addr(saddr);
	ip->daddr = pb_addr(daddr);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->frag = PB_DF;
	ip->id = 0x1234;
}

size_t pb_tcp_seg(uint8_t *out, size_t cap, const struct pb_ip *ip,
		  const struct pb_tcp *t, const void *data, size_t dlen)
{
	size_t doff = t->doff ? t->doff : 5;
	size_t hlen = doff * 4;
	size_t len = hlen + dlen;
	uint16_t c;

	if (len > cap || doff < 5 || doff > 15)
		return 0;
	memset(out, 0, hlen);
	put16(out, t->sport);
	put16(out + 2, t->dport);
	put32(out + 4, t->seq);
	put32(out + 8, t->ack);
	out[12] = (uint8_t)((t->doff_field ? t->doff_field : doff) << 4);
	out[13] = t->flags;
	put16(out + 14, t->win ? t->win : 65535);
	memset(out + 20, 1, hlen - 20);		/* NOP options */
	if (dlen)
		memcpy(out + hlen, data, dlen);
	c = pb_fold(pb_sum(pb_pseudo(ip->saddr, ip->daddr, 6, len), out, len));
	if (t->bad_csum)
		c ^= 1;
	put16(out + 16, c);
	return len;
}

size_t pb_udp_dgram(uint8_t *out, size_t cap, const struct pb_ip *ip,
		    const struct pb_udp *u, const void *data, size_t dlen)
{
	size_t len = 8 + dlen;
	uint16_t c;

	if (len > cap)
		return 0;
	put16(out, u->sport);
	put16(out + 2, u->dport);
	put16(out + 4, (uint16_t)((int)len + u->len_adj));
	put16(out + 6, 0);
	if (dlen)
		memcpy(out + 8, data, dlen);
	if (u->no_csum)
		return len;
	c = pb_fold(pb_sum(pb_pseudo(ip->saddr, ip->daddr, 17, len), out, len));
	if (c == 0)
		c = 0xffff;		/* RFC 768: a computed zero is sent as ones */
	if (u->bad_csum)
		c ^= 1;
	put16(out + 6, c);
	return len;
}

size_t pb_icmp_msg(uint8_t *out, size_t cap, const struct pb_icmp *ic,
		   const void *data, size_t dlen)
{
	size_t len = 8 + dlen;
	uint16_t c;

	if (len > cap)
		return 0;
	out[0] = ic->type;
	out[1] = ic->code;
	put16(out + 2, 0);
	put32(out + 4, ic->rest);
	if (dlen)
		memcpy(out + 8, data, dlen);
	c = pb_fold(pb_sum(0, out, len));
	if (ic->bad_csum)
		c ^= 1;
	put16(out + 2, c);
	return len;
}

size_t pb_ipv4(uint8_t *out, size_t cap, const struct pb_ip *ip,
	       const uint8_t *l4, size_t l4len)
{
	size_t hlen = (size_t)ip->ihl * 4;
	size_t len = hlen + l4len;
	uint16_t c;

	if (len > cap || hlen < 20 || hlen > 60)
		return 0;
	memset(out, 0, hlen);
	out[0] = (uint8_t)(ip->version << 4 |
			   (ip->ihl_field ? ip->ihl_field : ip->ihl));
	out[1] = ip->tos;
	put16(out + 2, (uint16_t)((int)len + ip->tot_len_adj));
	put16(out + 4, ip->id);
	put16(out + 6, ip->frag);
	out[8] = ip->ttl;
	out[9] = ip->proto;
	put_addr(out + 12, ip->saddr);
	put_addr(out + 16, ip->daddr);
	c = pb_fold(pb_sum(0, out, hlen));
	if (ip->bad_csum)
		c ^= 1;
	put16(out + 10, c);
	memmove(out + hlen, l4, l4len);
	return len;
}

size_t pb_eth_frame(uint8_t *out, size_t cap, const struct pb_eth *eth,
		    const uint8_t *l3, size_t l3len)
{
	size_t len = PB_ETH_HLEN + l3len + eth->trail;

	if (len < eth->min_len)
		len = eth->min_len;
	if (len > cap)
		return 0;
	memmove(out + PB_ETH_HLEN, l3, l3len);
	memcpy(out, eth->dst.b, 6);
	memcpy(out + 6, eth->src.b, 6);
	put16(out + 12, eth->type ? eth->type : 0x0800);
	memset(out + PB_ETH_HLEN + l3len, 0, len - PB_ETH_HLEN - l3len);
	return len;
}

static size_t wrap(uint8_t *out, size_t cap, const struct pb_eth *eth,
		   const struct pb_ip *ip, uint8_t proto, const uint8_t *l4,
		   size_t l4len)
{
	uint8_t l3[PB_FRAME_MAX];
	struct pb_ip h = *ip;
	size_t n;

	if (!h.proto)
		h.proto = proto;
	n = pb_ipv4(l3, sizeof(l3), &h, l4, l4len);
	if (!n)
		return 0;
	return pb_eth_frame(out, cap, eth, l3, n);
}

size_t pb_tcp_frame(uint8_t *out, size_t cap, const struct pb_eth *eth,
		    const struct pb_ip *ip, const struct pb_tcp *t,
		    const void *data, size_t dlen)
{
	uint8_t l4[PB_FRAME_MAX];
	size_t n = pb_tcp_seg(l4, sizeof(l4), ip, t, data, dlen);

	return n ? wrap(out, cap, eth, ip, 6, l4, n) : 0;
}

size_t pb_udp_frame(uint8_t *out, size_t cap, const struct pb_eth *eth,
		    const struct pb_ip *ip, const struct pb_udp *u,
		    const void *data, size_t dlen)
{
	uint8_t l4[PB_FRAME_MAX];
	size_t n = pb_udp_dgram(l4, sizeof(l4), ip, u, data, dlen);

	return n ? wrap(out, cap, eth, ip, 17, l4, n) : 0;
}

size_t pb_icmp_frame(uint8_t *out, size_t cap, const struct pb_eth *eth,
		     const struct pb_ip *ip, const struct pb_icmp *ic,
		     const void *data, size_t dlen)
{
	uint8_t l4[PB_FRAME_MAX];
	size_t n = pb_icmp_msg(l4, sizeof(l4), ic, data, dlen);

	return n ? wrap(out, cap, eth, ip, 1, l4, n) : 0;
}

size_t pb_arp_frame(uint8_t *out, size_t cap, const struct lb_mac *eth_src,
		    const struct lb_mac *eth_dst, uint16_t op,
		    const struct lb_mac *sha, __be32 spa,
		    const struct lb_mac *tha, __be32 tpa)
{
	uint8_t *a = out + PB_ETH_HLEN;

	if (cap < 60)
		return 0;
	memset(out, 0, 60);
	memcpy(out, eth_dst->b, 6);
	memcpy(out + 6, eth_src->b, 6);
	put16(out + 12, 0x0806);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha->b, 6);
	put_addr(a + 14, spa);
	memcpy(a + 18, tha->b, 6);
	put_addr(a + 24, tpa);
	return 60;
}

const uint8_t *pb_payload(size_t len)
{
	static uint8_t buf[PB_FRAME_MAX];
	static bool done;
	size_t i;

	if (!done) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * 7 + 3);
		done = true;
	}
	return len <= sizeof(buf) ? buf : NULL;
}

bool pb_ip_csum_ok(const uint8_t *f, size_t len)
{
	size_t hlen;

	if (len < PB_ETH_HLEN + 20)
		return false;
	hlen = (size_t)(f[PB_ETH_HLEN] & 0x0f) * 4;
	if (hlen < 20 || PB_ETH_HLEN + hlen > len)
		return false;
	return pb_fold(pb_sum(0, f + PB_ETH_HLEN, hlen)) == 0;
}

bool pb_l4_csum_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + PB_ETH_HLEN;
	size_t hlen, tot, l4len;
	__be32 s, d;

	if (len < PB_ETH_HLEN + 20)
		return false;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	tot = get16(ip + 2);
	if (hlen < 20 || tot < hlen || PB_ETH_HLEN + tot > len)
		return false;
	l4len = tot - hlen;
	memcpy(&s, ip + 12, 4);
	memcpy(&d, ip + 16, 4);
	switch (ip[9]) {
	case 6:
		if (l4len < 20)
			return false;
		return pb_fold(pb_sum(pb_pseudo(s, d, 6, l4len), ip + hlen,
				      l4len)) == 0;
	case 17: {
		size_t ulen;

		if (l4len < 8)
			return false;
		if (get16(ip + hlen + 6) == 0)
			return true;
		ulen = get16(ip + hlen + 4);
		if (ulen < 8 || ulen > l4len)
			return false;
		return pb_fold(pb_sum(pb_pseudo(s, d, 17, ulen), ip + hlen,
				      ulen)) == 0;
	}
	case 1:
		if (l4len < 8)
			return false;
		return pb_fold(pb_sum(0, ip + hlen, l4len)) == 0;
	default:
		return true;
	}
}

/* Recomputes the 16-bit checksum at <c> over <len> bytes at <b> plus <sum>. */
static void fix_at(uint8_t *b, size_t len, uint8_t *c, uint32_t sum, bool udp)
{
	uint16_t v;

	c[0] = c[1] = 0;
	v = pb_fold(pb_sum(sum, b, len));
	if (udp && v == 0)
		v = 0xffff;
	put16(c, v);
}

void pb_fix_csums(uint8_t *f, size_t len)
{
	uint8_t *ip = f + PB_ETH_HLEN;
	size_t hlen, tot, l4len;
	__be32 s, d;
	uint8_t *l4;

	if (len < PB_ETH_HLEN + 20 || get16(f + 12) != 0x0800)
		return;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	tot = get16(ip + 2);
	if (hlen < 20 || PB_ETH_HLEN + hlen > len)
		return;
	if (tot >= hlen && PB_ETH_HLEN + tot <= len) {
		l4 = ip + hlen;
		l4len = tot - hlen;
		memcpy(&s, ip + 12, 4);
		memcpy(&d, ip + 16, 4);
		if (ip[9] == 6 && l4len >= 18) {
			fix_at(l4, l4len, l4 + 16, pb_pseudo(s, d, 6, l4len), false);
		} else if (ip[9] == 17 && l4len >= 8 && get16(l4 + 6) != 0) {
			size_t ulen = get16(l4 + 4);

			if (ulen >= 8 && ulen <= l4len)
				fix_at(l4, ulen, l4 + 6, pb_pseudo(s, d, 17, ulen),
				       true);
		} else if (ip[9] == 1 && l4len >= 4) {
			/* An error's quoted IPv4 header first, then the message. */
			if (l4len >= 8 + 20 && (l4[0] == 3 || l4[0] == 11)) {
				size_t ih = (size_t)(l4[8] & 0x0f) * 4;

				if (ih >= 20 && 8 + ih <= l4len)
					fix_at(l4 + 8, ih, l4 + 8 + 10, 0, false);
			}
			fix_at(l4, l4len, l4 + 2, 0, false);
		}
	}
	fix_at(ip, hlen, ip + 10, 0, false);
}

void pb_diff(FILE *fp, const uint8_t *got, size_t glen,
	     const uint8_t *want, size_t wlen)
{
	size_t n = glen > wlen ? glen : wlen;
	size_t i;

	fprintf(fp, "frame diff: got %zu bytes, want %zu bytes; [xx] differs\n",
		glen, wlen);
	for (i = 0; i < n; i++) {
		int g = i < glen ? got[i] : -1;
		int w = i < wlen ? want[i] : -1;

		if (i % 16 == 0)
			fprintf(fp, "%s%04zx:", i ? "\n" : "", i);
		if (g == w)
			fprintf(fp, "  %02x  ", g);
		else if (g < 0)
			fprintf(fp, " [--/%02x]", w);
		else if (w < 0)
			fprintf(fp, " [%02x/--]", g);
		else
			fprintf(fp, " [%02x/%02x]", g, w);
	}
	fprintf(fp, "\n");
}

struct pb_pcap {
	FILE *fp;
};

static int wr32le(FILE *fp, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	return fwrite(b, 1, 4, fp) == 4 ? 0 : -1;
}

struct pb_pcap *pb_pcap_open(const char *path)
{
	struct pb_pcap *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return NULL;
	pc->fp = fopen(path, "wb");
	if (!pc->fp)
		goto err_free;
	/* Little-endian classic pcap header, microsecond stamps, snaplen 65535. */
	if (wr32le(pc->fp, 0xa1b2c3d4) || wr32le(pc->fp, 0x00040002) ||
	    wr32le(pc->fp, 0) || wr32le(pc->fp, 0) || wr32le(pc->fp, 65535) ||
	    wr32le(pc->fp, 1))
		goto err_close;
	return pc;

err_close:
	fclose(pc->fp);
err_free:
	free(pc);
	return NULL;
}

int pb_pcap_add(struct pb_pcap *pc, uint32_t sec, const uint8_t *f, size_t len)
{
	if (wr32le(pc->fp, sec) || wr32le(pc->fp, 0) ||
	    wr32le(pc->fp, (uint32_t)len) || wr32le(pc->fp, (uint32_t)len))
		return -1;
	return fwrite(f, 1, len, pc->fp) == len ? 0 : -1;
}

int pb_pcap_close(struct pb_pcap *pc)
{
	int rc;

	if (!pc)
		return 0;
	rc = fclose(pc->fp) == 0 ? 0 : -1;
	free(pc);
	return rc;
}

int pb_write_file(const char *dir, const char *name, const uint8_t *f,
		  size_t len)
{
	char path[512];
	FILE *fp;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fp = fopen(path, "wb");
	if (!fp)
		return -1;
	rc = fwrite(f, 1, len, fp) == len ? 0 : -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}
