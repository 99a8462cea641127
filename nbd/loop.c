// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The event loops. One loop, the front, owns the listening sockets: it accepts
 * connections and runs their handshakes, and nothing else, so a client that
 * connects is answered at once however busy the others are. A connection that
 * enters transmission is handed to the data loop that has the fewest, which
 * owns it from then on; the clients of a copy with several connections are
 * so served in parallel. Each loop is a thread with its own epoll set; sockets
 * are non-blocking and a connection costs a few hundred bytes while idle. A
 * wakeup reads every request the client has pipelined, executes them all and
 * sends the replies in as few system calls as possible.
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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include "log.h"
#include "server-internal.h"
#include "util.h"

/* A pool thread finished an overlay job: hand it to its event loop. */
void cow_job_complete(struct cow_job *j)
{
	struct worker *w = j->loop;
	bool was_empty;

	pthread_mutex_lock(&w->done_lock);
	was_empty = !w->done;
	j->next = w->done;
	w->done = j;
	pthread_mutex_unlock(&w->done_lock);
	if (was_empty)
		wake(w);
}

/* Go on with the connections whose overlay jobs are done. */
static void take_done(struct worker *w)
{
	struct cow_job *list, *j, *next;

	pthread_mutex_lock(&w->done_lock);
	list = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->done_lock);
	for (j = list; j; j = next) {
		struct conn *c = j->owner;
		int r;

		next = j->next;
		if (!c) {
			/* Its connection is gone. */
			cow_job_free(j);
			continue;
		}
		/* Only now: until it left the list, the job must not be freed. */
		j->taken = true;
		r = tx_resume(&c->tx, &c->q);
		if (r < 0) {
			conn_free(c, "out of memory");
			continue;
		}
		/* Send the reply and go on with what the client sent meanwhile. */
		if (c->closing)
			conn_flush(c);
		else
			conn_input(c);
	}
}

void wake(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->event.fd, &one, sizeof(one)) < 0)
		log_warn_errno(-errno, "cannot wake an event loop");
}

/* Every loop running, the front and the data loops. */
void wake_all(struct server *s)
{
	if (s->front_started)
		wake(&s->front);
	for (unsigned int i = 0; i < s->started; i++)
		wake(&s->workers[i]);
}

/*
 * The handshake is over: give the connection to the data loop that has the
 * fewest. Its replies queued so far and what the client sent after its last
 * option (c->pend) go with it; the data loop takes it up as if it had just
 * become readable.
 */
void hand_over(struct conn *c)
{
	struct server *s = c->w->s;
	struct worker *to = &s->workers[0];
	unsigned int start = atomic_fetch_add(&s->next_worker, 1), best = UINT_MAX;
	bool was_empty;

	/* Ties go round, so connections made one after another spread out. */
	for (unsigned int i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[(start + i) % s->nworkers];
		unsigned int n = atomic_load(&w->nconns);

		if (n < best) {
			best = n;
			to = w;
		}
	}
	epoll_ctl(c->w->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
	conn_unlink(c);
	atomic_fetch_sub(&c->w->nconns, 1);
	/* Counted at once, so the next hand-over of a burst sees it. */
	atomic_fetch_add(&to->nconns, 1);
	c->w = to;
	c->events = 0;
	log_debug("%s: served by event loop %u, now with %u connections", c->name, to->id,
		  best + 1);
	pthread_mutex_lock(&to->inbox_lock);
	was_empty = !to->inbox;
	c->next = to->inbox;
	to->inbox = c;
	pthread_mutex_unlock(&to->inbox_lock);
	/*
	 * The loop reads its event counter before it takes the inbox, so a
	 * non-empty inbox means a wakeup is already due.
	 */
	if (was_empty)
		wake(to);
}

static int add_source(int epfd, struct source *src, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = src };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, src->fd, &e) < 0 ? -errno : 0;
}

/* The front polls the listening sockets of the current generation, and no others. */
static void sync_listeners(struct worker *w)
{
	struct server *s = w->s;
	unsigned int gen;
	int r;

	pthread_mutex_lock(&s->listen_lock);
	gen = atomic_load(&s->listen_gen);
	vector_foreach(p, &w->polled)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, (*p)->fd, NULL);
	w->polled.len = 0;
	r = source_vector_reserve(&w->polled, s->lsrc.len);
	if (r < 0)
		log_errno(r, "cannot poll the listening sockets");
	else
		vector_foreach(p, &s->lsrc) {
			r = add_source(w->epfd, *p, EPOLLIN);
			if (r < 0)
				log_errno(r, "cannot poll a listening socket");
			else
				w->polled.ptr[w->polled.len++] = *p;
		}
	atomic_store(&w->listen_gen, gen);
	pthread_mutex_unlock(&s->listen_lock);
}

/* Take up the connections the front handed over. */
static void take_over(struct worker *w)
{
	struct conn *list, *c, *next;
	uint64_t v;

	if (read(w->event.fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn_errno(-errno, "cannot read an event counter");
	pthread_mutex_lock(&w->inbox_lock);
	list = w->inbox;
	w->inbox = NULL;
	pthread_mutex_unlock(&w->inbox_lock);
	for (c = list; c; c = next) {
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = &c->src };

		next = c->next;
		conn_link(w, c);
		c->tx.cow_loop = w;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->src.fd, &e) < 0) {
			conn_free(c, "cannot set up connection");
			continue;
		}
		c->events = EPOLLIN;
		if (w->draining)
			drain_conn(c);
		else
			conn_input(c);
	}
}

/* Returns false when no connection was waiting. */
bool accept_one(struct worker *w, struct source *l)
{
	struct server *s = w->s;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct conn *c;
	char name[64];
	int fd, one = 1;
	bool allowed;
	unsigned int max, hs_timeout, max_options;
	enum tls_mode tls;

	fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if ((errno == EMFILE || errno == ENFILE) && w->spare_fd >= 0) {
			/*
			 * Out of file descriptors: the pending connection would keep
			 * the listener readable forever. Use the spare descriptor to
			 * take it and close it at once.
			 */
			int r = -errno;

			close(w->spare_fd);
			fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			log_warn_errno(r, "refused a connection");
			return true;
		}
		if (errno == ENOBUFS || errno == ENOMEM)
			log_warn_errno(-errno, "cannot accept a connection");
		/* Aborted connections are skipped; anything else waits for epoll. */
		return errno == ECONNABORTED || errno == EINTR;
	}
	if (sl == 0 || ss.ss_family == AF_UNIX)
		ss.ss_family = AF_UNIX;
	sockaddr_format((struct sockaddr *)&ss, name, sizeof(name), true);

	pthread_rwlock_rdlock(&s->lock);
	allowed = acl_allows(&s->allow, (struct sockaddr *)&ss);
	max = s->lim.max_clients;
	hs_timeout = s->lim.handshake_timeout;
	max_options = s->lim.max_options;
	tls = s->lim.tls;
	pthread_rwlock_unlock(&s->lock);

	if (!allowed) {
		log_notice("%s: refused: not in the allow list", name);
		close(fd);
		return true;
	}
	if (atomic_fetch_add(&s->clients, 1) >= max) {
		atomic_fetch_sub(&s->clients, 1);
		log_warn("%s: refused: already serving %u clients (--max-clients)", name,
			 max);
		close(fd);
		return true;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->hs = malloc(sizeof(*c->hs));
	if (!c || !c->hs) {
		if (c)
			free(c);
		atomic_fetch_sub(&s->clients, 1);
		close(fd);
		return true;
	}
	if (ss.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	c->src = (struct source){ .kind = K_CONN, .fd = fd };
	c->peer = ss;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->phase = P_HANDSHAKE;
	outq_init(&c->q);
	hs_init(c->hs, &handshake_ops, c, tls, max_options);
	c->last_active = now_ms();
	c->deadline = hs_timeout ? c->last_active + hs_timeout * 1000ll : 0;
	conn_link(w, c);
	atomic_fetch_add(&w->nconns, 1);

	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &c->src };
	c->events = EPOLLIN;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &e) < 0 ||
	    hs_greeting(c->hs, &c->q) < 0) {
		conn_free(c, "cannot set up connection");
		return true;
	}
	log_info("%s: connected", name);
	conn_flush(c);
	return true;
}

static void on_timer(struct worker *w)
{
	struct server *s = w->s;
	uint64_t ticks;
	int64_t now = now_ms();
	unsigned int idle;

	if (read(w->timer.fd, &ticks, sizeof(ticks)) < 0)
		return;
	pthread_rwlock_rdlock(&s->lock);
	idle = s->lim.idle_timeout;
	pthread_rwlock_unlock(&s->lock);
	for (struct conn *c = w->conns, *next; c; c = next) {
		next = c->next;
		if (c->lingering) {
			if (all_acked(c))
				conn_free(c, NULL);
		} else if (c->phase != P_TRANSMISSION || c->closing) {
			if (c->deadline && now >= c->deadline)
				conn_free(c, c->closing
						     ? "client does not read its replies"
						     : "handshake timed out");
		} else if (idle && now - c->last_active >= idle * 1000ll &&
			   outq_empty(&c->q)) {
			conn_free(c, "idle timeout");
		}
	}
}

/* Retry reads that waited for the page cache; go on with those that are done. */
static void retry_waiting(struct worker *w)
{
	struct conn *list = w->waiting, *c, *next;
	int64_t now = now_ms();

	w->waiting = NULL;
	for (c = list; c; c = next) {
		int r;

		next = c->dnext;
		c->waiting = false;
		/* Past the limit, read even if it blocks. */
		c->tx.nowait = now - c->wait_since < WAIT_MAX_MS;
		r = tx_resume(&c->tx, &c->q);
		c->tx.nowait = true;
		if (r == -EAGAIN) {
			c->waiting = true;
			c->dnext = w->waiting;
			w->waiting = c;
			continue;
		}
		if (r < 0) {
			conn_free(c, "out of memory");
			continue;
		}
		/* Go on with what the client sent meanwhile. */
		conn_input(c);
	}
}

/* Free the connections handed over but not taken up (at shutdown). */
static void drop_inbox(struct worker *w)
{
	struct conn *c;

	while ((c = w->inbox)) {
		w->inbox = c->next;
		conn_link(w, c);
		conn_free(c, "server shutting down");
	}
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct server *s = w->s;
	struct epoll_event ev[64];

	pthread_setname_np(pthread_self(),
			   w->front ? "nbdexport-front" : "nbdexport-data");
	while (!atomic_load(&s->stopping)) {
		if (w->front &&
		    atomic_load(&w->listen_gen) != atomic_load(&s->listen_gen))
			sync_listeners(w);
		if (atomic_load(&s->draining) && !w->draining)
			start_drain(w);

		int n = epoll_wait(w->epfd, ev, 64, w->waiting ? WAIT_POLL_MS : -1);
		bool tick = false, woken = false;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_errno(-errno, "epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			struct source *src = ev[i].data.ptr;

			switch (src->kind) {
			case K_LISTENER:
				/* A few at a time, so handshakes under way go on. */
				for (int k = 0; k < 64 && accept_one(w, src); k++)
					;
				break;
			case K_EVENT:
				take_over(w);
				woken = true;
				break;
			case K_TIMER:
				tick = true;
				break;
			case K_CONN:
				on_conn((struct conn *)src, ev[i].events);
				break;
			}
		}
		/* Last: these may free connections that still had events above. */
		if (woken)
			take_done(w);
		if (tick)
			on_timer(w);
		if (w->waiting)
			retry_waiting(w);
	}
	while (w->conns)
		conn_free(w->conns, "server shutting down");
	pthread_mutex_lock(&w->inbox_lock);
	drop_inbox(w);
	pthread_mutex_unlock(&w->inbox_lock);
	outq_thread_cleanup();
	return NULL;
}

int worker_init(struct server *s, struct worker *w, bool front)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	int r;

	w->s = s;
	w->front = front;
	pthread_mutex_init(&w->inbox_lock, NULL);
	pthread_mutex_init(&w->done_lock, NULL);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->event = (struct source){ .kind = K_EVENT,
				    .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	w->timer = (struct source){ .kind = K_TIMER,
				    .fd = timerfd_create(CLOCK_MONOTONIC,
							 TFD_CLOEXEC | TFD_NONBLOCK) };
	w->rbuf = malloc(RBUF_SIZE);
	w->spare_fd = front ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
	if (w->epfd < 0 || w->event.fd < 0 || w->timer.fd < 0 || !w->rbuf)
		return log_errno(w->rbuf ? NEG_ERRNO() : -ENOMEM,
				 "cannot set up an event loop");
	timerfd_settime(w->timer.fd, 0, &its, NULL);
	r = add_source(w->epfd, &w->event, EPOLLIN);
	if (r == 0)
		r = add_source(w->epfd, &w->timer, EPOLLIN);
	if (r < 0)
		return log_errno(r, "cannot set up an event loop");
	return 0;
}

void worker_fini(struct worker *w)
{
	if (!w->s)
		return;
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->event.fd >= 0)
		close(w->event.fd);
	if (w->timer.fd >= 0)
		close(w->timer.fd);
	free(w->rbuf);
	source_vector_reset(&w->polled);
	if (w->spare_fd >= 0)
		close(w->spare_fd);
	pthread_mutex_destroy(&w->inbox_lock);
	pthread_mutex_destroy(&w->done_lock);
}

void worker_stop(struct worker *w)
{
	wake(w);
	pthread_join(w->thread, NULL);
}

/*
 * Make the front poll the listening sockets l[0..n) and wait until it does:
 * then no loop uses a socket that is not in l any more, and the caller may
 * close it.
 */
int set_listeners(struct server *s, const struct listener *l, size_t n)
{
	source_vector v = { 0 }, old;
	unsigned int gen;
	int r = source_vector_reserve(&v, n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct source *src = malloc(sizeof(*src));

		if (!src) {
			r = -ENOMEM;
			break;
		}
		*src = (struct source){ .kind = K_LISTENER, .fd = l[i].fd };
		v.ptr[v.len++] = src;
	}
	if (r < 0) {
		vector_foreach(p, &v)
			free(*p);
		source_vector_reset(&v);
		return r;
	}
	pthread_mutex_lock(&s->listen_lock);
	old = s->lsrc;
	s->lsrc = v;
	gen = atomic_fetch_add(&s->listen_gen, 1) + 1;
	pthread_mutex_unlock(&s->listen_lock);
	/* The front answers at the top of its loop, within one round of events. */
	if (s->front_started) {
		wake(&s->front);
		while ((int)(atomic_load(&s->front.listen_gen) - gen) < 0)
			usleep(1000);
	}
	vector_foreach(p, &old)
		free(*p);
	source_vector_reset(&old);
	return 0;
}
