// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIGHUP: the configuration read again and applied as a whole, or not at all.
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

void apply_settings(struct server *s, const struct config *c, struct tls_server *tls)
{
	struct acl fresh;

	/* Out of memory, acl_copy leaves fresh empty. */
	(void)acl_copy(&c->allow, &fresh);
	pthread_rwlock_wrlock(&s->lock);
	acl_free(&s->allow);
	s->allow = fresh;
	s->lim = (struct limits){
		.max_clients = c->max_clients,
		.handshake_timeout = c->handshake_timeout,
		.idle_timeout = c->idle_timeout,
		.max_options = c->max_options,
		.shutdown_timeout = c->shutdown_timeout,
		.tls = tls ? c->tls : TLS_OFF,
	};
	pthread_rwlock_unlock(&s->lock);
}

/* Settings that are read only at start: say that a change waits for a restart. */
static void restart_notices(const struct config *run, const struct config *c)
{
	if (!!run->user != !!c->user || (run->user && strcmp(run->user, c->user) != 0))
		log_warn("'user' changed: takes effect when nbdexport is restarted");
	if (run->threads != c->threads)
		log_warn("'threads' changed: takes effect when nbdexport is restarted");
	if (!!run->pidfile != !!c->pidfile ||
	    (run->pidfile && strcmp(run->pidfile, c->pidfile) != 0))
		log_warn("'pidfile' changed: takes effect when nbdexport is restarted");
	if (!!run->log_file != !!c->log_file ||
	    (run->log_file && strcmp(run->log_file, c->log_file) != 0))
		log_warn("'log-file' changed: takes effect when nbdexport is restarted");
	if (!!run->status_file != !!c->status_file ||
	    (run->status_file && strcmp(run->status_file, c->status_file) != 0))
		log_warn(
			"'status-file' changed: takes effect when nbdexport is restarted");
}

/*
 * SIGHUP: read the configuration again and apply all of it, or nothing. The
 * new exports are opened, the TLS credentials loaded and the new listening
 * sockets bound before anything changes; if one of these fails, the reload is
 * rejected with one line that says why.
 */
void reload(struct server *s)
{
	struct server_opts *o = s->o;
	struct config fresh;
	struct export_set set = { 0 };
	struct tls_server *tls = NULL, *old_tls;
	struct listener *nl = NULL;
	size_t nn = 0, added = 0, removed = 0;
	char err[512];
	int r;

	config_init(&fresh);
	log_capture_errors(err, sizeof(err));
	r = o->reload ? o->reload(&fresh) : -ENOTSUP;
	if (r >= 0)
		r = export_table_prepare(&fresh, &set);
	if (r >= 0 && fresh.tls != TLS_OFF)
		r = tls_server_new(&fresh, &tls);
	if (r >= 0)
		r = listen_update(&fresh, o->listeners, o->n_listeners, &nl, &nn);
	log_capture_errors(NULL, 0);
	if (r >= 0) {
		r = set_listeners(s, nl, nn);
		if (r < 0) {
			listen_abandon(o->listeners, o->n_listeners, nl, nn);
			snprintf(err, sizeof(err),
				 "cannot poll the listening sockets: %s", strerror(-r));
		}
	}
	if (r < 0) {
		log_error("reload failed, keeping the running configuration: %s",
			  err[0] ? err : strerror(-r));
		export_set_free(&set);
		tls_server_free(tls);
		config_free(&fresh);
		return;
	}

	for (size_t i = 0; i < nn; i++) {
		if (listen_is_new(o->listeners, o->n_listeners, &nl[i])) {
			log_notice("listening on %s", nl[i].desc);
			added++;
		}
	}
	for (size_t i = 0; i < o->n_listeners; i++) {
		if (!o->listeners[i].kept) {
			log_notice("no longer listening on %s", o->listeners[i].desc);
			removed++;
		}
	}
	listen_close_unkept(o->listeners, o->n_listeners);
	o->listeners = nl;
	o->n_listeners = nn;

	export_table_commit(o->exports, &set);
	pthread_rwlock_wrlock(&s->lock);
	old_tls = s->tls;
	s->tls = tls;
	pthread_rwlock_unlock(&s->lock);
	tls_server_free(old_tls);
	apply_settings(s, &fresh, tls);
	restart_notices(o->cfg, &fresh);
	log_notice("configuration reloaded: %zu exports, TLS %s, %zu listening sockets "
		   "(%zu new, %zu closed)",
		   fresh.n_exports,
		   !tls			      ? "off"
		   : fresh.tls == TLS_REQUIRE ? "required"
					      : "on",
		   nn, added, removed);
	config_free(&fresh);
}
