// SPDX-License-Identifier: GPL-2.0-or-later
/* Output: KEY='value' lines for /init, and the same content for people. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmdline-internal.h"

static void shell_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

int px_config_write_shell(const struct px_config *c, FILE *f, bool only_root)
{
	for (int k = 0; k < _PX_KEY_MAX; k++) {
		if (only_root && !px_key_is_root(k))
			continue;
		fprintf(f, "PX_%s=", px_key_name(k));
		shell_quote(f, px_config_get(c, k));
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static const char *g(const struct px_config *c, enum px_key k)
{
	return px_config_get(c, k);
}

static bool has(const struct px_config *c, enum px_key k)
{
	return *px_config_get(c, k) != '\0';
}

static void server_text(const struct px_config *c, FILE *f)
{
	const char *s = g(c, PX_SERVER);

	if (!*s)
		fputs("(the DHCP server)", f);
	else if (strchr(s, ':'))
		fprintf(f, "[%s]", s);
	else
		fputs(s, f);
}

static const char *nfs_vers_text(const char *v)
{
	if (strcmp(v, "auto") == 0)
		return "NFSv4, else NFSv3";
	if (strcmp(v, "3") == 0)
		return "NFSv3";
	if (strcmp(v, "4") == 0)
		return "NFSv4";
	if (strcmp(v, "4.0") == 0)
		return "NFSv4.0";
	if (strcmp(v, "4.1") == 0)
		return "NFSv4.1";
	return "NFSv4.2";
}

int px_config_write_text(const struct px_config *c, FILE *f)
{
	enum root_kind root = root_kind_from_name(g(c, PX_ROOT));
	const char *ip = g(c, PX_IP);

	fprintf(f, "%-12s", "root");
	switch (root) {
	case ROOT_DHCP:
		fputs(strcmp(ip, "dhcp6") == 0
			      ? "from the DHCPv6 boot file parameter or URL (options 60, 59)"
			      : "from the DHCP root-path (option 17)",
		      f);
		break;
	case ROOT_NFS:
		fputs(has(c, PX_IMAGE) ? "image " : "directory ", f);
		server_text(c, f);
		fprintf(f, ":%s", g(c, PX_PATH));
		if (has(c, PX_IMAGE))
			fprintf(f, "%s%s", strcmp(g(c, PX_PATH), "/") ? "/" : "",
				g(c, PX_IMAGE));
		fprintf(f, " over %s", nfs_vers_text(g(c, PX_NFS_VERS)));
		if (has(c, PX_PORT))
			fprintf(f, ", port %s", g(c, PX_PORT));
		if (has(c, PX_NFS_OPTS))
			fprintf(f, ", options %s", g(c, PX_NFS_OPTS));
		if (has(c, PX_IMAGE))
			fputs(", mounted through a loop device", f);
		break;
	case ROOT_NBD:
		fputs("NBD export ", f);
		if (has(c, PX_EXPORT))
			fprintf(f, "'%s' ", g(c, PX_EXPORT));
		else
			fputs("(default) ", f);
		fputs("on ", f);
		server_text(c, f);
		fprintf(f, " port %s", g(c, PX_PORT));
		break;
	default:
		fprintf(f, "image %s, downloaded into RAM", g(c, PX_URL));
		break;
	}
	fputc('\n', f);
	if (has(c, PX_ROOT_PARAM))
		fprintf(f, "%-12s%s\n", "  from", g(c, PX_ROOT_PARAM));
	if (root != ROOT_NFS || has(c, PX_IMAGE)) {
		fprintf(f, "%-12s%s", "  fs type",
			strcmp(g(c, PX_FSTYPE), "auto") == 0 ? "probed"
							     : g(c, PX_FSTYPE));
		fputc('\n', f);
	}
	if (has(c, PX_FLAGS))
		fprintf(f, "%-12s%s\n", "  options", g(c, PX_FLAGS));
	if (root == ROOT_URL || root == ROOT_DHCP) {
		bool any = has(c, PX_SHA256) || has(c, PX_MD5) || has(c, PX_CHECKSUM_URL);

		fprintf(f, "%-12s", "  verify");
		if (has(c, PX_SHA256))
			fprintf(f, "sha256 %s", g(c, PX_SHA256));
		if (has(c, PX_MD5))
			fprintf(f, "%smd5 %s", has(c, PX_SHA256) ? ", " : "",
				g(c, PX_MD5));
		if (has(c, PX_CHECKSUM_URL))
			fprintf(f, "%schecksum file %s",
				has(c, PX_SHA256) || has(c, PX_MD5) ? ", " : "",
				g(c, PX_CHECKSUM_URL));
		if (!any)
			fprintf(f,
				"a checksum file next to the image (.sha256, .md5); %s\n",
				strcmp(g(c, PX_VERIFY), "1") == 0
					? "refused without one"
					: "used unverified without one");
		else
			fputc('\n', f);
	}
	if (has(c, PX_VERITY))
		fprintf(f, "%-12sdm-verity, root hash %s, hash tree at byte %s\n",
			"  verity", g(c, PX_VERITY), g(c, PX_VERITY_OFFSET));
	if (root == ROOT_NBD || root == ROOT_DHCP)
		fprintf(f, "%-12sI/O timeout %s s, %s, waits %s s for the server\n",
			"  nbd", g(c, PX_NBD_TIMEOUT),
			strcmp(g(c, PX_NBD_RECONNECT), "1") == 0 ? "reconnects"
								 : "no reconnection",
			g(c, PX_NBD_DEAD_TIMEOUT));

	fprintf(f, "%-12s", "network");
	if (strcmp(ip, "dhcp") == 0) {
		fprintf(f, "DHCP, %s tries, first wait %s s, doubling",
			g(c, PX_DHCP_TRIES), g(c, PX_DHCP_TIMEOUT));
		if (has(c, PX_IP_ADDR))
			fprintf(f, ", asking for %s", g(c, PX_IP_ADDR));
	} else if (strcmp(ip, "dhcp6") == 0) {
		fprintf(f, "DHCPv6 (stateful), waits %s s for a lease",
			g(c, PX_IPV6_TIMEOUT));
	} else if (strcmp(ip, "auto6") == 0) {
		fprintf(f,
			"IPv6 autoconfiguration (router advertisements), waits %s s for a global address",
			g(c, PX_IPV6_TIMEOUT));
	} else {
		fprintf(f, "static %s/%s", g(c, PX_IP_ADDR), g(c, PX_IP_PREFIX));
		if (has(c, PX_IP_GW))
			fprintf(f, ", gateway %s", g(c, PX_IP_GW));
	}
	fputc('\n', f);
	if (has(c, PX_IP_PARAM))
		fprintf(f, "%-12s%s\n", "  from", g(c, PX_IP_PARAM));
	fprintf(f, "%-12s", "  interface");
	if (has(c, PX_BOOTIF))
		fprintf(f, "the one with MAC %s (BOOTIF)", g(c, PX_BOOTIF));
	else if (has(c, PX_IP_DEV))
		fputs(g(c, PX_IP_DEV), f);
	else
		fputs("the first with a link", f);
	fprintf(f, ", link wait %s s\n", g(c, PX_LINK_TIMEOUT));
	if (has(c, PX_IP_WHY))
		fprintf(f, "%-12s%s\n", "  chosen by", g(c, PX_IP_WHY));
	if (has(c, PX_IP_MORE))
		fprintf(f, "%-12s%s\n", "  also", g(c, PX_IP_MORE));
	if (has(c, PX_IFNAME))
		fprintf(f, "%-12s%s\n", "  rename", g(c, PX_IFNAME));
	if (has(c, PX_VLAN))
		fprintf(f, "%-12s%s (name:interface:id)\n", "  vlan", g(c, PX_VLAN));
	if (has(c, PX_BOND))
		fprintf(f, "%-12s%s (name:slaves:options:mtu)\n", "  bond",
			g(c, PX_BOND));
	if (has(c, PX_BRIDGE))
		fprintf(f, "%-12s%s (name:ports)\n", "  bridge", g(c, PX_BRIDGE));
	if (strcmp(g(c, PX_PEERDNS), "0") == 0)
		fprintf(f, "%-12s%s\n", "  peerdns", "off: DNS from DHCP is not used");
	if (strcmp(ip, "dhcp") == 0 && has(c, PX_IP_GW))
		fprintf(f, "%-12s%s\n", "  gateway", g(c, PX_IP_GW));
	if (has(c, PX_IP_PEER))
		fprintf(f, "%-12s%s\n", "  server", g(c, PX_IP_PEER));
	if (has(c, PX_IP_HOSTNAME))
		fprintf(f, "%-12s%s\n", "  hostname", g(c, PX_IP_HOSTNAME));
	if (has(c, PX_IP_DNS))
		fprintf(f, "%-12s%s\n", "  dns", g(c, PX_IP_DNS));
	if (has(c, PX_IP_NTP))
		fprintf(f, "%-12s%s\n", "  ntp", g(c, PX_IP_NTP));
	if (has(c, PX_IP_MTU))
		fprintf(f, "%-12s%s\n", "  mtu", g(c, PX_IP_MTU));
	if (has(c, PX_IP_MAC))
		fprintf(f, "%-12s%s\n", "  set mac", g(c, PX_IP_MAC));

	fprintf(f, "%-12s", "writable");
	if (strcmp(g(c, PX_OVERLAY), "overlay") == 0)
		fprintf(f, "overlayfs, tmpfs upper layer (size %s)\n",
			g(c, PX_OVERLAY_SIZE));
	else if (strcmp(g(c, PX_OVERLAY), "tmpfs") == 0)
		fprintf(f, "tmpfs root (size %s) with links into the read-only root\n",
			g(c, PX_OVERLAY_SIZE));
	else if (strcmp(g(c, PX_ROOT_RW), "1") == 0)
		fputs("the NFS root itself, mounted read-write (rw): one client per tree, changes stay on the server\n",
		      f);
	else
		fputs("none, the root stays read-only\n", f);
	fprintf(f, "%-12s%s\n", "init", g(c, PX_INIT));
	fprintf(f, "%-12sretry for %s s, then ", "on failure", g(c, PX_RETRY));
	if (strcmp(g(c, PX_ON_FAIL), "shell") == 0)
		fputs("an emergency shell on the console\n", f);
	else
		fprintf(f, "%s after %s s\n", g(c, PX_ON_FAIL), g(c, PX_FAIL_TIMEOUT));
	if (has(c, PX_BREAK))
		fprintf(f, "%-12s%s\n", "break at", g(c, PX_BREAK));
	if (has(c, PX_MODULES))
		fprintf(f, "%-12s%s\n", "modules", g(c, PX_MODULES));
	if (has(c, PX_BLACKLIST))
		fprintf(f, "%-12s%s\n", "blacklist", g(c, PX_BLACKLIST));
	if (strcmp(g(c, PX_DEBUG), "1") == 0)
		fprintf(f, "%-12s%s\n", "debug", "on");
	if (strcmp(g(c, PX_QUIET), "1") == 0)
		fprintf(f, "%-12s%s\n", "quiet", "yes (errors still reach the console)");
	return ferror(f) ? -EIO : 0;
}
