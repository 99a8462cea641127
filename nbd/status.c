// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

void status_init(struct status *s, void (*changed)(void *), void *data)
{
	*s = (struct status){ .changed = changed, .data = data };
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->dirty, false);
}

void status_fini(struct status *s)
{
	while (s->list)
		status_detach(s, s->list);
	pthread_mutex_destroy(&s->lock);
}

void status_changed(struct status *s)
{
	/* Only the first change of a batch wakes the writer. */
	if (!atomic_exchange(&s->dirty, true) && s->changed)
		s->changed(s->data);
}

struct status_attach *status_attach(struct status *s, const char *peer, struct export *e)
{
	struct status_attach *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->e = export_ref(e);
	a->since = time(NULL);
	snprintf(a->peer, sizeof(a->peer), "%s", peer);
	pthread_mutex_lock(&s->lock);
	a->next = s->list;
	if (s->list)
		s->list->prev = a;
	s->list = a;
	pthread_mutex_unlock(&s->lock);
	status_changed(s);
	return a;
}

void status_detach(struct status *s, struct status_attach *a)
{
	pthread_mutex_lock(&s->lock);
	if (a->prev)
		a->prev->next = a->next;
	else
		s->list = a->next;
	if (a->next)
		a->next->prev = a->prev;
	pthread_mutex_unlock(&s->lock);
	export_unref(a->e);
	free(a);
	status_changed(s);
}

void status_escape(FILE *f, const char *path)
{
	for (const char *p = path; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\\')
			fprintf(f, "\\%03o", (unsigned char)*p);
		else
			fputc(*p, f);
	}
}

static const char *path_of(const struct export *e)
{
	return e->real ? e->real : e->path;
}

static void export_line(FILE *f, const struct export *e)
{
	fprintf(f, "export %s %s ", e->name, e->canonical);
	status_escape(f, path_of(e));
	fputc('\n', f);
}

/* Has this generation a line already? The same file opened twice is one. */
static bool listed(const struct export *const *v, size_t n, const struct export *e)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == e || (strcmp(v[i]->canonical, e->canonical) == 0 &&
				  strcmp(path_of(v[i]), path_of(e)) == 0))
			return true;
	return false;
}

int status_format(struct status *s, pid_t pid, struct export *const *exports, size_t n,
		  char **ret, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0, nseen = 0, cap;
	const struct export **seen;
	FILE *f;
	int r = 0;

	atomic_store(&s->dirty, false);
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	cap = n;
	for (struct status_attach *a = s->list; a; a = a->next)
		cap++;
	seen = calloc(cap + 1, sizeof(*seen));
	if (!seen) {
		r = -ENOMEM;
		goto out;
	}
	fprintf(f, "# nbdexport status\npid %d\n", (int)pid);
	for (size_t i = 0; i < n; i++) {
		if (listed(seen, nseen, exports[i]))
			continue;
		seen[nseen++] = exports[i];
		export_line(f, exports[i]);
	}
	/* Older generations that clients still read. */
	for (struct status_attach *a = s->list; a; a = a->next) {
		if (listed(seen, nseen, a->e))
			continue;
		seen[nseen++] = a->e;
		export_line(f, a->e);
	}
	for (struct status_attach *a = s->list; a; a = a->next) {
		fprintf(f, "client %s %s ", a->peer, a->e->canonical);
		status_escape(f, path_of(a->e));
		fprintf(f, " %" PRId64 "\n", (int64_t)a->since);
	}
out:
	pthread_mutex_unlock(&s->lock);
	free(seen);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}
