// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the initramfs's image probe, which reads the first bytes
 * of a downloaded image or an NBD device (what the server sent) to pick the
 * file system type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = { "squashfs", "erofs", "xfs",   "ext4",
					     "ext3",	 "ext2",  "btrfs", "iso9660" };
	const char *t = probe_identify(data, size > PROBE_BYTES ? PROBE_BYTES : size);
	bool ok = !t;

	for (size_t i = 0; t && i < sizeof(known) / sizeof(known[0]); i++)
		ok |= strcmp(t, known[i]) == 0;
	if (!ok)
		abort();
	return 0;
}
