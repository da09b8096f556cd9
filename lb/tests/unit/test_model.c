/* SPDX-License-Identifier: MIT */
/*
 * model: what the control plane's model tells stats about the tables it
 * runs. The table lbd starts with never goes through a publication, yet its
 * services must count their real servers' traffic from the first packet,
 * and keep it when the first publication comes. Global settings reach the
 * datapath's table and later publications keep them. (A reload needs
 * netlink: testbed/tests/test_lb_coalesce.sh. The model's slots, drains
 * and publications against a live datapath are tested in namespaces:
 * testbed/tests/test_lb_model.sh.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "model.h"
#include "stats.h"

static const char conf[] =
	"virtual_server 10.0.0.1 80 {\n"
	"  real_server 10.0.1.1 80 {\n  }\n"
	"}\n";

struct world {
	struct dp_stats st;
	struct stats stats;
	struct svc_pub pub;
	struct topo tp;
	struct model *m;
};

/*
 * As main.c starts from config <text>: a table built, published, then
 * handed to the model.
 */
static struct world *world_new(const char *text)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[CFG_ERR_LEN];
	struct svc_table *t;
	struct cfg *c;

	assert_non_null(w);
	c = cfg_parse(text, strlen(text), "t.conf", err, sizeof(err));
	if (!c)
		fail_msg("cfg_parse: %s", err);
	t = svc_table_build(c, err, sizeof(err));
	if (!t)
		fail_msg("svc_table_build: %s", err);
	stats_init(&w->stats);
	svc_pub_set(&w->pub, t);
	w->m = model_new(&(struct model_env){ .pub = &w->pub, .st = &w->st,
					      .stats = &w->stats,
					      .topo = &w->tp }, c, t);
	assert_non_null(w->m);
	return w;
}

static void world_free(struct world *w)
{
	model_free(w->m);
	svc_table_free(svc_pub_get(&w->pub));
	free(w);
}

/* <n> new flows and packets on real server slot <slot>, as the datapath counts. */
static void count(struct world *w, uint16_t slot, uint64_t n)
{
	atomic_fetch_add(&w->st.rs[slot].conns, n);
	atomic_fetch_add(&w->st.rs[slot].pkts_in, n);
}

static uint64_t svc_inpkts(struct world *w)
{
	struct stats_sample s;

	stats_svc_total(&w->stats, &w->st, 0, &s);
	return s.inpkts;
}

static void test_model_startup_table_counts_for_its_services(void **state)
{
	struct world *w = world_new(conf);
	struct ctl_stats rs;

	(void)state;
	count(w, 0, 10);
	stats_rs(&w->stats, &w->st, 0, &rs);
	assert_int_equal(rs.inpkts, 10);
	assert_int_equal(svc_inpkts(w), 10);
	world_free(w);
}

static void test_model_first_publication_keeps_startup_counts(void **state)
{
	struct world *w = world_new(conf);

	(void)state;
	count(w, 0, 10);
	/* A health verdict publishes a new table, same slots. */
	assert_true(model_set_health(w->m, 0, false));
	assert_true(model_flush(w->m));
	count(w, 0, 5);
	assert_int_equal(svc_inpkts(w), 15);
	world_free(w);
}

static void test_model_publications_carry_rx_coalesce(void **state)
{
	static const char with[] =
		"global_defs {\n  lbd_rx_coalesce_us 40\n}\n"
		"virtual_server 10.0.0.1 80 {\n"
		"  real_server 10.0.1.1 80 {\n  }\n"
		"}\n";
	struct world *w = world_new(with);

	(void)state;
	assert_int_equal(svc_pub_get(&w->pub)->rx_coalesce_us, 40);
	/* A publication for a health verdict keeps the global settings. */
	assert_true(model_set_health(w->m, 0, false));
	assert_true(model_flush(w->m));
	assert_int_equal(model_table(w->m)->rx_coalesce_us, 40);
	assert_int_equal(svc_pub_get(&w->pub)->rx_coalesce_us, 40);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_startup_table_counts_for_its_services),
		cmocka_unit_test(test_model_first_publication_keeps_startup_counts),
		cmocka_unit_test(test_model_publications_carry_rx_coalesce),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
