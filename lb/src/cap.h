/* SPDX-License-Identifier: MIT */
/*
 * Packet I/O (L2) over libpcap: the only file that includes <pcap.h>.
 * Capture is inbound only, so lbd never reads back what it injects, in
 * immediate mode (no batching delay) and non-blocking.
 */
#ifndef LB_CAP_H
#define LB_CAP_H

#include <stddef.h>
#include <stdint.h>

struct cap;

/* Called for each captured frame; <frame> is valid only during the call. */
typedef void (*cap_frame_cb)(void *arg, const uint8_t *frame, size_t len);

/*
 * Opens <ifname> for capture of frames matching the BPF program <filter>
 * (tcpdump syntax) and for injection. <snaplen> bounds a captured frame.
 * Returns NULL with a message in <err> on failure.
 */
struct cap *cap_open(const char *ifname, const char *filter, int snaplen,
		     char *err, size_t errlen);

/*
 * Replaces the BPF program of <c> with <filter>. Frames already in the ring
 * stay; the kernel swaps programs atomically. 0, or -1 with <err> filled (the
 * old program stays).
 */
int cap_set_filter(struct cap *c, const char *filter, char *err, size_t errlen);

/* Closes <c>. Accepts NULL. */
void cap_close(struct cap *c);

/* A descriptor to poll for readability. */
int cap_fd(const struct cap *c);

/*
 * Delivers up to <max> waiting frames to <cb>. Tri-state: >0 frames handled,
 * 0 nothing waiting, <0 error (message in <err>).
 */
int cap_recv(struct cap *c, int max, cap_frame_cb cb, void *arg,
	     char *err, size_t errlen);

/* Sends one frame. Returns 0, or -1 with a message in <err>. */
int cap_send(struct cap *c, const uint8_t *frame, size_t len,
	     char *err, size_t errlen);

/* One whole frame to send. */
struct cap_frame {
	const uint8_t *buf;
	size_t len;
};

#define CAP_BATCH_MAX	64	/* frames cap_send_batch() takes at once */

/*
 * Sends the <n> frames <f> (n <= CAP_BATCH_MAX) with one system call, in
 * order. Never blocks. Returns how many the kernel took before one failed
 * (the rest are not tried; sendmmsg() does not say why the first refused one
 * was), or -1 with errno kept and a message in <err> when it took none, so
 * a caller that tries again from the refused frame learns its error.
 */
int cap_send_batch(struct cap *c, const struct cap_frame *f, unsigned int n,
		   char *err, size_t errlen);

/* Frames the kernel dropped because lbd did not read fast enough. */
uint64_t cap_kernel_drops(struct cap *c);

#endif /* LB_CAP_H */
