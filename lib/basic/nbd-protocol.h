/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The NBD wire protocol (doc/proto.md of the NBD project): magic numbers,
 * handshake, option and reply codes, information types, transmission flags,
 * commands, structured replies and error values, defined once for the server
 * (nbd/), the initramfs helper (built static, with musl) and the test
 * clients. Nothing here needs more than libc. Every number on the wire is
 * big-endian (unaligned.h reads and writes them).
 *
 * <linux/nbd.h> names some of these for the kernel's ioctl interface, one of
 * them with another value (NBD_CMD_FLAG_FUA is 1 << 16 there, the command
 * type and flags being one 32-bit field to the kernel). A file that needs
 * both includes <linux/nbd.h> first: the wire meanings below replace the
 * kernel's, and its enum of commands is left as it is.
 */
#include <stdint.h>

#ifdef LINUX_NBD_H
#undef NBD_FLAG_HAS_FLAGS
#undef NBD_FLAG_READ_ONLY
#undef NBD_FLAG_SEND_FLUSH
#undef NBD_FLAG_SEND_FUA
#undef NBD_FLAG_ROTATIONAL
#undef NBD_FLAG_SEND_TRIM
#undef NBD_FLAG_SEND_WRITE_ZEROES
#undef NBD_FLAG_SEND_DF
#undef NBD_FLAG_CAN_MULTI_CONN
#undef NBD_FLAG_SEND_RESIZE
#undef NBD_FLAG_SEND_CACHE
#undef NBD_FLAG_SEND_FAST_ZERO
#undef NBD_CMD_FLAG_FUA
#undef NBD_REQUEST_MAGIC
#undef NBD_REPLY_MAGIC
#endif

#define NBD_DEFAULT_PORT 10809

/* The server's greeting: NBDMAGIC, then IHAVEOPT (newstyle) or the old magic. */
#define NBD_MAGIC UINT64_C(0x4e42444d41474943) /* "NBDMAGIC" */
#define NBD_IHAVEOPT UINT64_C(0x49484156454f5054) /* "IHAVEOPT" */
#define NBD_OLD_MAGIC UINT64_C(0x0000420281861253) /* oldstyle negotiation */
#define NBD_REP_MAGIC UINT64_C(0x0003e889045565a9) /* an option reply */

/* Handshake flags (the server's, 16 bits) and client flags (32 bits). */
#define NBD_FLAG_FIXED_NEWSTYLE (1u << 0)
#define NBD_FLAG_NO_ZEROES (1u << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE (1u << 0)
#define NBD_FLAG_C_NO_ZEROES (1u << 1)

/* Transmission flags of an export. */
#define NBD_FLAG_HAS_FLAGS (1u << 0)
#define NBD_FLAG_READ_ONLY (1u << 1)
#define NBD_FLAG_SEND_FLUSH (1u << 2)
#define NBD_FLAG_SEND_FUA (1u << 3)
#define NBD_FLAG_ROTATIONAL (1u << 4)
#define NBD_FLAG_SEND_TRIM (1u << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES (1u << 6)
#define NBD_FLAG_SEND_DF (1u << 7)
#define NBD_FLAG_CAN_MULTI_CONN (1u << 8)
#define NBD_FLAG_SEND_RESIZE (1u << 9)
#define NBD_FLAG_SEND_CACHE (1u << 10)
#define NBD_FLAG_SEND_FAST_ZERO (1u << 11)

/* Options: magic (IHAVEOPT), option, length, data. */
#define NBD_OPTION_HEADER_SIZE 16
#define NBD_OPT_EXPORT_NAME 1
#define NBD_OPT_ABORT 2
#define NBD_OPT_LIST 3
#define NBD_OPT_PEEK_EXPORT 4
#define NBD_OPT_STARTTLS 5
#define NBD_OPT_INFO 6
#define NBD_OPT_GO 7
#define NBD_OPT_STRUCTURED_REPLY 8
#define NBD_OPT_LIST_META_CONTEXT 9
#define NBD_OPT_SET_META_CONTEXT 10

/* Option replies: magic (NBD_REP_MAGIC), option, reply type, length, data. */
#define NBD_OPTION_REPLY_HEADER_SIZE 20
#define NBD_REP_ACK 1
#define NBD_REP_SERVER 2
#define NBD_REP_INFO 3
#define NBD_REP_META_CONTEXT 4
#define NBD_REP_FLAG_ERROR (1u << 31)
#define NBD_REP_IS_ERROR(t) (((t)&NBD_REP_FLAG_ERROR) != 0)
#define NBD_REP_ERR_UNSUP (NBD_REP_FLAG_ERROR | 1)
#define NBD_REP_ERR_POLICY (NBD_REP_FLAG_ERROR | 2)
#define NBD_REP_ERR_INVALID (NBD_REP_FLAG_ERROR | 3)
#define NBD_REP_ERR_PLATFORM (NBD_REP_FLAG_ERROR | 4)
#define NBD_REP_ERR_TLS_REQD (NBD_REP_FLAG_ERROR | 5)
#define NBD_REP_ERR_UNKNOWN (NBD_REP_FLAG_ERROR | 6)
#define NBD_REP_ERR_SHUTDOWN (NBD_REP_FLAG_ERROR | 7)
#define NBD_REP_ERR_BLOCK_SIZE_REQD (NBD_REP_FLAG_ERROR | 8)
#define NBD_REP_ERR_TOO_BIG (NBD_REP_FLAG_ERROR | 9)

/* Information types of NBD_REP_INFO (and requests of NBD_OPT_INFO/GO). */
#define NBD_INFO_EXPORT 0
#define NBD_INFO_NAME 1
#define NBD_INFO_DESCRIPTION 2
#define NBD_INFO_BLOCK_SIZE 3

/* The longest name, description or query string the protocol allows. */
#define NBD_MAX_STRING 4096

/* Requests: magic, command flags (16), type (16), cookie, offset, length. */
#define NBD_REQUEST_MAGIC UINT32_C(0x25609513)
#define NBD_REQUEST_SIZE 28
#define NBD_CMD_READ 0
#define NBD_CMD_WRITE 1
#define NBD_CMD_DISC 2
#define NBD_CMD_FLUSH 3
#define NBD_CMD_TRIM 4
#define NBD_CMD_CACHE 5
#define NBD_CMD_WRITE_ZEROES 6
#define NBD_CMD_BLOCK_STATUS 7

#define NBD_CMD_FLAG_FUA (1u << 0)
#define NBD_CMD_FLAG_NO_HOLE (1u << 1)
#define NBD_CMD_FLAG_DF (1u << 2)
#define NBD_CMD_FLAG_REQ_ONE (1u << 3)
#define NBD_CMD_FLAG_FAST_ZERO (1u << 4)

/* Simple replies: magic, error, cookie. */
#define NBD_SIMPLE_REPLY_MAGIC UINT32_C(0x67446698)
#define NBD_SIMPLE_REPLY_SIZE 16
/* Structured reply chunks: magic, flags, type, cookie, length. */
#define NBD_STRUCTURED_REPLY_MAGIC UINT32_C(0x668e33ef)
#define NBD_STRUCTURED_REPLY_SIZE 20
#define NBD_REPLY_FLAG_DONE (1u << 0)
#define NBD_REPLY_TYPE_NONE 0
#define NBD_REPLY_TYPE_OFFSET_DATA 1
#define NBD_REPLY_TYPE_OFFSET_HOLE 2
#define NBD_REPLY_TYPE_BLOCK_STATUS 5
#define NBD_REPLY_TYPE_ERROR ((1u << 15) | 1)
#define NBD_REPLY_TYPE_ERROR_OFFSET ((1u << 15) | 2)

/* Flags of the base:allocation meta context. */
#define NBD_STATE_HOLE (1u << 0)
#define NBD_STATE_ZERO (1u << 1)

/* Error values of replies (the protocol's, not the host's errno). */
#define NBD_EPERM 1
#define NBD_EIO 5
#define NBD_ENOMEM 12
#define NBD_EINVAL 22
#define NBD_ENOSPC 28
#define NBD_EOVERFLOW 75
#define NBD_ENOTSUP 95
#define NBD_ESHUTDOWN 108
