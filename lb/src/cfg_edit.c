/* SPDX-License-Identifier: MIT */
/*
 * ipvsadm's edits on a struct cfg. L1: pure. Checks come first and the
 * change last, so a failed edit changes nothing.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_edit.h"
#include "sched.h"

static int fail(int code)
{
	errno = code;
	return -1;
}

struct cfg *cfg_clone(const struct cfg *c)
{
	struct cfg *n = calloc(1, sizeof(*n));
	size_t i;

	if (!n)
		return NULL;
	*n = *c;
	n->svc = NULL;
	n->n_svc = 0;
	if (c->n_svc) {
		n->svc = calloc(c->n_svc, sizeof(*n->svc));
		if (!n->svc)
			goto err_free;
	}
	for (i = 0; i < c->n_svc; i++) {
		n->svc[i] = c->svc[i];
		n->svc[i].rs = NULL;
		n->n_svc = i + 1;
		if (!c->svc[i].n_rs)
			continue;
		n->svc[i].rs = calloc(c->svc[i].n_rs, sizeof(struct cfg_rs));
		if (!n->svc[i].rs)
			goto err_free;
		memcpy(n->svc[i].rs, c->svc[i].rs,
		       c->svc[i].n_rs * sizeof(struct cfg_rs));
	}
	return n;

err_free:
	/* Services past the failure have rs == NULL, which cfg_free() takes. */
	cfg_free(n);
	return NULL;
}

struct cfg_svc *cfg_svc_find(const struct cfg *c, uint8_t proto,
			     __be32 vaddr, __be16 vport)
{
	size_t i;

	for (i = 0; i < c->n_svc; i++)
		if (c->svc[i].proto == proto && c->svc[i].vaddr == vaddr &&
		    c->svc[i].vport == vport)
			return &c->svc[i];
	return NULL;
}

struct cfg_rs *cfg_rs_find(const struct cfg_svc *s, __be32 daddr,
			   __be16 dport)
{
	size_t i;

	for (i = 0; i < s->n_rs; i++)
		if (s->rs[i].addr == daddr && s->rs[i].port == dport)
			return &s->rs[i];
	return NULL;
}

size_t cfg_rs_total(const struct cfg *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_svc; i++)
		n += c->svc[i].n_rs;
	return n;
}

static bool sched_ok(const char *sched)
{
	return strlen(sched) < CFG_SCHED_MAX && sched_find(sched) != NULL;
}

int cfg_svc_add(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
		const char *sched)
{
	struct cfg_svc *grown, *s;

	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || !vport)
		return fail(EINVAL);
	if (cfg_svc_find(c, proto, vaddr, vport))
		return fail(EEXIST);
	if (!sched_ok(sched))
		return fail(ENOENT);
	if (c->n_svc >= CFG_SVC_MAX)
		return fail(ENOMEM);
	grown = realloc(c->svc, (c->n_svc + 1) * sizeof(*grown));
	if (!grown)
		return fail(ENOMEM);
	c->svc = grown;
	s = &c->svc[c->n_svc++];
	memset(s, 0, sizeof(*s));
	s->vaddr = vaddr;
	s->vport = vport;
	s->proto = proto;
	s->fwd = LB_FWD_DR;		/* ipvsadm's default method, -g */
	snprintf(s->sched, sizeof(s->sched), "%s", sched);
	s->delay_loop_ms = 60000;	/* keepalived's default; unused without checks */
	return 0;
}

int cfg_svc_edit(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
		 const char *sched)
{
	struct cfg_svc *s = cfg_svc_find(c, proto, vaddr, vport);

	if (!s)
		return fail(ESRCH);
	if (!sched_ok(sched))
		return fail(ENOENT);
	snprintf(s->sched, sizeof(s->sched), "%s", sched);
	return 0;
}

int cfg_svc_del(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport)
{
	struct cfg_svc *s = cfg_svc_find(c, proto, vaddr, vport);
	size_t i;

	if (!s)
		return fail(ESRCH);
	i = (size_t)(s - c->svc);
	free(s->rs);
	memmove(s, s + 1, (c->n_svc - i - 1) * sizeof(*s));
	c->n_svc--;
	return 0;
}

/*
 * The checks rs-add and rs-edit share. <self> is the real server being
 * edited (NULL when adding): a service whose only real server changes its
 * method may change it.
 */
static int rs_check(const struct cfg_svc *s, const struct cfg_rs *self,
		    __be16 dport, enum lb_fwd fwd, uint32_t weight)
{
	size_t others = s->n_rs - (self ? 1 : 0);

	if (!dport || weight > CFG_WEIGHT_MAX ||
	    (fwd != LB_FWD_DR && fwd != LB_FWD_NAT))
		return fail(EINVAL);
	if (fwd == LB_FWD_DR && dport != s->vport)
		return fail(EINVAL);
	if (others && fwd != s->fwd)
		return fail(EOPNOTSUPP);
	return 0;
}

int cfg_rs_add(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
	       __be32 daddr, __be16 dport, enum lb_fwd fwd, uint32_t weight)
{
	struct cfg_svc *s = cfg_svc_find(c, proto, vaddr, vport);
	struct cfg_rs *grown, *rs;

	if (!s)
		return fail(ESRCH);
	if (cfg_rs_find(s, daddr, dport))
		return fail(EEXIST);
	if (rs_check(s, NULL, dport, fwd, weight))
		return -1;
	if (cfg_rs_total(c) >= CFG_RS_MAX)
		return fail(ENOMEM);
	grown = realloc(s->rs, (s->n_rs + 1) * sizeof(*grown));
	if (!grown)
		return fail(ENOMEM);
	s->rs = grown;
	rs = &s->rs[s->n_rs++];
	memset(rs, 0, sizeof(*rs));
	rs->addr = daddr;
	rs->port = dport;
	rs->weight = weight;
	rs->rise = 1;
	rs->fall = 1;
	s->fwd = fwd;
	return 0;
}

int cfg_rs_edit(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
		__be32 daddr, __be16 dport, enum lb_fwd fwd, uint32_t weight)
{
	struct cfg_svc *s = cfg_svc_find(c, proto, vaddr, vport);
	struct cfg_rs *rs;

	if (!s)
		return fail(ESRCH);
	rs = cfg_rs_find(s, daddr, dport);
	if (!rs)
		return fail(ENOENT);
	if (rs_check(s, rs, dport, fwd, weight))
		return -1;
	rs->weight = weight;
	s->fwd = fwd;
	return 0;
}

int cfg_rs_del(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
	       __be32 daddr, __be16 dport)
{
	struct cfg_svc *s = cfg_svc_find(c, proto, vaddr, vport);
	struct cfg_rs *rs;
	size_t i;

	if (!s)
		return fail(ESRCH);
	rs = cfg_rs_find(s, daddr, dport);
	if (!rs)
		return fail(ENOENT);
	i = (size_t)(rs - s->rs);
	memmove(rs, rs + 1, (s->n_rs - i - 1) * sizeof(*rs));
	s->n_rs--;
	return 0;
}

void cfg_clear(struct cfg *c)
{
	size_t i;

	for (i = 0; i < c->n_svc; i++)
		free(c->svc[i].rs);
	free(c->svc);
	c->svc = NULL;
	c->n_svc = 0;
}
