/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

struct listener {
	int fd;
	bool is_unix;
	char desc[128];
};

/*
 * Open the listening sockets: the ones systemd passed (LISTEN_FDS) if any,
 * otherwise every -l address on the port (all addresses by default) and the
 * unix socket. Sockets are non-blocking with a backlog of at least SOMAXCONN.
 */
int listen_open(const struct config *c, struct listener **ret, size_t *n);
void listen_close(struct listener *l, size_t n, const char *unix_path);

/* "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" into host and port (port NULL if none). */
int split_host_port(const char *s, char *host, size_t hostlen, const char **port);
/* Text form of a peer for messages: "10.0.0.5:40212", "[::1]:40212", "unix". */
void sockaddr_format(const struct sockaddr *sa, char *buf, size_t len, bool with_port);
