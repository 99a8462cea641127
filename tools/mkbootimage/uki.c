// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The unified kernel image is put together by binutils' objcopy (sections added
 * at chosen addresses) and signed by sbsign, the tools Debian ships for this;
 * what is done here by hand is only what they cannot: choosing the addresses
 * past the stub's own sections, and a fixed PE time stamp (objcopy writes the
 * current time, which would make every build differ).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "macro.h"
#include "mkbootimage.h"
#include "unaligned.h"
#include "uki.h"
#include "util.h"

extern char **environ;

#define PE_PAGE 4096u

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* The offsets of the COFF header, the optional header and the section table. */
static int pe_layout(const uint8_t *d, size_t size, size_t *coff, size_t *opt,
		     size_t *sections, unsigned *nsections)
{
	size_t optsize;

	if (size < 0x40 || d[0] != 'M' || d[1] != 'Z')
		return -EINVAL;
	*coff = unaligned_read_le32(d + 0x3c);
	if (*coff > size - 24 || memcmp(d + *coff, "PE\0\0", 4) != 0)
		return -EINVAL;
	*coff += 4;
	*nsections = unaligned_read_le16(d + *coff + 2);
	optsize = unaligned_read_le16(d + *coff + 16);
	*opt = *coff + 20;
	/* PE32+ only: what EFI stubs for 64-bit machines are. */
	if (optsize < 96 || *opt + optsize > size ||
	    unaligned_read_le16(d + *opt) != 0x20b)
		return -EINVAL;
	*sections = *opt + optsize;
	if (*sections + (size_t)*nsections * 40 > size)
		return -EINVAL;
	return 0;
}

int uki_pe_end(const void *data, size_t size, uint64_t *ret_end)
{
	const uint8_t *d = data;
	size_t coff, opt, sec;
	unsigned n;
	uint64_t end = 0;
	int k = pe_layout(d, size, &coff, &opt, &sec, &n);

	if (k < 0)
		return k;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *s = d + sec + (size_t)i * 40;
		uint64_t e = (uint64_t)unaligned_read_le32(s + 12) +
			     unaligned_read_le32(s + 8);

		if (e > end)
			end = e;
	}
	/* SizeOfImage covers them all too, aligned as the stub wants. */
	if (unaligned_read_le32(d + opt + 56) > end)
		end = unaligned_read_le32(d + opt + 56);
	*ret_end = align_up(end, PE_PAGE);
	return 0;
}

int uki_pe_finish(void *data, size_t size, uint32_t timestamp)
{
	uint8_t *d = data;
	size_t coff, opt, sec, csum_at;
	unsigned n;
	uint64_t sum = 0;
	int k = pe_layout(d, size, &coff, &opt, &sec, &n);

	if (k < 0)
		return k;
	unaligned_write_le32(d + coff + 4, timestamp);
	/* The PE checksum: 16-bit words summed with carries folded, the field
	 * itself as zero, plus the file's length. */
	csum_at = opt + 64;
	unaligned_write_le32(d + csum_at, 0);
	for (size_t i = 0; i + 1 < size; i += 2) {
		sum += unaligned_read_le16(d + i);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (size & 1) {
		sum += d[size - 1];
		sum = (sum & 0xffff) + (sum >> 16);
	}
	sum = (sum & 0xffff) + (sum >> 16);
	unaligned_write_le32(d + csum_at, (uint32_t)(sum + size));
	return 0;
}

/* Run argv; 0 when it exits 0, else one line saying what failed. */
static int run(char *const argv[], const char *package)
{
	pid_t pid;
	int status, k;
	posix_spawn_file_actions_t fa;

	/* Their progress chatter goes; their errors stay on stderr. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	k = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (k == ENOENT) {
		log_error("%s is not installed (Debian: %s)", argv[0], package);
		return -ENOENT;
	}
	if (k != 0)
		return log_errno(-k, "cannot run %s", argv[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_errno(-errno, "cannot wait for %s", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("%s failed (%s %d)", argv[0],
			  WIFEXITED(status) ? "exit status" : "signal",
			  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -EIO;
	}
	return 0;
}

static int file_size(const char *path, const char *what, uint64_t *ret)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return log_errno(-errno, "cannot read the %s %s", what, path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		log_error("the %s %s is not a non-empty file", what, path);
		return -EINVAL;
	}
	*ret = (uint64_t)st.st_size;
	return 0;
}

struct section {
	const char *name, *path;
	uint64_t size;
};

static int assemble(const struct uki_opts *u, const char *tmpdir, const char *out)
{
	_cleanup_free_ char *stub = NULL, *osrel_path = NULL, *cmdline_path = NULL;
	char vma[4][sizeof("--change-section-vma .cmdline=0x0000000000000000")];
	char add[4][4096];
	struct section s[4];
	char *argv[3 + 4 * 4 + 2];
	size_t stub_size, n = 0;
	uint64_t at;
	int fd, k;

	fd = open(u->stub, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno,
				 "cannot open the EFI stub %s (Debian: systemd-boot-efi)",
				 u->stub);
	k = read_fd_all(fd, &stub, &stub_size);
	close(fd);
	if (k < 0)
		return log_errno(k, "cannot read %s", u->stub);
	k = uki_pe_end(stub, stub_size, &at);
	if (k < 0) {
		log_error("%s is not a 64-bit PE image (an EFI stub)", u->stub);
		return k;
	}
	if (asprintf(&osrel_path, "%s/osrel", tmpdir) < 0 ||
	    asprintf(&cmdline_path, "%s/cmdline", tmpdir) < 0)
		return log_oom();
	k = write_file_atomic_at(AT_FDCWD, osrel_path, u->osrel ? u->osrel : "",
				 u->osrel ? strlen(u->osrel) : 0, 0600);
	if (k >= 0)
		k = write_file_atomic_at(AT_FDCWD, cmdline_path, u->cmdline,
					 strlen(u->cmdline), 0600);
	if (k < 0)
		return log_errno(k, "cannot write in %s", tmpdir);

	s[0] = (struct section){ ".osrel", osrel_path, u->osrel ? strlen(u->osrel) : 0 };
	s[1] = (struct section){ ".cmdline", cmdline_path, strlen(u->cmdline) };
	s[2] = (struct section){ ".linux", u->kernel, 0 };
	s[3] = (struct section){ ".initrd", u->initrd, 0 };
	if ((k = file_size(u->kernel, "kernel", &s[2].size)) < 0 ||
	    (k = file_size(u->initrd, "initramfs", &s[3].size)) < 0)
		return k;

	argv[n++] = "objcopy";
	/* No COFF symbol table after the sections: nothing outside them to sign. */
	argv[n++] = "--strip-all";
	for (size_t i = 0; i < ARRAY_SIZE(s); i++) {
		if (s[i].size == 0 && i == 0)
			continue; /* no os-release in the tree: no .osrel */
		snprintf(add[i], sizeof(add[i]), "%s=%s", s[i].name, s[i].path);
		snprintf(vma[i], sizeof(vma[i]), "%s=0x%llx", s[i].name,
			 (unsigned long long)at);
		argv[n++] = "--add-section";
		argv[n++] = add[i];
		argv[n++] = "--change-section-vma";
		argv[n++] = vma[i];
		at = align_up(at + s[i].size, PE_PAGE);
	}
	argv[n++] = (char *)u->stub;
	argv[n++] = (char *)out;
	argv[n] = NULL;
	k = run(argv, "binutils");
	if (k < 0)
		return k;

	/* A fixed time stamp, so the same inputs make the same bytes. */
	{
		_cleanup_free_ char *img = NULL;
		size_t size;

		fd = open(out, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return log_errno(-errno, "cannot open %s", out);
		k = read_fd_all(fd, &img, &size);
		if (k >= 0)
			k = uki_pe_finish(img, size, (uint32_t)u->epoch);
		if (k >= 0)
			k = pwrite_full(fd, img, size, 0);
		close(fd);
		if (k < 0)
			return log_errno(k, "cannot finish %s", out);
	}
	return 0;
}

int uki_build(const struct uki_opts *u)
{
	char tmpdir[] = "/tmp/mkbootimage-uki.XXXXXX";
	_cleanup_free_ char *unsigned_path = NULL, *signed_path = NULL;
	const char *result;
	int k;

	if (!mkdtemp(tmpdir))
		return log_errno(-errno, "cannot make a temporary directory");
	if (asprintf(&unsigned_path, "%s/uki.efi", tmpdir) < 0 ||
	    asprintf(&signed_path, "%s/uki-signed.efi", tmpdir) < 0) {
		k = log_oom();
		goto out;
	}
	k = assemble(u, tmpdir, unsigned_path);
	if (k < 0)
		goto out;
	result = unsigned_path;
	if (u->sign_key) {
		char *argv[] = { "sbsign",
				 "--key",
				 (char *)u->sign_key,
				 "--cert",
				 (char *)u->sign_cert,
				 "--output",
				 signed_path,
				 unsigned_path,
				 NULL };

		k = run(argv, "sbsigntool");
		if (k < 0)
			goto out;
		result = signed_path;
	}
	/* Into place atomically: a copy next to the output, synced, renamed. */
	{
		_cleanup_free_ char *img = NULL;
		size_t size;
		int fd = open(result, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			k = log_errno(-errno, "cannot read %s", result);
			goto out;
		}
		k = read_fd_all(fd, &img, &size);
		close(fd);
		if (k >= 0)
			k = write_file_atomic_at(AT_FDCWD, u->output, img, size, 0644);
		if (k < 0) {
			log_errno(k, "cannot write %s", u->output);
			goto out;
		}
	}
	k = 0;
out:
	if (unsigned_path)
		unlink(unsigned_path);
	if (signed_path)
		unlink(signed_path);
	{
		char p[sizeof(tmpdir) + 16];

		snprintf(p, sizeof(p), "%s/osrel", tmpdir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/cmdline", tmpdir);
		unlink(p);
	}
	rmdir(tmpdir);
	return k;
}
