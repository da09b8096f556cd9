/* SPDX-License-Identifier: MIT */
/*
 * Editing a configuration (L1): what ipvsadm's verbs do, applied to a
 * struct cfg, so that lbctl, a reload and the file share one model. Pure:
 * no I/O. Every edit either applies whole or leaves <c> as it was.
 * Errors: -1 with errno set to the code IPVS would answer (ESRCH, EEXIST,
 * ENOENT, EINVAL, ENOMEM, EOPNOTSUPP).
 */
#ifndef LB_CFG_EDIT_H
#define LB_CFG_EDIT_H

#include "cfg.h"

/* A deep copy of <c>, or NULL when memory is short. Free with cfg_free(). */
struct cfg *cfg_clone(const struct cfg *c);

/* The service <proto> <vaddr>:<vport> (network order) in <c>, or NULL. */
struct cfg_svc *cfg_svc_find(const struct cfg *c, uint8_t proto,
			     __be32 vaddr, __be16 vport);

/* The real server <daddr>:<dport> (network order) of <s>, or NULL. */
struct cfg_rs *cfg_rs_find(const struct cfg_svc *s, __be32 daddr,
			   __be16 dport);

/*
 * ipvsadm -A: adds a service with scheduler <sched> and no real servers.
 * EEXIST, ENOENT (unknown scheduler), EINVAL (port 0, protocol), ENOMEM
 * (CFG_SVC_MAX or memory).
 */
int cfg_svc_add(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
		const char *sched);

/* ipvsadm -E: switches the scheduler. ESRCH, ENOENT. */
int cfg_svc_edit(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
		 const char *sched);

/* ipvsadm -D: removes the service and its real servers. ESRCH. */
int cfg_svc_del(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport);

/*
 * ipvsadm -a: adds real server <daddr>:<dport> with method <fwd> and
 * <weight>, without a health checker. ESRCH, EEXIST, EINVAL (port 0, weight,
 * DR with another port), EOPNOTSUPP (<fwd> differs from the service's other
 * real servers: lbd binds one method per service), ENOMEM (CFG_RS_MAX).
 */
int cfg_rs_add(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
	       __be32 daddr, __be16 dport, enum lb_fwd fwd, uint32_t weight);

/* ipvsadm -e: sets weight and method. ESRCH, ENOENT, EINVAL, EOPNOTSUPP. */
int cfg_rs_edit(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
		__be32 daddr, __be16 dport, enum lb_fwd fwd, uint32_t weight);

/* ipvsadm -d: removes the real server. ESRCH, ENOENT. */
int cfg_rs_del(struct cfg *c, uint8_t proto, __be32 vaddr, __be16 vport,
	       __be32 daddr, __be16 dport);

/* ipvsadm -C: removes every service; global settings stay. */
void cfg_clear(struct cfg *c);

/* Real servers in all services of <c>. */
size_t cfg_rs_total(const struct cfg *c);

#endif /* LB_CFG_EDIT_H */
