// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pxeroot-verity: write a copy of an image (a squashfs, SystemRescueCd's
 * sysrcd.dat, an ext4 image) with its dm-verity hash tree appended, and print
 * the kernel parameters that make the client check every block against it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "util.h"
#include "verity.h"

static void usage(void)
{
	printf("Usage: %s [OPTIONS] IMAGE OUT\n"
	       "\n"
	       "Write OUT: IMAGE with its dm-verity hash tree appended (veritysetup's\n"
	       "format), and print the kernel parameters for it:\n"
	       "rd.pxeroot.verity=ROOTHASH rd.pxeroot.verity.hashoffset=BYTES.\n"
	       "Serve OUT over NBD or HTTP instead of IMAGE.\n"
	       "\n"
	       "Options:\n",
	       log_prog());
	usage_common_options(16);
}

/* Copy src to a new file dst (reflinked or copied by the kernel). */
static int copy_file(const char *src, const char *dst)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC), out = -1;
	struct stat st;
	ssize_t n;

	if (in < 0 || fstat(in, &st) < 0)
		return log_errno(-errno, "cannot open %s", src);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return log_errno(-EINVAL, "%s is not an image file", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return log_errno(-errno, "cannot create %s", dst);
	do
		n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
	while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0) {
		int r = -errno;
		unlink(dst);
		return log_errno(r, "cannot copy %s to %s", src, dst);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = { CLI_COMMON_LONGOPTS, {} };
	_cleanup_free_ char *tmp = NULL, *line = NULL, *dir = NULL;
	struct verity_info v;
	int o, r;

	log_init("pxeroot-verity");
	while ((o = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, options, NULL)) != -1) {
		switch (o) {
			CLI_COMMON_CASES(usage);
		}
	}
	if (argc - optind != 2) {
		log_error("expected IMAGE and OUT");
		errtryhelp();
	}
	dir = strdup(argv[optind + 1]);
	if (!dir || asprintf(&tmp, "%s/.%s.verity-new", dirname(dir),
			     basename(argv[optind + 1])) < 0)
		return log_errno(-ENOMEM, "out of memory"), EXIT_FAILURE;
	unlink(tmp);
	r = copy_file(argv[optind], tmp);
	if (r < 0)
		return EXIT_FAILURE;
	r = verity_append(tmp, &v);
	if (r == 0 && rename(tmp, argv[optind + 1]) < 0)
		r = log_errno(-errno, "cannot rename %s to %s", tmp, argv[optind + 1]);
	if (r < 0) {
		unlink(tmp);
		return EXIT_FAILURE;
	}
	if (verity_cmdline(&v, &line) < 0)
		return log_errno(-ENOMEM, "out of memory"), EXIT_FAILURE;
	log_info("%s: hash tree at byte %llu, root hash %s", argv[optind + 1],
		 (unsigned long long)v.hash_offset, v.root_hash);
	printf("%s\n", line);
	return 0;
}
