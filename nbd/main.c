// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nbdexport: serve disk images (squashfs, ISO, ext4, ...) read-only over NBD
 * to many diskless clients at once. This file only reads the command line and
 * the configuration, then starts the server in the order a daemon should:
 * open the images, bind, detach, write the pidfile, drop privileges, serve.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "cow.h"
#include "daemon.h"
#include "export.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "util.h"
#include "vector.h"

enum {
	OPT_MAX_CLIENTS = 0x100,
	OPT_HANDSHAKE_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_MAX_OPTIONS,
	OPT_SHUTDOWN_TIMEOUT,
	OPT_PIDFILE,
	OPT_STATUS_FILE,
	OPT_LOG_FILE,
	OPT_FORCE,
	OPT_COW,
	OPT_COW_KEEP,
	OPT_TLS,
	OPT_TLS_CERTIFICATES,
	OPT_TLS_PSK,
	OPT_TLS_VERIFY_PEER,
	OPT_NO_TLS_VERIFY_PEER,
};

static const char short_opts[] = "c:l:p:U:a:t:fu:" CLI_COMMON_SHORTOPTS;
static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "port", required_argument, NULL, 'p' },
	{ "unix", required_argument, NULL, 'U' },
	{ "allow", required_argument, NULL, 'a' },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "max-options", required_argument, NULL, OPT_MAX_OPTIONS },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "threads", required_argument, NULL, 't' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "log-file", required_argument, NULL, OPT_LOG_FILE },
	{ "status-file", required_argument, NULL, OPT_STATUS_FILE },
	{ "user", required_argument, NULL, 'u' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "cow", required_argument, NULL, OPT_COW },
	{ "cow-keep", no_argument, NULL, OPT_COW_KEEP },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "tls-certificates", required_argument, NULL, OPT_TLS_CERTIFICATES },
	{ "tls-psk", required_argument, NULL, OPT_TLS_PSK },
	{ "tls-verify-peer", no_argument, NULL, OPT_TLS_VERIFY_PEER },
	{ "no-tls-verify-peer", no_argument, NULL, OPT_NO_TLS_VERIFY_PEER },
	CLI_COMMON_LONGOPTS,
	{ 0 },
};

static void usage(void)
{
	printf("Usage: %s [OPTIONS] IMAGE[=NAME]...\n"
	       "       %s [OPTIONS] -c CONFIG\n"
	       "\n"
	       "Serve disk images read-only over NBD to many clients.\n"
	       "\n"
	       "Options:\n"
	       "  -c, --config FILE          read exports and settings from FILE (re-read on SIGHUP)\n"
	       "  -l, --listen ADDR[:PORT]   listen on ADDR (repeatable; default: all addresses)\n"
	       "  -p, --port PORT            TCP port (default 10809)\n"
	       "  -U, --unix PATH            listen on a unix socket\n"
	       "  -a, --allow CIDR           accept only clients in CIDR (repeatable, IPv4 or IPv6)\n"
	       "      --max-clients N        serve at most N clients at once (default 1024)\n"
	       "      --handshake-timeout S  drop clients that do not finish the handshake in S seconds\n"
	       "                             (default 10, 0: never)\n"
	       "      --idle-timeout S       drop clients idle for S seconds (default 0: never)\n"
	       "      --max-options N        drop clients sending more than N options (default 256)\n"
	       "      --shutdown-timeout S   at SIGTERM, wait up to S seconds for requests in flight\n"
	       "                             (default 5, 0: drop clients at once)\n"
	       "  -t, --threads N            data event loops (default: two per CPU)\n"
	       "  -f, --foreground           stay in the foreground and log to stderr\n"
	       "      --log-file FILE        log to FILE (appended) instead of syslog or stderr\n"
	       "      --pidfile FILE         write the process id to FILE once listening\n"
	       "      --status-file FILE     keep which client reads which image generation in FILE\n"
	       "                             (default " STATUS_FILE_DEFAULT ")\n"
	       "  -u, --user USER            drop privileges to USER after binding\n"
	       "      --force                serve images blkid cannot identify\n"
	       "      --cow DIR              let clients write: a private overlay per client in DIR\n"
	       "      --cow-keep             keep each client's overlay (by generation and address)\n"
	       "      --tls MODE             off, on (clients may upgrade) or require\n"
	       "      --tls-certificates DIR ca-cert.pem, server-cert.pem, server-key.pem in DIR\n"
	       "      --tls-psk FILE         pre-shared keys, one 'identity:hexkey' a line\n"
	       "      --tls-verify-peer      require a client certificate signed by ca-cert.pem\n"
	       "                             (the default when DIR has a ca-cert.pem)\n"
	       "      --no-tls-verify-peer   accept clients without a certificate from ca-cert.pem\n",
	       log_prog(), log_prog());
	usage_common_options(29);
	printf("\nSee nbdexport(8) and nbdexport.conf(5).\n");
}

static int replace_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static _noreturn_ void bad_value(const char *opt, const char *v)
{
	log_error("invalid value for %s: '%s'", opt, v);
	errtryhelp();
}

/*
 * Apply the command line on top of c (which holds the file's settings, if
 * any): options given on the command line win. Usage errors exit 2.
 */
static void apply_args(struct config *c, int argc, char **argv)
{
	bool listen_set = false, allow_set = false, cow_keep = false;
	char *cow_dir = NULL;
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		int r = 0;

		switch (o) {
		case 'c':
			break;
		case 'l':
			if (!listen_set) {
				for (size_t i = 0; i < c->n_listen; i++)
					free(c->listen[i]);
				c->n_listen = 0;
				listen_set = true;
			}
			if (vector_reserve((void **)&c->listen, &c->cap_listen,
					   c->n_listen + 1, sizeof(*c->listen)) < 0 ||
			    !(c->listen[c->n_listen] = strdup(optarg))) {
				log_errno(-ENOMEM, "cannot parse options");
				exit(EXIT_FAILURE);
			}
			c->n_listen++;
			break;
		case 'p':
			if (parse_uint(optarg, 0, 65535, &c->port) < 0)
				bad_value("--port", optarg);
			break;
		case 'U':
			r = replace_str(&c->unix_path, optarg);
			break;
		case 'a':
			if (!allow_set) {
				acl_free(&c->allow);
				allow_set = true;
			}
			if (acl_add(&c->allow, optarg) < 0)
				bad_value("--allow", optarg);
			break;
		case OPT_MAX_CLIENTS:
			if (parse_uint(optarg, 1, 1000000, &c->max_clients) < 0)
				bad_value("--max-clients", optarg);
			break;
		case OPT_HANDSHAKE_TIMEOUT:
			if (parse_uint(optarg, 0, 86400, &c->handshake_timeout) < 0)
				bad_value("--handshake-timeout", optarg);
			break;
		case OPT_IDLE_TIMEOUT:
			if (parse_uint(optarg, 0, 86400 * 365, &c->idle_timeout) < 0)
				bad_value("--idle-timeout", optarg);
			break;
		case OPT_SHUTDOWN_TIMEOUT:
			if (parse_uint(optarg, 0, 3600, &c->shutdown_timeout) < 0)
				bad_value("--shutdown-timeout", optarg);
			break;
		case OPT_MAX_OPTIONS:
			if (parse_uint(optarg, 1, 100000, &c->max_options) < 0)
				bad_value("--max-options", optarg);
			break;
		case 't':
			if (parse_uint(optarg, 1, 256, &c->threads) < 0)
				bad_value("--threads", optarg);
			break;
		case 'f':
			c->foreground = true;
			break;
		case OPT_PIDFILE:
			r = replace_str(&c->pidfile, optarg);
			break;
		case OPT_LOG_FILE:
			if (!*optarg)
				bad_value("--log-file", optarg);
			r = replace_str(&c->log_file, optarg);
			break;
		case OPT_STATUS_FILE:
			if (!*optarg)
				bad_value("--status-file", optarg);
			r = replace_str(&c->status_file, optarg);
			break;
		case 'u':
			r = replace_str(&c->user, optarg);
			break;
		case OPT_FORCE:
			c->force = true;
			break;
		case OPT_COW:
			cow_dir = optarg;
			break;
		case OPT_COW_KEEP:
			cow_keep = true;
			break;
		case OPT_TLS:
			if (parse_tls_mode(optarg, &c->tls) < 0)
				bad_value("--tls", optarg);
			break;
		case OPT_TLS_CERTIFICATES:
			r = replace_str(&c->tls_certs, optarg);
			if (c->tls == TLS_OFF)
				c->tls = TLS_ON;
			break;
		case OPT_TLS_PSK:
			r = replace_str(&c->tls_psk, optarg);
			if (c->tls == TLS_OFF)
				c->tls = TLS_ON;
			break;
		case OPT_TLS_VERIFY_PEER:
			c->tls_verify_peer = 1;
			break;
		case OPT_NO_TLS_VERIFY_PEER:
			c->tls_verify_peer = 0;
			break;
		case 'v':
			CLI_VERBOSE();
			break;
		case 'q':
			CLI_QUIET();
			break;
		case 'h':
		case 'V':
			break; /* handled before the configuration is read */
		default:
			errtryhelp();
		}
		if (r < 0) {
			log_errno(r, "cannot parse options");
			exit(EXIT_FAILURE);
		}
	}
	if (cow_keep && !cow_dir && !c->cow_dir) {
		log_error("--cow-keep needs --cow DIR");
		errtryhelp();
	}
	if (cow_dir && replace_str(&c->cow_dir, cow_dir) < 0)
		exit(EXIT_FAILURE);
	for (int i = optind; i < argc; i++) {
		if (config_add_image(c, argv[i]) < 0) {
			log_error("invalid image argument '%s'", argv[i]);
			errtryhelp();
		}
		/* --cow applies to the images named on the command line. */
		if (cow_dir || cow_keep)
			c->exports[c->n_exports - 1].cow = cow_keep ? COW_KEEP : COW_ON;
	}
}

/* What the first pass over the command line found. */
static const char *config_file;
static int saved_argc;
static char **saved_argv;

static int load_config(struct config *c)
{
	int r;

	if (config_file) {
		r = config_load(c, config_file);
		if (r < 0)
			return r;
	}
	apply_args(c, saved_argc, saved_argv);
	r = config_check(c);
	if (r < 0)
		return r;
	return config_absolute_paths(c);
}

static int reload_config(struct config *fresh)
{
	/* The log level must not climb with each reload's -v. */
	int level = log_get_level();
	int r = load_config(fresh);

	log_set_level(level);
	if (r == 0)
		r = cow_check_dir(fresh, false);
	return r;
}

static void first_pass(int argc, char **argv)
{
	int o, level = log_get_level();

	opterr = 0;
	optind = 0;
	while ((o = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (o == 'h') {
			usage();
			exit(EXIT_SUCCESS);
		}
		if (o == 'V')
			print_version();
		if (o == 'c')
			config_file = optarg;
	}
	opterr = 1;
	log_set_level(level);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct export_table exports;
	struct listener *listeners = NULL;
	size_t n_listeners = 0;
	struct tls_server *tls = NULL;
	struct server_opts o = { 0 };
	bool serving = false, use_syslog = false;
	int notify = -1, log_fd = -1, r;
	sigset_t set;

	log_init(argv[0]);
	saved_argc = argc;
	saved_argv = argv;
	first_pass(argc, argv);

	/* Signals are taken synchronously by the main thread (server_run). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1); /* the status table to the log */
	/* SIGUSR2: the status table changed (from the server's threads). */
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	config_init(&cfg);
	export_table_init(&exports);
	if (load_config(&cfg) < 0)
		goto fail;
	if (cfg.user && geteuid() != 0) {
		log_error("--user needs to start as root");
		goto fail;
	}
	raise_fd_limit();
	if (cow_check_dir(&cfg, true) < 0 || export_table_load(&exports, &cfg) < 0)
		goto fail;
	if (cfg.tls != TLS_OFF && tls_server_new(&cfg, &tls) < 0)
		goto fail;
	if (listen_open(&cfg, &listeners, &n_listeners) < 0)
		goto fail;

	if (cfg.log_file) {
		log_fd = open(cfg.log_file,
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
		if (log_fd < 0) {
			log_errno(-errno, "cannot open %s", cfg.log_file);
			goto fail;
		}
	} else if (!cfg.foreground) {
		r = syslog_probe();
		use_syslog = r == 0;
		if (r < 0)
			log_warn("no syslog at /dev/log (%s): logging to standard error; "
				 "use --log-file FILE or --foreground",
				 strerror(-r));
	}

	if (!cfg.foreground && daemonize(&notify) < 0)
		goto fail;
	if (cfg.pidfile) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

		r = write_file_atomic_at(AT_FDCWD, cfg.pidfile, buf, n, 0644);
		if (r < 0) {
			log_errno(r, "cannot write %s", cfg.pidfile);
			free(cfg.pidfile);
			cfg.pidfile = NULL;
			goto fail;
		}
	}
	status_dir(&cfg);
	if (cfg.user && drop_privileges(cfg.user) < 0)
		goto fail;
	if (log_fd >= 0) {
		/* The log file takes the place of stderr, in both modes. */
		log_set_timestamps(true);
		if (dup2(log_fd, STDERR_FILENO) < 0) {
			log_errno(-errno, "cannot log to %s", cfg.log_file);
			goto fail;
		}
		close(log_fd);
		log_fd = -1;
	}
	if (notify >= 0) {
		if (use_syslog)
			log_use_syslog(true);
		else
			log_set_timestamps(true);
		detach_stdio(!use_syslog);
		if (write(notify, "1", 1) < 0)
			goto fail;
		close(notify);
	}

	o = (struct server_opts){
		.cfg = &cfg,
		.exports = &exports,
		.listeners = TAKE_PTR(listeners),
		.n_listeners = n_listeners,
		.tls = tls,
		/* Without -c, SIGHUP still reopens the images and reloads TLS keys. */
		.reload = reload_config,
	};
	serving = true;
	r = server_run(&o);
	goto out;
fail:
	r = -EINVAL;
out:
	if (listeners)
		listen_close(listeners, n_listeners);
	if (o.listeners)
		listen_close(o.listeners, o.n_listeners);
	if (cfg.pidfile && (serving || listeners))
		unlink(cfg.pidfile);
	if (log_fd >= 0)
		close(log_fd);
	export_table_free(&exports);
	tls_server_free(tls);
	config_free(&cfg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
