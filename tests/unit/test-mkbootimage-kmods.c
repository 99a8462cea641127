// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkbootimage's module resolution on a real Debian kernel (tests/lib.sh's
 * kernel_fetch), checked against kmod's own modprobe on the same tree:
 * closures with dependencies and soft dependencies, modaliases of the NICs
 * QEMU emulates, built-in modules, the generic NIC set, and the modules.dep
 * lines BusyBox's modprobe will follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "kmods.h"
#include "log.h"
#include "rootdir.h"
#include "tap.h"
#include "util.h"

static char kroot[PATH_MAX], kver[128];

/* Ask tests/lib.sh for the cached kernel tree, fetching it the first time. */
static void fetch_kernel(void)
{
	const char *src = getenv("PXEROOT_SRC");
	char cmd[PATH_MAX + 256], line[PATH_MAX];
	FILE *f;

	if (kroot[0])
		return;
	snprintf(cmd, sizeof(cmd),
		 "bash -c '. \"%s/tests/lib.sh\" && kernel_fetch && "
		 "echo \"$KERNEL_ROOT $KVER\" >&3' 3>&1 >/dev/null",
		 src ? src : "..");
	f = popen(cmd, "r");
	if (!f || !fgets(line, sizeof(line), f) ||
	    sscanf(line, "%4095s %127s", kroot, kver) != 2) {
		fprintf(stderr,
			"cannot fetch the test kernel (tests/lib.sh kernel_fetch)\n");
		exit(1);
	}
	pclose(f);
}

static struct kmods *open_kmods(int *ret_rootfd)
{
	struct kmods_opts o = { 0 };
	struct kmods *m = NULL;
	int rootfd;

	fetch_kernel();
	rootfd = root_open_tree(kroot);
	check(rootfd >= 0);
	o.sysroot = kroot;
	o.kver = kver;
	o.shadow = true; /* never write into the shared cache */
	check_int(kmods_open(rootfd, &o, &m), 0);
	*ret_rootfd = rootfd;
	return m;
}

/* The module names kmod's modprobe would load for what, in its order. */
static char **modprobe_show_depends(const char *what, size_t *ret_n)
{
	char cmd[PATH_MAX + 256], line[PATH_MAX + 64];
	char **v = NULL;
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "modprobe -d '%s' -S '%s' --show-depends '%s' 2>/dev/null", kroot, kver,
		 what);
	f = popen(cmd, "r");
	check(f);
	while (fgets(line, sizeof(line), f)) {
		char *p, *dot;

		if (strncmp(line, "insmod ", 7) != 0)
			continue;
		p = strrchr(line, '/');
		check(p);
		p++;
		dot = strstr(p, ".ko");
		check(dot);
		*dot = '\0';
		for (char *c = p; *c; c++)
			if (*c == '-')
				*c = '_';
		/* modprobe may print a module twice (a soft dependency's own deps). */
		for (size_t i = 0; p && i < n; i++)
			if (strcmp(v[i], p) == 0)
				p = NULL;
		if (!p)
			continue;
		v = realloc(v, (n + 1) * sizeof(char *));
		check(v);
		v[n++] = strdup(p);
	}
	pclose(f);
	*ret_n = n;
	return v;
}

/* The set after adding what equals modprobe's, and it holds expect. */
static void check_closure(const char *what, const char *expect)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);
	size_t n;
	char **want = modprobe_show_depends(what, &n);

	check(n > 0);
	check(kmods_add(m, what) > 0);
	for (size_t i = 0; i < n; i++) {
		if (!kmods_has(m, want[i])) {
			fprintf(stderr, "%s: modprobe loads %s, mkbootimage has not\n",
				what, want[i]);
			exit(1);
		}
	}
	if (kmods_count(m) != n) {
		fprintf(stderr,
			"%s: modprobe loads %zu modules, mkbootimage has %zu: %s\n", what,
			n, kmods_count(m), kmods_names(m));
		exit(1);
	}
	if (expect)
		check(kmods_has(m, expect));
	kmods_free(m);
	close(rootfd);
}

static void test_closure_nbd(void)
{
	check_closure("nbd", "nbd");
}

static void test_closure_squashfs(void)
{
	check_closure("squashfs", "squashfs");
}

static void test_closure_overlay(void)
{
	check_closure("overlay", "overlay");
}

static void test_closure_nfsv4(void)
{
	check_closure("nfsv4", "sunrpc");
}

/* Soft dependencies, from modules.softdep (r8169 pre: realtek; libcrc32c pre:
 * crc32c, an alias): in the image as modprobe would load them, but not in the
 * module's modules.dep line, where one that fails to load (crc32c-intel on a
 * CPU without SSE 4.2) would stop BusyBox's modprobe from loading the module. */
static void test_softdeps(void)
{
	int rootfd;
	struct kmods *m;
	_cleanup_free_ char *line = NULL, *ext4 = NULL;

	check_closure("r8169", "realtek");
	check_closure("libcrc32c", NULL);
	m = open_kmods(&rootfd);
	check(kmods_add(m, "r8169") > 0);
	check(kmods_add(m, "ext4") > 0);
	check(kmods_has(m, "crc32c_generic"));
	check_int(kmods_dep_line(m, "r8169", &line), 0);
	check(strncmp(line, "kernel/drivers/net/ethernet/realtek/r8169.ko:", 45) == 0);
	check(strstr(line, "/libphy.ko"));
	check(!strstr(line, "/realtek.ko"));
	check_int(kmods_dep_line(m, "ext4", &ext4), 0);
	check(strstr(ext4, "/jbd2.ko"));
	check(!strstr(ext4, "crc32c"));
	kmods_free(m);
	close(rootfd);
}

/* The modaliases QEMU's e1000 and virtio-net present resolve to their drivers,
 * as kmod's modprobe --resolve-alias says. */
static void check_alias(const char *alias, const char *driver)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);
	char cmd[PATH_MAX + 256], line[256];
	FILE *f;
	bool seen = false;

	snprintf(cmd, sizeof(cmd), "modprobe -d '%s' -S '%s' -R '%s'", kroot, kver,
		 alias);
	f = popen(cmd, "r");
	check(f);
	while (fgets(line, sizeof(line), f))
		if (strcmp(strstrip(line), driver) == 0)
			seen = true;
	pclose(f);
	check(seen);
	check(kmods_add(m, alias) > 0);
	check(kmods_has(m, driver));
	kmods_free(m);
	close(rootfd);
}

static void test_modalias_e1000(void)
{
	check_alias("pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00", "e1000");
}

static void test_modalias_virtio_net(void)
{
	check_alias("virtio:d00000001v00001AF4", "virtio_net");
}

static void test_builtin_and_unknown(void)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);
	char path[PATH_MAX + 256], *buf = NULL;
	size_t len;

	/* af_packet is built into Debian's 6.1 kernel: found, nothing to add. */
	snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.builtin", kroot, kver);
	check_int(read_file_at(AT_FDCWD, path, &buf, &len), 0);
	check(strstr(buf, "/af_packet.ko\n"));
	free(buf);
	check_int(kmods_add(m, "af_packet"), 1);
	check_int(kmods_count(m), 0);
	check_int(kmods_add(m, "no_such_module_anywhere"), 0);
	check_int(kmods_add(m, "pci:v0000FFFFd0000FFFFsv0sd0bc99sc99i99"), 0);
	kmods_free(m);
	close(rootfd);
}

/* Every module under kernel/drivers/net/ethernet, as modules.dep lists them. */
static void test_generic_tree(void)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);
	char path[PATH_MAX + 256], *buf = NULL, *line, *save = NULL;
	int want = 0;

	snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.dep", kroot, kver);
	check_int(read_file_at(AT_FDCWD, path, &buf, NULL), 0);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (startswith(line, "kernel/drivers/net/ethernet/"))
			want++;
	free(buf);
	check(want > 50);
	check_int(kmods_add_tree(m, "drivers/net/ethernet/"), want);
	check(kmods_has(m, "e1000"));
	check(kmods_has(m, "e1000e"));
	check(kmods_has(m, "r8169"));
	check(kmods_has(m, "realtek")); /* r8169's soft dependency, outside the tree */
	check(!kmods_has(m, "virtio_net"));
	kmods_free(m);
	close(rootfd);
}

/* The modules.dep the image gets: one line per module, every module named in
 * a line is in the image, and each line's order loads dependencies first. */
static void test_emit_index(void)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);
	_cleanup_(image_freep) struct image *img = NULL;
	const struct img_entry *dep, *alias;
	char path[512], *copy, *line, *save = NULL;
	size_t lines = 0;

	check(kmods_add(m, "nfsv4") > 0);
	check(kmods_add(m, "e1000") > 0);
	check_int(image_new(rootfd, &img), 0);
	check_int(kmods_emit(m, img, NULL, NULL), 0);
	snprintf(path, sizeof(path), "lib/modules/%s/modules.dep", kver);
	dep = image_get(img, path);
	check(dep && dep->src == SRC_DATA);
	copy = strndup(dep->data, dep->size);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tok, *tsave = NULL;

		lines++;
		for (tok = strtok_r(line, ": ", &tsave); tok;
		     tok = strtok_r(NULL, " ", &tsave)) {
			snprintf(path, sizeof(path), "lib/modules/%s/%s", kver, tok);
			check(image_has(img, path));
		}
	}
	free(copy);
	check_int(lines, kmods_count(m));
	snprintf(path, sizeof(path), "lib/modules/%s/modules.alias", kver);
	alias = image_get(img, path);
	check(alias);
	check(memmem(alias->data, alias->size, " e1000\n", 7));
	check(!memmem(alias->data, alias->size, " e1000e\n", 8));
	kmods_free(m);
	close(rootfd);
}

int main(void)
{
	static const struct tap_case cases[] = {
		TAP_CASE(test_closure_nbd),
		TAP_CASE(test_closure_squashfs),
		TAP_CASE(test_closure_overlay),
		TAP_CASE(test_closure_nfsv4),
		TAP_CASE(test_softdeps),
		TAP_CASE(test_modalias_e1000),
		TAP_CASE(test_modalias_virtio_net),
		TAP_CASE(test_builtin_and_unknown),
		TAP_CASE(test_generic_tree),
		TAP_CASE(test_emit_index),
	};

	/* Once, before the cases fork: apt-cache is slow. */
	fetch_kernel();
	return tap_run(cases, ARRAY_SIZE(cases));
}
