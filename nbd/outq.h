/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/*
 * What a connection has yet to send: a list of segments, each either bytes in
 * memory or a range of a file (sent with sendfile, so reads from the page
 * cache are not copied through user space). Small replies are packed into
 * shared memory segments so a batch of them leaves in one writev.
 */
struct seg {
	struct seg *next;
	size_t len; /* bytes in this segment */
	size_t sent; /* bytes of it already sent */
	size_t cap; /* memory segments: room in data[] */
	int fd; /* -1: memory; otherwise a file range */
	off_t foff;
	/* The file mapped: the range goes out with sendmsg from the mapping (one
	   copy, batched with the headers) instead of sendfile. */
	const uint8_t *map;
	/* A file range that is the content chunk of a structured reply: on a short read
	 * the chunk is padded and the next segment (its closing chunk) becomes an
	 * error. */
	bool structured;
	uint64_t handle;
	uint8_t data[];
};

struct outq {
	struct seg *head, *tail;
	size_t bytes; /* everything queued, memory and files */
	size_t mem; /* memory held by queued segments */
};

void outq_init(struct outq *q);
void outq_clear(struct outq *q);
static inline bool outq_empty(const struct outq *q)
{
	return !q->head;
}

/* Room for len bytes at the end of the queue; fill it, or give back with outq_trim(). */
uint8_t *outq_reserve(struct outq *q, size_t len);
/* Drop the last len bytes reserved (they were not filled). */
void outq_trim(struct outq *q, size_t len);
int outq_append(struct outq *q, const void *p, size_t len);
int outq_file(struct outq *q, int fd, off_t off, size_t len, bool structured,
	      uint64_t handle, const void *map);

/*
 * Send what the socket takes. 0: all sent; -EAGAIN: the socket is full; other
 * negative errno: the connection is broken and must be dropped.
 */
int outq_send(struct outq *q, int sock);

/* The first memory segment's unsent bytes, for senders that cannot use the socket
 * (TLS). */
struct outq_chunk {
	const uint8_t *p;
	size_t len;
};
/* Expose up to max bytes at the head, reading file ranges into scratch. */
int outq_peek(struct outq *q, uint8_t *scratch, size_t max, struct outq_chunk *ret);
void outq_consume(struct outq *q, size_t n);

/* Release the cached segments of the calling thread. */
void outq_thread_cleanup(void);

static inline void put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}
static inline void put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}
static inline void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}
static inline uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return be16toh(v);
}
static inline uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return be32toh(v);
}
static inline uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return be64toh(v);
}
