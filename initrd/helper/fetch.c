// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Download a root image over plain HTTP into a file, hashing it on the way so
 * that the check against the expected checksum costs no second pass over a
 * large image. BusyBox's wget has no usable stall timeout here (its -T
 * crashes in Debian's 1.35), and an image download must not hang a boot.
 *
 * HTTP/1.1 GET with Connection: close; Content-Length or chunked bodies;
 * up to five redirects to other http:// URLs. HTTPS is left to BusyBox.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "helper.h"
#include "log.h"
#include "util.h"

#include "fetch.h"

#define MAX_REDIRECTS 5

/* Exit status for a checksum mismatch: no point in downloading again. */
#define EXIT_MISMATCH 3

static void usage(void)
{
	printf("Usage: pxeroot-helper fetch [OPTIONS] URL FILE\n"
	       "\n"
	       "Download an http:// URL into FILE and print its size, time and checksums.\n"
	       "\n"
	       "  --sha256 HEX        refuse the file (exit 3) unless its SHA-256 is HEX\n"
	       "  --md5 HEX           refuse the file (exit 3) unless its MD5 is HEX\n"
	       "  -t, --timeout SECS  give up when no data came for SECS (default 30)\n"
	       "  -h, --help\n");
}

int http_parse_url(const char *s, struct http_url *u)
{
	const char *p, *hend, *slash;

	if (strncasecmp(s, "http://", 7) != 0)
		return -EPROTONOSUPPORT;
	p = s + 7;
	slash = strchr(p, '/');
	hend = slash ? slash : p + strlen(p);
	u->port = 80;
	if (*p == '[') {
		const char *rb = memchr(p, ']', hend - p);
		if (!rb || (size_t)(rb - p - 1) >= sizeof(u->host))
			return -EINVAL;
		memcpy(u->host, p + 1, rb - p - 1);
		u->host[rb - p - 1] = '\0';
		p = rb + 1;
	} else {
		const char *colon = memchr(p, ':', hend - p);
		const char *e = colon ? colon : hend;
		if (e == p || (size_t)(e - p) >= sizeof(u->host))
			return -EINVAL;
		memcpy(u->host, p, e - p);
		u->host[e - p] = '\0';
		p = e;
	}
	if (*p == ':') {
		char port[8];
		size_t n = hend - p - 1;

		if (n == 0 || n >= sizeof(port))
			return -EINVAL;
		memcpy(port, p + 1, n);
		port[n] = '\0';
		if (parse_uint(port, 1, 65535, &u->port) < 0)
			return -EINVAL;
	} else if (p != hend) {
		return -EINVAL;
	}
	snprintf(u->path, sizeof(u->path), "%s", slash ? slash : "/");
	return 0;
}

/* Fill the buffer with at least one more byte; 0 at the end of the stream. */
static ssize_t fill(struct http_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int r;

	if (c->start == c->end)
		c->start = c->end = 0;
	if (c->end == sizeof(c->buf)) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	do
		r = poll(&p, 1, c->timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	do
		n = read(c->fd, c->buf + c->end, sizeof(c->buf) - c->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c->end += n;
	return n;
}

/* One line (CRLF or LF ended) into line, without the end of line. */
static int read_line(struct http_conn *c, char *line, size_t len)
{
	for (;;) {
		char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);

		if (nl) {
			size_t n = nl - (c->buf + c->start);
			if (n >= len)
				return -E2BIG;
			memcpy(line, c->buf + c->start, n);
			if (n && line[n - 1] == '\r')
				n--;
			line[n] = '\0';
			c->start = nl - c->buf + 1;
			return 0;
		}
		if (c->end - c->start >= HTTP_HEADER_MAX)
			return -E2BIG;
		ssize_t r = fill(c);
		if (r < 0)
			return r;
		if (r == 0)
			return -ECONNRESET;
	}
}

static int sink_write(struct http_sink *s, const char *data, size_t len)
{
	sha256_update(&s->sha, data, len);
	md5_update(&s->md5, data, len);
	s->bytes += len;
	return write_full(s->fd, data, len);
}

/* Copy up to len bytes (all until the end when len is -1) of body to s. */
static int copy_body(struct http_conn *c, struct http_sink *s, int64_t len)
{
	while (len != 0) {
		size_t avail = c->end - c->start;
		int r;

		if (avail == 0) {
			ssize_t n = fill(c);
			if (n < 0)
				return n;
			if (n == 0)
				return len < 0 ? 0 : -ECONNRESET;
			continue;
		}
		if (len > 0 && (uint64_t)len < avail)
			avail = len;
		r = sink_write(s, c->buf + c->start, avail);
		if (r < 0)
			return r;
		c->start += avail;
		if (len > 0)
			len -= avail;
	}
	return 0;
}

static int copy_chunked(struct http_conn *c, struct http_sink *s)
{
	char line[256];
	int r;

	for (;;) {
		unsigned long long size;
		char *end;

		r = read_line(c, line, sizeof(line));
		if (r < 0)
			return r;
		errno = 0;
		size = strtoull(line, &end, 16);
		if (end == line || errno || size > INT64_MAX)
			return -EPROTO;
		if (size == 0)
			return 0; /* trailers, if any, do not matter */
		r = copy_body(c, s, size);
		if (r < 0)
			return r;
		r = read_line(c, line, sizeof(line));
		if (r < 0)
			return r;
	}
}

int http_response(struct http_conn *c, struct http_sink *s, char *location, size_t loclen,
		  int *status, char *reason, size_t reasonlen)
{
	char line[HTTP_HEADER_MAX];
	int64_t length = -1;
	bool chunked = false;
	int r, code;

	r = read_line(c, line, sizeof(line));
	if (r < 0)
		return r;
	if (sscanf(line, "HTTP/%*d.%*d %d", &code) != 1)
		return -EPROTO;
	*status = code;
	{
		const char *sp = strchr(line, ' ');
		sp = sp ? strchr(sp + 1, ' ') : NULL;
		snprintf(reason, reasonlen, "%s", sp ? sp + 1 : "");
	}
	for (;;) {
		r = read_line(c, line, sizeof(line));
		if (r < 0)
			return r;
		if (!*line)
			break;
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			uint64_t v;
			if (parse_u64(strstrip(line + 15), &v) < 0 || v > INT64_MAX)
				return -EPROTO;
			length = v;
		} else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
			chunked = strcasestr(line + 18, "chunked") != NULL;
		} else if (strncasecmp(line, "Location:", 9) == 0) {
			snprintf(location, loclen, "%s", strstrip(line + 9));
		}
	}
	if (code >= 300 && code < 400 && *location)
		return 1;
	if (code != 200)
		return -ENOENT;
	return chunked ? copy_chunked(c, s) : copy_body(c, s, length);
}

int http_redirect(char *current, size_t size, const char *location)
{
	struct http_url u;
	char *pathstart;

	if (location[0] != '/') {
		if ((size_t)snprintf(current, size, "%s", location) >= size)
			return -E2BIG;
		return 0;
	}
	/* A path on the same server. */
	if (http_parse_url(current, &u) < 0)
		return -EINVAL;
	pathstart = strchr(current + 7, '/');
	if (pathstart)
		*pathstart = '\0';
	if (strlen(current) + strlen(location) >= size)
		return -E2BIG;
	strcat(current, location);
	return 0;
}

/*
 * One request. Returns 0 with the body in s, 1 with a redirect in location,
 * or a negative errno with *status set when the server said no.
 */
static int request(const struct http_url *u, int timeout_ms, struct http_sink *s,
		   char *location, size_t loclen, int *status, char *reason,
		   size_t reasonlen)
{
	_cleanup_free_ struct http_conn *c = calloc(1, sizeof(*c));
	struct endpoint ep;
	char req[4600];
	int r;

	if (!c)
		return -ENOMEM;
	r = endpoint_resolve(u->host, u->port, &ep);
	if (r < 0)
		return r;
	c->timeout_ms = timeout_ms;
	c->fd = tcp_connect(&ep, timeout_ms);
	if (c->fd < 0)
		return c->fd;
	{
		/* Host: carries the port when it is not the default, and brackets for
		 * IPv6. */
		bool v6 = strchr(u->host, ':') != NULL;
		char hostport[300], portstr[8] = "";

		if (u->port != 80)
			snprintf(portstr, sizeof(portstr), ":%u", u->port);
		snprintf(hostport, sizeof(hostport), "%s%s%s%s", v6 ? "[" : "", u->host,
			 v6 ? "]" : "", portstr);
		snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: pxeroot/%s\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n",
			 u->path, hostport, PXEROOT_VERSION);
	}
	r = write_full(c->fd, req, strlen(req));
	if (r == 0)
		r = http_response(c, s, location, loclen, status, reason, reasonlen);
	close(c->fd);
	return r;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

int fetch_main(int argc, char **argv)
{
	enum {
		OPT_SHA256 = 0x100,
		OPT_MD5
	};
	static const struct option opts[] = { { "sha256", required_argument, NULL,
						OPT_SHA256 },
					      { "md5", required_argument, NULL, OPT_MD5 },
					      { "timeout", required_argument, NULL, 't' },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	const char *want_sha = NULL, *want_md5 = NULL, *file;
	unsigned int timeout = 30;
	char current[4200], location[4200];
	struct http_sink s = { .fd = -1 };
	struct timespec t0;
	uint8_t dig[32];
	char sha_hex[65], md5_hex[33];
	int o, r = 0;

	optind = 1;
	while ((o = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
		switch (o) {
		case OPT_SHA256:
			want_sha = optarg;
			break;
		case OPT_MD5:
			want_md5 = optarg;
			break;
		case 't':
			if (parse_uint(optarg, 1, 86400, &timeout) < 0) {
				log_error("invalid timeout '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage();
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage();
		return EXIT_USAGE;
	}
	snprintf(current, sizeof(current), "%s", argv[optind]);
	file = argv[optind + 1];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int hop = 0;; hop++) {
		struct http_url u;
		int status = 0;
		char reason[128] = "";

		r = http_parse_url(current, &u);
		if (r == -EPROTONOSUPPORT) {
			log_error("%s: only http:// URLs are fetched here", current);
			return EXIT_FAILURE;
		}
		if (r < 0) {
			log_error("%s: not a valid http:// URL", current);
			return EXIT_FAILURE;
		}
		if (s.fd >= 0)
			close(s.fd);
		s.fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (s.fd < 0) {
			log_errno(-errno, "cannot create %s", file);
			return EXIT_FAILURE;
		}
		s.bytes = 0;
		sha256_init(&s.sha);
		md5_init(&s.md5);
		location[0] = '\0';
		r = request(&u, timeout * 1000, &s, location, sizeof(location), &status,
			    reason, sizeof(reason));
		if (r == 1) {
			if (hop == MAX_REDIRECTS) {
				log_error("%s: too many redirects", argv[optind]);
				r = -ELOOP;
				break;
			}
			if (http_redirect(current, sizeof(current), location) < 0) {
				log_error("%s: redirected to a location too long: %.100s",
					  current, location);
				r = -E2BIG;
				break;
			}
			continue;
		}
		if (r == -ENOENT && status) {
			log_error("%s: HTTP %d %s", current, status, reason);
			break;
		}
		if (r == -ETIMEDOUT) {
			log_error("%s: no data for %u s", current, timeout);
			break;
		}
		if (r == -ECONNRESET && s.bytes) {
			log_error("%s: the connection closed after %llu bytes", current,
				  (unsigned long long)s.bytes);
			break;
		}
		if (r < 0) {
			log_errno(r, "%s", current);
			break;
		}
		break;
	}
	if (r == 0 && fsync(s.fd) < 0 && errno != EINVAL)
		r = log_errno(-errno, "cannot write %s", file);
	close(s.fd);
	if (r < 0) {
		unlink(file);
		return EXIT_FAILURE;
	}
	sha256_final(&s.sha, dig);
	hex_string(dig, 32, sha_hex);
	md5_final(&s.md5, dig);
	hex_string(dig, 16, md5_hex);
	if ((want_sha && strcasecmp(want_sha, sha_hex) != 0) ||
	    (want_md5 && strcasecmp(want_md5, md5_hex) != 0)) {
		bool sha_bad = want_sha && strcasecmp(want_sha, sha_hex) != 0;
		log_error("checksum mismatch for %s: %s %s, expected %s", argv[optind],
			  sha_bad ? "sha256" : "md5", sha_bad ? sha_hex : md5_hex,
			  sha_bad ? want_sha : want_md5);
		unlink(file);
		return EXIT_MISMATCH;
	}
	printf("%llu %.2f %s %s\n", (unsigned long long)s.bytes, seconds_since(&t0),
	       sha_hex, md5_hex);
	return 0;
}
