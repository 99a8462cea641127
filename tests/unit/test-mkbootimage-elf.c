// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkbootimage's ELF reader, BusyBox applet table and shared library lookup,
 * on real binaries: this test program itself, the host's static BusyBox, and
 * 32-bit objects made here by the real assembler and linker. The library
 * lookup is checked against ldd, the real dynamic loader's answer.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "busybox.h"
#include "elfinfo.h"
#include "image.h"
#include "libs.h"
#include "rootdir.h"
#include "tap.h"
#include "util.h"

static const char *busybox_path(void)
{
	static const char *const c[] = { "/usr/bin/busybox", "/bin/busybox" };

	for (size_t i = 0; i < 2; i++)
		if (access(c[i], X_OK) == 0)
			return c[i];
	fprintf(stderr, "no busybox on this machine (scripts/install-deps test)\n");
	exit(1);
}

static bool has_needed(const struct elf_info *e, const char *name)
{
	for (size_t i = 0; i < e->n_needed; i++)
		if (strcmp(e->needed[i], name) == 0)
			return true;
	return false;
}

/* What this test binary is, on the architectures it is built for. */
#if defined(__x86_64__)
#define SELF_MACHINE EM_X86_64
#define SELF_INTERP "/lib64/ld-linux-x86-64.so.2"
#define SELF_UNAME "x86_64"
#elif defined(__aarch64__)
#define SELF_MACHINE EM_AARCH64
#define SELF_INTERP "/lib/ld-linux-aarch64.so.1"
#define SELF_UNAME "aarch64"
#else
#error "say what a dynamic executable of this architecture looks like"
#endif

static void test_dynamic_self(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	struct elf_info e;

	check(fd >= 0);
	check_int(elf_parse_fd(fd, &e), 0);
	check_int(e.bits, 64);
	check(!e.big_endian);
	check_int(e.machine, SELF_MACHINE);
	check(e.dynamic);
	check_str(e.interp, SELF_INTERP);
	check(has_needed(&e, "libc.so.6"));
	check(has_needed(&e, "libarchive.so.13"));
	check(has_needed(&e, "libkmod.so.2"));
	check(e.needed[e.n_needed] == NULL);
	elf_info_done(&e);
	close(fd);
}

static void test_static_busybox(void)
{
	int fd = open(busybox_path(), O_RDONLY);
	struct elf_info e;

	check(fd >= 0);
	check_int(elf_parse_fd(fd, &e), 0);
	check_int(e.bits, 64);
	check(e.interp == NULL);
	check_int(e.n_needed, 0);
	elf_info_done(&e);
	close(fd);
}

static void test_shared_library_soname(void)
{
	struct elf_info e;
	int fd = open("/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY);

	check(fd >= 0);
	check_int(elf_parse_fd(fd, &e), 0);
	check_int(e.type, ET_DYN);
	check_str(e.soname, "libc.so.6");
	elf_info_done(&e);
	close(fd);
}

static char *mktemp_dir(void)
{
	static char dir[64];

	strcpy(dir, "/tmp/pxeroot-elf.XXXXXX");
	check(mkdtemp(dir));
	return dir;
}

/* A 32-bit shared library and a program linked to it, by as and ld. */
static void make_i386(const char *dir, bool new_dtags)
{
	char cmd[2048];

	snprintf(
		cmd, sizeof(cmd),
		"set -e; cd %s; mkdir -p lib bin;"
		"printf '.globl f\\n.text\\nf: ret\\n' > lib.s;"
		"printf '.globl _start\\n.text\\n_start: call f\\n' > prog.s;"
		"as --32 -o lib.o lib.s; as --32 -o prog.o prog.s;"
		"ld -m elf_i386 -shared -soname libpxt.so.1 -o lib/libpxt.so.1 lib.o 2>/dev/null;"
		"ld -m elf_i386 %s -dynamic-linker /lib/ld-linux.so.2 "
		"-rpath '$ORIGIN/../lib' -o bin/prog prog.o lib/libpxt.so.1 2>/dev/null",
		dir, new_dtags ? "--enable-new-dtags" : "--disable-new-dtags");
	check(system(cmd) == 0);
}

static void rmrf(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	check(system(cmd) == 0);
}

static void test_i386_runpath(void)
{
	char *dir = mktemp_dir(), p[256];
	struct elf_info e;
	int fd;

	make_i386(dir, true);
	snprintf(p, sizeof(p), "%s/bin/prog", dir);
	fd = open(p, O_RDONLY);
	check(fd >= 0);
	check_int(elf_parse_fd(fd, &e), 0);
	check_int(e.bits, 32);
	check_int(e.machine, EM_386);
	check_str(e.interp, "/lib/ld-linux.so.2");
	check_int(e.n_needed, 1);
	check_str(e.needed[0], "libpxt.so.1");
	check_str(e.runpath, "$ORIGIN/../lib");
	check(e.rpath == NULL);
	elf_info_done(&e);
	close(fd);
	snprintf(p, sizeof(p), "%s/lib/libpxt.so.1", dir);
	fd = open(p, O_RDONLY);
	check_int(elf_parse_fd(fd, &e), 0);
	check_str(e.soname, "libpxt.so.1");
	check(e.interp == NULL);
	elf_info_done(&e);
	close(fd);
	rmrf(dir);
}

static void test_i386_rpath_and_lookup(void)
{
	char *dir = mktemp_dir(), p[256];
	struct elf_info e;
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_(libs_freep) struct libs *l = NULL;
	const struct img_entry *ent;
	int fd, rootfd;

	make_i386(dir, false);
	snprintf(p, sizeof(p), "%s/bin/prog", dir);
	fd = open(p, O_RDONLY);
	check_int(elf_parse_fd(fd, &e), 0);
	check_str(e.rpath, "$ORIGIN/../lib");
	check(e.runpath == NULL);
	elf_info_done(&e);
	close(fd);

	/* The tree as a SYSROOT: $ORIGIN/../lib finds the library, the missing
	 * interpreter is an error that names it. */
	rootfd = root_open_tree(dir);
	check(rootfd >= 0);
	check_int(image_new(rootfd, &img), 0);
	check_int(libs_new(rootfd, dir, &l), 0);
	check_int(libs_add_program(l, img, "/bin/prog"), -ENOENT);
	snprintf(p, sizeof(p), "%s/lib/ld-linux.so.2", dir);
	check(symlink("libpxt.so.1", p) == 0); /* any 32-bit x86 object will do */
	image_free(img);
	check_int(image_new(rootfd, &img), 0);
	check_int(libs_add_program(l, img, "/bin/prog"), 0);
	check(image_has(img, "bin/prog"));
	ent = image_get(img, "lib/libpxt.so.1");
	check(ent && S_ISREG(ent->mode));
	/* The interpreter is a link in the tree: stored once, linked where asked. */
	ent = image_get(img, "lib/ld-linux.so.2");
	check(ent && S_ISLNK(ent->mode));
	check_str(ent->from, "/lib/libpxt.so.1");
	close(rootfd);
	rmrf(dir);
}

static void test_malformed_never_crash(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	struct stat st;
	uint8_t *orig, *buf;
	struct elf_info e;
	unsigned int seed = 12345;

	check(fd >= 0 && fstat(fd, &st) == 0);
	orig = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	check(orig != MAP_FAILED);
	buf = malloc(st.st_size);
	check(buf);
	/* Every truncation of the headers: an error or a result, never a crash. */
	for (size_t len = 0; len < 8192 && len < (size_t)st.st_size; len += 7) {
		int k = elf_parse(orig, len, &e);

		check(k == 0 || k == -ENOEXEC);
		if (k == 0)
			elf_info_done(&e);
	}
	check_int(elf_parse("\177ELF", 4, &e), -ENOEXEC);
	check_int(elf_parse("#!/bin/sh\n", 10, &e), -ENOEXEC);
	/* Random bytes in the headers and the dynamic section. */
	for (int round = 0; round < 2000; round++) {
		int k;

		memcpy(buf, orig, st.st_size);
		for (int j = 0; j < 4; j++) {
			size_t off = (size_t)rand_r(&seed) %
				     MIN((size_t)st.st_size, (size_t)16384);

			buf[off] = (uint8_t)rand_r(&seed);
		}
		k = elf_parse(buf, st.st_size, &e);
		check(k == 0 || k == -ENOEXEC);
		if (k == 0)
			elf_info_done(&e);
	}
	free(buf);
	munmap(orig, st.st_size);
	close(fd);
}

static void test_busybox_applet_table(void)
{
	const char *bb = busybox_path();
	int fd = open(bb, O_RDONLY);
	struct stat st;
	void *map;
	char **v = NULL, cmd[256];
	size_t n = 0, i = 0;
	FILE *f;
	char line[256];

	check(fd >= 0 && fstat(fd, &st) == 0);
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	check(map != MAP_FAILED);
	check_int(busybox_applets_from_image(map, st.st_size, &v, &n), 0);
	/* The same list, in the same order, as the binary itself prints. */
	snprintf(cmd, sizeof(cmd), "%s --list | LC_ALL=C sort", bb);
	f = popen(cmd, "r");
	check(f);
	while (fgets(line, sizeof(line), f)) {
		strstrip(line);
		check(i < n);
		check_str(v[i], line);
		i++;
	}
	check(pclose(f) == 0);
	check_int(i, n);
	check(n > 100);
	/* Not BusyBox: no table. */
	check_int(busybox_applets_from_image("abc\0def\0", 8, &v, &n), -ENOENT);
	munmap(map, st.st_size);
	close(fd);
}

/* Every library ldd (the real loader) resolves for prog is in the image, as a
 * regular file at its real path, and nothing else is. */
static void check_against_ldd(const char *prog)
{
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_(libs_freep) struct libs *l = NULL;
	int rootfd = root_open_tree("/");
	char cmd[PATH_MAX + 64], line[PATH_MAX + 64];
	size_t nlibs = 0, nfiles = 0;
	FILE *f;

	check(rootfd >= 0);
	/* A cross build run under qemu-user (the shell, native, sees the host's
	 * machine): "/" is its sysroot, and the host's ldd cannot read it. */
	if (system("test \"$(uname -m)\" = " SELF_UNAME) != 0)
		tap_skip("ldd cannot read this binary (a cross build under emulation)");
	check_int(image_new(rootfd, &img), 0);
	check_int(libs_new(rootfd, "/", &l), 0);
	check_int(libs_add_program(l, img, prog), 0);
	snprintf(cmd, sizeof(cmd), "ldd '%s'", prog);
	f = popen(cmd, "r");
	check(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/'), *real;

		if (!p || strstr(line, "linux-vdso"))
			continue;
		p[strcspn(p, " \n")] = '\0';
		real = realpath(p, NULL);
		check(real);
		if (!image_has(img, real) || !S_ISREG(image_get(img, real)->mode)) {
			fprintf(stderr, "%s: ldd finds %s (%s), not in the image\n", prog,
				p, real);
			exit(1);
		}
		free(real);
		nlibs++;
	}
	check(pclose(f) == 0);
	for (size_t i = 0; i < image_count(img); i++)
		(void)i;
	/* Regular files in the image: the program and the libraries, no more. */
	{
		FILE *mem;
		char *buf = NULL, *s, *save = NULL;
		size_t len = 0;

		mem = open_memstream(&buf, &len);
		check(mem);
		check_int(image_list(img, mem), 0);
		fclose(mem);
		for (s = strtok_r(buf, "\n", &save); s; s = strtok_r(NULL, "\n", &save))
			if (s[0] == '-')
				nfiles++;
		free(buf);
	}
	check(nlibs > 0);
	check_int(nfiles, nlibs + 1);
	close(rootfd);
}

static void test_libraries_like_ldd_self(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	check(n > 0);
	self[n] = '\0';
	check_against_ldd(self);
}

static void test_libraries_like_ldd_system(void)
{
	static const char *const progs[] = { "/usr/bin/ls", "/usr/bin/kmod",
					     "/usr/bin/qemu-system-x86_64" };

	for (size_t i = 0; i < ARRAY_SIZE(progs); i++)
		if (access(progs[i], X_OK) == 0)
			check_against_ldd(progs[i]);
}

static void test_missing_program(void)
{
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_(libs_freep) struct libs *l = NULL;
	int rootfd = root_open_tree("/");

	check_int(image_new(rootfd, &img), 0);
	check_int(libs_new(rootfd, "/", &l), 0);
	check_int(libs_add_program(l, img, "/no/such/program"), -ENOENT);
	check_int(libs_add_program(l, img, "relative"), -EINVAL);
	close(rootfd);
}

TAP_MAIN(TAP_CASE(test_dynamic_self), TAP_CASE(test_static_busybox),
	 TAP_CASE(test_shared_library_soname), TAP_CASE(test_i386_runpath),
	 TAP_CASE(test_i386_rpath_and_lookup), TAP_CASE(test_malformed_never_crash),
	 TAP_CASE(test_busybox_applet_table), TAP_CASE(test_libraries_like_ldd_self),
	 TAP_CASE(test_libraries_like_ldd_system), TAP_CASE(test_missing_program))
