/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the parts of the server share: a connection (connection.c: its I/O
 * and protocol phases), the event loops and the hand-over of connections
 * from the front to the data loops (loop.c), finishing the clients' requests
 * at shutdown (drain.c), reloading the configuration (reload.c), and
 * server_run() with the status table (server.c).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "cow.h"
#include "handshake.h"
#include "listen.h"
#include "outq.h"
#include "server.h"
#include "status.h"
#include "tls.h"
#include "transmission.h"
#include "vector.h"

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

DEFINE_VECTOR(source_vector, struct source *);

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
	/* Shutting down: output closed, reading until the client closes. */
	bool lingering;
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
	source_vector polled;
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
	source_vector lsrc;
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
static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A read waits for readahead: the worker retries it every few milliseconds. */
#define WAIT_POLL_MS 2
/* After this long, read anyway, blocking, so a client always makes progress. */
#define WAIT_MAX_MS 1000

/*
 * A request of c waits for the disk (a read deferred until readahead brought
 * its data into the page cache) or for the overlay pool (a job): the loop
 * goes on with c when that is done, not when its socket is readable.
 */
static inline bool conn_waits_for_io(const struct conn *c)
{
	return c->phase == P_TRANSMISSION && (c->tx.deferred || c->tx.job);
}

/* connection.c */
extern const struct hs_ops handshake_ops;
void update_events(struct conn *c);
void conn_link(struct worker *w, struct conn *c);
void conn_unlink(struct conn *c);
/* Close and free c, logging why (NULL: a normal end). */
void conn_free(struct conn *c, const char *why);
ssize_t conn_recv(struct conn *c, uint8_t *buf, size_t len);
/* These return false when the connection was freed (or handed over). */
bool conn_input(struct conn *c);
bool conn_flush(struct conn *c);
bool all_acked(struct conn *c);
void on_conn(struct conn *c, uint32_t ev);

/* loop.c */
/* Wake a loop: connections handed over, overlay jobs done, or stop. */
void wake(struct worker *w);
void wake_all(struct server *s);
void cow_job_complete(struct cow_job *j);
void hand_over(struct conn *c);
bool accept_one(struct worker *w, struct source *l);
int set_listeners(struct server *s, const struct listener *l, size_t n);
int worker_init(struct server *s, struct worker *w, bool front);
void worker_fini(struct worker *w);
void worker_stop(struct worker *w);
void *worker_main(void *arg);

/* drain.c */
bool drain_conn(struct conn *c);
void start_drain(struct worker *w);
/* SIGTERM: finish what the clients asked; returns how long it took, in ms. */
int64_t drain(struct server *s, const sigset_t *set);

/* reload.c */
void apply_settings(struct server *s, const struct config *c, struct tls_server *tls);
void reload(struct server *s);
