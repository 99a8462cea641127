// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Mount an NFS export read-only through mount(2) with text options, the way
 * mount.nfs would, without nfs-utils: BusyBox's mount only speaks the old
 * binary NFSv2/v3 mount data and cannot mount NFSv4.
 *
 * NFSv4: type "nfs4", data "vers=4.x,addr=SERVER,clientaddr=LOCAL,...".
 * NFSv3: type "nfs", data "vers=3,addr=..,mountaddr=..,nolock,proto=tcp,...";
 * the kernel asks the server's rpcbind for the ports unless port= and
 * mountport= are given.
 *
 * "auto" tries NFSv4.2, 4.1, 4.0, then NFSv3, as mount.nfs does.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "util.h"

#define NFS_PORT 2049
#define RPCBIND_PORT 111

static void usage(void)
{
	printf("Usage: pxeroot-helper nfs-mount [OPTIONS] SERVER PATH DIR\n"
	       "\n"
	       "Mount SERVER:PATH on DIR, read-only unless -w.\n"
	       "\n"
	       "  -V, --vers VERS      auto (4.2, 4.1, 4.0, then 3), 3, 4, 4.0, 4.1 or 4.2\n"
	       "  -o, --options OPTS   more NFS options, comma separated\n"
	       "  -p, --port PORT      the server's NFS port (default 2049 for v4, rpcbind for v3)\n"
	       "  -t, --timeout SECS   give up one attempt after SECS (default 30)\n"
	       "  -w, --read-write     mount read-write (a root of its own, rw)\n"
	       "  -h, --help\n");
}

/* Is option name (e.g. "proto") given in the comma list opts? */
static bool has_option(const char *opts, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = opts; p && *p;) {
		if (strncmp(p, name, n) == 0 &&
		    (p[n] == '=' || p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* mount(2) in a child, so that a server that never answers costs only timeout. */
static int mount_with_timeout(const char *src, const char *dir, const char *type,
			      unsigned long flags, const char *data, unsigned int timeout)
{
	struct timespec start, now;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (mount(src, dir, type, flags, data) < 0)
			_exit(errno > 0 && errno < 126 ? errno : EIO);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout) {
			/* NFS waits are killable: the half-done mount goes away
			 * with it. */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		usleep(50 * 1000);
	}
	if (WIFEXITED(status))
		return -WEXITSTATUS(status);
	return -EINTR;
}

struct attempt {
	const char *vers;
	int err;
};

int nfs_mount_main(int argc, char **argv)
{
	static const struct option opts[] = { { "vers", required_argument, NULL, 'V' },
					      { "options", required_argument, NULL, 'o' },
					      { "port", required_argument, NULL, 'p' },
					      { "timeout", required_argument, NULL, 't' },
					      { "read-write", no_argument, NULL, 'w' },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	static const char *const v4[] = { "4.2", "4.1", "4.0" };
	const char *vers = "auto", *extra = "", *server, *path, *dir;
	unsigned int port = 0, timeout = 30;
	unsigned long flags = MS_RDONLY;
	struct endpoint ep;
	struct attempt tried[4];
	size_t ntried = 0;
	const char *list[4];
	size_t nlist = 0;
	char local[64], hostbuf[80], src[4200];
	int o, r;

	optind = 1;
	while ((o = getopt_long(argc, argv, "V:o:p:t:wh", opts, NULL)) != -1) {
		switch (o) {
		case 'V':
			vers = optarg;
			break;
		case 'o':
			extra = optarg;
			break;
		case 'p':
			if (parse_uint(optarg, 1, 65535, &port) < 0) {
				log_error("invalid port '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_uint(optarg, 1, 86400, &timeout) < 0) {
				log_error("invalid timeout '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'w':
			flags = 0;
			break;
		case 'h':
			usage();
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 3) {
		usage();
		return EXIT_USAGE;
	}
	server = argv[optind];
	path = argv[optind + 1];
	dir = argv[optind + 2];

	if (strcmp(vers, "auto") == 0 || strcmp(vers, "4") == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(v4); i++)
			list[nlist++] = v4[i];
		if (strcmp(vers, "auto") == 0)
			list[nlist++] = "3";
	} else if (strcmp(vers, "3") == 0 || strcmp(vers, "4.0") == 0 ||
		   strcmp(vers, "4.1") == 0 || strcmp(vers, "4.2") == 0) {
		list[nlist++] = vers;
	} else {
		log_error("unknown NFS version '%s'", vers);
		return EXIT_USAGE;
	}

	r = endpoint_resolve(server, port ? port : NFS_PORT, &ep);
	if (r < 0) {
		log_errno(r, "cannot resolve NFS server %s", server);
		return EXIT_FAILURE;
	}
	endpoint_host_text(&ep, hostbuf, sizeof(hostbuf));
	snprintf(src, sizeof(src), "%s:%s", hostbuf, path);
	r = local_address_for(&ep, local, sizeof(local));
	if (r < 0) {
		log_errno(r, "no route to NFS server %s", hostbuf);
		return EXIT_FAILURE;
	}

	for (size_t i = 0; i < nlist; i++) {
		bool is3 = strcmp(list[i], "3") == 0;
		unsigned int check = port ? port : is3 ? RPCBIND_PORT : NFS_PORT;
		_cleanup_free_ char *data = NULL;
		int fd;

		/* A quick TCP check turns "server down" into a fast, clear error. */
		endpoint_set_port(&ep, check);
		fd = tcp_connect(&ep, 5000);
		if (fd < 0) {
			log_errno(fd, "cannot reach NFS server %s port %u", hostbuf,
				  check);
			if (!is3 && strcmp(vers, "auto") == 0) {
				/* NFSv3 may still answer through rpcbind; skip the other
				 * v4s. */
				while (i + 1 < nlist && strcmp(list[i + 1], "3") != 0)
					i++;
				tried[ntried++] = (struct attempt){ list[i], fd };
				continue;
			}
			return EXIT_FAILURE;
		}
		close(fd);

		{
			char portopt[24] = "";

			if (port)
				snprintf(portopt, sizeof(portopt), ",port=%u", port);
			if (is3)
				r = asprintf(
					&data,
					"vers=3,addr=%s,mountaddr=%s,nolock%s%s%s%s%s",
					ep.host, ep.host,
					has_option(extra, "proto") ? "" : ",proto=tcp",
					has_option(extra, "mountproto")
						? ""
						: ",mountproto=tcp",
					portopt, *extra ? "," : "", extra);
			else
				r = asprintf(&data, "vers=%s,addr=%s,clientaddr=%s%s%s%s",
					     list[i], ep.host, local, portopt,
					     *extra ? "," : "", extra);
			if (r < 0)
				return log_errno(-ENOMEM, "out of memory"), EXIT_FAILURE;
		}
		log_debug("mount -t %s -o %s %s %s", is3 ? "nfs" : "nfs4", data, src,
			  dir);
		r = mount_with_timeout(src, dir, is3 ? "nfs" : "nfs4", flags, data,
				       timeout);
		if (r == 0) {
			printf("nfs%s %s\n", list[i], data);
			return 0;
		}
		tried[ntried++] = (struct attempt){ list[i], r };
		/* A server that does not answer will not answer the next version
		 * either. */
		if (r == -ETIMEDOUT)
			break;
	}

	if (ntried == 1) {
		log_errno(tried[0].err, "cannot mount %s over NFSv%s", src,
			  tried[0].vers);
	} else {
		char why[512] = "";
		size_t len = 0;

		for (size_t i = 0; i < ntried; i++) {
			/* Fold NFSv4.x attempts that failed the same way into one. */
			bool same_v4 = i + 1 < ntried && tried[i].vers[0] == '4' &&
				       tried[i + 1].vers[0] == '4' &&
				       tried[i].err == tried[i + 1].err;
			if (same_v4)
				continue;
			len += snprintf(why + len, sizeof(why) - len, "%sNFSv%s: %s",
					len ? "; " : "",
					tried[i].vers[0] == '4' && i > 0 &&
							tried[i - 1].vers[0] == '4' &&
							tried[i - 1].err == tried[i].err
						? "4"
						: tried[i].vers,
					strerror(-tried[i].err));
			if (len >= sizeof(why))
				break;
		}
		log_error("cannot mount %s (%s)", src, why);
	}
	return EXIT_FAILURE;
}
