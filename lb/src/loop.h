/* SPDX-License-Identifier: MIT */
/*
 * The datapath thread's loop (L3): poll the capture descriptors, hand each
 * frame to dp_handle(), inject what it produces, expire flows. It reads the
 * service table only through the svc_pub it is given and does nothing else.
 */
#ifndef LB_LOOP_H
#define LB_LOOP_H

#include <stdatomic.h>

#include "cap.h"
#include "dp.h"
#include "svc.h"

#define LOOP_FRAME_MAX	65536	/* scratch frame: the largest snaplen */

struct loop {
	struct dp *dp;
	struct svc_pub *pub;
	struct cap *cap[LB_PORT_MAX];	/* NULL for an unused port */
	atomic_bool stop;		/* set by the control thread */
	_Atomic uint64_t tx_errors;	/* injections that failed */
	struct conn_dump dump;		/* lbctl -L -c, answered between batches */
	uint8_t scratch[LOOP_FRAME_MAX];
};

/* Milliseconds on the monotonic clock, truncated: the datapath's <now>. */
uint32_t loop_now_ms(void);

/* Runs the datapath until l->stop is set. A pthread start routine. */
void *loop_datapath(void *arg);

#endif /* LB_LOOP_H */
