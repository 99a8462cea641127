// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The boot menus, one per loader: PXELINUX (BIOS), iPXE (BIOS or UEFI through
 * snponly.efi, and any iPXE a NIC carries) and GRUB (UEFI through shim, with
 * Secure Boot on or off). Each has the same entries in the same order; a host
 * with its own default or append gets its own copy of the menu.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "render.h"
#include "util.h"

typedef int (*menu_fn)(struct render *r, FILE *f, const char *def, const struct host *h);

/* Render fn for everyone and for each host with a default or append of its own. */
static int render_menus(struct render *r, menu_fn fn, const char *generic,
			const char *host_prefix, const char *host_suffix)
{
	const struct pbs_config *c = r->c;
	int k;

	for (ssize_t i = -1; i < (ssize_t)c->n_hosts; i++) {
		const struct host *h = i >= 0 ? &c->hosts[i] : NULL;
		_cleanup_free_ char *path = NULL;
		char *text = NULL;
		size_t len = 0;
		char mac[21];
		FILE *f;

		if (h && !h->default_entry && !h->append)
			continue;
		if (h) {
			mac_file_name(h->mac, mac);
			if (asprintf(&path, "%s%s%s", host_prefix, mac, host_suffix) < 0)
				return -ENOMEM;
		} else if (!(path = strdup(generic))) {
			return -ENOMEM;
		}
		f = open_memstream(&text, &len);
		if (!f)
			return -ENOMEM;
		k = fn(r, f, h && h->default_entry ? h->default_entry : c->default_entry,
		       h);
		if (fclose(f) != 0 && k >= 0)
			k = -ENOMEM;
		if (k < 0) {
			free(text);
			return k;
		}
		k = gen_add(r, path, text, len);
		if (k < 0)
			return k;
	}
	return 0;
}

static bool has_kind(const struct pbs_config *c, enum entry_kind kind)
{
	for (size_t i = 0; i < c->n_entries; i++)
		if (c->entries[i].kind == kind)
			return true;
	return false;
}

/* The kernel and initrd of an entry, as paths in the boot directory. */
static int kernel_files(struct render *r, const struct entry *e, char **kernel,
			char **initrd)
{
	int k = served_path(r, e, e->kernel, kernel);

	return k < 0 ? k : served_path(r, e, e->initrd, initrd);
}

/* PXELINUX: menu.c32, a LABEL per entry. */
static int pxelinux_menu(struct render *r, FILE *f, const char *def, const struct host *h)
{
	const struct pbs_config *c = r->c;
	int k;

	fprintf(f, "UI menu.c32\nMENU TITLE %s\nPROMPT 0\nTIMEOUT %u\nDEFAULT %s\n",
		c->title, c->timeout ? c->timeout * 10 : 1, def);
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];
		_cleanup_free_ char *kernel = NULL, *initrd = NULL, *cmdline = NULL,
				    *iso = NULL;

		if (e->kind == KIND_IPXE_SHELL || e->arm64)
			continue;
		fprintf(f, "\nLABEL %s\n\tMENU LABEL %s\n", e->name, e->label);
		switch (e->kind) {
		case KIND_PXEROOT:
		case KIND_INSTALLER:
			k = kernel_files(r, e, &kernel, &initrd);
			k = k ?: entry_cmdline(r, e, h ? h->append : NULL, &cmdline);
			if (k < 0)
				return k;
			fprintf(f, "\tLINUX %s\n\tINITRD %s\n\tAPPEND %s\n", kernel,
				initrd, cmdline);
			break;
		case KIND_LOCALBOOT:
			fprintf(f, "\tLOCALBOOT 0\n");
			break;
		case KIND_MEMTEST:
			k = entry_cmdline(r, e, h ? h->append : NULL, &cmdline);
			if (k < 0)
				return k;
			fprintf(f, "\tLINUX memtest86+x64.bin\n");
			if (*cmdline)
				fprintf(f, "\tAPPEND %s\n", cmdline);
			break;
		case KIND_ISO:
			k = served_path(r, e, e->iso, &iso);
			if (k < 0)
				return k;
			fprintf(f, "\tLINUX memdisk\n\tINITRD %s\n\tAPPEND iso raw\n",
				iso);
			break;
		default:
			break;
		}
	}
	return 0;
}

int render_pxelinux(struct render *r)
{
	if (!config_uses_bios(r->c, BIOS_PXELINUX))
		return 0;
	return render_menus(r, pxelinux_menu, R_BOOT "pxelinux.cfg/default",
			    R_BOOT "pxelinux.cfg/", "");
}

/* iPXE: one script, a label per entry; kernels over HTTP when there is HTTP. */
static int ipxe_menu(struct render *r, FILE *f, const char *def, const struct host *h)
{
	const struct pbs_config *c = r->c;
	int k;

	fprintf(f, "#!ipxe\n");
	fprintf(f, "set base %s\n", r->file_base);
	if (!h) {
		for (size_t i = 0; i < c->n_hosts; i++) {
			char mac[21];

			if (!c->hosts[i].default_entry && !c->hosts[i].append)
				continue;
			mac_file_name(c->hosts[i].mac, mac);
			fprintf(f,
				"iseq ${net0/mac} %s && chain --replace --autofree "
				"${base}/ipxe/%s.ipxe ||\n",
				c->hosts[i].mac, mac);
		}
	}
	fprintf(f, "\n:start\nmenu %s\n", c->title);
	/* iPXE runs on x86 clients only here: arm64 ones boot through GRUB. */
	for (size_t i = 0; i < c->n_entries; i++)
		if (!c->entries[i].arm64)
			fprintf(f, "item e-%s %s\n", c->entries[i].name,
				c->entries[i].label);
	fprintf(f,
		"choose --timeout %u --default e-%s target || goto shell\ngoto ${target}\n",
		c->timeout ? c->timeout * 1000 : 1, def);

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];
		_cleanup_free_ char *kernel = NULL, *initrd = NULL, *cmdline = NULL,
				    *iso = NULL;
		const char *slash;

		if (e->arm64)
			continue;
		fprintf(f, "\n:e-%s\n", e->name);
		switch (e->kind) {
		case KIND_PXEROOT:
		case KIND_INSTALLER:
			k = kernel_files(r, e, &kernel, &initrd);
			k = k ?: entry_cmdline(r, e, h ? h->append : NULL, &cmdline);
			if (k < 0)
				return k;
			/* Debian's iPXE for EFI hands the kernel its initrd only when
			 * the kernel line names it. */
			slash = strrchr(initrd, '/');
			fprintf(f, "kernel ${base}/%s initrd=%s%s%s\n", kernel,
				slash ? slash + 1 : initrd, *cmdline ? " " : "", cmdline);
			fprintf(f, "initrd ${base}/%s\nboot || goto start\n", initrd);
			break;
		case KIND_LOCALBOOT:
			/* UEFI: back to the firmware, which tries its next boot
			 * option. */
			fprintf(f, "iseq ${platform} efi && exit ||\n"
				   "sanboot --no-describe --drive 0x80 || goto start\n");
			break;
		case KIND_MEMTEST:
			k = entry_cmdline(r, e, h ? h->append : NULL, &cmdline);
			if (k < 0)
				return k;
			fprintf(f,
				"iseq ${platform} efi && chain ${base}/memtest86+x64.efi%s%s ||\n"
				"iseq ${platform} efi && goto start ||\n"
				"kernel ${base}/memtest86+x64.bin%s%s\nboot || goto start\n",
				*cmdline ? " " : "", cmdline, *cmdline ? " " : "",
				cmdline);
			break;
		case KIND_ISO:
			k = served_path(r, e, e->iso, &iso);
			if (k < 0)
				return k;
			if (r->http_base)
				fprintf(f,
					"iseq ${platform} efi && sanboot ${base}/%s ||\n",
					iso);
			else
				fprintf(f,
					"iseq ${platform} efi && echo %s: BIOS only (UEFI needs HTTP) ||\n"
					"iseq ${platform} efi && prompt ||\n",
					e->label);
			fprintf(f,
				"iseq ${platform} efi && goto start ||\n"
				"kernel ${base}/memdisk iso raw\ninitrd ${base}/%s\nboot || goto start\n",
				iso);
			break;
		case KIND_IPXE_SHELL:
			fprintf(f, "shell\ngoto start\n");
			break;
		}
	}
	fprintf(f, "\n:shell\nshell\ngoto start\n");
	return 0;
}

int render_ipxe(struct render *r)
{
	return render_menus(r, ipxe_menu, R_BOOT "boot.ipxe", R_BOOT "ipxe/", ".ipxe");
}

/*
 * Where GRUB fetches kernels: always TFTP, from the next server or this host.
 * Debian's signed network GRUB (grubnetx64.efi.signed, the one shim accepts)
 * embeds tftp but no http module, and a signed binary cannot load one, so an
 * "(http,HOST)" path would fail with "disk not found" even when HTTP is served.
 */
static int grub_base(struct render *r, char **ret)
{
	const struct pbs_config *c = r->c;

	if (asprintf(ret, "(tftp,%s)", c->next_server ? c->next_server : c->address) < 0)
		return -ENOMEM;
	return 0;
}

/* Whether an entry can boot on an arm64 client (localboot: its firmware). */
static bool for_arm64(const struct entry *e)
{
	return e->arm64 || e->kind == KIND_LOCALBOOT;
}

/* Whether an entry can boot on an x86_64 client. */
static bool for_x86(const struct entry *e)
{
	return !e->arm64;
}

/* The first entry the other architecture's GRUB shows, NULL if none. */
static const struct entry *first_for(const struct pbs_config *c,
				     bool (*fits)(const struct entry *))
{
	for (size_t i = 0; i < c->n_entries; i++)
		if (c->entries[i].kind != KIND_IPXE_SHELL && fits(&c->entries[i]))
			return &c->entries[i];
	return NULL;
}

static int grub_menu(struct render *r, FILE *f, const char *def, const struct host *h)
{
	const struct pbs_config *c = r->c;
	const struct entry *d = config_entry(c, def), *other;
	bool arm64 = config_has_arm64(c);
	_cleanup_free_ char *base = NULL;
	int k;

	k = grub_base(r, &base);
	if (k < 0)
		return k;
	fprintf(f, "set timeout=%u\nset default=%s\n", c->timeout, def);
	/* One menu for both architectures: each GRUB ($grub_cpu) shows the entries
	 * it can boot, and starts its own first one when the default is not. */
	if (arm64 && d && !for_arm64(d) && (other = first_for(c, for_arm64)))
		fprintf(f, "if [ \"$grub_cpu\" = arm64 ]; then\n\tset default=%s\nfi\n",
			other->name);
	if (arm64 && d && !for_x86(d) && (other = first_for(c, for_x86)))
		fprintf(f, "if [ \"$grub_cpu\" != arm64 ]; then\n\tset default=%s\nfi\n",
			other->name);
	if (!h) {
		/* Debian's signed GRUB asks for no per-MAC file by itself. */
		for (size_t i = 0; i < c->n_hosts; i++) {
			char mac[21];

			if (!c->hosts[i].default_entry && !c->hosts[i].append)
				continue;
			mac_file_name(c->hosts[i].mac, mac);
			fprintf(f,
				"if [ \"$net_default_mac\" = \"%s\" ]; then\n"
				"\tconfigfile $prefix/grub.cfg-%s\nfi\n",
				c->hosts[i].mac, mac);
		}
	}
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];
		_cleanup_free_ char *kernel = NULL, *initrd = NULL, *cmdline = NULL;

		if (e->kind == KIND_IPXE_SHELL)
			continue;
		if (arm64 && !for_x86(e))
			fprintf(f, "\nif [ \"$grub_cpu\" = arm64 ]; then");
		else if (arm64 && !for_arm64(e))
			fprintf(f, "\nif [ \"$grub_cpu\" != arm64 ]; then");
		fprintf(f, "\nmenuentry '%s%s' --id %s {\n", e->label,
			e->kind == KIND_ISO ? " (BIOS only)" : "", e->name);
		switch (e->kind) {
		case KIND_PXEROOT:
		case KIND_INSTALLER:
			k = kernel_files(r, e, &kernel, &initrd);
			k = k ?: entry_cmdline(r, e, h ? h->append : NULL, &cmdline);
			if (k < 0)
				return k;
			fprintf(f, "\tlinux %s/%s %s\n\tinitrd %s/%s\n", base, kernel,
				cmdline, base, initrd);
			break;
		case KIND_LOCALBOOT:
			fprintf(f, "\texit\n");
			break;
		case KIND_MEMTEST:
			k = entry_cmdline(r, e, h ? h->append : NULL, &cmdline);
			if (k < 0)
				return k;
			/* Unsigned: refused while Secure Boot is on. memtest86+
			 * takes the first word of its options for its own name,
			 * as a program run from the EFI shell gets it, and GRUB
			 * passes only the words after the file: the name goes
			 * first, or console= would be lost. */
			fprintf(f, "\tchainloader %s/memtest86+x64.efi%s%s\n", base,
				*cmdline ? " memtest86+x64.efi " : "", cmdline);
			break;
		case KIND_ISO:
			fprintf(f, "\techo 'An ISO image boots through memdisk, on BIOS "
				   "clients only.'\n\tsleep 5\n");
			break;
		default:
			break;
		}
		fprintf(f, "}\n");
		if (arm64 && (!for_x86(e) || !for_arm64(e)))
			fprintf(f, "fi\n");
	}
	return 0;
}

int render_grub(struct render *r)
{
	/* arm64 clients boot through GRUB whatever x86 ones use. */
	if (!config_uses_uefi(r->c, UEFI_GRUB) && !config_has_arm64(r->c))
		return 0;
	if (!has_kind(r->c, KIND_PXEROOT) && !r->c->n_entries)
		return 0;
	return render_menus(r, grub_menu, R_BOOT "grub/grub.cfg", R_BOOT "grub/grub.cfg-",
			    "");
}
