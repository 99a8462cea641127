// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "macro.h"
#include "outq.h"
#include "proto.h"

/* Memory segments of this size are recycled per thread instead of freed. */
#define SEG_CAP (128u * 1024 - sizeof(struct seg))
#define SEG_CACHE_MAX 64
#define IOV_BATCH 64

static __thread struct seg *seg_cache;
static __thread unsigned int seg_cached;

static struct seg *seg_new(size_t cap)
{
	struct seg *s;

	if (cap <= SEG_CAP && seg_cache) {
		s = seg_cache;
		seg_cache = s->next;
		seg_cached--;
	} else {
		if (cap < SEG_CAP)
			cap = SEG_CAP;
		s = malloc(sizeof(*s) + cap);
		if (!s)
			return NULL;
		s->cap = cap;
	}
	s->next = NULL;
	s->len = 0;
	s->sent = 0;
	s->fd = -1;
	s->foff = 0;
	s->structured = false;
	s->handle = 0;
	s->map = NULL;
	return s;
}

static void seg_free(struct seg *s)
{
	if (s->fd < 0 && s->cap == SEG_CAP && seg_cached < SEG_CACHE_MAX) {
		s->next = seg_cache;
		seg_cache = s;
		seg_cached++;
		return;
	}
	free(s);
}

void outq_thread_cleanup(void)
{
	while (seg_cache) {
		struct seg *s = seg_cache;
		seg_cache = s->next;
		free(s);
	}
	seg_cached = 0;
}

void outq_init(struct outq *q)
{
	*q = (struct outq){ 0 };
}

static void push(struct outq *q, struct seg *s)
{
	if (q->tail)
		q->tail->next = s;
	else
		q->head = s;
	q->tail = s;
}

static void pop(struct outq *q)
{
	struct seg *s = q->head;

	q->head = s->next;
	if (!q->head)
		q->tail = NULL;
	q->bytes -= s->len - s->sent;
	if (s->fd < 0)
		q->mem -= s->cap;
	seg_free(s);
}

void outq_clear(struct outq *q)
{
	while (q->head)
		pop(q);
}

uint8_t *outq_reserve(struct outq *q, size_t len)
{
	struct seg *s = q->tail;
	uint8_t *p;

	if (!s || s->fd >= 0 || s->cap - s->len < len) {
		s = seg_new(len);
		if (!s)
			return NULL;
		push(q, s);
		q->mem += s->cap;
	}
	p = s->data + s->len;
	s->len += len;
	q->bytes += len;
	return p;
}

void outq_trim(struct outq *q, size_t len)
{
	struct seg *s = q->tail;

	s->len -= len;
	q->bytes -= len;
	if (s->len == 0 && q->head == s) {
		q->head = q->tail = NULL;
		q->mem -= s->cap;
		seg_free(s);
	} else if (s->len == 0) {
		/* Unlink the empty tail. */
		struct seg *p = q->head;
		while (p->next != s)
			p = p->next;
		p->next = NULL;
		q->tail = p;
		q->mem -= s->cap;
		seg_free(s);
	}
}

int outq_append(struct outq *q, const void *p, size_t len)
{
	uint8_t *d = outq_reserve(q, len);

	if (!d)
		return -ENOMEM;
	memcpy(d, p, len);
	return 0;
}

int outq_file(struct outq *q, int fd, off_t off, size_t len, bool structured,
	      uint64_t handle, const void *map)
{
	struct seg *s = malloc(sizeof(*s));

	if (!s)
		return -ENOMEM;
	*s = (struct seg){ .len = len,
			   .fd = fd,
			   .foff = off,
			   .structured = structured,
			   .handle = handle,
			   .map = map };
	push(q, s);
	q->bytes += len;
	return 0;
}

/*
 * A file range came up short (the image shrank under us, or an I/O error).
 * With a simple reply nothing can be said any more: the caller drops the
 * connection. With a structured reply the content chunk is completed with
 * zeroes and followed by an error chunk; the closing NONE chunk already queued
 * after it then ends a reply that reports the error.
 */
static int file_failed(struct outq *q, int err)
{
	struct seg *s = q->head, *z, *e;
	size_t left = s->len - s->sent;
	uint8_t *p;

	if (!s->structured)
		return err ? err : -EIO;
	z = malloc(sizeof(*z) + left);
	e = malloc(sizeof(*e) + 32);
	if (!z || !e) {
		free(z);
		free(e);
		return -ENOMEM;
	}
	*z = (struct seg){ .len = left, .cap = left, .fd = -1, .next = e };
	memset(z->data, 0, left);
	*e = (struct seg){ .len = 26, .cap = 32, .fd = -1, .next = s->next };
	p = e->data;
	put32(p, NBD_STRUCTURED_REPLY_MAGIC);
	put16(p + 4, 0);
	put16(p + 6, NBD_REPLY_TYPE_ERROR);
	put64(p + 8, s->handle);
	put32(p + 16, 6);
	put32(p + 20, NBD_EIO);
	put16(p + 24, 0);
	q->head = z;
	if (q->tail == s)
		q->tail = e;
	q->mem += left + 32;
	q->bytes += 26;
	free(s);
	return 0;
}

int outq_send(struct outq *q, int sock)
{
	int batch = IOV_BATCH;

	while (q->head) {
		struct seg *s = q->head;

		if (s->fd >= 0 && !s->map) {
			off_t off = s->foff + s->sent;
			size_t left = s->len - s->sent;
			ssize_t n = sendfile(sock, s->fd, &off,
					     left > INT_MAX ? INT_MAX : left);

			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return errno == EAGAIN ? -EAGAIN : 0;
				/* EINVAL/ENOSYS would mean the file cannot be sent so;
				 * others are I/O. */
				if (errno == EPIPE || errno == ECONNRESET)
					return -errno;
				n = file_failed(q, -errno);
				if (n < 0)
					return n;
				continue;
			}
			if (n == 0) {
				int r = file_failed(q, -EIO);
				if (r < 0)
					return r;
				continue;
			}
			s->sent += n;
			q->bytes -= n;
			if (s->sent == s->len)
				pop(q);
			continue;
		}

		struct iovec iov[IOV_BATCH];
		struct msghdr mh = { .msg_iov = iov };
		int niov = 0;
		bool more = false;
		ssize_t n;

		for (struct seg *p = s; p && niov < batch; p = p->next) {
			if (p->fd >= 0 && !p->map) {
				more = true;
				break;
			}
			if (p->map)
				iov[niov].iov_base =
					(uint8_t *)p->map + p->foff + p->sent;
			else
				iov[niov].iov_base = p->data + p->sent;
			iov[niov].iov_len = p->len - p->sent;
			niov++;
		}
		mh.msg_iovlen = niov;
		n = sendmsg(sock, &mh,
			    MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EFAULT)
				return -errno;
			/* A mapped range is gone (the file shrank): find which, alone. */
			if (niov > 1) {
				batch = 1;
				continue;
			}
			if (!s->map)
				return -EFAULT;
			n = file_failed(q, -EIO);
			if (n < 0)
				return n;
			batch = IOV_BATCH;
			continue;
		}
		q->bytes -= n;
		while (n > 0) {
			s = q->head;
			size_t left = s->len - s->sent;
			if ((size_t)n < left) {
				s->sent += n;
				break;
			}
			n -= left;
			/* Already counted: pop() must not subtract it again. */
			s->sent = s->len;
			pop(q);
		}
	}
	return 0;
}

int outq_peek(struct outq *q, uint8_t *scratch, size_t max, struct outq_chunk *ret)
{
	struct seg *s = q->head;

	if (!s) {
		*ret = (struct outq_chunk){ 0 };
		return 0;
	}
	if (s->fd < 0) {
		ret->p = s->data + s->sent;
		ret->len = MIN(s->len - s->sent, max);
		return 0;
	}
	for (;;) {
		size_t want = MIN(s->len - s->sent, max);
		ssize_t n = pread(s->fd, scratch, want, s->foff + s->sent);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int r = file_failed(q, n < 0 ? -errno : -EIO);
			if (r < 0)
				return r;
			return outq_peek(q, scratch, max, ret);
		}
		/* Later calls must see the same bytes: turn them into memory. */
		struct seg *m = malloc(sizeof(*m) + n);
		if (!m)
			return -ENOMEM;
		*m = (struct seg){ .len = n, .cap = n, .fd = -1, .next = s };
		memcpy(m->data, scratch, n);
		s->sent += n;
		q->head = m;
		q->mem += n;
		if (s->sent == s->len) {
			m->next = s->next;
			if (q->tail == s)
				q->tail = m;
			free(s);
		}
		ret->p = m->data;
		ret->len = n;
		return 0;
	}
}

void outq_consume(struct outq *q, size_t n)
{
	while (n > 0 && q->head) {
		struct seg *s = q->head;
		size_t left = s->len - s->sent;

		if (n < left) {
			s->sent += n;
			q->bytes -= n;
			return;
		}
		n -= left;
		pop(q);
	}
}
