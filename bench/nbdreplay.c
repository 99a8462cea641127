// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nbdreplay: replay a recorded trace of NBD reads (bench/data/, lines
 * "CONNECTION OFFSET LENGTH") against a server with libnbd, as one booting
 * client would: one connection, the reads in the recorded order, up to DEPTH
 * of them in flight (the kernel's NBD client keeps several readahead requests
 * outstanding). With -b the connection leaves from a given source address, the
 * client's leased one, so that the server sees each simulated client apart.
 * Prints "BYTES" read on success; one line naming the problem and exit 1
 * otherwise.
 *
 * libnbd does the protocol; only the socket is made here, because libnbd
 * cannot bind a source address before it connects.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libnbd.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct req {
	uint64_t off;
	uint32_t len;
};

static int load_trace(const char *path, struct req **out, size_t *n, uint32_t *maxlen)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t cap = 0;

	if (!f)
		return -errno;
	*out = NULL;
	*n = 0;
	*maxlen = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long conn, off, len;

		if (line[0] == '#' ||
		    sscanf(line, "%llu %llu %llu", &conn, &off, &len) != 3)
			continue;
		if (len == 0 || len > 64u << 20)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4096;
			struct req *r = realloc(*out, cap * sizeof(**out));
			if (!r) {
				fclose(f);
				return -ENOMEM;
			}
			*out = r;
		}
		(*out)[*n].off = off;
		(*out)[*n].len = len;
		if (len > *maxlen)
			*maxlen = len;
		(*n)++;
	}
	fclose(f);
	return 0;
}

static int connect_from(const char *host, const char *port, const char *src)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	int fd, r;

	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0)
		return -EHOSTUNREACH;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		freeaddrinfo(ai);
		return r;
	}
	if (src) {
		struct sockaddr_in me = { .sin_family = AF_INET };

		if (inet_pton(AF_INET, src, &me.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
			r = errno ? -errno : -EINVAL;
			goto fail;
		}
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		r = -errno;
		goto fail;
	}
	freeaddrinfo(ai);
	return fd;
fail:
	close(fd);
	freeaddrinfo(ai);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "depth", required_argument, NULL, 'd' },
		{ "bind", required_argument, NULL, 'b' },
		{ "export", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *src = NULL, *export = "";
	int depth = 4, c;

	while ((c = getopt_long(argc, argv, "d:b:e:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			depth = atoi(optarg);
			if (depth < 1 || depth > 64) {
				fprintf(stderr, "nbdreplay: invalid depth: %s\n", optarg);
				return 2;
			}
			break;
		case 'b':
			src = optarg;
			break;
		case 'e':
			export = optarg;
			break;
		case 'h':
			printf("Usage: nbdreplay [-d DEPTH] [-b SOURCE-ADDR] [-e EXPORT] HOST PORT "
			       "TRACE\n");
			return 0;
		default:
			return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr,
			"Usage: nbdreplay [-d DEPTH] [-b SOURCE-ADDR] [-e EXPORT] HOST "
			"PORT TRACE\n");
		return 2;
	}

	struct req *reqs = NULL;
	size_t n = 0;
	uint32_t maxlen = 0;
	int r = load_trace(argv[optind + 2], &reqs, &n, &maxlen);
	if (r < 0) {
		fprintf(stderr, "nbdreplay: cannot read %s: %s\n", argv[optind + 2],
			strerror(-r));
		return 1;
	}
	int fd = connect_from(argv[optind], argv[optind + 1], src);
	if (fd < 0) {
		fprintf(stderr, "nbdreplay: cannot connect to %s:%s: %s\n", argv[optind],
			argv[optind + 1], strerror(-fd));
		return 1;
	}
	struct nbd_handle *h = nbd_create();
	if (!h || nbd_set_export_name(h, export) < 0 || nbd_connect_socket(h, fd) < 0) {
		fprintf(stderr, "nbdreplay: handshake with %s:%s: %s\n", argv[optind],
			argv[optind + 1], nbd_get_error());
		return 1;
	}

	/* One buffer and one cookie per slot; a slot is free when its cookie is 0. */
	int64_t *cookie = calloc(depth, sizeof(*cookie));
	char **buf = calloc(depth, sizeof(*buf));
	if (!cookie || !buf)
		return 1;
	for (int i = 0; i < depth; i++) {
		buf[i] = malloc(maxlen ? maxlen : 1);
		if (!buf[i])
			return 1;
	}
	size_t next = 0, done = 0;
	uint64_t bytes = 0;
	int busy = 0;
	while (done < n) {
		for (int i = 0; i < depth && next < n; i++) {
			if (cookie[i])
				continue;
			cookie[i] = nbd_aio_pread(h, buf[i], reqs[next].len,
						  reqs[next].off, NBD_NULL_COMPLETION, 0);
			if (cookie[i] < 0) {
				fprintf(stderr, "nbdreplay: read at %" PRIu64 ": %s\n",
					reqs[next].off, nbd_get_error());
				return 1;
			}
			bytes += reqs[next].len;
			next++;
			busy++;
		}
		if (nbd_poll(h, -1) < 0) {
			fprintf(stderr, "nbdreplay: %s\n", nbd_get_error());
			return 1;
		}
		for (int i = 0; i < depth; i++) {
			if (!cookie[i])
				continue;
			r = nbd_aio_command_completed(h, cookie[i]);
			if (r == 0)
				continue;
			if (r < 0) {
				fprintf(stderr, "nbdreplay: read failed: %s\n",
					nbd_get_error());
				return 1;
			}
			cookie[i] = 0;
			busy--;
			done++;
		}
	}
	nbd_shutdown(h, 0);
	nbd_close(h);
	printf("%" PRIu64 "\n", bytes);
	return 0;
}
