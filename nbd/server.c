// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * server_run(): start the event loops, then take the signals in the main
 * thread, which also writes the status table.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "server-internal.h"
#include "util.h"

/* Wake the main thread: the status table changed. */
static void status_wake(void *data)
{
	struct server *s = data;

	pthread_kill(s->main_thread, SIGUSR2);
}

static void exports_changed(void *data)
{
	struct server *s = data;

	status_changed(&s->status);
}

static int status_text(struct server *s, char **ret, size_t *len)
{
	struct export **v = NULL;
	size_t n = 0;
	int r = export_table_collect(s->o->exports, &v, &n);

	if (r == 0)
		r = status_format(&s->status, getpid(), v, n, ret, len);
	for (size_t i = 0; i < n; i++)
		export_unref(v[i]);
	free(v);
	return r;
}

static void status_write(struct server *s)
{
	const char *path = s->o->cfg->status_file;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (!path)
		return;
	r = status_text(s, &text, &len);
	if (r == 0)
		r = write_file_atomic_at(AT_FDCWD, path, text, len, 0644);
	if (r == 0)
		log_debug("wrote the status file %s", path);
	if (r < 0 && !s->status_warned) {
		log_warn_errno(r, "cannot write the status file %s", path);
		s->status_warned = true;
	}
}

/* SIGUSR1: the same table, to the log. */
static void status_log(struct server *s)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	char *line, *next;

	if (status_text(s, &text, &len) < 0)
		return;
	/* Logging is no change: what the file says still has to be written. */
	status_changed(&s->status);
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] != '#')
			log_notice("status: %s", line);
	}
}

/* At a clean exit: remove the status file, unless another server wrote it since. */
static void status_remove(struct server *s)
{
	const char *path = s->o->cfg->status_file;
	_cleanup_free_ char *text = NULL;
	char want[64];

	if (!path || read_file_at(AT_FDCWD, path, &text, NULL) < 0)
		return;
	snprintf(want, sizeof(want), "\npid %d\n", (int)getpid());
	if (strstr(text, want))
		unlink(path);
}

/*
 * Changes come in bursts (a boot storm attaches hundreds of clients in a
 * second): the file is written this long after the first change of a burst,
 * with everything that happened until then.
 */
#define STATUS_DELAY_MS 250

int server_run(struct server_opts *o)
{
	struct server s = { .o = o };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	sigset_t set;
	bool clean_exit = false;
	int r = 0;

	pthread_rwlock_init(&s.lock, NULL);
	pthread_mutex_init(&s.listen_lock, NULL);
	s.main_thread = pthread_self();
	status_init(&s.status, status_wake, &s);
	o->exports->changed = exports_changed;
	o->exports->changed_data = &s;
	s.tls = tls_server_ref(o->tls);
	apply_settings(&s, o->cfg, o->tls);
	/*
	 * Two data loops per CPU: a loop that blocks (a page fault, an overlay
	 * write) leaves the CPU to another, and with busy neighbours the
	 * scheduler gives the server a fairer share. Measured better than one.
	 */
	s.nworkers = o->cfg->threads ? o->cfg->threads
				     : (ncpu > 0 ? MIN(2 * (unsigned int)ncpu, 64u) : 2);
	s.workers = calloc(s.nworkers, sizeof(*s.workers));
	if (!s.workers) {
		r = -ENOMEM;
		goto out;
	}

	r = worker_init(&s, &s.front, true);
	for (unsigned int i = 0; r == 0 && i < s.nworkers; i++) {
		s.workers[i].id = i + 1;
		r = worker_init(&s, &s.workers[i], false);
	}
	if (r == 0)
		r = set_listeners(&s, o->listeners, o->n_listeners);
	if (r < 0)
		goto out;
	for (; s.started < s.nworkers; s.started++) {
		r = -pthread_create(&s.workers[s.started].thread, NULL, worker_main,
				    &s.workers[s.started]);
		if (r < 0) {
			log_errno(r, "cannot start a worker thread");
			goto out;
		}
	}
	r = -pthread_create(&s.front.thread, NULL, worker_main, &s.front);
	if (r < 0) {
		log_errno(r, "cannot start a worker thread");
		goto out;
	}
	s.front_started = true;
	for (size_t i = 0; i < o->n_listeners; i++)
		log_notice("listening on %s", o->listeners[i].desc);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	status_write(&s);
	for (int64_t due = 0;;) {
		int sig;

		if (!due && atomic_load(&s.status.dirty))
			due = now_ms() + STATUS_DELAY_MS;
		if (due) {
			int64_t left = due - now_ms();
			struct timespec ts = { left / 1000, (left % 1000) * 1000000 };

			if (left <= 0) {
				due = 0;
				status_write(&s);
				continue;
			}
			sig = sigtimedwait(&set, NULL, &ts);
		} else {
			sig = sigwaitinfo(&set, NULL);
		}
		if (sig < 0 || sig == SIGUSR2)
			continue;
		if (sig == SIGUSR1) {
			status_log(&s);
			continue;
		}
		if (sig == SIGHUP) {
			reload(&s);
			continue;
		}
		log_notice("%s received, shutting down",
			   sig == SIGTERM ? "SIGTERM" : "SIGINT");
		int64_t ms = drain(&s, &set);
		if (ms)
			log_notice("shut down in %" PRId64 " ms", ms);
		clean_exit = true;
		break;
	}
out:
	atomic_store(&s.stopping, true);
	/* The front first: it hands connections to the others. */
	if (s.front_started)
		worker_stop(&s.front);
	for (unsigned int i = 0; i < s.started; i++)
		worker_stop(&s.workers[i]);
	/* The connections are gone; jobs they left finish, then are freed. */
	cow_pool_stop();
	for (unsigned int i = 0; s.workers && i < s.nworkers; i++) {
		while (s.workers[i].done) {
			struct cow_job *j = s.workers[i].done;

			s.workers[i].done = j->next;
			cow_job_free(j);
		}
	}
	worker_fini(&s.front);
	for (unsigned int i = 0; s.workers && i < s.nworkers; i++)
		worker_fini(&s.workers[i]);
	free(s.workers);
	vector_foreach(p, &s.lsrc)
		free(*p);
	source_vector_reset(&s.lsrc);
	pthread_mutex_destroy(&s.listen_lock);
	if (clean_exit)
		status_remove(&s);
	o->exports->changed = NULL;
	status_fini(&s.status);
	acl_free(&s.allow);
	tls_server_free(s.tls);
	pthread_rwlock_destroy(&s.lock);
	return r;
}
