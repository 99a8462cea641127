// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "util.h"

void endpoint_set_port(struct endpoint *e, unsigned int port)
{
	if (e->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&e->addr)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&e->addr)->sin_port = htons(port);
}

int endpoint_resolve(const char *host, unsigned int port, struct endpoint *ret)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char h[256];
	size_t n = strlen(host);
	int r;

	/* Accept "[v6]" as well as the bare address. */
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(h))
			return -EINVAL;
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
	} else {
		if (n >= sizeof(h))
			return -EINVAL;
		memcpy(h, host, n + 1);
	}
	r = getaddrinfo(h, NULL, &hints, &res);
	if (r != 0)
		return r == EAI_SYSTEM ? NEG_ERRNO() : -EHOSTUNREACH;
	memset(ret, 0, sizeof(*ret));
	memcpy(&ret->addr, res->ai_addr, res->ai_addrlen);
	ret->len = res->ai_addrlen;
	freeaddrinfo(res);
	endpoint_set_port(ret, port);
	if (getnameinfo((struct sockaddr *)&ret->addr, ret->len, ret->host,
			sizeof(ret->host), NULL, 0, NI_NUMERICHOST) != 0)
		return -EINVAL;
	return 0;
}

const char *endpoint_host_text(const struct endpoint *e, char *buf, size_t len)
{
	if (e->addr.ss_family == AF_INET6)
		snprintf(buf, len, "[%s]", e->host);
	else
		snprintf(buf, len, "%s", e->host);
	return buf;
}

int tcp_connect(const struct endpoint *e, int timeout_ms)
{
	_cleanup_close_ int fd = socket(e->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct pollfd p;
	int flags, err = 0;
	socklen_t elen = sizeof(err);

	if (fd < 0)
		return -errno;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&e->addr, e->len) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		for (;;) {
			int n = poll(&p, 1, timeout_ms);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				return -ETIMEDOUT;
			break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			return -errno;
		if (err)
			return -err;
	}
	if (fcntl(fd, F_SETFL, flags) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int local_address_for(const struct endpoint *e, char *buf, size_t len)
{
	_cleanup_close_ int fd = socket(e->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);

	if (fd < 0)
		return -errno;
	/* A datagram connect picks the route and source address, sends nothing. */
	if (connect(fd, (const struct sockaddr *)&e->addr, e->len) < 0)
		return -errno;
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		return -errno;
	if (getnameinfo((struct sockaddr *)&local, llen, buf, len, NULL, 0,
			NI_NUMERICHOST) != 0)
		return -EINVAL;
	return 0;
}
