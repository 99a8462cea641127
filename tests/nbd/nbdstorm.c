// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nbdstorm: many NBD clients connecting at once, as a lab of diskless clients
 * does at power-on. Each client does the handshake (GO, or a BusyBox-style
 * EXPORT_NAME with --plain), then reads its share of the export with a few
 * requests in flight, optionally checking every byte against the image.
 * Non-blocking sockets and two threads, each with its own epoll set: one
 * connects and runs every handshake, the other moves the data of the clients
 * whose handshake is over. So the connect times measure the server, not how
 * long this program took to copy other clients' data before it looked at a
 * reply, as a lab of separate machines would see them.
 *
 * Prints one line of key=value results; exits 1 if any client failed or
 * did not finish in time.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "nbd-protocol.h"
#include "unaligned.h"

#define MAX_DEPTH 64

enum phase {
	CONNECTING,
	GREETING,
	OPTIONS,
	EXPORT_REPLY,
	TRANSMISSION,
	DONE,
	FAILED
};

static const char *const phase_names[] = { "connecting",   "greeting",	   "options",
					   "export reply", "transmission", "done",
					   "failed" };

struct slot {
	uint64_t handle;
	uint32_t len;
	bool used;
};

struct client {
	int fd;
	int id;
	enum phase phase;
	bool retry_connect;
	bool handed; /* the handshake thread let go of it */
	double t_start, t_greeting, t_ready, t_end;
	/* What is being received: a header into hdr, or a payload into buf. */
	uint8_t hdr[256];
	size_t hdr_want, hdr_have;
	bool in_payload;
	uint32_t payload_left, payload_len;
	uint64_t payload_off;
	uint32_t opt_data_left;
	uint32_t opt_type;
	uint64_t size;
	uint64_t next_off, requested, received;
	int inflight;
	struct slot slots[MAX_DEPTH];
	uint8_t tx[MAX_DEPTH * 28 + 4096];
	size_t tx_len;
	uint8_t *buf;
	char err[160];
};

static struct {
	const char *host, *port, *unix_path, *export, *image;
	int clients, depth;
	uint64_t bytes, reqsize;
	double timeout, hold;
	const char *ready_file;
	bool plain, quiet;
} opt = { .host = "127.0.0.1",
	  .port = "10809",
	  .export = "",
	  .clients = 16,
	  .depth = 4,
	  .bytes = 32 << 20,
	  .reqsize = 256 << 10,
	  .timeout = 60 };

static const uint8_t *image;
static uint64_t image_size;
static struct sockaddr_storage addr;
static socklen_t addrlen;
static int epfd_hs, epfd_data;
static atomic_int finished; /* clients done or failed */
static atomic_int in_handshake; /* clients the handshake thread still has */
static double deadline;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __attribute__((format(printf, 2, 3))) void fail(struct client *c, const char *fmt,
						       ...)
{
	va_list ap;

	if (c->phase == FAILED)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	if (!opt.quiet)
		fprintf(stderr, "nbdstorm: client %d failed in %s: %s\n", c->id,
			phase_names[c->phase], c->err);
	if (c->phase < TRANSMISSION)
		atomic_fetch_sub(&in_handshake, 1);
	c->phase = FAILED;
	c->t_end = now();
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	atomic_fetch_add(&finished, 1);
}

static void expect(struct client *c, size_t n)
{
	c->hdr_want = n;
	c->hdr_have = 0;
}

static void update_events(struct client *c)
{
	struct epoll_event ev = { .events = EPOLLIN | (c->tx_len ? EPOLLOUT : 0),
				  .data.ptr = c };

	if (c->fd >= 0)
		epoll_ctl(c->phase < TRANSMISSION ? epfd_hs : epfd_data, EPOLL_CTL_MOD,
			  c->fd, &ev);
}

static void flush_tx(struct client *c)
{
	while (c->tx_len) {
		ssize_t n = send(c->fd, c->tx, c->tx_len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			fail(c, "send: %s", strerror(errno));
			return;
		}
		memmove(c->tx, c->tx + n, c->tx_len - n);
		c->tx_len -= n;
	}
	update_events(c);
}

static void queue_tx(struct client *c, const void *p, size_t n)
{
	if (c->tx_len + n > sizeof(c->tx)) {
		fail(c, "send queue overflow");
		return;
	}
	memcpy(c->tx + c->tx_len, p, n);
	c->tx_len += n;
}

static void start_connect(struct client *c)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
	int one = 1;

	c->retry_connect = false;
	c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fail(c, "socket: %s", strerror(errno));
		return;
	}
	if (addr.ss_family != AF_UNIX)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&addr, addrlen) < 0 &&
	    errno != EINPROGRESS) {
		if (errno == EAGAIN) {
			/* A unix socket's backlog is full: try again shortly. */
			close(c->fd);
			c->fd = -1;
			c->retry_connect = true;
			return;
		}
		fail(c, "connect: %s", strerror(errno));
		return;
	}
	epoll_ctl(epfd_hs, EPOLL_CTL_ADD, c->fd, &ev);
}

static void queue_requests(struct client *c)
{
	while (c->inflight < opt.depth && c->requested < opt.bytes) {
		uint64_t len = opt.reqsize;
		uint8_t req[28];
		int s;

		if (len > opt.bytes - c->requested)
			len = opt.bytes - c->requested;
		if (c->next_off >= c->size)
			c->next_off = 0;
		if (len > c->size - c->next_off)
			len = c->size - c->next_off;
		for (s = 0; c->slots[s].used; s++)
			;
		c->slots[s] =
			(struct slot){ .handle = c->next_off, .len = len, .used = true };
		unaligned_write_be32(req, NBD_REQUEST_MAGIC);
		unaligned_write_be16(req + 4, 0);
		unaligned_write_be16(req + 6, NBD_CMD_READ);
		unaligned_write_be64(req + 8, c->next_off);
		unaligned_write_be64(req + 16, c->next_off);
		unaligned_write_be32(req + 24, len);
		queue_tx(c, req, sizeof(req));
		c->next_off += len;
		c->requested += len;
		c->inflight++;
	}
}

static void send_requests(struct client *c)
{
	queue_requests(c);
	flush_tx(c);
}

/* The handshake is over: hand the client to the data thread. */
static void enter_transmission(struct client *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };

	c->t_ready = now();
	atomic_fetch_sub(&in_handshake, 1);
	c->phase = TRANSMISSION;
	epoll_ctl(epfd_hs, EPOLL_CTL_DEL, c->fd, NULL);
	if (!c->size) {
		fail(c, "export size 0");
		return;
	}
	if (image && c->size != image_size) {
		fail(c, "export size %" PRIu64 ", image %" PRIu64, c->size, image_size);
		return;
	}
	if (opt.hold > 0) {
		/* Stay connected and idle: the caller measures what that costs. */
		c->phase = DONE;
		c->t_end = now();
		atomic_fetch_add(&finished, 1);
		return;
	}
	c->next_off = ((uint64_t)c->id * opt.bytes) % c->size / opt.reqsize * opt.reqsize;
	c->in_payload = false;
	expect(c, 16);
	queue_requests(c);
	/* From here on the data thread owns it (and sends the requests). */
	c->handed = true;
	epoll_ctl(epfd_data, EPOLL_CTL_ADD, c->fd, &ev);
}

/* A complete header (or option reply) arrived in c->hdr. */
static void on_header(struct client *c)
{
	const uint8_t *h = c->hdr;

	switch (c->phase) {
	case GREETING: {
		uint8_t out[4 + 16 + 4 + 256 + 2];
		size_t nlen = strlen(opt.export);
		uint16_t hflags = h[16] << 8 | h[17];
		uint32_t cflags;

		c->t_greeting = now();
		if (unaligned_read_be64(h) != NBD_MAGIC ||
		    unaligned_read_be64(h + 8) != NBD_IHAVEOPT) {
			fail(c, "not a newstyle NBD greeting");
			return;
		}
		cflags = opt.plain ? 0 : 1 | (hflags & 2);
		unaligned_write_be32(out, cflags);
		unaligned_write_be64(out + 4, NBD_IHAVEOPT);
		if (opt.plain) {
			unaligned_write_be32(out + 12, NBD_OPT_EXPORT_NAME);
			unaligned_write_be32(out + 16, nlen);
			memcpy(out + 20, opt.export, nlen);
			queue_tx(c, out, 20 + nlen);
			c->phase = EXPORT_REPLY;
			expect(c, 10 + 124);
		} else {
			unaligned_write_be32(out + 12, NBD_OPT_GO);
			unaligned_write_be32(out + 16, 4 + nlen + 2);
			unaligned_write_be32(out + 20, nlen);
			memcpy(out + 24, opt.export, nlen);
			unaligned_write_be16(out + 24 + nlen, 0);
			queue_tx(c, out, 26 + nlen);
			c->phase = OPTIONS;
			expect(c, 20);
		}
		flush_tx(c);
		return;
	}
	case EXPORT_REPLY:
		c->size = unaligned_read_be64(h);
		enter_transmission(c);
		return;
	case OPTIONS:
		if (c->opt_data_left == 0 && c->hdr_want == 20) {
			uint32_t len = unaligned_read_be32(h + 16);

			if (unaligned_read_be64(h) != NBD_REP_MAGIC) {
				fail(c, "bad option reply magic");
				return;
			}
			c->opt_type = unaligned_read_be32(h + 12);
			if (NBD_REP_IS_ERROR(c->opt_type)) {
				fail(c, "GO refused: reply type 0x%x", c->opt_type);
				return;
			}
			if (c->opt_type == NBD_REP_ACK) {
				enter_transmission(c);
				return;
			}
			if (len > sizeof(c->hdr)) {
				fail(c, "option reply of %u bytes", len);
				return;
			}
			if (len) {
				c->opt_data_left = len;
				expect(c, len);
			}
			return;
		}
		if (c->opt_type == NBD_REP_INFO && c->hdr_want >= 12 && h[0] == 0 &&
		    h[1] == NBD_INFO_EXPORT)
			c->size = unaligned_read_be64(h + 2);
		c->opt_data_left = 0;
		expect(c, 20);
		return;
	case TRANSMISSION: {
		uint64_t handle = unaligned_read_be64(h + 8);
		int s;

		if (unaligned_read_be32(h) != NBD_SIMPLE_REPLY_MAGIC) {
			fail(c, "bad reply magic 0x%08x", unaligned_read_be32(h));
			return;
		}
		for (s = 0; s < opt.depth; s++)
			if (c->slots[s].used && c->slots[s].handle == handle)
				break;
		if (s == opt.depth) {
			fail(c, "reply for unknown handle %" PRIu64, handle);
			return;
		}
		if (unaligned_read_be32(h + 4)) {
			fail(c, "READ at %" PRIu64 " failed with error %u", handle,
			     unaligned_read_be32(h + 4));
			return;
		}
		c->slots[s].used = false;
		c->in_payload = true;
		c->payload_off = handle;
		c->payload_len = c->payload_left = c->slots[s].len;
		return;
	}
	default:
		return;
	}
}

static void on_payload_done(struct client *c)
{
	if (image && memcmp(c->buf, image + c->payload_off, c->payload_len)) {
		fail(c, "READ at %" PRIu64 " returned wrong data", c->payload_off);
		return;
	}
	c->received += c->payload_len;
	c->inflight--;
	c->in_payload = false;
	expect(c, 16);
	if (c->received >= opt.bytes) {
		uint8_t req[NBD_REQUEST_SIZE] = { 0 };

		/* NBD_CMD_DISC, then close. */
		unaligned_write_be32(req, NBD_REQUEST_MAGIC);
		unaligned_write_be16(req + 6, NBD_CMD_DISC);
		send(c->fd, req, sizeof(req), MSG_NOSIGNAL);
		close(c->fd);
		c->fd = -1;
		c->phase = DONE;
		c->t_end = now();
		atomic_fetch_add(&finished, 1);
		return;
	}
	send_requests(c);
}

/* Returns whether the calling thread still owns the client. */
static bool owned(const struct client *c, bool hs)
{
	/* Once handed over, the handshake thread must not even look. */
	if (hs)
		return !c->handed && c->phase < TRANSMISSION;
	return c->phase == TRANSMISSION;
}

static void on_readable(struct client *c, bool hs)
{
	/* A few reads per wakeup, so every client of the loop gets its turn. */
	for (int rounds = 0; rounds < 8 && owned(c, hs); rounds++) {
		ssize_t n;

		if (c->in_payload) {
			size_t done = c->payload_len - c->payload_left;

			n = recv(c->fd, c->buf + done, c->payload_left, 0);
		} else {
			n = recv(c->fd, c->hdr + c->hdr_have, c->hdr_want - c->hdr_have,
				 0);
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			fail(c, "recv: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			fail(c, "server closed the connection");
			return;
		}
		if (c->in_payload) {
			c->payload_left -= n;
			if (!c->payload_left)
				on_payload_done(c);
		} else {
			c->hdr_have += n;
			if (c->hdr_have == c->hdr_want)
				on_header(c);
		}
	}
}

static void on_event(struct client *c, uint32_t events, bool hs)
{
	if (c->phase == CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			fail(c, "connect: %s", strerror(err));
			return;
		}
		c->phase = GREETING;
		expect(c, 18);
		update_events(c);
	}
	if (events & EPOLLOUT && c->tx_len)
		flush_tx(c);
	if (owned(c, hs) && events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_readable(c, hs);
}

static int resolve(void)
{
	if (opt.unix_path) {
		struct sockaddr_un *un = (struct sockaddr_un *)&addr;

		if (strlen(opt.unix_path) >= sizeof(un->sun_path))
			return -ENAMETOOLONG;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, opt.unix_path);
		addrlen = sizeof(*un);
		return 0;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int r = getaddrinfo(opt.host, opt.port, &hints, &ai);

	if (r) {
		fprintf(stderr, "nbdstorm: %s:%s: %s\n", opt.host, opt.port,
			gai_strerror(r));
		return -EINVAL;
	}
	memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
	addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint64_t parse_size_arg(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'K':
	case 'k':
		v <<= 10;
		end++;
		break;
	case 'M':
	case 'm':
		v <<= 20;
		end++;
		break;
	case 'G':
	case 'g':
		v <<= 30;
		end++;
		break;
	}
	if (*end || !v) {
		fprintf(stderr, "nbdstorm: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nbdstorm [-H HOST] [-p PORT | -U SOCKET] [-e EXPORT] [-n CLIENTS]\n"
		"                [-b BYTES] [-r REQSIZE] [-q DEPTH] [-i IMAGE] [-t SECS]\n"
		"                [--plain] [--quiet]\n");
}

static void handshake_events(int timeout)
{
	struct epoll_event ev[256];
	int n = epoll_wait(epfd_hs, ev, 256, timeout);

	for (int i = 0; i < n; i++)
		on_event(ev[i].data.ptr, ev[i].events, true);
}

/* The handshake thread: connects every client and runs its handshake. */
static void *handshakes(void *arg)
{
	struct client *cl = arg;

	for (int i = 0; i < opt.clients; i++) {
		cl[i].t_start = now();
		start_connect(&cl[i]);
		/* Answer the greetings that came meanwhile, as each machine would. */
		if (i % 8 == 7)
			handshake_events(0);
	}
	while (atomic_load(&in_handshake) > 0 && now() < deadline) {
		bool retrying = false;

		for (int i = 0; i < opt.clients; i++) {
			if (cl[i].retry_connect) {
				retrying = true;
				start_connect(&cl[i]);
			}
		}
		handshake_events(retrying ? 10 : 100);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "unix", required_argument, NULL, 'U' },
		{ "export", required_argument, NULL, 'e' },
		{ "clients", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "request-size", required_argument, NULL, 'r' },
		{ "depth", required_argument, NULL, 'q' },
		{ "image", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "plain", no_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "hold", required_argument, NULL, 'W' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct client *cl;
	double t0, *lat, *glat;
	pthread_t hs;
	int o, failed = 0, nready = 0, ngreet = 0;
	uint64_t total = 0;

	while ((o = getopt_long(argc, argv, "H:p:U:e:n:b:r:q:i:t:h", longopts, NULL)) !=
	       -1) {
		switch (o) {
		case 'H':
			opt.host = optarg;
			break;
		case 'p':
			opt.port = optarg;
			break;
		case 'U':
			opt.unix_path = optarg;
			break;
		case 'e':
			opt.export = optarg;
			break;
		case 'n':
			opt.clients = atoi(optarg);
			break;
		case 'b':
			opt.bytes = parse_size_arg(optarg);
			break;
		case 'r':
			opt.reqsize = parse_size_arg(optarg);
			break;
		case 'q':
			opt.depth = atoi(optarg);
			break;
		case 'i':
			opt.image = optarg;
			break;
		case 't':
			opt.timeout = atof(optarg);
			break;
		case 'P':
			opt.plain = true;
			break;
		case 'Q':
			opt.quiet = true;
			break;
		case 'W':
			opt.hold = atof(optarg);
			break;
		case 'R':
			opt.ready_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || opt.clients < 1 || opt.depth < 1 || opt.depth > MAX_DEPTH ||
	    opt.reqsize > (64 << 20) || strlen(opt.export) > 256 || opt.timeout <= 0) {
		usage(stderr);
		return 2;
	}
	if (opt.image) {
		int fd = open(opt.image, O_RDONLY | O_CLOEXEC);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) < 0) {
			fprintf(stderr, "nbdstorm: cannot open %s: %s\n", opt.image,
				strerror(errno));
			return 1;
		}
		image_size = st.st_size;
		image = mmap(NULL, image_size, PROT_READ, MAP_SHARED, fd, 0);
		if (image == MAP_FAILED) {
			fprintf(stderr, "nbdstorm: cannot map %s: %s\n", opt.image,
				strerror(errno));
			return 1;
		}
		close(fd);
	}
	if (resolve() < 0)
		return 1;
	epfd_hs = epoll_create1(EPOLL_CLOEXEC);
	epfd_data = epoll_create1(EPOLL_CLOEXEC);
	cl = calloc(opt.clients, sizeof(*cl));
	lat = calloc(opt.clients, sizeof(*lat));
	glat = calloc(opt.clients, sizeof(*glat));
	if (epfd_hs < 0 || epfd_data < 0 || !cl || !lat || !glat) {
		fprintf(stderr, "nbdstorm: out of resources\n");
		return 1;
	}
	t0 = now();
	deadline = t0 + opt.timeout;
	for (int i = 0; i < opt.clients; i++) {
		cl[i].id = i;
		cl[i].fd = -1;
		cl[i].phase = CONNECTING;
		cl[i].buf = malloc(opt.reqsize);
		if (!cl[i].buf) {
			fprintf(stderr, "nbdstorm: out of memory\n");
			return 1;
		}
	}
	atomic_store(&in_handshake, opt.clients);
	o = pthread_create(&hs, NULL, handshakes, cl);
	if (o) {
		fprintf(stderr, "nbdstorm: cannot start a thread: %s\n", strerror(o));
		return 1;
	}
	while (atomic_load(&finished) < opt.clients && now() < deadline) {
		struct epoll_event ev[256];
		int n = epoll_wait(epfd_data, ev, 256, 10);

		for (int i = 0; i < n; i++)
			on_event(ev[i].data.ptr, ev[i].events, false);
	}
	pthread_join(hs, NULL);
	for (int i = 0; i < opt.clients; i++) {
		struct client *c = &cl[i];

		if (c->phase != DONE && c->phase != FAILED) {
			char what[64];

			snprintf(what, sizeof(what), "not finished after %.0fs",
				 opt.timeout);
			fail(c, "%s (received %" PRIu64 " bytes)", what, c->received);
		}
		failed += c->phase == FAILED;
		total += c->received;
		if (c->t_ready > 0)
			lat[nready++] = (c->t_ready - c->t_start) * 1000;
		if (c->t_greeting > 0)
			glat[ngreet++] = (c->t_greeting - c->t_start) * 1000;
	}
	double secs = now() - t0;

	if (opt.hold > 0 && !failed) {
		if (opt.ready_file) {
			FILE *f = fopen(opt.ready_file, "w");

			if (f)
				fclose(f);
		}
		usleep(opt.hold * 1e6);
	}

	qsort(lat, nready, sizeof(*lat), cmp_double);
	qsort(glat, ngreet, sizeof(*glat), cmp_double);
	printf("clients=%d ok=%d failed=%d bytes=%" PRIu64 " secs=%.3f mib_s=%.1f "
	       "connect_p50_ms=%.2f connect_p99_ms=%.2f connect_max_ms=%.2f "
	       "greeting_p50_ms=%.2f greeting_p99_ms=%.2f\n",
	       opt.clients, opt.clients - failed, failed, total, secs,
	       total / 1048576.0 / secs, nready ? lat[nready / 2] : -1.0,
	       nready ? lat[(nready * 99 + 99) / 100 - 1] : -1.0,
	       nready ? lat[nready - 1] : -1.0, ngreet ? glat[ngreet / 2] : -1.0,
	       ngreet ? glat[(ngreet * 99 + 99) / 100 - 1] : -1.0);
	for (int i = 0; i < opt.clients; i++) {
		if (cl[i].fd >= 0)
			close(cl[i].fd);
		free(cl[i].buf);
	}
	free(cl);
	free(lat);
	free(glat);
	return failed ? 1 : 0;
}
