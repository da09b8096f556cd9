/* SPDX-License-Identifier: MIT */
/*
 * Datapath thread loop. L3. Between two polls it handles at most
 * LOOP_BATCH frames per interface, so one busy interface cannot starve the
 * other, and it picks up a newly published service table only between
 * batches, acknowledging it afterwards so the control plane may free the old.
 * Frames to send are queued and leave LOOP_TX_BATCH at a time, one
 * sendmmsg() per port, at the latest when the ring that brought them has
 * been read: a system call per batch instead of per frame. With
 * lbd_rx_coalesce_us set, a round that did not fill a batch is followed by
 * that long a wait before the next poll, so that more frames share each
 * wake-up and each sendmmsg(), as a NIC's rx-usecs moderates interrupts:
 * less CPU per frame under a flood, up to that much latency per hop.
 */
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "arp.h"
#include "loop.h"

#define LOOP_BATCH		256
/*
 * Idle wake-up, for expiry and listings only: no frame waits for it, because
 * poll() reports a capture ring readable for as long as it holds an unread
 * frame, and each batch reads every ring poll() reported.
 */
#define LOOP_POLL_MS		50
#define LOOP_EXPIRE_BUDGET	4096
#define LOOP_DUMP_BUDGET	65536	/* slots copied per batch for a listing */

uint32_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

struct loop_batch {
	struct loop *l;
	struct svc_table *t;
	enum lb_port in;
	uint32_t now;
};

static void loop_tx_error(struct loop *l, uint64_t n)
{
	atomic_fetch_add_explicit(&l->tx_errors, n, memory_order_relaxed);
}

/* Waits <us> microseconds after a round of <frames>, if it was short. */
static void loop_coalesce(uint32_t us, uint32_t frames)
{
	struct timespec ts = { .tv_nsec = (long)us * 1000 };

	if (!us || frames >= LOOP_TX_BATCH)
		return;
	/* Signals are blocked here, so no EINTR; a short wait would do no harm. */
	(void)nanosleep(&ts, NULL);
}

/*
 * Sends the frames queued for port <p>, one sendmmsg() while all goes well.
 * A frame the kernel refuses (too big for a lowered MTU, say) is lost on
 * its own and the rest go on; a full device queue would refuse them all,
 * so they are lost together, as on a NIC.
 */
static void loop_flush_port(struct loop *l, int p)
{
	struct loop_txq *q = &l->txq;
	unsigned int off = 0, n = q->n[p];
	char err[128];
	int sent;

	while (off < n) {
		sent = cap_send_batch(l->cap[p], q->q[p] + off, n - off, err,
				      sizeof(err));
		if (sent > 0) {
			off += (unsigned int)sent;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
			loop_tx_error(l, n - off);
			break;
		}
		loop_tx_error(l, 1);
		off++;
	}
	q->n[p] = 0;
}

/* Sends every queued frame. */
static void loop_flush(struct loop *l)
{
	int p;

	for (p = 0; p < LB_PORT_MAX; p++)
		if (l->txq.n[p])
			loop_flush_port(l, p);
	l->txq.used = 0;
}

static void loop_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct loop_batch *b = arg;
	struct loop *l = b->l;
	struct loop_txq *q = &l->txq;
	struct dp_tx tx = { .buf = q->slot[q->used], .cap = LOOP_FRAME_MAX };

	if (dp_handle(l->dp, b->t, b->in, frame, len, b->now, &tx) != LB_TX)
		return;
	if (!l->cap[tx.port]) {
		loop_tx_error(l, 1);
		return;
	}
	/*
	 * tx.tail points into <frame>, which the ring takes back when we
	 * return: the frame is completed in its slot now. It fits: a frame
	 * is never longer than the one read, which is at most tx.cap.
	 */
	if (tx.tail_len)
		memcpy(tx.buf + tx.len, tx.tail, tx.tail_len);
	q->q[tx.port][q->n[tx.port]++] = (struct cap_frame){
		.buf = tx.buf, .len = tx.len + tx.tail_len };
	if (++q->used == LOOP_TX_BATCH)
		loop_flush(l);
}

void loop_adopt(struct loop *l, const struct svc_table *t)
{
	l->filter_gen = t->filter_gen;
	l->n_vips = 0;
}

void loop_announce(struct loop *l, const struct svc_table *t, int times)
{
	uint8_t f[ARP_FRAME_LEN];
	char err[128];
	uint16_t i, j;
	int k;

	if (!l->cap[LB_PORT_EXT])
		return;
	for (i = 0; i < t->n_vip; i++) {
		for (j = 0; j < l->n_vips && l->vips[j] != t->vip[i]; j++)
			;
		if (j < l->n_vips)
			continue;
		for (k = 0; k < times; k++) {
			size_t n = arp_announce(f, sizeof(f),
						&t->port[LB_PORT_EXT].mac,
						t->vip[i]);

			if (cap_send(l->cap[LB_PORT_EXT], f, n, err, sizeof(err)))
				atomic_fetch_add_explicit(&l->tx_errors, 1,
							  memory_order_relaxed);
		}
		if (l->n_vips < CFG_SVC_MAX)
			l->vips[l->n_vips++] = t->vip[i];
	}
}

/*
 * A new table may serve VIPs or NAT real servers the captures do not bring
 * in yet: the datapath swaps the filter itself (pcap handles are not shared
 * between threads) and announces new VIPs. Runs only when the table changed.
 */
static void loop_follow(struct loop *l, const struct svc_table *t)
{
	char err[256];
	int p;

	if (t->filter && t->filter_gen != l->filter_gen) {
		for (p = 0; p < LB_PORT_MAX; p++)
			if (l->cap[p] && cap_set_filter(l->cap[p], t->filter,
							err, sizeof(err)))
				atomic_fetch_add_explicit(&l->filter_errors, 1,
							  memory_order_relaxed);
		l->filter_gen = t->filter_gen;
	}
	loop_announce(l, t, 1);
}

void *loop_datapath(void *arg)
{
	struct loop *l = arg;
	struct pollfd pfd[LB_PORT_MAX];
	enum lb_port which[LB_PORT_MAX];
	uint64_t seen = 0;	/* publication number of the table followed */
	struct svc_table *prev = NULL;	/* the table of the last batch */
	char err[256];
	sigset_t all;
	nfds_t n = 0;
	int p;

	/* Signals are the control thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (p = 0; p < LB_PORT_MAX; p++) {
		if (!l->cap[p])
			continue;
		pfd[n].fd = cap_fd(l->cap[p]);
		pfd[n].events = POLLIN;
		which[n++] = (enum lb_port)p;
	}
	while (!atomic_load_explicit(&l->stop, memory_order_relaxed)) {
		struct loop_batch b = { .l = l };
		int ready = poll(pfd, n, LOOP_POLL_MS);
		uint32_t frames = 0;	/* read in this round, all rings */
		uint32_t setting;	/* the table's lbd_rx_coalesce_us */
		nfds_t i;
		int got;

		if (ready == -1 && errno != EINTR) {
			atomic_store_explicit(&l->dead, errno, memory_order_release);
			break;
		}
		b.t = svc_pub_get(l->pub);
		/* By publication number: a new table may reuse a freed address. */
		if (b.t->gen != seen) {
			/*
			 * <prev> is still alive: the model frees a table only
			 * once a newer one has been acknowledged.
			 */
			svc_table_inherit(b.t, prev);
			loop_follow(l, b.t);
			seen = b.t->gen;
		}
		prev = b.t;
		b.now = loop_now_ms();
		for (i = 0; i < n; i++) {
			/*
			 * Only the rings poll() reported (all of them after an
			 * EINTR): reading an empty ring costs a poll() syscall
			 * inside libpcap, its way of seeing socket errors,
			 * which revents carries here as well.
			 */
			if (ready != -1 && pfd[i].revents == 0)
				continue;
			b.in = which[i];
			got = cap_recv(l->cap[b.in], LOOP_BATCH, loop_frame, &b,
				       err, sizeof(err));
			/* Errors on a live capture are transient: count, go on. */
			if (got < 0)
				atomic_fetch_add_explicit(&l->rx_errors, 1,
							  memory_order_relaxed);
			else
				frames += (uint32_t)got;
			loop_flush(l);
		}
		setting = b.t->rx_coalesce_us;
		svc_pub_ack(l->pub, b.t);
		dp_expire(l->dp, b.now, LOOP_EXPIRE_BUDGET);
		if (atomic_load_explicit(&l->dump.state, memory_order_acquire) ==
		    CONN_DUMP_ASKED)
			conn_dump_step(l->dp->ct, &l->dump, b.now, LOOP_DUMP_BUDGET);
		loop_coalesce(setting, frames);
	}
	return NULL;
}
