// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pxeroot-helper: the few things BusyBox cannot do inside the initramfs, in
 * one static binary with subcommands. /init is the only caller; the interface
 * is documented in doc/initramfs.md.
 */
#include <stdio.h>
#include <string.h>

#include "cmdline-main.h"
#include "helper.h"
#include "log.h"
#include "util.h"

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "cmdline", cmdline_main, "read the kernel command line (as pxeroot-cmdline)" },
	{ "nfs-mount", nfs_mount_main, "mount an NFSv3 or NFSv4 export read-only" },
	{ "nbd-connect", nbd_connect_main, "attach an NBD export to /dev/nbdN" },
	{ "fetch", fetch_main, "download an http:// URL, checking its SHA-256 or MD5" },
	{ "dhcp6", dhcp6_main, "get an IPv6 address and boot options from DHCPv6" },
	{ "probe", probe_main, "print the file system type of a device or image" },
	{ "check-init", check_init_main, "check that a root holds an executable init" },
	{ "verity-open", verity_open_main, "map a device or image through dm-verity" },
	{ "verity-status", verity_status_main,
	  "say whether a dm-verity device met a bad block" },
};

static void usage(void)
{
	printf("Usage: pxeroot-helper COMMAND [ARG...]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-12s %s\n", commands[i].name, commands[i].what);
	printf("\nEach command has --help. The helper runs inside the pxeroot initramfs.\n");
}

int main(int argc, char **argv)
{
	/* Messages reach the console next to /init's own: one name for both. */
	log_init("pxeroot");
	if (argc < 2) {
		usage();
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)
		print_version();
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].main(argc - 1, argv + 1);
	log_error("unknown command '%s'", argv[1]);
	usage();
	return EXIT_USAGE;
}
