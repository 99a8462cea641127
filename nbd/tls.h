/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/*
 * TLS with GnuTLS, for NBD_OPT_STARTTLS: X.509 certificates from a directory
 * (ca-cert.pem, server-cert.pem, server-key.pem, optional ca-crl.pem) and/or
 * pre-shared keys from a file of "identity:hexkey" lines. Sessions are
 * non-blocking; the event loop drives them.
 */
struct tls_server;
struct tls_conn;

/* Load the credentials c names; logs what is wrong. */
int tls_server_new(const struct config *c, struct tls_server **ret);
/*
 * Reference counted: each session holds one, so a reload can install new
 * credentials for new handshakes while established sessions keep theirs.
 */
struct tls_server *tls_server_ref(struct tls_server *t);
void tls_server_free(struct tls_server *t); /* drops a reference */

int tls_conn_new(struct tls_server *t, int fd, struct tls_conn **ret);
/* Send a close notify if the socket takes it (once). */
void tls_conn_bye(struct tls_conn *c);
/* Sends a close notify if not done yet, then frees. */
void tls_conn_free(struct tls_conn *c);
/* 0: done; -EAGAIN: call again when the socket is ready (tls_conn_want_write says which
 * way). */
int tls_conn_handshake(struct tls_conn *c);
bool tls_conn_want_write(struct tls_conn *c);
/* > 0 bytes, 0 at end of stream, -EAGAIN, or another negative errno. */
ssize_t tls_conn_recv(struct tls_conn *c, void *buf, size_t len);
/* After -EAGAIN, call again with the same buffer and length. */
ssize_t tls_conn_send(struct tls_conn *c, const void *buf, size_t len);
/* Bytes already decrypted and waiting, which epoll cannot see. */
size_t tls_conn_pending(struct tls_conn *c);
/* Who the peer authenticated as (PSK identity or certificate DN), for the log. */
const char *tls_conn_peer(struct tls_conn *c);
