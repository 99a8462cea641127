// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "util.h"

#define NBD_DEFAULT_PORT "10809"

static const struct {
	const char *name;
	const char *def;
	bool root;
} keys[_PX_KEY_MAX] = {
	[PX_ROOT] = { "ROOT", "dhcp", true },
	[PX_ROOT_PARAM] = { "ROOT_PARAM", "", true },
	[PX_SERVER] = { "SERVER", "", true },
	[PX_PORT] = { "PORT", "", true },
	[PX_PATH] = { "PATH", "", true },
	[PX_IMAGE] = { "IMAGE", "", true },
	[PX_EXPORT] = { "EXPORT", "", true },
	[PX_URL] = { "URL", "", true },
	[PX_NFS_VERS] = { "NFS_VERS", "", true },
	[PX_NFS_OPTS] = { "NFS_OPTS", "", true },
	[PX_FSTYPE] = { "FSTYPE", "auto", true },
	[PX_FLAGS] = { "FLAGS", "", true },
	[PX_SHA256] = { "SHA256", "" },
	[PX_MD5] = { "MD5", "" },
	[PX_CHECKSUM_URL] = { "CHECKSUM_URL", "" },
	[PX_VERIFY] = { "VERIFY", "1" },
	[PX_IP] = { "IP", "dhcp" },
	[PX_IP_PARAM] = { "IP_PARAM", "" },
	[PX_IP_ADDR] = { "IP_ADDR", "" },
	[PX_IP_PREFIX] = { "IP_PREFIX", "" },
	[PX_IP_PEER] = { "IP_PEER", "" },
	[PX_IP_GW] = { "IP_GW", "" },
	[PX_IP_HOSTNAME] = { "IP_HOSTNAME", "" },
	[PX_IP_DEV] = { "IP_DEV", "" },
	[PX_IP_DNS] = { "IP_DNS", "" },
	[PX_IP_NTP] = { "IP_NTP", "" },
	[PX_IP_MTU] = { "IP_MTU", "" },
	[PX_IP_MAC] = { "IP_MAC", "" },
	[PX_BOOTIF] = { "BOOTIF", "" },
	[PX_DHCP_TRIES] = { "DHCP_TRIES", "5" },
	[PX_DHCP_TIMEOUT] = { "DHCP_TIMEOUT", "2" },
	[PX_LINK_TIMEOUT] = { "LINK_TIMEOUT", "10" },
	[PX_RETRY] = { "RETRY", "60" },
	[PX_OVERLAY] = { "OVERLAY", "overlay" },
	[PX_OVERLAY_SIZE] = { "OVERLAY_SIZE", "50%" },
	[PX_INIT] = { "INIT", "/sbin/init" },
	[PX_ON_FAIL] = { "ON_FAIL", "reboot" },
	[PX_FAIL_TIMEOUT] = { "FAIL_TIMEOUT", "60" },
	[PX_BREAK] = { "BREAK", "" },
	[PX_DEBUG] = { "DEBUG", "0" },
	[PX_QUIET] = { "QUIET", "0" },
	[PX_NBD_TIMEOUT] = { "NBD_TIMEOUT", "60" },
	[PX_NBD_DEAD_TIMEOUT] = { "NBD_DEAD_TIMEOUT", "3600" },
	[PX_NBD_RECONNECT] = { "NBD_RECONNECT", "1" },
	[PX_NBD_LOST] = { "NBD_LOST", "wait" },
	[PX_MODULES] = { "MODULES", "" },
	[PX_BLACKLIST] = { "BLACKLIST", "" },
};

const char *px_key_name(enum px_key k)
{
	return keys[k].name;
}

bool px_key_is_root(enum px_key k)
{
	return keys[k].root;
}

/* ---- parameter lists ---- */

void px_params_done(struct px_params *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->p[i]);
	free(l->p);
	l->p = NULL;
	l->n = 0;
}

static int params_add(struct px_params *l, const char *s)
{
	char **np = realloc(l->p, (l->n + 1) * sizeof(*np));
	char *d;

	if (!np)
		return -ENOMEM;
	l->p = np;
	d = strdup(s);
	if (!d)
		return -ENOMEM;
	l->p[l->n++] = d;
	return 0;
}

int px_split(const char *line, struct px_params *ret)
{
	struct px_params l = { 0 };
	size_t len = strlen(line);
	_cleanup_free_ char *buf = malloc(len + 1);
	const char *s = line;
	int r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		bool quoted = false;
		size_t n = 0;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
			if (*s == '"')
				quoted = !quoted;
			else
				buf[n++] = *s;
		}
		buf[n] = '\0';
		if (strcmp(buf, "--") == 0)
			break;
		r = params_add(&l, buf);
		if (r < 0) {
			px_params_done(&l);
			return r;
		}
	}
	*ret = l;
	return 0;
}

static size_t name_len(const char *param)
{
	const char *eq = strchr(param, '=');

	return eq ? (size_t)(eq - param) : strlen(param);
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(name, want, len) == 0;
}

/* ethN= sets an address on interface ethN (SystemRescueCd). */
static bool is_eth_n(const char *name, size_t len)
{
	if (len < 4 || memcmp(name, "eth", 3) != 0)
		return false;
	for (size_t i = 3; i < len; i++)
		if (!isdigit((unsigned char)name[i]))
			return false;
	return true;
}

enum group {
	GROUP_OWN,
	GROUP_ROOT,
	GROUP_NET,
};

static enum group param_group(const char *name, size_t len)
{
	static const char *const root[] = { "root",    "netroot", "nfsroot",
					    "netboot", "nbdboot", "nfsboot" };
	static const char *const net[] = { "ip", "dodhcp", "nodhcp", "ethx" };

	for (size_t i = 0; i < ARRAY_SIZE(root); i++)
		if (name_is(name, len, root[i]))
			return GROUP_ROOT;
	for (size_t i = 0; i < ARRAY_SIZE(net); i++)
		if (name_is(name, len, net[i]))
			return GROUP_NET;
	if (is_eth_n(name, len))
		return GROUP_NET;
	return GROUP_OWN;
}

/* Does the command line give this parameter, or one of its group? */
static bool overridden(const struct px_params *cmdline, const char *param)
{
	size_t len = name_len(param);
	enum group g = param_group(param, len);

	for (size_t i = 0; i < cmdline->n; i++) {
		const char *q = cmdline->p[i];
		size_t qlen = name_len(q);

		if (g != GROUP_OWN && param_group(q, qlen) == g)
			return true;
		if (qlen == len && memcmp(q, param, len) == 0)
			return true;
	}
	return false;
}

int px_merge(const struct px_params *defaults, const struct px_params *cmdline,
	     struct px_params *ret)
{
	struct px_params l = { 0 };
	int r = 0;

	for (size_t i = 0; r == 0 && i < defaults->n; i++)
		if (!overridden(cmdline, defaults->p[i]))
			r = params_add(&l, defaults->p[i]);
	for (size_t i = 0; r == 0 && i < cmdline->n; i++)
		r = params_add(&l, cmdline->p[i]);
	if (r < 0) {
		px_params_done(&l);
		return r;
	}
	*ret = l;
	return 0;
}

/* ---- the configuration ---- */

void px_config_init(struct px_config *c)
{
	memset(c, 0, sizeof(*c));
}

void px_config_done(struct px_config *c)
{
	for (size_t i = 0; i < _PX_KEY_MAX; i++)
		free(c->v[i]);
	for (size_t i = 0; i < c->n_warnings; i++)
		free(c->warnings[i]);
	free(c->warnings);
	free(c->image_override);
	memset(c, 0, sizeof(*c));
}

const char *px_config_get(const struct px_config *c, enum px_key k)
{
	return c->v[k] ? c->v[k] : keys[k].def;
}

static int set(struct px_config *c, enum px_key k, const char *v)
{
	char *d = strdup(v ? v : "");

	if (!d)
		return -ENOMEM;
	free(c->v[k]);
	c->v[k] = d;
	return 0;
}

static int setn(struct px_config *c, enum px_key k, const char *v, size_t n)
{
	char *d = strndup(v, n);

	if (!d)
		return -ENOMEM;
	free(c->v[k]);
	c->v[k] = d;
	return 0;
}

/* Append to a list value, separated by sep, skipping duplicates. */
static int append(struct px_config *c, enum px_key k, const char *v, char sep)
{
	const char *old = px_config_get(c, k);
	size_t vl = strlen(v);
	char *d;

	for (const char *p = old; *p;) {
		const char *e = strchr(p, sep);
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == vl && memcmp(p, v, l) == 0)
			return 0;
		if (!e)
			break;
		p = e + 1;
	}
	if (!*old)
		return set(c, k, v);
	if (asprintf(&d, "%s%c%s", old, sep, v) < 0)
		return -ENOMEM;
	free(c->v[k]);
	c->v[k] = d;
	return 0;
}

static int add_warning(struct px_config *c, const char *fmt, ...) _printf_(2, 3);
static int add_warning(struct px_config *c, const char *fmt, ...)
{
	char **nw;
	char *m;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	nw = realloc(c->warnings, (c->n_warnings + 1) * sizeof(*nw));
	if (!nw) {
		free(m);
		return -ENOMEM;
	}
	c->warnings = nw;
	c->warnings[c->n_warnings++] = m;
	return 0;
}

static int fail(char **ret_err, const char *fmt, ...) _printf_(2, 3);
static int fail(char **ret_err, const char *fmt, ...)
{
	va_list ap;

	if (ret_err) {
		va_start(ap, fmt);
		if (vasprintf(ret_err, fmt, ap) < 0)
			*ret_err = NULL;
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- value checks ---- */

static bool is_ipv4(const char *s)
{
	struct in_addr a;
	int dots = 0;

	for (const char *p = s; *p; p++) {
		if (*p == '.')
			dots++;
		else if (!isdigit((unsigned char)*p))
			return false;
	}
	return dots == 3 && inet_pton(AF_INET, s, &a) == 1;
}

static bool is_ipv6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

static bool is_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return false;
	/* All digits and dots but not a valid address: a typo, not a name. */
	if (strspn(s, "0123456789.") == n && !is_ipv4(s))
		return false;
	return true;
}

static bool is_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint(*p))
			return false;
	return true;
}

static bool is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return true;
}

static bool is_word(const char *s)
{
	if (!*s || strlen(s) > 32)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

/* Mount options, module lists: printable, no quotes or backslashes. */
static bool is_text(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!isprint((unsigned char)*p) || *p == '\'' || *p == '\\' ||
		    *p == '"' || *p == '`' || *p == '$')
			return false;
	return true;
}

static int check_port(const char *s)
{
	unsigned int v;

	return parse_uint(s, 1, 65535, &v);
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s);

	if (d)
		for (char *p = d; *p; p++)
			*p = tolower((unsigned char)*p);
	return d;
}

/* "aa:bb:cc:dd:ee:ff", "aa-bb-..." or pxelinux's "01-aa-bb-..." to "aa:bb:..". */
static int parse_mac(const char *s, bool allow_hwtype, char out[18])
{
	const char *p = s;
	size_t n = strlen(s);

	if (allow_hwtype && n == 20) {
		if (!(isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) &&
		      (s[2] == '-' || s[2] == ':')))
			return -EINVAL;
		if (strncmp(s, "01", 2) != 0)
			return -EPROTONOSUPPORT;
		p = s + 3;
		n -= 3;
	}
	if (n != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *q = p + i * 3;

		if (!isxdigit((unsigned char)q[0]) || !isxdigit((unsigned char)q[1]))
			return -EINVAL;
		if (i < 5 && q[2] != ':' && q[2] != '-')
			return -EINVAL;
		out[i * 3] = tolower((unsigned char)q[0]);
		out[i * 3 + 1] = tolower((unsigned char)q[1]);
		out[i * 3 + 2] = i < 5 ? ':' : '\0';
	}
	return 0;
}

/* A size for tmpfs: N, N[kKmMgG] or N%. */
static bool is_tmpfs_size(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 12)
		return false;
	if (s[n] == '\0')
		return true;
	return s[n + 1] == '\0' && strchr("kKmMgG%", s[n]);
}

static int netmask_to_prefix(const char *s, unsigned int *ret)
{
	struct in_addr a;
	uint32_t m;
	unsigned int bits = 0;

	if (parse_uint(s, 0, 32, ret) == 0)
		return 0;
	if (!is_ipv4(s) || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	m = ntohl(a.s_addr);
	while (m & 0x80000000u) {
		bits++;
		m <<= 1;
	}
	if (m)
		return -EINVAL;
	*ret = bits;
	return 0;
}

/* The kernel's default when ip= gives an address but no netmask. */
static unsigned int classful_prefix(const char *ip)
{
	unsigned int first = (unsigned int)atoi(ip);

	if (first < 128)
		return 8;
	if (first < 192)
		return 16;
	return 24;
}

/* ---- the root ---- */

struct root_spec {
	const char *kind;
	char *param; /* "name=value" */
	char *server, *port, *path, *image, *export, *url, *vers, *opts, *fstype, *flags;
};

static void root_spec_done(struct root_spec *s)
{
	free(s->param);
	free(s->server);
	free(s->port);
	free(s->path);
	free(s->image);
	free(s->export);
	free(s->url);
	free(s->vers);
	free(s->opts);
	free(s->fstype);
	free(s->flags);
	memset(s, 0, sizeof(*s));
}

/*
 * A server at the start of *p, up to the next ':' (or the end): an IPv4
 * address, a host name, or an IPv6 address in brackets.
 */
static int take_server(const char **p, char **ret, const char *param, char **ret_err)
{
	const char *s = *p, *e;
	_cleanup_free_ char *h = NULL;

	if (*s == '[') {
		e = strchr(s, ']');
		if (!e)
			return fail(ret_err, "%s: unterminated '[' in the server address",
				    param);
		h = strndup(s + 1, e - s - 1);
		if (!h)
			return -ENOMEM;
		if (!is_ipv6(h))
			return fail(ret_err, "%s: '%s' is not an IPv6 address", param, h);
		e++;
	} else {
		e = s + strcspn(s, ":/");
		h = strndup(s, e - s);
		if (!h)
			return -ENOMEM;
		if (!*h)
			return fail(ret_err, "%s: missing server", param);
		if (!is_ipv4(h) && !is_hostname(h))
			return fail(ret_err,
				    "%s: '%s' is not a server address or host name",
				    param, h);
	}
	*ret = TAKE_PTR(h);
	*p = e;
	return 0;
}

static bool has_image_suffix(const char *path)
{
	static const char *const sfx[] = { ".sqfs", ".squashfs", ".sfs",  ".img",
					   ".dat",  ".erofs",	 ".ext4", ".iso" };
	size_t n = strlen(path);

	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		size_t l = strlen(sfx[i]);
		if (n > l && strcmp(path + n - l, sfx[i]) == 0)
			return true;
	}
	return false;
}

/* /dir/name.sqfs -> path /dir, image name.sqfs. */
static int split_image(struct root_spec *s)
{
	char *slash;

	if (!has_image_suffix(s->path))
		return 0;
	slash = strrchr(s->path, '/');
	s->image = strdup(slash + 1);
	if (!s->image)
		return -ENOMEM;
	if (slash == s->path)
		slash[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

/*
 * NFS options: the version goes to vers, port= to port, ro is implied and
 * dropped, the rest is passed to the kernel as given.
 */
static int nfs_options(struct root_spec *s, const char *opts, const char *param,
		       char **ret_err)
{
	_cleanup_free_ char *copy = strdup(opts);
	_cleanup_free_ char *out = NULL;
	char *save = NULL, *o;
	const char *minor = NULL;

	if (!copy)
		return -ENOMEM;
	if (!is_text(opts))
		return fail(ret_err, "%s: invalid characters in NFS options '%s'", param,
			    opts);
	for (o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		const char *v = NULL;
		char *tmp;

		if (startswith(o, "vers=") || startswith(o, "nfsvers="))
			v = strchr(o, '=') + 1;
		else if (strcmp(o, "v3") == 0 || strcmp(o, "v4") == 0 ||
			 startswith(o, "v4."))
			v = o + 1;
		if (v) {
			if (strcmp(v, "2") == 0)
				return fail(ret_err, "%s: NFSv2 is not supported", param);
			if (strcmp(v, "3") != 0 && strcmp(v, "4") != 0 &&
			    strcmp(v, "4.0") != 0 && strcmp(v, "4.1") != 0 &&
			    strcmp(v, "4.2") != 0)
				return fail(ret_err, "%s: unknown NFS version '%s'",
					    param, v);
			free(s->vers);
			s->vers = strdup(v);
			if (!s->vers)
				return -ENOMEM;
			continue;
		}
		if (startswith(o, "minorversion=")) {
			minor = o + strlen("minorversion=");
			if (strcmp(minor, "0") && strcmp(minor, "1") &&
			    strcmp(minor, "2"))
				return fail(ret_err, "%s: unknown NFS minor version '%s'",
					    param, minor);
			continue;
		}
		if (startswith(o, "port=")) {
			if (check_port(o + 5) < 0)
				return fail(ret_err, "%s: invalid port '%s'", param,
					    o + 5);
			free(s->port);
			s->port = strdup(o + 5);
			if (!s->port)
				return -ENOMEM;
			continue;
		}
		if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0)
			continue;
		if (asprintf(&tmp, "%s%s%s", out ? out : "", out ? "," : "", o) < 0)
			return -ENOMEM;
		free(out);
		out = tmp;
	}
	if (minor) {
		char *v;

		if (s->vers && strcmp(s->vers, "3") == 0)
			return fail(ret_err, "%s: minorversion= needs NFSv4", param);
		if (asprintf(&v, "4.%s", minor) < 0)
			return -ENOMEM;
		free(s->vers);
		s->vers = v;
	}
	free(s->opts);
	s->opts = TAKE_PTR(out);
	return 0;
}

/*
 * [server:]/path followed by options after sep1 or sep2 (dracut allows ':'
 * and ','; the kernel's nfsroot= only ',').
 */
static int parse_nfs(struct root_spec *s, const char *v, const char *optseps,
		     const char *param, char **ret_err)
{
	const char *p = v, *e;
	int r;

	s->kind = "nfs";
	if (*p != '/') {
		r = take_server(&p, &s->server, param, ret_err);
		if (r < 0)
			return r;
		if (*p != ':')
			return fail(ret_err, "%s: expected SERVER:/PATH", param);
		p++;
	}
	if (*p != '/')
		return fail(ret_err, "%s: the NFS path must be absolute", param);
	e = p + strcspn(p, optseps);
	s->path = strndup(p, e - p);
	if (!s->path)
		return -ENOMEM;
	if (!is_text(s->path))
		return fail(ret_err, "%s: invalid characters in the NFS path", param);
	if (*e) {
		r = nfs_options(s, e + 1, param, ret_err);
		if (r < 0)
			return r;
	}
	return split_image(s);
}

/* nbd:SERVER:PORT[/EXPORT]|EXPORT[:FSTYPE[:MOUNTOPTS[:NBDOPTS]]] (dracut). */
static int parse_nbd_dracut(struct root_spec *s, struct px_config *c, const char *v,
			    const char *param, char **ret_err)
{
	_cleanup_free_ char *copy = NULL;
	const char *p = v;
	char *field[4] = { 0 };
	int r;

	s->kind = "nbd";
	r = take_server(&p, &s->server, param, ret_err);
	if (r < 0)
		return r;
	if (*p != ':')
		return fail(ret_err, "%s: expected nbd:SERVER:PORT", param);
	copy = strdup(p + 1);
	if (!copy)
		return -ENOMEM;
	/* Fields may be empty (nbd:host:port::ro), so split by hand. */
	field[0] = copy;
	for (int i = 1; i < 4; i++) {
		char *colon = field[i - 1] ? strchr(field[i - 1], ':') : NULL;
		if (!colon)
			break;
		*colon = '\0';
		field[i] = colon + 1;
	}
	if (!*field[0])
		return fail(ret_err, "%s: missing port or export name", param);
	{
		char *slash = strchr(field[0], '/');
		const char *port = field[0];

		if (slash)
			*slash = '\0';
		if (strspn(port, "0123456789") == strlen(port)) {
			if (check_port(port) < 0)
				return fail(ret_err, "%s: invalid port '%s'", param,
					    port);
			s->port = strdup(port);
			s->export = strdup(slash ? slash + 1 : "");
		} else {
			if (slash)
				*slash = '/';
			s->port = strdup(NBD_DEFAULT_PORT);
			s->export = strdup(field[0]);
		}
		if (!s->port || !s->export)
			return -ENOMEM;
		if (!is_text(s->export))
			return fail(ret_err, "%s: invalid characters in the export name",
				    param);
	}
	if (field[1] && *field[1]) {
		if (!is_word(field[1]))
			return fail(ret_err, "%s: invalid file system type '%s'", param,
				    field[1]);
		s->fstype = strdup(field[1]);
		if (!s->fstype)
			return -ENOMEM;
	}
	if (field[2] && *field[2]) {
		if (!is_text(field[2]))
			return fail(ret_err, "%s: invalid mount options '%s'", param,
				    field[2]);
		s->flags = strdup(field[2]);
		if (!s->flags)
			return -ENOMEM;
	}
	if (field[3] && *field[3]) {
		_cleanup_free_ char *o = strdup(field[3]);
		char *sv = NULL;

		if (!o)
			return -ENOMEM;
		for (char *t = strtok_r(o, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
			unsigned int secs;

			if (startswith(t, "timeout=")) {
				if (parse_uint(t + 8, 1, 86400, &secs) < 0)
					return fail(ret_err,
						    "%s: invalid NBD option '%s'", param,
						    t);
				r = set(c, PX_NBD_TIMEOUT, t + 8);
				if (r < 0)
					return r;
			} else {
				r = add_warning(c, "%s: NBD option '%s' ignored", param,
						t);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

/* nbd://SERVER[:PORT][/EXPORT], and SERVER:PORT (SystemRescueCd's nbdboot=). */
static int parse_nbd_uri(struct root_spec *s, const char *v, bool uri, const char *param,
			 char **ret_err)
{
	const char *p = v;
	int r;

	s->kind = "nbd";
	r = take_server(&p, &s->server, param, ret_err);
	if (r < 0)
		return r;
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/");

		s->port = strndup(p + 1, n);
		if (!s->port)
			return -ENOMEM;
		if (check_port(s->port) < 0)
			return fail(ret_err, "%s: invalid port '%s'", param, s->port);
		p += 1 + n;
	} else {
		if (!uri)
			return fail(ret_err, "%s: expected SERVER:PORT", param);
		s->port = strdup(NBD_DEFAULT_PORT);
		if (!s->port)
			return -ENOMEM;
	}
	if (*p == '/')
		p++;
	else if (*p)
		return fail(ret_err, "%s: unexpected '%s' after the port", param, p);
	s->export = strdup(p);
	if (!s->export)
		return -ENOMEM;
	if (!is_text(s->export))
		return fail(ret_err, "%s: invalid characters in the export name", param);
	return 0;
}

static bool is_url(const char *v)
{
	return startswith(v, "http://") || startswith(v, "https://") ||
	       startswith(v, "ftp://") || startswith(v, "tftp://");
}

static int parse_url(struct root_spec *s, const char *v, const char *param,
		     char **ret_err)
{
	const char *host = strstr(v, "://") + 3;
	const char *slash = strchr(host, '/');

	s->kind = "url";
	if (host[0] == '\0' || host[0] == '/')
		return fail(ret_err, "%s: missing server in the URL", param);
	if (!slash || slash[1] == '\0' || v[strlen(v) - 1] == '/')
		return fail(ret_err, "%s: the URL must name an image file", param);
	if (!is_text(v))
		return fail(ret_err, "%s: invalid characters in the URL", param);
	s->url = strdup(v);
	return s->url ? 0 : -ENOMEM;
}

static bool is_local_device(const char *v)
{
	return startswith(v, "/dev/") || startswith(v, "LABEL=") ||
	       startswith(v, "UUID=") || startswith(v, "PARTUUID=") ||
	       startswith(v, "PARTLABEL=") || startswith(v, "block:");
}

/*
 * root= and netroot= (dracut), also used for a DHCP root-path. Returns 1 when
 * the value names no network root (a local device, /dev/nfs).
 */
static int parse_root_value(struct root_spec *s, struct px_config *c, const char *v,
			    const char *param, char **ret_err)
{
	if (strcmp(v, "dhcp") == 0) {
		s->kind = "dhcp";
		return 0;
	}
	if (strcmp(v, "dhcp6") == 0)
		return fail(ret_err, "%s: IPv6 DHCP is not supported", param);
	if (startswith(v, "nfs4:")) {
		s->vers = strdup("4");
		if (!s->vers)
			return -ENOMEM;
		return parse_nfs(s, v + 5, ":,", param, ret_err);
	}
	if (startswith(v, "nfs:")) {
		int r = parse_nfs(s, v + 4, ":,", param, ret_err);
		if (r == 0 && !s->vers)
			s->vers = strdup("auto");
		return r < 0 ? r : s->vers ? 0 : -ENOMEM;
	}
	if (startswith(v, "nbd://"))
		return parse_nbd_uri(s, v + 6, true, param, ret_err);
	if (startswith(v, "nbds://"))
		return fail(ret_err, "%s: NBD over TLS is not supported", param);
	if (startswith(v, "nbd:"))
		return parse_nbd_dracut(s, c, v + 4, param, ret_err);
	if (startswith(v, "live:")) {
		if (!is_url(v + 5))
			return fail(
				ret_err,
				"%s: only live:http://, https://, ftp:// and tftp:// images are supported",
				param);
		return parse_url(s, v + 5, param, ret_err);
	}
	if (is_url(v))
		return parse_url(s, v, param, ret_err);
	if (strcmp(v, "/dev/nfs") == 0)
		return 1;
	if (is_local_device(v))
		return 1;
	if (startswith(v, "iscsi:") || startswith(v, "cifs:") ||
	    startswith(v, "cifs://") || startswith(v, "nvme") || startswith(v, "fcoe:"))
		return fail(
			ret_err,
			"%s: this root transport is not supported (use NFS, NBD or HTTP)",
			param);
	/* dracut's plain [server:]/path[:opts] means NFS. */
	if (v[0] == '/' || strstr(v, ":/")) {
		int r = parse_nfs(s, v, ":,", param, ret_err);
		if (r == 0 && !s->vers)
			s->vers = strdup("auto");
		return r < 0 ? r : s->vers ? 0 : -ENOMEM;
	}
	return fail(
		ret_err,
		"%s: unrecognised root (expected nfs:, nfs4:, nbd:, dhcp, live:URL or SERVER:/PATH)",
		param);
}

/* The kernel's nfsroot=[server:]path[,options]; NFSv3 unless told. */
static int parse_nfsroot(struct root_spec *s, const char *v, const char *param,
			 char **ret_err)
{
	int r;

	if (!*v)
		return fail(ret_err, "%s: missing path", param);
	if (v[0] != '/' && !strchr(v, ':'))
		return fail(ret_err, "%s: the NFS path must be absolute", param);
	r = parse_nfs(s, v, ",", param, ret_err);
	if (r == 0 && !s->vers)
		s->vers = strdup("3");
	return r < 0 ? r : s->vers ? 0 : -ENOMEM;
}

/* SystemRescueCd: netboot=http://.../sysrcd.dat, tftp://, nbd://, nfs://. */
static int parse_netboot(struct root_spec *s, const char *v, const char *param,
			 char **ret_err)
{
	if (is_url(v))
		return parse_url(s, v, param, ret_err);
	if (startswith(v, "nbd://"))
		return parse_nbd_uri(s, v + 6, true, param, ret_err);
	if (startswith(v, "nfs://")) {
		_cleanup_free_ char *nv = NULL;
		const char *rest = v + 6;
		const char *slash = strchr(rest, '/');
		int r;

		/* nfs://server/path and nfs://server:/path both name server:/path. */
		if (!slash)
			return fail(ret_err, "%s: expected nfs://SERVER/PATH", param);
		if (slash > rest && slash[-1] == ':')
			nv = strdup(rest);
		else if (asprintf(&nv, "%.*s:%s", (int)(slash - rest), rest, slash) < 0)
			nv = NULL;
		if (!nv)
			return -ENOMEM;
		r = parse_nfs(s, nv, ",", param, ret_err);
		if (r < 0)
			return r;
		if (!s->image) {
			s->image = strdup("sysrcd.dat");
			if (!s->image)
				return -ENOMEM;
		}
		if (!s->vers)
			s->vers = strdup("3");
		return s->vers ? 0 : -ENOMEM;
	}
	return fail(
		ret_err,
		"%s: expected an http://, https://, ftp://, tftp://, nbd:// or nfs:// URL",
		param);
}

static int parse_nfsboot(struct root_spec *s, const char *v, const char *param,
			 char **ret_err)
{
	int r;

	if (v[0] == '/')
		return fail(ret_err, "%s: expected SERVER:/PATH", param);
	r = parse_nfs(s, v, ",", param, ret_err);
	if (r < 0)
		return r;
	if (!s->image) {
		s->image = strdup("sysrcd.dat");
		if (!s->image)
			return -ENOMEM;
	}
	if (!s->vers)
		s->vers = strdup("3");
	return s->vers ? 0 : -ENOMEM;
}

static int commit_root(struct px_config *c, struct root_spec *s, char **ret_err)
{
	int r = 0;

	/* An image named by rd.pxeroot.image= replaces one guessed from the path. */
	if (c->image_override && strcmp(s->kind, "dhcp") != 0) {
		if (strcmp(s->kind, "nfs") != 0)
			return fail(
				ret_err,
				"rd.pxeroot.image=%s: only an NFS root has image files",
				c->image_override);
		free(s->image);
		s->image = strdup(c->image_override);
		if (!s->image)
			return -ENOMEM;
	}

	for (int k = 0; k < _PX_KEY_MAX; k++)
		if (keys[k].root && k != PX_FSTYPE && k != PX_FLAGS) {
			free(c->v[k]);
			c->v[k] = NULL;
		}
	r = r ?: set(c, PX_ROOT, s->kind);
	r = r ?: set(c, PX_ROOT_PARAM, s->param);
	r = r ?: set(c, PX_SERVER, s->server);
	r = r ?: set(c, PX_PORT, s->port);
	r = r ?: set(c, PX_PATH, s->path);
	r = r ?: set(c, PX_IMAGE, s->image);
	r = r ?: set(c, PX_EXPORT, s->export);
	r = r ?: set(c, PX_URL, s->url);
	r = r ?: set(c, PX_NFS_VERS, s->vers);
	r = r ?: set(c, PX_NFS_OPTS, s->opts);
	if (s->fstype)
		r = r ?: set(c, PX_FSTYPE, s->fstype);
	if (s->flags)
		r = r ?: set(c, PX_FLAGS, s->flags);
	return r;
}

/* ---- the parameters ---- */

/* The last value of each root or network parameter, resolved at the end. */
/* A parameter that may name the root: its value, the whole parameter, and
 * where it was on the command line (to name conflicts in that order). */
struct root_arg {
	const char *v, *p;
	size_t i;
};

struct pending {
	struct root_arg root, netroot, nfsroot, netboot, nbdboot, nfsboot;
	const char *ip, *ethx, *ethn, *ethn_param, *bootif, *bootdev;
	bool dodhcp, nodhcp, bootif_off;
	int shell; /* -1 unset */
	const char *emergency, *emergency_param;
	const char *fail_action;
	const char *root_fstype, *root_flags;
};

static int bool_value(const char *param, const char *v, bool *ret, char **ret_err)
{
	if (!v) {
		*ret = true;
		return 0;
	}
	if (parse_bool(v, ret) < 0)
		return fail(ret_err, "%s: expected 0 or 1", param);
	return 0;
}

static int uint_value(struct px_config *c, enum px_key k, const char *param,
		      const char *v, unsigned int min, unsigned int max, char **ret_err)
{
	unsigned int n;

	if (!v || parse_uint(v, min, max, &n) < 0)
		return fail(ret_err, "%s: expected a number from %u to %u", param, min,
			    max);
	return set(c, k, v);
}

static int module_list(struct px_config *c, enum px_key k, const char *param,
		       const char *v, char **ret_err)
{
	if (!v || !*v)
		return fail(ret_err, "%s: expected a list of modules", param);
	for (const char *p = v;;) {
		size_t n = strcspn(p, ",");
		_cleanup_free_ char *m = strndup(p, n);
		int r;

		if (!m)
			return -ENOMEM;
		if (!is_word(m))
			return fail(ret_err, "%s: invalid module name '%s'", param, m);
		r = append(c, k, m, ',');
		if (r < 0)
			return r;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static const char *const break_stages[] = { "cmdline",	 "pre-udev", "initqueue",
					    "pre-mount", "mount",    "pre-pivot" };

static int break_value(struct px_config *c, const char *param, const char *v,
		       char **ret_err)
{
	const char *stage = v ? v : "pre-pivot";
	_cleanup_free_ char *list = NULL;

	if (strcmp(stage, "pre-trigger") == 0)
		stage = "pre-udev";
	else if (strcmp(stage, "cleanup") == 0)
		stage = "pre-pivot";
	for (size_t i = 0; i < ARRAY_SIZE(break_stages); i++)
		if (strcmp(stage, break_stages[i]) == 0) {
			/* Keep the list in boot order. */
			const char *old = px_config_get(c, PX_BREAK);
			for (size_t j = 0; j < ARRAY_SIZE(break_stages); j++) {
				bool want = j == i;
				char *tmp;

				for (const char *p = old; !want && *p;) {
					size_t l = strcspn(p, " ");
					if (l == strlen(break_stages[j]) &&
					    memcmp(p, break_stages[j], l) == 0)
						want = true;
					p += l;
					p += strspn(p, " ");
				}
				if (!want)
					continue;
				if (asprintf(&tmp, "%s%s%s", list ? list : "",
					     list ? " " : "", break_stages[j]) < 0)
					return -ENOMEM;
				free(list);
				list = tmp;
			}
			return set(c, PX_BREAK, list);
		}
	return fail(
		ret_err,
		"%s: unknown stage (cmdline, pre-udev, initqueue, pre-mount, mount, pre-pivot)",
		param);
}

static int checksum_value(struct px_config *c, enum px_key k, size_t len,
			  const char *param, const char *v, char **ret_err)
{
	_cleanup_free_ char *l = NULL;

	if (!v || !is_hex(v, len))
		return fail(ret_err, "%s: expected %zu hexadecimal digits", param, len);
	l = lower_dup(v);
	if (!l)
		return -ENOMEM;
	return set(c, k, l);
}

static int dns_value(struct px_config *c, const char *param, const char *v,
		     char **ret_err)
{
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;
	int r;

	if (!v || !*v)
		return fail(ret_err, "%s: expected an address", param);
	copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	for (char *a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		if (!is_ipv4(a) && !is_ipv6(a))
			return fail(ret_err, "%s: '%s' is not an IP address", param, a);
		r = append(c, PX_IP_DNS, a, ' ');
		if (r < 0)
			return r;
	}
	return 0;
}

/* Every other parameter: set now. Returns 0 also for parameters not ours. */
static int apply_one(struct px_config *c, struct pending *pd, const char *param,
		     size_t idx, char **ret_err)
{
	size_t nl = name_len(param);
	_cleanup_free_ char *name = strndup(param, nl);
	const char *v = param[nl] == '=' ? param + nl + 1 : NULL;
	struct root_arg *ra;
	bool b;
	int r;

	if (!name)
		return -ENOMEM;

#define IS(n) (strcmp(name, n) == 0)
#define NEED_VALUE()                                                      \
	do {                                                              \
		if (!v || !*v)                                            \
			return fail(ret_err, "%s: missing value", param); \
	} while (0)

	/* Root and network groups: the last one of each name counts. */
	ra = IS("root")	     ? &pd->root
	     : IS("netroot") ? &pd->netroot
	     : IS("nfsroot") ? &pd->nfsroot
	     : IS("netboot") ? &pd->netboot
	     : IS("nbdboot") ? &pd->nbdboot
	     : IS("nfsboot") ? &pd->nfsboot
			     : NULL;
	if (ra) {
		NEED_VALUE();
		*ra = (struct root_arg){ v, param, idx };
	} else if (IS("ip")) {
		NEED_VALUE();
		pd->ip = param;
	} else if (IS("dodhcp")) {
		pd->dodhcp = true;
	} else if (IS("nodhcp")) {
		pd->nodhcp = true;
	} else if (IS("ethx")) {
		NEED_VALUE();
		pd->ethx = param;
	} else if (is_eth_n(name, nl)) {
		NEED_VALUE();
		pd->ethn = param;
	} else if (IS("BOOTIF")) {
		NEED_VALUE();
		pd->bootif = param;
	} else if (IS("rd.bootif")) {
		r = bool_value(param, v, &b, ret_err);
		if (r < 0)
			return r;
		pd->bootif_off = !b;
	} else if (IS("bootdev")) {
		NEED_VALUE();
		if (!is_ifname(v))
			return fail(ret_err, "%s: invalid interface name", param);
		pd->bootdev = v;
	} else if (IS("gateway")) {
		if (!v || !is_ipv4(v))
			return fail(ret_err, "%s: expected an IPv4 address", param);
		return set(c, PX_IP_GW, v);
	} else if (IS("dns") || IS("nameserver")) {
		return dns_value(c, param, v, ret_err);
	} else if (IS("init")) {
		if (!v || v[0] != '/' || !is_text(v))
			return fail(ret_err, "%s: expected an absolute path", param);
		return set(c, PX_INIT, v);
	} else if (IS("rootfstype")) {
		if (!v || !is_word(v))
			return fail(ret_err, "%s: invalid file system type", param);
		pd->root_fstype = param;
	} else if (IS("rootflags")) {
		if (!v || !*v || !is_text(v))
			return fail(ret_err, "%s: invalid mount options", param);
		pd->root_flags = param;
	} else if (IS("quiet")) {
		return set(c, PX_QUIET, "1");
	} else if (IS("rd.info")) {
		return set(c, PX_QUIET, "0");
	} else if (IS("rd.debug") || IS("rd.pxeroot.debug")) {
		r = bool_value(param, v, &b, ret_err);
		return r < 0 ? r : set(c, PX_DEBUG, b ? "1" : "0");
	} else if (IS("rd.shell")) {
		r = bool_value(param, v, &b, ret_err);
		if (r < 0)
			return r;
		pd->shell = b;
	} else if (IS("rd.emergency")) {
		if (!v ||
		    (strcmp(v, "reboot") && strcmp(v, "poweroff") && strcmp(v, "halt")))
			return fail(ret_err, "%s: expected reboot, poweroff or halt",
				    param);
		pd->emergency = v;
		pd->emergency_param = param;
	} else if (IS("rd.pxeroot.fail")) {
		if (!v || (strcmp(v, "shell") && strcmp(v, "reboot") &&
			   strcmp(v, "poweroff") && strcmp(v, "halt")))
			return fail(ret_err,
				    "%s: expected shell, reboot, poweroff or halt",
				    param);
		pd->fail_action = v;
	} else if (IS("rd.pxeroot.fail.timeout")) {
		return uint_value(c, PX_FAIL_TIMEOUT, param, v, 0, 86400, ret_err);
	} else if (IS("rd.break")) {
		return break_value(c, param, v, ret_err);
	} else if (IS("rd.retry") || IS("rd.pxeroot.retry")) {
		return uint_value(c, PX_RETRY, param, v, 0, 86400, ret_err);
	} else if (IS("rd.pxeroot.dhcp.retries") || IS("rd.net.dhcp.retry")) {
		return uint_value(c, PX_DHCP_TRIES, param, v, 1, 1000, ret_err);
	} else if (IS("rd.pxeroot.dhcp.timeout") || IS("rd.net.timeout.dhcp")) {
		return uint_value(c, PX_DHCP_TIMEOUT, param, v, 1, 600, ret_err);
	} else if (IS("rd.pxeroot.link.timeout") || IS("rd.net.timeout.carrier")) {
		return uint_value(c, PX_LINK_TIMEOUT, param, v, 0, 600, ret_err);
	} else if (IS("rd.pxeroot.overlay")) {
		if (!v ||
		    (strcmp(v, "overlay") && strcmp(v, "tmpfs") && strcmp(v, "none")))
			return fail(ret_err, "%s: expected overlay, tmpfs or none",
				    param);
		return set(c, PX_OVERLAY, v);
	} else if (IS("rd.live.overlay.overlayfs")) {
		r = bool_value(param, v, &b, ret_err);
		return r < 0 || !b ? r : set(c, PX_OVERLAY, "overlay");
	} else if (IS("rd.pxeroot.overlay.size")) {
		if (!v || !is_tmpfs_size(v))
			return fail(ret_err,
				    "%s: expected a size such as 512m, 2g or 50%%",
				    param);
		return set(c, PX_OVERLAY_SIZE, v);
	} else if (IS("rd.live.overlay.size")) {
		unsigned int mib;
		char buf[32];

		if (!v || parse_uint(v, 1, 1u << 30, &mib) < 0)
			return fail(ret_err, "%s: expected a size in MiB", param);
		snprintf(buf, sizeof(buf), "%um", mib);
		return set(c, PX_OVERLAY_SIZE, buf);
	} else if (IS("rd.pxeroot.sha256")) {
		return checksum_value(c, PX_SHA256, 64, param, v, ret_err);
	} else if (IS("rd.pxeroot.md5")) {
		return checksum_value(c, PX_MD5, 32, param, v, ret_err);
	} else if (IS("rd.pxeroot.checksum")) {
		if (!v || !is_url(v) || !is_text(v))
			return fail(
				ret_err,
				"%s: expected an http://, https://, ftp:// or tftp:// URL",
				param);
		return set(c, PX_CHECKSUM_URL, v);
	} else if (IS("rd.pxeroot.verify")) {
		r = bool_value(param, v, &b, ret_err);
		return r < 0 ? r : set(c, PX_VERIFY, b ? "1" : "0");
	} else if (IS("rd.pxeroot.image")) {
		if (!v || !*v || v[0] == '/' || strstr(v, "..") || !is_text(v))
			return fail(
				ret_err,
				"%s: expected a file name relative to the NFS directory",
				param);
		free(c->image_override);
		c->image_override = strdup(v);
		return c->image_override ? 0 : -ENOMEM;
	} else if (IS("rd.pxeroot.nbd.timeout")) {
		return uint_value(c, PX_NBD_TIMEOUT, param, v, 1, 86400, ret_err);
	} else if (IS("rd.pxeroot.nbd.dead_timeout")) {
		return uint_value(c, PX_NBD_DEAD_TIMEOUT, param, v, 1, 31536000, ret_err);
	} else if (IS("rd.pxeroot.nbd.reconnect")) {
		r = bool_value(param, v, &b, ret_err);
		return r < 0 ? r : set(c, PX_NBD_RECONNECT, b ? "1" : "0");
	} else if (IS("rd.pxeroot.nbd.lost")) {
		if (!v || (strcmp(v, "wait") != 0 && strcmp(v, "fail") != 0))
			return fail(ret_err, "%s: expected wait or fail", param);
		return set(c, PX_NBD_LOST, v);
	} else if (IS("rd.pxeroot.modules") || IS("rd.driver.pre")) {
		return module_list(c, PX_MODULES, param, v, ret_err);
	} else if (IS("rd.driver.blacklist") || IS("modprobe.blacklist")) {
		return module_list(c, PX_BLACKLIST, param, v, ret_err);
	} else if (startswith(name, "rd.pxeroot.")) {
		return fail(ret_err, "%s: unknown parameter", param);
	}
	/* Everything else (ro, rw, console=, rd.neednet, ...) is not ours. */
	return 0;
#undef IS
#undef NEED_VALUE
}

static int resolve_root(struct px_config *c, struct pending *pd, char **ret_err)
{
	struct root_spec s = { 0 };
	const struct root_arg *others[] = { &pd->netroot, &pd->nfsroot, &pd->netboot,
					    &pd->nbdboot, &pd->nfsboot };
	struct root_arg src[6] = { 0 };
	size_t n = 0;
	bool dev_nfs = false;
	int r;

	/* Which parameters name a root? A first look only: no warnings yet. */
	if (pd->root.v) {
		struct px_config scratch;

		px_config_init(&scratch);
		r = parse_root_value(&s, &scratch, pd->root.v, pd->root.p, ret_err);
		px_config_done(&scratch);
		root_spec_done(&s);
		if (r < 0)
			goto out;
		if (r == 0)
			src[n++] = pd->root;
		else
			dev_nfs = strcmp(pd->root.v, "/dev/nfs") == 0;
	}
	for (size_t k = 0; k < ARRAY_SIZE(others); k++)
		if (others[k]->v)
			src[n++] = *others[k];
	/* In command line order. */
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && src[b - 1].i > src[b].i; b--) {
			struct root_arg t = src[b];

			src[b] = src[b - 1];
			src[b - 1] = t;
		}
	if (n > 1) {
		r = fail(ret_err, "conflicting root parameters: %s and %s", src[0].p,
			 src[1].p);
		goto out;
	}
	if (dev_nfs && n == 1 && !pd->nfsroot.v && !pd->netroot.v && !pd->nfsboot.v) {
		r = fail(ret_err, "conflicting root parameters: %s and %s", pd->root.p,
			 src[0].p);
		goto out;
	}
	if (n == 0) {
		if (pd->root.v && !dev_nfs) {
			r = fail(
				ret_err,
				"%s: a local disk root is not supported by this initramfs (use root=nfs:, root=nbd:, netboot= or root=dhcp)",
				pd->root.p);
			goto out;
		}
		/* No root named: take it from DHCP (the kernel's root=/dev/nfs does too).
		 */
		s.kind = "dhcp";
		s.param = strdup(pd->root.p ? pd->root.p : "");
		if (!s.param) {
			r = -ENOMEM;
			goto out;
		}
		r = commit_root(c, &s, ret_err);
		goto fs;
	}
	if (pd->root.v && !dev_nfs && src[0].p != pd->root.p) {
		/* root=/dev/sda1 next to netboot=: the network root wins. */
		r = add_warning(c, "%s ignored: %s names the root", pd->root.p, src[0].p);
		if (r < 0)
			goto out;
	}

	if (src[0].p == pd->root.p || src[0].p == pd->netroot.p)
		r = parse_root_value(&s, c, src[0].v, src[0].p, ret_err);
	else if (src[0].p == pd->nfsroot.p)
		r = parse_nfsroot(&s, src[0].v, src[0].p, ret_err);
	else if (src[0].p == pd->netboot.p)
		r = parse_netboot(&s, src[0].v, src[0].p, ret_err);
	else if (src[0].p == pd->nbdboot.p)
		r = startswith(src[0].v, "nbd://")
			    ? parse_nbd_uri(&s, src[0].v + 6, true, src[0].p, ret_err)
			    : parse_nbd_uri(&s, src[0].v, false, src[0].p, ret_err);
	else
		r = parse_nfsboot(&s, src[0].v, src[0].p, ret_err);
	if (r < 0)
		goto out;
	if (r > 0) {
		r = fail(ret_err, "%s: not a network root", src[0].p);
		goto out;
	}
	s.param = strdup(src[0].p);
	if (!s.param) {
		r = -ENOMEM;
		goto out;
	}
	r = commit_root(c, &s, ret_err);
fs:
	if (r < 0)
		goto out;
	if (pd->root_fstype) {
		const char *t = pd->root_fstype + strlen("rootfstype=");
		const char *cur = c->v[PX_FSTYPE];

		if (cur && strcmp(cur, t) != 0) {
			r = fail(ret_err,
				 "%s conflicts with the file system type '%s' in %s",
				 pd->root_fstype, cur, px_config_get(c, PX_ROOT_PARAM));
			goto out;
		}
		/* The kernel's own root=/dev/nfs adds rootfstype=nfs; it says nothing
		 * more. */
		if (strcmp(t, "nfs") != 0 && strcmp(t, "nfs4") != 0)
			r = set(c, PX_FSTYPE, t);
	}
	if (r == 0 && pd->root_flags) {
		const char *f = pd->root_flags + strlen("rootflags=");
		const char *cur = c->v[PX_FLAGS];

		if (cur && *cur)
			r = append(c, PX_FLAGS, f, ',');
		else
			r = set(c, PX_FLAGS, f);
	}
out:
	root_spec_done(&s);
	return r;
}

static bool is_autoconf_word(const char *s)
{
	static const char *const w[] = { "off",		"none",	 "on",	  "any",
					 "dhcp",	"bootp", "rarp",  "both",
					 "single-dhcp", "dhcp6", "auto6", "either6",
					 "link6",	"ibft" };

	for (size_t i = 0; i < ARRAY_SIZE(w); i++)
		if (strcmp(s, w[i]) == 0)
			return true;
	return false;
}

/* off, none, dhcp... to the mode; the rest are refused with a reason. */
static int autoconf_mode(const char *s, const char **mode, const char *param,
			 char **ret_err)
{
	if (!*s) {
		*mode = NULL;
		return 0;
	}
	if (strcmp(s, "off") == 0 || strcmp(s, "none") == 0)
		*mode = "off";
	else if (strcmp(s, "on") == 0 || strcmp(s, "any") == 0 ||
		 strcmp(s, "dhcp") == 0 || strcmp(s, "bootp") == 0 ||
		 strcmp(s, "both") == 0 || strcmp(s, "single-dhcp") == 0)
		*mode = "dhcp";
	else if (strcmp(s, "rarp") == 0)
		return fail(ret_err, "%s: RARP is not supported (use dhcp)", param);
	else if (strcmp(s, "dhcp6") == 0 || strcmp(s, "auto6") == 0 ||
		 strcmp(s, "either6") == 0 || strcmp(s, "link6") == 0)
		return fail(ret_err, "%s: IPv6 configuration is not supported", param);
	else if (strcmp(s, "ibft") == 0)
		return fail(ret_err, "%s: iBFT is not supported", param);
	else
		return fail(ret_err, "%s: unknown autoconfiguration '%s'", param, s);
	return 0;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/*
 * What follows AUTOCONF in ip=: dracut's [MTU][:MAC] (the MAC's own colons
 * spread it over six fields), or the kernel's DNS0:DNS1:NTP0 (dracut reads
 * the first two as DNS servers too).
 */
static int ip_tail(struct px_config *c, char **t, size_t n, bool dns_allowed,
		   const char *param, char **ret_err)
{
	_cleanup_free_ char *mac = NULL;
	char buf[18];
	int r = 0;

	if (n == 0)
		return 0;
	if (n > 1) {
		size_t len = 0;

		for (size_t i = 1; i < n; i++)
			len += strlen(t[i]) + 1;
		mac = malloc(len + 1);
		if (!mac)
			return -ENOMEM;
		mac[0] = '\0';
		for (size_t i = 1; i < n; i++) {
			strcat(mac, t[i]);
			if (i + 1 < n)
				strcat(mac, ":");
		}
	}
	if ((!*t[0] || all_digits(t[0])) &&
	    (n == 1 ? all_digits(t[0]) : parse_mac(mac, false, buf) == 0)) {
		if (*t[0])
			r = uint_value(c, PX_IP_MTU, param, t[0], 68, 65535, ret_err);
		if (r == 0 && n > 1)
			r = set(c, PX_IP_MAC, buf);
		return r;
	}
	if (!dns_allowed)
		return fail(ret_err,
			    "%s: expected [MTU][:MAC] after the autoconfiguration",
			    param);
	if (n > 3)
		return fail(ret_err, "%s: too many fields", param);
	for (size_t i = 0; i < n; i++) {
		if (!*t[i])
			continue;
		if (!is_ipv4(t[i]))
			return fail(ret_err, "%s: '%s' is not an IPv4 address", param,
				    t[i]);
		r = i < 2 ? append(c, PX_IP_DNS, t[i], ' ') : set(c, PX_IP_NTP, t[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * ip= in all its forms:
 *   dhcp | on | any | off | ...
 *   IFACE:dhcp[:MTU[:MAC]]                                          (dracut)
 *   CLIENT:PEER:GW:NETMASK:HOST:IFACE:AUTOCONF[:DNS0[:DNS1[:NTP0]]] (kernel)
 *   ...:AUTOCONF[:MTU[:MAC]]                                        (dracut)
 */
static int parse_ip(struct px_config *c, const char *param, const char **mode,
		    char **ret_err)
{
	const char *v = param + 3;
	_cleanup_free_ char *copy = strdup(v);
	char *f[16] = { 0 };
	size_t nf = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	if (strchr(v, '['))
		return fail(ret_err, "%s: IPv6 addresses are not supported", param);
	/* ip=ADDRESS alone is the first field of the long form, not a keyword. */
	if (!strchr(v, ':') && !is_ipv4(v))
		return autoconf_mode(v, mode, param, ret_err);
	for (char *p = copy;;) {
		char *colon = strchr(p, ':');

		if (nf == ARRAY_SIZE(f))
			return fail(ret_err, "%s: too many fields", param);
		f[nf++] = p;
		if (!colon)
			break;
		*colon = '\0';
		p = colon + 1;
	}
	if (nf >= 2 && !is_ipv4(f[0]) && is_autoconf_word(f[1])) {
		/* IFACE:AUTOCONF[:MTU[:MAC]] */
		if (!is_ifname(f[0]))
			return fail(ret_err, "%s: invalid interface name '%s'", param,
				    f[0]);
		r = autoconf_mode(f[1], mode, param, ret_err);
		r = r ?: set(c, PX_IP_DEV, f[0]);
		return r ?: ip_tail(c, f + 2, nf - 2, false, param, ret_err);
	}
	if (*f[0] && !is_ipv4(f[0]))
		return fail(ret_err, "%s: '%s' is not an IPv4 address", param, f[0]);
	if (nf > 1 && *f[1]) {
		/* dracut allows PEER/PREFIX for point-to-point links; the prefix is
		 * unused. */
		char *slash = strchr(f[1], '/');
		if (slash)
			*slash = '\0';
		if (!is_ipv4(f[1]))
			return fail(ret_err, "%s: '%s' is not an IPv4 address", param,
				    f[1]);
		r = set(c, PX_IP_PEER, f[1]);
	}
	if (nf > 2 && *f[2]) {
		if (!is_ipv4(f[2]))
			return fail(ret_err, "%s: '%s' is not an IPv4 address", param,
				    f[2]);
		r = r ?: set(c, PX_IP_GW, f[2]);
	}
	if (*f[0]) {
		unsigned int prefix;
		char buf[8];

		if (nf > 3 && *f[3]) {
			if (netmask_to_prefix(f[3], &prefix) < 0)
				return fail(ret_err, "%s: '%s' is not a netmask", param,
					    f[3]);
		} else {
			prefix = classful_prefix(f[0]);
		}
		snprintf(buf, sizeof(buf), "%u", prefix);
		r = r ?: set(c, PX_IP_ADDR, f[0]);
		r = r ?: set(c, PX_IP_PREFIX, buf);
	} else if (nf > 3 && *f[3]) {
		return fail(ret_err, "%s: a netmask without an address", param);
	}
	if (r < 0)
		return r;
	if (nf > 4 && *f[4]) {
		if (strlen(f[4]) > 64 || !is_hostname(f[4]))
			return fail(ret_err, "%s: '%s' is not a host name", param, f[4]);
		r = set(c, PX_IP_HOSTNAME, f[4]);
		if (r < 0)
			return r;
	}
	if (nf > 5 && *f[5]) {
		if (!is_ifname(f[5]))
			return fail(ret_err, "%s: invalid interface name '%s'", param,
				    f[5]);
		r = set(c, PX_IP_DEV, f[5]);
		if (r < 0)
			return r;
	}
	r = autoconf_mode(nf > 6 ? f[6] : "", mode, param, ret_err);
	if (r < 0)
		return r;
	/* No autoconfiguration named: static with an address, else DHCP (the kernel's
	 * rule). */
	if (!*mode || (strcmp(*mode, "off") == 0 && *f[0]))
		*mode = *f[0] ? "static" : "dhcp";
	return nf > 7 ? ip_tail(c, f + 7, nf - 7, true, param, ret_err) : 0;
}

/* ethx=IP[/PREFIX] and ethN=IP[/PREFIX] (SystemRescueCd). */
static int parse_eth(struct px_config *c, const char *param, char **ret_err)
{
	size_t nl = name_len(param);
	const char *v = param + nl + 1;
	_cleanup_free_ char *ip = strdup(v);
	char *slash;
	char buf[8];
	int r;

	if (!ip)
		return -ENOMEM;
	slash = strchr(ip, '/');
	if (slash)
		*slash++ = '\0';
	if (!is_ipv4(ip))
		return fail(ret_err, "%s: '%s' is not an IPv4 address", param, ip);
	if (slash) {
		unsigned int prefix;
		if (netmask_to_prefix(slash, &prefix) < 0)
			return fail(ret_err, "%s: '%s' is not a prefix length or netmask",
				    param, slash);
		snprintf(buf, sizeof(buf), "%u", prefix);
	} else {
		snprintf(buf, sizeof(buf), "%u", classful_prefix(ip));
	}
	r = set(c, PX_IP_ADDR, ip);
	r = r ?: set(c, PX_IP_PREFIX, buf);
	if (r == 0 && !name_is(param, nl, "ethx"))
		r = setn(c, PX_IP_DEV, param, nl);
	return r;
}

static int resolve_net(struct px_config *c, struct pending *pd, char **ret_err)
{
	const char *mode = NULL, *mode_param = NULL;
	int r = 0;

	if (pd->ip) {
		r = parse_ip(c, pd->ip, &mode, ret_err);
		if (r < 0)
			return r;
		mode_param = pd->ip;
	}
	if (pd->ethx || pd->ethn) {
		const char *p = pd->ethn ? pd->ethn : pd->ethx;

		if (pd->ethx && pd->ethn)
			return fail(ret_err, "conflicting network parameters: %s and %s",
				    pd->ethx, pd->ethn);
		if (mode_param)
			return fail(ret_err, "conflicting network parameters: %s and %s",
				    mode_param, p);
		r = parse_eth(c, p, ret_err);
		if (r < 0)
			return r;
		mode = "static";
		mode_param = p;
	}
	if (pd->dodhcp) {
		if (mode && strcmp(mode, "dhcp") != 0)
			return fail(ret_err,
				    "conflicting network parameters: %s and dodhcp",
				    mode_param);
		mode = "dhcp";
		if (!mode_param)
			mode_param = "dodhcp";
	}
	if (pd->nodhcp) {
		if (mode && strcmp(mode, "dhcp") == 0)
			return fail(ret_err,
				    "conflicting network parameters: %s and nodhcp",
				    mode_param);
		if (!mode)
			return fail(
				ret_err,
				"nodhcp: no address given (add ethx=IP/PREFIX or ip=)");
	}
	if (mode) {
		r = set(c, PX_IP, mode);
		r = r ?: set(c, PX_IP_PARAM, mode_param);
		if (r < 0)
			return r;
	}
	if (pd->bootdev && !(c->v[PX_IP_DEV] && *c->v[PX_IP_DEV])) {
		r = set(c, PX_IP_DEV, pd->bootdev);
		if (r < 0)
			return r;
	}
	if (pd->bootif && !pd->bootif_off) {
		char mac[18];
		const char *v = pd->bootif + strlen("BOOTIF=");

		r = parse_mac(v, true, mac);
		if (r == -EPROTONOSUPPORT)
			return fail(ret_err,
				    "%s: only Ethernet (hardware type 01) is supported",
				    pd->bootif);
		if (r < 0)
			return fail(ret_err, "%s: expected 01-aa-bb-cc-dd-ee-ff",
				    pd->bootif);
		r = set(c, PX_BOOTIF, mac);
	}
	return r;
}

static int resolve_fail(struct px_config *c, struct pending *pd, char **ret_err)
{
	const char *action = pd->fail_action;

	if (pd->shell == 0 && action && strcmp(action, "shell") == 0)
		return fail(ret_err, "rd.shell=0 conflicts with rd.pxeroot.fail=shell");
	if (pd->emergency && (!action || strcmp(action, "shell") != 0))
		action = pd->emergency;
	if (pd->shell == 1)
		action = "shell";
	if (!action)
		return 0;
	return set(c, PX_ON_FAIL, action);
}

int px_config_apply(struct px_config *c, const struct px_params *l, char **ret_err)
{
	struct pending pd = { .shell = -1 };
	int r;

	if (ret_err)
		*ret_err = NULL;
	for (size_t i = 0; i < l->n; i++) {
		r = apply_one(c, &pd, l->p[i], i, ret_err);
		if (r < 0)
			return r;
	}
	r = resolve_root(c, &pd, ret_err);
	r = r ?: resolve_net(c, &pd, ret_err);
	r = r ?: resolve_fail(c, &pd, ret_err);
	if (r < 0)
		return r;
	if (strcmp(px_config_get(c, PX_IP), "off") == 0) {
		const char *rp = px_config_get(c, PX_ROOT_PARAM);
		return fail(
			ret_err,
			"%s: the root is on the network%s%s%s; give an address or use ip=dhcp",
			px_config_get(c, PX_IP_PARAM), *rp ? " (" : "", rp,
			*rp ? ")" : "");
	}
	return 0;
}

int px_config_root_path(struct px_config *c, const char *root_path, char **ret_err)
{
	struct root_spec s = { 0 };
	_cleanup_free_ char *param = NULL;
	int r;

	if (ret_err)
		*ret_err = NULL;
	if (asprintf(&param, "root-path=%s", root_path) < 0)
		return -ENOMEM;
	if (!*root_path)
		return fail(ret_err, "the DHCP server sent no root-path (option 17)");
	if (strcmp(root_path, "dhcp") == 0)
		return fail(ret_err, "%s: a root-path cannot point to DHCP again", param);
	/* The kernel's form: [server:]/path[,options]. */
	if (root_path[0] == '/' ||
	    (!startswith(root_path, "nfs:") && !startswith(root_path, "nfs4:") &&
	     !startswith(root_path, "nbd:") && !startswith(root_path, "live:") &&
	     !is_url(root_path) && strstr(root_path, ":/")))
		r = parse_nfs(&s, root_path, ":,", param, ret_err);
	else
		r = parse_root_value(&s, c, root_path, param, ret_err);
	if (r > 0)
		r = fail(ret_err, "%s: not a network root", param);
	if (r == 0 && strcmp(s.kind, "nfs") == 0 && !s.vers) {
		s.vers = strdup("auto");
		if (!s.vers)
			r = -ENOMEM;
	}
	if (r == 0) {
		s.param = TAKE_PTR(param);
		r = commit_root(c, &s, ret_err);
	}
	root_spec_done(&s);
	return r;
}

/* ---- output ---- */

static void shell_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

int px_config_write_shell(const struct px_config *c, FILE *f, bool only_root)
{
	for (int k = 0; k < _PX_KEY_MAX; k++) {
		if (only_root && !keys[k].root)
			continue;
		fprintf(f, "PX_%s=", keys[k].name);
		shell_quote(f, px_config_get(c, k));
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static const char *g(const struct px_config *c, enum px_key k)
{
	return px_config_get(c, k);
}

static bool has(const struct px_config *c, enum px_key k)
{
	return *px_config_get(c, k) != '\0';
}

static void server_text(const struct px_config *c, FILE *f)
{
	const char *s = g(c, PX_SERVER);

	if (!*s)
		fputs("(the DHCP server)", f);
	else if (strchr(s, ':'))
		fprintf(f, "[%s]", s);
	else
		fputs(s, f);
}

static const char *nfs_vers_text(const char *v)
{
	if (strcmp(v, "auto") == 0)
		return "NFSv4, else NFSv3";
	if (strcmp(v, "3") == 0)
		return "NFSv3";
	if (strcmp(v, "4") == 0)
		return "NFSv4";
	if (strcmp(v, "4.0") == 0)
		return "NFSv4.0";
	if (strcmp(v, "4.1") == 0)
		return "NFSv4.1";
	return "NFSv4.2";
}

int px_config_write_text(const struct px_config *c, FILE *f)
{
	const char *root = g(c, PX_ROOT), *ip = g(c, PX_IP);

	fprintf(f, "%-12s", "root");
	if (strcmp(root, "dhcp") == 0) {
		fputs("from the DHCP root-path (option 17)", f);
	} else if (strcmp(root, "nfs") == 0) {
		fputs(has(c, PX_IMAGE) ? "image " : "directory ", f);
		server_text(c, f);
		fprintf(f, ":%s", g(c, PX_PATH));
		if (has(c, PX_IMAGE))
			fprintf(f, "%s%s", strcmp(g(c, PX_PATH), "/") ? "/" : "",
				g(c, PX_IMAGE));
		fprintf(f, " over %s", nfs_vers_text(g(c, PX_NFS_VERS)));
		if (has(c, PX_PORT))
			fprintf(f, ", port %s", g(c, PX_PORT));
		if (has(c, PX_NFS_OPTS))
			fprintf(f, ", options %s", g(c, PX_NFS_OPTS));
		if (has(c, PX_IMAGE))
			fputs(", mounted through a loop device", f);
	} else if (strcmp(root, "nbd") == 0) {
		fputs("NBD export ", f);
		if (has(c, PX_EXPORT))
			fprintf(f, "'%s' ", g(c, PX_EXPORT));
		else
			fputs("(default) ", f);
		fputs("on ", f);
		server_text(c, f);
		fprintf(f, " port %s", g(c, PX_PORT));
	} else {
		fprintf(f, "image %s, downloaded into RAM", g(c, PX_URL));
	}
	fputc('\n', f);
	if (has(c, PX_ROOT_PARAM))
		fprintf(f, "%-12s%s\n", "  from", g(c, PX_ROOT_PARAM));
	if (strcmp(root, "nfs") != 0 || has(c, PX_IMAGE)) {
		fprintf(f, "%-12s%s", "  fs type",
			strcmp(g(c, PX_FSTYPE), "auto") == 0 ? "probed"
							     : g(c, PX_FSTYPE));
		fputc('\n', f);
	}
	if (has(c, PX_FLAGS))
		fprintf(f, "%-12s%s\n", "  options", g(c, PX_FLAGS));
	if (strcmp(root, "url") == 0 || strcmp(root, "dhcp") == 0) {
		bool any = has(c, PX_SHA256) || has(c, PX_MD5) || has(c, PX_CHECKSUM_URL);

		fprintf(f, "%-12s", "  verify");
		if (has(c, PX_SHA256))
			fprintf(f, "sha256 %s", g(c, PX_SHA256));
		if (has(c, PX_MD5))
			fprintf(f, "%smd5 %s", has(c, PX_SHA256) ? ", " : "",
				g(c, PX_MD5));
		if (has(c, PX_CHECKSUM_URL))
			fprintf(f, "%schecksum file %s",
				has(c, PX_SHA256) || has(c, PX_MD5) ? ", " : "",
				g(c, PX_CHECKSUM_URL));
		if (!any)
			fprintf(f,
				"a checksum file next to the image (.sha256, .md5); %s\n",
				strcmp(g(c, PX_VERIFY), "1") == 0
					? "refused without one"
					: "used unverified without one");
		else
			fputc('\n', f);
	}
	if (strcmp(root, "nbd") == 0 || strcmp(root, "dhcp") == 0)
		fprintf(f, "%-12sI/O timeout %s s, %s, waits %s s for the server\n",
			"  nbd", g(c, PX_NBD_TIMEOUT),
			strcmp(g(c, PX_NBD_RECONNECT), "1") == 0 ? "reconnects"
								 : "no reconnection",
			g(c, PX_NBD_DEAD_TIMEOUT));

	fprintf(f, "%-12s", "network");
	if (strcmp(ip, "dhcp") == 0) {
		fprintf(f, "DHCP, %s tries, first wait %s s, doubling",
			g(c, PX_DHCP_TRIES), g(c, PX_DHCP_TIMEOUT));
		if (has(c, PX_IP_ADDR))
			fprintf(f, ", asking for %s", g(c, PX_IP_ADDR));
	} else {
		fprintf(f, "static %s/%s", g(c, PX_IP_ADDR), g(c, PX_IP_PREFIX));
		if (has(c, PX_IP_GW))
			fprintf(f, ", gateway %s", g(c, PX_IP_GW));
	}
	fputc('\n', f);
	if (has(c, PX_IP_PARAM))
		fprintf(f, "%-12s%s\n", "  from", g(c, PX_IP_PARAM));
	fprintf(f, "%-12s", "  interface");
	if (has(c, PX_BOOTIF))
		fprintf(f, "the one with MAC %s (BOOTIF)", g(c, PX_BOOTIF));
	else if (has(c, PX_IP_DEV))
		fputs(g(c, PX_IP_DEV), f);
	else
		fputs("the first with a link", f);
	fprintf(f, ", link wait %s s\n", g(c, PX_LINK_TIMEOUT));
	if (strcmp(ip, "dhcp") == 0 && has(c, PX_IP_GW))
		fprintf(f, "%-12s%s\n", "  gateway", g(c, PX_IP_GW));
	if (has(c, PX_IP_PEER))
		fprintf(f, "%-12s%s\n", "  server", g(c, PX_IP_PEER));
	if (has(c, PX_IP_HOSTNAME))
		fprintf(f, "%-12s%s\n", "  hostname", g(c, PX_IP_HOSTNAME));
	if (has(c, PX_IP_DNS))
		fprintf(f, "%-12s%s\n", "  dns", g(c, PX_IP_DNS));
	if (has(c, PX_IP_NTP))
		fprintf(f, "%-12s%s\n", "  ntp", g(c, PX_IP_NTP));
	if (has(c, PX_IP_MTU))
		fprintf(f, "%-12s%s\n", "  mtu", g(c, PX_IP_MTU));
	if (has(c, PX_IP_MAC))
		fprintf(f, "%-12s%s\n", "  set mac", g(c, PX_IP_MAC));

	fprintf(f, "%-12s", "writable");
	if (strcmp(g(c, PX_OVERLAY), "overlay") == 0)
		fprintf(f, "overlayfs, tmpfs upper layer (size %s)\n",
			g(c, PX_OVERLAY_SIZE));
	else if (strcmp(g(c, PX_OVERLAY), "tmpfs") == 0)
		fprintf(f, "tmpfs root (size %s) with links into the read-only root\n",
			g(c, PX_OVERLAY_SIZE));
	else
		fputs("none, the root stays read-only\n", f);
	fprintf(f, "%-12s%s\n", "init", g(c, PX_INIT));
	fprintf(f, "%-12sretry for %s s, then ", "on failure", g(c, PX_RETRY));
	if (strcmp(g(c, PX_ON_FAIL), "shell") == 0)
		fputs("an emergency shell on the console\n", f);
	else
		fprintf(f, "%s after %s s\n", g(c, PX_ON_FAIL), g(c, PX_FAIL_TIMEOUT));
	if (has(c, PX_BREAK))
		fprintf(f, "%-12s%s\n", "break at", g(c, PX_BREAK));
	if (has(c, PX_MODULES))
		fprintf(f, "%-12s%s\n", "modules", g(c, PX_MODULES));
	if (has(c, PX_BLACKLIST))
		fprintf(f, "%-12s%s\n", "blacklist", g(c, PX_BLACKLIST));
	if (strcmp(g(c, PX_DEBUG), "1") == 0)
		fprintf(f, "%-12s%s\n", "debug", "on");
	if (strcmp(g(c, PX_QUIET), "1") == 0)
		fprintf(f, "%-12s%s\n", "quiet", "yes (errors still reach the console)");
	return ferror(f) ? -EIO : 0;
}
