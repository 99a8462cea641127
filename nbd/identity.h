/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/*
 * The identity of an image generation: 16 lower-case hex digits, the start of
 * the SHA-256 of its content. A client that attached one generation reconnects
 * to the same identity, never to whatever the export name points at by then.
 */
#define IDENTITY_LEN 16

/* Is s exactly IDENTITY_LEN lower-case hex digits? */
bool identity_valid(const char *s, size_t len);

/*
 * A file name as bootchroot publishes generations: STEM-ID.EXT. Returns true
 * and the lengths of STEM and the offset of ".EXT" (EXT may be empty, then
 * the offset is the name's length) when base has that form.
 */
bool identity_from_name(const char *base, char id[IDENTITY_LEN + 1], size_t *stem_len,
			size_t *ext_off);

/*
 * The identity of a plain image from a cache: the file's extended attribute
 * user.pxeroot.sha256 or what this process computed before, valid only for the
 * same inode, size and modification time. 0 or -ENOENT.
 */
int identity_cached(int fd, const struct stat *st, char id[IDENTITY_LEN + 1]);

/* Hash the whole content of fd (from offset 0) and remember it. 0 or -errno. */
int identity_compute(int fd, const struct stat *st, char id[IDENTITY_LEN + 1]);

/*
 * Compute the identity of path in a thread of its own, so that no event loop
 * waits for it; identity_cached() finds it when done. A second call for the
 * same file while it runs does nothing. 0, or a negative errno when no thread
 * could be started.
 */
int identity_compute_async(const char *path);
