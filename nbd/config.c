// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ini.h"
#include "log.h"
#include "util.h"
#include "vector.h"

void config_init(struct config *c)
{
	*c = (struct config){
		.port = 10809,
		.max_clients = 1024,
		.handshake_timeout = 10,
		.idle_timeout = 0,
		.max_options = 256,
		.shutdown_timeout = 5,
		.tls = TLS_OFF,
		.tls_verify_peer = -1,
	};
}

static void export_conf_free(struct export_conf *e)
{
	free(e->section);
	free(e->name);
	free(e->path);
	free(e->description);
	acl_free(&e->allow);
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < c->n_listen; i++)
		free(c->listen[i]);
	free(c->listen);
	for (size_t i = 0; i < c->n_exports; i++)
		export_conf_free(&c->exports[i]);
	free(c->exports);
	free(c->file);
	free(c->unix_path);
	acl_free(&c->allow);
	free(c->user);
	free(c->pidfile);
	free(c->status_file);
	free(c->log_file);
	free(c->cow_dir);
	free(c->tls_certs);
	free(c->tls_psk);
	free(c->default_export);
	config_init(c);
}

int cidr_parse(const char *s, struct cidr *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct cidr c = { 0 };
	char *slash;
	unsigned int max;

	if (!s || strlen(s) >= sizeof(buf) || !*s)
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		if (parse_uint(slash, 0, max, &c.prefix) < 0)
			return -EINVAL;
	} else {
		c.prefix = max;
	}
	/* Clear host bits so that 10.1.2.3/8 means 10.0.0.0/8. */
	for (unsigned int bit = c.prefix; bit < max; bit++)
		c.addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	*ret = c;
	return 0;
}

int acl_add(struct acl *a, const char *spec)
{
	struct cidr c;
	int r = cidr_parse(spec, &c);

	if (r < 0)
		return r;
	r = vector_reserve((void **)&a->v, &a->cap, a->n + 1, sizeof(*a->v));
	if (r < 0)
		return r;
	a->v[a->n++] = c;
	return 0;
}

int acl_add_list(struct acl *a, const char *list)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL, *tok;
	int r;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		r = acl_add(a, tok);
		if (r < 0)
			return r;
	}
	return 0;
}

int acl_copy(const struct acl *src, struct acl *dst)
{
	*dst = (struct acl){ 0 };
	if (src->n == 0)
		return 0;
	dst->v = malloc(src->n * sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	dst->n = dst->cap = src->n;
	return 0;
}

void acl_free(struct acl *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff00u >> rest);
		if ((a[full] & mask) != (b[full] & mask))
			return false;
	}
	return true;
}

bool acl_allows(const struct acl *a, const struct sockaddr *sa)
{
	const uint8_t *addr;
	int family;
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (a->n == 0 || sa->sa_family == AF_UNIX)
		return true;
	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		addr = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		addr = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		family = AF_INET6;
		/* A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d. */
		if (memcmp(addr, v4mapped, 12) == 0) {
			family = AF_INET;
			addr += 12;
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].family == family &&
		    prefix_match(a->v[i].addr, addr, a->v[i].prefix))
			return true;
	return false;
}

int parse_tls_mode(const char *s, enum tls_mode *ret)
{
	if (strcmp(s, "off") == 0)
		*ret = TLS_OFF;
	else if (strcmp(s, "on") == 0)
		*ret = TLS_ON;
	else if (strcmp(s, "require") == 0)
		*ret = TLS_REQUIRE;
	else
		return -EINVAL;
	return 0;
}

int parse_cow_mode(const char *s, enum cow_mode *ret)
{
	bool b;

	if (strcmp(s, "keep") == 0) {
		*ret = COW_KEEP;
		return 0;
	}
	if (parse_bool(s, &b) < 0)
		return -EINVAL;
	*ret = b ? COW_ON : COW_OFF;
	return 0;
}

const char *export_default_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static struct export_conf *new_export(struct config *c)
{
	struct export_conf *v;

	if (vector_reserve((void **)&c->exports, &c->cap_exports, c->n_exports + 1,
			   sizeof(*c->exports)) < 0)
		return NULL;
	v = &c->exports[c->n_exports++];
	*v = (struct export_conf){ .readonly = true, .cow = COW_OFF };
	return v;
}

int config_add_image(struct config *c, const char *arg)
{
	_cleanup_free_ char *path = strdup(arg);
	struct export_conf *e;
	char *eq;

	if (!path)
		return -ENOMEM;
	/* IMAGE=NAME, unless the whole argument names a file with '=' in it. */
	eq = strrchr(path, '=');
	if (eq && access(arg, F_OK) < 0)
		*eq++ = '\0';
	else
		eq = NULL;
	if (!*path || (eq && !*eq))
		return -EINVAL;
	e = new_export(c);
	if (!e)
		return -ENOMEM;
	e->path = TAKE_PTR(path);
	e->name = strdup(eq ? eq : export_default_name(e->path));
	e->section = strdup(e->name ? e->name : "");
	if (!e->name || !e->section)
		return -ENOMEM;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int set_seconds(unsigned int *dst, const char *v)
{
	return parse_uint(v, 0, 86400 * 365, dst);
}

/* One key of [global]; -ENOENT for an unknown key, -EINVAL for a bad value. */
static int global_key(struct config *c, const char *k, const char *v)
{
	if (strcmp(k, "listen") == 0) {
		_cleanup_free_ char *copy = strdup(v);
		char *save = NULL, *tok;

		if (!copy)
			return -ENOMEM;
		for (tok = strtok_r(copy, " \t,", &save); tok;
		     tok = strtok_r(NULL, " \t,", &save)) {
			if (vector_reserve((void **)&c->listen, &c->cap_listen,
					   c->n_listen + 1, sizeof(*c->listen)) < 0)
				return -ENOMEM;
			c->listen[c->n_listen] = strdup(tok);
			if (!c->listen[c->n_listen])
				return -ENOMEM;
			c->n_listen++;
		}
		return 0;
	}
	if (strcmp(k, "port") == 0)
		return parse_uint(v, 0, 65535, &c->port);
	if (strcmp(k, "unix") == 0)
		return strlen(v) < sizeof(((struct sockaddr_un *)0)->sun_path)
			       ? set_str(&c->unix_path, v)
			       : -EINVAL;
	if (strcmp(k, "allow") == 0)
		return acl_add_list(&c->allow, v);
	if (strcmp(k, "max-clients") == 0)
		return parse_uint(v, 1, 1000000, &c->max_clients);
	if (strcmp(k, "handshake-timeout") == 0)
		return set_seconds(&c->handshake_timeout, v);
	if (strcmp(k, "idle-timeout") == 0)
		return set_seconds(&c->idle_timeout, v);
	if (strcmp(k, "shutdown-timeout") == 0)
		return parse_uint(v, 0, 3600, &c->shutdown_timeout);
	if (strcmp(k, "max-options") == 0)
		return parse_uint(v, 1, 100000, &c->max_options);
	if (strcmp(k, "threads") == 0)
		return parse_uint(v, 1, 256, &c->threads);
	if (strcmp(k, "user") == 0)
		return set_str(&c->user, v);
	if (strcmp(k, "pidfile") == 0)
		return set_str(&c->pidfile, v);
	if (strcmp(k, "log-file") == 0)
		return *v ? set_str(&c->log_file, v) : -EINVAL;
	if (strcmp(k, "status-file") == 0)
		return *v ? set_str(&c->status_file, v) : -EINVAL;
	if (strcmp(k, "cow-dir") == 0)
		return set_str(&c->cow_dir, v);
	if (strcmp(k, "tls") == 0)
		return parse_tls_mode(v, &c->tls);
	if (strcmp(k, "tls-certificates") == 0)
		return set_str(&c->tls_certs, v);
	if (strcmp(k, "tls-psk") == 0)
		return set_str(&c->tls_psk, v);
	if (strcmp(k, "tls-verify-peer") == 0) {
		bool b;

		if (parse_bool(v, &b) < 0)
			return -EINVAL;
		c->tls_verify_peer = b;
		return 0;
	}
	if (strcmp(k, "force") == 0)
		return parse_bool(v, &c->force);
	if (strcmp(k, "default") == 0)
		return set_str(&c->default_export, v);
	return -ENOENT;
}

static int export_key(struct export_conf *e, const char *k, const char *v)
{
	if (strcmp(k, "path") == 0)
		return *v ? set_str(&e->path, v) : -EINVAL;
	if (strcmp(k, "name") == 0)
		return strlen(v) <= 4096 ? set_str(&e->name, v) : -EINVAL;
	if (strcmp(k, "description") == 0)
		return strlen(v) <= 4096 ? set_str(&e->description, v) : -EINVAL;
	if (strcmp(k, "allow") == 0)
		return acl_add_list(&e->allow, v);
	if (strcmp(k, "readonly") == 0)
		return parse_bool(v, &e->readonly);
	if (strcmp(k, "cow") == 0)
		return parse_cow_mode(v, &e->cow);
	return -ENOENT;
}

struct parse_state {
	struct config *c;
	const char *path;
	struct export_conf *cur;
	bool in_global;
};

static int parse_line(void *userdata, const char *section, const char *k, const char *v,
		      unsigned int lineno)
{
	struct parse_state *st = userdata;
	struct config *c = st->c;
	const char *path = st->path;
	int r;

	if (!k) {
		if (strcmp(section, "global") == 0) {
			st->in_global = true;
			st->cur = NULL;
			return 0;
		}
		for (size_t i = 0; i < c->n_exports; i++) {
			if (c->exports[i].section &&
			    strcmp(c->exports[i].section, section) == 0) {
				log_error("%s:%u: section [%s] defined twice", path,
					  lineno, section);
				return -EINVAL;
			}
		}
		st->in_global = false;
		st->cur = new_export(c);
		if (!st->cur || !(st->cur->section = strdup(section)))
			return log_errno(-ENOMEM, "%s", path);
		return 0;
	}
	if (st->in_global) {
		r = global_key(c, k, v);
	} else if (st->cur) {
		r = export_key(st->cur, k, v);
	} else {
		log_error("%s:%u: '%s' outside of any section", path, lineno, k);
		return -EINVAL;
	}
	if (r == -ENOENT) {
		log_error("%s:%u: unknown key '%s' in [%s]", path, lineno, k,
			  st->in_global ? "global" : st->cur->section);
		return -EINVAL;
	}
	if (r < 0) {
		log_error("%s:%u: bad value for '%s': '%s'", path, lineno, k, v);
		return -EINVAL;
	}
	return 0;
}

int config_parse(struct config *c, const char *path, const char *text)
{
	struct parse_state st = { .c = c, .path = path };
	int r;

	r = ini_parse(path, text, 0, parse_line, &st);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_exports; i++) {
		struct export_conf *e = &c->exports[i];

		if (!e->path) {
			log_error("%s: section [%s] has no 'path'", path, e->section);
			return -EINVAL;
		}
		if (!e->name && !(e->name = strdup(e->section)))
			return -ENOMEM;
	}
	return 0;
}

int config_load(struct config *c, const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = read_file_at(AT_FDCWD, path, &text, &len);
	if (r < 0)
		return log_errno(r, "cannot read %s", path);
	if (strlen(text) != len) {
		log_error("%s: not a text file", path);
		return -EINVAL;
	}
	r = config_parse(c, path, text);
	if (r < 0)
		return r;
	return set_str(&c->file, path);
}

int config_check(struct config *c)
{
	if (c->n_exports == 0) {
		log_error("no image to serve");
		return -EINVAL;
	}
	for (size_t i = 0; i < c->n_exports; i++) {
		struct export_conf *e = &c->exports[i];

		for (size_t j = 0; j < i; j++) {
			if (strcmp(c->exports[j].name, e->name) == 0) {
				log_error("two exports are named '%s'", e->name);
				return -EINVAL;
			}
		}
		if (e->cow != COW_OFF && !e->readonly) {
			log_error(
				"export '%s': 'cow' and 'readonly = no' cannot be combined",
				e->name);
			return -EINVAL;
		}
		if (e->cow != COW_OFF && !c->cow_dir) {
			log_error(
				"export '%s' uses copy-on-write but no overlay directory is set (--cow DIR or cow-dir)",
				e->name);
			return -EINVAL;
		}
	}
	if (c->default_export) {
		bool found = false;

		for (size_t i = 0; i < c->n_exports; i++)
			found |= strcmp(c->exports[i].name, c->default_export) == 0;
		if (!found) {
			log_error("default export '%s' is not defined",
				  c->default_export);
			return -EINVAL;
		}
	}
	if (c->tls != TLS_OFF && !c->tls_certs && !c->tls_psk) {
		log_error("TLS needs --tls-certificates DIR or --tls-psk FILE");
		return -EINVAL;
	}
	return 0;
}

/* *path against the working directory, unless it is absolute or NULL. */
static int absolute(char **path)
{
	char cwd[4096], *abs;

	if (!*path || (*path)[0] == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	if (asprintf(&abs, "%s/%s", cwd, *path) < 0)
		return -ENOMEM;
	free(*path);
	*path = abs;
	return 0;
}

int config_absolute_paths(struct config *c)
{
	char **paths[] = { &c->cow_dir,	  &c->pidfile, &c->log_file, &c->status_file,
			   &c->tls_certs, &c->tls_psk, &c->file };
	int r = 0;

	if (!c->status_file && !(c->status_file = strdup(STATUS_FILE_DEFAULT)))
		return -ENOMEM;
	for (size_t i = 0; i < c->n_exports && r == 0; i++)
		r = absolute(&c->exports[i].path);
	for (size_t i = 0; i < ARRAY_SIZE(paths) && r == 0; i++)
		r = absolute(paths[i]);
	return r;
}
