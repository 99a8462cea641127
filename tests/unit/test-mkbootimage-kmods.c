// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkbootimage's module resolution on a small module tree built for the test
 * (tests/fixtures/kmods-tree.sh: a C compiler and depmod, no network),
 * checked against kmod's own modprobe on the same tree: closures with
 * dependencies and soft dependencies, aliases and modaliases, built-in
 * modules, a driver subtree, the modules.dep lines BusyBox's modprobe will
 * follow, firmware, and a missing or stale index.
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
#include "strv.h"
#include "tap.h"
#include "util.h"

#define KVER "6.1.0-pxeroot-test"

static char kroot[] = "/tmp/pxeroot-kmods.XXXXXX";

static int sh(const char *fmt, ...) _printf_(1, 2);
static int sh(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return system(cmd);
}

/* Once, in the parent: the tree every case reads (and none writes). */
static void build_tree(void)
{
	const char *src = getenv("PXEROOT_SRC");

	if (sh("(command -v cc && command -v depmod && command -v xz) >/dev/null") != 0) {
		tap_skip("cc, depmod or xz is missing");
		return;
	}
	if (!mkdtemp(kroot) || sh("bash '%s/tests/fixtures/kmods-tree.sh' '%s' %s >&2",
				  src ? src : "..", kroot, KVER) != 0) {
		fprintf(stderr, "cannot build the module tree in %s\n", kroot);
		exit(1);
	}
}

static void remove_tree(void)
{
	sh("rm -rf '%s'", kroot);
}

static struct kmods *open_tree(const char *root, int *ret_rootfd)
{
	struct kmods_opts o = { 0 };
	struct kmods *m = NULL;
	int rootfd = root_open_tree(root);

	check(rootfd >= 0);
	o.sysroot = root;
	o.kver = KVER;
	o.shadow = true; /* never write into the tree */
	check_int(kmods_open(rootfd, &o, &m), 0);
	*ret_rootfd = rootfd;
	return m;
}

static struct kmods *open_kmods(int *ret_rootfd)
{
	return open_tree(kroot, ret_rootfd);
}

/* The module names kmod's modprobe would load for what, each once. */
static char **modprobe_show_depends(const char *what)
{
	char cmd[PATH_MAX + 256], line[PATH_MAX + 64];
	_cleanup_pclose_ FILE *f = NULL;
	char **v = NULL;

	snprintf(cmd, sizeof(cmd),
		 "modprobe -d '%s' -S '%s' --show-depends '%s' 2>/dev/null", kroot, KVER,
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
		check(strv_extend_uniq(&v, p) >= 0);
	}
	return v;
}

/* The set after adding what equals modprobe's, and it holds expect. */
static void check_closure(const char *what, const char *expect, size_t n_expect)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);
	_cleanup_strv_free_ char **want = modprobe_show_depends(what);
	_cleanup_free_ char *names = NULL;

	check_int(strv_length(want), n_expect);
	check(kmods_add(m, what) > 0);
	strv_foreach(w, want)
		if (!kmods_has(m, *w)) {
			fprintf(stderr, "%s: modprobe loads %s, mkbootimage has not\n",
				what, *w);
			exit(1);
		}
	names = kmods_names(m);
	if (kmods_count(m) != n_expect) {
		fprintf(stderr,
			"%s: modprobe loads %zu modules, mkbootimage has %zu: %s\n", what,
			n_expect, kmods_count(m), names);
		exit(1);
	}
	if (expect)
		check(kmods_has(m, expect));
	kmods_free(m);
	close(rootfd);
}

static void test_closure_alone(void)
{
	check_closure("pxt_nbd", "pxt_nbd", 1);
}

/* Dependencies of dependencies, and an alias naming the module. */
static void test_closure_deps(void)
{
	check_closure("pxt_nfsv4", "pxt_lib", 4);
	check_closure("fs-pxt-nfs4", "pxt_sunrpc", 4);
}

/*
 * Soft dependencies (pxt_r8169 pre: pxt_realtek; pxt_libcrc pre: pxt-crc, an
 * alias of pxt-crc-generic): in the image as modprobe would load them, but
 * not in the module's modules.dep line, where one that fails to load would
 * stop BusyBox's modprobe from loading the module.
 */
static void test_softdeps(void)
{
	int rootfd;
	struct kmods *m;
	_cleanup_free_ char *line = NULL, *ext4 = NULL;

	check_closure("pxt_r8169", "pxt_realtek", 3);
	check_closure("pxt_libcrc", "pxt_crc_generic", 2);
	m = open_kmods(&rootfd);
	check(kmods_add(m, "pxt_r8169") > 0);
	check(kmods_add(m, "pxt_ext4") > 0);
	check(kmods_has(m, "pxt-crc-generic"));
	check_int(kmods_dep_line(m, "pxt_r8169", &line), 0);
	check_str(line, "kernel/drivers/net/ethernet/pxt/pxt_r8169.ko: "
			"kernel/drivers/net/phy/pxt_libphy.ko");
	/* The compressed pxt_jbd2.ko.xz is stored decompressed, as .ko. */
	check_int(kmods_dep_line(m, "pxt_ext4", &ext4), 0);
	check_str(
		ext4,
		"kernel/fs/pxt_ext4.ko: kernel/fs/pxt_jbd2.ko kernel/lib/pxt_libcrc.ko");
	check_int(kmods_dep_line(m, "pxt_nbd", &line), -ENOENT);
	kmods_free(m);
	close(rootfd);
}

/* The modaliases of QEMU's e1000 and virtio-net resolve to their drivers, as
 * kmod's modprobe --resolve-alias says. */
static void check_alias(const char *alias, const char *driver)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);
	char cmd[PATH_MAX + 256], line[256];
	_cleanup_pclose_ FILE *f = NULL;
	bool seen = false;

	snprintf(cmd, sizeof(cmd), "modprobe -d '%s' -S '%s' -R '%s'", kroot, KVER,
		 alias);
	f = popen(cmd, "r");
	check(f);
	while (fgets(line, sizeof(line), f))
		if (strcmp(strstrip(line), driver) == 0)
			seen = true;
	check(seen);
	check_int(kmods_add(m, alias), 1);
	check(kmods_has(m, driver));
	kmods_free(m);
	close(rootfd);
}

static void test_modalias_e1000(void)
{
	check_alias("pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00", "pxt_e1000");
}

static void test_modalias_virtio_net(void)
{
	check_alias("virtio:d00000001v00001AF4", "pxt_virtio_net");
}

static void test_builtin_and_unknown(void)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);

	/* Built in: found, nothing to add. */
	check_int(kmods_add(m, "pxt_packet"), 1);
	check_int(kmods_count(m), 0);
	check_int(kmods_add(m, "no_such_module_anywhere"), 0);
	check_int(kmods_add(m, "pci:v0000FFFFd0000FFFFsv0sd0bc99sc99i99"), 0);
	check_int(kmods_count(m), 0);
	kmods_free(m);
	close(rootfd);
}

/* Every module under kernel/drivers/net/ethernet, with what they need. */
static void test_generic_tree(void)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);

	check_int(kmods_add_tree(m, "drivers/net/ethernet/"), 3);
	check(kmods_has(m, "pxt_e1000"));
	check(kmods_has(m, "pxt_e1000e"));
	check(kmods_has(m, "pxt_r8169"));
	check(kmods_has(m, "pxt_libphy"));
	check(kmods_has(m, "pxt_realtek")); /* a soft dependency, outside the tree */
	check(!kmods_has(m, "pxt_virtio_net"));
	check_int(kmods_count(m), 5);
	kmods_free(m);
	close(rootfd);
}

static const struct img_entry *get(struct image *img, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "lib/modules/%s/%s", KVER, name);
	return image_get(img, path);
}

/* The modules.dep the image gets: one line per module, every module named in
 * a line is in the image, and the other index files are cut down to the set. */
static void test_emit_index(void)
{
	int rootfd;
	struct kmods *m = open_kmods(&rootfd);
	_cleanup_(image_freep) struct image *img = NULL;
	const struct img_entry *dep, *alias, *order;
	_cleanup_free_ char *copy = NULL;
	char *line, *save = NULL;
	size_t lines = 0, fw = 0, fw_missing = 0;

	check(kmods_add(m, "pxt_nfsv4") > 0);
	check(kmods_add(m, "pxt_e1000") > 0);
	check(kmods_add(m, "pxt_r8169") > 0);
	check(kmods_add(m, "pxt_ext4") > 0);
	check_int(image_new(rootfd, &img), 0);
	check_int(kmods_emit(m, img, &fw, &fw_missing), 0);
	dep = get(img, "modules.dep");
	check(dep && dep->src == SRC_DATA);
	copy = strndup(dep->data, dep->size);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tok, *tsave = NULL;

		lines++;
		for (tok = strtok_r(line, ": ", &tsave); tok;
		     tok = strtok_r(NULL, " ", &tsave))
			check(get(img, tok));
	}
	check_int(lines, kmods_count(m));
	check(get(img, "kernel/fs/pxt_jbd2.ko"));
	check(!get(img, "kernel/fs/pxt_jbd2.ko.xz"));
	check(!get(img, "kernel/drivers/net/ethernet/pxt/pxt_e1000e.ko"));
	alias = get(img, "modules.alias");
	check(alias);
	check(memmem(alias->data, alias->size, " pxt_e1000\n", 11));
	check(!memmem(alias->data, alias->size, " pxt_e1000e\n", 12));
	order = get(img, "modules.order");
	check(order);
	check(memmem(order->data, order->size, "kernel/lib/pxt_lib.ko\n", 22));
	check(!memmem(order->data, order->size, "pxt_nbd", 7));
	check(get(img, "modules.builtin"));
	/* pxt_r8169's firmware is in the tree, pxt_e1000's is not. */
	check_int(fw, 1);
	check_int(fw_missing, 1);
	check(image_get(img, "lib/firmware/pxt/rtl.fw"));
	kmods_free(m);
	close(rootfd);
}

/*
 * No index (a tree without modules.dep): depmod runs on a private copy and
 * the tree is left as it was; a module newer than modules.dep makes the index
 * stale.
 */
static void test_missing_and_stale_index(void)
{
	char copy[] = "/tmp/pxeroot-kmods-copy.XXXXXX", path[PATH_MAX + 64];
	enum moddep_state state;
	_cleanup_free_ char *newer = NULL;
	struct stat st;
	struct kmods *m;
	int rootfd;

	check(mkdtemp(copy));
	check_int(sh("cp -a '%s/lib' '%s/' && rm '%s/lib/modules/%s'/modules.dep*", kroot,
		     copy, copy, KVER),
		  0);
	rootfd = root_open_tree(copy);
	check(rootfd >= 0);
	check_int(kmods_moddep_state(rootfd, KVER, &state, &newer), 0);
	check_int(state, MODDEP_MISSING);
	close(rootfd);
	m = open_tree(copy, &rootfd);
	check(kmods_add(m, "pxt_nfsv4") > 0);
	check_int(kmods_count(m), 4);
	kmods_free(m);
	close(rootfd);
	snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.dep", copy, KVER);
	check(stat(path, &st) < 0 && errno == ENOENT);

	rootfd = root_open_tree(kroot);
	check(rootfd >= 0);
	check_int(kmods_moddep_state(rootfd, KVER, &state, &newer), 0);
	check_int(state, MODDEP_FRESH);
	check_int(sh("cp -a '%s/lib' '%s/' && touch -d '+1 hour' "
		     "'%s/lib/modules/%s/kernel/drivers/block/pxt_nbd.ko'",
		     kroot, copy, copy, KVER),
		  0);
	close(rootfd);
	rootfd = root_open_tree(copy);
	check(rootfd >= 0);
	check_int(kmods_moddep_state(rootfd, KVER, &state, &newer), 0);
	check_int(state, MODDEP_STALE);
	check_str(newer, "kernel/drivers/block/pxt_nbd.ko");
	close(rootfd);
	check_int(sh("rm -rf '%s'", copy), 0);
}

int main(void)
{
	static const struct tap_case cases[] = {
		TAP_CASE(test_closure_alone),
		TAP_CASE(test_closure_deps),
		TAP_CASE(test_softdeps),
		TAP_CASE(test_modalias_e1000),
		TAP_CASE(test_modalias_virtio_net),
		TAP_CASE(test_builtin_and_unknown),
		TAP_CASE(test_generic_tree),
		TAP_CASE(test_emit_index),
		TAP_CASE(test_missing_and_stale_index),
	};
	static const struct tap_hooks hooks = { .before_all = build_tree,
						.after_all = remove_tree };

	return tap_run_with(cases, ARRAY_SIZE(cases), &hooks);
}
