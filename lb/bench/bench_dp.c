/* SPDX-License-Identifier: MIT */
/*
 * Frame handler benchmark: replays the packets of established flows through
 * dp_handle() with no syscalls, so callgrind can count the instructions per
 * forwarded packet (tools/bench runs it with --toggle-collect=dp_handle).
 *
 *   lb_bench_dp dr|nat-in|nat-out [N [full]]
 *
 * "full" turns the fast path off (dp_conf.full_path_only), to show what the
 * general pipeline costs for the same packets.
 *
 * Each mode opens 64 flows (their SYN and ACK are part of the count but
 * vanish in N), then replays N data segments of 64 to 1400 bytes round-robin
 * over the flows, as a capture of busy established traffic would.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "conn.h"
#include "dp.h"
#include "pktbuild.h"
#include "svc.h"

#define FLOWS	64
#define VIP	"10.0.0.100"

static const struct lb_mac mac_lb = { { 0x02, 0, 0, 0, 0, 0x01 } };
static const struct lb_mac mac_gw = { { 0x02, 0, 0, 0, 0, 0xfe } };
static const struct lb_mac mac_rs = { { 0x02, 0, 0, 0, 0, 0x11 } };

static struct svc_table *table(enum lb_fwd fwd)
{
	static struct cfg_rs rs[2];
	struct cfg_svc s;
	struct cfg c;
	struct svc_table *t;
	char err[128];
	int i;

	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	memset(rs, 0, sizeof(rs));
	for (i = 0; i < 2; i++) {
		rs[i].addr = pb_addr(i ? "10.0.0.12" : "10.0.0.11");
		rs[i].port = htons(fwd == LB_FWD_DR ? 80 : 8080);
		rs[i].weight = (uint32_t)i + 1;
	}
	s.vaddr = pb_addr(VIP);
	s.vport = htons(80);
	s.proto = IPPROTO_TCP;
	s.fwd = fwd;
	snprintf(s.sched, sizeof(s.sched), "wrr");
	s.rs = rs;
	s.n_rs = 2;
	c.svc = &s;
	c.n_svc = 1;
	t = svc_table_build(&c, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "svc_table_build: %s\n", err);
		exit(1);
	}
	for (i = 0; i < LB_PORT_MAX; i++) {
		t->port[i].present = true;
		t->port[i].mac = mac_lb;
		t->port[i].addr = pb_addr("10.0.0.2");
		t->port[i].mtu = 1500;
	}
	for (i = 0; i < 2; i++) {
		t->svc[0].rs[i].has_mac = true;
		t->svc[0].rs[i].mac = mac_rs;
	}
	t->has_gw = true;
	t->gw_mac = mac_gw;
	return t;
}

/* A client segment of flow <i>, or (reply) the real server's answer. */
static size_t frame(uint8_t *out, int i, uint8_t flags, size_t dlen,
		    const struct conn *reply)
{
	struct pb_eth eth = { .src = mac_gw, .dst = mac_lb };
	struct pb_tcp tcp = { .flags = flags, .win = 512, .doff = 5 };
	struct pb_ip ip;
	char caddr[16];

	snprintf(caddr, sizeof(caddr), "10.9.%d.%d", i / 200, 2 + i % 200);
	pb_ip_init(&ip, caddr, VIP);
	tcp.sport = (uint16_t)(40000 + i);
	tcp.dport = 80;
	tcp.seq = 1000;
	tcp.ack = 1;
	if (reply) {
		/* The NAT reply: rs:port -> client, sent to the director's MAC. */
		ip.saddr = reply->daddr;
		ip.daddr = reply->caddr;
		tcp.sport = ntohs(reply->dport);
		tcp.dport = ntohs(reply->cport);
		eth.src = mac_rs;
	}
	return pb_tcp_frame(out, PB_FRAME_MAX, &eth, &ip, &tcp,
			    pb_payload(dlen), dlen);
}

int main(int argc, char **argv)
{
	static uint8_t scratch[65536];
	static uint8_t frames[FLOWS][PB_FRAME_MAX];
	static size_t lens[FLOWS];
	struct dp_tx tx = { .buf = scratch, .cap = sizeof(scratch) };
	struct dp_conf dc = { .conn_max = 1 << 16, .half_open_max = 1 << 12 };
	const char *mode = argc > 1 ? argv[1] : "dr";
	long n = argc > 2 ? atol(argv[2]) : 100000;
	bool dr = strcmp(mode, "dr") == 0;
	bool out = strcmp(mode, "nat-out") == 0;
	struct svc_table *t = table(dr ? LB_FWD_DR : LB_FWD_NAT);
	struct dp *dp;
	uint8_t f[PB_FRAME_MAX];
	long i, fwd = 0;
	size_t len;
	int k;

	if ((!dr && !out && strcmp(mode, "nat-in") != 0) ||
	    (argc > 3 && strcmp(argv[3], "full") != 0)) {
		fprintf(stderr, "usage: lb_bench_dp dr|nat-in|nat-out [N [full]]\n");
		return 2;
	}
	dc.full_path_only = argc > 3;
	conn_timeouts_default(&dc.timeouts);
	dc.seed = 0x5eed;
	dp = dp_new(&dc);
	if (!dp)
		return 1;
	/* Open the flows: SYN, then the client's ACK (and, for NAT, a reply). */
	for (k = 0; k < FLOWS; k++) {
		struct flow_key key;

		len = frame(f, k, PB_SYN, 0, NULL);
		dp_handle(dp, t, LB_PORT_EXT, f, len, 1, &tx);
		len = frame(f, k, PB_ACK, 0, NULL);
		dp_handle(dp, t, LB_PORT_EXT, f, len, 2, &tx);
		memset(&key, 0, sizeof(key));
		memcpy(&key.caddr, f + 26, 4);
		memcpy(&key.vaddr, f + 30, 4);
		memcpy(&key.cport, f + 34, 2);
		memcpy(&key.vport, f + 36, 2);
		key.proto = IPPROTO_TCP;
		lens[k] = frame(frames[k], k, PB_ACK | PB_PSH,
				64 + (size_t)(k * 1336) / FLOWS,
				out ? conn_lookup_in(dp->ct, &key) : NULL);
	}
	for (i = 0; i < n; i++) {
		k = (int)(i % FLOWS);
		if (dp_handle(dp, t, out ? LB_PORT_INT : LB_PORT_EXT, frames[k],
			      lens[k], 3 + (uint32_t)(i >> 10), &tx) == LB_TX)
			fwd++;
	}
	printf("mode %s packets %ld forwarded %ld\n", mode, n, fwd);
	dp_free(dp);
	svc_table_free(t);
	return fwd == n ? 0 : 1;
}
