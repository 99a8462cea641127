/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "export.h"
#include "outq.h"

struct cow;

struct nbd_request {
	uint16_t flags;
	uint16_t type;
	uint64_t handle;
	uint64_t offset;
	uint32_t len;
};

/* What the transmission phase knows about one connection. */
struct tx {
	struct export *e; /* a reference */
	struct cow *cow; /* the client's overlay, for copy-on-write exports */
	bool structured;
	bool meta; /* base:allocation selected */
	bool zero_copy; /* large reads may go out as file ranges (not under TLS) */
	/*
	 * Never block on a cold page cache: a read of uncached data starts
	 * readahead and is deferred (t->deferred); tx_resume() retries it.
	 */
	bool nowait;
	bool deferred; /* t->cur is a read waiting for the page cache */
	/*
	 * With cow_done set, overlay requests run in the cow pool: t->cur waits
	 * for t->job, and cow_done (a pool thread) says when it is done; then
	 * tx_resume() sends the reply.
	 */
	struct cow_job *job;
	void (*cow_done)(struct cow_job *j);
	void *cow_loop, *cow_owner; /* for cow_done */
	uint16_t tflags;

	uint8_t hdr[28];
	size_t hdr_got;
	struct nbd_request cur; /* a request whose payload is being received */
	uint8_t *wbuf;
	size_t wgot;
	uint64_t skip; /* payload bytes to read and drop */
	uint32_t skip_err; /* the error to reply once they are dropped */

	/*
	 * Shutting down: requests that start at or after this offset of the
	 * client's stream get NBD_ESHUTDOWN; those before it are served.
	 */
	uint64_t serve_until;
	uint64_t in_bytes; /* stream bytes consumed so far */
	uint64_t req_start; /* where the request being received started */

	bool disc; /* the client sent NBD_CMD_DISC */
	const char *why; /* set when the connection must be dropped */
	uint64_t requests;
	uint64_t bytes_read;
	uint64_t deferrals;
};

/* Parse a 28-byte request header; -EBADMSG on a bad magic. */
int nbd_request_parse(const uint8_t *p, struct nbd_request *r);
/*
 * Decide what a request deserves before executing it: 0 (go ahead) or the
 * NBD error to reply. *payload is how many bytes of data follow the header
 * (NBD_CMD_WRITE). *fatal is set when the stream cannot be kept in sync.
 */
uint32_t nbd_request_check(const struct tx *t, const struct nbd_request *r,
			   uint64_t *payload, bool *fatal);

void tx_init(struct tx *t, struct export *e, bool structured, bool meta, bool zero_copy);
void tx_free(struct tx *t);
/*
 * Feed client bytes: parse requests, execute them, queue the replies. It stops
 * before a new request once more than limit bytes are queued, so a client that
 * does not read its replies cannot make the server buffer without bound.
 * Returns how many bytes were consumed, or a negative errno (-ENOMEM).
 * t->disc or t->why tell that the connection is to be closed.
 */
ssize_t tx_feed(struct tx *t, const uint8_t *in, size_t len, struct outq *q,
		size_t limit);
/*
 * Shutting down: every request that started before t->serve_until has been
 * executed and its reply queued.
 */
bool tx_drained(const struct tx *t);
/*
 * Retry a deferred read (blocking this time if !t->nowait), or finish a
 * request whose overlay job is done. 0 when done (its reply is queued),
 * -EAGAIN while the data is still not cached or the job not done.
 */
int tx_resume(struct tx *t, struct outq *q);

/*
 * Reads up to this size are copied into the reply; larger ones are sent from
 * the page cache with sendfile. On loopback, copying measured faster up to
 * 256 KiB (the reply leaves while the next read is copied); sendfile takes a
 * third of the CPU time per byte.
 */
#define TX_COPY_MAX (256u * 1024)
/*
 * Reads from this size on go out of the image's mapping with sendmsg: one
 * copy (into the socket) instead of two, and batched with the headers.
 */
#define TX_MAP_MIN (32u * 1024)
