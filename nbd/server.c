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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cow.h"
#include "handshake.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "status.h"
#include "tls.h"
#include "transmission.h"
#include "util.h"

#define RBUF_SIZE (256u * 1024)
/*
 * Replies are sent as soon as FLUSH_MARK bytes are queued, so the client gets
 * the first while we read the next. While the socket is full we go on
 * preparing replies up to OUT_HIGH, so they are ready when it drains; past
 * that, a client is not read until its socket takes what is queued.
 */
#define FLUSH_MARK (512u * 1024)
#define OUT_HIGH (1u << 20)
#define CLOSE_GRACE 10 /* seconds to flush the last replies of a closing connection */
/* Shutting down, at most this much of what a client sent is still served. */
#define SLURP_MAX (16u << 20)

enum kind {
	K_LISTENER,
	K_EVENT,
	K_TIMER,
	K_CONN,
};

enum phase {
	P_HANDSHAKE,
	P_TLS_HANDSHAKE,
	P_TRANSMISSION,
};

struct source {
	enum kind kind;
	int fd;
};

struct worker;

struct conn {
	struct source src;
	struct worker *w;
	struct conn *prev, *next;
	struct conn *dnext; /* in the worker's list of connections waiting for the page
			       cache */
	bool waiting;
	int64_t wait_since;
	enum phase phase;
	struct handshake *hs;
	struct tx tx;
	struct outq q;
	struct tls_conn *tls;
	uint8_t *pend;
	size_t pend_len, pend_off;
	uint32_t events;
	bool closing; /* flush what is queued, then close */
	bool lingering; /* shutting down: output closed, reading until the client closes
			 */
	bool start_tls; /* flush the STARTTLS reply, then start TLS */
	int64_t deadline; /* handshake or closing, in ms */
	int64_t last_active;
	struct sockaddr_storage peer;
	char name[64];
	struct status_attach *att; /* in the status table while in transmission */
};

struct worker {
	struct server *s;
	pthread_t thread;
	bool front; /* accepts and runs handshakes; the others serve data */
	unsigned int id;
	int epfd;
	struct source event; /* wakes the loop: connections handed over, or stop */
	struct source timer;
	struct conn *conns;
	struct conn *waiting; /* reads deferred until their data is cached */
	pthread_mutex_t done_lock;
	struct cow_job *done; /* overlay jobs finished by the cow pool */
	atomic_uint nconns; /* connections it owns, for choosing where to hand over */
	pthread_mutex_t inbox_lock;
	struct conn *inbox; /* handed over by the front, not yet taken up */
	uint8_t *rbuf;
	int spare_fd; /* kept open to refuse connections when out of descriptors */
	/* The front: the listening sockets in its epoll set, as of listen_gen. */
	struct source **polled;
	size_t npolled;
	atomic_uint listen_gen;
	bool draining; /* it has begun to finish its connections */
};

struct limits {
	unsigned int max_clients;
	unsigned int handshake_timeout;
	unsigned int idle_timeout;
	unsigned int max_options;
	unsigned int shutdown_timeout;
	enum tls_mode tls;
};

struct server {
	struct server_opts *o;
	/*
	 * The listening sockets the front is to poll. A change bumps listen_gen
	 * and wakes it; it brings its epoll set up to date at the top of its
	 * loop, so no event of a removed socket is still pending when it says it
	 * has (w->listen_gen).
	 */
	pthread_mutex_t listen_lock;
	struct source **lsrc;
	size_t nlsrc;
	atomic_uint listen_gen;
	bool front_started;
	unsigned int started; /* data loops running */
	atomic_bool draining; /* SIGTERM: finish what clients asked, then stop */
	struct worker front;
	struct worker *workers; /* the data loops */
	unsigned int nworkers;
	atomic_uint next_worker; /* where the search for the least busy loop starts */
	atomic_uint clients;
	atomic_bool stopping;
	pthread_rwlock_t lock; /* guards allow, limits and tls across reloads */
	struct acl allow;
	struct limits lim;
	struct tls_server *tls; /* for new TLS sessions; each session holds a reference */
	struct status status;
	pthread_t main_thread; /* takes the signals and writes the status file */
	bool status_warned;
};

/* Milliseconds on the monotonic clock. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A read waits for readahead: the worker retries it every few milliseconds. */
#define WAIT_POLL_MS 2
/* After this long, read anyway, blocking, so a client always makes progress. */
#define WAIT_MAX_MS 1000

static void update_events(struct conn *c)
{
	uint32_t ev = 0;

	if (c->phase == P_TRANSMISSION && c->tx.deferred && !c->waiting) {
		c->waiting = true;
		c->wait_since = now_ms();
		c->dnext = c->w->waiting;
		c->w->waiting = c;
	}

	if (c->lingering) {
		ev = EPOLLIN;
	} else if (c->phase == P_TLS_HANDSHAKE) {
		ev = tls_conn_want_write(c->tls) ? EPOLLOUT : EPOLLIN;
	} else {
		/*
		 * A deferred read is retried by the worker, an overlay job reports
		 * back: either way the connection waits, not for socket events.
		 */
		bool deferred = c->phase == P_TRANSMISSION &&
				(c->tx.deferred || c->tx.job);

		if (!c->closing && !c->start_tls && !c->pend && c->q.bytes <= OUT_HIGH &&
		    !deferred)
			ev |= EPOLLIN;
		/*
		 * Input held back (pend) is taken up again from the EPOLLOUT handler
		 * once the backlog is low. If the backlog drained completely
		 * meanwhile, nothing else would ever wake this connection: ask for
		 * EPOLLOUT anyway, which an empty socket buffer reports at once.
		 */
		if (!outq_empty(&c->q) ||
		    (c->pend && !c->closing && !c->start_tls && !deferred))
			ev |= EPOLLOUT;
	}
	if (ev == c->events)
		return;
	struct epoll_event e = { .events = ev, .data.ptr = &c->src };
	if (epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->src.fd, &e) == 0)
		c->events = ev;
}

static void conn_link(struct worker *w, struct conn *c)
{
	c->w = w;
	c->prev = NULL;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
}

static void conn_unlink(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void conn_free(struct conn *c, const char *why)
{
	struct worker *w = c->w;

	if (why)
		log_info("%s: disconnected: %s", c->name, why);
	else if (c->phase == P_TRANSMISSION)
		log_info("%s: disconnected after %" PRIu64 " requests, %" PRIu64
			 " bytes read, %" PRIu64 " reads waited for the disk",
			 c->name, c->tx.requests, c->tx.bytes_read, c->tx.deferrals);
	if (c->waiting) {
		for (struct conn **p = &w->waiting; *p; p = &(*p)->dnext) {
			if (*p == c) {
				*p = c->dnext;
				break;
			}
		}
	}
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
	if (c->tls)
		tls_conn_free(c->tls);
	close(c->src.fd);
	if (c->hs) {
		hs_free(c->hs);
		free(c->hs);
	}
	tx_free(&c->tx);
	outq_clear(&c->q);
	free(c->pend);
	if (c->att)
		status_detach(&w->s->status, c->att);
	conn_unlink(c);
	atomic_fetch_sub(&w->nconns, 1);
	atomic_fetch_sub(&w->s->clients, 1);
	free(c);
}

/* A pool thread finished an overlay job: hand it to its event loop. */
static void cow_job_complete(struct cow_job *j)
{
	struct worker *w = j->loop;
	uint64_t one = 1;
	bool was_empty;

	pthread_mutex_lock(&w->done_lock);
	was_empty = !w->done;
	j->next = w->done;
	w->done = j;
	pthread_mutex_unlock(&w->done_lock);
	if (was_empty && write(w->event.fd, &one, sizeof(one)) < 0)
		log_warn_errno(-errno, "cannot wake an event loop");
}

static bool conn_input(struct conn *c);
static bool conn_flush(struct conn *c);

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

static int hs_get(void *opaque, const char *name, struct export **ret)
{
	struct conn *c = opaque;

	return export_table_get(c->w->s->o->exports, name, (struct sockaddr *)&c->peer,
				ret);
}

static int hs_list(void *opaque, int (*fn)(void *, const char *, const char *),
		   void *data)
{
	struct conn *c = opaque;

	return export_table_list(c->w->s->o->exports, (struct sockaddr *)&c->peer, fn,
				 data);
}

static const struct hs_ops handshake_ops = { .get = hs_get, .list = hs_list };

/* The handshake chose an export: set up the transmission phase. */
static int enter_transmission(struct conn *c)
{
	struct handshake *h = c->hs;
	struct export *e = TAKE_PTR(h->export);
	int r;

	tx_init(&c->tx, e, h->structured, h->export_meta, !c->tls);
	c->tx.nowait = true;
	if (e->cow != COW_OFF) {
		/* Overlay I/O runs in the cow pool; take_over() names the loop. */
		c->tx.cow_done = cow_job_complete;
		c->tx.cow_loop = c->w;
		c->tx.cow_owner = c;
		char key[64];

		sockaddr_format((struct sockaddr *)&c->peer, key, sizeof(key), false);
		r = cow_open(e, e->cow == COW_KEEP ? key : NULL, &c->tx.cow);
		if (r < 0)
			return r;
	}
	log_info("%s: export '%s' (%s, %s, generation %u)%s%s", c->name, e->name,
		 e->canonical, e->fstype, e->generation,
		 h->structured ? ", structured replies" : "", c->tls ? ", TLS" : "");
	c->att = status_attach(&c->w->s->status, c->name, e);
	if (!c->att)
		log_warn("%s: out of memory: not in the status table", c->name);
	hs_free(h);
	free(h);
	c->hs = NULL;
	c->phase = P_TRANSMISSION;
	c->deadline = 0; /* the handshake's; a closing connection sets its own */
	return 0;
}

/* The handshake is over and the front loop is to hand the connection on. */
static bool handed_over(const struct conn *c)
{
	return c->phase == P_TRANSMISSION && c->w->front;
}

/*
 * Consume client bytes according to the phase. Returns how many were used;
 * fewer than len means the connection must wait (output backlog, TLS) or close.
 */
static ssize_t process(struct conn *c, const uint8_t *buf, size_t len, size_t limit)
{
	size_t pos = 0;
	ssize_t n;

	while (pos < len && !c->closing && !c->start_tls && !handed_over(c)) {
		if (c->phase == P_HANDSHAKE) {
			n = hs_feed(c->hs, buf + pos, len - pos, &c->q);
			if (n < 0)
				return n;
			pos += n;
			switch (c->hs->result) {
			case HS_CONTINUE:
				break;
			case HS_TRANSMISSION:
				n = enter_transmission(c);
				if (n < 0) {
					log_errno(n, "%s: cannot set up export", c->name);
					c->closing = true;
					return len;
				}
				break;
			case HS_STARTTLS:
				if (pos < len) {
					/* Nothing may follow STARTTLS before our reply.
					 */
					c->closing = true;
					return len;
				}
				c->start_tls = true;
				break;
			case HS_CLOSE:
				if (c->hs->why)
					log_info("%s: handshake ended: %s", c->name,
						 c->hs->why);
				c->closing = true;
				return len;
			}
			continue;
		}
		if (c->phase != P_TRANSMISSION)
			break;
		n = tx_feed(&c->tx, buf + pos, len - pos, &c->q, limit);
		if (n < 0)
			return n;
		pos += n;
		if (c->tx.disc || c->tx.why) {
			if (c->tx.why)
				log_info("%s: dropped: %s", c->name, c->tx.why);
			c->closing = true;
			return len;
		}
		if (pos < len)
			break; /* backlog: keep the rest for later */
	}
	return pos;
}

static ssize_t conn_recv(struct conn *c, uint8_t *buf, size_t len)
{
	ssize_t n;

	if (c->tls)
		return tls_conn_recv(c->tls, buf, len);
	n = recv(c->src.fd, buf, len, 0);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	return n;
}

/* Send what is queued; 0 or -EAGAIN, or a negative errno when the connection broke. */
static int conn_send(struct conn *c)
{
	if (!c->tls)
		return outq_send(&c->q, c->src.fd);
	for (;;) {
		struct outq_chunk ch;
		int r = outq_peek(&c->q, c->w->rbuf, 16384, &ch);
		ssize_t n;

		if (r < 0)
			return r;
		if (ch.len == 0)
			return 0;
		n = tls_conn_send(c->tls, ch.p, ch.len);
		if (n < 0)
			return n;
		outq_consume(&c->q, n);
	}
}

static bool start_tls(struct conn *c);

/* Has the client sent something we have not read? */
static bool input_waiting(struct conn *c)
{
	int n = 0;

	if (c->pend || (c->tls && tls_conn_pending(c->tls)))
		return true;
	return ioctl(c->src.fd, FIONREAD, &n) == 0 && n > 0;
}

/* Has the client acknowledged every byte we sent? */
static bool all_acked(struct conn *c)
{
	int n = 0;

	return c->peer.ss_family == AF_UNIX || ioctl(c->src.fd, SIOCOUTQ, &n) < 0 ||
	       n == 0;
}

/*
 * Shutting down, every reply is out: close our side and read (dropping it)
 * whatever the client still sends until it closes too, or has at least
 * received all we sent. Closing a socket with unread input resets the
 * connection, and a reset throws away replies the kernel has not sent yet.
 */
static bool conn_linger(struct conn *c)
{
	int n = 0;

	if (c->tls)
		tls_conn_bye(c->tls);
	shutdown(c->src.fd, SHUT_WR);
	if ((ioctl(c->src.fd, FIONREAD, &n) < 0 || n == 0) && all_acked(c)) {
		conn_free(c, NULL);
		return false;
	}
	c->lingering = true;
	update_events(c);
	return true;
}

/* Read and drop what a lingering connection sends; false once it was freed. */
static bool linger_input(struct conn *c)
{
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->src.fd, c->w->rbuf, RBUF_SIZE, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_free(c, NULL);
			return false;
		}
	}
	if (all_acked(c)) {
		conn_free(c, NULL);
		return false;
	}
	return true;
}

/* Returns false when the connection was freed. */
static bool conn_flush(struct conn *c)
{
	int r = conn_send(c);

	if (r < 0 && r != -EAGAIN) {
		conn_free(c, c->closing ? NULL : "connection lost");
		return false;
	}
	/*
	 * Shutting down: once the requests sent before are answered and every
	 * reply is out, close. Until then later requests are read and refused.
	 */
	if (c->phase == P_TRANSMISSION && !c->closing &&
	    c->tx.serve_until != UINT64_MAX && outq_empty(&c->q) && tx_drained(&c->tx) &&
	    !input_waiting(c))
		c->closing = true;
	if (outq_empty(&c->q)) {
		if (c->closing && atomic_load(&c->w->s->draining))
			return c->lingering || conn_linger(c);
		if (c->closing) {
			conn_free(c, NULL);
			return false;
		}
		if (c->start_tls)
			return start_tls(c);
	}
	if (c->closing && !c->deadline)
		c->deadline = now_ms() + CLOSE_GRACE * 1000;
	update_events(c);
	return true;
}

/* Keep unconsumed input until the output backlog drains. */
static int keep_pending(struct conn *c, const uint8_t *buf, size_t len)
{
	uint8_t *p = malloc(len);

	if (!p)
		return -ENOMEM;
	memcpy(p, buf, len);
	c->pend = p;
	c->pend_len = len;
	c->pend_off = 0;
	return 0;
}

/*
 * The handshake is over: give the connection to the data loop that has the
 * fewest. Its replies queued so far and what the client sent after its last
 * option (c->pend) go with it; the data loop takes it up as if it had just
 * become readable.
 */
static void hand_over(struct conn *c)
{
	struct server *s = c->w->s;
	struct worker *to = &s->workers[0];
	unsigned int start = atomic_fetch_add(&s->next_worker, 1), best = UINT_MAX;
	uint64_t one = 1;
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
	if (was_empty && write(to->event.fd, &one, sizeof(one)) < 0)
		log_warn_errno(-errno, "cannot wake an event loop");
}

static bool conn_input(struct conn *c);

static int add_source(int epfd, struct source *src, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = src };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, src->fd, &e) < 0 ? -errno : 0;
}

/* The front polls the listening sockets of the current generation, and no others. */
static void sync_listeners(struct worker *w)
{
	struct server *s = w->s;
	struct source **v;
	unsigned int gen;

	pthread_mutex_lock(&s->listen_lock);
	gen = atomic_load(&s->listen_gen);
	for (size_t i = 0; i < w->npolled; i++)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->polled[i]->fd, NULL);
	w->npolled = 0;
	v = realloc(w->polled, (s->nlsrc + 1) * sizeof(*v));
	if (v)
		w->polled = v;
	for (size_t i = 0; v && i < s->nlsrc; i++) {
		int r = add_source(w->epfd, s->lsrc[i], EPOLLIN);

		if (r < 0)
			log_errno(r, "cannot poll a listening socket");
		else
			w->polled[w->npolled++] = s->lsrc[i];
	}
	if (!v)
		log_errno(-ENOMEM, "cannot poll the listening sockets");
	atomic_store(&w->listen_gen, gen);
	pthread_mutex_unlock(&s->listen_lock);
}

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
static bool drain_conn(struct conn *c)
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
	if (c->tx.deferred || c->tx.job) {
		update_events(c);
		return true;
	}
	return c->pend ? conn_input(c) : conn_flush(c);
}

static void start_drain(struct worker *w)
{
	struct conn *c, *next;

	w->draining = true;
	for (c = w->conns; c; c = next) {
		next = c->next;
		drain_conn(c);
	}
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

/*
 * Read and process what the client sent. Returns false when the connection
 * was freed or handed over. Input the backlog keeps us from processing is kept in c->pend
 * and taken up again as soon as the socket takes our output.
 */
static bool conn_input(struct conn *c)
{
	struct worker *w = c->w;
	int rounds = 0;

	c->last_active = now_ms();
	for (;;) {
		ssize_t n, used;

		if (c->closing || c->start_tls || c->phase == P_TLS_HANDSHAKE ||
		    handed_over(c))
			break;
		if (c->phase == P_TRANSMISSION && (c->tx.deferred || c->tx.job))
			break; /* the worker goes on when its data is cached or its job
				  done */
		if (c->pend) {
			/* As below: with the socket full, prepare up to OUT_HIGH. */
			n = process(c, c->pend + c->pend_off, c->pend_len - c->pend_off,
				    c->q.bytes > FLUSH_MARK ? OUT_HIGH : FLUSH_MARK);
			if (n < 0) {
				conn_free(c, "out of memory");
				return false;
			}
			c->pend_off += n;
			if (c->pend_off == c->pend_len) {
				free(c->pend);
				c->pend = NULL;
			}
			if (!conn_flush(c))
				return false;
			/*
			 * Still held back and the socket full: EPOLLOUT brings us
			 * back when it drains. Trying again now would only spin on
			 * EAGAIN, taking the CPU from the client we wait for.
			 */
			if (c->pend && !outq_empty(&c->q) &&
			    (n == 0 || c->q.bytes > OUT_HIGH))
				return true;
			continue;
		}
		if (c->q.bytes > OUT_HIGH)
			break;
		if (rounds++ >= 16 && !(c->tls && tls_conn_pending(c->tls)))
			break; /* let the others have a turn; epoll reports the rest */
		n = conn_recv(c, w->rbuf, RBUF_SIZE);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			/* End of stream (or an error): replies to a gone client are moot.
			 */
			conn_free(c,
				  n == 0 ? (c->phase == P_TRANSMISSION ? NULL
								       : "client closed")
					 : "connection lost");
			return false;
		}
		used = 0;
		for (size_t limit = FLUSH_MARK;;) {
			ssize_t u = process(c, w->rbuf + used, n - used, limit);

			if (u < 0) {
				conn_free(c, "out of memory");
				return false;
			}
			used += u;
			if (used == n || c->closing || c->start_tls || handed_over(c))
				break;
			/* A request waits for the disk or the cow pool; keep the rest. */
			if (c->phase == P_TRANSMISSION && (c->tx.deferred || c->tx.job))
				break;
			/* Replies piled up: send them, and go on while the socket takes
			 * them. */
			if (!conn_flush(c))
				return false;
			if (c->q.bytes > OUT_HIGH)
				break;
			/* A full socket: prepare more while the client catches up. */
			limit = c->q.bytes > FLUSH_MARK ? OUT_HIGH : FLUSH_MARK;
		}
		if (used < n && !c->closing && !c->start_tls &&
		    keep_pending(c, w->rbuf + used, n - used) < 0) {
			conn_free(c, "out of memory");
			return false;
		}
		/* Send as we go, so large batches do not pile up in memory. */
		if (!outq_empty(&c->q) && !conn_flush(c))
			return false;
		if ((size_t)n < RBUF_SIZE && !c->pend &&
		    !(c->tls && tls_conn_pending(c->tls)))
			break;
	}
	if (handed_over(c)) {
		/*
		 * Send the end of the handshake from here: the data loop takes
		 * the connection up only after the events it is busy with, and
		 * the client's handshake is not over until it has the reply.
		 */
		int r = conn_send(c);

		if (r < 0 && r != -EAGAIN) {
			conn_free(c, "connection lost");
			return false;
		}
		hand_over(c);
		return false;
	}
	return conn_flush(c);
}

/* Returns false when the connection was freed. */
static bool tls_step(struct conn *c)
{
	int r = tls_conn_handshake(c->tls);

	if (r == -EAGAIN) {
		update_events(c);
		return true;
	}
	if (r < 0) {
		conn_free(c, "TLS handshake failed");
		return false;
	}
	log_info("%s: TLS established (%s)", c->name, tls_conn_peer(c->tls));
	c->phase = P_HANDSHAKE;
	hs_tls_started(c->hs);
	update_events(c);
	/* The client may have sent its next option along with the handshake's end. */
	if (tls_conn_pending(c->tls))
		return conn_input(c);
	return true;
}

static bool start_tls(struct conn *c)
{
	int r;

	c->start_tls = false;
	pthread_rwlock_rdlock(&c->w->s->lock);
	r = tls_conn_new(c->w->s->tls, c->src.fd, &c->tls);
	pthread_rwlock_unlock(&c->w->s->lock);
	if (r < 0) {
		conn_free(c, "cannot start TLS");
		return false;
	}
	c->phase = P_TLS_HANDSHAKE;
	return tls_step(c);
}

static void on_conn(struct conn *c, uint32_t ev)
{
	if (c->lingering) {
		linger_input(c);
		return;
	}
	if (c->phase == P_TLS_HANDSHAKE) {
		if (ev & (EPOLLERR | EPOLLHUP) && !(ev & EPOLLIN)) {
			conn_free(c, "connection lost");
			return;
		}
		tls_step(c);
		return;
	}
	if (ev & EPOLLOUT) {
		if (!conn_flush(c))
			return;
		/* Output drained below the mark: resume what was held back. */
		if (c->pend && c->q.bytes <= OUT_HIGH && !conn_input(c))
			return;
	}
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/*
		 * Only flushing, or a read waits for the disk, and the socket broke:
		 * nothing can reach the client any more (and the event would
		 * repeat until we stop listening).
		 */
		if ((c->closing ||
		     (c->phase == P_TRANSMISSION && (c->tx.deferred || c->tx.job))) &&
		    (ev & (EPOLLHUP | EPOLLERR))) {
			conn_free(c, c->closing ? NULL : "connection lost");
			return;
		}
		if (c->closing)
			return;
		conn_input(c);
	}
}

/* Returns false when no connection was waiting. */
static bool accept_one(struct worker *w, struct source *l)
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

static void *worker_main(void *arg)
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

static void apply_settings(struct server *s, const struct config *c,
			   struct tls_server *tls)
{
	struct acl fresh = { 0 };

	if (c->allow.n) {
		fresh.v = malloc(c->allow.n * sizeof(*fresh.v));
		if (fresh.v) {
			memcpy(fresh.v, c->allow.v, c->allow.n * sizeof(*fresh.v));
			fresh.n = c->allow.n;
		}
	}
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

static int worker_init(struct server *s, struct worker *w, bool front)
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

static void worker_fini(struct worker *w)
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
	free(w->polled);
	if (w->spare_fd >= 0)
		close(w->spare_fd);
	pthread_mutex_destroy(&w->inbox_lock);
	pthread_mutex_destroy(&w->done_lock);
}

static void worker_stop(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->event.fd, &one, sizeof(one)) < 0)
		log_warn_errno(-errno, "cannot wake an event loop");
	pthread_join(w->thread, NULL);
}

static void wake(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->event.fd, &one, sizeof(one)) < 0)
		log_warn_errno(-errno, "cannot wake an event loop");
}

/* Every loop running, the front and the data loops. */
static void wake_all(struct server *s)
{
	if (s->front_started)
		wake(&s->front);
	for (unsigned int i = 0; i < s->started; i++)
		wake(&s->workers[i]);
}

/*
 * Make the front poll the listening sockets l[0..n) and wait until it does:
 * then no loop uses a socket that is not in l any more, and the caller may
 * close it.
 */
static int set_listeners(struct server *s, const struct listener *l, size_t n)
{
	struct source **v = calloc(n + 1, sizeof(*v)), **old;
	size_t nold;
	unsigned int gen;

	for (size_t i = 0; v && i < n; i++) {
		v[i] = malloc(sizeof(**v));
		if (!v[i]) {
			while (i > 0)
				free(v[--i]);
			free(v);
			v = NULL;
			break;
		}
		*v[i] = (struct source){ .kind = K_LISTENER, .fd = l[i].fd };
	}
	if (!v)
		return -ENOMEM;
	pthread_mutex_lock(&s->listen_lock);
	old = s->lsrc;
	nold = s->nlsrc;
	s->lsrc = v;
	s->nlsrc = n;
	gen = atomic_fetch_add(&s->listen_gen, 1) + 1;
	pthread_mutex_unlock(&s->listen_lock);
	/* The front answers at the top of its loop, within one round of events. */
	if (s->front_started) {
		wake(&s->front);
		while ((int)(atomic_load(&s->front.listen_gen) - gen) < 0)
			usleep(1000);
	}
	for (size_t i = 0; i < nold; i++)
		free(old[i]);
	free(old);
	return 0;
}

static int64_t drain(struct server *s, const sigset_t *set)
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
static void reload(struct server *s)
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
	for (size_t i = 0; i < s.nlsrc; i++)
		free(s.lsrc[i]);
	free(s.lsrc);
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
