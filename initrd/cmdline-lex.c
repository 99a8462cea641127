// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lexing and merging: a command line split the way the kernel splits it, and
 * the baked-in defaults merged under the real command line by parameter and
 * by group.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline-internal.h"
#include "strv.h"

void px_params_done(struct px_params *l)
{
	strv_free(l->p);
	l->p = NULL;
	l->n = 0;
}

static int params_add(struct px_params *l, const char *s)
{
	int r = strv_extend(&l->p, s);

	if (r < 0)
		return r;
	l->n++;
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

size_t name_len(const char *param)
{
	const char *eq = strchr(param, '=');

	return eq ? (size_t)(eq - param) : strlen(param);
}

bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(name, want, len) == 0;
}

/* ethN= sets an address on interface ethN (SystemRescueCd). */
bool is_eth_n(const char *name, size_t len)
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
