// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One DHCPDISCOVER on an interface, for `check`: is another DHCP server on
 * this LAN? Hand-written (a UDP broadcast and a parse of the fixed BOOTP
 * header and options 53 and 54) because no Debian tool reports every
 * server that answers without taking a lease.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dhcpprobe.h"
#include "util.h"

#define BOOTP_SIZE 236 /* the fixed header, before the magic cookie */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Option code's value in a reply, or NULL. */
static const uint8_t *find_option(const uint8_t *p, size_t len, uint8_t code,
				  uint8_t *olen)
{
	size_t i = BOOTP_SIZE + 4;

	while (i < len) {
		if (p[i] == 0) {
			i++;
			continue;
		}
		if (p[i] == 255 || i + 1 >= len || i + 2 + p[i + 1] > len)
			return NULL;
		if (p[i] == code) {
			*olen = p[i + 1];
			return p + i + 2;
		}
		i += 2 + p[i + 1];
	}
	return NULL;
}

int dhcp_probe(const char *ifname, unsigned int timeout_ms, struct dhcp_answer *ret,
	       size_t max)
{
	static const uint8_t cookie[4] = { 99, 130, 83, 99 };
	_cleanup_close_ int fd = -1;
	uint8_t pkt[548] = { 0 }, buf[1500];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(68) };
	struct ifreq ifr = { 0 };
	uint32_t xid;
	size_t n = 0, o;
	uint64_t end;
	int one = 1;

	if (strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (getrandom(&xid, sizeof(xid), 0) != sizeof(xid))
		xid = (uint32_t)getpid() ^ (uint32_t)now_ms();

	pkt[0] = 1; /* BOOTREQUEST */
	pkt[1] = 1; /* Ethernet */
	pkt[2] = 6;
	memcpy(pkt + 4, &xid, 4);
	pkt[10] = 0x80; /* broadcast the answer: we have no address */
	memcpy(pkt + 28, ifr.ifr_hwaddr.sa_data, 6);
	memcpy(pkt + BOOTP_SIZE, cookie, 4);
	o = BOOTP_SIZE + 4;
	pkt[o++] = 53, pkt[o++] = 1, pkt[o++] = 1; /* DHCPDISCOVER */
	pkt[o++] = 55, pkt[o++] = 3, pkt[o++] = 1, pkt[o++] = 3, pkt[o++] = 54;
	pkt[o++] = 255;

	sa.sin_port = htons(67);
	sa.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;

	end = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t t = now_ms();
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		const uint8_t *v;
		uint8_t vlen;
		struct dhcp_answer a;
		ssize_t len;
		bool dup = false;

		if (t >= end)
			break;
		if (poll(&pfd, 1, (int)(end - t)) <= 0)
			continue;
		len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (len < BOOTP_SIZE + 4 || buf[0] != 2 ||
		    memcmp(buf + 4, &xid, 4) != 0 ||
		    memcmp(buf + BOOTP_SIZE, cookie, 4) != 0)
			continue;
		v = find_option(buf, len, 53, &vlen);
		if (!v || vlen != 1 || v[0] != 2) /* DHCPOFFER */
			continue;
		a.server = from.sin_addr;
		v = find_option(buf, len, 54, &vlen);
		if (v && vlen == 4)
			memcpy(&a.server, v, 4);
		memcpy(&a.offered, buf + 16, 4);
		for (size_t i = 0; i < n; i++)
			dup |= ret[i].server.s_addr == a.server.s_addr;
		if (!dup && n < max)
			ret[n++] = a;
	}
	return (int)n;
}
