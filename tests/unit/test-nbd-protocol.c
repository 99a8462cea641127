// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handshake machine and the transmission phase driven with byte buffers,
 * against an export backed by a memfd: what comes out must be what the
 * specification says, whether the input arrives at once or byte by byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "handshake.h"
#include "log.h"
#include "outq.h"
#include "proto.h"
#include "tap.h"
#include "transmission.h"

#define SIZE (1u << 20)

static struct export *disk;

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 12));
}

static void make_disk(void)
{
	int fd = memfd_create("disk", 0);
	uint8_t *buf = malloc(SIZE);

	check(fd >= 0 && buf);
	for (uint64_t i = 0; i < SIZE; i++)
		buf[i] = pattern(i);
	check(write(fd, buf, SIZE) == SIZE);
	free(buf);
	check_int(export_new_fd("disk", fd, true, &disk), 0);
	disk->description = strdup("a test disk");
}

static int fake_get(void *opaque, const char *name, struct export **ret)
{
	if (strcmp(name, "secret") == 0)
		return -EACCES;
	if (*name && strcmp(name, "disk") != 0)
		return -ENOENT;
	*ret = export_ref(disk);
	return 0;
}

static int fake_list(void *opaque, int (*fn)(void *, const char *, const char *),
		     void *data)
{
	return fn(data, "disk", "a test disk");
}

static const struct hs_ops ops = { .get = fake_get, .list = fake_list };

/* Everything queued, flattened. */
static size_t drain(struct outq *q, uint8_t *buf, size_t max)
{
	static uint8_t scratch[65536];
	size_t n = 0;

	for (;;) {
		struct outq_chunk ch;

		check_int(outq_peek(q, scratch, sizeof(scratch), &ch), 0);
		if (!ch.len)
			return n;
		check(n + ch.len <= max);
		memcpy(buf + n, ch.p, ch.len);
		n += ch.len;
		outq_consume(q, ch.len);
	}
}

struct msg {
	uint8_t b[8192];
	size_t n;
};

static void put_opt(struct msg *m, uint32_t opt, const void *data, uint32_t len)
{
	put64(m->b + m->n, NBD_IHAVEOPT);
	put32(m->b + m->n + 8, opt);
	put32(m->b + m->n + 12, len);
	if (len)
		memcpy(m->b + m->n + 16, data, len);
	m->n += 16 + len;
}

static void put_flags(struct msg *m, uint32_t f)
{
	put32(m->b + m->n, f);
	m->n += 4;
}

/* Feed m in pieces of `step` bytes (0: at once); returns the output. */
static size_t run(struct handshake *h, const struct msg *m, size_t step, uint8_t *out,
		  size_t max)
{
	struct outq q;
	size_t pos = 0, n;

	outq_init(&q);
	while (pos < m->n && h->result == HS_CONTINUE) {
		size_t len = step ? MIN(step, m->n - pos) : m->n - pos;
		ssize_t r = hs_feed(h, m->b + pos, len, &q);

		check(r >= 0);
		pos += r;
		if ((size_t)r < len)
			break;
	}
	n = drain(&q, out, max);
	outq_clear(&q);
	return n;
}

/* Walk option replies: type of the i-th reply, and its data. */
static uint32_t reply_type(const uint8_t *out, size_t n, unsigned int i,
			   const uint8_t **data, uint32_t *len)
{
	size_t pos = 0;

	for (;;) {
		check(pos + 20 <= n);
		check(get64(out + pos) == NBD_REP_MAGIC);
		if (i-- == 0) {
			if (data)
				*data = out + pos + 20;
			if (len)
				*len = get32(out + pos + 16);
			return get32(out + pos + 12);
		}
		pos += 20 + get32(out + pos + 16);
	}
}

static void hs(struct handshake *h, enum tls_mode tls)
{
	hs_init(h, &ops, NULL, tls, 32);
}

static void test_greeting(void)
{
	struct handshake h;
	struct outq q;
	uint8_t out[64];

	hs(&h, TLS_OFF);
	outq_init(&q);
	check_int(hs_greeting(&h, &q), 0);
	check_int(drain(&q, out, sizeof(out)), 18);
	check(get64(out) == NBD_MAGIC);
	check(get64(out + 8) == NBD_IHAVEOPT);
	check_int(get16(out + 16), NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
}

static void go_msg(struct msg *m, const char *name, uint16_t nreq, const uint16_t *reqs)
{
	uint8_t d[512];
	size_t nl = strlen(name);

	put32(d, nl);
	memcpy(d + 4, name, nl);
	put16(d + 4 + nl, nreq);
	for (uint16_t i = 0; i < nreq; i++)
		put16(d + 6 + nl + 2 * i, reqs[i]);
	put_opt(m, NBD_OPT_GO, d, 6 + nl + 2 * nreq);
}

static void test_go(void)
{
	static uint8_t out1[8192], out2[8192];
	struct msg m = { 0 };
	struct handshake h;
	const uint8_t *d;
	uint32_t len;
	size_t n1, n2;
	uint16_t reqs[] = { NBD_INFO_NAME, NBD_INFO_DESCRIPTION, 99 };

	put_flags(&m, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);
	put_opt(&m, NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	go_msg(&m, "", 3, reqs);
	/* A request after GO belongs to the transmission phase. */
	memset(m.b + m.n, 0xee, 28);
	m.n += 28;

	hs(&h, TLS_OFF);
	n1 = run(&h, &m, 0, out1, sizeof(out1));
	check_int(h.result, HS_TRANSMISSION);
	check(h.export == disk);
	check(h.structured);
	hs_free(&h);
	hs(&h, TLS_OFF);
	n2 = run(&h, &m, 1, out2, sizeof(out2));
	check_int(h.result, HS_TRANSMISSION);
	hs_free(&h);
	check_int(n1, n2);
	check(memcmp(out1, out2, n1) == 0);

	check_int(reply_type(out1, n1, 0, NULL, NULL), NBD_REP_ACK);
	check_int(reply_type(out1, n1, 1, &d, &len), NBD_REP_INFO);
	check_int(len, 12);
	check_int(get16(d), NBD_INFO_EXPORT);
	check(get64(d + 2) == SIZE);
	uint16_t f = get16(d + 10);
	check(f & NBD_FLAG_HAS_FLAGS);
	check(f & NBD_FLAG_READ_ONLY);
	check(f & NBD_FLAG_CAN_MULTI_CONN);
	check(f & NBD_FLAG_SEND_DF); /* structured replies were negotiated */
	check(!(f & NBD_FLAG_SEND_TRIM));
	check_int(reply_type(out1, n1, 2, &d, &len), NBD_REP_INFO);
	check_int(get16(d), NBD_INFO_NAME);
	check(len == 6 && memcmp(d + 2, "disk", 4) == 0);
	check_int(reply_type(out1, n1, 3, &d, &len), NBD_REP_INFO);
	check_int(get16(d), NBD_INFO_DESCRIPTION);
	check_int(reply_type(out1, n1, 4, &d, &len), NBD_REP_INFO);
	check_int(get16(d), NBD_INFO_BLOCK_SIZE);
	check_int(get32(d + 10), NBD_MAX_BLOCK);
	check_int(reply_type(out1, n1, 5, NULL, NULL), NBD_REP_ACK);
}

static void test_export_name(void)
{
	static uint8_t out[8192];
	struct msg m = { 0 };
	struct handshake h;

	/* Plain newstyle, as BusyBox-style clients: flags 0, EXPORT_NAME only. */
	put_flags(&m, 0);
	put_opt(&m, NBD_OPT_EXPORT_NAME, "", 0);
	hs(&h, TLS_OFF);
	check_int(run(&h, &m, 0, out, sizeof(out)), 134);
	check_int(h.result, HS_TRANSMISSION);
	check(get64(out) == SIZE);
	check(!(get16(out + 8) & NBD_FLAG_SEND_DF));
	for (int i = 10; i < 134; i++)
		check(out[i] == 0);
	hs_free(&h);

	m.n = 0;
	put_flags(&m, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);
	put_opt(&m, NBD_OPT_EXPORT_NAME, "disk", 4);
	hs(&h, TLS_OFF);
	check_int(run(&h, &m, 0, out, sizeof(out)), 10);
	check_int(h.result, HS_TRANSMISSION);
	hs_free(&h);

	/* An unknown name cannot be answered: the session ends. */
	m.n = 0;
	put_flags(&m, NBD_FLAG_C_FIXED_NEWSTYLE);
	put_opt(&m, NBD_OPT_EXPORT_NAME, "nope", 4);
	hs(&h, TLS_OFF);
	check_int(run(&h, &m, 0, out, sizeof(out)), 0);
	check_int(h.result, HS_CLOSE);
	hs_free(&h);
}

static void test_errors(void)
{
	static uint8_t out[8192];
	struct msg m = { 0 };
	struct handshake h;
	uint8_t d[64];
	uint32_t len;
	size_t n;

	put_flags(&m, NBD_FLAG_C_FIXED_NEWSTYLE);
	put_opt(&m, 4242, "xyz", 3);
	put_opt(&m, NBD_OPT_LIST, "x", 1);
	put_opt(&m, NBD_OPT_LIST, NULL, 0);
	put_opt(&m, NBD_OPT_STARTTLS, NULL, 0);
	put_opt(&m, NBD_OPT_SET_META_CONTEXT, "\0\0\0\0\0\0\0\0", 8);
	put32(d, 6);
	memcpy(d + 4, "secret", 6);
	put16(d + 10, 0);
	put_opt(&m, NBD_OPT_INFO, d, 12);
	put32(d, 3);
	memcpy(d + 4, "nop", 3);
	put16(d + 7, 0);
	put_opt(&m, NBD_OPT_INFO, d, 9);
	put32(d, 200); /* name longer than the option */
	put_opt(&m, NBD_OPT_GO, d, 9);
	put_opt(&m, NBD_OPT_ABORT, NULL, 0);
	hs(&h, TLS_OFF);
	n = run(&h, &m, 3, out, sizeof(out));
	check_int(h.result, HS_CLOSE);
	check_int(reply_type(out, n, 0, NULL, NULL), NBD_REP_ERR_UNSUP);
	check_int(reply_type(out, n, 1, NULL, NULL), NBD_REP_ERR_INVALID);
	check_int(reply_type(out, n, 2, NULL, NULL), NBD_REP_SERVER);
	check_int(reply_type(out, n, 3, NULL, NULL), NBD_REP_ACK);
	check_int(reply_type(out, n, 4, NULL, NULL), NBD_REP_ERR_POLICY);
	check_int(reply_type(out, n, 5, NULL, NULL), NBD_REP_ERR_INVALID);
	check_int(reply_type(out, n, 6, NULL, NULL), NBD_REP_ERR_POLICY);
	check_int(reply_type(out, n, 7, NULL, NULL), NBD_REP_ERR_UNKNOWN);
	check_int(reply_type(out, n, 8, NULL, NULL), NBD_REP_ERR_INVALID);
	check_int(reply_type(out, n, 9, NULL, NULL), NBD_REP_ACK);
	hs_free(&h);

	/* Unknown client flags end it at once. */
	m.n = 0;
	put_flags(&m, 0x100);
	hs(&h, TLS_OFF);
	check_int(run(&h, &m, 0, out, sizeof(out)), 0);
	check_int(h.result, HS_CLOSE);
	hs_free(&h);

	/* More options than allowed. */
	m.n = 0;
	put_flags(&m, 1);
	for (int i = 0; i < 40; i++)
		put_opt(&m, 4242, NULL, 0);
	hs(&h, TLS_OFF);
	n = run(&h, &m, 0, out, sizeof(out));
	check_int(h.result, HS_CLOSE);
	/* 32 options answered (each reply the same size), the 33rd ends it. */
	check_int(reply_type(out, n, 31, NULL, &len), NBD_REP_ERR_UNSUP);
	check_int(n, 32 * (20 + len));
	hs_free(&h);
}

static void test_tls_required(void)
{
	static uint8_t out[8192];
	struct msg m = { 0 };
	struct handshake h;
	size_t n;

	put_flags(&m, NBD_FLAG_C_FIXED_NEWSTYLE);
	put_opt(&m, NBD_OPT_LIST, NULL, 0);
	go_msg(&m, "disk", 0, NULL);
	put_opt(&m, 4242, NULL, 0);
	put_opt(&m, NBD_OPT_STARTTLS, NULL, 0);
	hs(&h, TLS_REQUIRE);
	n = run(&h, &m, 0, out, sizeof(out));
	check_int(h.result, HS_STARTTLS);
	check_int(reply_type(out, n, 0, NULL, NULL), NBD_REP_ERR_TLS_REQD);
	check_int(reply_type(out, n, 1, NULL, NULL), NBD_REP_ERR_TLS_REQD);
	check_int(reply_type(out, n, 2, NULL, NULL), NBD_REP_ERR_TLS_REQD);
	check_int(reply_type(out, n, 3, NULL, NULL), NBD_REP_ACK);

	/* Under TLS: a second STARTTLS is invalid, GO works. */
	hs_tls_started(&h);
	m.n = 0;
	put_opt(&m, NBD_OPT_STARTTLS, NULL, 0);
	go_msg(&m, "disk", 0, NULL);
	n = run(&h, &m, 0, out, sizeof(out));
	check_int(h.result, HS_TRANSMISSION);
	check_int(reply_type(out, n, 0, NULL, NULL), NBD_REP_ERR_INVALID);
	hs_free(&h);

	/* EXPORT_NAME without TLS cannot be refused politely. */
	m.n = 0;
	put_flags(&m, NBD_FLAG_C_FIXED_NEWSTYLE);
	put_opt(&m, NBD_OPT_EXPORT_NAME, "disk", 4);
	hs(&h, TLS_REQUIRE);
	run(&h, &m, 0, out, sizeof(out));
	check_int(h.result, HS_CLOSE);
	hs_free(&h);
}

static void meta_msg(struct msg *m, uint32_t opt, const char *name, int nq,
		     const char **q)
{
	uint8_t d[512];
	size_t pos, nl = strlen(name);

	put32(d, nl);
	memcpy(d + 4, name, nl);
	put32(d + 4 + nl, nq);
	pos = 8 + nl;
	for (int i = 0; i < nq; i++) {
		put32(d + pos, strlen(q[i]));
		memcpy(d + pos + 4, q[i], strlen(q[i]));
		pos += 4 + strlen(q[i]);
	}
	put_opt(m, opt, d, pos);
}

static void test_meta(void)
{
	static uint8_t out[8192];
	struct msg m = { 0 };
	struct handshake h;
	const char *alloc[] = { "base:allocation", "x-other:thing" };
	const char *wild[] = { "base:" };
	const char *bad[] = { "nocolon" };
	const uint8_t *d;
	uint32_t len;
	size_t n;

	put_flags(&m, NBD_FLAG_C_FIXED_NEWSTYLE);
	meta_msg(&m, NBD_OPT_SET_META_CONTEXT, "disk", 1, alloc); /* before structured */
	put_opt(&m, NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	meta_msg(&m, NBD_OPT_LIST_META_CONTEXT, "disk", 1, wild);
	meta_msg(&m, NBD_OPT_LIST_META_CONTEXT, "disk", 1, bad);
	meta_msg(&m, NBD_OPT_SET_META_CONTEXT, "disk", 2, alloc);
	go_msg(&m, "disk", 0, NULL);
	hs(&h, TLS_OFF);
	n = run(&h, &m, 5, out, sizeof(out));
	check_int(h.result, HS_TRANSMISSION);
	check(h.export_meta);
	check_int(reply_type(out, n, 0, NULL, NULL), NBD_REP_ERR_INVALID);
	check_int(reply_type(out, n, 1, NULL, NULL), NBD_REP_ACK);
	check_int(reply_type(out, n, 2, &d, &len), NBD_REP_META_CONTEXT);
	check(len == 19 && memcmp(d + 4, "base:allocation", 15) == 0);
	check_int(reply_type(out, n, 3, NULL, NULL), NBD_REP_ACK);
	check_int(reply_type(out, n, 4, NULL, NULL), NBD_REP_ERR_INVALID);
	check_int(reply_type(out, n, 5, &d, &len), NBD_REP_META_CONTEXT);
	check_int(get32(d), NBD_META_ALLOCATION_ID);
	check_int(reply_type(out, n, 6, NULL, NULL), NBD_REP_ACK);
	hs_free(&h);

	/* Contexts set for another name do not apply. */
	m.n = 0;
	put_flags(&m, NBD_FLAG_C_FIXED_NEWSTYLE);
	put_opt(&m, NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	meta_msg(&m, NBD_OPT_SET_META_CONTEXT, "disk", 1, alloc);
	go_msg(&m, "", 0, NULL);
	hs(&h, TLS_OFF);
	run(&h, &m, 0, out, sizeof(out));
	check_int(h.result, HS_TRANSMISSION);
	check(!h.export_meta);
	hs_free(&h);
}

struct req {
	uint8_t b[1 << 16];
	size_t n;
};

static void put_req(struct req *r, uint16_t flags, uint16_t type, uint64_t handle,
		    uint64_t off, uint32_t len)
{
	put32(r->b + r->n, NBD_REQUEST_MAGIC);
	put16(r->b + r->n + 4, flags);
	put16(r->b + r->n + 6, type);
	put64(r->b + r->n + 8, handle);
	put64(r->b + r->n + 16, off);
	put32(r->b + r->n + 24, len);
	r->n += 28;
}

static size_t tx_run(struct tx *t, const struct req *r, size_t step, uint8_t *out,
		     size_t max)
{
	struct outq q;
	size_t pos = 0, n;

	outq_init(&q);
	while (pos < r->n && !t->disc && !t->why) {
		size_t len = step ? MIN(step, r->n - pos) : r->n - pos;
		ssize_t k = tx_feed(t, r->b + pos, len, &q, SIZE_MAX);

		check(k >= 0);
		pos += k;
	}
	n = drain(&q, out, max);
	outq_clear(&q);
	return n;
}

static void check_data(const uint8_t *p, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(off + i)) {
			fprintf(stderr, "data differs at %zu\n", (size_t)(off + i));
			exit(1);
		}
}

static void test_simple_reads(void)
{
	static uint8_t out1[1 << 20], out2[1 << 20];
	static struct req r;
	struct tx t;
	size_t n1, n2, pos = 0;

	r.n = 0;
	put_req(&r, 0, NBD_CMD_READ, 1, 0, 4096);
	put_req(&r, 0, NBD_CMD_READ, 2, 12345, 300000); /* a large one, from the file */
	put_req(&r, 0, NBD_CMD_WRITE, 3, 0, 100); /* read-only: EPERM after the payload */
	memset(r.b + r.n, 'w', 100);
	r.n += 100;
	put_req(&r, 0, NBD_CMD_READ, 4, SIZE - 10, 20); /* beyond the end */
	put_req(&r, 0, 77, 5, 0, 0); /* unknown command */
	put_req(&r, NBD_CMD_FLAG_DF, NBD_CMD_READ, 6, 0, 1); /* DF without structured
								replies */
	put_req(&r, 0, NBD_CMD_BLOCK_STATUS, 7, 0, 512); /* no context selected */
	put_req(&r, 0, NBD_CMD_FLUSH, 8, 0, 0);
	put_req(&r, 0, NBD_CMD_CACHE, 9, 0, 65536);
	put_req(&r, 0, NBD_CMD_READ, 10, SIZE - 1, 1);
	put_req(&r, 0, NBD_CMD_DISC, 11, 0, 0);
	put_req(&r, 0, NBD_CMD_READ, 12, 0, 1); /* after DISC: never executed */

	tx_init(&t, export_ref(disk), false, false, true);
	n1 = tx_run(&t, &r, 0, out1, sizeof(out1));
	check(t.disc);
	tx_free(&t);
	tx_init(&t, export_ref(disk), false, false, true);
	n2 = tx_run(&t, &r, 7, out2, sizeof(out2));
	tx_free(&t);
	check_int(n1, n2);
	check(memcmp(out1, out2, n1) == 0);

	static const struct {
		uint64_t handle;
		uint32_t err;
		uint64_t off;
		uint32_t len;
	} want[] = {
		{ 1, 0, 0, 4096 },	 { 2, 0, 12345, 300000 }, { 3, NBD_EPERM, 0, 0 },
		{ 4, NBD_EINVAL, 0, 0 }, { 5, NBD_EINVAL, 0, 0 }, { 6, NBD_EINVAL, 0, 0 },
		{ 7, NBD_EINVAL, 0, 0 }, { 8, 0, 0, 0 },	  { 9, 0, 0, 0 },
		{ 10, 0, SIZE - 1, 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		check(pos + 16 <= n1);
		check(get32(out1 + pos) == NBD_SIMPLE_REPLY_MAGIC);
		check_int(get32(out1 + pos + 4), want[i].err);
		check_int(get64(out1 + pos + 8), want[i].handle);
		pos += 16;
		check_data(out1 + pos, want[i].off, want[i].len);
		pos += want[i].len;
	}
	check_int(pos, n1);
}

static void test_structured(void)
{
	static uint8_t out[1 << 20];
	static struct req r;
	struct tx t;
	size_t n, pos = 0;

	r.n = 0;
	put_req(&r, NBD_CMD_FLAG_DF, NBD_CMD_READ, 1, 100, 1000);
	put_req(&r, 0, NBD_CMD_READ, 2, 0, 0x7fffffff); /* too long */
	put_req(&r, NBD_CMD_FLAG_REQ_ONE, NBD_CMD_BLOCK_STATUS, 3, 0, 4096);
	put_req(&r, 0, NBD_CMD_READ, 4, 4096, 400000);
	tx_init(&t, export_ref(disk), true, true, true);
	n = tx_run(&t, &r, 0, out, sizeof(out));
	tx_free(&t);

	/* 1: one data chunk, final. */
	check(get32(out) == NBD_STRUCTURED_REPLY_MAGIC);
	check_int(get16(out + 4), NBD_REPLY_FLAG_DONE);
	check_int(get16(out + 6), NBD_REPLY_TYPE_OFFSET_DATA);
	check_int(get64(out + 8), 1);
	check_int(get32(out + 16), 1008);
	check_int(get64(out + 20), 100);
	check_data(out + 28, 100, 1000);
	pos = 28 + 1000;
	/* 2: an error chunk with a message. */
	check_int(get16(out + pos + 4), NBD_REPLY_FLAG_DONE);
	check_int(get16(out + pos + 6), NBD_REPLY_TYPE_ERROR);
	check_int(get32(out + pos + 20), NBD_EINVAL);
	check(get16(out + pos + 24) > 0);
	pos += 20 + get32(out + pos + 16);
	/* 3: one extent, no longer than asked. */
	check_int(get16(out + pos + 6), NBD_REPLY_TYPE_BLOCK_STATUS);
	check_int(get32(out + pos + 16), 12);
	check_int(get32(out + pos + 20), NBD_META_ALLOCATION_ID);
	check_int(get32(out + pos + 24), 4096);
	pos += 32;
	/* 4: a data chunk sent from the file, then the final NONE chunk. */
	check_int(get16(out + pos + 6), NBD_REPLY_TYPE_OFFSET_DATA);
	check_int(get64(out + pos + 20), 4096);
	check_data(out + pos + 28, 4096, 400000);
	pos += 28 + 400000;
	check_int(get16(out + pos + 4), NBD_REPLY_FLAG_DONE);
	check_int(get16(out + pos + 6), NBD_REPLY_TYPE_NONE);
	check_int(get64(out + pos + 8), 4);
	check_int(pos + 20, n);
}

static void test_request_check(void)
{
	struct tx t;
	struct nbd_request r = { .type = NBD_CMD_WRITE, .len = 0xffffffff };
	uint64_t payload;
	bool fatal;
	uint8_t hdr[28] = { 0 };

	check_int(nbd_request_parse(hdr, &r), -EBADMSG);
	r = (struct nbd_request){ .type = NBD_CMD_WRITE, .len = 0xffffffff };
	tx_init(&t, export_ref(disk), false, false, true);
	nbd_request_check(&t, &r, &payload, &fatal);
	check(fatal); /* a 4 GiB payload is not worth reading */
	r.len = 512;
	check_int(nbd_request_check(&t, &r, &payload, &fatal), NBD_EPERM);
	check(!fatal);
	check_int(payload, 512);
	r = (struct nbd_request){ .type = NBD_CMD_READ,
				  .offset = UINT64_MAX - 10,
				  .len = 100 };
	check_int(nbd_request_check(&t, &r, &payload, &fatal), NBD_EINVAL); /* wraps
									       around */
	r = (struct nbd_request){ .type = NBD_CMD_READ,
				  .flags = NBD_CMD_FLAG_FUA,
				  .len = 1 };
	check_int(nbd_request_check(&t, &r, &payload, &fatal), NBD_EINVAL); /* FUA not
									       offered */
	r = (struct nbd_request){ .type = NBD_CMD_READ, .flags = 0x8000, .len = 1 };
	check_int(nbd_request_check(&t, &r, &payload, &fatal), NBD_EINVAL);
	r = (struct nbd_request){ .type = NBD_CMD_TRIM, .len = 1 };
	check_int(nbd_request_check(&t, &r, &payload, &fatal), NBD_EPERM);
	r = (struct nbd_request){ .type = NBD_CMD_READ, .offset = SIZE, .len = 0 };
	check_int(nbd_request_check(&t, &r, &payload, &fatal), 0);
	tx_free(&t);
}

/* The image shrinks while a large read is queued as a file range. */
static void test_short_file(void)
{
	static uint8_t out[1 << 20];
	static struct req r;
	struct export *e;
	struct tx t;
	struct outq q;
	uint8_t scratch[4096];
	struct outq_chunk ch;
	size_t n = 0;
	int fd = memfd_create("shrinks", 0);

	check(fd >= 0);
	check_int(ftruncate(fd, SIZE), 0);
	check_int(export_new_fd("shrinks", fd, true, &e), 0);
	r.n = 0;
	put_req(&r, 0, NBD_CMD_READ, 1, 0, 600000);
	put_req(&r, 0, NBD_CMD_READ, 2, 0, 512);

	/* Structured: the chunk is completed with zeroes, then an error, then the end. */
	tx_init(&t, export_ref(e), true, false, true);
	outq_init(&q);
	check_int(tx_feed(&t, r.b, r.n, &q, SIZE_MAX), r.n);
	check_int(ftruncate(fd, 100000), 0);
	n = drain(&q, out, sizeof(out));
	check_int(get16(out + 6), NBD_REPLY_TYPE_OFFSET_DATA);
	check_int(get32(out + 16), 600008);
	size_t pos = 28 + 600000;
	check_int(get16(out + pos + 6), NBD_REPLY_TYPE_ERROR);
	check_int(get32(out + pos + 20), NBD_EIO);
	pos += 20 + get32(out + pos + 16);
	check_int(get16(out + pos + 4), NBD_REPLY_FLAG_DONE);
	check_int(get16(out + pos + 6), NBD_REPLY_TYPE_NONE);
	check_int(get64(out + pos + 8), 1);
	pos += 20;
	check_int(get64(out + pos + 8), 2); /* the next reply follows, in sync */
	check_int(n, pos + 28 + 512);
	tx_free(&t);

	/* Simple replies cannot say it: the connection must be dropped. */
	check_int(ftruncate(fd, SIZE), 0);
	tx_init(&t, export_ref(e), false, false, true);
	check_int(tx_feed(&t, r.b, r.n, &q, SIZE_MAX), r.n);
	check_int(ftruncate(fd, 100000), 0);
	for (;;) {
		int rr = outq_peek(&q, scratch, sizeof(scratch), &ch);

		if (rr < 0)
			break; /* the error the server drops the client for */
		check(ch.len > 0);
		outq_consume(&q, ch.len);
	}
	outq_clear(&q);
	tx_free(&t);

	/* The same through a socket, sent from the mapping (EFAULT, not SIGBUS). */
	int sv[2];
	check_int(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	check_int(ftruncate(fd, SIZE), 0);
	tx_init(&t, export_ref(e), true, false, true);
	check(e->map);
	check_int(tx_feed(&t, r.b, r.n, &q, SIZE_MAX), r.n);
	check_int(ftruncate(fd, 100000), 0);
	if (fork() == 0) {
		int rr;

		close(sv[0]);
		while ((rr = outq_send(&q, sv[1])) == -EAGAIN)
			usleep(1000);
		_exit(rr == 0 ? 0 : 1);
	}
	close(sv[1]);
	n = 0;
	for (;;) {
		ssize_t k = read(sv[0], out + n, sizeof(out) - n);
		check(k >= 0);
		if (k == 0)
			break;
		n += k;
	}
	int status;
	check(wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pos = 28 + 600000;
	check_int(get16(out + pos + 6), NBD_REPLY_TYPE_ERROR);
	pos += 20 + get32(out + pos + 16);
	check_int(get16(out + pos + 6), NBD_REPLY_TYPE_NONE);
	check_int(n, pos + 20 + 28 + 512);
	outq_clear(&q);
	tx_free(&t);
	export_unref(e);
}

static void setup(void)
{
	log_set_level(0);
	make_disk();
}

#define CASE(fn)                \
	static void fn##_(void) \
	{                       \
		setup();        \
		fn();           \
	}
CASE(test_greeting)
CASE(test_go)
CASE(test_export_name)
CASE(test_errors)
CASE(test_tls_required)
CASE(test_meta)
CASE(test_simple_reads)
CASE(test_structured)
CASE(test_request_check)
CASE(test_short_file)

TAP_MAIN(TAP_CASE(test_greeting_), TAP_CASE(test_go_), TAP_CASE(test_export_name_),
	 TAP_CASE(test_errors_), TAP_CASE(test_tls_required_), TAP_CASE(test_meta_),
	 TAP_CASE(test_simple_reads_), TAP_CASE(test_structured_),
	 TAP_CASE(test_request_check_), TAP_CASE(test_short_file_))
