/* SPDX-License-Identifier: MIT */
/*
 * guard: per-connection request deadlines on top of evhttp.
 * L3: libevent only, on the owning loop.
 *
 * How it tracks a connection without any evhttp hook: it creates the
 * connection's bufferevent itself (evhttp_set_bevcb) and holds a reference
 * to it, so the object outlives evhttp's bufferevent_free(). evhttp keeps an
 * event callback set for as long as it owns the connection; bufferevent_free
 * clears it. The reaper timer therefore frees our side when the event
 * callback is gone, and otherwise fires evhttp's own timeout path
 * (bufferevent_trigger_event) on a request older than the deadline, which
 * makes evhttp close the connection cleanly.
 *
 * A request starts when input arrives while none is open, and ends when
 * output is queued (the reply). Replies that wait on Redis are bounded by
 * the Redis reply deadline, which is far below the request deadline.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "guard.h"

#define GUARD_REAP_MS 200	/* reaper period */

struct guard_conn {
	struct guard *g;
	struct bufferevent *bev;	/* we hold one reference */
	struct evbuffer_cb_entry *in_cb, *out_cb;
	bool in_request;
	uint64_t started_ms;		/* ms, monotonic first byte of request */
	struct guard_conn *next, *prev;
};

struct guard {
	struct event_base *base;
	struct event *reap_ev;
	int deadline_ms;
	struct guard_conn *head;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct guard_conn *c = arg;

	(void)buf;
	if (info->n_added > 0 && !c->in_request) {
		c->in_request = true;
		c->started_ms = now_ms();
	}
}

static void
on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct guard_conn *c = arg;

	(void)buf;
	if (info->n_added > 0)
		c->in_request = false;
}

static void
conn_release(struct guard_conn *c)
{
	struct guard *g = c->g;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->in_cb);
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_decref(c->bev);	/* the last one: closes the socket */
	free(c);
}

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct guard *g = arg;
	struct guard_conn *c, *next;
	uint64_t now = now_ms();

	(void)fd;
	(void)what;
	for (c = g->head; c != NULL; c = next) {
		bufferevent_event_cb ecb = NULL;

		next = c->next;
		bufferevent_getcb(c->bev, NULL, NULL, &ecb, NULL);
		if (ecb == NULL) {
			conn_release(c);
		} else if (c->in_request &&
		    now - c->started_ms > (uint64_t)g->deadline_ms) {
			c->in_request = false;
			bufferevent_trigger_event(c->bev,
			    BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
		}
	}
}

struct guard *
guard_new(struct event_base *base, int deadline_ms)
{
	struct guard *g = calloc(1, sizeof(*g));
	struct timeval tv = { 0, GUARD_REAP_MS * 1000 };

	if (g == NULL)
		return NULL;
	g->base = base;
	g->deadline_ms = deadline_ms;
	g->reap_ev = event_new(base, -1, EV_PERSIST, on_reap, g);
	if (g->reap_ev == NULL)
		goto err_free;
	evtimer_add(g->reap_ev, &tv);
	return g;

err_free:
	free(g);
	return NULL;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	while (g->head != NULL)
		conn_release(g->head);
	event_free(g->reap_ev);
	free(g);
}

struct bufferevent *
guard_bevcb(struct event_base *base, void *arg)
{
	struct guard *g = arg;
	struct guard_conn *c;
	struct bufferevent *bev;

	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return bev;	/* untracked, still served */
	c->g = g;
	c->bev = bev;
	c->in_cb = evbuffer_add_cb(bufferevent_get_input(bev), on_input, c);
	c->out_cb = evbuffer_add_cb(bufferevent_get_output(bev), on_output, c);
	if (c->in_cb == NULL || c->out_cb == NULL) {
		if (c->in_cb != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_input(bev),
			    c->in_cb);
		free(c);
		return bev;
	}
	bufferevent_incref(bev);
	c->next = g->head;
	if (g->head != NULL)
		g->head->prev = c;
	g->head = c;
	return bev;
}
