// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Attach an NBD export to /dev/nbdN with no process left behind: the newstyle
 * handshake is done here, in userspace (NBD_OPT_GO, else NBD_OPT_EXPORT_NAME,
 * or the old style), then the connected socket is handed to the kernel with
 * the generic-netlink NBD_CMD_CONNECT, together with the export's size, block
 * size and flags and a dead-connection timeout.
 *
 * With --watch a small watcher stays: it listens for the kernel's LINK_DEAD
 * notification (the server went away), connects again with the same
 * handshake, and gives the new socket to the kernel with NBD_CMD_RECONFIGURE.
 * While it does, I/O waits in the kernel for up to the dead-connection
 * timeout instead of failing, so a restarted server costs the client a pause,
 * not its root file system.
 *
 * A server that names the generation it serves (nbdexport answers
 * NBD_INFO_NAME with NAME@ID) pins the device to it: the watcher asks for
 * exactly NAME@ID again and takes the new socket only if the server confirms
 * that name and the size. Another generation has other blocks under the same
 * offsets; attaching it under a mounted file system corrupts what the client
 * reads, so when the generation is gone the watcher says so and waits (or,
 * with --lost fail, disconnects the device so reads fail).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/nbd-netlink.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "nbd-client.h"
#include "log.h"
#include "nbd-protocol.h"
#include "netlink.h"
#include "util.h"

#define HANDSHAKE_TIMEOUT_S 10

struct target {
	const char *server;
	unsigned int port;
	const char *export;
	struct endpoint ep;
	char text[320]; /* "host:port" or "host:port/export", for messages */
	char hostport[100];
	char backend[340]; /* what /sys/block/nbdN/backend shows */
	char pin[512]; /* NAME@ID: the generation the device is pinned to */
	bool named; /* the server gave a canonical name at attach */
	bool lost_fail; /* --lost fail */
};

static void usage(void)
{
	printf("Usage: pxeroot-helper nbd-connect [OPTIONS] SERVER PORT\n"
	       "\n"
	       "Attach an NBD export to a free /dev/nbdN and print the device.\n"
	       "\n"
	       "  -e, --export NAME         the export name (default: the server's default)\n"
	       "  -t, --timeout SECS        I/O timeout before the connection counts as dead\n"
	       "                            (default 60)\n"
	       "  -d, --dead-timeout SECS   how long I/O waits for a reconnection (default 3600)\n"
	       "  -w, --watch               leave a watcher that reconnects when the server\n"
	       "                            comes back\n"
	       "  -c, --connect-timeout SECS  TCP connection time limit (default 5)\n"
	       "  -l, --lost wait|fail      when the server no longer serves the generation\n"
	       "                            attached: keep trying (default) or disconnect\n"
	       "  -L, --log FILE            the watcher also appends its messages to FILE\n"
	       "  -h, --help\n");
}

/* ---- the handshake ---- */

static int xread(int fd, void *buf, size_t len)
{
	int r = read_full(fd, buf, len);

	/* A server that hangs up mid-handshake is an answer too. */
	return r == -EPIPE ? -ECONNRESET : r;
}

static int read_be64(int fd, uint64_t *v)
{
	int r = xread(fd, v, 8);
	*v = be64toh(*v);
	return r;
}

static int read_be32(int fd, uint32_t *v)
{
	int r = xread(fd, v, 4);
	*v = be32toh(*v);
	return r;
}

static int read_be16(int fd, uint16_t *v)
{
	int r = xread(fd, v, 2);
	*v = be16toh(*v);
	return r;
}

static int send_option(int fd, uint32_t opt, const void *data, uint32_t len)
{
	struct {
		uint64_t magic;
		uint32_t opt;
		uint32_t len;
	} __attribute__((packed))
	h = { htobe64(NBD_IHAVEOPT), htobe32(opt), htobe32(len) };
	int r = write_full(fd, &h, sizeof(h));

	return r < 0 || !len ? r : write_full(fd, data, len);
}

static int go(int fd, const char *export, struct export_info *info, char *why,
	      size_t whylen)
{
	static const uint16_t want[] = { NBD_INFO_BLOCK_SIZE, NBD_INFO_NAME,
					 NBD_INFO_DESCRIPTION };
	uint32_t nlen = strlen(export);
	size_t len = 4 + nlen + 2 + 2 * ARRAY_SIZE(want);
	_cleanup_free_ char *req = malloc(len);
	bool have_export = false;
	uint32_t v32;
	uint16_t v16;
	int r;

	if (!req)
		return -ENOMEM;
	v32 = htobe32(nlen);
	memcpy(req, &v32, 4);
	memcpy(req + 4, export, nlen);
	v16 = htobe16(ARRAY_SIZE(want));
	memcpy(req + 4 + nlen, &v16, 2);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		v16 = htobe16(want[i]);
		memcpy(req + 6 + nlen + 2 * i, &v16, 2);
	}
	r = send_option(fd, NBD_OPT_GO, req, len);
	if (r < 0)
		return r;

	for (;;) {
		uint64_t magic;
		uint32_t opt, type, rlen;
		char data[1024];

		r = read_be64(fd, &magic);
		r = r ?: read_be32(fd, &opt);
		r = r ?: read_be32(fd, &type);
		r = r ?: read_be32(fd, &rlen);
		if (r < 0)
			return r;
		if (magic != NBD_REP_MAGIC || rlen > 65536)
			return -EPROTO;
		memset(data, 0, sizeof(data));
		/* Keep what fits; skip the rest of a long reply. */
		for (uint32_t left = rlen, off = 0; left;) {
			char skip[512];
			uint32_t n = MIN(left, (uint32_t)sizeof(skip));
			r = xread(fd, skip, n);
			if (r < 0)
				return r;
			if (off < sizeof(data) - 1) {
				uint32_t keep =
					MIN(n, (uint32_t)(sizeof(data) - 1 - off));
				memcpy(data + off, skip, keep);
				off += keep;
			}
			left -= n;
		}
		if (type == NBD_REP_ACK) {
			if (!have_export)
				return -EPROTO;
			return 0;
		}
		if (type == NBD_REP_INFO && rlen >= 2) {
			uint16_t itype;

			memcpy(&itype, data, 2);
			itype = be16toh(itype);
			if (itype == NBD_INFO_EXPORT && rlen >= 12) {
				memcpy(&info->size, data + 2, 8);
				info->size = be64toh(info->size);
				memcpy(&info->flags, data + 10, 2);
				info->flags = be16toh(info->flags);
				have_export = true;
			} else if (itype == NBD_INFO_BLOCK_SIZE && rlen >= 14) {
				memcpy(&info->min_block, data + 2, 4);
				memcpy(&info->pref_block, data + 6, 4);
				memcpy(&info->max_block, data + 10, 4);
				info->min_block = be32toh(info->min_block);
				info->pref_block = be32toh(info->pref_block);
				info->max_block = be32toh(info->max_block);
			} else if (itype == NBD_INFO_NAME &&
				   rlen - 2 < sizeof(info->name)) {
				/* A name cut short would pin to the wrong one: none. */
				memcpy(info->name, data + 2, rlen - 2);
				info->name[rlen - 2] = '\0';
			} else if (itype == NBD_INFO_DESCRIPTION) {
				snprintf(info->description, sizeof(info->description),
					 "%.255s", data + 2);
			}
			continue;
		}
		if (NBD_REP_IS_ERROR(type)) {
			/* Errors may carry a message from the server for people. */
			snprintf(why, whylen, "%.200s", rlen ? data : "");
			switch (type) {
			case NBD_REP_ERR_UNSUP:
				return -EOPNOTSUPP;
			case NBD_REP_ERR_UNKNOWN:
				return -ENOENT;
			case NBD_REP_ERR_POLICY:
				return -EACCES;
			case NBD_REP_ERR_TLS_REQD:
				return -EPROTONOSUPPORT;
			case NBD_REP_ERR_SHUTDOWN:
				return -ESHUTDOWN;
			default:
				return -EPROTO;
			}
		}
		/* Any other reply type is not for us; the server ends with ACK. */
	}
}

static int export_name(int fd, const char *export, bool no_zeroes,
		       struct export_info *info)
{
	char zeroes[124];
	int r = send_option(fd, NBD_OPT_EXPORT_NAME, export, strlen(export));

	r = r ?: read_be64(fd, &info->size);
	r = r ?: read_be16(fd, &info->flags);
	if (r == -ECONNRESET)
		return -ENOENT; /* the old way to say "no such export" is to hang up */
	if (r == 0 && !no_zeroes)
		r = xread(fd, zeroes, sizeof(zeroes));
	return r;
}

int nbd_client_handshake(int fd, const char *export, struct export_info *info, char *why,
			 size_t whylen)
{
	struct timeval tv = { .tv_sec = HANDSHAKE_TIMEOUT_S };
	uint64_t magic;
	uint16_t hs;
	uint32_t cflags;
	int r;

	memset(info, 0, sizeof(*info));
	why[0] = '\0';
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	r = read_be64(fd, &magic);
	if (r < 0)
		return r == -EAGAIN ? -ETIMEDOUT : r;
	if (magic != NBD_MAGIC)
		return -EPROTO;
	r = read_be64(fd, &magic);
	if (r < 0)
		return r;
	if (magic == NBD_OLD_MAGIC) {
		char zeroes[124];
		uint32_t flags;

		r = read_be64(fd, &info->size);
		r = r ?: read_be32(fd, &flags);
		r = r ?: xread(fd, zeroes, sizeof(zeroes));
		info->flags = flags & 0xffff;
	} else if (magic == NBD_IHAVEOPT) {
		r = read_be16(fd, &hs);
		if (r < 0)
			return r;
		cflags = htobe32(hs & (NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES));
		r = write_full(fd, &cflags, 4);
		if (r < 0)
			return r;
		r = -EOPNOTSUPP;
		if (hs & NBD_FLAG_FIXED_NEWSTYLE)
			r = go(fd, export, info, why, whylen);
		if (r == -EOPNOTSUPP)
			r = export_name(fd, export, hs & NBD_FLAG_NO_ZEROES, info);
	} else {
		r = -EPROTO;
	}
	if (r < 0)
		return r == -EAGAIN ? -ETIMEDOUT : r;

	/* The socket now belongs to the kernel's own time limits. */
	tv.tv_sec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return 0;
}

/* Connect and shake hands; returns the socket ready for the kernel. */
static int open_export(struct target *t, const char *export, int connect_timeout_s,
		       struct export_info *info, char *err, size_t errlen)
{
	char why[300];
	int on = 1, idle = 10, intvl = 5, cnt = 3;
	_cleanup_close_ int fd = tcp_connect(&t->ep, connect_timeout_s * 1000);
	int r;

	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to NBD server %s: %s", t->hostport,
			 strerror(-fd));
		return fd;
	}
	/* A server that vanishes without a word is noticed within half a minute. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));

	r = nbd_client_handshake(fd, export, info, why, sizeof(why));
	if (r == -ENOENT)
		snprintf(err, errlen, "NBD server %s has no export '%.100s'%s%.200s%s",
			 t->hostport, export, *why ? " (" : "", why, *why ? ")" : "");
	else if (r == -EPROTONOSUPPORT)
		snprintf(err, errlen,
			 "NBD server %s requires TLS, which is not supported",
			 t->hostport);
	else if (r == -EPROTO)
		snprintf(err, errlen, "%s does not speak the NBD protocol", t->text);
	else if (r < 0)
		snprintf(err, errlen, "NBD handshake with %.100s failed: %s%s%.200s%s",
			 t->text, strerror(-r), *why ? " (" : "", why, *why ? ")" : "");
	if (r < 0)
		return r;
	if (info->size == 0) {
		snprintf(err, errlen, "NBD export on %s is empty", t->text);
		return -EINVAL;
	}
	return TAKE_FD(fd);
}

/*
 * The device's logical block size. A file system cannot be mounted on a device
 * whose blocks are larger than its own (ext4 made with 1 KiB blocks on a
 * 4 KiB device is refused), so 512 unless the server demands more.
 */
static uint64_t pick_block_size(const struct export_info *info)
{
	uint64_t bs = 512;

	while (bs < info->min_block && bs < 4096)
		bs *= 2;
	return bs;
}

/* ---- the kernel side ---- */

static int put_socket(struct nlmsg *m, int sock)
{
	size_t socks = nla_nest_start(m, NBD_ATTR_SOCKETS);
	size_t item = nla_nest_start(m, NBD_SOCK_ITEM);
	int r = nla_put_u32(m, NBD_SOCK_FD, sock);

	nla_nest_end(m, item);
	nla_nest_end(m, socks);
	return socks == (size_t)-1 || item == (size_t)-1 ? -EMSGSIZE : r;
}

static void on_connect_reply(uint8_t cmd, const void *attrs, size_t len, void *ud)
{
	struct nla_view tb[NBD_ATTR_MAX + 1];

	nla_parse(attrs, len, tb, NBD_ATTR_MAX + 1);
	if (tb[NBD_ATTR_INDEX].data)
		*(int *)ud = nla_u32(&tb[NBD_ATTR_INDEX]);
	(void)cmd;
}

static int kernel_connect(int ctl, uint16_t family, int sock,
			  const struct export_info *info, unsigned int timeout,
			  unsigned int dead, const char *backend, int *ret_index)
{
	struct nlmsg m;
	int index = -1, r;

	genl_msg_init(&m, family, NBD_CMD_CONNECT, NBD_GENL_VERSION);
	r = nla_put_u64(&m, NBD_ATTR_SIZE_BYTES, info->size);
	r = r ?: nla_put_u64(&m, NBD_ATTR_BLOCK_SIZE_BYTES, pick_block_size(info));
	r = r ?: nla_put_u64(&m, NBD_ATTR_SERVER_FLAGS, info->flags);
	r = r ?: nla_put_u64(&m, NBD_ATTR_TIMEOUT, timeout);
	r = r ?: nla_put_u64(&m, NBD_ATTR_DEAD_CONN_TIMEOUT, dead);
	r = r ?: nla_put_str(&m, NBD_ATTR_BACKEND_IDENTIFIER, backend);
	r = r ?: put_socket(&m, sock);
	if (r < 0)
		return r;
	r = genl_call(ctl, &m, on_connect_reply, &index);
	if (r < 0)
		return r;
	if (index < 0)
		return -EPROTO;
	*ret_index = index;
	return 0;
}

/* Take the device's connection away for good: waiting I/O fails at once. */
static int kernel_disconnect(uint16_t family, int index)
{
	_cleanup_close_ int ctl = genl_open(0);
	struct nlmsg m;
	int r;

	if (ctl < 0)
		return ctl;
	genl_msg_init(&m, family, NBD_CMD_DISCONNECT, NBD_GENL_VERSION);
	r = nla_put_u32(&m, NBD_ATTR_INDEX, index);
	return r ?: genl_call(ctl, &m, NULL, NULL);
}

static int kernel_reconfigure(uint16_t family, int index, int sock, const char *backend)
{
	_cleanup_close_ int ctl = genl_open(0);
	struct nlmsg m;
	int r;

	if (ctl < 0)
		return ctl;
	genl_msg_init(&m, family, NBD_CMD_RECONFIGURE, NBD_GENL_VERSION);
	r = nla_put_u32(&m, NBD_ATTR_INDEX, index);
	/* The kernel refuses a reconfiguration that does not name the same backend. */
	r = r ?: nla_put_str(&m, NBD_ATTR_BACKEND_IDENTIFIER, backend);
	r = r ?: put_socket(&m, sock);
	return r ?: genl_call(ctl, &m, NULL, NULL);
}

/* ---- the watcher ---- */

static int kmsg_fd = -1;
static int wlog_fd = -1; /* --log FILE */

static void wlog(int level, const char *fmt, ...) _printf_(2, 3);
static void wlog(int level, const char *fmt, ...)
{
	char buf[512];
	int n;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "<%d>pxeroot-nbd: ", level);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (kmsg_fd >= 0)
		(void)!write(kmsg_fd, buf, n);
	/* The log file gets the line without the kernel's level. */
	if (wlog_fd >= 0) {
		const char *p = strchr(buf, '>') + 1;

		(void)!write(wlog_fd, p, n - (p - buf));
	}
}

struct dead_event {
	int index;
	bool dead;
};

static void on_event(uint8_t cmd, const void *attrs, size_t len, void *ud)
{
	struct dead_event *ev = ud;
	struct nla_view tb[NBD_ATTR_MAX + 1];

	if (cmd != NBD_CMD_LINK_DEAD)
		return;
	nla_parse(attrs, len, tb, NBD_ATTR_MAX + 1);
	if (tb[NBD_ATTR_INDEX].data && (int)nla_u32(&tb[NBD_ATTR_INDEX]) == ev->index)
		ev->dead = true;
}

static void sleep_s(unsigned int s)
{
	struct timespec ts = { .tv_sec = s };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Does the connection just made serve the generation the device is pinned to?
 * If not, says why in err and returns false.
 */
static bool same_generation(const struct target *t, int fd,
			    const struct export_info *info, char *err, size_t errlen)
{
	if (fd == -ENOENT) {
		snprintf(err, errlen, "%s no longer serves %.200s", t->hostport, t->pin);
		return false;
	}
	/* A server that gave no name at attach is taken at its word (the size). */
	if (fd >= 0 && (info->name[0] || t->named) && strcmp(info->name, t->pin) != 0) {
		snprintf(err, errlen, "%s no longer serves %.200s (it offers '%.100s')",
			 t->hostport, t->pin, info->name[0] ? info->name : "no name");
		return false;
	}
	return true;
}

static int reconnect(struct target *t, uint16_t family, int index, uint64_t size)
{
	const char *want = t->pin[0] ? t->pin : t->export;
	unsigned int delay = 1, attempt = 0;
	char err[512];

	for (;;) {
		struct export_info info;
		_cleanup_close_ int fd = open_export(t, want, 5, &info, err, sizeof(err));
		int r;

		attempt++;
		if (t->pin[0] && (fd >= 0 || fd == -ENOENT) &&
		    !same_generation(t, fd, &info, err, sizeof(err))) {
			/* Said every time: the client cannot go on without it. */
			wlog(3,
			     "nbd%d: %s, the generation this client runs from; not attaching another (attempt %u)",
			     index, err, attempt);
			if (t->lost_fail) {
				r = kernel_disconnect(family, index);
				wlog(2,
				     "nbd%d: disconnected (rd.pxeroot.nbd.lost=fail): reads of its file system now fail%s%s",
				     index, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
				return -ENOENT;
			}
			if (fd >= 0)
				close(TAKE_FD(fd));
			sleep_s(delay);
			delay = MIN(delay * 2, 10u);
			continue;
		}
		if (fd >= 0 && info.size != size) {
			snprintf(
				err, sizeof(err),
				"export %s changed size from %llu to %llu bytes: not reattached",
				t->text, (unsigned long long)size,
				(unsigned long long)info.size);
			close(TAKE_FD(fd));
		}
		if (fd >= 0) {
			r = kernel_reconfigure(family, index, fd, t->backend);
			if (r == 0 || r == -ENOSPC) {
				/* -ENOSPC: no dead connection left, someone else was
				 * faster. */
				wlog(5, "nbd%d: reconnected to %s%s%s after %u attempt%s",
				     index, t->hostport, *want ? "/" : "", want, attempt,
				     attempt == 1 ? "" : "s");
				return 0;
			}
			if (r == -EINVAL || r == -ENODEV) {
				wlog(3,
				     "nbd%d: the device is no longer connected, watcher exits",
				     index);
				return r;
			}
			snprintf(err, sizeof(err),
				 "cannot hand the new connection to nbd%d: %s", index,
				 strerror(-r));
		}
		/* Say it once, then every tenth attempt, not every second. */
		if (attempt == 1 || attempt % 10 == 0)
			wlog(4, "nbd%d: %s; retrying", index, err);
		sleep_s(delay);
		delay = MIN(delay * 2, 10u);
	}
}

static _noreturn_ void watch(int mc, struct target *t, uint16_t family, int index,
			     uint64_t size)
{
	wlog(6, "nbd%d: watching the connection to %s%s%s", index, t->text,
	     t->pin[0] ? ", pinned to " : "", t->pin);
	for (;;) {
		struct dead_event ev = { .index = index };
		int r = genl_recv_event(mc, on_event, &ev);

		if (r < 0 && r != -ENOBUFS) {
			wlog(3, "nbd%d: cannot read kernel events: %s", index,
			     strerror(-r));
			sleep_s(1);
			continue;
		}
		if (!ev.dead)
			continue;
		wlog(4, "nbd%d: lost the connection to %s, reconnecting", index, t->text);
		if (reconnect(t, family, index, size) < 0)
			_exit(1);
	}
}

/* Detach for good: no terminal, no parent, not in the way of unmounting. */
static int start_watcher(int mc, struct target *t, uint16_t family, int index,
			 uint64_t size)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
	}
	setsid();
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		_exit(1);
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0 && null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* systemd leaves processes whose name starts with '@' alone at shutdown. */
	program_invocation_name[0] = '@';
	watch(mc, t, family, index, size);
}

int nbd_connect_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "export", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "dead-timeout", required_argument, NULL, 'd' },
		{ "watch", no_argument, NULL, 'w' },
		{ "connect-timeout", required_argument, NULL, 'c' },
		{ "lost", required_argument, NULL, 'l' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct target t = { .export = "" };
	unsigned int timeout = 60, dead = 3600, ctimeout = 5;
	bool watch_on = false;
	const char *log_path = NULL, *id;
	struct export_info info;
	_cleanup_close_ int ctl = -1, mc = -1, sock = -1;
	uint16_t family;
	uint32_t group = 0;
	char err[512], hostbuf[80];
	int o, r, index;

	optind = 1;
	while ((o = getopt_long(argc, argv, "e:t:d:wc:l:L:h", opts, NULL)) != -1) {
		switch (o) {
		case 'e':
			t.export = optarg;
			break;
		case 't':
		case 'd':
		case 'c':
			if (parse_uint(optarg, 1, 31536000,
				       o == 't'	  ? &timeout
				       : o == 'd' ? &dead
						  : &ctimeout) < 0) {
				log_error("invalid number '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'w':
			watch_on = true;
			break;
		case 'l':
			if (strcmp(optarg, "wait") != 0 && strcmp(optarg, "fail") != 0) {
				log_error("--lost: expected wait or fail, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			t.lost_fail = strcmp(optarg, "fail") == 0;
			break;
		case 'L':
			log_path = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage();
		return EXIT_USAGE;
	}
	t.server = argv[optind];
	if (parse_uint(argv[optind + 1], 1, 65535, &t.port) < 0) {
		log_error("invalid port '%s'", argv[optind + 1]);
		return EXIT_USAGE;
	}
	r = endpoint_resolve(t.server, t.port, &t.ep);
	if (r < 0) {
		log_errno(r, "cannot resolve NBD server %s", t.server);
		return EXIT_FAILURE;
	}
	endpoint_host_text(&t.ep, hostbuf, sizeof(hostbuf));
	snprintf(t.hostport, sizeof(t.hostport), "%s:%u", hostbuf, t.port);
	snprintf(t.text, sizeof(t.text), "%s%s%.200s", t.hostport, *t.export ? "/" : "",
		 t.export);

	ctl = genl_open(0);
	if (ctl < 0) {
		log_errno(ctl, "cannot open a generic netlink socket");
		return EXIT_FAILURE;
	}
	r = genl_resolve(ctl, NBD_GENL_FAMILY_NAME, &family, NBD_GENL_MCAST_GROUP_NAME,
			 &group);
	if (r < 0) {
		log_errno(
			r,
			"the kernel has no NBD netlink interface (is the nbd module loaded?)");
		return EXIT_FAILURE;
	}
	/* Listen before connecting: a link that dies at once is still seen. */
	if (watch_on) {
		mc = genl_open(group);
		if (mc < 0) {
			log_errno(mc, "cannot listen to NBD events");
			return EXIT_FAILURE;
		}
	}

	sock = open_export(&t, t.export, ctimeout, &info, err, sizeof(err));
	if (sock < 0) {
		log_error("%s", err);
		return EXIT_FAILURE;
	}
	/*
	 * Pin the device to the generation the server named (NAME@ID), or to
	 * the one asked for by name; a server that names none is trusted on the
	 * size alone, and the administrator is told so.
	 */
	t.named = info.name[0] != '\0';
	id = strrchr(info.name, '@');
	if (id && id > info.name && strlen(id + 1) == 16 &&
	    strspn(id + 1, "0123456789abcdef") == 16)
		snprintf(t.pin, sizeof(t.pin), "%s", info.name);
	else if ((id = strrchr(t.export, '@')) && id > t.export && strlen(id + 1) == 16 &&
		 strspn(id + 1, "0123456789abcdef") == 16 && !t.named)
		snprintf(t.pin, sizeof(t.pin), "%s", t.export);
	if (!t.pin[0] && watch_on)
		log_warn(
			"NBD server %s names no generation for %s: reconnects are checked by size only",
			t.hostport, *t.export ? t.export : "its default export");
	snprintf(t.backend, sizeof(t.backend), "pxeroot:%s", t.text);
	r = kernel_connect(ctl, family, sock, &info, timeout, dead, t.backend, &index);
	if (r < 0) {
		log_errno(r, "cannot attach NBD export %s to a device", t.text);
		return EXIT_FAILURE;
	}
	/* The kernel holds its own reference now. */
	close(TAKE_FD(sock));

	if (watch_on) {
		if (log_path) {
			wlog_fd = open(log_path,
				       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
			if (wlog_fd < 0)
				log_warn_errno(-errno, "cannot open %s", log_path);
		}
		r = start_watcher(mc, &t, family, index, info.size);
		if (r < 0)
			log_warn_errno(r, "cannot start the NBD reconnection watcher");
	}
	/* The generation last, when there is one: "/dev/nbd0 SIZE ro NAME@ID". */
	printf("/dev/nbd%d %llu %s%s%s\n", index, (unsigned long long)info.size,
	       info.flags & NBD_FLAG_READ_ONLY ? "ro" : "rw", t.pin[0] ? " " : "", t.pin);
	return 0;
}
