// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dhcpprobe: a DHCP client for tests that asks what a network boot client
 * would ask and prints what every server answered, one field a line:
 *
 *   offer 10.77.0.1 yiaddr 10.77.0.100
 *   offer 10.77.0.1 file pxelinux.0
 *   ack 10.77.0.1 option60 PXEClient
 *   proxy 10.77.0.1 file snponly.efi
 *
 * The first word is the message (offer, ack, nak, and proxy for the answer
 * of a proxy DHCP server's port 4011), the second the server (option 54, else
 * the packet's source). It runs in a network namespace of the test's own on an
 * interface with or without an address: it sets the broadcast flag, so that
 * servers answer to the broadcast address, and sends from port 68.
 *
 * No DHCP client at hand does this: udhcpc and dhclient take a lease and set
 * up the interface, and none lets a test choose the PXE options (93, 94, 97,
 * 60, 77, 175) or prints a proxy server's answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DHCP_MAGIC 0x63825363u
#define BOOTREQUEST 1
#define BOOTREPLY 2

enum {
	DISCOVER = 1,
	OFFER = 2,
	REQUEST = 3,
	DECLINE = 4,
	ACK = 5,
	NAK = 6
};

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	char sname[64];
	char file[128];
	uint32_t magic;
	/* Up to the 1472 bytes the client says it accepts (option 57). */
	uint8_t options[1472 - 240];
} __attribute__((packed));

struct probe {
	const char *ifname;
	uint8_t mac[6];
	int arch; /* option 93, -1: none */
	const char *vendor; /* option 60 */
	const char *user_class; /* option 77, as iPXE sends it: no length prefix */
	int ipxe; /* option 175 */
	int timeout_ms;
	uint32_t xid;
	int fd;
};

struct reply {
	int type;
	uint32_t server, yiaddr, siaddr;
	char file[129], sname[65];
	const uint8_t *opt[256];
	uint8_t optlen[256];
	struct dhcp_msg msg;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dhcpprobe -i IFACE [OPTIONS]\n"
		"\n"
		"Send DHCPDISCOVER (and DHCPREQUEST) as a network boot client and print\n"
		"every answer, one field a line: MESSAGE SERVER FIELD VALUE.\n"
		"\n"
		"  -i, --interface IFACE   send and receive on IFACE\n"
		"  -m, --mac MAC           the client's hardware address (default 52:54:00:00:00:99)\n"
		"  -a, --arch N            option 93, the client architecture (0 BIOS, 7 UEFI x86-64,\n"
		"                          11 arm64, 16 UEFI HTTP x86-64); adds options 94 and 97\n"
		"  -c, --vendor-class S    option 60 (e.g. PXEClient:Arch:00007:UNDI:003000)\n"
		"  -u, --user-class S      option 77 (e.g. iPXE)\n"
		"  -e, --ipxe              option 175, iPXE's encapsulated options\n"
		"  -r, --request           request the offered address (DHCPREQUEST) and print the ACK\n"
		"  -p, --proxy             ask each proxy DHCP server (an offer with no address and\n"
		"                          option 60 PXEClient) on port 4011, as PXE does\n"
		"  -A, --address ADDR      the client's address for --proxy, which IFACE must have\n"
		"                          (default: the ACK's)\n"
		"  -t, --timeout MS        wait this long for answers (default 3000)\n"
		"  -1, --first             take the first offer and the first answer to the\n"
		"                          request, as a PXE ROM does, instead of waiting for all\n"
		"  -h, --help              show this help\n");
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -EINVAL;
		mac[i] = b[i];
	}
	return 0;
}

static uint8_t *put_opt(uint8_t *p, int code, const void *data, size_t len)
{
	*p++ = code;
	*p++ = len;
	memcpy(p, data, len);
	return p + len;
}

/* item: the PXE boot server type to ask a proxy server's port 4011 for (option 43
 * sub-option 71, layer 0), 0: none. */
static size_t build(const struct probe *pr, struct dhcp_msg *m, int type, uint32_t ciaddr,
		    uint32_t want, uint32_t server, int item)
{
	static const uint8_t params[] = {
		1,  3,	 6,   12,  15,	17,  28,  43,  60,  66,
		67, 128, 129, 130, 131, 132, 133, 134, 135, 175
	};
	uint8_t *p = m->options;
	uint8_t t = type;

	memset(m, 0, sizeof(*m));
	m->op = BOOTREQUEST;
	m->htype = 1;
	m->hlen = 6;
	m->xid = pr->xid;
	m->flags = htons(0x8000);
	m->ciaddr = ciaddr;
	memcpy(m->chaddr, pr->mac, 6);
	m->magic = htonl(DHCP_MAGIC);
	p = put_opt(p, 53, &t, 1);
	if (want)
		p = put_opt(p, 50, &want, 4);
	if (server)
		p = put_opt(p, 54, &server, 4);
	uint16_t maxsize = htons(1472);
	p = put_opt(p, 57, &maxsize, 2);
	p = put_opt(p, 55, params, sizeof(params));
	if (pr->arch >= 0) {
		uint16_t arch = htons(pr->arch);
		static const uint8_t ndi[] = { 1, 3, 0 };
		uint8_t guid[17] = { 0 };

		/* A fixed machine id derived from the MAC: the same on every run. */
		memcpy(guid + 11, pr->mac, 6);
		p = put_opt(p, 93, &arch, 2);
		p = put_opt(p, 94, ndi, sizeof(ndi));
		p = put_opt(p, 97, guid, sizeof(guid));
	}
	if (pr->vendor)
		p = put_opt(p, 60, pr->vendor, strlen(pr->vendor));
	if (item > 0) {
		const uint8_t boot_item[] = { 71, 4, item >> 8, item & 0xff, 0, 0, 255 };
		p = put_opt(p, 43, boot_item, sizeof(boot_item));
	}
	if (pr->user_class)
		p = put_opt(p, 77, pr->user_class, strlen(pr->user_class));
	if (pr->ipxe) {
		/* iPXE's feature flags: HTTP (0x13) and PXE extensions (0x10). */
		static const uint8_t enc[] = { 0x13, 1, 1, 0x10, 1, 2 };
		p = put_opt(p, 175, enc, sizeof(enc));
	}
	*p++ = 255;
	return (size_t)(p - (uint8_t *)m) < 300 ? 300 : (size_t)(p - (uint8_t *)m);
}

static int parse(const struct probe *pr, const uint8_t *buf, size_t len, uint32_t src,
		 struct reply *r)
{
	size_t fixed = offsetof(struct dhcp_msg, options);

	if (len < fixed || len > sizeof(r->msg))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	memcpy(&r->msg, buf, len);
	if (r->msg.op != BOOTREPLY || r->msg.xid != pr->xid ||
	    memcmp(r->msg.chaddr, pr->mac, 6) != 0 || ntohl(r->msg.magic) != DHCP_MAGIC)
		return -EINVAL;
	r->server = src;
	r->yiaddr = r->msg.yiaddr;
	r->siaddr = r->msg.siaddr;
	memcpy(r->file, r->msg.file, sizeof(r->msg.file));
	memcpy(r->sname, r->msg.sname, sizeof(r->msg.sname));
	const uint8_t *p = r->msg.options, *end = (const uint8_t *)&r->msg + len;
	while (p < end && *p != 255) {
		if (*p == 0) {
			p++;
			continue;
		}
		if (p + 2 > end || p + 2 + p[1] > end)
			return -EINVAL;
		r->opt[p[0]] = p + 2;
		r->optlen[p[0]] = p[1];
		p += 2 + p[1];
	}
	if (!r->opt[53] || r->optlen[53] != 1)
		return -EINVAL;
	r->type = r->opt[53][0];
	if (r->opt[54] && r->optlen[54] == 4)
		memcpy(&r->server, r->opt[54], 4);
	return 0;
}

static void print_str(const char *msg, const char *server, const char *field,
		      const uint8_t *s, size_t len)
{
	printf("%s %s %s ", msg, server, field);
	for (size_t i = 0; i < len && s[i]; i++)
		putchar(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
	putchar('\n');
}

static void print_reply(const char *msg, const struct reply *r)
{
	char server[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];
	static const int str_opts[] = { 17, 60, 66, 67, 12 };
	static const int addr_opts[] = { 1, 3, 6 };

	inet_ntop(AF_INET, &r->server, server, sizeof(server));
	printf("%s %s yiaddr %s\n", msg, server,
	       inet_ntop(AF_INET, &r->yiaddr, a, sizeof(a)));
	printf("%s %s siaddr %s\n", msg, server,
	       inet_ntop(AF_INET, &r->siaddr, a, sizeof(a)));
	/* Option 52 (overload) would move options into these fields: no server
	 * of these tests uses it, and then the fields are printed as they are. */
	if (r->file[0])
		print_str(msg, server, "file", (const uint8_t *)r->file, 128);
	if (r->sname[0])
		print_str(msg, server, "sname", (const uint8_t *)r->sname, 64);
	for (size_t i = 0; i < sizeof(str_opts) / sizeof(str_opts[0]); i++) {
		int o = str_opts[i];
		char field[16];

		if (!r->opt[o])
			continue;
		snprintf(field, sizeof(field), "option%d", o);
		print_str(msg, server, field, r->opt[o], r->optlen[o]);
	}
	for (size_t i = 0; i < sizeof(addr_opts) / sizeof(addr_opts[0]); i++) {
		int o = addr_opts[i];

		if (!r->opt[o] || r->optlen[o] < 4)
			continue;
		printf("%s %s option%d %s\n", msg, server, o,
		       inet_ntop(AF_INET, r->opt[o], a, sizeof(a)));
	}
	if (r->opt[43]) {
		printf("%s %s option43 ", msg, server);
		for (int i = 0; i < r->optlen[43]; i++)
			printf("%02x", r->opt[43][i]);
		putchar('\n');
	}
	fflush(stdout);
}

/* The first boot server type of a PXE menu (option 43 sub-option 9: type, length,
 * description, repeated), 0 when the offer has none. */
static int first_boot_item(const struct reply *r)
{
	const uint8_t *p = r->opt[43];
	int len = r->optlen[43];

	for (int i = 0; p && i + 2 <= len && p[i] != 255; i += 2 + p[i + 1]) {
		if (i + 2 + p[i + 1] > len)
			break;
		if (p[i] == 9 && p[i + 1] >= 3)
			return p[i + 2] << 8 | p[i + 3];
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Collect replies of the given types (a bit mask of message types) into out
 * until the timeout, one per server and type. With stop_at_first, return after
 * the first one. */
static int collect(struct probe *pr, int types, int stop_at_first, struct reply *out,
		   int max)
{
	int64_t deadline = now_ms() + pr->timeout_ms;
	int n = 0;

	while (n < max) {
		int64_t left = deadline - now_ms();
		struct pollfd pfd = { .fd = pr->fd, .events = POLLIN };
		uint8_t buf[1500];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);

		if (left <= 0)
			break;
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		ssize_t len = recvfrom(pr->fd, buf, sizeof(buf), 0,
				       (struct sockaddr *)&from, &fl);
		if (len < 0)
			continue;
		if (parse(pr, buf, len, from.sin_addr.s_addr, &out[n]) < 0)
			continue;
		if (!(types & (1 << out[n].type)))
			continue;
		/* A server may answer twice (a retransmission): keep one. */
		int dup = 0;
		for (int i = 0; i < n; i++)
			dup |= out[i].server == out[n].server &&
			       out[i].type == out[n].type;
		if (dup)
			continue;
		n++;
		if (stop_at_first)
			break;
	}
	return n;
}

static int send_to(struct probe *pr, const struct dhcp_msg *m, size_t len, uint32_t addr,
		   int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };

	to.sin_addr.s_addr = addr;
	if (sendto(pr->fd, m, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		int r = -errno;
		fprintf(stderr, "dhcpprobe: cannot send: %s\n", strerror(-r));
		return r;
	}
	return 0;
}

static const char *type_name(int t)
{
	return t == OFFER ? "offer" : t == ACK ? "ack" : t == NAK ? "nak" : "reply";
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "mac", required_argument, NULL, 'm' },
		{ "arch", required_argument, NULL, 'a' },
		{ "vendor-class", required_argument, NULL, 'c' },
		{ "user-class", required_argument, NULL, 'u' },
		{ "ipxe", no_argument, NULL, 'e' },
		{ "request", no_argument, NULL, 'r' },
		{ "proxy", no_argument, NULL, 'p' },
		{ "address", required_argument, NULL, 'A' },
		{ "timeout", required_argument, NULL, 't' },
		{ "first", no_argument, NULL, '1' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct probe pr = { .arch = -1,
			    .timeout_ms = 3000,
			    .mac = { 0x52, 0x54, 0, 0, 0, 0x99 } };
	int request = 0, proxy = 0, first = 0, c;
	uint32_t address = 0;

	while ((c = getopt_long(argc, argv, "i:m:a:c:u:erpA:t:1h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'i':
			pr.ifname = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, pr.mac) < 0) {
				fprintf(stderr, "dhcpprobe: invalid MAC address: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'a':
			pr.arch = atoi(optarg);
			break;
		case 'c':
			pr.vendor = optarg;
			break;
		case 'u':
			pr.user_class = optarg;
			break;
		case 'e':
			pr.ipxe = 1;
			break;
		case 'r':
			request = 1;
			break;
		case 'p':
			proxy = 1;
			break;
		case 'A':
			if (inet_pton(AF_INET, optarg, &address) != 1) {
				fprintf(stderr, "dhcpprobe: invalid address: %s\n",
					optarg);
				return 2;
			}
			break;
		case '1':
			first = 1;
			break;
		case 't':
			pr.timeout_ms = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'dhcpprobe --help' for more information.\n");
			return 2;
		}
	}
	if (!pr.ifname || optind != argc) {
		fprintf(stderr, "dhcpprobe: an interface is required (-i IFACE)\n"
				"Try 'dhcpprobe --help' for more information.\n");
		return 2;
	}

	pr.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(68) };
	if (pr.fd < 0 ||
	    setsockopt(pr.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(pr.fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(pr.fd, SOL_SOCKET, SO_BINDTODEVICE, pr.ifname, strlen(pr.ifname)) <
		    0 ||
	    bind(pr.fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		fprintf(stderr, "dhcpprobe: cannot open a socket on %s port 68: %s\n",
			pr.ifname, strerror(errno));
		return 1;
	}
	srandom(getpid() ^ time(NULL));
	pr.xid = random();

	struct dhcp_msg m;
	struct reply offers[8], acks[8];
	size_t len = build(&pr, &m, DISCOVER, 0, 0, 0, 0);
	if (send_to(&pr, &m, len, INADDR_BROADCAST, 67) < 0)
		return 1;
	int n = collect(&pr, 1 << OFFER, first, offers, 8);
	if (n < 0)
		return 1;
	for (int i = 0; i < n; i++)
		print_reply("offer", &offers[i]);
	if (n == 0) {
		fprintf(stderr, "dhcpprobe: no offer on %s\n", pr.ifname);
		return 1;
	}

	if (request) {
		const struct reply *o = NULL;
		for (int i = 0; i < n && !o; i++)
			if (offers[i].yiaddr)
				o = &offers[i];
		if (!o) {
			fprintf(stderr, "dhcpprobe: no offer has an address\n");
			return 1;
		}
		len = build(&pr, &m, REQUEST, 0, o->yiaddr, o->server, 0);
		if (send_to(&pr, &m, len, INADDR_BROADCAST, 67) < 0)
			return 1;
		int k = collect(&pr, (1 << ACK) | (1 << NAK), first, acks, 8);
		for (int i = 0; i < k; i++) {
			print_reply(type_name(acks[i].type), &acks[i]);
			if (acks[i].type == ACK && acks[i].yiaddr && !address)
				address = acks[i].yiaddr;
		}
		if (k <= 0) {
			fprintf(stderr, "dhcpprobe: no answer to the request\n");
			return 1;
		}
	}

	if (proxy) {
		int asked = 0;
		for (int i = 0; i < n; i++) {
			const struct reply *o = &offers[i];
			struct reply ans;

			if (o->yiaddr || !o->opt[60] || o->optlen[60] < 9 ||
			    memcmp(o->opt[60], "PXEClient", 9) != 0)
				continue;
			if (!address) {
				fprintf(stderr,
					"dhcpprobe: --proxy needs an address (-A or -r)\n");
				return 1;
			}
			asked++;
			len = build(&pr, &m, REQUEST, address, 0, 0, first_boot_item(o));
			if (send_to(&pr, &m, len, o->server, 4011) < 0)
				return 1;
			if (collect(&pr, 1 << ACK, 1, &ans, 1) == 1) {
				print_reply("proxy", &ans);
			} else {
				fprintf(stderr, "dhcpprobe: no answer on port 4011\n");
				return 1;
			}
		}
		if (!asked) {
			fprintf(stderr, "dhcpprobe: no proxy DHCP offer\n");
			return 1;
		}
	}
	return 0;
}
