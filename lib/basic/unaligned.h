/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/*
 * Big-endian (network order) integers at any address: wire protocols and
 * on-disk formats put them where alignment is not guaranteed. Byte by byte,
 * which compilers turn into one load or store and a byte swap.
 */
static inline uint16_t unaligned_read_be16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t unaligned_read_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t unaligned_read_be64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)unaligned_read_be32(b) << 32 | unaligned_read_be32(b + 4);
}

static inline void unaligned_write_be16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = v >> 8;
	b[1] = v;
}

static inline void unaligned_write_be32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

static inline void unaligned_write_be64(void *p, uint64_t v)
{
	uint8_t *b = p;

	unaligned_write_be32(b, v >> 32);
	unaligned_write_be32(b + 4, (uint32_t)v);
}

/* Little-endian, for formats that store them so (PE/COFF). */
static inline uint16_t unaligned_read_le16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t unaligned_read_le32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline void unaligned_write_le32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = v;
	b[1] = v >> 8;
	b[2] = v >> 16;
	b[3] = v >> 24;
}
