/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* What the server told about the export during the handshake. */
struct export_info {
	uint64_t size;
	uint16_t flags;
	uint32_t min_block, pref_block, max_block;
	char name[512]; /* the canonical name, if the server gave one */
	char description[256];
};

/*
 * The whole NBD handshake on a connected socket (fixed newstyle with
 * NBD_OPT_GO, else NBD_OPT_EXPORT_NAME, or the old style). 0 with info
 * filled, or a negative errno: -ENOENT no such export, -EPROTONOSUPPORT TLS
 * required, -EPROTO not NBD. why gets the server's words, if any.
 */
int nbd_client_handshake(int fd, const char *export, struct export_info *info, char *why,
			 size_t whylen);
