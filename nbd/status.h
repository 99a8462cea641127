/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "export.h"

/*
 * Which clients read which generation, for the administrator and for tools
 * that remove old generations (bootchroot --prune). The table is written to a
 * file, atomically, at start and shortly after each change, and to the log on
 * SIGUSR1. One record a line, fields separated by one space:
 *
 *   # nbdexport status
 *   pid PID
 *   export NAME CANONICAL PATH
 *   client PEER CANONICAL PATH SINCE
 *
 * PATH is the real path of the image file, with space, tab, newline and
 * backslash written as \040 \011 \012 \134 (as /proc/mounts does); SINCE is
 * the Unix time the client attached.
 */
struct status_attach {
	struct status_attach *prev, *next;
	struct export *e; /* a reference */
	time_t since;
	char peer[64];
};

struct status {
	pthread_mutex_t lock;
	struct status_attach *list;
	atomic_bool dirty;
	/* Called (from any thread) when the table changed and was clean. */
	void (*changed)(void *data);
	void *data;
};

void status_init(struct status *s, void (*changed)(void *), void *data);
void status_fini(struct status *s);
/* A connection entered transmission; NULL when out of memory. */
struct status_attach *status_attach(struct status *s, const char *peer, struct export *e);
void status_detach(struct status *s, struct status_attach *a);
/* Something else changed (a reload, an image replaced). */
void status_changed(struct status *s);

/* Write the escaped form of a path to f. */
void status_escape(FILE *f, const char *path);
/*
 * The table as text: the exports given (current ones) and, deduplicated,
 * every generation a client still reads. Clears the dirty flag.
 */
int status_format(struct status *s, pid_t pid, struct export *const *exports, size_t n,
		  char **ret, size_t *ret_len);
