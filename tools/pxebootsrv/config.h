/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define PBS_DEFAULT_CONFIG PXEROOT_SYSCONFDIR "/pxeroot/pxebootsrv.conf"
#define PBS_NBD_PORT 10809

enum dhcp_mode {
	DHCP_FULL,
	DHCP_PROXY,
	DHCP_OFF
};
enum uefi_path {
	UEFI_GRUB,
	UEFI_IPXE
};
enum bios_path {
	BIOS_PXELINUX,
	BIOS_IPXE
};
enum entry_kind {
	KIND_PXEROOT,
	KIND_LOCALBOOT,
	KIND_MEMTEST,
	KIND_ISO,
	KIND_INSTALLER,
	KIND_IPXE_SHELL,
};
enum root_kind {
	ROOT_NBD,
	ROOT_NFS,
	ROOT_HTTP
};

/* An entry's keys that name a file, for the line of an error about the file. */
enum entry_file {
	EF_KERNEL,
	EF_INITRD,
	EF_IMAGE,
	EF_TREE,
	EF_ISO,
	EF_CHECKSUM,
	_EF_MAX
};

struct entry {
	char *name;
	unsigned int line; /* of its [entry NAME] header */
	unsigned int file_line[_EF_MAX]; /* of its kernel =, initrd =, ... lines */
	enum entry_kind kind;
	bool has_kind;
	bool arm64; /* its kernel is for 64-bit ARM (arch = arm64, or its header) */
	bool has_arch;
	char *label;
	char *kernel, *initrd, *image, *tree, *iso;
	enum root_kind root;
	char *url; /* netboot URL given as is (an image on another web server) */
	char *append;
	char *preseed, *kickstart;
	char *checksum; /* md5sum file of the image, checked by `check` */
};

struct host {
	char *mac; /* lower case, with colons */
	unsigned int line;
	char *address, *name, *default_entry, *append;
	unsigned int default_line, address_line;
	/* Its own loader path (bios =, uefi =), when it differs from the site's. */
	bool has_bios, has_uefi;
	enum bios_path bios;
	enum uefi_path uefi;
};

struct pbs_config {
	char *file;
	bool srcd; /* read from SystemRescueCd's PXEBOOTSRV_* variables */
	unsigned int errors; /* problems already reported while reading */

	char *address, *interface, *boot_dir, *state_dir;
	char *loader_root; /* where the loaders' Debian packages are installed */
	char *arm64_loader_root; /* the same for the arm64 builds, if elsewhere */
	unsigned int server_line;
	/*
	 * The clients' LAN as NETWORK/PREFIX: [server] subnet, else the address
	 * and [dhcp] netmask. After reading, subnet, network and netmask agree.
	 */
	char *subnet, *network;
	unsigned int subnet_line;
	bool subnet_refused; /* a bad subnet or netmask: nothing to check against */

	enum dhcp_mode mode;
	char *range_start, *range_end, *netmask, *router, *dns, *lease_time;
	unsigned int range_line, netmask_line, router_line;
	char *next_server; /* where clients fetch files, when not this host */
	/* IPv6: router advertisements and a stateful DHCPv6 range on the LAN,
	 * this host's address on it for boot file URLs (all NULL without). */
	char *range6_start, *range6_end, *address6;

	bool tftp, http;
	unsigned int http_port;
	char *http_url; /* an external web server's base URL */

	unsigned int nbd_port;

	char *title;
	unsigned int timeout;
	char *default_entry;
	unsigned int default_line;
	enum uefi_path uefi;
	enum bios_path bios;

	struct entry *entries;
	size_t n_entries, cap_entries; /* cap_*: room, for vector_reserve */
	struct host *hosts;
	size_t n_hosts, cap_hosts;
};

void config_init(struct pbs_config *c);
void config_free(struct pbs_config *c);

/*
 * Read path, as pxebootsrv.conf or (when it sets PXEBOOTSRV_* variables) as
 * SystemRescueCd's /etc/conf.d/pxebootsrv; root prefixes the latter's
 * /tftpboot. Every problem is logged as "FILE:LINE: what"; returns -EINVAL
 * after the last one, so that `check` lists them all.
 */
int config_load(struct pbs_config *c, const char *path, const char *root);
int config_parse(struct pbs_config *c, const char *path, const char *text);
int config_parse_srcd(struct pbs_config *c, const char *path, const char *text,
		      const char *root);
/* Whether text looks like a shell file of PXEBOOTSRV_* variables. */
bool config_is_srcd(const char *text);

const struct entry *config_entry(const struct pbs_config *c, const char *name);
const char *entry_kind_name(enum entry_kind k);
/* The base URL of files served over HTTP (no trailing slash), or NULL without HTTP. */
char *config_http_base(const struct pbs_config *c);
/* Whether any entry boots an arm64 kernel. */
bool config_has_arm64(const struct pbs_config *c);
/* The line of e's key that names path (kernel =, image =, ...), else its header's. */
unsigned int entry_file_line(const struct entry *e, const char *path);
/*
 * Complete the subnet from what was read (subnet, or address and netmask) and
 * check that the address, the range, the router and the hosts' addresses lie
 * inside it; every problem is logged as "FILE:LINE: what" and counted.
 */
int config_check_subnet(struct pbs_config *c, const char *path);
/* Whether the site or one of its hosts boots BIOS (UEFI) clients by path p. */
bool config_uses_bios(const struct pbs_config *c, enum bios_path p);
bool config_uses_uefi(const struct pbs_config *c, enum uefi_path p);
/* Whether a host's BIOS (UEFI) path is not the site's. */
bool host_other_bios(const struct pbs_config *c, const struct host *h);
bool host_other_uefi(const struct pbs_config *c, const struct host *h);
/* Whether any entry needs the NBD server. */
bool config_needs_nbd(const struct pbs_config *c);
