// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIGTERM: stop accepting, answer every request the clients had sent, refuse
 * later ones with NBD_ESHUTDOWN, and close each connection once its replies
 * are out, within the shutdown timeout.
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

/*
 * Take in everything the client has sent so far: with what was read before,
 * it is what the client asked before the server began to shut down. Bounded,
 * for a client that sends faster than we read.
 */
static void slurp(struct conn *c)
{
	size_t total = 0;

	while (total < SLURP_MAX) {
		ssize_t n = conn_recv(c, c->w->rbuf, RBUF_SIZE);
		size_t have;
		uint8_t *p;

		if (n <= 0)
			return; /* nothing more now; an end of stream is seen later */
		have = c->pend ? c->pend_len - c->pend_off : 0;
		p = malloc(have + n);
		if (!p)
			return;
		if (have)
			memcpy(p, c->pend + c->pend_off, have);
		memcpy(p + have, c->w->rbuf, n);
		free(c->pend);
		c->pend = p;
		c->pend_len = have + n;
		c->pend_off = 0;
		total += n;
	}
}

/*
 * SIGTERM: a connection in its handshake is closed; one in transmission is
 * served until every request it had sent is answered, and later requests get
 * NBD_ESHUTDOWN, as the protocol asks. Returns false if c was freed.
 */
bool drain_conn(struct conn *c)
{
	if (c->closing)
		return true;
	if (c->phase == P_TLS_HANDSHAKE) {
		conn_free(c, "server shutting down");
		return false;
	}
	if (c->phase != P_TRANSMISSION) {
		c->closing = true;
		return conn_flush(c);
	}
	slurp(c);
	c->tx.serve_until = c->tx.in_bytes + (c->pend ? c->pend_len - c->pend_off : 0);
	log_info("%s: shutting down: answering what it sent (%" PRIu64
		 " bytes not yet read), refusing later requests",
		 c->name, c->tx.serve_until - c->tx.in_bytes);
	/* Deferred reads go on from retry_waiting(), jobs when done; the rest now. */
	if (conn_waits_for_io(c)) {
		update_events(c);
		return true;
	}
	return c->pend ? conn_input(c) : conn_flush(c);
}

void start_drain(struct worker *w)
{
	struct conn *c, *next;

	w->draining = true;
	for (c = w->conns; c; c = next) {
		next = c->next;
		drain_conn(c);
	}
}

int64_t drain(struct server *s, const sigset_t *set)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	int64_t start = now_ms(), deadline;
	unsigned int busy, secs;

	pthread_rwlock_rdlock(&s->lock);
	secs = s->lim.shutdown_timeout;
	pthread_rwlock_unlock(&s->lock);
	/* Stop accepting: new clients are refused at once, not left waiting. */
	set_listeners(s, NULL, 0);
	listen_close(s->o->listeners, s->o->n_listeners);
	s->o->listeners = NULL;
	s->o->n_listeners = 0;
	busy = atomic_load(&s->clients);
	if (busy == 0 || secs == 0)
		return 0;
	log_notice("finishing the requests of %u connections (at most %u seconds)", busy,
		   secs);
	atomic_store(&s->draining, true);
	wake_all(s);
	deadline = start + secs * 1000ll;
	while (atomic_load(&s->clients) > 0 && now_ms() < deadline) {
		int sig = sigtimedwait(set, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT) {
			log_notice("%s received again: not waiting for clients",
				   sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
	}
	busy = atomic_load(&s->clients);
	if (busy)
		log_warn("dropping %u connections that are still busy", busy);
	return now_ms() - start;
}
