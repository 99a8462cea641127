// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A DHCPv6 client for ip=dhcp6 (RFC 8415): SOLICIT, ADVERTISE, REQUEST,
 * REPLY for one non-temporary address (IA_NA), with the DNS servers and
 * search list (options 23 and 24, RFC 3646) and the boot file URL and its
 * parameters (options 59 and 60, RFC 5970).
 *
 * Hand-written because the initramfs takes BusyBox from the build host, and
 * Debian 12's busybox-static has no udhcpc6; taking another release's
 * BusyBox would tie mkbootimage to one distribution's build of it. The
 * client is small: it asks for an address once and leaves renewing to the
 * real system, which reads the lease from /run/pxeroot/net.env.
 *
 * The lease is written as shell assignments (dhcp_ip='...') that /init
 * sources, like udhcpc.script's for DHCPv4.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dhcp6-msg.h"
#include "helper.h"
#include "log.h"
#include "strbuf.h"
#include "unaligned.h"
#include "util.h"

#define DHCP6_CLIENT_PORT 546
#define DHCP6_SERVER_PORT 547

struct dhcp6_client {
	int fd;
	unsigned int ifindex;
	struct dhcp6_ident id;
	struct timespec t0;
};

static void usage(void)
{
	printf("Usage: pxeroot-helper dhcp6 [OPTIONS] INTERFACE FILE\n"
	       "\n"
	       "Ask a DHCPv6 server for an address on INTERFACE (stateful, IA_NA) and\n"
	       "write the lease to FILE as shell assignments: dhcp_ip, dhcp_lease,\n"
	       "dhcp_dns, dhcp_search, dhcp_boot_file, dhcp_boot_params, dhcp6_server.\n"
	       "\n"
	       "  -t, --timeout SECS  give up after SECS without a lease (default 30)\n"
	       "  -a, --arch N        send client architecture N (option 61, RFC 5970):\n"
	       "                      a server may answer each with its own boot file\n"
	       "  -h, --help\n");
}

static unsigned int elapsed_cs(const struct dhcp6_client *c)
{
	struct timespec t;
	long long cs;

	clock_gettime(CLOCK_MONOTONIC, &t);
	cs = (t.tv_sec - c->t0.tv_sec) * 100LL + (t.tv_nsec - c->t0.tv_nsec) / 10000000;
	return cs > 0xffff ? 0xffff : (unsigned int)cs;
}

static int send_msg(const struct dhcp6_client *c, const uint8_t *buf, size_t n)
{
	struct sockaddr_in6 to = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(DHCP6_SERVER_PORT),
		.sin6_scope_id = c->ifindex,
	};

	/* All_DHCP_Relay_Agents_and_Servers. */
	inet_pton(AF_INET6, "ff02::1:2", &to.sin6_addr);
	if (sendto(c->fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/*
 * Send a message of type `type` and wait for an answer of type `want`, again
 * and again with twice the wait each time (RFC 8415's back-off, from 1 s, at
 * most 8 s: a boot should not wait two minutes between tries), until the
 * deadline. A SOLICIT takes the first usable ADVERTISE: waiting for better
 * ones would cost a second on every boot.
 */
static int exchange(struct dhcp6_client *c, int type, int want,
		    const struct dhcp6_lease *req, const struct timespec *deadline,
		    struct dhcp6_lease *ret)
{
	uint8_t out[DHCP6_MSG_MAX], in[2048];
	int wait_ms = 1000;

	for (;;) {
		struct timespec now, until;
		size_t n = dhcp6_build(&c->id, type, req, elapsed_cs(c), out);
		int r = send_msg(c, out, n);

		if (r < 0)
			return r;
		clock_gettime(CLOCK_MONOTONIC, &now);
		until = now;
		until.tv_sec += wait_ms / 1000;
		until.tv_nsec += (wait_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (until.tv_sec > deadline->tv_sec)
			until = *deadline;
		for (;;) {
			struct pollfd p = { .fd = c->fd, .events = POLLIN };
			long ms;
			struct sockaddr_in6 sa;
			socklen_t salen = sizeof(sa);
			struct dhcp6_lease m;
			ssize_t got;

			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (until.tv_sec - now.tv_sec) * 1000 +
			     (until.tv_nsec - now.tv_nsec) / 1000000;
			if (ms <= 0)
				break;
			r = poll(&p, 1, (int)ms);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				break;
			got = recvfrom(c->fd, in, sizeof(in), 0, (struct sockaddr *)&sa,
				       &salen);
			if (got < 0)
				continue;
			if (got < 4 || in[0] != want)
				continue;
			/* Another client's or a malformed message leaves ret as it was. */
			memset(&m, 0, sizeof(m));
			if (dhcp6_parse(&c->id, in, got, &m) < 0) {
				dhcp6_lease_done(&m);
				continue;
			}
			dhcp6_lease_done(ret);
			*ret = m;
			inet_ntop(AF_INET6, &sa.sin6_addr, ret->from, sizeof(ret->from));
			if (want == MSG_ADVERTISE && (ret->status || !ret->has_addr)) {
				log_info(
					"dhcp6: an ADVERTISE without an address (status %d)",
					ret->status);
				continue;
			}
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec >= deadline->tv_sec)
			return -ETIMEDOUT;
		if (wait_ms < 8000)
			wait_ms *= 2;
	}
}

static int read_mac(const char *ifname, uint8_t mac[6])
{
	char path[128], buf[32];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 17)
		return -EINVAL;
	buf[n] = '\0';
	if (sscanf(buf, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
		   &mac[3], &mac[4], &mac[5]) != 6)
		return -EINVAL;
	return 0;
}

static void put_var(struct strbuf *b, const char *name, const char *value)
{
	/* Values come from the network: single quotes, each ' as '\''. */
	strbuf_appendf(b, "%s='", name);
	for (const char *s = value; *s; s++) {
		if (*s == '\'')
			strbuf_appends(b, "'\\''");
		else if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			strbuf_appendc(b, *s);
	}
	strbuf_appends(b, "'\n");
}

static int write_lease(const char *file, const struct dhcp6_lease *l, const char *server)
{
	struct strbuf b = {};
	char a[INET6_ADDRSTRLEN], n[16];
	int r;

	inet_ntop(AF_INET6, &l->addr, a, sizeof(a));
	snprintf(n, sizeof(n), "%u", l->valid);
	put_var(&b, "dhcp_ip", a);
	put_var(&b, "dhcp_lease", n);
	put_var(&b, "dhcp_dns", strbuf_str(&l->dns));
	put_var(&b, "dhcp_search", strbuf_str(&l->search));
	put_var(&b, "dhcp_boot_file", strbuf_str(&l->boot_url));
	put_var(&b, "dhcp_boot_params", strbuf_str(&l->params));
	put_var(&b, "dhcp6_server", server);
	r = write_file_atomic_at(AT_FDCWD, file, strbuf_str(&b), b.len, 0644);
	strbuf_done(&b);
	return r;
}

int dhcp6_main(int argc, char **argv)
{
	static const struct option opts[] = { { "timeout", required_argument, NULL, 't' },
					      { "arch", required_argument, NULL, 'a' },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	struct dhcp6_client c = { .fd = -1, .id.arch = -1 };
	struct dhcp6_lease adv = {}, reply = {};
	struct sockaddr_in6 any = { .sin6_family = AF_INET6,
				    .sin6_port = htons(DHCP6_CLIENT_PORT) };
	struct timespec deadline;
	unsigned int timeout = 30, arch;
	const char *ifname, *file;
	uint8_t mac[6];
	int o, r, one = 1, hops = 1;
	bool advertised;

	optind = 1;
	while ((o = getopt_long(argc, argv, "t:a:h", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			if (parse_uint(optarg, 1, 3600, &timeout) < 0) {
				log_error("invalid timeout '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'a':
			if (parse_uint(optarg, 0, 0xffff, &arch) < 0) {
				log_error("invalid architecture '%s'", optarg);
				return EXIT_USAGE;
			}
			c.id.arch = (int)arch;
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
	ifname = argv[optind];
	file = argv[optind + 1];

	c.ifindex = if_nametoindex(ifname);
	if (!c.ifindex) {
		log_error("dhcp6: no interface %s", ifname);
		return 1;
	}
	r = read_mac(ifname, mac);
	if (r < 0) {
		log_error("dhcp6: cannot read the MAC address of %s: %s", ifname,
			  strerror(-r));
		return 1;
	}
	c.id.duid[1] = 3; /* DUID-LL */
	c.id.duid[3] = 1; /* Ethernet */
	memcpy(c.id.duid + 4, mac, 6);
	c.id.iaid = unaligned_read_be32(mac + 2);
	if (getrandom(c.id.xid, sizeof(c.id.xid), 0) != sizeof(c.id.xid))
		memcpy(c.id.xid, mac + 3, 3);

	c.fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0) {
		log_error("dhcp6: cannot open a socket: %s", strerror(errno));
		return 1;
	}
	setsockopt(c.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(c.fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname)) < 0 ||
	    setsockopt(c.fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &c.ifindex,
		       sizeof(c.ifindex)) < 0 ||
	    setsockopt(c.fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) <
		    0 ||
	    bind(c.fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		log_error("dhcp6: cannot listen on %s port %d: %s", ifname,
			  DHCP6_CLIENT_PORT, strerror(errno));
		close(c.fd);
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	deadline = c.t0;
	deadline.tv_sec += timeout;
	r = exchange(&c, MSG_SOLICIT, MSG_ADVERTISE, NULL, &deadline, &adv);
	advertised = r == 0;
	if (advertised) {
		/* The REQUEST has a new transaction. */
		c.id.xid[2]++;
		r = exchange(&c, MSG_REQUEST, MSG_REPLY, &adv, &deadline, &reply);
	}
	close(c.fd);
	if (r == 0 && (reply.status || !reply.has_addr)) {
		log_error("dhcp6: the server's REPLY gives no address on %s (status %d)",
			  ifname, reply.status);
		r = -EADDRNOTAVAIL;
	} else if (r == -ETIMEDOUT && !advertised && adv.status) {
		/* The last ADVERTISE said why it had no address (2: NoAddrsAvail). */
		log_error("dhcp6: the DHCPv6 server on %s has no address for this client "
			  "(status %d)",
			  ifname, adv.status);
	} else if (r == -ETIMEDOUT) {
		log_error("dhcp6: no %s from a DHCPv6 server on %s in %u s",
			  advertised ? "REPLY" : "ADVERTISE", ifname, timeout);
	} else if (r < 0) {
		log_error("dhcp6: %s: %s", ifname, strerror(-r));
	}
	if (r == 0) {
		r = write_lease(file, &reply, reply.from);
		if (r < 0)
			log_error("cannot write %s: %s", file, strerror(-r));
	}
	dhcp6_lease_done(&adv);
	dhcp6_lease_done(&reply);
	return r < 0 ? 1 : 0;
}
