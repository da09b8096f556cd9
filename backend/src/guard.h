/* SPDX-License-Identifier: MIT */
/*
 * guard: a whole-request deadline for evhttp connections (slowloris guard).
 * evhttp's timeouts restart on every byte, so a client trickling a header
 * one byte at a time would never time out; guard closes any connection
 * whose current request has not been answered within a fixed time of its
 * first byte. L3: libevent on one loop; not thread-safe.
 */
#ifndef TICKETS_GUARD_H
#define TICKETS_GUARD_H

struct event_base;
struct bufferevent;
struct guard;

/*
 * guard_new: a guard on <base> closing requests older than <deadline_ms>.
 * Returns NULL on allocation failure.
 */
struct guard *guard_new(struct event_base *base, int deadline_ms);

/* guard_free: releases every tracked connection's reference. Accepts NULL. */
void guard_free(struct guard *g);

/*
 * guard_bevcb: pass to evhttp_set_bevcb(http, guard_bevcb, g). Returns a new
 * socket bufferevent that <arg> (a struct guard) tracks, or NULL.
 */
struct bufferevent *guard_bevcb(struct event_base *base, void *arg);

#endif
