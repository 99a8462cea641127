// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "macro.h"
#include "util.h"
#include "verity.h"

#define BLOCK 4096

/* veritysetup ARGS, its output to /dev/null unless it fails. */
static int run_veritysetup(char *const argv[])
{
	_cleanup_close_ int err = -1;
	char out[4096];
	pid_t pid;
	int status;
	ssize_t n;
	FILE *f = tmpfile();

	if (!f)
		return -errno;
	err = dup(fileno(f));
	fclose(f);
	if (err < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		log_error("veritysetup not found (install cryptsetup-bin)");
		return -ENOENT;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *last;

		n = pread(err, out, sizeof(out) - 1, 0);
		out[n > 0 ? n : 0] = '\0';
		/* Its last line says what went wrong; the rest is usage. */
		last = strrchr(strstrip(out), '\n');
		log_error("veritysetup failed: %s", last ? last + 1 : out);
		return -EIO;
	}
	return 0;
}

int verity_append(const char *path, struct verity_info *ret)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	_cleanup_free_ char *hash_file = NULL, *root = NULL;
	char sum[65], uuid[37], offset[24], blocks[24], salt_arg[80], uuid_arg[48],
		offset_arg[48], blocks_arg[48], *file_arg = NULL;
	struct stat st;
	uint64_t size;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0)
		return log_errno(-errno, "cannot open %s", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return log_errno(-EINVAL, "%s is not an image file", path);
	size = ((uint64_t)st.st_size + BLOCK - 1) / BLOCK * BLOCK;
	/* The tree covers whole blocks: zeros after the file system are harmless. */
	if ((uint64_t)st.st_size != size && ftruncate(fd, size) < 0)
		return log_errno(-errno, "cannot pad %s", path);
	r = sha256_fd(fd, sum);
	if (r < 0)
		return log_errno(r, "cannot read %s", path);
	snprintf(uuid, sizeof(uuid), "%.8s-%.4s-4%.3s-8%.3s-%.12s", sum, sum + 8,
		 sum + 13, sum + 17, sum + 20);
	snprintf(offset, sizeof(offset), "%llu", (unsigned long long)size);
	snprintf(blocks, sizeof(blocks), "%llu", (unsigned long long)(size / BLOCK));
	snprintf(salt_arg, sizeof(salt_arg), "--salt=%s", sum);
	snprintf(uuid_arg, sizeof(uuid_arg), "--uuid=%s", uuid);
	snprintf(offset_arg, sizeof(offset_arg), "--hash-offset=%s", offset);
	snprintf(blocks_arg, sizeof(blocks_arg), "--data-blocks=%s", blocks);
	if (asprintf(&hash_file, "%s.roothash.tmp", path) < 0 ||
	    asprintf(&file_arg, "--root-hash-file=%s", hash_file) < 0)
		return -ENOMEM;
	{
		char *argv[] = { "veritysetup",
				 "format",
				 "--hash=sha256",
				 "--data-block-size=4096",
				 "--hash-block-size=4096",
				 blocks_arg,
				 offset_arg,
				 salt_arg,
				 uuid_arg,
				 file_arg,
				 (char *)path,
				 (char *)path,
				 NULL };

		unlink(hash_file);
		r = run_veritysetup(argv);
		free(file_arg);
		if (r < 0) {
			unlink(hash_file);
			/* Leave the image as it was, without a partial tree. */
			if (ftruncate(fd, st.st_size) < 0)
				log_errno(-errno, "cannot truncate %s", path);
			return r;
		}
	}
	r = read_file_at(AT_FDCWD, hash_file, &root, NULL);
	unlink(hash_file);
	if (r < 0)
		return log_errno(r, "cannot read the root hash veritysetup wrote");
	if (strlen(strstrip(root)) != 64)
		return log_errno(-EPROTO, "veritysetup wrote no sha256 root hash");
	if (fsync(fd) < 0)
		return log_errno(-errno, "cannot write %s", path);
	memcpy(ret->root_hash, strstrip(root), 65);
	ret->hash_offset = size;
	return 0;
}

int verity_cmdline(const struct verity_info *v, char **ret)
{
	return asprintf(ret, "rd.pxeroot.verity=%s rd.pxeroot.verity.hashoffset=%llu",
			v->root_hash, (unsigned long long)v->hash_offset) < 0
		       ? -ENOMEM
		       : 0;
}
