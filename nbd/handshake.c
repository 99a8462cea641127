// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handshake.h"
#include "macro.h"
#include "proto.h"

void hs_init(struct handshake *h, const struct hs_ops *ops, void *opaque,
	     enum tls_mode tls, unsigned int max_options)
{
	*h = (struct handshake){
		.ops = ops,
		.opaque = opaque,
		.tls_mode = tls,
		.max_options = max_options,
		.state = HS_S_FLAGS,
		.result = HS_CONTINUE,
	};
}

void hs_free(struct handshake *h)
{
	free(h->data);
	h->data = NULL;
	free(h->meta_export);
	h->meta_export = NULL;
	export_unref(h->export);
	h->export = NULL;
}

int hs_greeting(struct handshake *h, struct outq *out)
{
	uint8_t *p = outq_reserve(out, 18);

	if (!p)
		return -ENOMEM;
	put64(p, NBD_MAGIC);
	put64(p + 8, NBD_IHAVEOPT);
	put16(p + 16, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	return 0;
}

void hs_tls_started(struct handshake *h)
{
	h->tls = true;
	h->structured = false;
	h->meta_allocation = false;
	free(h->meta_export);
	h->meta_export = NULL;
	h->result = HS_CONTINUE;
}

static int reply(struct outq *out, uint32_t opt, uint32_t type, const void *data,
		 size_t len)
{
	uint8_t *p = outq_reserve(out, 20 + len);

	if (!p)
		return -ENOMEM;
	put64(p, NBD_REP_MAGIC);
	put32(p + 8, opt);
	put32(p + 12, type);
	put32(p + 16, len);
	if (len)
		memcpy(p + 20, data, len);
	return 0;
}

static int reply_err(struct outq *out, uint32_t opt, uint32_t type, const char *msg)
{
	return reply(out, opt, type, msg, strlen(msg));
}

static void finish(struct handshake *h, enum hs_result r, const char *why)
{
	h->result = r;
	h->why = why;
	if (r != HS_CONTINUE && r != HS_STARTTLS)
		h->state = HS_S_DONE;
}

/* Does TLS policy keep this connection from doing anything but STARTTLS/ABORT? */
static bool tls_required(const struct handshake *h)
{
	return h->tls_mode == TLS_REQUIRE && !h->tls;
}

/* A valid NBD string: no NUL, at most 4096 bytes. */
static bool valid_string(const uint8_t *p, size_t len)
{
	return len <= NBD_MAX_STRING && !memchr(p, '\0', len);
}

struct list_ctx {
	struct outq *out;
	int r;
};

static int list_one(void *data, const char *name, const char *desc)
{
	struct list_ctx *lc = data;
	size_t nl = strlen(name), dl = desc ? strlen(desc) : 0;
	uint8_t *p = outq_reserve(lc->out, 20 + 4 + nl + dl);

	if (!p)
		return lc->r = -ENOMEM;
	put64(p, NBD_REP_MAGIC);
	put32(p + 8, NBD_OPT_LIST);
	put32(p + 12, NBD_REP_SERVER);
	put32(p + 16, 4 + nl + dl);
	put32(p + 20, nl);
	memcpy(p + 24, name, nl);
	if (dl)
		memcpy(p + 24 + nl, desc, dl);
	return 0;
}

static int opt_list(struct handshake *h, struct outq *out)
{
	struct list_ctx lc = { .out = out };

	if (h->optlen != 0)
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID, "LIST takes no data");
	h->ops->list(h->opaque, list_one, &lc);
	if (lc.r < 0)
		return lc.r;
	return reply(out, h->opt, NBD_REP_ACK, NULL, 0);
}

static int info_reply(struct outq *out, uint32_t opt, uint16_t type, const void *data,
		      size_t len)
{
	uint8_t *p = outq_reserve(out, 20 + 2 + len);

	if (!p)
		return -ENOMEM;
	put64(p, NBD_REP_MAGIC);
	put32(p + 8, opt);
	put32(p + 12, NBD_REP_INFO);
	put32(p + 16, 2 + len);
	put16(p + 20, type);
	if (len)
		memcpy(p + 22, data, len);
	return 0;
}

static int lookup_error(struct handshake *h, struct outq *out, int r, const char *name)
{
	char msg[160];

	if (r == -EACCES) {
		snprintf(msg, sizeof(msg), "access to export '%.100s' is not allowed",
			 name);
		return reply_err(out, h->opt, NBD_REP_ERR_POLICY, msg);
	}
	if (r == -ENOENT) {
		snprintf(msg, sizeof(msg), "no export named '%.100s'", name);
		return reply_err(out, h->opt, NBD_REP_ERR_UNKNOWN, msg);
	}
	return reply_err(out, h->opt, NBD_REP_ERR_UNKNOWN, "export cannot be served");
}

static int opt_info_go(struct handshake *h, struct outq *out)
{
	const uint8_t *d = h->data;
	uint32_t len = h->optlen, namelen;
	uint16_t nreq;
	char name[NBD_MAX_STRING + 1];
	struct export *e = NULL;
	uint8_t buf[12];
	bool want_name = false, want_desc = false;
	int r;

	if (len < 6)
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID, "option too short");
	namelen = get32(d);
	if (namelen > len - 6)
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID,
				 "name length too large");
	nreq = get16(d + 4 + namelen);
	if ((uint64_t)4 + namelen + 2 + 2ull * nreq != len)
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID,
				 "option length mismatch");
	if (!valid_string(d + 4, namelen))
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID, "invalid export name");
	for (uint16_t i = 0; i < nreq; i++) {
		uint16_t t = get16(d + 4 + namelen + 2 + 2 * i);
		if (t == NBD_INFO_NAME)
			want_name = true;
		else if (t == NBD_INFO_DESCRIPTION)
			want_desc = true;
	}
	memcpy(name, d + 4, namelen);
	name[namelen] = '\0';
	r = h->ops->get(h->opaque, name, &e);
	if (r < 0)
		return lookup_error(h, out, r, name);

	put64(buf, e->size);
	put16(buf + 8, export_tflags(e, h->structured));
	r = info_reply(out, h->opt, NBD_INFO_EXPORT, buf, 10);
	/*
	 * The canonical name names the generation (NAME@ID), so that a client
	 * can ask for exactly this one again when it reconnects.
	 */
	if (r == 0 && want_name)
		r = info_reply(out, h->opt, NBD_INFO_NAME, e->canonical,
			       strlen(e->canonical));
	const char *desc = e->info_desc ? e->info_desc : e->description;
	if (r == 0 && want_desc && desc)
		r = info_reply(out, h->opt, NBD_INFO_DESCRIPTION, desc, strlen(desc));
	if (r == 0) {
		/* Sent whether asked or not: these are the defaults, stated. */
		put32(buf, 1);
		put32(buf + 4, NBD_PREF_BLOCK);
		put32(buf + 8, NBD_MAX_BLOCK);
		r = info_reply(out, h->opt, NBD_INFO_BLOCK_SIZE, buf, 12);
	}
	if (r == 0)
		r = reply(out, h->opt, NBD_REP_ACK, NULL, 0);
	if (r < 0 || h->opt == NBD_OPT_INFO) {
		export_unref(e);
		return r;
	}
	h->export = e;
	h->export_meta = h->meta_allocation && h->meta_export &&
			 strcmp(h->meta_export, name) == 0;
	finish(h, HS_TRANSMISSION, NULL);
	return 0;
}

static int opt_export_name(struct handshake *h, struct outq *out)
{
	char name[NBD_MAX_STRING + 1];
	struct export *e = NULL;
	uint8_t *p;
	size_t n = h->no_zeroes ? 10 : 134;

	if (tls_required(h) || (h->tls_mode == TLS_REQUIRE && !h->fixed)) {
		finish(h, HS_CLOSE, "EXPORT_NAME without TLS, which is required");
		return 0;
	}
	if (!valid_string(h->data, h->optlen)) {
		finish(h, HS_CLOSE, "invalid export name");
		return 0;
	}
	memcpy(name, h->data, h->optlen);
	name[h->optlen] = '\0';
	if (h->ops->get(h->opaque, name, &e) < 0) {
		finish(h, HS_CLOSE, "unknown or forbidden export");
		return 0;
	}
	p = outq_reserve(out, n);
	if (!p) {
		export_unref(e);
		return -ENOMEM;
	}
	memset(p, 0, n);
	put64(p, e->size);
	put16(p + 8, export_tflags(e, h->structured));
	h->export = e;
	h->export_meta = h->meta_allocation && h->meta_export &&
			 strcmp(h->meta_export, name) == 0;
	finish(h, HS_TRANSMISSION, NULL);
	return 0;
}

static int meta_reply(struct outq *out, uint32_t opt, uint32_t id, const char *name)
{
	size_t nl = strlen(name);
	uint8_t *p = outq_reserve(out, 24 + nl);

	if (!p)
		return -ENOMEM;
	put64(p, NBD_REP_MAGIC);
	put32(p + 8, opt);
	put32(p + 12, NBD_REP_META_CONTEXT);
	put32(p + 16, 4 + nl);
	put32(p + 20, id);
	memcpy(p + 24, name, nl);
	return 0;
}

static int opt_meta(struct handshake *h, struct outq *out)
{
	bool set = h->opt == NBD_OPT_SET_META_CONTEXT;
	const uint8_t *d = h->data;
	uint32_t len = h->optlen, namelen, nq;
	size_t pos;
	char name[NBD_MAX_STRING + 1];
	struct export *e = NULL;
	bool match = false;
	int r;

	if (set) {
		/* Replaced even when this request fails. */
		h->meta_allocation = false;
		free(h->meta_export);
		h->meta_export = NULL;
	}
	if (!h->structured)
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID,
				 "structured replies must be negotiated first");
	if (len < 8)
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID, "option too short");
	namelen = get32(d);
	if (namelen > len - 8)
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID,
				 "name length too large");
	if (!valid_string(d + 4, namelen))
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID, "invalid export name");
	nq = get32(d + 4 + namelen);
	pos = 8 + namelen;
	/* Check the whole request before acting on any of it. */
	for (uint32_t i = 0; i < nq; i++) {
		uint32_t ql;
		const uint8_t *q;

		if (len - pos < 4)
			return reply_err(out, h->opt, NBD_REP_ERR_INVALID,
					 "truncated query");
		ql = get32(d + pos);
		if (ql > len - pos - 4)
			return reply_err(out, h->opt, NBD_REP_ERR_INVALID,
					 "query length too large");
		q = d + pos + 4;
		if (!valid_string(q, ql) || !memchr(q, ':', ql))
			return reply_err(out, h->opt, NBD_REP_ERR_INVALID,
					 "a query is 'namespace:leaf'");
		pos += 4 + ql;
	}
	if (pos != len)
		return reply_err(out, h->opt, NBD_REP_ERR_INVALID,
				 "option length mismatch");
	memcpy(name, d + 4, namelen);
	name[namelen] = '\0';
	r = h->ops->get(h->opaque, name, &e);
	if (r < 0)
		return lookup_error(h, out, r, name);
	export_unref(e);

	if (nq == 0) {
		/* LIST: everything there is; SET: nothing. */
		match = !set;
	}
	pos = 8 + namelen;
	for (uint32_t i = 0; i < nq; i++) {
		uint32_t ql = get32(d + pos);
		const char *q = (const char *)d + pos + 4;

		if ((ql == 15 && memcmp(q, "base:allocation", 15) == 0) ||
		    (!set && ql == 5 && memcmp(q, "base:", 5) == 0))
			match = true;
		pos += 4 + ql;
	}
	if (match) {
		r = meta_reply(out, h->opt, set ? NBD_META_ALLOCATION_ID : 0,
			       "base:allocation");
		if (r < 0)
			return r;
		if (set) {
			h->meta_allocation = true;
			h->meta_export = strdup(name);
			if (!h->meta_export)
				return -ENOMEM;
		}
	}
	return reply(out, h->opt, NBD_REP_ACK, NULL, 0);
}

static int option(struct handshake *h, struct outq *out)
{
	uint32_t opt = h->opt;
	bool oversized = h->optlen > NBD_MAX_OPTION_DATA;

	if (opt == NBD_OPT_EXPORT_NAME)
		return opt_export_name(h, out);
	if (opt == NBD_OPT_ABORT) {
		finish(h, HS_CLOSE, NULL);
		return reply(out, opt, NBD_REP_ACK, NULL, 0);
	}
	if (opt == NBD_OPT_STARTTLS) {
		if (h->optlen != 0)
			return reply_err(out, opt, NBD_REP_ERR_INVALID,
					 "STARTTLS takes no data");
		if (h->tls)
			return reply_err(out, opt, NBD_REP_ERR_INVALID,
					 "TLS is already running");
		if (h->tls_mode == TLS_OFF || !h->fixed)
			return reply_err(out, opt, NBD_REP_ERR_POLICY,
					 "TLS is not offered");
		finish(h, HS_STARTTLS, NULL);
		return reply(out, opt, NBD_REP_ACK, NULL, 0);
	}
	if (tls_required(h)) {
		/* Only a fixed-newstyle client may be told to upgrade. */
		if (!h->fixed)
			return reply_err(out, opt, NBD_REP_ERR_POLICY,
					 "this server requires TLS");
		return reply_err(out, opt, NBD_REP_ERR_TLS_REQD, "TLS is required");
	}
	switch (opt) {
	case NBD_OPT_LIST:
	case NBD_OPT_INFO:
	case NBD_OPT_GO:
	case NBD_OPT_STRUCTURED_REPLY:
	case NBD_OPT_LIST_META_CONTEXT:
	case NBD_OPT_SET_META_CONTEXT:
		if (oversized) {
			if (opt == NBD_OPT_SET_META_CONTEXT) {
				h->meta_allocation = false;
				free(h->meta_export);
				h->meta_export = NULL;
			}
			return reply_err(out, opt, NBD_REP_ERR_TOO_BIG,
					 "option data too large");
		}
		break;
	default:
		return reply_err(out, opt, NBD_REP_ERR_UNSUP, "option not supported");
	}
	switch (opt) {
	case NBD_OPT_LIST:
		return opt_list(h, out);
	case NBD_OPT_INFO:
	case NBD_OPT_GO:
		return opt_info_go(h, out);
	case NBD_OPT_STRUCTURED_REPLY:
		if (h->optlen != 0)
			return reply_err(out, opt, NBD_REP_ERR_INVALID,
					 "STRUCTURED_REPLY takes no data");
		h->structured = true;
		return reply(out, opt, NBD_REP_ACK, NULL, 0);
	default:
		return opt_meta(h, out);
	}
}

ssize_t hs_feed(struct handshake *h, const uint8_t *in, size_t len, struct outq *out)
{
	size_t pos = 0;
	int r;

	while (h->result == HS_CONTINUE && h->state != HS_S_DONE) {
		size_t n;

		switch (h->state) {
		case HS_S_FLAGS:
		case HS_S_OPT_HEADER: {
			size_t need = h->state == HS_S_FLAGS ? 4 : 16;

			n = MIN(need - h->hdr_got, len - pos);
			memcpy(h->hdr + h->hdr_got, in + pos, n);
			h->hdr_got += n;
			pos += n;
			if (h->hdr_got < need)
				return pos;
			h->hdr_got = 0;
			if (h->state == HS_S_FLAGS) {
				uint32_t f = get32(h->hdr);

				if (f &
				    ~(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)) {
					finish(h, HS_CLOSE, "unknown client flags");
					return pos;
				}
				h->fixed = f & NBD_FLAG_C_FIXED_NEWSTYLE;
				h->no_zeroes = f & NBD_FLAG_C_NO_ZEROES;
				h->state = HS_S_OPT_HEADER;
				break;
			}
			if (get64(h->hdr) != NBD_IHAVEOPT) {
				finish(h, HS_CLOSE, "bad option magic");
				return pos;
			}
			h->opt = get32(h->hdr + 8);
			h->optlen = get32(h->hdr + 12);
			if (++h->options > h->max_options) {
				finish(h, HS_CLOSE, "too many options");
				return pos;
			}
			if (h->opt == NBD_OPT_EXPORT_NAME && h->optlen > NBD_MAX_STRING) {
				finish(h, HS_CLOSE, "export name too long");
				return pos;
			}
			if (h->optlen > NBD_MAX_OPTION_SKIP) {
				finish(h, HS_CLOSE, "option data too large");
				return pos;
			}
			if (h->optlen > NBD_MAX_OPTION_DATA) {
				h->skip = h->optlen;
				h->state = HS_S_OPT_SKIP;
				break;
			}
			free(h->data);
			h->data = malloc(h->optlen ? h->optlen : 1);
			if (!h->data)
				return -ENOMEM;
			h->data_got = 0;
			h->state = HS_S_OPT_DATA;
			break;
		}
		case HS_S_OPT_DATA:
			n = MIN(h->optlen - h->data_got, len - pos);
			memcpy(h->data + h->data_got, in + pos, n);
			h->data_got += n;
			pos += n;
			if (h->data_got < h->optlen)
				return pos;
			h->state = HS_S_OPT_HEADER;
			r = option(h, out);
			free(h->data);
			h->data = NULL;
			if (r < 0)
				return r;
			break;
		case HS_S_OPT_SKIP:
			n = MIN(h->skip, len - pos);
			h->skip -= n;
			pos += n;
			if (h->skip)
				return pos;
			h->state = HS_S_OPT_HEADER;
			r = option(h, out);
			if (r < 0)
				return r;
			break;
		case HS_S_DONE:
			break;
		}
		if (pos == len && h->state != HS_S_OPT_DATA)
			break;
	}
	return pos;
}
