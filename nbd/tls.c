// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tls.h"
#include "util.h"
#include "vector.h"

/* TLS 1.2 at least, as the NBD specification asks. */
#define PRIORITY_X509 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PRIORITY_PSK PRIORITY_X509 ":+ECDHE-PSK:+DHE-PSK:+PSK"

struct psk_entry {
	char *identity;
	uint8_t *key;
	size_t keylen;
};

struct tls_server {
	/* The server's and each session's: a reload makes a new one for new
	 * handshakes. */
	atomic_int refs;
	gnutls_certificate_credentials_t x509;
	gnutls_psk_server_credentials_t psk;
	gnutls_priority_t priority;
	struct psk_entry *keys;
	size_t nkeys, cap_keys;
	bool verify_peer;
};

struct tls_conn {
	gnutls_session_t s;
	struct tls_server *t; /* a reference: its credentials serve this session */
	bool handshaken;
	bool bye;
	char peer[160];
};

static int psk_lookup(gnutls_session_t s, const char *identity, gnutls_datum_t *key)
{
	struct tls_server *t = gnutls_session_get_ptr(s);

	for (size_t i = 0; t && i < t->nkeys; i++) {
		if (strcmp(t->keys[i].identity, identity) != 0)
			continue;
		key->data = gnutls_malloc(t->keys[i].keylen);
		if (!key->data)
			return -1;
		memcpy(key->data, t->keys[i].key, t->keys[i].keylen);
		key->size = t->keys[i].keylen;
		return 0;
	}
	log_info("TLS: unknown PSK identity '%s'", identity);
	return -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int load_psk(struct tls_server *t, const char *path)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	unsigned int lineno = 0;
	int r;

	r = read_file_at(AT_FDCWD, path, &text, NULL);
	if (r < 0)
		return log_errno(r, "cannot read %s", path);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon, *hex, *s = strstrip(line);
		size_t hl;
		struct psk_entry *e;

		lineno++;
		if (!*s || *s == '#')
			continue;
		colon = strchr(s, ':');
		hex = colon ? colon + 1 : NULL;
		hl = hex ? strlen(hex) : 0;
		if (!colon || colon == s || hl == 0 || hl % 2) {
			log_error("%s:%u: expected 'identity:hexkey'", path, lineno);
			return -EINVAL;
		}
		*colon = '\0';
		if (vector_reserve((void **)&t->keys, &t->cap_keys, t->nkeys + 1,
				   sizeof(*t->keys)) < 0)
			return -ENOMEM;
		e = &t->keys[t->nkeys];
		e->identity = strdup(s);
		e->key = malloc(hl / 2);
		e->keylen = hl / 2;
		if (!e->identity || !e->key) {
			free(e->identity);
			free(e->key);
			return -ENOMEM;
		}
		t->nkeys++;
		for (size_t i = 0; i < hl / 2; i++) {
			int a = hexval(hex[2 * i]), b = hexval(hex[2 * i + 1]);
			if (a < 0 || b < 0) {
				log_error("%s:%u: key is not hexadecimal", path, lineno);
				return -EINVAL;
			}
			e->key[i] = (uint8_t)(a << 4 | b);
		}
	}
	if (t->nkeys == 0) {
		log_error("%s: no keys", path);
		return -EINVAL;
	}
	return 0;
}

static int load_x509(struct tls_server *t, const char *dir, int verify)
{
	_cleanup_free_ char *cert = NULL, *key = NULL, *ca = NULL, *crl = NULL;
	int r;

	if (asprintf(&cert, "%s/server-cert.pem", dir) < 0 ||
	    asprintf(&key, "%s/server-key.pem", dir) < 0 ||
	    asprintf(&ca, "%s/ca-cert.pem", dir) < 0 ||
	    asprintf(&crl, "%s/ca-crl.pem", dir) < 0)
		return -ENOMEM;
	if (gnutls_certificate_allocate_credentials(&t->x509) < 0)
		return -ENOMEM;
	if (access(cert, R_OK) < 0)
		return log_errno(-errno, "cannot read %s", cert);
	if (access(key, R_OK) < 0)
		return log_errno(-errno, "cannot read %s", key);
	r = gnutls_certificate_set_x509_key_file(t->x509, cert, key, GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		log_error("cannot load %s and %s: %s", cert, key, gnutls_strerror(r));
		return -EINVAL;
	}
	if (access(ca, R_OK) == 0) {
		r = gnutls_certificate_set_x509_trust_file(t->x509, ca,
							   GNUTLS_X509_FMT_PEM);
		if (r < 0) {
			log_error("cannot load %s: %s", ca, gnutls_strerror(r));
			return -EINVAL;
		}
		/*
		 * A CA the server trusts is a CA its clients are meant to prove
		 * themselves with: asking for nothing would let any client in that
		 * merely speaks TLS. Turning it off must be said.
		 */
		t->verify_peer = verify != 0;
		if (!t->verify_peer)
			log_info(
				"TLS: client certificates are not verified (tls-verify-peer = no)");
	} else if (verify == 1) {
		return log_errno(-errno, "client certificates need %s", ca);
	}
	if (access(crl, R_OK) == 0) {
		r = gnutls_certificate_set_x509_crl_file(t->x509, crl,
							 GNUTLS_X509_FMT_PEM);
		if (r < 0) {
			log_error("cannot load %s: %s", crl, gnutls_strerror(r));
			return -EINVAL;
		}
	}
	gnutls_certificate_set_known_dh_params(t->x509, GNUTLS_SEC_PARAM_MEDIUM);
	return 0;
}

int tls_server_new(const struct config *c, struct tls_server **ret)
{
	struct tls_server *t = calloc(1, sizeof(*t));
	const char *err = NULL;
	int r;

	if (!t)
		return -ENOMEM;
	atomic_init(&t->refs, 1);
	if (c->tls_certs) {
		r = load_x509(t, c->tls_certs, c->tls_verify_peer);
		if (r < 0)
			goto fail;
	}
	if (c->tls_psk) {
		r = load_psk(t, c->tls_psk);
		if (r < 0)
			goto fail;
		if (gnutls_psk_allocate_server_credentials(&t->psk) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		gnutls_psk_set_server_credentials_function(t->psk, psk_lookup);
	}
	r = gnutls_priority_init(&t->priority, c->tls_psk ? PRIORITY_PSK : PRIORITY_X509,
				 &err);
	if (r < 0) {
		log_error("TLS priority string rejected at '%s': %s", err ? err : "?",
			  gnutls_strerror(r));
		r = -EINVAL;
		goto fail;
	}
	*ret = t;
	return 0;
fail:
	tls_server_free(t);
	return r;
}

struct tls_server *tls_server_ref(struct tls_server *t)
{
	if (t)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

void tls_server_free(struct tls_server *t)
{
	if (!t || atomic_fetch_sub(&t->refs, 1) > 1)
		return;
	if (t->x509)
		gnutls_certificate_free_credentials(t->x509);
	if (t->psk)
		gnutls_psk_free_server_credentials(t->psk);
	if (t->priority)
		gnutls_priority_deinit(t->priority);
	for (size_t i = 0; i < t->nkeys; i++) {
		explicit_bzero(t->keys[i].key, t->keys[i].keylen);
		free(t->keys[i].key);
		free(t->keys[i].identity);
	}
	free(t->keys);
	free(t);
}

int tls_conn_new(struct tls_server *t, int fd, struct tls_conn **ret)
{
	struct tls_conn *c;

	if (!t)
		return -ENOTSUP;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (gnutls_init(&c->s, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0) {
		free(c);
		return -ENOMEM;
	}
	gnutls_priority_set(c->s, t->priority);
	if (t->x509) {
		gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, t->x509);
		if (t->verify_peer) {
			gnutls_certificate_server_set_request(c->s, GNUTLS_CERT_REQUIRE);
			gnutls_session_set_verify_cert(c->s, NULL, 0);
		}
	}
	if (t->psk)
		gnutls_credentials_set(c->s, GNUTLS_CRD_PSK, t->psk);
	gnutls_handshake_set_timeout(c->s, 0);
	gnutls_transport_set_int(c->s, fd);
	c->t = tls_server_ref(t);
	gnutls_session_set_ptr(c->s, c->t);
	*ret = c;
	return 0;
}

void tls_conn_bye(struct tls_conn *c)
{
	if (c->handshaken && !c->bye)
		gnutls_bye(c->s, GNUTLS_SHUT_WR);
	c->bye = true;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	tls_conn_bye(c);
	gnutls_deinit(c->s);
	tls_server_free(c->t);
	free(c);
}

int tls_conn_handshake(struct tls_conn *c)
{
	int r = gnutls_handshake(c->s);

	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	if (r < 0) {
		log_info("TLS handshake: %s", gnutls_strerror(r));
		return -EPROTO;
	}
	c->handshaken = true;
	if (gnutls_kx_get(c->s) == GNUTLS_KX_PSK ||
	    gnutls_kx_get(c->s) == GNUTLS_KX_ECDHE_PSK ||
	    gnutls_kx_get(c->s) == GNUTLS_KX_DHE_PSK) {
		const char *u = gnutls_psk_server_get_username(c->s);
		snprintf(c->peer, sizeof(c->peer), "PSK identity '%s'", u ? u : "?");
	} else if (gnutls_psk_server_get_username(c->s)) {
		snprintf(c->peer, sizeof(c->peer), "PSK identity '%s'",
			 gnutls_psk_server_get_username(c->s));
	} else {
		snprintf(c->peer, sizeof(c->peer), "%s",
			 gnutls_certificate_get_peers(c->s, NULL) ? "client certificate"
								  : "X.509");
	}
	return 0;
}

bool tls_conn_want_write(struct tls_conn *c)
{
	return gnutls_record_get_direction(c->s) == 1;
}

ssize_t tls_conn_recv(struct tls_conn *c, void *buf, size_t len)
{
	ssize_t n = gnutls_record_recv(c->s, buf, len);

	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	if (n == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	return -ECONNRESET;
}

ssize_t tls_conn_send(struct tls_conn *c, const void *buf, size_t len)
{
	ssize_t n = gnutls_record_send(c->s, buf, len);

	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	return -ECONNRESET;
}

size_t tls_conn_pending(struct tls_conn *c)
{
	return gnutls_record_check_pending(c->s);
}

const char *tls_conn_peer(struct tls_conn *c)
{
	return c->peer;
}
