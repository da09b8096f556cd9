/* SPDX-License-Identifier: MIT */
/*
 * The datapath thread's loop (L3): poll the capture descriptors, hand each
 * frame to dp_handle(), send what it produces in batches, expire flows. It reads the
 * service table only through the svc_pub it is given and does nothing else.
 */
#ifndef LB_LOOP_H
#define LB_LOOP_H

#include <stdatomic.h>

#include "cap.h"
#include "dp.h"
#include "svc.h"

#define LOOP_FRAME_MAX	65536	/* a transmit slot: the largest snaplen */
#define LOOP_TX_BATCH	32	/* frames sent with one system call */
#define LOOP_SLOT_PAD	192	/* slot stride not a multiple of 4 KiB: their
				   headers would share one L1 cache set */

/*
 * Frames waiting to be sent, datapath-private: each is built whole in a
 * slot of its own (the frame handler writes the headers there and the loop
 * appends the payload), and goes out with the others for its port in one
 * sendmmsg() when the slots run out or the ring that brought them is read.
 */

struct loop_txq {
	uint8_t slot[LOOP_TX_BATCH][LOOP_FRAME_MAX + LOOP_SLOT_PAD];
	struct cap_frame q[LB_PORT_MAX][LOOP_TX_BATCH];
	unsigned int n[LB_PORT_MAX];	/* frames queued per port */
	unsigned int used;		/* slots taken, all ports */
};

struct loop {
	struct dp *dp;
	struct svc_pub *pub;
	struct cap *cap[LB_PORT_MAX];	/* NULL for an unused port */
	atomic_bool stop;		/* set by the control thread */
	_Atomic uint64_t tx_errors;	/* injections that failed */
	_Atomic uint64_t rx_errors;	/* capture reads that failed */
	struct conn_dump dump;		/* lbctl -L -c, answered between batches */
	_Atomic int dead;		/* errno that stopped the datapath, or 0 */
	_Atomic uint64_t filter_errors;	/* new capture filters that failed */
	/* Datapath-private: what the captures and the neighbours were told. */
	uint64_t filter_gen;		/* filter_gen of the table the captures run */
	__be32 vips[CFG_SVC_MAX];	/* VIPs announced so far */
	uint16_t n_vips;
	struct loop_txq txq;
};

/* Milliseconds on the monotonic clock, truncated: the datapath's <now>. */
uint32_t loop_now_ms(void);

/*
 * Records <t> as the table the captures were opened with and its VIPs as
 * announced; call once before the datapath starts.
 */
void loop_adopt(struct loop *l, const struct svc_table *t);

/*
 * Sends gratuitous ARP for every VIP of <t> the loop has not announced yet
 * (all of them, three times, at start). Datapath thread only, or before it
 * starts.
 */
void loop_announce(struct loop *l, const struct svc_table *t, int times);

/*
 * Runs the datapath until l->stop is set, or a poll error stops it (l->dead
 * then holds its errno, for the control thread to see). A pthread start
 * routine.
 */
void *loop_datapath(void *arg);

#endif /* LB_LOOP_H */
