/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "export.h"

/*
 * A copy-on-write overlay: what one client wrote, kept in a sparse file in the
 * overlay directory with a bitmap of 4 KiB blocks. Reads take written blocks
 * from the overlay and the rest from the image, which is never written.
 *
 * Without a key the overlay is an unnamed file (O_TMPFILE) that vanishes when
 * the connection closes, even if the server is killed. With a key (the
 * client's address, for `cow = keep`) it is DIR/NAME@ID@KEY.cow with its
 * bitmap in DIR/NAME@ID@KEY.map: named after the generation (NAME@ID, the
 * export's canonical name), shared by that address's connections to it and
 * found again when it reconnects to the same generation, never applied to
 * another. An export without an identity gets no kept overlay.
 */
#define COW_BLOCK 4096u

struct cow;

int cow_open(struct export *e, const char *key, struct cow **ret);
void cow_close(struct cow *c);
/*
 * Look in an overlay directory for overlays kept by an older nbdexport, named
 * after the export only: log one warning that they are not applied. Returns
 * how many there are, or a negative errno.
 */
int cow_check_legacy(const char *dir);

struct config;
/*
 * When an export of c writes to overlays, c->cow_dir must be a directory;
 * at_start: also say once whether overlays of an older naming are there.
 */
int cow_check_dir(const struct config *c, bool at_start);
int cow_pread(struct cow *c, uint8_t *buf, uint32_t len, uint64_t off);
/* As cow_pread() if that needs no disk and no wait for a lock; else -EAGAIN. */
int cow_pread_nowait(struct cow *c, uint8_t *buf, uint32_t len, uint64_t off);
int cow_pwrite(struct cow *c, const uint8_t *buf, uint32_t len, uint64_t off);
int cow_zero(struct cow *c, uint32_t len, uint64_t off);
int cow_flush(struct cow *c);
/* Length of the run from off (at most len) that is all written or all not; *status: 0. */
uint64_t cow_extent(struct cow *c, uint64_t off, uint64_t len, uint32_t *status);

/*
 * Overlay requests run asynchronously by a small pool of threads, so that a
 * client's overlay I/O (a flush may take seconds) never stalls an event loop
 * and the other clients it serves. A connection has at most one job at a time
 * and waits for it before it reads its next request, which keeps every
 * ordering the protocol asks for (FLUSH, FUA, a read after a write).
 */
enum cow_op {
	COW_OP_READ, /* len bytes at off into buf */
	COW_OP_WRITE, /* buf (the job frees it) at off */
	COW_OP_ZERO,
	COW_OP_FLUSH,
	COW_OP_NONE, /* nothing but the sync (a TRIM with FUA) */
};

struct cow_job {
	struct cow_job *next; /* in the pool's queue, then in the owner's list of done
				 jobs */
	struct cow *cow; /* a reference */
	enum cow_op op;
	bool fua; /* sync once written */
	uint8_t *buf;
	uint32_t len;
	uint64_t off;
	int result; /* 0 or a negative errno */
	atomic_int state;
	/* Called by a pool thread when the job is done, unless it was abandoned. */
	void (*complete)(struct cow_job *j);
	void *loop; /* for complete(): where to report */
	void *owner; /* the connection; NULL once it is gone */
	bool taken; /* the owner's loop took it from its list: its result may be used */
};

/* A job for c (a reference is taken); a read gets a buffer, a write is given one. */
struct cow_job *cow_job_new(struct cow *c, enum cow_op op, uint32_t len, uint64_t off,
			    bool fua);
/* Queue a job (the pool starts with the first). */
void cow_submit(struct cow_job *j);
bool cow_job_done(struct cow_job *j);
/*
 * The owner is gone: true if the pool will free the job when it finishes;
 * false if it is done already (it is or will be in the owner's list of done
 * jobs, where owner == NULL says to free it).
 */
bool cow_job_abandon(struct cow_job *j);
void cow_job_free(struct cow_job *j);
/* Finish the queued jobs and stop the threads. */
void cow_pool_stop(void);
