// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pxeroot-helper fetch's HTTP response reader and redirects, on responses
 * held in a memory file in place of the socket.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "fetch.h"
#include "log.h"
#include "tap.h"

struct result {
	int r, status;
	uint64_t bytes;
	char location[256], reason[64];
};

static struct result respond(const char *text)
{
	static struct http_conn c;
	struct http_sink s = { .fd = memfd_create("body", 0) };
	struct result res = { 0 };
	int in = memfd_create("response", 0);

	check(in >= 0 && s.fd >= 0);
	check(write(in, text, strlen(text)) == (ssize_t)strlen(text));
	check(lseek(in, 0, SEEK_SET) == 0);
	memset(&c, 0, sizeof(c));
	c.fd = in;
	c.timeout_ms = 1000;
	sha256_init(&s.sha);
	md5_init(&s.md5);
	res.r = http_response(&c, &s, res.location, sizeof(res.location), &res.status,
			      res.reason, sizeof(res.reason));
	res.bytes = s.bytes;
	close(in);
	close(s.fd);
	return res;
}

static void test_bodies(void)
{
	struct result r = respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloXX");

	check_int(r.r, 0);
	check_int(r.bytes, 5);
	r = respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
	check_int(r.r, 0);
	check_int(r.bytes, 7);
	r = respond("HTTP/1.0 200 OK\n\nuntil the end");
	check_int(r.r, 0);
	check_int(r.bytes, 13);
	r = respond("HTTP/1.1 404 Not Found\r\n\r\n");
	check_int(r.r, -ENOENT);
	check_int(r.status, 404);
	check_str(r.reason, "Not Found");
	r = respond("SSH-2.0-OpenSSH\r\n");
	check_int(r.r, -EPROTO);
}

/*
 * Sizes past what a signed 64-bit length holds once read as "until the end of
 * the stream", so a cut transfer passed for a whole one.
 */
static void test_huge_lengths(void)
{
	struct result r =
		respond("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n"
			"\r\nshort");

	check_int(r.r, -EPROTO);
	r = respond(
		"HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\nshort");
	check_int(r.r, -EPROTO);
	r = respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "ffffffffffffffff\r\nshort");
	check_int(r.r, -EPROTO);
	r = respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "10\r\nshort");
	check_int(r.r, -ECONNRESET);
}

static void test_redirects(void)
{
	struct result r = respond("HTTP/1.1 302 Found\r\nLocation:  /b/c.sqfs \r\n\r\n");
	char cur[64] = "http://10.0.0.1:8080/a/root.sqfs", small[40];

	check_int(r.r, 1);
	check_str(r.location, "/b/c.sqfs");
	check_int(http_redirect(cur, sizeof(cur), r.location), 0);
	check_str(cur, "http://10.0.0.1:8080/b/c.sqfs");
	check_int(http_redirect(cur, sizeof(cur), "http://[fd00::1]/x"), 0);
	check_str(cur, "http://[fd00::1]/x");
	/* A location that does not fit is refused, not cut. */
	strcpy(small, "http://10.0.0.1/a");
	check_int(http_redirect(small, sizeof(small),
				"/a-path-much-longer-than-forty-bytes"),
		  -E2BIG);
	check_int(http_redirect(small, sizeof(small),
				"http://10.0.0.1/a-url-much-longer-than-forty-bytes"),
		  -E2BIG);
	/* A 3xx without a Location is an error status. */
	r = respond("HTTP/1.1 301 Moved\r\n\r\n");
	check_int(r.r, -ENOENT);
}

static void test_urls(void)
{
	struct http_url u;

	check_int(http_parse_url("http://[fd00::1]:8080/x", &u), 0);
	check_str(u.host, "fd00::1");
	check_int(u.port, 8080);
	check_str(u.path, "/x");
	check_int(http_parse_url("http://host", &u), 0);
	check_str(u.path, "/");
	check_int(u.port, 80);
	check_int(http_parse_url("https://host/", &u), -EPROTONOSUPPORT);
	check_int(http_parse_url("http://host:99999/", &u), -EINVAL);
	check_int(http_parse_url("http://:80/", &u), -EINVAL);
	check_int(http_parse_url("http://[fd00::1/", &u), -EINVAL);
}

TAP_MAIN(TAP_CASE(test_bodies), TAP_CASE(test_huge_lengths), TAP_CASE(test_redirects),
	 TAP_CASE(test_urls))
