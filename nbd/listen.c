// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "util.h"
#include "vector.h"

DEFINE_VECTOR(listener_vector, struct listener);

#define BACKLOG 4096 /* the kernel caps it at net.core.somaxconn */
#define SD_LISTEN_FDS_START 3

int split_host_port(const char *s, char *host, size_t hostlen, const char **port)
{
	const char *colon;
	size_t n;

	*port = NULL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end)
			return -EINVAL;
		n = end - s - 1;
		if (end[1] == ':')
			*port = end + 2;
		else if (end[1])
			return -EINVAL;
		s++;
	} else {
		colon = strchr(s, ':');
		if (colon && !strchr(colon + 1, ':')) {
			n = colon - s;
			*port = colon + 1;
		} else {
			n = strlen(s);
		}
	}
	if (n == 0 || n >= hostlen || (*port && !**port))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

void sockaddr_format(const struct sockaddr *sa, char *buf, size_t len, bool with_port)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		if (with_port)
			snprintf(buf, len, "%s:%u", a, ntohs(s->sin_port));
		else
			snprintf(buf, len, "%s", a);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			inet_ntop(AF_INET, &s->sin6_addr.s6_addr[12], a, sizeof(a));
		else
			inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		if (!with_port)
			snprintf(buf, len, "%s", a);
		else if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			snprintf(buf, len, "%s:%u", a, ntohs(s->sin6_port));
		else
			snprintf(buf, len, "[%s]:%u", a, ntohs(s->sin6_port));
	} else {
		snprintf(buf, len, "unix");
	}
}

static int add(listener_vector *v, int fd, bool is_unix, const char *desc)
{
	struct listener l = { .fd = fd, .is_unix = is_unix };

	snprintf(l.desc, sizeof(l.desc), "%s", desc);
	return listener_vector_append(v, l);
}

/* Sockets of an earlier set that the new one may take over instead of binding again. */
struct reuse {
	struct listener *v;
	size_t n;
};

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

/* The socket of the earlier set listening on sa (or the unix path), if any. */
static int reuse_take(struct reuse *ru, const struct sockaddr *sa, const char *path)
{
	for (size_t i = 0; ru && i < ru->n; i++) {
		struct listener *l = &ru->v[i];
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (l->kept || l->systemd)
			continue;
		if (path) {
			if (l->is_unix && strcmp(l->desc, path) == 0) {
				l->kept = true;
				return l->fd;
			}
			continue;
		}
		if (l->is_unix || getsockname(l->fd, (struct sockaddr *)&ss, &sl) < 0)
			continue;
		if (same_addr((struct sockaddr *)&ss, sa)) {
			l->kept = true;
			return l->fd;
		}
	}
	return -1;
}

static void describe(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(buf, len, "fd %d", fd);
		return;
	}
	if (ss.ss_family == AF_UNIX)
		snprintf(buf, len, "%s", ((struct sockaddr_un *)&ss)->sun_path);
	else
		sockaddr_format((struct sockaddr *)&ss, buf, len, true);
}

static int from_systemd(listener_vector *v)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned int nfds, lpid;

	if (!pid || !fds)
		return 0;
	if (parse_uint(pid, 1, UINT32_MAX, &lpid) < 0 || lpid != (unsigned int)getpid())
		return 0;
	if (parse_uint(fds, 0, 1024, &nfds) < 0)
		return log_errno(-EINVAL, "bad LISTEN_FDS '%s'", fds);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (unsigned int i = 0; i < nfds; i++) {
		int fd = SD_LISTEN_FDS_START + i, r;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char desc[128];

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
			return log_errno(-errno,
					 "socket activation: fd %d is not a socket", fd);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		describe(fd, desc, sizeof(desc));
		r = add(v, fd, ss.ss_family == AF_UNIX, desc);
		if (r < 0)
			return r;
		v->ptr[v->len - 1].systemd = true;
	}
	return nfds;
}

static int listen_tcp(const char *spec, unsigned int default_port, struct reuse *ru,
		      listener_vector *v)
{
	char host[256], portbuf[16], desc[128];
	const char *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	bool any = !spec;
	int r, count = 0;

	if (spec && split_host_port(spec, host, sizeof(host), &port) < 0)
		return log_errno(-EINVAL, "bad listen address '%s'", spec);
	if (!port) {
		snprintf(portbuf, sizeof(portbuf), "%u", default_port);
		port = portbuf;
	}
	if (any)
		hints.ai_family = AF_INET6; /* one dual-stack socket; IPv4 alone below if
					       need be */
	r = getaddrinfo(any ? NULL : host, port, &hints, &res);
	if (r != 0 && any) {
		hints.ai_family = AF_INET;
		r = getaddrinfo(NULL, port, &hints, &res);
	}
	if (r != 0) {
		log_error("cannot resolve listen address '%s': %s", spec ? spec : "*",
			  gai_strerror(r));
		return -EADDRNOTAVAIL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = reuse_take(ru, ai->ai_addr, NULL);
		int one = 1, v6only = any ? 0 : 1;

		if (fd >= 0) {
			describe(fd, desc, sizeof(desc));
			r = add(v, fd, false, desc);
			if (r < 0) {
				freeaddrinfo(res);
				return r;
			}
			count++;
			continue;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			if (any && errno == EAFNOSUPPORT) {
				freeaddrinfo(res);
				hints.ai_family = AF_INET;
				if (getaddrinfo(NULL, port, &hints, &res) != 0)
					return -EAFNOSUPPORT;
				ai = res;
				fd = socket(ai->ai_family,
					    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
					    0);
			}
			if (fd < 0) {
				r = log_errno(-errno, "cannot create a socket");
				freeaddrinfo(res);
				return r;
			}
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
				   sizeof(v6only));
		sockaddr_format(ai->ai_addr, desc, sizeof(desc), true);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    listen(fd, BACKLOG) < 0) {
			r = log_errno(-errno, "cannot listen on %s", desc);
			close(fd);
			freeaddrinfo(res);
			return r;
		}
		describe(fd, desc, sizeof(desc));
		r = add(v, fd, false, desc);
		if (r < 0) {
			close(fd);
			freeaddrinfo(res);
			return r;
		}
		count++;
	}
	freeaddrinfo(res);
	return count;
}

static int listen_unix(const char *path, struct reuse *ru, listener_vector *v)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return log_errno(-ENAMETOOLONG, "cannot listen on %s", path);
	fd = reuse_take(ru, NULL, path);
	if (fd >= 0) {
		r = add(v, fd, true, path);
		if (r == 0)
			v->ptr[v->len - 1].owned_path = true;
		return r;
	}
	strcpy(sa.sun_path, path);
	/* A socket left by an earlier run is in the way; anything else is not ours to
	 * remove. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_errno(-errno, "cannot create a socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, BACKLOG) < 0) {
		r = log_errno(-errno, "cannot listen on %s", path);
		close(fd);
		return r;
	}
	r = add(v, fd, true, path);
	if (r < 0) {
		close(fd);
		unlink(path);
		return r;
	}
	v->ptr[v->len - 1].owned_path = true;
	return r;
}

static int open_configured(const struct config *c, struct reuse *ru, listener_vector *v)
{
	int r = 0;

	if (c->n_listen == 0 && !c->unix_path)
		r = listen_tcp(NULL, c->port, ru, v);
	for (size_t i = 0; r >= 0 && i < c->n_listen; i++)
		r = listen_tcp(c->listen[i], c->port, ru, v);
	if (r >= 0 && c->unix_path)
		r = listen_unix(c->unix_path, ru, v);
	return r;
}

int listen_open(const struct config *c, struct listener **ret, size_t *ret_n)
{
	listener_vector v = { 0 };
	int r;

	r = from_systemd(&v);
	if (r == 0)
		r = open_configured(c, NULL, &v);
	if (r >= 0 && v.len == 0) {
		log_error("no socket to listen on");
		r = -EINVAL;
	}
	if (r < 0) {
		listen_close(v.ptr, v.len);
		return r;
	}
	*ret = v.ptr;
	*ret_n = v.len;
	return 0;
}

int listen_update(const struct config *c, struct listener *cur, size_t ncur,
		  struct listener **ret, size_t *ret_n)
{
	struct reuse ru = { cur, ncur };
	listener_vector v = { 0 };
	int r = 0;

	for (size_t i = 0; i < ncur; i++)
		cur[i].kept = false;
	for (size_t i = 0; i < ncur && r == 0; i++) {
		if (cur[i].systemd) {
			cur[i].kept = true;
			r = add(&v, cur[i].fd, cur[i].is_unix, cur[i].desc);
			if (r == 0)
				v.ptr[v.len - 1].systemd = true;
		}
	}
	/* With systemd's sockets the listening settings are systemd's. */
	if (r == 0 && v.len == 0)
		r = open_configured(c, &ru, &v);
	if (r >= 0 && v.len == 0) {
		log_error("no socket to listen on");
		r = -EINVAL;
	}
	if (r < 0) {
		listen_abandon(cur, ncur, v.ptr, v.len);
		return r;
	}
	*ret = v.ptr;
	*ret_n = v.len;
	return 0;
}

bool listen_is_new(const struct listener *cur, size_t ncur, const struct listener *l)
{
	for (size_t i = 0; i < ncur; i++)
		if (cur[i].kept && cur[i].fd == l->fd)
			return false;
	return true;
}

void listen_abandon(struct listener *cur, size_t ncur, struct listener *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!listen_is_new(cur, ncur, &v[i]))
			continue;
		close(v[i].fd);
		if (v[i].owned_path)
			unlink(v[i].desc);
	}
	for (size_t i = 0; i < ncur; i++)
		cur[i].kept = false;
	free(v);
}

static void close_one(struct listener *l)
{
	close(l->fd);
	if (l->owned_path)
		unlink(l->desc);
}

void listen_close(struct listener *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close_one(&l[i]);
	free(l);
}

void listen_close_unkept(struct listener *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!l[i].kept)
			close_one(&l[i]);
	free(l);
}
