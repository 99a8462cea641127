/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address range of an allow list: IPv4 or IPv6 with a prefix length. */
struct cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned int prefix;
};

struct acl {
	struct cidr *v;
	size_t n, cap; /* cap: room in v, for vector_reserve */
};

enum cow_mode {
	COW_OFF,
	COW_ON, /* a private overlay per connection, removed at disconnect */
	COW_KEEP, /* one overlay per client address, kept for its next connection */
};

enum tls_mode {
	TLS_OFF,
	TLS_ON, /* clients may upgrade; plain clients are served too */
	TLS_REQUIRE, /* every option but STARTTLS and ABORT needs TLS first */
};

struct export_conf {
	char *section; /* where it was defined, for messages */
	char *name;
	char *path;
	char *description;
	struct acl allow; /* empty: everyone the global list lets in */
	bool readonly;
	enum cow_mode cow;
};

#define STATUS_FILE_DEFAULT "/run/nbdexport/status"

struct config {
	char *file; /* the -c file, re-read on SIGHUP */
	char **listen;
	size_t n_listen, cap_listen;
	unsigned int port;
	char *unix_path;
	struct acl allow;
	unsigned int max_clients;
	unsigned int handshake_timeout;
	unsigned int idle_timeout;
	unsigned int max_options;
	unsigned int shutdown_timeout; /* seconds to finish requests at SIGTERM */
	unsigned int threads;
	char *user;
	char *pidfile;
	char *status_file; /* NULL: STATUS_FILE_DEFAULT */
	char *log_file; /* NULL: syslog when detached, else stderr */
	char *cow_dir;
	enum tls_mode tls;
	char *tls_certs;
	char *tls_psk;
	/* -1: when tls_certs has a ca-cert.pem (the default), 0: never, 1: always */
	int tls_verify_peer;
	bool force;
	bool foreground;
	char *default_export;
	struct export_conf *exports;
	size_t n_exports, cap_exports;
};

void config_init(struct config *c);
void config_free(struct config *c);

/*
 * Read an ini file into c: a [global] section with server settings and one
 * section per export. Errors are logged as "FILE:LINE: what" and returned as
 * a negative errno (-EINVAL for a bad file).
 */
int config_load(struct config *c, const char *path);
/* Parse a buffer as config_load() does; path is only for messages. */
int config_parse(struct config *c, const char *path, const char *text);

/* Add an export for IMAGE[=NAME] given on the command line. */
int config_add_image(struct config *c, const char *arg);
/* Check what the file and the command line gave together; logs the first problem. */
int config_check(struct config *c);
/*
 * Make every path of c absolute against the working directory, so that it
 * still holds after the daemon changes to /; the status file gets its default.
 */
int config_absolute_paths(struct config *c);

int cidr_parse(const char *s, struct cidr *ret);
int acl_add(struct acl *a, const char *spec);
int acl_add_list(struct acl *a, const char *list); /* separated by spaces or commas */
/* dst gets its own array; on -ENOMEM it is left empty. */
int acl_copy(const struct acl *src, struct acl *dst);
void acl_free(struct acl *a);
/* An empty list allows everyone. Unix sockets (AF_UNIX) are always allowed. */
bool acl_allows(const struct acl *a, const struct sockaddr *sa);

int parse_tls_mode(const char *s, enum tls_mode *ret);
int parse_cow_mode(const char *s, enum cow_mode *ret);
const char *export_default_name(const char *path);
