/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The NBD protocol (nbd-protocol.h), and the limits this server sets. */
#include "nbd-protocol.h"

#define NBD_MAX_OPTION_DATA 65536 /* larger option payloads are skipped */
#define NBD_MAX_OPTION_SKIP (32u << 20) /* beyond this, the client is dropped */
#define NBD_MAX_BLOCK (32u << 20) /* the largest read or write we accept */
#define NBD_PREF_BLOCK 4096
#define NBD_META_ALLOCATION_ID 1
