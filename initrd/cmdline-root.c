// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The root grammars: dracut's root=/netroot= (nfs:, nfs4:, nbd:, live:URL,
 * [server:]/path), the kernel's nfsroot=, SystemRescueCd's netboot=, nbdboot=
 * and nfsboot=, and a DHCP root-path; which of several root parameters counts
 * (resolve_root).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline-internal.h"
#include "util.h"

struct root_spec {
	enum root_kind kind;
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
			return px_fail(ret_err,
				       "%s: unterminated '[' in the server address",
				       param);
		h = strndup(s + 1, e - s - 1);
		if (!h)
			return -ENOMEM;
		if (!is_ipv6(h))
			return px_fail(ret_err, "%s: '%s' is not an IPv6 address", param,
				       h);
		e++;
	} else {
		e = s + strcspn(s, ":/");
		h = strndup(s, e - s);
		if (!h)
			return -ENOMEM;
		if (!*h)
			return px_fail(ret_err, "%s: missing server", param);
		if (!is_ipv4(h) && !is_hostname(h))
			return px_fail(ret_err,
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
		return px_fail(ret_err, "%s: invalid characters in NFS options '%s'",
			       param, opts);
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
				return px_fail(ret_err, "%s: NFSv2 is not supported",
					       param);
			if (strcmp(v, "3") != 0 && strcmp(v, "4") != 0 &&
			    strcmp(v, "4.0") != 0 && strcmp(v, "4.1") != 0 &&
			    strcmp(v, "4.2") != 0)
				return px_fail(ret_err, "%s: unknown NFS version '%s'",
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
				return px_fail(ret_err,
					       "%s: unknown NFS minor version '%s'",
					       param, minor);
			continue;
		}
		if (startswith(o, "port=")) {
			if (check_port(o + 5) < 0)
				return px_fail(ret_err, "%s: invalid port '%s'", param,
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
			return px_fail(ret_err, "%s: minorversion= needs NFSv4", param);
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

	s->kind = ROOT_NFS;
	if (*p != '/') {
		r = take_server(&p, &s->server, param, ret_err);
		if (r < 0)
			return r;
		if (*p != ':')
			return px_fail(ret_err, "%s: expected SERVER:/PATH", param);
		p++;
	}
	if (*p != '/')
		return px_fail(ret_err, "%s: the NFS path must be absolute", param);
	e = p + strcspn(p, optseps);
	s->path = strndup(p, e - p);
	if (!s->path)
		return -ENOMEM;
	if (!is_text(s->path))
		return px_fail(ret_err, "%s: invalid characters in the NFS path", param);
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

	s->kind = ROOT_NBD;
	r = take_server(&p, &s->server, param, ret_err);
	if (r < 0)
		return r;
	if (*p != ':')
		return px_fail(ret_err, "%s: expected nbd:SERVER:PORT", param);
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
		return px_fail(ret_err, "%s: missing port or export name", param);
	{
		char *slash = strchr(field[0], '/');
		const char *port = field[0];

		if (slash)
			*slash = '\0';
		if (strspn(port, "0123456789") == strlen(port)) {
			if (check_port(port) < 0)
				return px_fail(ret_err, "%s: invalid port '%s'", param,
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
			return px_fail(ret_err,
				       "%s: invalid characters in the export name",
				       param);
	}
	if (field[1] && *field[1]) {
		if (!is_word(field[1]))
			return px_fail(ret_err, "%s: invalid file system type '%s'",
				       param, field[1]);
		if (!is_root_fstype(field[1]))
			return px_fail(
				ret_err,
				"%s: unknown file system type '%s' (expected %s; an export name follows the port after '/')",
				param, field[1], root_fstypes_text);
		s->fstype = strdup(field[1]);
		if (!s->fstype)
			return -ENOMEM;
	}
	if (field[2] && *field[2]) {
		if (!is_text(field[2]))
			return px_fail(ret_err, "%s: invalid mount options '%s'", param,
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
					return px_fail(ret_err,
						       "%s: invalid NBD option '%s'",
						       param, t);
				r = px_set(c, PX_NBD_TIMEOUT, t + 8);
				if (r < 0)
					return r;
			} else {
				r = px_warn(c, "%s: NBD option '%s' ignored", param, t);
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

	s->kind = ROOT_NBD;
	r = take_server(&p, &s->server, param, ret_err);
	if (r < 0)
		return r;
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/");

		s->port = strndup(p + 1, n);
		if (!s->port)
			return -ENOMEM;
		if (check_port(s->port) < 0)
			return px_fail(ret_err, "%s: invalid port '%s'", param, s->port);
		p += 1 + n;
	} else {
		if (!uri)
			return px_fail(ret_err, "%s: expected SERVER:PORT", param);
		s->port = strdup(NBD_DEFAULT_PORT);
		if (!s->port)
			return -ENOMEM;
	}
	if (*p == '/')
		p++;
	else if (*p)
		return px_fail(ret_err, "%s: unexpected '%s' after the port", param, p);
	s->export = strdup(p);
	if (!s->export)
		return -ENOMEM;
	if (!is_text(s->export))
		return px_fail(ret_err, "%s: invalid characters in the export name",
			       param);
	return 0;
}

static int parse_url(struct root_spec *s, const char *v, const char *param,
		     char **ret_err)
{
	const char *host = strstr(v, "://") + 3;
	const char *slash = strchr(host, '/');

	s->kind = ROOT_URL;
	if (host[0] == '\0' || host[0] == '/')
		return px_fail(ret_err, "%s: missing server in the URL", param);
	if (!slash || slash[1] == '\0' || v[strlen(v) - 1] == '/')
		return px_fail(ret_err, "%s: the URL must name an image file", param);
	if (!is_text(v))
		return px_fail(ret_err, "%s: invalid characters in the URL", param);
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
	/* root=dhcp6: the DHCPv6 boot file parameter or URL (ip=dhcp6 gets them). */
	if (strcmp(v, "dhcp") == 0 || strcmp(v, "dhcp6") == 0) {
		s->kind = ROOT_DHCP;
		return 0;
	}
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
		return px_fail(ret_err, "%s: NBD over TLS is not supported", param);
	if (startswith(v, "nbd:"))
		return parse_nbd_dracut(s, c, v + 4, param, ret_err);
	if (startswith(v, "live:")) {
		if (!is_url(v + 5))
			return px_fail(
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
		return px_fail(
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
	return px_fail(
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
		return px_fail(ret_err, "%s: missing path", param);
	if (v[0] != '/' && !strchr(v, ':'))
		return px_fail(ret_err, "%s: the NFS path must be absolute", param);
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
			return px_fail(ret_err, "%s: expected nfs://SERVER/PATH", param);
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
	return px_fail(
		ret_err,
		"%s: expected an http://, https://, ftp://, tftp://, nbd:// or nfs:// URL",
		param);
}

static int parse_nfsboot(struct root_spec *s, const char *v, const char *param,
			 char **ret_err)
{
	int r;

	if (v[0] == '/')
		return px_fail(ret_err, "%s: expected SERVER:/PATH", param);
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

/*
 * LTSP5's and nbd-client's nbdroot= next to root=/dev/nbd0:
 * [SERVER]:PORT|NAME or SERVER,PORT|NAME[,nbdN]. No server: DHCP's.
 */
static int parse_nbdroot(struct root_spec *s, const char *v, const char *param,
			 char **ret_err)
{
	_cleanup_free_ char *copy = strdup(v);
	char *sep, *what, *dev = NULL;

	if (!copy)
		return -ENOMEM;
	s->kind = ROOT_NBD;
	sep = strchr(copy, ',');
	if (sep) {
		dev = strchr(sep + 1, ',');
		if (dev) {
			*dev++ = '\0';
			if (!startswith(dev, "nbd") || !all_digits(dev + 3))
				return px_fail(ret_err,
					       "%s: '%s' is not an NBD device name",
					       param, dev);
		}
	} else {
		sep = strrchr(copy, ':');
		if (!sep || strchr(copy, ']') > sep)
			return px_fail(ret_err,
				       "%s: expected [SERVER]:PORT or SERVER,PORT",
				       param);
	}
	*sep = '\0';
	what = sep + 1;
	if (*copy) {
		const char *p = copy;
		int r = take_server(&p, &s->server, param, ret_err);

		if (r < 0)
			return r;
		if (*p)
			return px_fail(ret_err,
				       "%s: '%s' is not a server address or host name",
				       param, copy);
	}
	if (!*what)
		return px_fail(ret_err, "%s: missing port or export name", param);
	if (all_digits(what)) {
		if (check_port(what) < 0)
			return px_fail(ret_err, "%s: invalid port '%s'", param, what);
		s->port = strdup(what);
		s->export = strdup("");
	} else {
		if (!is_text(what) || strchr(what, ','))
			return px_fail(ret_err,
				       "%s: invalid characters in the export name",
				       param);
		s->port = strdup(NBD_DEFAULT_PORT);
		s->export = strdup(what);
	}
	return s->port && s->export ? 0 : -ENOMEM;
}

static int commit_root(struct px_config *c, struct root_spec *s, char **ret_err)
{
	int r = 0;

	/* An image named by rd.pxeroot.image= replaces one guessed from the path. */
	if (c->image_override && s->kind != ROOT_DHCP) {
		if (s->kind != ROOT_NFS)
			return px_fail(ret_err, "%s: only an NFS root has image files",
				       c->image_param);
		free(s->image);
		s->image = strdup(c->image_override);
		if (!s->image)
			return -ENOMEM;
	}

	for (int k = 0; k < _PX_KEY_MAX; k++)
		if (px_key_is_root(k) && k != PX_FSTYPE && k != PX_FLAGS &&
		    k != PX_ROOT_RW) {
			free(c->v[k]);
			c->v[k] = NULL;
		}
	r = r ?: px_set(c, PX_ROOT, root_kind_name(s->kind));
	r = r ?: px_set(c, PX_ROOT_PARAM, s->param);
	r = r ?: px_set(c, PX_SERVER, s->server);
	r = r ?: px_set(c, PX_PORT, s->port);
	r = r ?: px_set(c, PX_PATH, s->path);
	r = r ?: px_set(c, PX_IMAGE, s->image);
	r = r ?: px_set(c, PX_EXPORT, s->export);
	r = r ?: px_set(c, PX_URL, s->url);
	r = r ?: px_set(c, PX_NFS_VERS, s->vers);
	r = r ?: px_set(c, PX_NFS_OPTS, s->opts);
	if (s->fstype)
		r = r ?: px_set(c, PX_FSTYPE, s->fstype);
	if (s->flags)
		r = r ?: px_set(c, PX_FLAGS, s->flags);
	return r;
}

int resolve_root(struct px_config *c, struct pending *pd, char **ret_err)
{
	struct root_spec s = { 0 };
	const struct root_arg *others[] = { &pd->netroot, &pd->nfsroot, &pd->netboot,
					    &pd->nbdboot, &pd->nfsboot, &pd->nbdroot };
	struct root_arg src[7] = { 0 };
	size_t n = 0;
	bool dev_nfs = false, dev_nbd = false;
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
		dev_nbd = startswith(pd->root.v, "/dev/nbd");
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
		r = px_fail(ret_err, "conflicting root parameters: %s and %s", src[0].p,
			    src[1].p);
		goto out;
	}
	if (dev_nfs && n == 1 && !pd->nfsroot.v && !pd->netroot.v && !pd->nfsboot.v) {
		r = px_fail(ret_err, "conflicting root parameters: %s and %s", pd->root.p,
			    src[0].p);
		goto out;
	}
	if (n == 0) {
		if (dev_nbd) {
			r = px_fail(
				ret_err,
				"%s: name the NBD server with nbdroot=SERVER:PORT (or use root=nbd:SERVER:PORT)",
				pd->root.p);
			goto out;
		}
		if (pd->root.v && !dev_nfs) {
			r = px_fail(
				ret_err,
				"%s: a local disk root is not supported by this initramfs (use root=nfs:, root=nbd:, netboot= or root=dhcp)",
				pd->root.p);
			goto out;
		}
		/* No root named: from DHCP (so does the kernel's root=/dev/nfs). */
		s.kind = ROOT_DHCP;
		s.param = strdup(pd->root.p ? pd->root.p : "");
		if (!s.param) {
			r = -ENOMEM;
			goto out;
		}
		r = commit_root(c, &s, ret_err);
		goto fs;
	}
	if (pd->root.v && !dev_nfs && src[0].p != pd->root.p &&
	    !(dev_nbd && src[0].p == pd->nbdroot.p)) {
		/* root=/dev/sda1 next to netboot=: the network root wins. */
		r = px_warn(c, "%s ignored: %s names the root", pd->root.p, src[0].p);
		if (r < 0)
			goto out;
	}

	if (src[0].p == pd->root.p || src[0].p == pd->netroot.p)
		r = parse_root_value(&s, c, src[0].v, src[0].p, ret_err);
	else if (src[0].p == pd->nfsroot.p)
		r = parse_nfsroot(&s, src[0].v, src[0].p, ret_err);
	else if (src[0].p == pd->netboot.p)
		r = parse_netboot(&s, src[0].v, src[0].p, ret_err);
	else if (src[0].p == pd->nbdroot.p)
		r = parse_nbdroot(&s, src[0].v, src[0].p, ret_err);
	else if (src[0].p == pd->nbdboot.p)
		r = startswith(src[0].v, "nbd://")
			    ? parse_nbd_uri(&s, src[0].v + 6, true, src[0].p, ret_err)
			    : parse_nbd_uri(&s, src[0].v, false, src[0].p, ret_err);
	else
		r = parse_nfsboot(&s, src[0].v, src[0].p, ret_err);
	if (r < 0)
		goto out;
	if (r > 0) {
		r = px_fail(ret_err, "%s: not a network root", src[0].p);
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
			r = px_fail(ret_err,
				    "%s conflicts with the file system type '%s' in %s",
				    pd->root_fstype, cur,
				    px_config_get(c, PX_ROOT_PARAM));
			goto out;
		}
		/* The kernel's own root=/dev/nfs adds rootfstype=nfs; it says nothing
		 * more. */
		if (strcmp(t, "nfs") != 0 && strcmp(t, "nfs4") != 0)
			r = px_set(c, PX_FSTYPE, t);
	}
	if (r == 0 && pd->root_flags) {
		const char *f = pd->root_flags + strlen("rootflags=");
		const char *cur = c->v[PX_FLAGS];

		if (cur && *cur)
			r = px_append(c, PX_FLAGS, f, ',');
		else
			r = px_set(c, PX_FLAGS, f);
	}
out:
	root_spec_done(&s);
	return r;
}

/*
 * rw (the last of ro and rw): an NFS directory mounted read-write with no
 * overlay, one client per tree, as the kernel's own nfsroot does. Any other
 * root is an image every client shares, which cannot be written.
 */
int check_root_rw(struct px_config *c, char **ret_err)
{
	const char *kind = px_config_get(c, PX_ROOT);

	if (strcmp(px_config_get(c, PX_ROOT_RW), "1") != 0)
		return 0;
	if (strcmp(kind, "dhcp") == 0 ||
	    (strcmp(kind, "nfs") == 0 && !*px_config_get(c, PX_IMAGE)))
		return 0;
	return px_fail(
		ret_err,
		"rw: %s is a read-only image shared by every client (drop rw: the overlay keeps changes in RAM; or name an NFS directory)",
		px_config_get(c, PX_ROOT_PARAM));
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
		return px_fail(ret_err, "the DHCP server sent no root-path (option 17)");
	if (strcmp(root_path, "dhcp") == 0 || strcmp(root_path, "dhcp6") == 0)
		return px_fail(ret_err, "%s: a root-path cannot point to DHCP again",
			       param);
	/* The kernel's form: [server:]/path[,options]. */
	if (root_path[0] == '/' ||
	    (!startswith(root_path, "nfs:") && !startswith(root_path, "nfs4:") &&
	     !startswith(root_path, "nbd:") && !startswith(root_path, "live:") &&
	     !is_url(root_path) && strstr(root_path, ":/")))
		r = parse_nfs(&s, root_path, ":,", param, ret_err);
	else
		r = parse_root_value(&s, c, root_path, param, ret_err);
	if (r > 0)
		r = px_fail(ret_err, "%s: not a network root", param);
	if (r == 0 && s.kind == ROOT_NFS && !s.vers) {
		s.vers = strdup("auto");
		if (!s.vers)
			r = -ENOMEM;
	}
	if (r == 0) {
		s.param = TAKE_PTR(param);
		r = commit_root(c, &s, ret_err);
	}
	r = r ?: check_root_rw(c, ret_err);
	r = r ?: check_verity(c, ret_err);
	root_spec_done(&s);
	return r;
}

/*
 * LTSP's ltsp.image=IMG[,MOUNT-OPTIONS][,,IMG2,...]: an image file inside the
 * NFS root. One image is loop-mounted; an image inside that image is not.
 */
int h_ltsp_image(struct px_config *c, struct pending *pd, const struct param *a,
		 const struct param_def *d, char **ret_err)
{
	_cleanup_free_ char *copy = NULL;
	char *opts, *save = NULL;
	int r = px_need_value(a, ret_err);

	if (r < 0)
		return r;
	if (strstr(a->v, ",,"))
		return px_fail(
			ret_err,
			"%s: an image inside an image is not supported (name one image file)",
			a->p);
	copy = strdup(a->v);
	if (!copy)
		return -ENOMEM;
	opts = strchr(copy, ',');
	if (opts)
		*opts++ = '\0';
	if (!*copy || copy[0] == '/' || strstr(copy, "..") || !is_text(copy))
		return px_fail(ret_err,
			       "%s: expected a file name relative to the NFS directory",
			       a->p);
	for (char *o = opts ? strtok_r(opts, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		const char *t = startswith(o, "fstype=") ? o + 7 : o;

		if (strcmp(o, "loop") == 0 || strcmp(o, "ro") == 0)
			continue;
		if (t != o || is_root_fstype(o)) {
			if (!is_root_fstype(t))
				return px_fail(
					ret_err,
					"%s: unknown file system type '%s' (expected %s)",
					a->p, t, root_fstypes_text);
			r = px_set(c, PX_FSTYPE, t);
			if (r < 0)
				return r;
			continue;
		}
		return px_fail(ret_err, "%s: mount option '%s' is not supported", a->p,
			       o);
	}
	free(c->image_override);
	free(c->image_param);
	c->image_override = strdup(copy);
	c->image_param = strdup(a->p);
	return c->image_override && c->image_param ? 0 : -ENOMEM;
}
