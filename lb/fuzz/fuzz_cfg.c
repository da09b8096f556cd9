/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer (and AFL++) target for cfg_parse: any bytes in, either a config
 * that keeps cfg.h's invariants or NULL with a terminated "file:line:" error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_rs(const struct cfg_svc *svc, const struct cfg_rs *rs)
{
	if (rs->weight > CFG_WEIGHT_MAX || rs->port == 0 || rs->addr == 0 ||
	    rs->rise == 0 || rs->fall == 0)
		abort();
	if (svc->fwd == LB_FWD_DR && rs->port != svc->vport)
		abort();
	if (memchr(rs->check.path, '\0', sizeof(rs->check.path)) == NULL)
		abort();
	if (rs->check.kind == CFG_CHECK_HTTP && rs->check.path[0] != '/')
		abort();
	if (rs->check.connect_timeout_ms == 0)
		abort();
}

static void fuzz_check(const struct cfg *c)
{
	size_t i, j, n_rs = 0;

	if (c->n_svc > CFG_SVC_MAX || (c->n_svc > 0 && c->svc == NULL))
		abort();
	if (c->conn_max == 0 || c->half_open_max == 0 ||
	    c->half_open_max > c->conn_max)
		abort();
	for (i = 0; i < c->n_svc; i++) {
		const struct cfg_svc *svc = &c->svc[i];

		if (svc->proto != IPPROTO_TCP && svc->proto != IPPROTO_UDP)
			abort();
		if (strcmp(svc->sched, "rr") != 0 && strcmp(svc->sched, "wrr") != 0)
			abort();
		if (svc->vport == 0 || svc->delay_loop_ms == 0)
			abort();
		for (j = 0; j < i; j++)
			if (c->svc[j].vaddr == svc->vaddr &&
			    c->svc[j].vport == svc->vport &&
			    c->svc[j].proto == svc->proto)
				abort();
		for (j = 0; j < svc->n_rs; j++)
			fuzz_check_rs(svc, &svc->rs[j]);
		n_rs += svc->n_rs;
	}
	if (n_rs > CFG_RS_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[64];
	struct cfg *c;

	memset(err, 'X', sizeof(err));
	c = cfg_parse((const char *)data, size, "fuzz.conf", err, sizeof(err));
	if (c == NULL) {
		if (memchr(err, '\0', sizeof(err)) == NULL ||
		    strncmp(err, "fuzz.conf:", 10) != 0)
			abort();
		return 0;
	}
	fuzz_check(c);
	cfg_free(c);
	return 0;
}
