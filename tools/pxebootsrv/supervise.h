/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Children run in the foreground with their output on a pipe; each line they
 * write is logged as "NAME: line". One that dies is started again after a
 * delay that doubles from 1 s up to 60 s (back to 1 s once it ran a minute).
 */
struct child {
	const char *name;
	char *argv[10]; /* NULL-terminated */
	bool wanted;
	pid_t pid; /* 0: not running */
	int out; /* read end of its output pipe, -1 when closed */
	char buf[2048];
	size_t len;
	unsigned int backoff; /* seconds before the next restart */
	uint64_t restart_at; /* monotonic ms, 0: none pending */
	uint64_t started_at;
};

uint64_t now_ms(void);
int child_start(struct child *ch);
/* Forward what the child wrote; at EOF the pipe is closed. */
void child_read(struct child *ch);
/* SIGTERM, then SIGKILL after timeout_ms; reaps it. */
void child_stop(struct child *ch, unsigned int timeout_ms);
/* A child was reaped with status: log it and schedule its restart. */
void child_exited(struct child *ch, int status);
