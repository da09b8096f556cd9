/* SPDX-License-Identifier: MIT */
/*
 * Logging (L2): one line per event on stderr, with a timestamp. Only L2 and
 * L3 log; the datapath counts instead.
 */
#ifndef LB_LOG_H
#define LB_LOG_H

#include <stdnoreturn.h>

/* Program name shown in every line; defaults to "lbd". */
void log_init(const char *prog, int verbose);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A broken invariant: logs and aborts. Never for bad input. */
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* LB_LOG_H */
