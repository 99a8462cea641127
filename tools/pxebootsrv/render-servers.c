// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The servers behind the menus: lighttpd for HTTP, nbdexport for NBD roots,
 * an /etc/exports line and an nfs-ganesha EXPORT block for NFS roots; and, for
 * sites that keep their own DHCP server, what to add to ISC dhcpd or Kea.
 *
 * lighttpd rather than nginx: one process that stays in the foreground with
 * -D and logs to stderr there, checks a configuration with -tt, and needs no
 * writable paths for static files; nginx's master and workers want a pid
 * file, a temporary directory and a user to switch to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "util.h"

#define DONE(name)                                  \
	do {                                        \
		if (fclose(f) != 0)                 \
			return -ENOMEM;             \
		return gen_add(r, name, text, len); \
	} while (0)

static int render_lighttpd(struct render *r)
{
	const struct pbs_config *c = r->c;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	if (r->dropin) {
		/* Next to the system's sites: by address on port 80 (the main
		 * socket, bound to all addresses, already listens there), else by
		 * a socket of its own. */
		fprintf(f, "# lighttpd drop-in: the boot directory for PXE clients\n");
		if (c->http_port == 80)
			fprintf(f, "$HTTP[\"host\"] == \"%s\" {\n", c->address);
		else
			fprintf(f, "$SERVER[\"socket\"] == \"%s:%u\" {\n", c->address,
				c->http_port);
		fprintf(f, "\tserver.document-root = \"%s\"\n", c->boot_dir);
		fprintf(f, "\tserver.follow-symlink = \"enable\"\n}\n");
		DONE(R_LIGHTTPD);
	}
	fprintf(f, "# lighttpd: the boot directory over HTTP, static files only\n");
	fprintf(f, "server.document-root = \"%s\"\n", c->boot_dir);
	fprintf(f, "server.bind = \"%s\"\n", c->address);
	fprintf(f, "server.port = %u\n", c->http_port);
	/* Started as root to bind port 80; serves as Debian's web server user. */
	fprintf(f, "server.username = \"www-data\"\nserver.groupname = \"www-data\"\n");
	fprintf(f, "server.follow-symlink = \"enable\"\n");
	fprintf(f, "server.range-requests = \"enable\"\n");
	/* No module beyond the built-in static file handler: no directory
	 * listings, no index files. */
	fprintf(f, "server.modules = ( )\n");
	fprintf(f, "mimetype.assign = ( \"\" => \"application/octet-stream\" )\n");
	DONE(R_LIGHTTPD);
}

static int render_nbdexport(struct render *r)
{
	const struct pbs_config *c = r->c;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f,
		"# nbdexport: the NBD roots, read-only\n[global]\nlisten = %s\nport = %u\n",
		c->address, c->nbd_port);
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];

		if (e->kind != KIND_PXEROOT || e->root != ROOT_NBD || e->url)
			continue;
		fprintf(f, "\n[%s]\npath = %s\ndescription = %s\n", e->name, e->image,
			e->label);
	}
	DONE(R_NBDEXPORT);
}

static int render_nfs(struct render *r)
{
	const struct pbs_config *c = r->c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int k, id = 0;

	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "# /etc/exports: the NFS roots, read-only, for the clients' LAN\n");
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];

		if (e->kind == KIND_PXEROOT && e->root == ROOT_NFS && e->tree)
			fprintf(f, "%s %s(ro,no_subtree_check,no_root_squash,fsid=%u)\n",
				e->tree, c->subnet, (unsigned int)(i + 1));
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	k = gen_add(r, "exports", text, len);
	if (k < 0)
		return k;

	text = NULL;
	len = 0;
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	/* A whole ganesha.conf: NFSv4 only, so neither NLM nor RQUOTA (which want
	 * rpcbind) is started. */
	fprintf(f, "# nfs-ganesha: the NFS roots, read-only, NFSv4\n");
	fprintf(f,
		"NFS_CORE_PARAM {\n\tProtocols = 4;\n\tBind_addr = %s;\n"
		"\tEnable_NLM = false;\n\tEnable_RQUOTA = false;\n}\n",
		c->address);
	/* Owners as numbers, as a prepared tree expects (mkbootready(8)). NFSv4.0
	 * and 4.1 only: a Debian 13 client (Linux 6.12, which reads 4.2 files with
	 * READ_PLUS) mounted nfs-ganesha 4.3 over 4.2 and then failed every read
	 * with EIO; over 4.1 it boots (tests/e2e/debian-trixie-boot.sh). */
	fprintf(f,
		"NFSV4 {\n\tOnly_Numeric_Owners = true;\n\tMinor_Versions = 0, 1;\n}\n");
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];

		if (e->kind != KIND_PXEROOT || e->root != ROOT_NFS || !e->tree)
			continue;
		fprintf(f,
			"EXPORT {\n\tExport_Id = %d;\n\tPath = \"%s\";\n\tPseudo = \"%s\";\n"
			"\tProtocols = 4;\n\tAccess_Type = RO;\n\tSquash = No_Root_Squash;\n"
			"\tSecType = sys;\n\tFSAL {\n\t\tName = VFS;\n\t}\n"
			"\tCLIENT {\n\t\tClients = %s;\n\t\tProtocols = 4;\n"
			"\t\tAccess_Type = RO;\n\t}\n}\n",
			++id + 100, e->tree, e->tree, c->subnet);
	}
	DONE("ganesha.conf");
}

int render_servers(struct render *r)
{
	int k = render_lighttpd(r);

	k = k ?: render_nbdexport(r);
	return k ?: render_nfs(r);
}

static const char *uefi_loader(const struct pbs_config *c)
{
	return c->uefi == UEFI_GRUB ? "shimx64.efi" : "snponly.efi";
}

/* For a site's own ISC dhcpd: a class per client architecture. */
static int render_dhcpd(struct render *r)
{
	const struct pbs_config *c = r->c;
	const char *server = c->next_server ? c->next_server : c->address;
	const char *ipxe = "exists user-class and option user-class = \"iPXE\"";
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "# ISC dhcpd: PXE clients of this boot server, by architecture\n");
	fprintf(f, "option client-arch code 93 = unsigned integer 16;\n\n");
	fprintf(f, "class \"pxeroot-ipxe\" {\n\tmatch if %s;\n\tnext-server %s;\n", ipxe,
		server);
	if (r->http_base)
		fprintf(f, "\tfilename \"%s/boot.ipxe\";\n}\n", r->http_base);
	else
		fprintf(f, "\tfilename \"boot.ipxe\";\n}\n");
	fprintf(f,
		"class \"pxeroot-bios\" {\n\tmatch if option client-arch = 0 and not (%s);\n"
		"\tnext-server %s;\n\tfilename \"%s\";\n}\n",
		ipxe, server, c->bios == BIOS_PXELINUX ? "pxelinux.0" : "undionly.kpxe");
	fprintf(f,
		"class \"pxeroot-efi64\" {\n"
		"\tmatch if (option client-arch = 7 or option client-arch = 9) and not (%s);\n"
		"\tnext-server %s;\n\tfilename \"%s\";\n}\n",
		ipxe, server, uefi_loader(c));
	if (config_has_arm64(c))
		fprintf(f,
			"class \"pxeroot-arm64\" {\n\tmatch if option client-arch = 11;\n"
			"\tnext-server %s;\n\tfilename \"shimaa64.efi\";\n}\n",
			server);
	if (r->http_base)
		fprintf(f,
			"class \"pxeroot-efihttp\" {\n\tmatch if option client-arch = 16;\n"
			"\toption vendor-class-identifier \"HTTPClient\";\n"
			"\tfilename \"%s/%s\";\n}\n",
			r->http_base, c->uefi == UEFI_GRUB ? "shimx64.efi" : "ipxe.efi");
	for (size_t i = 0; i < c->n_hosts; i++) {
		const struct host *h = &c->hosts[i];
		const struct entry *e =
			h->default_entry ? config_entry(c, h->default_entry) : NULL;
		_cleanup_free_ char *rp = e ? entry_root_path(r, e) : NULL;

		char mac[21];

		/* A host's name in dhcpd.conf is a word: no colons. */
		mac_file_name(h->mac, mac);
		if (h->name)
			fprintf(f, "host %s {\n", h->name);
		else
			fprintf(f, "host pxeroot-%s {\n", mac + 3);
		fprintf(f, "\thardware ethernet %s;\n", h->mac);
		if (h->address)
			fprintf(f, "\tfixed-address %s;\n", h->address);
		if (rp)
			fprintf(f, "\toption root-path \"%s\";\n", rp);
		fprintf(f, "}\n");
	}
	DONE("dhcpd.conf");
}

/* For a site's own Kea: client classes, and reservations for the hosts. */
static int render_kea(struct render *r)
{
	const struct pbs_config *c = r->c;
	const char *server = c->next_server ? c->next_server : c->address;
	const char *ipxe = "member('pxeroot-ipxe')";
	unsigned int n = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "# Kea DHCPv4: merge into the \"Dhcp4\" object of kea-dhcp4.conf\n");
	fprintf(f, "{\n\"Dhcp4\": {\n\"client-classes\": [\n");
	fprintf(f,
		"  { \"name\": \"pxeroot-ipxe\", \"test\": \"option[77].hex == 'iPXE'\",\n"
		"    \"next-server\": \"%s\", \"boot-file-name\": \"%s%sboot.ipxe\" },\n",
		server, r->http_base ? r->http_base : "", r->http_base ? "/" : "");
	fprintf(f,
		"  { \"name\": \"pxeroot-bios\",\n"
		"    \"test\": \"option[93].hex == 0x0000 and not %s\",\n"
		"    \"next-server\": \"%s\", \"boot-file-name\": \"%s\" },\n",
		ipxe, server, c->bios == BIOS_PXELINUX ? "pxelinux.0" : "undionly.kpxe");
	fprintf(f,
		"  { \"name\": \"pxeroot-efi64\",\n"
		"    \"test\": \"(option[93].hex == 0x0007 or option[93].hex == 0x0009) and not "
		"%s\",\n"
		"    \"next-server\": \"%s\", \"boot-file-name\": \"%s\" }%s\n",
		ipxe, server, uefi_loader(c),
		r->http_base || config_has_arm64(c) ? "," : "");
	if (config_has_arm64(c))
		fprintf(f,
			"  { \"name\": \"pxeroot-arm64\", \"test\": \"option[93].hex == 0x000b\",\n"
			"    \"next-server\": \"%s\", \"boot-file-name\": \"shimaa64.efi\" }%s\n",
			server, r->http_base ? "," : "");
	if (r->http_base)
		fprintf(f,
			"  { \"name\": \"pxeroot-efihttp\", \"test\": \"option[93].hex == "
			"0x0010\",\n"
			"    \"boot-file-name\": \"%s/%s\",\n"
			"    \"option-data\": [ { \"name\": \"vendor-class-identifier\", "
			"\"data\": \"HTTPClient\" } ] }\n",
			r->http_base, c->uefi == UEFI_GRUB ? "shimx64.efi" : "ipxe.efi");
	fprintf(f, "],\n\"reservations\": [");
	for (size_t i = 0; i < c->n_hosts; i++) {
		const struct host *h = &c->hosts[i];
		const struct entry *e =
			h->default_entry ? config_entry(c, h->default_entry) : NULL;
		_cleanup_free_ char *rp = e ? entry_root_path(r, e) : NULL;

		/* Kea refuses a reservation that reserves nothing; such a host
		 * differs only by its menu, which needs no DHCP. */
		if (!h->address && !h->name && !rp)
			continue;
		fprintf(f, "%s\n  { \"hw-address\": \"%s\"", n++ ? "," : "", h->mac);
		if (h->address)
			fprintf(f, ", \"ip-address\": \"%s\"", h->address);
		if (h->name)
			fprintf(f, ", \"hostname\": \"%s\"", h->name);
		if (rp)
			fprintf(f,
				",\n    \"option-data\": [ { \"name\": \"root-path\", "
				"\"data\": \"%s\" } ]",
				rp);
		fprintf(f, " }");
	}
	fprintf(f, "%s]\n}\n}\n", n ? "\n" : " ");
	DONE("kea-dhcp4.json");
}

int render_site_dhcp(struct render *r)
{
	int k = render_dhcpd(r);

	return k ?: render_kea(r);
}
