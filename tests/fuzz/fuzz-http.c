// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: `pxeroot-helper fetch`'s HTTP client reading a server's
 * response (status line, headers, Content-Length, chunked or until-close
 * bodies) from a memory file in place of the socket, then following the
 * redirect it may name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fetch.h"
#include "log.h"

static int in = -1, out = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(0);
	in = memfd_create("response", 0);
	out = memfd_create("body", 0);
	if (in < 0 || out < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_conn *c = calloc(1, sizeof(*c));
	struct http_sink s = { .fd = out };
	char location[4200] = "", reason[128], current[4200];
	struct http_url u;
	int status = 0, r;

	if (!c || ftruncate(in, 0) < 0 || ftruncate(out, 0) < 0 ||
	    pwrite(in, data, size, 0) != (ssize_t)size || lseek(in, 0, SEEK_SET) < 0 ||
	    lseek(out, 0, SEEK_SET) < 0)
		abort();
	c->fd = in;
	c->timeout_ms = 1000;
	sha256_init(&s.sha);
	md5_init(&s.md5);
	r = http_response(c, &s, location, sizeof(location), &status, reason,
			  sizeof(reason));
	if (r == 0 && s.bytes > size)
		abort(); /* a body longer than what came in */
	if (r == 1) {
		if (!*location)
			abort();
		strcpy(current, "http://192.0.2.1:8080/images/root.sqfs");
		if (http_redirect(current, sizeof(current), location) == 0 &&
		    strlen(current) >= sizeof(current))
			abort();
		if (http_parse_url(current, &u) == 0 &&
		    (strlen(u.host) >= sizeof(u.host) || u.port == 0 || u.port > 65535))
			abort();
	}
	free(c);
	return 0;
}
