// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "vector.h"

static int reserve(struct strbuf *b, size_t n)
{
	/* The terminating NUL always has its byte. */
	if (n > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	return vector_reserve((void **)&b->s, &b->cap, b->len + n + 1, 1);
}

int strbuf_append(struct strbuf *b, const void *data, size_t n)
{
	int r = reserve(b, n);

	if (r < 0)
		return r;
	/* data may be NULL with n 0 (an empty buffer's s), which memcpy may not get. */
	if (n)
		memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int strbuf_appends(struct strbuf *b, const char *s)
{
	return strbuf_append(b, s, strlen(s));
}

int strbuf_appendc(struct strbuf *b, char c)
{
	return strbuf_append(b, &c, 1);
}

int strbuf_appendf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	r = reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *strbuf_str(const struct strbuf *b)
{
	return b->s ? b->s : "";
}

char *strbuf_steal(struct strbuf *b)
{
	char *s = b->s ? b->s : strdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void strbuf_done(struct strbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}
