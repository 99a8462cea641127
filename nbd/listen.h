/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

struct listener {
	int fd;
	bool is_unix;
	bool owned_path; /* a unix socket we created: removed when closed */
	bool systemd; /* passed by systemd (LISTEN_FDS) */
	bool kept; /* listen_update(): taken over into the new set */
	char desc[128];
};

/*
 * Open the listening sockets: the ones systemd passed (LISTEN_FDS) if any,
 * otherwise every -l address on the port (all addresses by default) and the
 * unix socket. Sockets are non-blocking with a backlog of at least SOMAXCONN.
 */
int listen_open(const struct config *c, struct listener **ret, size_t *n);
/*
 * The sockets configuration c asks for, for a reload: a socket of cur already
 * bound to a wanted address is taken over (and marked kept), the others are
 * opened. On failure nothing changes (new sockets are closed, cur is as it
 * was). Sockets from systemd are kept as they are.
 */
int listen_update(const struct config *c, struct listener *cur, size_t ncur,
		  struct listener **ret, size_t *n);
/* Was l (of a set listen_update() made from cur) opened by it? */
bool listen_is_new(const struct listener *cur, size_t ncur, const struct listener *l);
/* Undo listen_update(): close what it opened, free v. */
void listen_abandon(struct listener *cur, size_t ncur, struct listener *v, size_t n);
/* Close the sockets (all, or only those not kept); remove the unix sockets we made. */
void listen_close(struct listener *l, size_t n);
void listen_close_unkept(struct listener *l, size_t n);

/* "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" into host and port (port NULL if none). */
int split_host_port(const char *s, char *host, size_t hostlen, const char **port);
/* Text form of a peer for messages: "10.0.0.5:40212", "[::1]:40212", "unix". */
void sockaddr_format(const struct sockaddr *sa, char *buf, size_t len, bool with_port);
