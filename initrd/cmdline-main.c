// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command line front end, shared by pxeroot-cmdline (for administrators)
 * and by "pxeroot-helper cmdline" inside the initramfs, so that what an admin
 * checks is exactly what /init will do.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmdline.h"
#include "cmdline-main.h"
#include "log.h"
#include "util.h"

static void usage(const char *prog)
{
	printf("Usage: %s [OPTIONS] [PARAMETER...]\n"
	       "\n"
	       "Read a kernel command line the way the pxeroot initramfs does and print\n"
	       "what it will do: which root, which network setup, which fallbacks. The\n"
	       "PARAMETERs form the command line; without them, --file or /proc/cmdline\n"
	       "is read.\n"
	       "\n"
	       "Options:\n"
	       "  -f, --file FILE        read the command line from FILE\n"
	       "  -d, --defaults FILE    defaults baked into the image (/etc/pxeroot/cmdline);\n"
	       "                         the command line overrides them parameter by parameter\n"
	       "  -r, --root-path PATH   then apply a DHCP root-path (option 17) as root=dhcp\n"
	       "                         does once the lease is known\n"
	       "  -s, --shell            print PX_KEY='value' lines, as /init evaluates them\n"
	       "      --root-only        with --shell: only the keys that describe the root\n",
	       prog);
	/* -v shows what is parsed rather than the log's debug lines. */
	usage_line(25, "-v, --verbose", "print the effective parameters too");
	usage_common_options_but_verbose(25);
	printf("\n"
	       "Exit status: 0 valid, 1 invalid command line (one line says why), 2 usage.\n"
	       "See kernel-cmdline(7) for every parameter.\n");
}

static int read_line_file(const char *path, char **ret)
{
	_cleanup_free_ char *s = NULL;
	int r = read_file_at(AT_FDCWD, path, &s, NULL);

	if (r < 0)
		return r;
	/* A file may hold several lines (comments start with #); join the rest. */
	for (char *p = s; *p;) {
		char *nl = strchr(p, '\n');
		if (*p == '#') {
			char *end = nl ? nl + 1 : p + strlen(p);
			memmove(p, end, strlen(end) + 1);
			continue;
		}
		if (!nl)
			break;
		*nl = ' ';
		p = nl + 1;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

int cmdline_main(int argc, char **argv)
{
	enum {
		OPT_ROOT_ONLY = 0x100
	};
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "defaults", required_argument, NULL, 'd' },
		{ "root-path", required_argument, NULL, 'r' },
		{ "shell", no_argument, NULL, 's' },
		{ "root-only", no_argument, NULL, OPT_ROOT_ONLY },
		CLI_COMMON_LONGOPTS,
		{}
	};
	const char *file = NULL, *defaults = NULL, *root_path = NULL;
	bool shell = false, root_only = false, quiet = false, verbose = false;
	_cleanup_free_ char *line = NULL, *dline = NULL, *err = NULL;
	struct px_params cl = { 0 }, dl = { 0 }, eff = { 0 };
	struct px_config c;
	int o, r, ret = EXIT_FAILURE;

	optind = 1;
	while ((o = getopt_long(argc, argv, "f:d:r:s" CLI_COMMON_SHORTOPTS, opts,
				NULL)) != -1) {
		switch (o) {
		case 'f':
			file = optarg;
			break;
		case 'd':
			defaults = optarg;
			break;
		case 'r':
			root_path = optarg;
			break;
		case 's':
			shell = true;
			break;
		case OPT_ROOT_ONLY:
			root_only = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(log_prog());
			return EXIT_SUCCESS;
		case 'V':
			print_version();
		default:
			errtryhelp();
		}
	}
	if (root_only && !shell) {
		log_error("--root-only needs --shell");
		errtryhelp();
	}
	if (optind < argc && file) {
		log_error("give either PARAMETERs or --file, not both");
		errtryhelp();
	}

	if (optind < argc) {
		size_t len = 1;
		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		line = calloc(1, len);
		if (!line)
			return log_errno(-ENOMEM, "out of memory"), EXIT_FAILURE;
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				strcat(line, " ");
			strcat(line, argv[i]);
		}
	} else {
		const char *f = file ? file : "/proc/cmdline";
		r = read_line_file(f, &line);
		if (r < 0)
			return log_errno(r, "cannot read %s", f), EXIT_FAILURE;
	}
	if (defaults) {
		r = read_line_file(defaults, &dline);
		if (r == -ENOENT) {
			/* An image without baked defaults is normal. */
			dline = strdup("");
			r = dline ? 0 : -ENOMEM;
		}
		if (r < 0)
			return log_errno(r, "cannot read %s", defaults), EXIT_FAILURE;
	}

	px_config_init(&c);
	r = px_split(line, &cl);
	if (r == 0 && dline)
		r = px_split(dline, &dl);
	if (r == 0)
		r = px_merge(&dl, &cl, &eff);
	if (r < 0) {
		log_errno(r, "cannot read the command line");
		goto out;
	}
	if (verbose)
		for (size_t i = 0; i < eff.n; i++)
			fprintf(stderr, "%s: parameter %s\n", log_prog(), eff.p[i]);
	r = px_config_apply(&c, &eff, &err);
	if (r == 0 && root_path)
		r = px_config_root_path(&c, root_path, &err);
	if (r == -EINVAL) {
		log_error("%s", err ? err : "invalid command line");
		goto out;
	}
	if (r < 0) {
		log_errno(r, "cannot read the command line");
		goto out;
	}
	if (!quiet)
		for (size_t i = 0; i < c.n_warnings; i++)
			log_warn("%s", c.warnings[i]);
	r = shell ? px_config_write_shell(&c, stdout, root_only)
		  : px_config_write_text(&c, stdout);
	if (fflush(stdout) != 0 || r < 0) {
		log_errno(r < 0 ? r : -EIO, "cannot write the output");
		goto out;
	}
	ret = EXIT_SUCCESS;
out:
	px_config_done(&c);
	px_params_done(&cl);
	px_params_done(&dl);
	px_params_done(&eff);
	return ret;
}
