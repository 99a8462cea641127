/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "export.h"
#include "outq.h"

/*
 * The NBD handshake as a pure state machine: bytes from the client go in,
 * bytes for the client come out in an outq, and the machine says when the
 * connection must switch to TLS, enter transmission or close. It does no I/O
 * of its own; exports are found through hs_ops, so tests and fuzzers can
 * drive it with byte buffers.
 */
struct hs_ops {
	/* -ENOENT: no such export; -EACCES: this client may not use it. */
	int (*get)(void *opaque, const char *name, struct export **ret);
	int (*list)(void *opaque,
		    int (*fn)(void *data, const char *name, const char *desc),
		    void *data);
};

enum hs_result {
	HS_CONTINUE,
	HS_TRANSMISSION, /* h->export is the chosen export */
	HS_STARTTLS, /* send what is queued, then start TLS and call hs_tls_started() */
	HS_CLOSE, /* send what is queued (if anything), then close; h->why says why */
};

enum hs_state {
	HS_S_FLAGS,
	HS_S_OPT_HEADER,
	HS_S_OPT_DATA,
	HS_S_OPT_SKIP,
	HS_S_DONE,
};

struct handshake {
	const struct hs_ops *ops;
	void *opaque;
	enum tls_mode tls_mode; /* TLS_OFF when the server has no TLS */
	unsigned int max_options;

	enum hs_state state;
	enum hs_result result;
	const char *why;
	bool fixed;
	bool no_zeroes;
	bool tls; /* TLS is running */
	bool structured;
	bool meta_allocation;
	char *meta_export; /* the export name SET_META_CONTEXT referred to */
	unsigned int options;

	uint8_t hdr[16];
	size_t hdr_got;
	uint32_t opt;
	uint32_t optlen;
	uint8_t *data;
	size_t data_got;
	uint64_t skip;

	struct export *export; /* HS_TRANSMISSION: the export chosen (a reference) */
	bool export_meta; /* base:allocation is active for it */
};

void hs_init(struct handshake *h, const struct hs_ops *ops, void *opaque,
	     enum tls_mode tls, unsigned int max_options);
void hs_free(struct handshake *h);
/* The server's greeting, sent as soon as a client connects. */
int hs_greeting(struct handshake *h, struct outq *out);
/*
 * Feed client bytes. Returns how many were consumed (it stops right after an
 * option that ends the handshake or needs TLS) or a negative errno (-ENOMEM).
 */
ssize_t hs_feed(struct handshake *h, const uint8_t *in, size_t len, struct outq *out);
/* TLS is now running: forget what was negotiated in the clear. */
void hs_tls_started(struct handshake *h);
