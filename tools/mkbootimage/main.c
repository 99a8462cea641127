// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkbootimage: build a small, reproducible BusyBox initramfs that boots a
 * diskless client from the network. This file only reads the command line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compress.h"
#include "mkbootimage.h"
#include "strv.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s [OPTIONS] SYSROOT [KVER]\n"
	       "\n"
	       "Build a netboot initramfs from the kernel modules of SYSROOT (an installed\n"
	       "distribution tree, or /). KVER: the newest kernel in SYSROOT/lib/modules.\n"
	       "\n"
	       "Options:\n"
	       "  -o, --output FILE      write the image here\n"
	       "                         (default SYSROOT/boot/initrd.img-KVER-netboot)\n"
	       "  -c, --compress ALG[:LEVEL]  zstd (default), gzip, xz, lz4 or none\n"
	       "  -d, --drivers LIST     NIC drivers: generic (default: every wired Ethernet\n"
	       "                         driver), host (this machine's NICs), usb (USB\n"
	       "                         adapters), none, or module names; comma separated\n"
	       "  -m, --modules LIST     more modules (names or aliases), comma separated\n"
	       "  -S, --strip-modules    store modules without signature and BTF: smaller,\n"
	       "                         but refused where signatures are enforced\n"
	       "  -a, --add PATH         a program of SYSROOT with its libraries (repeatable)\n"
	       "  -b, --busybox PATH     a static BusyBox (default: SYSROOT's, else the host's)\n"
	       "  -s, --skeleton DIR     the initramfs skeleton (/init and its helpers)\n"
	       "      --cmdline STRING   default kernel parameters baked into the image\n"
	       "      --uki FILE         also write a unified kernel image: EFI stub, kernel,\n"
	       "                         this initramfs and --cmdline, signed as one\n"
	       "      --uki-stub PATH    the EFI stub (default: systemd-boot-efi's)\n"
	       "      --uki-kernel PATH  the kernel (default: SYSROOT/boot/vmlinuz-KVER)\n"
	       "      --sign-key KEY     sign the unified image with sbsign (with --sign-cert)\n"
	       "      --sign-cert CERT   the certificate that goes with --sign-key\n"
	       "  -l, --list             print what the image would contain; write nothing\n"
	       "  -n, --dry-run          resolve everything, write nothing\n",
	       log_prog());
	usage_common_options(25);
	printf("\nSee mkbootimage(8).\n");
}

static int split_list(const char *arg, char ***v, size_t *n)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *tok, *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = strstrip(tok);
		if (!*tok)
			continue;
		if (strv_extend(v, tok) < 0)
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

enum {
	ARG_CMDLINE = 0x100,
	ARG_UKI,
	ARG_UKI_STUB,
	ARG_UKI_KERNEL,
	ARG_SIGN_KEY,
	ARG_SIGN_CERT,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, 'c' },
		{ "drivers", required_argument, NULL, 'd' },
		{ "modules", required_argument, NULL, 'm' },
		{ "strip-modules", no_argument, NULL, 'S' },
		{ "add", required_argument, NULL, 'a' },
		{ "busybox", required_argument, NULL, 'b' },
		{ "skeleton", required_argument, NULL, 's' },
		{ "cmdline", required_argument, NULL, ARG_CMDLINE },
		{ "uki", required_argument, NULL, ARG_UKI },
		{ "uki-stub", required_argument, NULL, ARG_UKI_STUB },
		{ "uki-kernel", required_argument, NULL, ARG_UKI_KERNEL },
		{ "sign-key", required_argument, NULL, ARG_SIGN_KEY },
		{ "sign-cert", required_argument, NULL, ARG_SIGN_CERT },
		{ "list", no_argument, NULL, 'l' },
		{ "dry-run", no_argument, NULL, 'n' },
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	struct build_opts o = {
		.drivers = "generic",
		.compress = COMPRESS_ZSTD,
		.argv0 = argv[0],
	};
	bool quiet = false;
	int c, k;

	log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "o:c:d:m:Sa:b:s:ln" CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'c':
			k = compression_parse(optarg, &o.compress, &o.level);
			if (k == -ENOMEM)
				return EXIT_FAILURE;
			if (k < 0)
				errtryhelp();
			break;
		case 'd':
			o.drivers = optarg;
			break;
		case 'm':
			if (split_list(optarg, &o.modules, &o.n_modules) < 0)
				return EXIT_FAILURE;
			break;
		case 'S':
			o.strip_modules = true;
			break;
		case 'a':
			if (split_list(optarg, &o.add, &o.n_add) < 0)
				return EXIT_FAILURE;
			break;
		case 'b':
			o.busybox = optarg;
			break;
		case 's':
			o.skeleton = optarg;
			break;
		case ARG_CMDLINE:
			o.cmdline = optarg;
			break;
		case ARG_UKI:
			o.uki = optarg;
			break;
		case ARG_UKI_STUB:
			o.uki_stub = optarg;
			break;
		case ARG_UKI_KERNEL:
			o.uki_kernel = optarg;
			break;
		case ARG_SIGN_KEY:
			o.sign_key = optarg;
			break;
		case ARG_SIGN_CERT:
			o.sign_cert = optarg;
			break;
		case 'l':
			o.list = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'q':
			/* No progress either. */
			quiet = true;
			CLI_QUIET();
			break;
		case 'v':
			CLI_VERBOSE();
			break;
		case 'h':
			usage();
			return EXIT_SUCCESS;
		case 'V':
			print_version();
		default:
			errtryhelp();
		}
	}
	if (optind >= argc) {
		log_error("missing SYSROOT");
		errtryhelp();
	}
	if (argc - optind > 2) {
		log_error("unexpected argument '%s'", argv[optind + 2]);
		errtryhelp();
	}
	if (!o.uki && (o.uki_stub || o.uki_kernel || o.sign_key || o.sign_cert)) {
		log_error(
			"--uki-stub, --uki-kernel, --sign-key and --sign-cert go with --uki");
		errtryhelp();
	}
	if (!o.sign_key != !o.sign_cert) {
		log_error("--sign-key and --sign-cert go together");
		errtryhelp();
	}
	if (o.uki && !o.cmdline) {
		/* Without one the stub takes whatever command line its loader passes. */
		log_error(
			"--uki needs --cmdline: the command line is part of the signed image");
		errtryhelp();
	}
	o.sysroot = argv[optind];
	o.kver = argc - optind > 1 ? argv[optind + 1] : NULL;
	o.progress = !quiet && !o.list && isatty(STDERR_FILENO);
	k = build_image(&o);
	strv_free(o.modules);
	strv_free(o.add);
	return k < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
