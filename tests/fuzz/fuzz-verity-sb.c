// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the dm-verity superblock the initramfs reads from the
 * image the server sent, and the table built from it. Whatever it says, the
 * table must keep the data before the hash tree and name the root hash given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm-verity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char root[] =
		"ef167cf9a15e0a773f8f88bc3ad0d252a9dd08d119b9a2dad67e22fb6e50f5b9";
	uint8_t b[VERITY_SB_SIZE] = { 0 };
	struct verity_sb sb;
	const char *what = NULL;
	uint64_t offset = 0;
	char t[1024];

	if (size < 8)
		return 0;
	memcpy(&offset, data, 8);
	memcpy(b, data + 8, size - 8 < sizeof(b) ? size - 8 : sizeof(b));
	if (verity_sb_parse(b, &sb, &what) < 0) {
		if (!what)
			abort();
		return 0;
	}
	if (verity_table(&sb, 43, 0, offset, root, t, sizeof(t), &what) == 0) {
		if (!strstr(t, root) ||
		    sb.data_blocks * (uint64_t)sb.data_block_size > offset)
			abort();
	} else if (!what) {
		abort();
	}
	return 0;
}
