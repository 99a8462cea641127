// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One connection: reading what the client sends and feeding it to the phase
 * it is in (handshake, TLS handshake, transmission), sending the replies
 * queued, holding input back while the client does not read, and closing,
 * at once or (shutting down) once the client has every reply.
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
#include <linux/sockios.h>
#include <netinet/in.h>

#include "log.h"
#include "server-internal.h"
#include "util.h"

void update_events(struct conn *c)
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
		bool deferred = conn_waits_for_io(c);

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

void conn_link(struct worker *w, struct conn *c)
{
	c->w = w;
	c->prev = NULL;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
}

void conn_unlink(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

void conn_free(struct conn *c, const char *why)
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

const struct hs_ops handshake_ops = { .get = hs_get, .list = hs_list };

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
					/* Nothing may follow STARTTLS before our
					 * reply. */
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

ssize_t conn_recv(struct conn *c, uint8_t *buf, size_t len)
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
bool all_acked(struct conn *c)
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
bool conn_flush(struct conn *c)
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
 * Read and process what the client sent. Returns false when the connection
 * was freed or handed over. Input the backlog keeps us from processing is kept in c->pend
 * and taken up again as soon as the socket takes our output.
 */
bool conn_input(struct conn *c)
{
	struct worker *w = c->w;
	int rounds = 0;

	c->last_active = now_ms();
	for (;;) {
		ssize_t n, used;

		if (c->closing || c->start_tls || c->phase == P_TLS_HANDSHAKE ||
		    handed_over(c))
			break;
		if (conn_waits_for_io(c))
			break; /* the loop goes on with it when that is done */
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
			/* End of stream (or an error): replies to a gone client
			 * are moot. */
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
			if (conn_waits_for_io(c))
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

void on_conn(struct conn *c, uint32_t ev)
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
		if ((c->closing || conn_waits_for_io(c)) &&
		    (ev & (EPOLLHUP | EPOLLERR))) {
			conn_free(c, c->closing ? NULL : "connection lost");
			return;
		}
		if (c->closing)
			return;
		conn_input(c);
	}
}
