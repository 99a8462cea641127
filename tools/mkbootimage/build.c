// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "busybox.h"
#include "compress.h"
#include "elfinfo.h"
#include "kmods.h"
#include "libs.h"
#include "mkbootimage.h"
#include "rootdir.h"
#include "strbuf.h"
#include "uki.h"
#include "util.h"

/* Always in the image where the kernel has them as modules: the network root
 * transports, the read-only image formats, the writable layer, and VLANs
 * (vlan= is read at boot; 8021q is small). bonding and bridge are larger and
 * come with --modules. */
static const char *const base_modules[] = {
	"nfs",	   "nfsv3", "nfsv4",	 "nbd",	 "squashfs",
	"overlay", "loop",  "af_packet", "ext4", "8021q",
};

/* Wired NICs outside drivers/net/ethernet, and the bus they sit on in a VM. */
static const char *const generic_extra[] = {
	"virtio_net", "virtio_pci", "vmxnet3", "hv_netvsc", "xen_netfront",
};

/* USB host controllers for USB network adapters (--drivers usb). */
static const char *const usb_hosts[] = {
	"xhci_pci", "ehci_pci", "ohci_pci", "uhci_hcd", "usbnet",
};

/*
 * What every pxeroot root needs from the kernel, whatever the transport: the
 * NBD client and squashfs for the shared image, overlayfs for the writable
 * layer. Each must be a module of the tree or built in; else the image would
 * only fail at boot, so the build stops, naming the kernel's options.
 */
static const struct {
	const char *module, *option;
} required_modules[] = {
	{ "nbd", "CONFIG_BLK_DEV_NBD" },
	{ "squashfs", "CONFIG_SQUASHFS" },
	{ "overlay", "CONFIG_OVERLAY_FS" },
};

/* OPTION=y in the kernel's own config (SYSROOT/boot/config-KVER), for a
 * kernel built in without a modules.builtin listing it. */
static bool config_builtin(int rootfd, const char *kver, const char *option)
{
	_cleanup_free_ char *path = NULL, *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t n = 0, len = strlen(option);
	int fd;

	if (asprintf(&path, "boot/config-%s", kver) < 0)
		return false;
	fd = root_open(rootfd, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return false;
	}
	while (getline(&line, &n, f) > 0)
		if (strncmp(line, option, len) == 0 && strcmp(line + len, "=y\n") == 0)
			return true;
	return false;
}

static int add_base_modules(struct kmods *m, int rootfd, const char *kver)
{
	_cleanup_strbuf_ struct strbuf missing = { 0 };
	int k;

	for (size_t i = 0; i < ARRAY_SIZE(base_modules); i++) {
		const char *option = NULL;

		k = kmods_add(m, base_modules[i]);
		if (k < 0)
			return log_errno(k, "cannot add %s", base_modules[i]);
		if (k > 0)
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(required_modules); j++)
			if (strcmp(required_modules[j].module, base_modules[i]) == 0)
				option = required_modules[j].option;
		if (!option) {
			log_warn("kernel %s has no %s", kver, base_modules[i]);
			continue;
		}
		if (config_builtin(rootfd, kver, option))
			continue;
		if (strbuf_appendf(&missing, "%s%s", missing.len ? ", " : "", option) < 0)
			return log_oom();
	}
	if (missing.len) {
		log_error(
			"kernel %s lacks %s (neither a module nor built in): it cannot mount "
			"a pxeroot root",
			kver, missing.s);
		return -ENOPKG;
	}
	return 0;
}

static int add_named(struct kmods *m, const char *name, const char *kver,
		     const char *what)
{
	int k = kmods_add(m, name);

	if (k < 0)
		return log_errno(k, "cannot add %s %s", what, name);
	if (k == 0) {
		log_error("unknown %s '%s' for kernel %s", what, name, kver);
		return -ENOENT;
	}
	return 0;
}

static int add_generic(struct kmods *m, const char *kver)
{
	/* The PHY and MDIO drivers too: a NIC driver finds its PHY when it probes
	 * and asks for that PHY's driver by modalias. */
	static const char *const trees[] = { "drivers/net/ethernet/", "drivers/net/phy/",
					     "drivers/net/mdio/" };
	int k;

	for (size_t i = 0; i < ARRAY_SIZE(trees); i++) {
		k = kmods_add_tree(m, trees[i]);
		if (k < 0)
			return log_errno(k, "cannot add the modules of %s in %s",
					 trees[i], kver);
	}
	for (size_t i = 0; i < ARRAY_SIZE(generic_extra); i++) {
		k = kmods_add(m, generic_extra[i]);
		if (k < 0)
			return log_errno(k, "cannot add %s", generic_extra[i]);
	}
	return 0;
}

static int add_usb(struct kmods *m, const char *kver)
{
	int k = kmods_add_tree(m, "drivers/net/usb/");

	if (k < 0)
		return log_errno(k, "cannot add the USB network drivers of %s", kver);
	for (size_t i = 0; i < ARRAY_SIZE(usb_hosts); i++) {
		k = kmods_add(m, usb_hosts[i]);
		if (k < 0)
			return log_errno(k, "cannot add %s", usb_hosts[i]);
	}
	return 0;
}

static int add_drivers(struct kmods *m, const char *spec, const char *kver)
{
	_cleanup_free_ char *copy = strdup(spec);
	char *tok, *save = NULL;
	int k;

	if (!copy)
		return log_oom();
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = strstrip(tok);
		if (!*tok || strcmp(tok, "none") == 0)
			continue;
		if (strcmp(tok, "generic") == 0) {
			k = add_generic(m, kver);
			if (k < 0)
				return k;
		} else if (strcmp(tok, "usb") == 0) {
			k = add_usb(m, kver);
			if (k < 0)
				return k;
		} else if (strcmp(tok, "host") == 0) {
			const char *sysfs = getenv("MKBOOTIMAGE_SYSFS") ?: "/sys";

			k = kmods_add_host_nics(m, sysfs);
			if (k < 0)
				return log_errno(k,
						 "cannot read the network devices in %s",
						 sysfs);
			if (k == 0)
				log_warn(
					"no network device with a driver found on this machine");
		} else {
			k = add_named(m, tok, kver, "driver");
			if (k < 0)
				return k;
		}
	}
	/* A virtio driver is no use without the transport its device sits on. The
	 * virtio core is a module on amd64 but built in on arm64, so ask for the
	 * drivers too. */
	if ((kmods_has(m, "virtio") || kmods_has(m, "virtio_net") ||
	     kmods_has(m, "virtio_blk")) &&
	    (k = kmods_add(m, "virtio_pci")) < 0)
		return log_errno(k, "cannot add virtio_pci");
	return 0;
}

/* The skeleton: --skeleton, $PXEROOT_SKELETON, next to the program, installed. */
static int find_skeleton(const struct build_opts *o, char **ret)
{
	char self[PATH_MAX], p[PATH_MAX + 32];
	struct stat st;
	ssize_t n;
	const char *env = getenv("PXEROOT_SKELETON");

	if (o->skeleton || (env && *env)) {
		const char *s = o->skeleton ? o->skeleton : env;

		if (stat(s, &st) < 0)
			return log_errno(-errno, "cannot open skeleton %s", s);
		if (!S_ISDIR(st.st_mode)) {
			log_error("skeleton %s is not a directory", s);
			return -ENOTDIR;
		}
		*ret = strdup(s);
		return *ret ? 0 : log_oom();
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(p, sizeof(p), "%s/initrd/skel", self);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			*ret = strdup(p);
			return *ret ? 0 : log_oom();
		}
	}
	snprintf(p, sizeof(p), "%s/initrd/skel", PXEROOT_LIBEXECDIR);
	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
		*ret = strdup(p);
		return *ret ? 0 : log_oom();
	}
	log_error("cannot find the initramfs skeleton (%s): use --skeleton DIR", p);
	return -ENOENT;
}

static int add_skeleton_dir(struct image *img, const char *host, const char *rel)
{
	_cleanup_closedir_ DIR *d = opendir(host);
	struct dirent *de;
	int k = 0;

	if (!d)
		return log_errno(-errno, "cannot read %s", host);
	while (k >= 0 && (de = readdir(d))) {
		char hp[PATH_MAX], ip[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(hp, sizeof(hp), "%s/%s", host, de->d_name);
		snprintf(ip, sizeof(ip), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (lstat(hp, &st) < 0) {
			k = log_errno(-errno, "cannot read %s", hp);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			k = image_add_dir(img, ip);
			if (k >= 0)
				k = add_skeleton_dir(img, hp, ip);
		} else if (S_ISREG(st.st_mode)) {
			k = image_add_file(img, ip, SRC_HOST, hp, st.st_mode);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(hp, target, sizeof(target) - 1);

			if (n < 0) {
				k = log_errno(-errno, "cannot read %s", hp);
				break;
			}
			target[n] = '\0';
			k = image_add_symlink(img, ip, target);
		} else {
			log_warn("skipping %s: not a file, directory or link", hp);
		}
		if (k < 0 && k != -EEXIST)
			k = log_errno(k, "cannot add %s", hp);
		else if (k == -EEXIST)
			k = 0;
	}
	return k;
}

static int add_text(struct image *img, const char *path, const char *text)
{
	char *s = strdup(text);
	int k;

	if (!s)
		return log_oom();
	k = image_add_data(img, path, s, strlen(s), 0644);
	if (k == -EEXIST) {
		log_warn("the skeleton has its own /%s: keeping it", path);
		return 0;
	}
	return k < 0 ? log_errno(k, "cannot add /%s", path) : 0;
}

/* One NAME=VALUE line that a POSIX shell can source: the value in single quotes
 * unless it is made only of characters that need none. */
static void put_var(FILE *f, const char *name, const char *value)
{
	bool plain = *value != '\0';

	for (const char *p = value; *p && plain; p++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			       "_.,:/+-@%",
			       *p) != NULL;
	fprintf(f, "%s=", name);
	if (plain) {
		fputs(value, f);
	} else {
		fputc('\'', f);
		for (const char *p = value; *p; p++) {
			if (*p == '\'')
				fputs("'\\''", f);
			else
				fputc(*p, f);
		}
		fputc('\'', f);
	}
	fputc('\n', f);
}

/* /etc/pxeroot/build: what made the image, as shell variable assignments. */
static char *build_info(const struct build_opts *o, const char *kver)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	put_var(f, "KVER", kver);
	put_var(f, "BUILDER", "mkbootimage");
	put_var(f, "VERSION", PXEROOT_VERSION);
	put_var(f, "DRIVERS", o->drivers);
	put_var(f, "COMPRESS", compression_name(o->compress));
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int add_layout(struct image *img, const struct build_opts *o, const char *kver)
{
	static const char *const dirs[] = { "bin",	   "sbin", "usr/bin", "usr/sbin",
					    "etc/pxeroot", "proc", "sys",     "dev",
					    "run",	   "tmp",  "root",    "newroot",
					    "lib/firmware" };
	_cleanup_free_ char *build = NULL, *cmdline = NULL;
	int k;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		k = image_add_dir(img, dirs[i]);
		if (k < 0)
			return log_errno(k, "cannot add /%s", dirs[i]);
	}
	/* The kernel needs a console before devtmpfs is mounted. */
	k = image_add_chardev(img, "dev/console", 5, 1, 0600);
	if (k < 0 && k != -EEXIST)
		return log_errno(k, "cannot add /dev/console");
	k = image_add_chardev(img, "dev/null", 1, 3, 0666);
	if (k < 0 && k != -EEXIST)
		return log_errno(k, "cannot add /dev/null");
	if (asprintf(&cmdline, "%s\n", o->cmdline ? o->cmdline : "") < 0)
		return log_oom();
	build = build_info(o, kver);
	if (!build)
		return log_oom();
	if (strchr(o->cmdline ? o->cmdline : "", '\n')) {
		log_error("--cmdline must be one line");
		return -EINVAL;
	}
	k = add_text(img, "etc/pxeroot/cmdline", cmdline);
	if (k < 0)
		return k;
	return add_text(img, "etc/pxeroot/build", build);
}

/*
 * The ELF header of lib/modules/KVER/PROBE, plain or compressed as the
 * distribution ships it (Debian 13's kernel has only .ko.xz, Fedora's
 * .ko.xz, Arch's .ko.zst): a compressed module is read whole and inflated,
 * which is a few hundred KiB for the modules probed.
 */
static int module_header(int rootfd, const char *kver, const char *probe, char *buf,
			 size_t size)
{
	static const char *const sfx[] = { "", ".xz", ".zst", ".gz" };

	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		_cleanup_free_ char *path = NULL, *raw = NULL;
		_cleanup_free_ void *plain = NULL;
		_cleanup_close_ int fd = -1;
		size_t len, plain_len;
		int k;

		if (asprintf(&path, "lib/modules/%s/%s%s", kver, probe, sfx[i]) < 0)
			return -ENOMEM;
		fd = root_open(rootfd, path, O_RDONLY, 0);
		if (fd < 0)
			continue;
		if (i == 0) {
			k = read_full_or_eof(fd, buf, size);
			return k < 0 ? k : k == (int)size ? 0 : -EBADMSG;
		}
		k = read_fd_all(fd, &raw, &len);
		if (k < 0)
			return k;
		k = decompress_buffer(raw, len, &plain, &plain_len);
		if (k < 0)
			return k;
		if (plain_len < size)
			return -EBADMSG;
		memcpy(buf, plain, size);
		return 0;
	}
	return -ENOENT;
}

/* The machine the kernel's modules are built for: BusyBox must match it. */
static uint16_t kernel_machine(int rootfd, const char *kver)
{
	struct elf_info info;
	uint16_t m = 0;
	char buf[64];

	/* Every kernel package has its modules' machine in the first one found;
	 * the kernel image itself is not ELF. Use a module that always exists. */
	static const char *const probes[] = { "kernel/fs/nfs/nfs.ko",
					      "kernel/drivers/block/loop.ko",
					      "kernel/fs/squashfs/squashfs.ko" };
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		if (module_header(rootfd, kver, probes[i], buf, sizeof(buf)) < 0)
			continue;
		if (elf_parse(buf, sizeof(buf), &info) < 0)
			return 0;
		m = info.machine;
		elf_info_done(&info);
		return m;
	}
	return 0;
}

/*
 * The skeleton's helper runs before anything else in the initramfs: it must be
 * built for the kernel's machine, or the image would only fail at boot.
 */
static int check_helper_machine(const char *skel, uint16_t machine, const char *kver)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct elf_info info;
	const char *have, *want;
	int k;

	if (!machine)
		return 0;
	if (asprintf(&path, "%s/sbin/pxeroot-helper", skel) < 0)
		return log_oom();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* a skeleton without the helper is warned about elsewhere */
	k = elf_parse_fd(fd, &info);
	if (k < 0)
		return log_errno(k, "cannot read %s as an ELF file", path);
	if (info.machine == machine) {
		elf_info_done(&info);
		return 0;
	}
	have = elf_machine_name(info.machine);
	want = elf_machine_name(machine);
	log_error(
		"%s is built for %s, kernel %s for %s: give --skeleton with a helper built "
		"for %s",
		path, have ? have : "another machine", kver,
		want ? want : "another machine", want ? want : "it");
	elf_info_done(&info);
	return -EXDEV;
}

/* --- atomic output -------------------------------------------------------- */

static int tmp_dirfd = -1;
static char tmp_name[NAME_MAX + 1];

static void on_signal(int sig)
{
	if (tmp_name[0])
		unlinkat(tmp_dirfd, tmp_name, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void random_name(const char *base, char *out, size_t size)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(out, size, ".%s.%ld%06ld", base, (long)getpid(),
		 (long)(ts.tv_nsec / 1000) ^ random());
}

/*
 * Write the image to dirfd/base, atomically: an unnamed O_TMPFILE that only
 * gets a name once complete and synced, then renamed over base. A failure or a
 * signal before that leaves nothing behind and the old file untouched.
 */
static int write_atomic(struct image *img, int dirfd, const char *base, const char *shown,
			const struct image_write_opts *wo, int64_t *ret_size)
{
	_cleanup_close_ int fd = -1;
	char fdpath[64];
	sigset_t block, old;
	bool named = false;
	int64_t size;
	int k;

	fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* No O_TMPFILE here: a named temporary, removed on a signal. */
		struct sigaction sa = { .sa_handler = on_signal };

		random_name(base, tmp_name, sizeof(tmp_name));
		tmp_dirfd = dirfd;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		fd = openat(dirfd, tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0644);
		named = fd >= 0;
		if (!named)
			tmp_name[0] = '\0';
	}
	if (fd < 0)
		return log_errno(-errno, "cannot write %s", shown);
	size = image_write(img, fd, wo);
	if (size < 0) {
		k = (int)size;
		goto fail;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		k = log_errno(-errno, "cannot write %s", shown);
		goto fail;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (!named) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		for (int tries = 0; tries < 100; tries++) {
			random_name(base, tmp_name, sizeof(tmp_name));
			if (linkat(AT_FDCWD, fdpath, dirfd, tmp_name,
				   AT_SYMLINK_FOLLOW) == 0) {
				named = true;
				break;
			}
			if (errno != EEXIST)
				break;
		}
		if (!named) {
			k = log_errno(-errno, "cannot write %s", shown);
			tmp_name[0] = '\0';
			sigprocmask(SIG_SETMASK, &old, NULL);
			return k;
		}
	}
	if (renameat(dirfd, tmp_name, dirfd, base) < 0) {
		k = log_errno(-errno, "cannot write %s", shown);
		unlinkat(dirfd, tmp_name, 0);
		tmp_name[0] = '\0';
		sigprocmask(SIG_SETMASK, &old, NULL);
		return k;
	}
	tmp_name[0] = '\0';
	sigprocmask(SIG_SETMASK, &old, NULL);
	fsync(dirfd);
	*ret_size = size;
	return 0;
fail:
	if (named) {
		unlinkat(dirfd, tmp_name, 0);
		tmp_name[0] = '\0';
	}
	return k;
}

static void progress(size_t done, size_t total, void *userdata)
{
	fprintf(stderr, "\r%s: writing %zu/%zu%s", log_prog(), done, total,
		done == total ? "\r\033[K" : "");
}

static uint64_t source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	/* Unset or invalid: 0, the same for every build (see mkbootimage(8)). */
	if (!s || parse_u64(s, &v) < 0)
		return 0;
	return v;
}

/* --uki: the stub, the tree's kernel, the image just written, the command line. */
static int write_uki(const struct build_opts *o, int rootfd, const char *kver,
		     const char *initrd)
{
	_cleanup_free_ char *kernel = NULL, *osrel = NULL;
	struct uki_opts u = {
		.output = o->uki,
		.stub = o->uki_stub ? o->uki_stub : UKI_DEFAULT_STUB,
		.initrd = initrd,
		.cmdline = o->cmdline,
		.sign_key = o->sign_key,
		.sign_cert = o->sign_cert,
		.epoch = source_date_epoch(),
	};
	uint16_t machine = kernel_machine(rootfd, kver);
	int k;

	if (!o->uki_stub && machine && machine != EM_X86_64) {
		log_error(
			"--uki: the default EFI stub is for x86-64, kernel %s is not: give "
			"--uki-stub",
			kver);
		return -EINVAL;
	}
	if (o->uki_kernel)
		u.kernel = o->uki_kernel;
	else if (asprintf(&kernel, "%s/boot/vmlinuz-%s", o->sysroot, kver) < 0)
		return log_oom();
	else
		u.kernel = kernel;
	/* os-release names the image in boot menus; a tree without one gets none. */
	if (root_read_file(rootfd, "/etc/os-release", &osrel, NULL) < 0)
		(void)root_read_file(rootfd, "/usr/lib/os-release", &osrel, NULL);
	u.osrel = osrel;
	k = uki_build(&u);
	if (k < 0)
		return k;
	log_notice("wrote %s: unified kernel image%s", o->uki,
		   o->sign_key ? ", signed" : ", not signed");
	return 0;
}

int build_image(const struct build_opts *o)
{
	_cleanup_close_ int rootfd = -1, outdir = -1;
	_cleanup_free_ char *kver = NULL, *skel = NULL, *outpath = NULL, *outrel = NULL;
	_cleanup_(kmods_freep) struct kmods *m = NULL;
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_(libs_freep) struct libs *libs = NULL;
	struct busybox bb = { 0 };
	struct kmods_opts ko = { 0 };
	size_t fw = 0, fw_missing = 0, nz;
	char decompressed[48] = "";
	struct stat st;
	const char *base;
	int64_t size = 0;
	struct timespec t0, t1;
	int k;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rootfd = root_open_tree(o->sysroot);
	if (rootfd < 0)
		return log_errno(rootfd, "cannot open %s", o->sysroot);
	if (fstat(rootfd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_error("%s is not a directory", o->sysroot);
		return -ENOTDIR;
	}
	if (o->kver) {
		kver = strdup(o->kver);
		if (!kver)
			return log_oom();
		if (strchr(kver, '/') || strcmp(kver, "..") == 0 ||
		    strcmp(kver, ".") == 0) {
			log_error("invalid kernel version '%s'", kver);
			return -EINVAL;
		}
	} else {
		k = kmods_find_kver(rootfd, &kver);
		if (k == -ENOENT) {
			log_error("no kernel modules in %s/lib/modules", o->sysroot);
			return k;
		}
		if (k < 0)
			return log_errno(k, "cannot read %s/lib/modules", o->sysroot);
	}
	k = find_skeleton(o, &skel);
	if (k < 0)
		return k;

	ko.sysroot = o->sysroot;
	ko.kver = kver;
	ko.shadow = o->dry_run || o->list;
	{
		_cleanup_free_ char *moddir = NULL;

		if (asprintf(&moddir, "lib/modules/%s/kernel", kver) < 0)
			return log_oom();
		if (root_stat(rootfd, moddir, true, &st) < 0 || !S_ISDIR(st.st_mode)) {
			log_error("no modules for kernel %s in %s/lib/modules", kver,
				  o->sysroot);
			return -ENOENT;
		}
	}
	k = kmods_open(rootfd, &ko, &m);
	if (k < 0)
		return k;
	k = add_base_modules(m, rootfd, kver);
	if (k < 0)
		return k;
	k = add_drivers(m, o->drivers, kver);
	if (k < 0)
		return k;
	for (size_t i = 0; i < o->n_modules; i++) {
		k = add_named(m, o->modules[i], kver, "module");
		if (k < 0)
			return k;
	}
	if (log_get_level() >= LOG_LEVEL_INFO) {
		_cleanup_free_ char *names = kmods_names(m);

		log_info("%zu modules: %s", kmods_count(m), names ? names : "");
	}

	k = image_new(rootfd, &img);
	if (k < 0)
		return log_oom();
	image_set_strip_modules(img, o->strip_modules);
	k = add_skeleton_dir(img, skel, "");
	if (k < 0)
		return k;
	if (!image_has(img, "init"))
		log_warn("the skeleton %s has no /init", skel);
	k = check_helper_machine(skel, kernel_machine(rootfd, kver), kver);
	if (k < 0)
		return k;
	k = busybox_find(rootfd, o->sysroot, o->busybox, kernel_machine(rootfd, kver),
			 &bb);
	if (k < 0)
		return k;
	k = busybox_install(&bb, img);
	busybox_done(&bb);
	if (k < 0)
		return k;
	k = add_layout(img, o, kver);
	if (k < 0)
		return k;
	/* The kernel asks /sbin/modprobe for modules it wants (fs-nfs4, net-pf-17). */
	if (!image_has(img, "sbin/modprobe") && image_has(img, "bin/modprobe")) {
		k = image_add_symlink(img, "sbin/modprobe", "../bin/modprobe");
		if (k < 0 && k != -EEXIST && k != -ENOTDIR)
			return log_errno(k, "cannot add /sbin/modprobe");
	}
	k = kmods_emit(m, img, &fw, &fw_missing);
	if (k < 0)
		return k;
	if (fw_missing)
		log_info(
			"%zu firmware files named by the modules are not in %s/lib/firmware",
			fw_missing, o->sysroot);
	if (o->n_add) {
		k = libs_new(rootfd, o->sysroot, &libs);
		if (k < 0)
			return log_errno(k, "cannot open %s", o->sysroot);
		for (size_t i = 0; i < o->n_add; i++) {
			k = libs_add_program(libs, img, o->add[i]);
			if (k < 0)
				return k;
		}
	}

	if (o->list)
		return image_list(img, stdout);

	if (o->output) {
		_cleanup_free_ char *dir = strdup(o->output);
		char *slash;

		if (!dir)
			return log_oom();
		slash = strrchr(dir, '/');
		base = slash ? o->output + (slash - dir) + 1 : o->output;
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		outdir = open(slash ? dir : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (outdir < 0)
			return log_errno(-errno, "cannot write %s", o->output);
		outpath = strdup(o->output);
	} else {
		if (asprintf(&outpath, "%s/boot/initrd.img-%s-netboot", o->sysroot,
			     kver) < 0)
			return log_oom();
		if (asprintf(&outrel, "boot/initrd.img-%s-netboot", kver) < 0)
			return log_oom();
		outdir = root_open_parent(rootfd, outrel, &base);
		if (outdir < 0)
			return log_errno(outdir, "cannot write %s", outpath);
	}
	if (!*base || (fstatat(outdir, base, &st, 0) == 0 && S_ISDIR(st.st_mode))) {
		log_error("cannot write %s: Is a directory", outpath);
		return -EISDIR;
	}
	/* Compressed modules go in decompressed (kmods_emit): say how many. */
	nz = kmods_count_compressed(m);
	if (nz)
		snprintf(decompressed, sizeof(decompressed), " (%zu decompressed)", nz);
	if (o->dry_run) {
		log_notice(
			"would write %s: %zu entries, %zu modules%s, %zu firmware files, "
			"%s",
			outpath, image_count(img), kmods_count(m), decompressed, fw,
			compression_name(o->compress));
		return 0;
	}
	{
		struct image_write_opts wo = {
			.compress = o->compress,
			.level = o->level,
			.epoch = source_date_epoch(),
			.progress_fn = o->progress ? progress : NULL,
		};

		k = write_atomic(img, outdir, base, outpath, &wo, &size);
		if (k < 0)
			return k;
	}
	if (o->uki) {
		k = write_uki(o, rootfd, kver, outpath);
		if (k < 0)
			return k;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_notice("wrote %s: %.1f MiB %s, %zu modules%s, %zu firmware files, %zu "
		   "entries, %.2f s",
		   outpath, size / 1048576.0, compression_name(o->compress),
		   kmods_count(m), decompressed, fw, image_count(img),
		   (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
