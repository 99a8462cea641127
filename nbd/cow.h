/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

#include "export.h"

/*
 * A copy-on-write overlay: what one client wrote, kept in a sparse file in the
 * overlay directory with a bitmap of 4 KiB blocks. Reads take written blocks
 * from the overlay and the rest from the image, which is never written.
 *
 * Without a key the overlay is an unnamed file (O_TMPFILE) that vanishes when
 * the connection closes, even if the server is killed. With a key (the
 * client's address, for `cow = keep`) it is DIR/EXPORT@KEY.cow with its bitmap
 * in DIR/EXPORT@KEY.map, shared by that address's connections and found again
 * when it reconnects, as long as the image is the same file.
 */
#define COW_BLOCK 4096u

struct cow;

int cow_open(struct export *e, const char *key, struct cow **ret);
void cow_close(struct cow *c);
int cow_pread(struct cow *c, uint8_t *buf, uint32_t len, uint64_t off);
int cow_pwrite(struct cow *c, const uint8_t *buf, uint32_t len, uint64_t off);
int cow_zero(struct cow *c, uint32_t len, uint64_t off);
int cow_flush(struct cow *c);
/* Length of the run from off (at most len) that is all written or all not; *status: 0. */
uint64_t cow_extent(struct cow *c, uint64_t off, uint64_t len, uint32_t *status);
