// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: arbitrary client bytes into the handshake machine, in
 * pieces whose sizes the input chooses, in each TLS mode. Whatever comes in,
 * it must not crash, leak or read out of bounds, and must stop on a final
 * result.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "handshake.h"
#include "log.h"
#include "outq.h"

static struct export *disk;

static int get(void *opaque, const char *name, struct export **ret)
{
	if (strcmp(name, "secret") == 0)
		return -EACCES;
	if (*name && strcmp(name, "disk") != 0)
		return -ENOENT;
	*ret = export_ref(disk);
	return 0;
}

static int list(void *opaque, int (*fn)(void *, const char *, const char *), void *data)
{
	int r = fn(data, "disk", "description");

	return r < 0 ? r : fn(data, "other", NULL);
}

static const struct hs_ops ops = { .get = get, .list = list };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = memfd_create("disk", 0);

	log_set_level(0);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0 ||
	    export_new_fd("disk", fd, true, &disk) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct handshake h;
	struct outq q;
	size_t pos = 1;
	uint8_t step;

	if (size < 1)
		return 0;
	/* The first byte: TLS mode and how the input is cut. */
	step = data[0] >> 2;
	hs_init(&h, &ops, NULL, (enum tls_mode)(data[0] % 3), 64);
	outq_init(&q);
	if (hs_greeting(&h, &q) < 0)
		abort();
	while (pos < size) {
		size_t len = step ? MIN((size_t)step, size - pos) : size - pos;
		ssize_t n = hs_feed(&h, data + pos, len, &q);

		if (n < 0 || (size_t)n > len)
			abort();
		pos += n;
		if (h.result == HS_STARTTLS) {
			/* Pretend TLS came up and go on. */
			hs_tls_started(&h);
			continue;
		}
		if (h.result != HS_CONTINUE)
			break;
		if ((size_t)n < len)
			abort(); /* it may only stop early on a final result */
		/* Do not let the output grow without bound. */
		if (q.bytes > (1u << 20))
			outq_clear(&q);
	}
	if (h.result == HS_TRANSMISSION && h.export != disk)
		abort();
	hs_free(&h);
	outq_clear(&q);
	return 0;
}
