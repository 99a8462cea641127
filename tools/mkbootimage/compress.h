/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/*
 * Where libarchive's cpio stream goes: straight to the output for "none",
 * through libarchive's own filter for gzip and zstd, and through our encoders
 * for the two formats whose libarchive flavour the kernel cannot unpack: xz
 * (libarchive always writes a CRC64 check; the kernel's decoder knows only
 * CRC32 and none) and lz4 (libarchive writes the frame format; the kernel
 * reads only the legacy format, as `lz4 -l` writes it).
 */
struct archive;
struct compress_sink;

int compress_sink_new(int fd, enum compression c, int level, struct compress_sink **ret);
void compress_sink_free(struct compress_sink *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct compress_sink *, compress_sink_free);
/* Set the cpio format and the filter on a, and open it onto the sink. */
int compress_sink_attach(struct compress_sink *s, struct archive *a);
/* Log the error of a failed archive call ("what: reason") and return it as -errno. */
int compress_archive_error(struct compress_sink *s, struct archive *a, const char *what);
/* Bytes written to the output so far. */
int64_t compress_sink_bytes(struct compress_sink *s);
/* The level used when none is asked for. */
int compress_default_level(enum compression c);

/* "gzip" for COMPRESS_GZIP and back; -EINVAL for a name we do not know. */
const char *compression_name(enum compression c);
int compression_from_name(const char *s, enum compression *ret);
/*
 * -c ALG[:LEVEL]: *ret_level is set only when a level is given. Errors are
 * logged; -EINVAL for an unknown name or a level out of the algorithm's range.
 */
int compression_parse(const char *arg, enum compression *ret, int *ret_level);

/* Decompress a whole gzip, xz or zstd buffer (a compressed module). */
int decompress_buffer(const void *in, size_t in_size, void **ret, size_t *ret_size);
