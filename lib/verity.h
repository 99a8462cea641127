/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/*
 * A dm-verity hash tree appended to an image, in veritysetup's on-disk format
 * (a superblock, then the tree), made by veritysetup from cryptsetup-bin. The
 * client maps the image with rd.pxeroot.verity=ROOT_HASH and
 * rd.pxeroot.verity.hashoffset=HASH_OFFSET.
 */
struct verity_info {
	char root_hash[65];
	uint64_t hash_offset; /* the image's size, rounded up to 4 KiB */
};

/*
 * Pad the image at path to whole 4 KiB blocks and append its hash tree. The
 * salt and UUID are derived from the data's SHA-256, so the same image always
 * gets the same tree and root hash. The file is changed in place: callers
 * work on a copy they rename into place. Errors are said.
 */
int verity_append(const char *path, struct verity_info *ret);

/* The kernel parameters for it, as one line without a newline. */
int verity_cmdline(const struct verity_info *v, char **ret);
