// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cow.h"
#include "io.h"
#include "macro.h"
#include "proto.h"
#include "transmission.h"

int nbd_request_parse(const uint8_t *p, struct nbd_request *r)
{
	if (get32(p) != NBD_REQUEST_MAGIC)
		return -EBADMSG;
	r->flags = get16(p + 4);
	r->type = get16(p + 6);
	r->handle = get64(p + 8);
	r->offset = get64(p + 16);
	r->len = get32(p + 24);
	return 0;
}

static bool in_range(const struct tx *t, const struct nbd_request *r)
{
	uint64_t size = t->e->size;

	return r->offset <= size && r->len <= size - r->offset;
}

uint32_t nbd_request_check(const struct tx *t, const struct nbd_request *r,
			   uint64_t *payload, bool *fatal)
{
	uint16_t allowed = 0;
	bool writable = export_writable(t->e);

	*payload = 0;
	*fatal = false;
	if (t->tflags & NBD_FLAG_SEND_FUA)
		allowed |= NBD_CMD_FLAG_FUA;
	switch (r->type) {
	case NBD_CMD_WRITE:
		/* Past this, reading the payload only to drop it is not worth it. */
		if (r->len > NBD_MAX_BLOCK) {
			*fatal = true;
			return NBD_EINVAL;
		}
		*payload = r->len;
		if (r->flags & ~allowed)
			return NBD_EINVAL;
		if (!writable)
			return NBD_EPERM;
		return in_range(t, r) ? 0 : NBD_ENOSPC;
	case NBD_CMD_READ:
		if (t->tflags & NBD_FLAG_SEND_DF)
			allowed |= NBD_CMD_FLAG_DF;
		if (r->flags & ~allowed)
			return NBD_EINVAL;
		if (r->len > NBD_MAX_BLOCK || !in_range(t, r))
			return NBD_EINVAL;
		return 0;
	case NBD_CMD_DISC:
		return 0;
	case NBD_CMD_FLUSH:
		if (r->flags & ~allowed)
			return NBD_EINVAL;
		return r->offset || r->len ? NBD_EINVAL : 0;
	case NBD_CMD_TRIM:
		if (r->flags & ~allowed)
			return NBD_EINVAL;
		if (!writable)
			return NBD_EPERM;
		return in_range(t, r) ? 0 : NBD_EINVAL;
	case NBD_CMD_WRITE_ZEROES:
		if (!(t->tflags & NBD_FLAG_SEND_WRITE_ZEROES))
			return writable ? NBD_EINVAL : NBD_EPERM;
		allowed |= NBD_CMD_FLAG_NO_HOLE;
		if (r->flags & ~allowed)
			return NBD_EINVAL;
		return in_range(t, r) ? 0 : NBD_ENOSPC;
	case NBD_CMD_CACHE:
		if (r->flags & ~allowed)
			return NBD_EINVAL;
		if (r->len > NBD_MAX_BLOCK || !in_range(t, r))
			return NBD_EINVAL;
		return 0;
	case NBD_CMD_BLOCK_STATUS:
		allowed |= NBD_CMD_FLAG_REQ_ONE;
		if (r->flags & ~allowed)
			return NBD_EINVAL;
		if (!t->meta || r->len == 0 || !in_range(t, r))
			return NBD_EINVAL;
		return 0;
	default:
		return NBD_EINVAL;
	}
}

void tx_init(struct tx *t, struct export *e, bool structured, bool meta, bool zero_copy)
{
	*t = (struct tx){
		.e = e,
		.structured = structured,
		.meta = meta && structured,
		.zero_copy = zero_copy,
		.tflags = export_tflags(e, structured),
		.serve_until = UINT64_MAX,
	};
}

void tx_free(struct tx *t)
{
	/* A job still running is freed by the pool; a done one where it is listed. */
	if (t->job)
		cow_job_abandon(t->job);
	t->job = NULL;
	free(t->wbuf);
	t->wbuf = NULL;
	if (t->cow)
		cow_close(t->cow);
	t->cow = NULL;
	export_unref(t->e);
	t->e = NULL;
}

static uint32_t errno_to_nbd(int r)
{
	switch (-r) {
	case EPERM:
	case EROFS:
		return NBD_EPERM;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return NBD_ENOSPC;
	case ENOMEM:
		return NBD_ENOMEM;
	case EINVAL:
		return NBD_EINVAL;
	default:
		return NBD_EIO;
	}
}

static const char *nbd_strerror(uint32_t err)
{
	switch (err) {
	case NBD_EPERM:
		return "export is read-only";
	case NBD_EINVAL:
		return "invalid request";
	case NBD_ENOSPC:
		return "beyond the end of the export";
	case NBD_ENOMEM:
		return "out of memory";
	case NBD_ESHUTDOWN:
		return "server is shutting down";
	default:
		return "input/output error";
	}
}

static int simple_reply(struct outq *q, uint64_t handle, uint32_t err)
{
	uint8_t *p = outq_reserve(q, NBD_SIMPLE_REPLY_SIZE);

	if (!p)
		return -ENOMEM;
	put32(p, NBD_SIMPLE_REPLY_MAGIC);
	put32(p + 4, err);
	put64(p + 8, handle);
	return 0;
}

static void chunk_header(uint8_t *p, uint16_t flags, uint16_t type, uint64_t handle,
			 uint32_t len)
{
	put32(p, NBD_STRUCTURED_REPLY_MAGIC);
	put16(p + 4, flags);
	put16(p + 6, type);
	put64(p + 8, handle);
	put32(p + 16, len);
}

static int reply_ok(struct tx *t, struct outq *q, uint64_t handle)
{
	uint8_t *p;

	if (!t->structured)
		return simple_reply(q, handle, 0);
	p = outq_reserve(q, NBD_STRUCTURED_REPLY_SIZE);
	if (!p)
		return -ENOMEM;
	chunk_header(p, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, handle, 0);
	return 0;
}

static int reply_err(struct tx *t, struct outq *q, uint64_t handle, uint32_t err)
{
	const char *msg = nbd_strerror(err);
	size_t ml = strlen(msg);
	uint8_t *p;

	if (!t->structured)
		return simple_reply(q, handle, err);
	p = outq_reserve(q, NBD_STRUCTURED_REPLY_SIZE + 6 + ml);
	if (!p)
		return -ENOMEM;
	chunk_header(p, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR, handle, 6 + ml);
	put32(p + 20, err);
	put16(p + 24, ml);
	memcpy(p + 26, msg, ml);
	return 0;
}

/* Fill buf with len bytes at off of what this client sees. */
static int read_into(struct tx *t, uint8_t *buf, uint32_t len, uint64_t off)
{
	size_t done = 0;

	if (t->cow)
		return cow_pread(t->cow, buf, len, off);
	while (done < len) {
		ssize_t n = pread(t->e->fd, buf + done, len - done, off + done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* the file shrank under us */
		done += n;
	}
	return 0;
}

/* The header of a successful read's reply, for a reply of one chunk. */
static void read_header(struct tx *t, uint8_t *p, const struct nbd_request *r)
{
	if (t->structured) {
		chunk_header(p, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA,
			     r->handle, 8 + r->len);
		put64(p + 20, r->offset);
	} else {
		put32(p, NBD_SIMPLE_REPLY_MAGIC);
		put32(p + 4, 0);
		put64(p + 8, r->handle);
	}
}

static int cmd_read(struct tx *t, const struct nbd_request *r, struct outq *q)
{
	size_t hl = t->structured ? NBD_STRUCTURED_REPLY_SIZE + 8 : NBD_SIMPLE_REPLY_SIZE;
	uint8_t *p;
	int rr;

	if (r->len == 0)
		return reply_ok(t, q, r->handle);

	if (t->zero_copy && !t->cow &&
	    (r->len > TX_COPY_MAX || (r->len >= TX_MAP_MIN && t->e->map))) {
		/* Sending uncached data would stall every client of this loop. */
		if (t->nowait && !export_cached(t->e, r->offset, r->len))
			return -EAGAIN;
		p = outq_reserve(q, hl);
		if (!p)
			return -ENOMEM;
		if (t->structured) {
			/* Not the final chunk: an error may still show while it is
			 * sent. */
			chunk_header(p, 0, NBD_REPLY_TYPE_OFFSET_DATA, r->handle,
				     8 + r->len);
			put64(p + 20, r->offset);
		} else {
			put32(p, NBD_SIMPLE_REPLY_MAGIC);
			put32(p + 4, 0);
			put64(p + 8, r->handle);
		}
		rr = outq_file(q, t->e->fd, r->offset, r->len, t->structured, r->handle,
			       t->e->map);
		if (rr < 0)
			return rr;
		if (t->structured) {
			p = outq_reserve(q, NBD_STRUCTURED_REPLY_SIZE);
			if (!p)
				return -ENOMEM;
			chunk_header(p, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE,
				     r->handle, 0);
		}
		return 0;
	}

	p = outq_reserve(q, hl + r->len);
	if (!p)
		return -ENOMEM;
	if (t->nowait && !t->cow) {
		/* Take what is cached without waiting; the rest is read ahead. */
		struct iovec iov = { p + hl, r->len };
		ssize_t n = preadv2(t->e->fd, &iov, 1, r->offset, RWF_NOWAIT);

		if (n >= 0 && (uint32_t)n < r->len && n > 0) {
			n = -1;
			errno = EAGAIN;
		}
		if (n < 0 && errno == EAGAIN) {
			outq_trim(q, hl + r->len);
			posix_fadvise(t->e->fd, r->offset, r->len, POSIX_FADV_WILLNEED);
			return -EAGAIN;
		}
		if (n == (ssize_t)r->len)
			goto done;
		/* Not supported here (or an error to report): read as usual. */
	}
	rr = read_into(t, p + hl, r->len, r->offset);
	if (rr < 0) {
		outq_trim(q, hl + r->len);
		return reply_err(t, q, r->handle, errno_to_nbd(rr));
	}
done:
	read_header(t, p, r);
	return 0;
}

static int sync_data(struct tx *t)
{
	if (t->cow)
		return cow_flush(t->cow);
	if (!export_writable(t->e))
		return 0;
	return fdatasync(t->e->fd) < 0 ? -errno : 0;
}

static int write_at(struct tx *t, const uint8_t *buf, uint32_t len, uint64_t off)
{
	if (t->cow)
		return cow_pwrite(t->cow, buf, len, off);
	return pwrite_full(t->e->fd, buf, len, off);
}

static int zero_at(struct tx *t, uint32_t len, uint64_t off)
{
	static const uint8_t zeroes[65536];

	if (t->cow)
		return cow_zero(t->cow, len, off);
	if (fallocate(t->e->fd, FALLOC_FL_ZERO_RANGE, off, len) == 0)
		return 0;
	while (len > 0) {
		uint32_t n = MIN(len, (uint32_t)sizeof(zeroes));
		int r = write_at(t, zeroes, n, off);

		if (r < 0)
			return r;
		len -= n;
		off += n;
	}
	return 0;
}

/* base:allocation for [off, off+len): up to max extents from SEEK_DATA/SEEK_HOLE. */
static int cmd_block_status(struct tx *t, const struct nbd_request *r, struct outq *q)
{
	enum {
		MAX_EXTENTS = 64
	};
	uint32_t lens[MAX_EXTENTS], flags[MAX_EXTENTS];
	unsigned int n = 0, max = (r->flags & NBD_CMD_FLAG_REQ_ONE) ? 1 : MAX_EXTENTS;
	uint64_t off = r->offset, end = r->offset + r->len;
	uint8_t *p;

	while (off < end && n < max) {
		uint64_t next = end;
		uint32_t st = 0;

		if (t->cow) {
			next = off + cow_extent(t->cow, off, end - off, &st);
		} else if (!t->e->blockdev) {
			off_t d = lseek(t->e->fd, off, SEEK_DATA);

			if (d < 0 && errno == ENXIO) {
				st = NBD_STATE_HOLE | NBD_STATE_ZERO; /* a hole up to the
									 end */
			} else if (d < 0) {
				st = 0; /* unknown: say allocated */
			} else if ((uint64_t)d > off) {
				st = NBD_STATE_HOLE | NBD_STATE_ZERO;
				next = MIN((uint64_t)d, end);
			} else {
				off_t h = lseek(t->e->fd, off, SEEK_HOLE);
				if (h > (off_t)off)
					next = MIN((uint64_t)h, end);
			}
		}
		if (n > 0 && flags[n - 1] == st) {
			lens[n - 1] += next - off;
		} else {
			lens[n] = next - off;
			flags[n] = st;
			n++;
		}
		off = next;
	}
	p = outq_reserve(q, NBD_STRUCTURED_REPLY_SIZE + 4 + 8 * n);
	if (!p)
		return -ENOMEM;
	chunk_header(p, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_BLOCK_STATUS, r->handle,
		     4 + 8 * n);
	put32(p + 20, NBD_META_ALLOCATION_ID);
	for (unsigned int i = 0; i < n; i++) {
		put32(p + 24 + 8 * i, lens[i]);
		put32(p + 28 + 8 * i, flags[i]);
	}
	return 0;
}

/*
 * An overlay request, off the event loop: the first call hands it to the cow
 * pool (-EINPROGRESS), the call once its job is done queues the reply. 1: not
 * a request for the pool.
 */
static int cow_async(struct tx *t, const struct nbd_request *r, struct outq *q)
{
	struct cow_job *j = t->job;
	bool fua = r->flags & NBD_CMD_FLAG_FUA;
	size_t hl = t->structured ? NBD_STRUCTURED_REPLY_SIZE + 8 : NBD_SIMPLE_REPLY_SIZE;
	enum cow_op op;
	uint8_t *p;
	int rr;

	switch (r->type) {
	case NBD_CMD_READ:
		if (r->len == 0)
			return 1;
		op = COW_OP_READ;
		break;
	case NBD_CMD_WRITE:
		op = COW_OP_WRITE;
		break;
	case NBD_CMD_WRITE_ZEROES:
		op = COW_OP_ZERO;
		break;
	case NBD_CMD_FLUSH:
		op = COW_OP_FLUSH;
		fua = false;
		break;
	case NBD_CMD_TRIM:
		if (!fua)
			return 1;
		op = COW_OP_NONE;
		break;
	default:
		return 1;
	}
	/* Data in the page cache is read at once: a thread hand-over costs more. */
	if (!j && op == COW_OP_READ) {
		p = outq_reserve(q, hl + r->len);
		if (!p)
			return -ENOMEM;
		if (cow_pread_nowait(t->cow, p + hl, r->len, r->offset) == 0) {
			read_header(t, p, r);
			t->bytes_read += r->len;
			return 0;
		}
		outq_trim(q, hl + r->len);
	}
	if (!j) {
		j = cow_job_new(t->cow, op, r->len, r->offset, fua);
		if (!j)
			return reply_err(t, q, r->handle, NBD_ENOMEM);
		if (op == COW_OP_WRITE)
			j->buf = TAKE_PTR(t->wbuf);
		j->complete = t->cow_done;
		j->loop = t->cow_loop;
		j->owner = t->cow_owner;
		t->job = j;
		cow_submit(j);
		return -EINPROGRESS;
	}
	if (!j->taken)
		return -EINPROGRESS;
	t->job = NULL;
	rr = j->result;
	if (rr < 0) {
		rr = reply_err(t, q, r->handle, errno_to_nbd(rr));
	} else if (op != COW_OP_READ) {
		rr = reply_ok(t, q, r->handle);
	} else if (!(p = outq_reserve(q, hl + r->len))) {
		rr = -ENOMEM;
	} else {
		read_header(t, p, r);
		memcpy(p + hl, j->buf, r->len);
		t->bytes_read += r->len;
	}
	cow_job_free(j);
	return rr;
}

/* Execute a checked request (writes: with its payload in t->wbuf). */
static int execute(struct tx *t, const struct nbd_request *r, struct outq *q)
{
	int rr = 0;

	if (t->cow && t->cow_done) {
		rr = cow_async(t, r, q);
		if (rr != 1)
			return rr;
		rr = 0;
	}

	switch (r->type) {
	case NBD_CMD_READ:
		rr = cmd_read(t, r, q);
		if (rr == 0)
			t->bytes_read += r->len;
		return rr;
	case NBD_CMD_WRITE:
		rr = write_at(t, t->wbuf, r->len, r->offset);
		if (rr == 0 && (r->flags & NBD_CMD_FLAG_FUA))
			rr = sync_data(t);
		break;
	case NBD_CMD_FLUSH:
		rr = sync_data(t);
		break;
	case NBD_CMD_TRIM:
		/* A hint we may ignore; the image itself is only trimmed on rw
		 * exports. */
		if (!t->cow && r->len)
			(void)fallocate(t->e->fd,
					FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					r->offset, r->len);
		if (r->flags & NBD_CMD_FLAG_FUA)
			rr = sync_data(t);
		break;
	case NBD_CMD_WRITE_ZEROES:
		if (r->len)
			rr = zero_at(t, r->len, r->offset);
		if (rr == 0 && (r->flags & NBD_CMD_FLAG_FUA))
			rr = sync_data(t);
		break;
	case NBD_CMD_CACHE:
		if (!t->cow && r->len)
			(void)posix_fadvise(t->e->fd, r->offset, r->len,
					    POSIX_FADV_WILLNEED);
		break;
	case NBD_CMD_BLOCK_STATUS:
		return cmd_block_status(t, r, q);
	}
	if (rr < 0)
		return reply_err(t, q, r->handle, errno_to_nbd(rr));
	return reply_ok(t, q, r->handle);
}

bool tx_drained(const struct tx *t)
{
	if (t->deferred || t->wbuf || t->job)
		return false;
	/* A request partly received (or its refused payload being dropped). */
	if (t->hdr_got || t->skip)
		return t->req_start >= t->serve_until;
	return t->in_bytes >= t->serve_until;
}

int tx_resume(struct tx *t, struct outq *q)
{
	int r;

	if (t->job)
		return t->job->taken ? execute(t, &t->cur, q) : -EAGAIN;
	if (!t->deferred)
		return 0;
	r = execute(t, &t->cur, q);
	if (r == -EAGAIN)
		return r;
	t->deferred = false;
	return r;
}

ssize_t tx_feed(struct tx *t, const uint8_t *in, size_t len, struct outq *q, size_t limit)
{
	size_t pos = 0;
	int r;

	if (t->deferred || t->job) {
		r = tx_resume(t, q);
		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return r;
	}

	while (pos < len && !t->disc && !t->why && !t->job) {
		/* Dropping the payload of a refused write. */
		if (t->skip) {
			size_t n = MIN(t->skip, len - pos);

			t->skip -= n;
			pos += n;
			if (t->skip == 0) {
				r = reply_err(t, q, t->cur.handle, t->skip_err);
				if (r < 0)
					return r;
			}
			continue;
		}
		/* Receiving the payload of a write. */
		if (t->wbuf) {
			size_t n = MIN(t->cur.len - t->wgot, len - pos);

			memcpy(t->wbuf + t->wgot, in + pos, n);
			t->wgot += n;
			pos += n;
			if (t->wgot == t->cur.len) {
				r = execute(t, &t->cur, q);
				free(t->wbuf);
				t->wbuf = NULL;
				if (r < 0 && r != -EINPROGRESS)
					return r;
			}
			continue;
		}
		if (t->hdr_got == 0 && q->bytes > limit)
			break;
		size_t n = MIN(sizeof(t->hdr) - t->hdr_got, len - pos);
		const uint8_t *h;
		struct nbd_request req;
		uint64_t payload;
		uint32_t err;
		bool fatal;

		if (t->hdr_got == 0)
			t->req_start = t->in_bytes + pos;
		if (t->hdr_got == 0 && n == sizeof(t->hdr)) {
			h = in + pos; /* the common case: a whole header in the buffer */
		} else {
			memcpy(t->hdr + t->hdr_got, in + pos, n);
			t->hdr_got += n;
			if (t->hdr_got < sizeof(t->hdr)) {
				pos += n;
				continue;
			}
			h = t->hdr;
		}
		pos += n;
		t->hdr_got = 0;
		if (nbd_request_parse(h, &req) < 0) {
			t->why = "bad request magic";
			break;
		}
		t->requests++;
		err = nbd_request_check(t, &req, &payload, &fatal);
		if (fatal) {
			t->why = "request too large";
			break;
		}
		if (req.type == NBD_CMD_DISC) {
			t->disc = true;
			break;
		}
		if (!err && t->req_start >= t->serve_until)
			err = NBD_ESHUTDOWN;
		if (err) {
			if (payload) {
				t->cur = req;
				t->skip = payload;
				t->skip_err = err;
				continue;
			}
			r = reply_err(t, q, req.handle, err);
			if (r < 0)
				return r;
			continue;
		}
		if (payload) {
			t->cur = req;
			t->wbuf = malloc(payload);
			if (!t->wbuf)
				return -ENOMEM;
			t->wgot = 0;
			continue;
		}
		if (req.type == NBD_CMD_WRITE) {
			/* A zero-length write: nothing to receive. */
			r = reply_ok(t, q, req.handle);
		} else {
			r = execute(t, &req, q);
		}
		if (r == -EINPROGRESS) {
			/* In the cow pool; the rest waits behind it. */
			t->cur = req;
			break;
		}
		if (r == -EAGAIN) {
			/* Its data is being read in; the rest waits behind it. */
			t->cur = req;
			t->deferred = true;
			t->deferrals++;
			break;
		}
		if (r < 0)
			return r;
	}
	t->in_bytes += pos;
	return pos;
}
