// SPDX-License-Identifier: GPL-2.0-or-later
#include <archive.h>
#include <errno.h>
#include <lz4.h>
#include <lz4hc.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress.h"
#include "log.h"
#include "util.h"
#include "vector.h"

/* libarchive hands data on in blocks of this size: few, large writes. */
#define BLOCK_SIZE (1u << 20)
/* The kernel's lz4 legacy reader expects every chunk but the last to hold this much. */
#define LZ4_LEGACY_CHUNK (8u << 20)
#define LZ4_LEGACY_MAGIC 0x184C2102u
/* xz: blocks of this size, so the (deterministic) multi-threaded encoder can be used. */
#define XZ_BLOCK_SIZE (8u << 20)

struct compress_sink {
	int fd;
	enum compression c;
	int level;
	int64_t bytes;
	int err; /* the first write error, negative errno */
	/* xz */
	lzma_stream xz;
	bool xz_open;
	uint8_t *xz_out;
	/* lz4 legacy */
	uint8_t *lz4_in, *lz4_out;
	size_t lz4_fill;
	bool lz4_magic_done;
};

int compress_default_level(enum compression c)
{
	switch (c) {
	case COMPRESS_GZIP:
		return 6;
	case COMPRESS_ZSTD:
		return 9;
	case COMPRESS_XZ:
		return 6;
	case COMPRESS_LZ4:
		return 9;
	default:
		return 0;
	}
}

int compress_sink_new(int fd, enum compression c, int level, struct compress_sink **ret)
{
	struct compress_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->fd = fd;
	s->c = c;
	s->level = level > 0 ? level : compress_default_level(c);
	if (c == COMPRESS_XZ) {
		lzma_mt mt = {
			.flags = 0,
			.block_size = XZ_BLOCK_SIZE,
			.timeout = 0,
			.preset = (uint32_t)s->level,
			.check = LZMA_CHECK_CRC32,
		};
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		/* The output depends on the block size, not on the number of threads. */
		mt.threads = n > 0 ? (uint32_t)MIN(n, 16) : 1;
		s->xz_out = malloc(BLOCK_SIZE);
		s->xz = (lzma_stream)LZMA_STREAM_INIT;
		if (!s->xz_out || lzma_stream_encoder_mt(&s->xz, &mt) != LZMA_OK) {
			compress_sink_free(s);
			return -ENOMEM;
		}
		s->xz_open = true;
	} else if (c == COMPRESS_LZ4) {
		s->lz4_in = malloc(LZ4_LEGACY_CHUNK);
		s->lz4_out = malloc(LZ4_COMPRESSBOUND(LZ4_LEGACY_CHUNK) + 4);
		if (!s->lz4_in || !s->lz4_out) {
			compress_sink_free(s);
			return -ENOMEM;
		}
	}
	*ret = s;
	return 0;
}

void compress_sink_free(struct compress_sink *s)
{
	if (!s)
		return;
	if (s->xz_open)
		lzma_end(&s->xz);
	free(s->xz_out);
	free(s->lz4_in);
	free(s->lz4_out);
	free(s);
}

int64_t compress_sink_bytes(struct compress_sink *s)
{
	return s->bytes;
}

static int out(struct compress_sink *s, const void *buf, size_t n)
{
	int k = write_full(s->fd, buf, n);

	if (k < 0)
		return k;
	s->bytes += n;
	return 0;
}

static int xz_run(struct compress_sink *s, const void *buf, size_t n, lzma_action action)
{
	s->xz.next_in = buf;
	s->xz.avail_in = n;
	for (;;) {
		lzma_ret r;
		int k;

		s->xz.next_out = s->xz_out;
		s->xz.avail_out = BLOCK_SIZE;
		r = lzma_code(&s->xz, action);
		if (r != LZMA_OK && r != LZMA_STREAM_END)
			return r == LZMA_MEM_ERROR ? -ENOMEM : -EIO;
		k = out(s, s->xz_out, BLOCK_SIZE - s->xz.avail_out);
		if (k < 0)
			return k;
		if (r == LZMA_STREAM_END)
			return 0;
		if (action == LZMA_RUN && s->xz.avail_in == 0)
			return 0;
	}
}

static int lz4_flush(struct compress_sink *s)
{
	int n;
	uint8_t *o = s->lz4_out;

	if (!s->lz4_magic_done) {
		uint8_t magic[4] = { LZ4_LEGACY_MAGIC & 0xff,
				     (LZ4_LEGACY_MAGIC >> 8) & 0xff,
				     (LZ4_LEGACY_MAGIC >> 16) & 0xff,
				     LZ4_LEGACY_MAGIC >> 24 };
		int k = out(s, magic, 4);

		if (k < 0)
			return k;
		s->lz4_magic_done = true;
	}
	if (s->lz4_fill == 0)
		return 0;
	n = LZ4_compress_HC((const char *)s->lz4_in, (char *)o + 4, (int)s->lz4_fill,
			    LZ4_COMPRESSBOUND(LZ4_LEGACY_CHUNK), s->level);
	if (n <= 0)
		return -EIO;
	o[0] = n & 0xff;
	o[1] = (n >> 8) & 0xff;
	o[2] = (n >> 16) & 0xff;
	o[3] = (uint32_t)n >> 24;
	s->lz4_fill = 0;
	return out(s, o, (size_t)n + 4);
}

static la_ssize_t sink_write(struct archive *a, void *userdata, const void *buf, size_t n)
{
	struct compress_sink *s = userdata;
	const uint8_t *p = buf;
	size_t left = n;
	int k = 0;

	switch (s->c) {
	case COMPRESS_XZ:
		k = xz_run(s, buf, n, LZMA_RUN);
		break;
	case COMPRESS_LZ4:
		while (left > 0 && k == 0) {
			size_t take = MIN(left, LZ4_LEGACY_CHUNK - s->lz4_fill);

			memcpy(s->lz4_in + s->lz4_fill, p, take);
			s->lz4_fill += take;
			p += take;
			left -= take;
			if (s->lz4_fill == LZ4_LEGACY_CHUNK)
				k = lz4_flush(s);
		}
		break;
	default:
		k = out(s, buf, n);
		break;
	}
	if (k < 0) {
		s->err = k;
		archive_set_error(a, -k, "%s", strerror(-k));
		return -1;
	}
	return (la_ssize_t)n;
}

static int sink_close(struct archive *a, void *userdata)
{
	struct compress_sink *s = userdata;
	int k = 0;

	if (s->c == COMPRESS_XZ)
		k = xz_run(s, NULL, 0, LZMA_FINISH);
	else if (s->c == COMPRESS_LZ4)
		k = lz4_flush(s);
	if (k < 0) {
		s->err = k;
		archive_set_error(a, -k, "%s", strerror(-k));
		return ARCHIVE_FATAL;
	}
	return ARCHIVE_OK;
}

int compress_archive_error(struct compress_sink *s, struct archive *a, const char *what)
{
	int e;

	if (s->err < 0)
		return log_errno(s->err, "%s", what);
	e = archive_errno(a);
	log_error("%s: %s", what, archive_error_string(a) ?: "unknown libarchive error");
	return e > 0 ? -e : -EIO;
}

static int set_option(struct compress_sink *s, struct archive *a, const char *filter,
		      const char *key, const char *value)
{
	if (archive_write_set_filter_option(a, filter, key, value) < ARCHIVE_OK)
		return compress_archive_error(s, a, "cannot set the compression options");
	return 0;
}

int compress_sink_attach(struct compress_sink *s, struct archive *a)
{
	char level[16];
	int r, k;

	snprintf(level, sizeof(level), "%d", s->level);
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, BLOCK_SIZE) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
		return compress_archive_error(s, a, "cannot set up the cpio writer");
	switch (s->c) {
	case COMPRESS_GZIP:
		r = archive_write_add_filter_gzip(a);
		if (r != ARCHIVE_OK)
			return compress_archive_error(s, a, "cannot set up gzip");
		k = set_option(s, a, "gzip", "compression-level", level);
		if (k < 0)
			return k;
		/* No time stamp in the gzip header: two builds must be identical. */
		k = set_option(s, a, "gzip", "timestamp", NULL);
		if (k < 0)
			return k;
		break;
	case COMPRESS_ZSTD: {
		char threads[16];
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		r = archive_write_add_filter_zstd(a);
		if (r != ARCHIVE_OK)
			return compress_archive_error(s, a, "cannot set up zstd");
		k = set_option(s, a, "zstd", "compression-level", level);
		if (k < 0)
			return k;
		/* zstd's multi-threaded output is the same for any number of threads. */
		snprintf(threads, sizeof(threads), "%ld", n > 0 ? MIN(n, 16) : 1);
		k = set_option(s, a, "zstd", "threads", threads);
		if (k < 0)
			return k;
		break;
	}
	default:
		break;
	}
	if (archive_write_open2(a, s, NULL, sink_write, sink_close, NULL) != ARCHIVE_OK)
		return compress_archive_error(s, a, "cannot start the image");
	return 0;
}

int decompress_buffer(const void *in, size_t in_size, void **ret, size_t *ret_size)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int k = 0;

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, in, in_size) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK) {
		k = -EBADMSG;
		goto out;
	}
	for (;;) {
		la_ssize_t n;

		/* Room for 64 KiB more; a module usually inflates to 2-4 times. */
		if (vector_reserve((void **)&buf, &cap,
				   cap ? len + (1u << 16)
				       : MAX(in_size * 4, (size_t)1 << 16),
				   1) < 0) {
			k = -ENOMEM;
			goto out;
		}
		n = archive_read_data(a, buf + len, cap - len);
		if (n < 0) {
			k = -EBADMSG;
			goto out;
		}
		if (n == 0)
			break;
		len += n;
	}
	*ret = TAKE_PTR(buf);
	*ret_size = len;
out:
	archive_read_free(a);
	return k;
}

static const char *const names[] = {
	[COMPRESS_NONE] = "none", [COMPRESS_GZIP] = "gzip", [COMPRESS_ZSTD] = "zstd",
	[COMPRESS_XZ] = "xz",	  [COMPRESS_LZ4] = "lz4",
};

const char *compression_name(enum compression c)
{
	return (size_t)c < ARRAY_SIZE(names) ? names[c] : "?";
}

int compression_from_name(const char *s, enum compression *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum compression)i;
			return 0;
		}
	return -EINVAL;
}

int compression_parse(const char *arg, enum compression *ret, int *ret_level)
{
	_cleanup_free_ char *alg = strdup(arg);
	char *colon;
	unsigned int level;

	if (!alg)
		return -ENOMEM;
	colon = strchr(alg, ':');
	if (colon)
		*colon++ = '\0';
	if (compression_from_name(alg, ret) < 0) {
		log_error("unknown compression '%s' (gzip, zstd, xz, lz4 or none)", alg);
		return -EINVAL;
	}
	if (colon) {
		unsigned int max = *ret == COMPRESS_ZSTD   ? 19
				   : *ret == COMPRESS_LZ4  ? 12
				   : *ret == COMPRESS_NONE ? 0
							   : 9;

		if (parse_uint(colon, 1, max ? max : 1, &level) < 0 || max == 0) {
			log_error("invalid level '%s' for %s", colon, alg);
			return -EINVAL;
		}
		*ret_level = (int)level;
	}
	return 0;
}
