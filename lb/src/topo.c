/* SPDX-License-Identifier: MIT */
/*
 * Interface, route and neighbour binding for a service table. L2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arp.h"
#include "log.h"
#include "pkt.h"
#include "topo.h"

#define TOPO_ARP_TRIES	3

static const char *ip4(__be32 a, char *buf, size_t len)
{
	if (!inet_ntop(AF_INET, &a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static int port_set(struct netif *nif, struct topo *tp, struct svc_table *t,
		    enum lb_port p, int ifindex, const char *name, char *err,
		    size_t errlen)
{
	struct netif_info *ni = &tp->port[p];
	int rc = name ? netif_by_name(nif, name, ni, err, errlen)
		      : netif_by_index(nif, ifindex, ni, err, errlen);

	if (rc)
		return -1;
	t->port[p].present = true;
	t->port[p].ifindex = ni->ifindex;
	t->port[p].mac = ni->mac;
	t->port[p].addr = ni->addr;
	t->port[p].mtu = ni->mtu;
	return 0;
}

static int bind_vips(struct netif *nif, struct svc_table *t,
		     const char *ext_name, struct topo *tp, char *err,
		     size_t errlen)
{
	char a[INET_ADDRSTRLEN];
	__be32 nh;
	bool on_link;
	int ifx;
	uint16_t i;

	if (ext_name &&
	    port_set(nif, tp, t, LB_PORT_EXT, 0, ext_name, err, errlen))
		return -1;
	for (i = 0; i < t->n_vip; i++) {
		if (netif_route(nif, t->vip[i], &ifx, &nh, &on_link) || !on_link) {
			if (ext_name)
				continue;	/* the operator said where */
			snprintf(err, errlen, "VIP %s is in no connected subnet; "
				 "name its interface with -i",
				 ip4(t->vip[i], a, sizeof(a)));
			return -1;
		}
		if (!t->port[LB_PORT_EXT].present &&
		    port_set(nif, tp, t, LB_PORT_EXT, ifx, NULL, err, errlen))
			return -1;
		if (ifx != t->port[LB_PORT_EXT].ifindex && !ext_name) {
			snprintf(err, errlen, "VIP %s is not on %s, the first VIP's "
				 "interface", ip4(t->vip[i], a, sizeof(a)),
				 tp->port[LB_PORT_EXT].name);
			return -1;
		}
	}
	if (!t->port[LB_PORT_EXT].present) {
		snprintf(err, errlen, "no virtual servers: nothing to listen on");
		return -1;
	}
	return 0;
}

static int bind_rs(struct netif *nif, struct svc_table *t, const struct svc *s,
		   struct svc_rs *rs, const char *int_name, struct topo *tp,
		   char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN];
	bool on_link;
	__be32 nh;
	int ifx;

	if (netif_route(nif, rs->addr, &ifx, &nh, &on_link)) {
		snprintf(err, errlen, "no route to real server %s",
			 ip4(rs->addr, a, sizeof(a)));
		return -1;
	}
	if (ifx == t->port[LB_PORT_EXT].ifindex) {
		rs->via = LB_PORT_EXT;
	} else {
		if (!t->port[LB_PORT_INT].present &&
		    port_set(nif, tp, t, LB_PORT_INT, ifx, int_name, err, errlen))
			return -1;
		if (ifx != t->port[LB_PORT_INT].ifindex) {
			snprintf(err, errlen, "real server %s is reached through a "
				 "third interface; lbd drives two",
				 ip4(rs->addr, a, sizeof(a)));
			return -1;
		}
		rs->via = LB_PORT_INT;
	}
	if (s->fwd == LB_FWD_DR && (rs->via != LB_PORT_EXT || !on_link)) {
		snprintf(err, errlen, "DR real server %s must be on-link on %s, "
			 "the VIP's interface", ip4(rs->addr, a, sizeof(a)),
			 tp->port[LB_PORT_EXT].name);
		return -1;
	}
	/* The next hop, not the server, is whose MAC the frame needs. */
	rs->has_mac = false;
	tp->nexthop[rs->slot] = nh;
	return 0;
}

int topo_bind(struct netif *nif, struct svc_table *t, const char *ext_name,
	      const char *int_name, struct topo *tp, char *err, size_t errlen)
{
	bool nat = false;
	uint16_t i, j;

	memset(tp, 0, sizeof(*tp));
	if (bind_vips(nif, t, ext_name, tp, err, errlen))
		return -1;
	if (int_name &&
	    port_set(nif, tp, t, LB_PORT_INT, 0, int_name, err, errlen))
		return -1;
	for (i = 0; i < t->n_svc; i++) {
		struct svc *s = &t->svc[i];

		nat |= s->fwd == LB_FWD_NAT;
		for (j = 0; j < s->n_rs; j++)
			if (bind_rs(nif, t, s, &s->rs[j], int_name, tp, err,
				    errlen))
				return -1;
	}
	if (nat && netif_default_gw(nif, t->port[LB_PORT_EXT].ifindex, &tp->gw))
		log_warn("NAT: no default route on %s; replies to clients "
			 "will be dropped (no_neighbour)",
			 tp->port[LB_PORT_EXT].name);
	return 0;
}

/* One next hop to resolve: where the result goes. */
struct topo_nh {
	enum lb_port port;
	__be32 addr;
	struct lb_mac *mac;
	bool *has_mac;
};

static size_t collect(struct svc_table *t, struct topo_nh *nh, size_t max,
		      const struct topo *tp)
{
	size_t n = 0;
	uint16_t i, j;

	for (i = 0; i < t->n_svc; i++)
		for (j = 0; j < t->svc[i].n_rs && n < max; j++) {
			struct svc_rs *rs = &t->svc[i].rs[j];

			if (rs->has_mac)
				continue;
			nh[n].port = (enum lb_port)rs->via;
			nh[n].addr = tp->nexthop[rs->slot];
			nh[n].mac = &rs->mac;
			nh[n].has_mac = &rs->has_mac;
			n++;
		}
	if (tp->gw && !t->has_gw && n < max) {
		nh[n].port = LB_PORT_EXT;
		nh[n].addr = tp->gw;
		nh[n].mac = &t->gw_mac;
		nh[n].has_mac = &t->has_gw;
		n++;
	}
	return n;
}

struct arp_wait {
	struct topo_nh *nh;
	size_t n;
	const struct svc_table *t;
};

static void arp_seen(void *arg, const uint8_t *f, size_t len)
{
	struct arp_wait *w = arg;
	enum lb_drop why;
	struct pkt p;
	size_t i;

	if (!pkt_parse(f, len, &p, &why) || p.kind != PKT_K_ARP || p.arp_op != 2)
		return;
	for (i = 0; i < w->n; i++) {
		if (*w->nh[i].has_mac || w->nh[i].addr != p.arp_spa)
			continue;
		arp_sender_mac(f, &p, w->nh[i].mac);
		*w->nh[i].has_mac = true;
	}
}

static size_t unresolved(const struct topo_nh *nh, size_t n)
{
	size_t i, left = 0;

	for (i = 0; i < n; i++)
		left += !*nh[i].has_mac;
	return left;
}

/* Sends "who has" for each unknown next hop, then reads replies until <ms>. */
static void arp_round(struct svc_table *t, struct cap *caps[LB_PORT_MAX],
		      struct topo_nh *nh, size_t n, int ms)
{
	struct arp_wait w = { nh, n, t };
	uint8_t frame[ARP_FRAME_LEN];
	char err[256];
	size_t i, len;
	int p, waited = 0;

	for (i = 0; i < n; i++) {
		const struct svc_port *sp = &t->port[nh[i].port];

		if (*nh[i].has_mac || !caps[nh[i].port] || !sp->addr)
			continue;
		len = arp_request(frame, sizeof(frame), &sp->mac, sp->addr,
				  nh[i].addr);
		if (cap_send(caps[nh[i].port], frame, len, err, sizeof(err)))
			log_warn("ARP request: %s", err);
	}
	while (waited < ms && unresolved(nh, n)) {
		struct pollfd pfd[LB_PORT_MAX];
		nfds_t k = 0;

		for (p = 0; p < LB_PORT_MAX; p++)
			if (caps[p]) {
				pfd[k].fd = cap_fd(caps[p]);
				pfd[k++].events = POLLIN;
			}
		if (poll(pfd, k, 20) == -1 && errno != EINTR)
			break;
		waited += 20;
		for (p = 0; p < LB_PORT_MAX; p++)
			if (caps[p] &&
			    cap_recv(caps[p], 64, arp_seen, &w, err, sizeof(err)) < 0)
				log_warn("ARP wait: %s", err);
	}
}

int topo_resolve(struct netif *nif, struct svc_table *t, const struct topo *tp,
		 struct cap *caps[LB_PORT_MAX], int wait_ms)
{
	struct topo_nh *nh = calloc(SVC_SLOTS + 1, sizeof(*nh));
	char a[INET_ADDRSTRLEN];
	size_t n, i;
	int try, left;

	if (!nh)
		return -1;
	n = collect(t, nh, SVC_SLOTS + 1, tp);
	for (i = 0; i < n; i++)
		if (netif_neigh(nif, t->port[nh[i].port].ifindex, nh[i].addr,
				nh[i].mac) == 0)
			*nh[i].has_mac = true;
	for (try = 0; try < TOPO_ARP_TRIES && unresolved(nh, n); try++)
		arp_round(t, caps, nh, n, wait_ms / TOPO_ARP_TRIES);
	for (i = 0; i < n; i++)
		if (!*nh[i].has_mac)
			log_warn("no MAC for next hop %s: its flows are dropped "
				 "(no_neighbour)", ip4(nh[i].addr, a, sizeof(a)));
	left = (int)unresolved(nh, n);
	free(nh);
	return left;
}

char *topo_filter(const struct svc_table *t)
{
	size_t cap = 64 + (size_t)(t->n_vip + SVC_SLOTS) * 32, used;
	char *f = malloc(cap);
	char a[INET_ADDRSTRLEN];
	const char *sep = "";
	uint16_t i, j;

	if (!f)
		return NULL;
	used = (size_t)snprintf(f, cap, "arp or (ip and (");
	for (i = 0; i < t->n_vip; i++) {
		used += (size_t)snprintf(f + used, cap - used, "%sdst host %s",
					 sep, ip4(t->vip[i], a, sizeof(a)));
		sep = " or ";
	}
	for (i = 0; i < t->n_svc; i++) {
		if (t->svc[i].fwd != LB_FWD_NAT)
			continue;
		for (j = 0; j < t->svc[i].n_rs; j++)
			used += (size_t)snprintf(f + used, cap - used,
						 " or src host %s",
						 ip4(t->svc[i].rs[j].addr, a,
						     sizeof(a)));
	}
	snprintf(f + used, cap - used, "))");
	return f;
}
