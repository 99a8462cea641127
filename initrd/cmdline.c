// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keys and their defaults, the configuration they make up, and the table
 * of parameters that set them (cmdline-internal.h lists the other parts).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline-internal.h"
#include "strbuf.h"
#include "strv.h"
#include "util.h"

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
	[PX_ROOT_RW] = { "ROOT_RW", "0", true },
	[PX_SHA256] = { "SHA256", "" },
	[PX_MD5] = { "MD5", "" },
	[PX_CHECKSUM_URL] = { "CHECKSUM_URL", "" },
	[PX_VERIFY] = { "VERIFY", "1" },
	[PX_VERITY] = { "VERITY", "" },
	[PX_VERITY_OFFSET] = { "VERITY_OFFSET", "" },
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
	[PX_IP_WHY] = { "IP_WHY", "" },
	[PX_IP_MORE] = { "IP_MORE", "" },
	[PX_PEERDNS] = { "PEERDNS", "1" },
	[PX_IFNAME] = { "IFNAME", "" },
	[PX_VLAN] = { "VLAN", "" },
	[PX_BOND] = { "BOND", "" },
	[PX_BRIDGE] = { "BRIDGE", "" },
	[PX_BOOTIF] = { "BOOTIF", "" },
	[PX_DHCP_TRIES] = { "DHCP_TRIES", "5" },
	[PX_DHCP_TIMEOUT] = { "DHCP_TIMEOUT", "2" },
	[PX_LINK_TIMEOUT] = { "LINK_TIMEOUT", "10" },
	[PX_IPV6_TIMEOUT] = { "IPV6_TIMEOUT", "40" },
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

static const char *const root_kinds[] = {
	[ROOT_NONE] = "",   [ROOT_DHCP] = "dhcp", [ROOT_NFS] = "nfs",
	[ROOT_NBD] = "nbd", [ROOT_URL] = "url",
};

const char *root_kind_name(enum root_kind k)
{
	return root_kinds[k];
}

enum root_kind root_kind_from_name(const char *s)
{
	for (size_t i = ROOT_DHCP; i < ARRAY_SIZE(root_kinds); i++)
		if (strcmp(s, root_kinds[i]) == 0)
			return (enum root_kind)i;
	return ROOT_NONE;
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
	strv_free(c->warnings);
	free(c->image_override);
	free(c->image_param);
	memset(c, 0, sizeof(*c));
}

const char *px_config_get(const struct px_config *c, enum px_key k)
{
	return c->v[k] ? c->v[k] : keys[k].def;
}

int px_set(struct px_config *c, enum px_key k, const char *v)
{
	char *d = strdup(v ? v : "");

	if (!d)
		return -ENOMEM;
	free(c->v[k]);
	c->v[k] = d;
	return 0;
}

int px_setn(struct px_config *c, enum px_key k, const char *v, size_t n)
{
	char *d = strndup(v, n);

	if (!d)
		return -ENOMEM;
	free(c->v[k]);
	c->v[k] = d;
	return 0;
}

/* Append to a list value, separated by sep, skipping duplicates. */
int px_append(struct px_config *c, enum px_key k, const char *v, char sep)
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
		return px_set(c, k, v);
	if (asprintf(&d, "%s%c%s", old, sep, v) < 0)
		return -ENOMEM;
	free(c->v[k]);
	c->v[k] = d;
	return 0;
}

/*
 * Messages quote what came from the command line or from the DHCP server's
 * root-path: a newline or an escape sequence in it must not start a line of
 * its own on the console, where it could pass for another message.
 */
static char *one_line(char *m)
{
	for (char *p = m; m && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return m;
}

int px_warn(struct px_config *c, const char *fmt, ...)
{
	char *m;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	one_line(m);
	r = strv_consume(&c->warnings, m);
	if (r < 0)
		return r;
	c->n_warnings++;
	return 0;
}

int px_fail(char **ret_err, const char *fmt, ...)
{
	va_list ap;

	if (ret_err) {
		va_start(ap, fmt);
		if (vasprintf(ret_err, fmt, ap) < 0)
			*ret_err = NULL;
		va_end(ap);
		one_line(*ret_err);
	}
	return -EINVAL;
}

/* ---- the parameters ---- */

int px_bool_value(const char *param, const char *v, bool *ret, char **ret_err)
{
	if (!v) {
		*ret = true;
		return 0;
	}
	if (parse_bool(v, ret) < 0)
		return px_fail(ret_err, "%s: expected 0 or 1", param);
	return 0;
}

int px_uint_value(struct px_config *c, enum px_key k, const char *param, const char *v,
		  unsigned int min, unsigned int max, char **ret_err)
{
	unsigned int n;

	if (!v || parse_uint(v, min, max, &n) < 0)
		return px_fail(ret_err, "%s: expected a number from %u to %u", param, min,
			       max);
	return px_set(c, k, v);
}

static int module_list(struct px_config *c, enum px_key k, const char *param,
		       const char *v, char **ret_err)
{
	if (!v || !*v)
		return px_fail(ret_err, "%s: expected a list of modules", param);
	for (const char *p = v;;) {
		size_t n = strcspn(p, ",");
		_cleanup_free_ char *m = strndup(p, n);
		int r;

		if (!m)
			return -ENOMEM;
		if (!is_word(m))
			return px_fail(ret_err, "%s: invalid module name '%s'", param, m);
		r = px_append(c, k, m, ',');
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
			return px_set(c, PX_BREAK, list);
		}
	return px_fail(
		ret_err,
		"%s: unknown stage (cmdline, pre-udev, initqueue, pre-mount, mount, pre-pivot)",
		param);
}

static int checksum_value(struct px_config *c, enum px_key k, size_t len,
			  const char *param, const char *v, char **ret_err)
{
	_cleanup_free_ char *l = NULL;

	if (!v || !is_hex(v, len))
		return px_fail(ret_err, "%s: expected %zu hexadecimal digits", param,
			       len);
	l = lower_dup(v);
	if (!l)
		return -ENOMEM;
	return px_set(c, k, l);
}

/* "expected a, b or c" when v is not one of choices. */
static int check_choice(const struct param *a, const char *const *choices, char **ret_err)
{
	_cleanup_strbuf_ struct strbuf b = { 0 };

	for (const char *const *ch = choices; *ch; ch++)
		if (a->v && strcmp(a->v, *ch) == 0)
			return 0;
	for (const char *const *ch = choices; *ch; ch++)
		if (strbuf_appendf(&b, "%s%s",
				   ch == choices ? ""
				   : ch[1]	 ? ", "
						 : " or ",
				   *ch) < 0)
			return -ENOMEM;
	return px_fail(ret_err, "%s: expected %s", a->p, strbuf_str(&b));
}

int px_need_value(const struct param *a, char **ret_err)
{
	if (!a->v || !*a->v)
		return px_fail(ret_err, "%s: missing value", a->p);
	return 0;
}

static const char **pending_str(struct pending *pd, const struct param_def *d)
{
	return (const char **)((char *)pd + d->slot);
}

/* A parameter of the root group: the last of each name counts. */
static int h_root(struct px_config *c, struct pending *pd, const struct param *a,
		  const struct param_def *d, char **ret_err)
{
	int r = px_need_value(a, ret_err);

	if (r < 0)
		return r;
	*(struct root_arg *)((char *)pd + d->slot) =
		(struct root_arg){ a->v, a->p, a->idx };
	return 0;
}

/* A parameter noted whole, for resolve_net or resolve_root. */
static int h_note(struct px_config *c, struct pending *pd, const struct param *a,
		  const struct param_def *d, char **ret_err)
{
	int r = px_need_value(a, ret_err);

	if (r < 0)
		return r;
	*pending_str(pd, d) = a->p;
	return 0;
}

static int h_dodhcp(struct px_config *c, struct pending *pd, const struct param *a,
		    const struct param_def *d, char **ret_err)
{
	pd->dodhcp = true;
	return 0;
}

static int h_nodhcp(struct px_config *c, struct pending *pd, const struct param *a,
		    const struct param_def *d, char **ret_err)
{
	pd->nodhcp = true;
	return 0;
}

static int h_init(struct px_config *c, struct pending *pd, const struct param *a,
		  const struct param_def *d, char **ret_err)
{
	if (!a->v || a->v[0] != '/' || !is_text(a->v))
		return px_fail(ret_err, "%s: expected an absolute path", a->p);
	return px_set(c, PX_INIT, a->v);
}

static int h_rootfstype(struct px_config *c, struct pending *pd, const struct param *a,
			const struct param_def *d, char **ret_err)
{
	if (!a->v || !is_word(a->v))
		return px_fail(ret_err, "%s: invalid file system type", a->p);
	if (strcmp(a->v, "nfs") != 0 && strcmp(a->v, "nfs4") != 0 &&
	    strcmp(a->v, "auto") != 0 && !is_root_fstype(a->v))
		return px_fail(ret_err, "%s: unknown file system type (expected %s)",
			       a->p, root_fstypes_text);
	pd->root_fstype = a->p;
	return 0;
}

static int h_rootflags(struct px_config *c, struct pending *pd, const struct param *a,
		       const struct param_def *d, char **ret_err)
{
	if (!a->v || !*a->v || !is_text(a->v))
		return px_fail(ret_err, "%s: invalid mount options", a->p);
	pd->root_flags = a->p;
	return 0;
}

/* A flag without a value: the key gets the row's only choice. */
static int h_flag(struct px_config *c, struct pending *pd, const struct param *a,
		  const struct param_def *d, char **ret_err)
{
	return px_set(c, d->key, d->choices[0]);
}

/* 0 or 1 (yes, no, ...), a bare name meaning 1. */
static int h_bool(struct px_config *c, struct pending *pd, const struct param *a,
		  const struct param_def *d, char **ret_err)
{
	bool b;
	int r = px_bool_value(a->p, a->v, &b, ret_err);

	return r < 0 ? r : px_set(c, d->key, b ? "1" : "0");
}

static int h_shell(struct px_config *c, struct pending *pd, const struct param *a,
		   const struct param_def *d, char **ret_err)
{
	bool b;
	int r = px_bool_value(a->p, a->v, &b, ret_err);

	if (r < 0)
		return r;
	pd->shell = b;
	return 0;
}

/* One of the row's choices, set as the key's value. */
static int h_choice(struct px_config *c, struct pending *pd, const struct param *a,
		    const struct param_def *d, char **ret_err)
{
	int r = check_choice(a, d->choices, ret_err);

	return r < 0 ? r : px_set(c, d->key, a->v);
}

/* One of the row's choices, noted for resolve_fail. */
static int h_choice_note(struct px_config *c, struct pending *pd, const struct param *a,
			 const struct param_def *d, char **ret_err)
{
	int r = check_choice(a, d->choices, ret_err);

	if (r < 0)
		return r;
	*pending_str(pd, d) = a->v;
	return 0;
}

static int h_uint(struct px_config *c, struct pending *pd, const struct param *a,
		  const struct param_def *d, char **ret_err)
{
	return px_uint_value(c, d->key, a->p, a->v, d->min, d->max, ret_err);
}

static int h_break(struct px_config *c, struct pending *pd, const struct param *a,
		   const struct param_def *d, char **ret_err)
{
	return break_value(c, a->p, a->v, ret_err);
}

static int h_live_overlayfs(struct px_config *c, struct pending *pd,
			    const struct param *a, const struct param_def *d,
			    char **ret_err)
{
	bool b;
	int r = px_bool_value(a->p, a->v, &b, ret_err);

	return r < 0 || !b ? r : px_set(c, PX_OVERLAY, "overlay");
}

static int h_overlay_size(struct px_config *c, struct pending *pd, const struct param *a,
			  const struct param_def *d, char **ret_err)
{
	if (!a->v || !is_tmpfs_size(a->v))
		return px_fail(ret_err, "%s: expected a size such as 512m, 2g or 50%%",
			       a->p);
	return px_set(c, PX_OVERLAY_SIZE, a->v);
}

static int h_live_overlay_size(struct px_config *c, struct pending *pd,
			       const struct param *a, const struct param_def *d,
			       char **ret_err)
{
	unsigned int mib;
	char buf[32];

	if (!a->v || parse_uint(a->v, 1, 1u << 30, &mib) < 0)
		return px_fail(ret_err, "%s: expected a size in MiB", a->p);
	snprintf(buf, sizeof(buf), "%um", mib);
	return px_set(c, PX_OVERLAY_SIZE, buf);
}

static int h_checksum(struct px_config *c, struct pending *pd, const struct param *a,
		      const struct param_def *d, char **ret_err)
{
	return checksum_value(c, d->key, d->min, a->p, a->v, ret_err);
}

/* The hash tree's offset in the image: whole 4 KiB blocks, as pxeroot-verity writes. */
static int h_verity_offset(struct px_config *c, struct pending *pd, const struct param *a,
			   const struct param_def *d, char **ret_err)
{
	uint64_t v;

	if (!a->v || parse_u64(a->v, &v) < 0 || v == 0 || v % 4096)
		return px_fail(ret_err, "%s: expected a byte offset, a multiple of 4096",
			       a->p);
	return px_set(c, PX_VERITY_OFFSET, a->v);
}

static int h_checksum_url(struct px_config *c, struct pending *pd, const struct param *a,
			  const struct param_def *d, char **ret_err)
{
	if (!a->v || !is_url(a->v) || !is_text(a->v))
		return px_fail(ret_err,
			       "%s: expected an http://, https://, ftp:// or tftp:// URL",
			       a->p);
	return px_set(c, PX_CHECKSUM_URL, a->v);
}

static int h_image(struct px_config *c, struct pending *pd, const struct param *a,
		   const struct param_def *d, char **ret_err)
{
	const char *v = a->v;

	if (!v || !*v || v[0] == '/' || strstr(v, "..") || !is_text(v))
		return px_fail(ret_err,
			       "%s: expected a file name relative to the NFS directory",
			       a->p);
	free(c->image_override);
	free(c->image_param);
	c->image_override = strdup(v);
	c->image_param = strdup(a->p);
	return c->image_override && c->image_param ? 0 : -ENOMEM;
}

static int h_modules(struct px_config *c, struct pending *pd, const struct param *a,
		     const struct param_def *d, char **ret_err)
{
	return module_list(c, d->key, a->p, a->v, ret_err);
}

/* ro and rw: the last counts, as in the kernel. */
static int h_rw(struct px_config *c, struct pending *pd, const struct param *a,
		const struct param_def *d, char **ret_err)
{
	if (a->v)
		return px_fail(ret_err, "%s: takes no value", a->p);
	pd->rw = strcmp(a->p, "rw") == 0 ? a->p : NULL;
	return 0;
}

static int h_overlay(struct px_config *c, struct pending *pd, const struct param *a,
		     const struct param_def *d, char **ret_err)
{
	int r = check_choice(a, d->choices, ret_err);

	if (r < 0)
		return r;
	pd->overlay = a->p;
	return px_set(c, PX_OVERLAY, a->v);
}

/* A parameter pxeroot knows and cannot honour: refused with the reason. */
static int h_refuse(struct px_config *c, struct pending *pd, const struct param *a,
		    const struct param_def *d, char **ret_err)
{
	return px_fail(ret_err, "%s: %s", a->p, d->choices[0]);
}

/* name=0 is what the initramfs always does; any other value is refused. */
static int h_only_off(struct px_config *c, struct pending *pd, const struct param *a,
		      const struct param_def *d, char **ret_err)
{
	if (a->v && strcmp(a->v, "0") == 0)
		return 0;
	return px_fail(ret_err, "%s: %s", a->p, d->choices[0]);
}

/* rd.neednet=1: the root is on the network, so the network always comes up. */
static int h_neednet(struct px_config *c, struct pending *pd, const struct param *a,
		     const struct param_def *d, char **ret_err)
{
	bool b;
	int r = px_bool_value(a->p, a->v, &b, ret_err);

	if (r < 0)
		return r;
	if (!b)
		return px_fail(
			ret_err,
			"%s: the root is on the network, which is always brought up",
			a->p);
	return 0;
}

/* Rows of the table, one kind each. */
/* clang-format off */
#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define SLOT(field) offsetof(struct pending, field)
#define FN(n, f) { .name = (n), .fn = (f) }
#define ROOT(n, field) { .name = (n), .fn = h_root, .slot = SLOT(field) }
#define NOTE(n, field) { .name = (n), .fn = h_note, .slot = SLOT(field) }
#define UINT(n, k, lo, hi) \
	{ .name = (n), .fn = h_uint, .key = (k), .min = (lo), .max = (hi) }
#define BOOL(n, k) { .name = (n), .fn = h_bool, .key = (k) }
#define FLAG(n, k, val) { .name = (n), .fn = h_flag, .key = (k), .choices = LIST(val) }
#define CHOICE(n, k, ...) \
	{ .name = (n), .fn = h_choice, .key = (k), .choices = LIST(__VA_ARGS__) }
#define NOTE_CHOICE(n, field, ...) \
	{ .name = (n), .fn = h_choice_note, .slot = SLOT(field), .choices = LIST(__VA_ARGS__) }
#define CHECKSUM(n, k, digits) \
	{ .name = (n), .fn = h_checksum, .key = (k), .min = (digits) }
#define MODULES(n, k) { .name = (n), .fn = h_modules, .key = (k) }
#define REFUSE(n, why) { .name = (n), .fn = h_refuse, .choices = LIST(why) }
#define ONLY_OFF(n, why) { .name = (n), .fn = h_only_off, .choices = LIST(why) }

static const struct param_def param_table[] = {
	/* The root: one of the group names it, resolve_root says which. */
	ROOT("root", root),
	ROOT("netroot", netroot),
	ROOT("nfsroot", nfsroot),
	ROOT("netboot", netboot),
	ROOT("nbdboot", nbdboot),
	ROOT("nfsboot", nfsboot),
	ROOT("nbdroot", nbdroot),
	FN("ltsp.image", h_ltsp_image),
	FN("ro", h_rw),
	FN("rw", h_rw),
	FN("rootfstype", h_rootfstype),
	FN("rootflags", h_rootflags),
	FN("rd.pxeroot.image", h_image),
	CHECKSUM("rd.pxeroot.sha256", PX_SHA256, 64),
	CHECKSUM("rd.pxeroot.md5", PX_MD5, 32),
	FN("rd.pxeroot.checksum", h_checksum_url),
	BOOL("rd.pxeroot.verify", PX_VERIFY),
	CHECKSUM("rd.pxeroot.verity", PX_VERITY, 64),
	FN("rd.pxeroot.verity.hashoffset", h_verity_offset),
	UINT("rd.pxeroot.nbd.timeout", PX_NBD_TIMEOUT, 1, 86400),
	UINT("rd.pxeroot.nbd.dead_timeout", PX_NBD_DEAD_TIMEOUT, 1, 31536000),
	BOOL("rd.pxeroot.nbd.reconnect", PX_NBD_RECONNECT),
	CHOICE("rd.pxeroot.nbd.lost", PX_NBD_LOST, "wait", "fail"),
	/* The network: resolve_net; ethN= is matched apart (is_eth_n). */
	{ .name = "ip", .fn = h_net_arg, .key = PX_IP },
	FN("dodhcp", h_dodhcp),
	FN("nodhcp", h_nodhcp),
	NOTE("ethx", ethx),
	NOTE("BOOTIF", bootif),
	FN("rd.bootif", h_rd_bootif),
	FN("bootdev", h_bootdev),
	FN("gateway", h_gateway),
	FN("dns", h_dns),
	FN("nameserver", h_dns),
	UINT("rd.pxeroot.dhcp.retries", PX_DHCP_TRIES, 1, 1000),
	UINT("rd.net.dhcp.retry", PX_DHCP_TRIES, 1, 1000),
	UINT("rd.pxeroot.dhcp.timeout", PX_DHCP_TIMEOUT, 1, 600),
	UINT("rd.net.timeout.dhcp", PX_DHCP_TIMEOUT, 1, 600),
	UINT("rd.pxeroot.link.timeout", PX_LINK_TIMEOUT, 0, 600),
	UINT("rd.net.timeout.carrier", PX_LINK_TIMEOUT, 0, 600),
	UINT("rd.net.timeout.iflink", PX_LINK_TIMEOUT, 0, 600),
	UINT("rd.net.timeout.ifup", PX_LINK_TIMEOUT, 0, 600),
	BOOL("rd.peerdns", PX_PEERDNS),
	FN("rd.neednet", h_neednet),
	FN("vlan", h_vlan),
	FN("bond", h_bond),
	FN("bridge", h_bridge),
	FN("ifname", h_ifname),
	ONLY_OFF("biosdevname", "the initramfs keeps the kernel's interface names"),
	REFUSE("team", "team devices are not supported (use bond=)"),
	REFUSE("rd.route", "static routes are not supported (the DHCP router or ip='s gateway is the only route)"),
	REFUSE("rd.net.timeout.route", "not supported: the initramfs does not wait for routes"),
	REFUSE("rd.net.timeout.ipv6dad", "the wait for duplicate address detection is not configurable (rd.net.timeout.ipv6auto covers it)"),
	UINT("rd.net.timeout.ipv6auto", PX_IPV6_TIMEOUT, 1, 600),
	REFUSE("rd.nfs.domain", "NFSv4 id mapping is not supported (the root is mounted with numeric ids)"),
	REFUSE("cifsuser", "a CIFS root is not supported (use NFS, NBD or HTTP)"),
	REFUSE("cifspass", "a CIFS root is not supported (use NFS, NBD or HTTP)"),
	REFUSE("fcoe", "FCoE is not supported (use NFS, NBD or HTTP)"),
	REFUSE("rd.fcoe", "FCoE is not supported (use NFS, NBD or HTTP)"),
	REFUSE("rd.nonvmf", "NVMe over fabrics is not supported (use NFS, NBD or HTTP)"),
	/* Behaviour. */
	FN("init", h_init),
	FLAG("quiet", PX_QUIET, "1"),
	FLAG("rd.info", PX_QUIET, "0"),
	BOOL("rd.debug", PX_DEBUG),
	BOOL("rd.pxeroot.debug", PX_DEBUG),
	FN("rd.shell", h_shell),
	NOTE_CHOICE("rd.emergency", emergency, "reboot", "poweroff", "halt"),
	NOTE_CHOICE("rd.pxeroot.fail", fail_action, "shell", "reboot", "poweroff", "halt"),
	UINT("rd.pxeroot.fail.timeout", PX_FAIL_TIMEOUT, 0, 86400),
	FN("rd.break", h_break),
	UINT("rd.retry", PX_RETRY, 0, 86400),
	UINT("rd.pxeroot.retry", PX_RETRY, 0, 86400),
	{ .name = "rd.pxeroot.overlay", .fn = h_overlay, .key = PX_OVERLAY,
	  .choices = LIST("overlay", "tmpfs", "none") },
	FN("rd.live.overlay.overlayfs", h_live_overlayfs),
	FN("rd.pxeroot.overlay.size", h_overlay_size),
	FN("rd.live.overlay.size", h_live_overlay_size),
	MODULES("rd.pxeroot.modules", PX_MODULES),
	MODULES("rd.driver.pre", PX_MODULES),
	MODULES("rd.driver.blacklist", PX_BLACKLIST),
	MODULES("modprobe.blacklist", PX_BLACKLIST),
};

static const struct param_def eth_n_def = { .name = "ethN", .fn = h_net_arg,
					    .key = PX_IP_ADDR };
/* clang-format on */

static const struct param_def *param_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(param_table); i++)
		if (name_is(name, len, param_table[i].name))
			return &param_table[i];
	if (is_eth_n(name, len))
		return &eth_n_def;
	return NULL;
}

static const struct {
	const char *prefix, *why;
} refused_prefixes[] = {
	{ "rd.iscsi.", "iSCSI is not supported (use NFS, NBD or HTTP)" },
	{ "rd.nvmf.", "NVMe over fabrics is not supported (use NFS, NBD or HTTP)" },
	{ "rd.znet", "s390 network devices are not supported" },
};

/* Read one parameter. Returns 0 also for parameters not ours. */
static int apply_one(struct px_config *c, struct pending *pd, const char *param,
		     size_t idx, char **ret_err)
{
	size_t nl = name_len(param);
	const struct param a = { param, param[nl] == '=' ? param + nl + 1 : NULL, idx };
	const struct param_def *d = param_lookup(param, nl);

	if (d)
		return d->fn(c, pd, &a, d, ret_err);
	if (startswith(param, "rd.pxeroot."))
		return px_fail(ret_err, "%s: unknown parameter", param);
	/* Whole families of dracut's parameters for transports pxeroot lacks. */
	for (size_t i = 0; i < ARRAY_SIZE(refused_prefixes); i++)
		if (startswith(param, refused_prefixes[i].prefix))
			return px_fail(ret_err, "%s: %s", param, refused_prefixes[i].why);
	/* Everything else (ro, rw, console=, rd.neednet, ...) is not ours. */
	return 0;
}

static int resolve_rw(struct px_config *c, struct pending *pd, char **ret_err)
{
	const char *ov = px_config_get(c, PX_OVERLAY);
	int r;

	if (!pd->rw)
		return 0;
	if (pd->overlay && strcmp(ov, "none") != 0)
		return px_fail(
			ret_err,
			"rw conflicts with %s (rw mounts an NFS root read-write, without an overlay)",
			pd->overlay);
	r = px_set(c, PX_ROOT_RW, "1");
	r = r ?: px_set(c, PX_OVERLAY, "none");
	return r ?: check_root_rw(c, ret_err);
}

static int resolve_fail(struct px_config *c, struct pending *pd, char **ret_err)
{
	const char *action = pd->fail_action;

	if (pd->shell == 0 && action && strcmp(action, "shell") == 0)
		return px_fail(ret_err,
			       "rd.shell=0 conflicts with rd.pxeroot.fail=shell");
	if (pd->emergency && (!action || strcmp(action, "shell") != 0))
		action = pd->emergency;
	if (pd->shell == 1)
		action = "shell";
	if (!action)
		return 0;
	return px_set(c, PX_ON_FAIL, action);
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
	r = r ?: resolve_rw(c, &pd, ret_err);
	r = r ?: resolve_links(c, ret_err);
	r = r ?: resolve_fail(c, &pd, ret_err);
	r = r ?: check_verity(c, ret_err);
	if (r < 0)
		return r;
	if (strcmp(px_config_get(c, PX_IP), "off") == 0) {
		const char *rp = px_config_get(c, PX_ROOT_PARAM);
		return px_fail(
			ret_err,
			"%s: the root is on the network%s%s%s; give an address or use ip=dhcp",
			px_config_get(c, PX_IP_PARAM), *rp ? " (" : "", rp,
			*rp ? ")" : "");
	}
	return 0;
}
