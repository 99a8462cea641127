/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * read_full and write_full (util.h) at an offset: the file position does not
 * move, short transfers and EINTR are looped over. 0 or a negative errno;
 * pread_full returns -EPIPE when the file ends first. Declared apart from
 * util.h because nbd/cow.c has static functions of these names (with zeroes
 * past the end, for sparse overlays) and includes util.h.
 */
int pread_full(int fd, void *buf, size_t len, off_t offset);
int pwrite_full(int fd, const void *buf, size_t len, off_t offset);
