// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

/*
 * lib/profile.c still defines these three with the same meaning; until it
 * drops its copies, ours give way to them at link time.
 */
__attribute__((weak)) size_t strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

__attribute__((weak)) bool strv_contains(char *const *l, const char *s)
{
	strv_foreach(p, l)
		if (strcmp(*p, s) == 0)
			return true;
	return false;
}

__attribute__((weak)) void strv_free(char **l)
{
	for (char **p = l; p && *p; p++)
		free(*p);
	free(l);
}

int strv_consume(char ***l, char *s)
{
	size_t n = strv_length(*l);
	char **nl;

	if (!s)
		return -ENOMEM;
	nl = reallocarray(*l, n + 2, sizeof(*nl));
	if (!nl) {
		free(s);
		return -ENOMEM;
	}
	nl[n] = s;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}

int strv_extend(char ***l, const char *s)
{
	return strv_consume(l, strdup(s));
}

int strv_extendn(char ***l, const char *s, size_t n)
{
	return strv_consume(l, strndup(s, n));
}

int strv_extend_uniq(char ***l, const char *s)
{
	int r;

	if (strv_contains(*l, s))
		return 0;
	r = strv_extend(l, s);
	return r < 0 ? r : 1;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **l)
{
	size_t n = strv_length(l);

	if (n > 1)
		qsort(l, n, sizeof(*l), cmp_strp);
}

char *strv_join(char *const *l, const char *sep)
{
	size_t seplen = strlen(sep), len = 0;
	char *s, *p;

	strv_foreach(i, l)
		len += strlen(*i) + (i == l ? 0 : seplen);
	s = malloc(len + 1);
	if (!s)
		return NULL;
	p = s;
	strv_foreach(i, l) {
		if (i != l)
			p = mempcpy(p, sep, seplen);
		p = stpcpy(p, *i);
	}
	*p = '\0';
	return s;
}
