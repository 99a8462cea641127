// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nbdattach: attach a kernel NBD device the way the smallest initramfs
 * clients do (BusyBox's nbd-client, klibc tools): plain newstyle handshake,
 * client flags 0, NBD_OPT_EXPORT_NAME, then the ioctl interface. Built static
 * for test guests, where it stands for a client that knows nothing of
 * fixed newstyle, GO or netlink.
 *
 * usage: nbdattach HOST PORT DEVICE [EXPORT]
 * Returns once the device serves I/O; a child process stays to run it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nbd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nbd-protocol.h"
#include "unaligned.h"

static int die(const char *what)
{
	fprintf(stderr, "nbdattach: %s: %s\n", what, strerror(errno ? errno : EPROTO));
	exit(1);
}

static void xread(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				errno = ECONNRESET;
			die("read from server");
		}
		p += n;
		len -= n;
	}
}

static void xwrite(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write to server");
		}
		p += n;
		len -= n;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned char greet[18], reply[134], opt[20 + NBD_MAX_STRING];
	const char *name = argc > 4 ? argv[4] : "";
	size_t nlen = strlen(name);
	uint64_t size;
	uint16_t flags;
	int sock, dev, one = 1;
	char sysfs[64];

	if (argc < 4 || argc > 5 || nlen > NBD_MAX_STRING) {
		fprintf(stderr, "usage: nbdattach HOST PORT DEVICE [EXPORT]\n");
		return 2;
	}
	sin.sin_port = htons(atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "nbdattach: %s: not an IPv4 address\n", argv[1]);
		return 2;
	}
	sock = socket(AF_INET, SOCK_STREAM, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("connect");
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	xread(sock, greet, sizeof(greet));
	if (unaligned_read_be64(greet) != NBD_MAGIC ||
	    unaligned_read_be64(greet + 8) != NBD_IHAVEOPT) {
		errno = EPROTO;
		die("not a newstyle NBD server");
	}
	/* Client flags 0: plain newstyle, so the reply keeps its 124 zeroes. */
	unaligned_write_be32(opt, 0);
	unaligned_write_be64(opt + 4, NBD_IHAVEOPT);
	unaligned_write_be32(opt + 12, NBD_OPT_EXPORT_NAME);
	unaligned_write_be32(opt + 16, nlen);
	memcpy(opt + 20, name, nlen);
	xwrite(sock, opt, 20 + nlen);
	xread(sock, reply, sizeof(reply));
	size = unaligned_read_be64(reply);
	flags = unaligned_read_be16(reply + 8);
	printf("nbdattach: %s: export '%s', %llu bytes, flags 0x%x\n", argv[3], name,
	       (unsigned long long)size, flags);

	dev = open(argv[3], O_RDWR);
	if (dev < 0)
		die(argv[3]);
	if (ioctl(dev, NBD_SET_BLKSIZE, 512UL) < 0 ||
	    ioctl(dev, NBD_SET_SIZE_BLOCKS, (unsigned long)(size / 512)) < 0)
		die("NBD_SET_SIZE");
	ioctl(dev, NBD_CLEAR_SOCK);
	if (ioctl(dev, NBD_SET_FLAGS, (unsigned long)flags) < 0)
		die("NBD_SET_FLAGS");
	if (ioctl(dev, NBD_SET_SOCK, sock) < 0)
		die("NBD_SET_SOCK");

	switch (fork()) {
	case -1:
		die("fork");
		break;
	case 0:
		/* Serves the device until it is disconnected. */
		ioctl(dev, NBD_DO_IT);
		ioctl(dev, NBD_CLEAR_QUE);
		ioctl(dev, NBD_CLEAR_SOCK);
		_exit(0);
	}
	/* The device takes I/O once NBD_DO_IT has started it: sysfs shows its pid. */
	snprintf(sysfs, sizeof(sysfs), "/sys/block/%s/pid", strrchr(argv[3], '/') + 1);
	for (int i = 0; i < 500; i++) {
		struct stat st;

		if (stat(sysfs, &st) == 0)
			return 0;
		usleep(10000);
	}
	errno = ETIMEDOUT;
	die("waiting for the device to start");
	return 1;
}
