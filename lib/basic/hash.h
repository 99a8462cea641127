/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4) and MD5 (RFC 1321), streaming, for image checks. */
struct sha256_ctx {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t n;
};

struct md5_ctx {
	uint32_t h[4];
	uint64_t len;
	uint8_t buf[64];
	size_t n;
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[32]);

void md5_init(struct md5_ctx *c);
void md5_update(struct md5_ctx *c, const void *data, size_t len);
void md5_final(struct md5_ctx *c, uint8_t out[16]);

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void hex_string(const uint8_t *in, size_t len, char *out);

/* The lower-case hex SHA-256 of what fd reads to its end; 0 or -errno. */
int sha256_fd(int fd, char hex[65]);
