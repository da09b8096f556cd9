/* SPDX-License-Identifier: MIT */
/*
 * log: one-line messages to stderr with a wall-clock stamp and a tag.
 * L2: I/O. L0 modules never call it.
 */
#ifndef TICKETS_LOG_H
#define TICKETS_LOG_H

/* log_info, log_warn: printf-style; a newline is added. Thread-safe. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_set_tag: prefix every line with <tag> (copied, up to 63 bytes). */
void log_set_tag(const char *tag);

#endif
