// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Everything pxebootsrv serves is generated here, in memory, from the
 * configuration alone: the same configuration gives the same bytes (files in
 * sorted order, no dates), so a re-render that changed nothing is seen as such
 * by `run` on SIGHUP and by `install`.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hash.h"
#include "log.h"
#include "render.h"
#include "util.h"
#include "vector.h"

static void sha256_hex(const char *a, size_t alen, const char *b, size_t blen,
		       char hex[65])
{
	struct sha256_ctx ctx;
	uint8_t sum[32];

	sha256_init(&ctx);
	sha256_update(&ctx, a, alen);
	sha256_update(&ctx, b, blen);
	sha256_final(&ctx, sum);
	hex_string(sum, 32, hex);
}

int gen_add(struct render *r, const char *path, char *text, size_t len)
{
	_cleanup_free_ char *owned = text, *out = NULL;
	size_t first = 0;
	char hex[65];
	struct gen *v;
	int n;

	/* An iPXE script must start with its magic line. */
	if (startswith(text, "#!"))
		first = strcspn(text, "\n") + 1;
	sha256_hex(text, first, text + first, len - first, hex);
	n = asprintf(&out, "%.*s" GEN_HEADER "%s\n%s", (int)first, text, hex,
		     text + first);
	if (n < 0)
		return -ENOMEM;
	if (vector_reserve((void **)&r->files, &r->cap_files, r->n_files + 1,
			   sizeof(*r->files)) < 0)
		return -ENOMEM;
	v = r->files;
	v[r->n_files] =
		(struct gen){ .path = strdup(path), .text = TAKE_PTR(out), .len = n };
	if (!v[r->n_files].path) {
		free(v[r->n_files].text);
		return -ENOMEM;
	}
	r->n_files++;
	return 0;
}

int gen_verify(const char *text)
{
	const char *h = text, *nl, *after;
	char hex[65];

	if (startswith(h, "#!"))
		h += strcspn(h, "\n") + (h[strcspn(h, "\n")] == '\n');
	if (!startswith(h, GEN_HEADER))
		return -ENODATA;
	nl = strchr(h, '\n');
	if (!nl || nl - h != (ptrdiff_t)(strlen(GEN_HEADER) + 64))
		return 0;
	after = nl + 1;
	sha256_hex(text, h - text, after, strlen(after), hex);
	return strncmp(h + strlen(GEN_HEADER), hex, 64) == 0;
}

int bootfile_add(struct render *r, const char *name, const char *source,
		 const char *package, const struct entry *e)
{
	struct bootfile *v;

	for (size_t i = 0; i < r->n_boot; i++)
		if (strcmp(r->boot[i].name, name) == 0)
			return 0;
	if (vector_reserve((void **)&r->boot, &r->cap_boot, r->n_boot + 1,
			   sizeof(*r->boot)) < 0)
		return -ENOMEM;
	v = r->boot;
	v[r->n_boot] =
		(struct bootfile){ .name = strdup(name), .package = package, .entry = e };
	/* An amd64 server has the arm64 packages only unpacked somewhere else. */
	const char *root = package && strstr(package, ":arm64") && r->c->arm64_loader_root
				   ? r->c->arm64_loader_root
				   : r->c->loader_root;

	if (package && root) {
		if (asprintf(&v[r->n_boot].source, "%s%s", root, source) < 0)
			v[r->n_boot].source = NULL;
	} else {
		v[r->n_boot].source = strdup(source);
	}
	if (!v[r->n_boot].name || !v[r->n_boot].source) {
		free(v[r->n_boot].name);
		free(v[r->n_boot].source);
		return -ENOMEM;
	}
	r->n_boot++;
	return 0;
}

int served_path(struct render *r, const struct entry *e, const char *src, char **ret)
{
	const char *bd = r->c->boot_dir;
	size_t n = strlen(bd);
	_cleanup_free_ char *copy = strdup(src);
	char *p;
	int k;

	if (!copy)
		return -ENOMEM;
	while (n > 1 && bd[n - 1] == '/')
		n--;
	if (strncmp(src, bd, n) == 0 && src[n] == '/' && src[n + 1]) {
		k = bootfile_add(r, src + n + 1, src, NULL, e);
		if (k < 0)
			return k;
		for (size_t i = 0; i < r->n_boot; i++)
			if (strcmp(r->boot[i].source, src) == 0)
				r->boot[i].in_boot_dir = true;
		*ret = strdup(src + n + 1);
		return *ret ? 0 : -ENOMEM;
	}
	if (asprintf(&p, "files/%s/%s", e->name, basename(copy)) < 0)
		return -ENOMEM;
	k = bootfile_add(r, p, src, NULL, e);
	if (k < 0) {
		free(p);
		return k;
	}
	*ret = p;
	return 0;
}

void mac_file_name(const char *mac, char out[21])
{
	snprintf(out, 21, "01-%s", mac);
	for (char *p = out; *p; p++)
		if (*p == ':')
			*p = '-';
}

char *entry_root_path(const struct render *r, const struct entry *e)
{
	const struct pbs_config *c = r->c;
	char *s = NULL;

	if (e->kind != KIND_PXEROOT || e->url)
		return NULL;
	if (e->root == ROOT_NBD &&
	    asprintf(&s, "nbd:%s:%u/%s", c->address, c->nbd_port, e->name) < 0)
		return NULL;
	if (e->root == ROOT_NFS && asprintf(&s, "nfs4:%s:%s", c->address, e->tree) < 0)
		return NULL;
	return s;
}

/*
 * The dm-verity parameters published with an entry's image: IMAGE.verity beside
 * the file the image path resolves to (bootchroot --image --verity writes
 * NAME-ID.sqfs.verity for each generation NAME.sqfs points at), else beside the
 * path as given (pxeroot-verity IMAGE OUT >OUT.verity). *ret is NULL when there
 * is none; a file that is not the two parameters is an error naming it.
 */
int entry_verity(const struct entry *e, char **ret)
{
	_cleanup_free_ char *real = NULL, *path = NULL, *text = NULL;
	char hash[65], extra;
	unsigned long long offset;
	int k;

	*ret = NULL;
	if (e->kind != KIND_PXEROOT || !e->image || e->url || e->root == ROOT_NFS)
		return 0;
	real = realpath(e->image, NULL);
	if (asprintf(&path, "%s.verity", real ? real : e->image) < 0)
		return -ENOMEM;
	k = read_file_at(AT_FDCWD, path, &text, NULL);
	if (k == -ENOENT && real && strcmp(real, e->image) != 0) {
		free(path);
		if (asprintf(&path, "%s.verity", e->image) < 0)
			return -ENOMEM;
		k = read_file_at(AT_FDCWD, path, &text, NULL);
	}
	if (k == -ENOENT)
		return 0;
	if (k < 0)
		return log_errno(k, "cannot read %s", path);
	if (sscanf(text,
		   "rd.pxeroot.verity=%64[0-9a-f] rd.pxeroot.verity.hashoffset=%llu %c",
		   hash, &offset, &extra) != 2 ||
	    strlen(hash) != 64) {
		log_error(
			"%s: not the two parameters pxeroot-verity prints "
			"(rd.pxeroot.verity=ROOTHASH rd.pxeroot.verity.hashoffset=BYTES)",
			path);
		return -EBADMSG;
	}
	return asprintf(ret, "rd.pxeroot.verity=%s rd.pxeroot.verity.hashoffset=%llu",
			hash, offset) < 0
		       ? -ENOMEM
		       : 0;
}

int render_failed(int k, const char *config)
{
	if (k == -EBADMSG)
		return k;
	return log_errno(k, "cannot render %s", config);
}

/* Whether the user's append already configures the network. */
static bool has_ip(const char *append)
{
	return append && (strstr(append, "ip=") || strstr(append, "dodhcp") ||
			  strstr(append, "ethx="));
}

int entry_cmdline(struct render *r, const struct entry *e, const char *host_append,
		  char **ret)
{
	_cleanup_free_ char *root = NULL, *path = NULL, *verity = NULL;
	char *s = NULL;
	int k;

	switch (e->kind) {
	case KIND_PXEROOT:
		/* The root hash of the image's current generation, unless the
		 * entry gives its own. */
		if (!(e->append && strstr(e->append, "rd.pxeroot.verity="))) {
			k = entry_verity(e, &verity);
			if (k < 0)
				return k;
		}
		if (e->url) {
			if (asprintf(&root, "netboot=%s", e->url) < 0)
				return -ENOMEM;
		} else if (e->root == ROOT_HTTP) {
			k = served_path(r, e, e->image, &path);
			if (k < 0)
				return k;
			if (asprintf(&root, "netboot=%s/%s", r->http_base, path) < 0)
				return -ENOMEM;
		} else {
			_cleanup_free_ char *rp = entry_root_path(r, e);

			if (!rp || asprintf(&root, "root=%s", rp) < 0)
				return -ENOMEM;
		}
		k = asprintf(&s, "%s%s%s%s%s%s%s%s", root,
			     has_ip(e->append) || has_ip(host_append) ? "" : " ip=dhcp",
			     verity ? " " : "", verity ? verity : "",
			     e->append ? " " : "", e->append ? e->append : "",
			     host_append ? " " : "", host_append ? host_append : "");
		break;
	case KIND_INSTALLER:
		if (e->preseed &&
		    asprintf(&root, "auto=true priority=critical url=%s", e->preseed) < 0)
			return -ENOMEM;
		if (!e->preseed && e->kickstart &&
		    asprintf(&root, "inst.ks=%s", e->kickstart) < 0)
			return -ENOMEM;
		k = asprintf(&s, "%s%s%s%s%s", root ? root : "",
			     root && e->append ? " " : "", e->append ? e->append : "",
			     host_append && (root || e->append) ? " " : "",
			     host_append ? host_append : "");
		break;
	default:
		/* memtest86+ reads its own parameters (console=ttyS0,115200). */
		k = asprintf(&s, "%s%s%s", e->append ? e->append : "",
			     e->append && host_append ? " " : "",
			     host_append ? host_append : "");
		break;
	}
	if (k < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

enum need {
	N_PXELINUX,
	N_UNDIONLY,
	N_ISO,
	N_SHIM,
	N_SNPONLY,
	N_ARM64,
	N_MEMTEST
};

/* The loaders, from Debian's packages (paths as dpkg -L lists them). */
static const struct {
	enum need need;
	const char *name, *source, *package;
} loaders[] = {
	{ N_PXELINUX, "pxelinux.0", "/usr/lib/PXELINUX/pxelinux.0", "pxelinux" },
	{ N_PXELINUX, "ldlinux.c32", "/usr/lib/syslinux/modules/bios/ldlinux.c32",
	  "syslinux-common" },
	{ N_PXELINUX, "menu.c32", "/usr/lib/syslinux/modules/bios/menu.c32",
	  "syslinux-common" },
	{ N_PXELINUX, "libutil.c32", "/usr/lib/syslinux/modules/bios/libutil.c32",
	  "syslinux-common" },
	{ N_PXELINUX, "libcom32.c32", "/usr/lib/syslinux/modules/bios/libcom32.c32",
	  "syslinux-common" },
	{ N_UNDIONLY, "undionly.kpxe", "/usr/lib/ipxe/undionly.kpxe", "ipxe" },
	{ N_ISO, "memdisk", "/usr/lib/syslinux/memdisk", "syslinux-common" },
	{ N_SHIM, "shimx64.efi", "/usr/lib/shim/shimx64.efi.signed", "shim-signed" },
	{ N_SHIM, "mmx64.efi", "/usr/lib/shim/mmx64.efi.signed",
	  "shim-helpers-amd64-signed" },
	{ N_SHIM, "grubx64.efi", "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed",
	  "grub-efi-amd64-signed" },
	{ N_SNPONLY, "snponly.efi", "/usr/lib/ipxe/snponly.efi", "ipxe" },
	/* Debian builds these on arm64 only: an amd64 server gets them from the
	 * arm64 packages (loader-root, or a copy in the boot directory). */
	{ N_ARM64, "shimaa64.efi", "/usr/lib/shim/shimaa64.efi.signed",
	  "shim-signed:arm64" },
	{ N_ARM64, "mmaa64.efi", "/usr/lib/shim/mmaa64.efi.signed",
	  "shim-helpers-arm64-signed:arm64" },
	{ N_ARM64, "grubaa64.efi",
	  "/usr/lib/grub/arm64-efi-signed/grubnetaa64.efi.signed",
	  "grub-efi-arm64-signed:arm64" },
	{ N_SNPONLY, "ipxe.efi", "/usr/lib/ipxe/ipxe.efi", "ipxe" },
	{ N_MEMTEST, "memtest86+x64.bin", "/boot/memtest86+x64.bin", "memtest86+" },
	{ N_MEMTEST, "memtest86+x64.efi", "/boot/memtest86+x64.efi", "memtest86+" },
};

static int add_loaders(struct render *r)
{
	const struct pbs_config *c = r->c;
	bool need[N_MEMTEST + 1] = {
		[N_PXELINUX] = config_uses_bios(c, BIOS_PXELINUX),
		[N_UNDIONLY] = config_uses_bios(c, BIOS_IPXE),
		[N_SHIM] = config_uses_uefi(c, UEFI_GRUB),
		[N_SNPONLY] = config_uses_uefi(c, UEFI_IPXE),
		[N_ARM64] = config_has_arm64(c),
	};
	int k;

	for (size_t i = 0; i < c->n_entries; i++) {
		need[N_ISO] |= c->entries[i].kind == KIND_ISO;
		need[N_MEMTEST] |= c->entries[i].kind == KIND_MEMTEST;
	}
	for (size_t i = 0; i < ARRAY_SIZE(loaders); i++) {
		if (!need[loaders[i].need])
			continue;
		k = bootfile_add(r, loaders[i].name, loaders[i].source,
				 loaders[i].package, NULL);
		if (k < 0)
			return k;
	}
	return 0;
}

static int cmp_gen(const void *a, const void *b)
{
	return strcmp(((const struct gen *)a)->path, ((const struct gen *)b)->path);
}

static int cmp_boot(const void *a, const void *b)
{
	return strcmp(((const struct bootfile *)a)->name,
		      ((const struct bootfile *)b)->name);
}

static int render_lists(struct render *r)
{
	const struct pbs_config *c = r->c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int k;

	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	fputs("# NAME KERNEL-COMMAND-LINE of each entry that boots a kernel\n", f);
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];
		_cleanup_free_ char *line = NULL;

		if (e->kind != KIND_PXEROOT && e->kind != KIND_INSTALLER)
			continue;
		k = entry_cmdline(r, e, NULL, &line);
		if (k < 0) {
			fclose(f);
			free(text);
			return k;
		}
		fprintf(f, "%s %s\n", e->name, line);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	k = gen_add(r, R_CMDLINES, text, len);
	if (k < 0)
		return k;

	/* Listed last: every part above may add an entry's file. */
	qsort(r->boot, r->n_boot, sizeof(*r->boot), cmp_boot);
	text = NULL;
	len = 0;
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "# NAME-IN-BOOT-DIR SOURCE [PACKAGE]: placed by run and install\n");
	for (size_t i = 0; i < r->n_boot; i++)
		if (!r->boot[i].in_boot_dir)
			fprintf(f, "%s %s%s%s\n", r->boot[i].name, r->boot[i].source,
				r->boot[i].package ? " " : "",
				r->boot[i].package ? r->boot[i].package : "");
	if (fclose(f) != 0)
		return -ENOMEM;
	return gen_add(r, R_BOOTFILES, text, len);
}

static int render_common(const struct pbs_config *c, struct render *r, bool dropin)
{
	int k;

	*r = (struct render){ .c = c, .dropin = dropin };
	r->http_base = config_http_base(c);
	if (r->http_base)
		r->file_base = strdup(r->http_base);
	else if (asprintf(&r->file_base, "tftp://%s",
			  c->next_server ? c->next_server : c->address) < 0)
		r->file_base = NULL;
	if (!r->file_base || (c->http && !r->http_base))
		return -ENOMEM;
	k = add_loaders(r);
	k = k ?: render_dnsmasq(r);
	k = k ?: render_pxelinux(r);
	k = k ?: render_ipxe(r);
	k = k ?: render_grub(r);
	k = k ?: render_servers(r);
	k = k ?: render_site_dhcp(r);
	k = k ?: render_lists(r);
	if (k < 0)
		return k;
	qsort(r->files, r->n_files, sizeof(*r->files), cmp_gen);
	return 0;
}

int render_all(const struct pbs_config *c, struct render *r)
{
	return render_common(c, r, false);
}

int render_dropin(const struct pbs_config *c, struct render *r)
{
	return render_common(c, r, true);
}

void render_free(struct render *r)
{
	for (size_t i = 0; i < r->n_files; i++) {
		free(r->files[i].path);
		free(r->files[i].text);
	}
	for (size_t i = 0; i < r->n_boot; i++) {
		free(r->boot[i].name);
		free(r->boot[i].source);
	}
	free(r->files);
	free(r->boot);
	free(r->http_base);
	free(r->file_base);
	*r = (struct render){ 0 };
}

const struct gen *render_find(const struct render *r, const char *path)
{
	for (size_t i = 0; i < r->n_files; i++)
		if (strcmp(r->files[i].path, path) == 0)
			return &r->files[i];
	return NULL;
}

static int mkdir_parents(int dfd, const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(dfd, p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

int render_write_dir(const struct render *r, const char *dir)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int dfd = -1;
	int k;

	if (asprintf(&tmp, "%s.new-XXXXXX", dir) < 0)
		return -ENOMEM;
	if (!mkdtemp(tmp))
		return log_errno(-errno, "cannot create %s", tmp);
	if (chmod(tmp, 0755) < 0 || (dfd = open(tmp, O_DIRECTORY | O_CLOEXEC)) < 0) {
		k = -errno;
		goto fail;
	}
	for (size_t i = 0; i < r->n_files; i++) {
		const struct gen *g = &r->files[i];

		k = mkdir_parents(dfd, g->path);
		if (k >= 0)
			k = write_file_atomic_at(dfd, g->path, g->text, g->len, 0644);
		if (k < 0) {
			log_errno(k, "cannot write %s/%s", dir, g->path);
			goto fail;
		}
	}
	/* The old directory, if any, is swapped out in one step and removed. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0)
		return nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
	if (errno == ENOENT && rename(tmp, dir) == 0)
		return 0;
	k = log_errno(-errno, "cannot replace %s", dir);
fail:
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return k;
}
