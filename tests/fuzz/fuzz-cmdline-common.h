/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the command line fuzz targets check besides memory safety: /init
 * evaluates px_config_write_shell()'s output, so each line must be
 * PX_KEY= followed by a single-quoted value that a POSIX shell reads back as
 * exactly the value the parser holds, whatever bytes came in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

/* Read one shell word of single-quoted parts and \' from *p up to a newline. */
static char *shell_unquote(const char **p)
{
	const char *s = *p;
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		abort();
	while (*s && *s != '\n') {
		if (*s == '\'') {
			const char *e = strchr(s + 1, '\'');
			if (!e)
				abort(); /* an unterminated quote */
			memcpy(o, s + 1, e - s - 1);
			o += e - s - 1;
			s = e + 1;
		} else if (s[0] == '\\' && s[1] == '\'') {
			*o++ = '\'';
			s += 2;
		} else {
			abort(); /* a character the shell would interpret */
		}
	}
	if (*s != '\n')
		abort();
	*o = '\0';
	*p = s + 1;
	return out;
}

/* Messages are one line: no control characters from the input get through. */
static void check_one_line(const char *m)
{
	for (; m && *m; m++)
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			abort();
}

static void check_shell_output(const struct px_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *p;

	if (!f || px_config_write_shell(c, f, false) < 0 || fclose(f) != 0)
		abort();
	for (size_t i = 0; i < c->n_warnings; i++)
		check_one_line(c->warnings[i]);
	p = buf;
	for (int k = 0; k < _PX_KEY_MAX; k++) {
		char name[64];
		char *v;

		snprintf(name, sizeof(name), "PX_%s=", px_key_name(k));
		if (strncmp(p, name, strlen(name)) != 0)
			abort();
		p += strlen(name);
		v = shell_unquote(&p);
		if (strcmp(v, px_config_get(c, k)) != 0)
			abort();
		free(v);
	}
	if (*p)
		abort();
	free(buf);
	/* The text form, for people, must not crash either. */
	f = fopen("/dev/null", "w");
	if (!f || px_config_write_text(c, f) < 0)
		abort();
	fclose(f);
}

/* The input as C strings: part i of those separated by NUL bytes, or NULL. */
static char *fuzz_part(const uint8_t *data, size_t size, int i)
{
	size_t start = 0;

	for (int n = 0; n < i; n++) {
		const uint8_t *z = memchr(data + start, 0, size - start);
		if (!z)
			return NULL;
		start = z - data + 1;
	}
	const uint8_t *z = memchr(data + start, 0, size - start);
	size_t end = z ? (size_t)(z - data) : size;
	char *s = malloc(end - start + 1);

	if (!s)
		abort();
	memcpy(s, data + start, end - start);
	s[end - start] = '\0';
	return s;
}
