// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: arbitrary request streams into the transmission phase of
 * a read-only, a read-write and a copy-on-write export (backed by memfds and
 * an overlay directory), with and without structured replies; the replies are
 * drained as a TLS session would, which reads file ranges back. Nothing may
 * crash, leak, or write to the read-only image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cow.h"
#include "log.h"
#include "outq.h"
#include "transmission.h"

#define SIZE (256u * 1024 + 123)

static struct export *ro, *rw, *cw;
static char cowdir[] = "/tmp/nbdexport-fuzz.XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct export *mk(const char *name, bool readonly)
{
	struct export *e;
	int fd = memfd_create(name, 0);
	uint8_t buf[4096];

	if (fd < 0)
		abort();
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	for (size_t off = 0; off < SIZE; off += sizeof(buf))
		if (pwrite(fd, buf, MIN(sizeof(buf), SIZE - off), off) < 0)
			abort();
	if (export_new_fd(name, fd, readonly, &e) < 0)
		abort();
	return e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(0);
	ro = mk("ro", true);
	rw = mk("rw", false);
	cw = mk("cow", true);
	if (!mkdtemp(cowdir))
		abort();
	cw->cow = COW_ON;
	cw->cow_dir = strdup(cowdir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[65536];
	struct export *e;
	struct tx t;
	struct outq q;
	size_t pos = 1;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	e = (mode & 3) == 0 ? ro : (mode & 3) == 1 ? rw : cw;
	tx_init(&t, export_ref(e), mode & 4, mode & 8, mode & 16);
	if (e == cw && cow_open(e, NULL, &t.cow) < 0)
		abort();
	outq_init(&q);
	while (pos < size && !t.disc && !t.why) {
		size_t step = (mode >> 5) ? (size_t)(mode >> 5) * 9 : size - pos;
		size_t len = MIN(step, size - pos);
		ssize_t n = tx_feed(&t, data + pos, len, &q, 1u << 20);

		if (n < 0 || (size_t)n > len)
			abort();
		pos += n;
		/* Drain what is queued, as the TLS path does. */
		for (;;) {
			struct outq_chunk ch;

			if (outq_peek(&q, scratch, sizeof(scratch), &ch) < 0)
				abort();
			if (!ch.len)
				break;
			outq_consume(&q, ch.len);
		}
		if (q.bytes != 0)
			abort();
	}
	tx_free(&t);
	outq_clear(&q);
	return 0;
}
