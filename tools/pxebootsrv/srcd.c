// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SystemRescueCd's /etc/conf.d/pxebootsrv: shell assignments of PXEBOOTSRV_*
 * variables, read with their old meanings (DODHCPD, DOTFTPD, DOHTTPD, SUBNET,
 * NETMASK, DEFROUTE, DNS, DHCPRANGE, LOCALIP, TFTPSEVER, HTTPSERVER) plus
 * PXEBOOTSRV_PROXYDHCP. The file is never run by a shell: only NAME=VALUE
 * lines with "..." or '...' quoting and $NAME / ${NAME} references to earlier
 * variables are understood, which is all that file has ever held.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "util.h"

struct var {
	char *name; /* upper case, without PXEBOOTSRV_ */
	char *value;
	unsigned int line;
};

struct vars {
	struct var v[32];
	size_t n;
};

static void vars_free(struct vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
}

static struct var *var_find(struct vars *vs, const char *name)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].name, name) == 0)
			return &vs->v[i];
	return NULL;
}

static const char *PREFIX = "PXEBOOTSRV_";

/* The assignment's variable name length, or 0 when the line is not one. */
static size_t assignment(const char *s)
{
	size_t n;

	if (strncasecmp(s, PREFIX, strlen(PREFIX)) != 0)
		return 0;
	n = strlen(PREFIX);
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return s[n] == '=' ? n : 0;
}

bool config_is_srcd(const char *text)
{
	for (const char *s = text; s; s = strchr(s, '\n')) {
		if (*s == '\n')
			s++;
		s += strspn(s, " \t");
		if (startswith(s, "export "))
			s += 7;
		if (assignment(s))
			return true;
	}
	return false;
}

/* Expand a shell word: quotes, $NAME and ${NAME} of variables read so far. */
static int expand(struct vars *vs, const char *s, char **ret, const char **end)
{
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	char quote = 0;

	if (!f)
		return -ENOMEM;
	for (; *s; s++) {
		if (quote != '\'' && *s == '$') {
			char name[64];
			size_t n = 0;
			bool brace = s[1] == '{';
			const char *p = s + 1 + brace;
			struct var *v;

			while ((isalnum((unsigned char)p[n]) || p[n] == '_') && n < 63)
				n++;
			memcpy(name, p, n);
			name[n] = '\0';
			if (n == 0 || (brace && p[n] != '}')) {
				fclose(f);
				return -EINVAL;
			}
			s = p + n - 1 + brace;
			if (strncasecmp(name, PREFIX, strlen(PREFIX)) == 0) {
				for (char *q = name; *q; q++)
					*q = toupper((unsigned char)*q);
				v = var_find(vs, name + strlen(PREFIX));
				if (v)
					fputs(v->value, f);
			}
			continue;
		}
		if (quote) {
			if (*s == quote)
				quote = 0;
			else
				fputc(*s, f);
			continue;
		}
		if (*s == '"' || *s == '\'') {
			quote = *s;
			continue;
		}
		if (isspace((unsigned char)*s))
			break;
		if (*s == '\\' && s[1]) {
			fputc(*++s, f);
			continue;
		}
		fputc(*s, f);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	if (quote)
		return -EINVAL;
	*end = s;
	*ret = TAKE_PTR(out);
	return 0;
}

static int srcd_problem(struct pbs_config *c, const char *path, unsigned int line,
			const char *what, const char *value)
{
	log_error("%s:%u: %s: '%s'", path, line, what, value);
	c->errors++;
	return 0;
}

static const char *const known[] = {
	"DODHCPD",    "DOTFTPD",    "DOHTTPD",	 "SUBNET",  "NETMASK",
	"DEFROUTE",   "DNS",	    "DHCPRANGE", "LOCALIP", "TFTPSEVER",
	"TFTPSERVER", "HTTPSERVER", "PROXYDHCP",
};

static int read_vars(struct pbs_config *c, const char *path, const char *text,
		     struct vars *vs)
{
	_cleanup_free_ char *copy = strdup(text);
	unsigned int lineno = 0;
	char *line, *next;
	int r;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line; line = next) {
		_cleanup_free_ char *value = NULL;
		const char *end;
		char *s, *name;
		size_t n;
		bool ok = false;
		struct var *v;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		s = strstrip(line);
		if (startswith(s, "export "))
			s = strstrip(s + 7);
		n = assignment(s);
		/* Comments and anything a shell file may hold besides. */
		if (!n)
			continue;
		s[n] = '\0';
		name = s + strlen(PREFIX);
		for (char *q = name; *q; q++)
			*q = toupper((unsigned char)*q);
		r = expand(vs, s + n + 1, &value, &end);
		if (r == -ENOMEM)
			return r;
		end = r < 0 ? NULL : end + strspn(end, " \t");
		if (!end || (*end && *end != '#')) {
			srcd_problem(c, path, lineno, "cannot read the value of", s);
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			ok |= strcmp(known[i], name) == 0;
		if (!ok) {
			srcd_problem(c, path, lineno, "unknown variable", s);
			continue;
		}
		v = var_find(vs, name);
		if (!v) {
			if (vs->n == ARRAY_SIZE(vs->v))
				return -E2BIG;
			v = &vs->v[vs->n++];
			v->name = strdup(name);
			if (!v->name)
				return -ENOMEM;
		}
		free(v->value);
		v->value = TAKE_PTR(value);
		v->line = lineno;
	}
	return 0;
}

static bool var_bool(struct pbs_config *c, const char *path, struct vars *vs,
		     const char *name, bool def)
{
	struct var *v = var_find(vs, name);
	bool b = def;

	if (v && parse_bool(v->value, &b) < 0)
		srcd_problem(c, path, v->line, "not yes or no", v->value);
	return b;
}

static int var_ipv4(struct pbs_config *c, const char *path, struct vars *vs,
		    const char *name, char **dst)
{
	struct var *v = var_find(vs, name);
	struct in_addr a;

	if (!v || !*v->value)
		return 0;
	if (inet_pton(AF_INET, v->value, &a) != 1)
		return srcd_problem(c, path, v->line, "not an IPv4 address", v->value);
	free(*dst);
	*dst = strdup(v->value);
	return *dst ? 0 : -ENOMEM;
}

/* The first of two names that exists in dir, else the first. */
static char *pick(const char *dir, const char *a, const char *b)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, a) < 0)
		return NULL;
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	if (asprintf(&p, "%s/%s", dir, b) < 0)
		return NULL;
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return asprintf(&p, "%s/%s", dir, a) < 0 ? NULL : p;
}

int config_parse_srcd(struct pbs_config *c, const char *path, const char *text,
		      const char *root)
{
	struct vars vs = { 0 };
	struct entry *e;
	struct var *v;
	const char *slash;
	int r;

	c->srcd = true;
	r = read_vars(c, path, text, &vs);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	if (var_ipv4(c, path, &vs, "LOCALIP", &c->address) < 0 ||
	    var_ipv4(c, path, &vs, "NETMASK", &c->netmask) < 0 ||
	    var_ipv4(c, path, &vs, "DEFROUTE", &c->router) < 0 ||
	    var_ipv4(c, path, &vs, "DNS", &c->dns) < 0 ||
	    var_ipv4(c, path, &vs, "TFTPSEVER", &c->next_server) < 0 ||
	    var_ipv4(c, path, &vs, "TFTPSERVER", &c->next_server) < 0)
		goto out;
	if (!c->address) {
		log_error("%s: PXEBOOTSRV_LOCALIP is not set", path);
		c->errors++;
		r = -EINVAL;
		goto out;
	}
	if (c->next_server && strcmp(c->next_server, c->address) == 0) {
		free(c->next_server);
		c->next_server = NULL;
	}
	if (var_bool(c, path, &vs, "DODHCPD", true))
		c->mode = DHCP_FULL;
	else if (var_bool(c, path, &vs, "PROXYDHCP", false))
		c->mode = DHCP_PROXY;
	else
		c->mode = DHCP_OFF;
	c->tftp = var_bool(c, path, &vs, "DOTFTPD", true);
	c->http = var_bool(c, path, &vs, "DOHTTPD", true);
	v = var_find(&vs, "DHCPRANGE");
	if (v) {
		char a[64], b[64], extra;
		struct in_addr x;

		if (sscanf(v->value, "%63s %63s %c", a, b, &extra) != 2 ||
		    inet_pton(AF_INET, a, &x) != 1 || inet_pton(AF_INET, b, &x) != 1) {
			srcd_problem(c, path, v->line, "not a range of two addresses",
				     v->value);
		} else if (!(c->range_start = strdup(a)) || !(c->range_end = strdup(b))) {
			goto out;
		}
		c->range_line = v->line;
	}
	if (c->mode == DHCP_FULL && !c->range_start) {
		log_error("%s: PXEBOOTSRV_DHCPRANGE is not set", path);
		c->errors++;
	}
	if (asprintf(&c->boot_dir, "%s/tftpboot", root ? root : "") < 0 ||
	    !(c->state_dir = strdup("/run/pxebootsrv")) ||
	    !(c->title = strdup("SystemRescueCd")) || !(c->lease_time = strdup("12h")) ||
	    !(c->default_entry = strdup("sysrcd")))
		goto out;
	r = config_check_subnet(c, path);
	if (r < 0)
		goto out;
	r = -ENOMEM;

	c->entries = calloc(2, sizeof(*c->entries));
	if (!c->entries)
		goto out;
	c->n_entries = c->cap_entries = 2;
	e = &c->entries[0];
	e->kind = KIND_PXEROOT;
	e->has_kind = true;
	e->root = ROOT_HTTP;
	v = var_find(&vs, "HTTPSERVER");
	if (v && *v->value) {
		if (!startswith(v->value, "http://") || strpbrk(v->value, " \t\"")) {
			srcd_problem(c, path, v->line, "not an http:// URL", v->value);
		} else if (!(e->url = strdup(v->value))) {
			goto out;
		}
	} else if (asprintf(&e->url, "http://%s/sysrcd.dat", c->address) < 0) {
		goto out;
	}
	/* The image's md5sum file, sysrcd.md5 beside sysrcd.dat in the TFTP directory. */
	slash = e->url ? strrchr(e->url, '/') : NULL;
	if (slash) {
		const char *base = slash + 1, *dot = strrchr(base, '.');
		int n = dot ? (int)(dot - base) : (int)strlen(base);

		if (asprintf(&e->image, "%s/%s", c->boot_dir, base) < 0 ||
		    asprintf(&e->checksum, "%s/%.*s.md5", c->boot_dir, n, base) < 0)
			goto out;
	}
	if (!(e->name = strdup("sysrcd")) || !(e->label = strdup("SystemRescueCd")) ||
	    !(e->append = strdup("dodhcp")) ||
	    !(e->kernel = pick(c->boot_dir, "rescue64", "vmlinuz")) ||
	    !(e->initrd = pick(c->boot_dir, "initram.igz", "initrd.img")))
		goto out;
	e = &c->entries[1];
	e->kind = KIND_LOCALBOOT;
	e->has_kind = true;
	if (!(e->name = strdup("local")) ||
	    !(e->label = strdup("Boot from the local disk")))
		goto out;
	r = c->errors ? -EINVAL : 0;
out:
	vars_free(&vs);
	return r;
}
