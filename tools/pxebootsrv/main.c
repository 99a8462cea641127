// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pxebootsrv: one configuration file makes this machine a PXE boot server
 * (dnsmasq for DHCP and TFTP, lighttpd for HTTP, nbdexport for NBD roots).
 * This file parses options and calls the command.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "pxebootsrv.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s [OPTIONS] render DIR\n"
	       "       %s [OPTIONS] check|run|install\n"
	       "\n"
	       "Turn this machine into a PXE boot server for BIOS, UEFI, UEFI HTTP boot and\n"
	       "Secure Boot clients, from one configuration file.\n"
	       "\n"
	       "Commands:\n"
	       "  render DIR                 write every generated file into DIR\n"
	       "  check                      report configuration and system problems\n"
	       "  run                        serve in the foreground until SIGTERM\n"
	       "  install                    configure this system's own services\n"
	       "\n"
	       "Options:\n"
	       "  -c, --config FILE          the configuration (default %s);\n"
	       "                             SystemRescueCd's /etc/conf.d/pxebootsrv is read too\n"
	       "      --root DIR             install under DIR; SystemRescueCd's TFTP directory\n"
	       "                             is DIR/tftpboot\n"
	       "      --dry-run              install: say what would change, change nothing\n"
	       "      --no-dhcp-probe        check: do not look for other DHCP servers\n",
	       log_prog(), log_prog(), PBS_DEFAULT_CONFIG);
	usage_common_options(29);
	printf("\nSee pxebootsrv(8) and pxebootsrv.conf(5).\n");
}

enum {
	OPT_ROOT = 0x100,
	OPT_DRY_RUN,
	OPT_NO_PROBE
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "no-dhcp-probe", no_argument, NULL, OPT_NO_PROBE },
		CLI_COMMON_LONGOPTS,
		{}
	};
	struct options o = { .config = PBS_DEFAULT_CONFIG, .probe = true };
	const char *cmd;
	int c, r;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "c:" CLI_COMMON_SHORTOPTS, options, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case OPT_ROOT:
			o.root = optarg;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_NO_PROBE:
			o.probe = false;
			break;
			CLI_COMMON_CASES(usage);
		}
	}
	if (optind >= argc) {
		log_error("no command given");
		errtryhelp();
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "render") == 0) {
		if (argc - optind != 1) {
			log_error("render needs one directory");
			errtryhelp();
		}
		r = cmd_render(&o, argv[optind]);
	} else {
		if (optind != argc) {
			log_error("unexpected argument '%s'", argv[optind]);
			errtryhelp();
		}
		if (strcmp(cmd, "check") == 0)
			r = cmd_check(&o);
		else if (strcmp(cmd, "run") == 0)
			r = cmd_run(&o);
		else if (strcmp(cmd, "install") == 0)
			r = cmd_install(&o);
		else {
			log_error("unknown command '%s'", cmd);
			errtryhelp();
		}
	}
	return r < 0 ? 1 : r;
}
