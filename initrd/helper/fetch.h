/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

/* The HTTP client of `pxeroot-helper fetch`, its parts that read the network. */

#define HTTP_HEADER_MAX 16384

struct http_url {
	char host[256];
	unsigned int port;
	char path[4096];
};

struct http_conn {
	int fd;
	int timeout_ms;
	char buf[65536];
	size_t start, end;
};

/* Where a body goes: a file, hashed on the way. */
struct http_sink {
	int fd;
	uint64_t bytes;
	struct sha256_ctx sha;
	struct md5_ctx md5;
};

/* http://HOST[:PORT][/PATH], HOST a name, an IPv4 address or [IPv6]. */
int http_parse_url(const char *s, struct http_url *u);

/*
 * Read a response from c: the status line, the headers, then the body
 * (Content-Length, chunked, or until the end) into s. Returns 0 for a 200
 * with its body, 1 for a redirect (location set), -ENOENT for another status
 * (*status and reason set), or a negative errno for a broken response.
 */
int http_response(struct http_conn *c, struct http_sink *s, char *location, size_t loclen,
		  int *status, char *reason, size_t reasonlen);

/* Follow a Location: a URL, or a path on the server of current. */
int http_redirect(char *current, size_t size, const char *location);
