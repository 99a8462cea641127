// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dnsmasq.conf: DHCP (full or proxy) and TFTP. Clients are told apart by
 * option 93 (client architecture), or by the vendor class
 * PXEClient:Arch:NNNNN / HTTPClient:Arch:NNNNN when a firmware leaves 93 out;
 * iPXE (option 175 in full mode, user class "iPXE" in proxy mode, where
 * dnsmasq only sees the PXE request) gets its script and never an iPXE binary
 * again, which would loop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "util.h"

static void render_dnsmasq_ipv6(FILE *f, const struct pbs_config *c);

/* Concurrent TFTP transfers: 256 clients of bench/fleet.sh, twice over. */
#define TFTP_MAX 512u

/* Architecture tags: a client sends one value of option 93. */
static const struct {
	const char *tag;
	unsigned int arch;
	const char *vendor;
} archs[] = {
	{ "bios", 0, "PXEClient:Arch:00000" },
	{ "efi64", 7, "PXEClient:Arch:00007" },
	{ "efi64", 9, "PXEClient:Arch:00009" },
	{ "arm64", 11, "PXEClient:Arch:00011" },
	{ "efihttp", 16, "HTTPClient:Arch:00016" },
};

static const char *bios_loader(const struct pbs_config *c)
{
	return c->bios == BIOS_PXELINUX ? "pxelinux.0" : "undionly.kpxe";
}

static const char *uefi_loader(const struct pbs_config *c)
{
	return c->uefi == UEFI_GRUB ? "shimx64.efi" : "snponly.efi";
}

int render_dnsmasq(struct render *r)
{
	const struct pbs_config *c = r->c;
	const char *server = c->next_server ? c->next_server : c->address;
	const struct entry *def = config_entry(c, c->default_entry);
	_cleanup_free_ char *script = NULL, *root_path = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (r->http_base) {
		if (asprintf(&script, "%s/boot.ipxe", r->http_base) < 0)
			return -ENOMEM;
	} else if (!(script = strdup("boot.ipxe"))) {
		return -ENOMEM;
	}
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "# dnsmasq%s: DHCP (%s) and TFTP (%s) for PXE clients%s\n",
		r->dropin ? " drop-in" : "",
		c->mode == DHCP_FULL	? "full"
		: c->mode == DHCP_PROXY ? "proxy"
					: "off",
		c->tftp ? "on" : "off", r->dropin ? "" : ", no DNS");
	/* A drop-in leaves DNS as the system's dnsmasq has it. */
	if (!r->dropin)
		fprintf(f, "port=0\n");
	if (c->interface)
		fprintf(f, "interface=%s\n", c->interface);
	else
		fprintf(f, "listen-address=%s\n", c->address);
	fprintf(f, "bind-interfaces\n");
	/* dnsmasq serves 50 TFTP transfers at once by default and refuses the
	 * next client: a room of PXE clients powered on together each fetch the
	 * loader and its menu at the same moment. */
	if (c->tftp)
		fprintf(f,
			"enable-tftp\ntftp-root=%s\n"
			"# A fleet booting at once: dnsmasq's default is 50 transfers.\n"
			"tftp-max=%u\n",
			c->boot_dir, TFTP_MAX);
	if (c->mode == DHCP_OFF)
		goto done;

	fprintf(f, "log-dhcp\n");
	if (c->mode == DHCP_FULL) {
		/* dnsmasq pings an address before it offers it and answers no other
		 * DHCP client meanwhile: a room of clients powered on together
		 * timed out (bench/fleet.sh, doc/benchmarks-fleet.md). */
		fprintf(f, "no-ping\n");
		fprintf(f, "dhcp-range=%s,%s,%s,%s\n", c->range_start, c->range_end,
			c->netmask, c->lease_time);
		if (c->router)
			fprintf(f, "dhcp-option=option:router,%s\n", c->router);
		if (c->dns)
			fprintf(f, "dhcp-option=option:dns-server,%s\n", c->dns);
		root_path = def ? entry_root_path(r, def) : NULL;
		if (root_path)
			fprintf(f, "dhcp-option=option:root-path,%s\n", root_path);
	} else {
		/* The subnet's network: dnsmasq answers on an interface with an
		 * address inside it. */
		fprintf(f, "dhcp-range=%s,proxy,%s\n", c->network, c->netmask);
	}

	fprintf(f, "\n# The client's architecture: option 93, else its vendor class.\n");
	for (size_t i = 0; i < ARRAY_SIZE(archs); i++)
		fprintf(f, "dhcp-match=set:%s,option:client-arch,%u\n", archs[i].tag,
			archs[i].arch);
	for (size_t i = 0; i < ARRAY_SIZE(archs); i++)
		fprintf(f, "dhcp-vendorclass=set:%s,%s\n", archs[i].tag, archs[i].vendor);

	fprintf(f, "\n# iPXE gets the menu script, never iPXE again.\n");
	if (c->mode == DHCP_FULL)
		fprintf(f, "dhcp-match=set:ipxe,175\n");
	else
		fprintf(f, "dhcp-userclass=set:ipxe,iPXE\n");
	fprintf(f, "dhcp-boot=tag:ipxe,%s,,%s\n", script, server);

	fprintf(f, "\n# Loaders by architecture.\n");
	if (c->mode == DHCP_FULL) {
		/* The server address doubles as siaddr, which signed GRUB needs. */
		fprintf(f, "dhcp-boot=tag:!ipxe,tag:bios,%s,,%s\n", bios_loader(c),
			server);
		fprintf(f, "dhcp-boot=tag:!ipxe,tag:efi64,%s,,%s\n", uefi_loader(c),
			server);
		if (config_has_arm64(c))
			fprintf(f, "dhcp-boot=tag:!ipxe,tag:arm64,shimaa64.efi,,%s\n",
				server);
	} else {
		const char *b = bios_loader(c);

		/* dnsmasq adds PXE's ".0" layer suffix to a name without one. */
		fprintf(f, "pxe-service=tag:!ipxe,x86PC,\"%s\",%.*s,%s\n", c->title,
			(int)(strcmp(b, "pxelinux.0") == 0 ? strlen(b) - 2 : strlen(b)),
			b, server);
		fprintf(f, "pxe-service=tag:!ipxe,X86-64_EFI,\"%s\",%s,%s\n", c->title,
			uefi_loader(c), server);
		fprintf(f, "pxe-service=tag:!ipxe,BC_EFI,\"%s\",%s,%s\n", c->title,
			uefi_loader(c), server);
		if (config_has_arm64(c))
			fprintf(f,
				"pxe-service=tag:!ipxe,ARM64_EFI,\"%s\",shimaa64.efi,%s\n",
				c->title, server);
	}
	/* dnsmasq answers a proxy request only when its vendor class starts with
	 * PXEClient (rfc2131.c): HTTPClient gets nothing, and `check` says so. */
	if (r->http_base && c->mode == DHCP_FULL) {
		fprintf(f, "\n# UEFI HTTP boot: a URL, and option 60 says HTTPClient.\n");
		fprintf(f, "dhcp-boot=tag:efihttp,%s/%s\n", r->http_base,
			c->uefi == UEFI_GRUB ? "shimx64.efi" : "ipxe.efi");
		fprintf(f, "dhcp-option-force=tag:efihttp,60,HTTPClient\n");
	}

	if (c->mode == DHCP_FULL && c->n_hosts) {
		fprintf(f, "\n# Hosts.\n");
		for (size_t i = 0; i < c->n_hosts; i++) {
			const struct host *h = &c->hosts[i];
			const struct entry *e =
				h->default_entry ? config_entry(c, h->default_entry)
						 : NULL;
			_cleanup_free_ char *rp = e ? entry_root_path(r, e) : NULL;

			fprintf(f, "dhcp-host=%s,set:host%zu%s%s%s%s\n", h->mac, i,
				h->address ? "," : "", h->address ? h->address : "",
				h->name ? "," : "", h->name ? h->name : "");
			if (rp)
				fprintf(f,
					"dhcp-option=tag:host%zu,option:root-path,%s\n",
					i, rp);
		}
	}
	if (c->mode == DHCP_FULL)
		render_dnsmasq_ipv6(f, c);
done:
	if (fclose(f) != 0)
		return -ENOMEM;
	return gen_add(r, R_DNSMASQ, text, len);
}

/*
 * IPv6 on the LAN: router advertisements with the M flag (addresses come from
 * DHCPv6 only: the range below is stateful), and for UEFI PXE over IPv6
 * (option 61, client architecture 7 or 9) the loader as a TFTP URL in option
 * 59. iPXE's script and UEFI HTTP boot name IPv4 URLs: over IPv6 they are not
 * offered.
 */
static void render_dnsmasq_ipv6(FILE *f, const struct pbs_config *c)
{
	/* The site's UEFI loader (uefi =), as over IPv4. */
	const char *loader = c->uefi == UEFI_GRUB ? "shimx64.efi" : "snponly.efi";

	if (!c->range6_start)
		return;
	fprintf(f, "\n# IPv6: router advertisements, stateful DHCPv6.\n");
	fprintf(f, "enable-ra\n");
	fprintf(f, "dhcp-range=%s,%s,64,%s\n", c->range6_start, c->range6_end,
		c->lease_time);
	if (!c->tftp)
		return;
	fprintf(f, "# UEFI PXE over IPv6: option 61 says the architecture, option 59 "
		   "names the loader.\n");
	fprintf(f, "dhcp-match=set:efi64v6,option6:61,7\n");
	fprintf(f, "dhcp-match=set:efi64v6,option6:61,9\n");
	fprintf(f, "dhcp-option=tag:efi64v6,option6:bootfile-url,tftp://[%s]/%s\n",
		c->address6, loader);
	if (config_has_arm64(c)) {
		fprintf(f, "dhcp-match=set:arm64v6,option6:61,11\n");
		fprintf(f,
			"dhcp-option=tag:arm64v6,option6:bootfile-url,tftp://[%s]/shimaa64.efi\n",
			c->address6);
	}
}
