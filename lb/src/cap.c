/* SPDX-License-Identifier: MIT */
/*
 * libpcap capture and injection. L2.
 */
#include <errno.h>
#include <pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "cap.h"

#define CAP_BUFFER_BYTES	(16 << 20)	/* kernel ring: absorbs bursts */

struct cap {
	pcap_t *p;
	int fd;
};

static void cap_err(char *err, size_t errlen, const char *what,
		    const char *ifname, const char *why)
{
	snprintf(err, errlen, "%s %s: %s", what, ifname, why);
}

int cap_set_filter(struct cap *c, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1) {
		snprintf(err, errlen, "BPF filter: %s", pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) == -1) {
		pcap_freecode(&prog);
		snprintf(err, errlen, "pcap_setfilter: %s", pcap_geterr(c->p));
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

struct cap *cap_open(const char *ifname, const char *filter, int snaplen,
		     char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct cap *c;

	c = calloc(1, sizeof(*c));
	if (!c) {
		cap_err(err, errlen, "capture on", ifname, "out of memory");
		return NULL;
	}
	c->p = pcap_create(ifname, ebuf);
	if (!c->p) {
		cap_err(err, errlen, "pcap_create", ifname, ebuf);
		goto err_free;
	}
	if (pcap_set_snaplen(c->p, snaplen) ||
	    pcap_set_promisc(c->p, 0) ||
	    pcap_set_immediate_mode(c->p, 1) ||
	    pcap_set_buffer_size(c->p, CAP_BUFFER_BYTES)) {
		cap_err(err, errlen, "pcap options on", ifname, pcap_geterr(c->p));
		goto err_close;
	}
	if (pcap_activate(c->p) < 0) {
		cap_err(err, errlen, "pcap_activate", ifname, pcap_geterr(c->p));
		goto err_close;
	}
	if (pcap_datalink(c->p) != DLT_EN10MB) {
		cap_err(err, errlen, "capture on", ifname, "not an Ethernet interface");
		goto err_close;
	}
	if (pcap_setdirection(c->p, PCAP_D_IN) == -1) {
		cap_err(err, errlen, "pcap_setdirection", ifname, pcap_geterr(c->p));
		goto err_close;
	}
	if (pcap_setnonblock(c->p, 1, ebuf) == -1) {
		cap_err(err, errlen, "pcap_setnonblock", ifname, ebuf);
		goto err_close;
	}
	if (cap_set_filter(c, filter, err, errlen))
		goto err_close;
	c->fd = pcap_get_selectable_fd(c->p);
	if (c->fd == -1) {
		cap_err(err, errlen, "capture on", ifname, "no selectable descriptor");
		goto err_close;
	}
	return c;

err_close:
	pcap_close(c->p);
err_free:
	free(c);
	return NULL;
}

void cap_close(struct cap *c)
{
	if (!c)
		return;
	pcap_close(c->p);
	free(c);
}

int cap_fd(const struct cap *c)
{
	return c->fd;
}

struct cap_cb {
	cap_frame_cb cb;
	void *arg;
};

static void cap_trampoline(u_char *user, const struct pcap_pkthdr *h,
			   const u_char *bytes)
{
	struct cap_cb *cc = (struct cap_cb *)user;

	cc->cb(cc->arg, bytes, h->caplen);
}

int cap_recv(struct cap *c, int max, cap_frame_cb cb, void *arg,
	     char *err, size_t errlen)
{
	struct cap_cb cc = { cb, arg };
	int n = pcap_dispatch(c->p, max, cap_trampoline, (u_char *)&cc);

	if (n == PCAP_ERROR) {
		snprintf(err, errlen, "pcap_dispatch: %s", pcap_geterr(c->p));
		return -1;
	}
	return n < 0 ? 0 : n;	/* PCAP_ERROR_BREAK: nothing handled */
}

int cap_send(struct cap *c, const uint8_t *frame, size_t len,
	     char *err, size_t errlen)
{
	if (pcap_inject(c->p, frame, len) == PCAP_ERROR) {
		snprintf(err, errlen, "pcap_inject: %s", pcap_geterr(c->p));
		return -1;
	}
	return 0;
}

/*
 * libpcap has no batched send, but on Linux pcap_inject() is a plain
 * send(handle->fd, buf, size, 0) on the PF_PACKET socket the capture is bound
 * to, and pcap_get_selectable_fd() is that same socket (libpcap pcap-linux.c:
 * pcap_inject_linux(), and "handle->selectable_fd = handle->fd" in
 * pcap_activate_linux(), 1.10). So sendmmsg() on it sends the frames
 * pcap_inject() would, one system call for the lot. pcap_inject()'s
 * refusals (the "any" device, cooked mode) cannot apply: cap_open() insists
 * on a named Ethernet interface. The socket is O_NONBLOCK, set by
 * pcap_setnonblock() (libpcap uses the descriptor's mode for sending too),
 * so the call never blocks.
 */
int cap_send_batch(struct cap *c, const struct cap_frame *f, unsigned int n,
		   char *err, size_t errlen)
{
	struct mmsghdr msg[CAP_BATCH_MAX];
	struct iovec iov[CAP_BATCH_MAX];
	unsigned int i;
	int sent;

	if (n > CAP_BATCH_MAX) {
		snprintf(err, errlen, "sendmmsg: %u frames, at most %d", n,
			 CAP_BATCH_MAX);
		return -1;
	}
	memset(msg, 0, sizeof(msg[0]) * n);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = (void *)(uintptr_t)f[i].buf;
		iov[i].iov_len = f[i].len;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	do
		sent = sendmmsg(c->fd, msg, n, 0);
	while (sent == -1 && errno == EINTR);
	if (sent == -1) {
		int e = errno;

		snprintf(err, errlen, "sendmmsg: %s", strerror(e));
		errno = e;
		return -1;
	}
	return sent;
}

uint64_t cap_kernel_drops(struct cap *c)
{
	struct pcap_stat ps;

	if (pcap_stats(c->p, &ps) == -1)
		return 0;
	return ps.ps_drop;
}
