// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pxebootsrv.conf: an INI file (lib/ini.c, as nbdexport.conf) with [server],
 * [dhcp], [tftp], [http], [nbd], [menu], [entry NAME] and [host MAC]
 * sections. Every problem is reported as FILE:LINE and reading goes on, so
 * that one `check` names them all.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ini.h"
#include "log.h"
#include "util.h"
#include "vector.h"

void config_init(struct pbs_config *c)
{
	*c = (struct pbs_config){
		.mode = DHCP_FULL,
		.tftp = true,
		.http = true,
		.http_port = 80,
		.nbd_port = PBS_NBD_PORT,
		.timeout = 5,
		.uefi = UEFI_GRUB,
		.bios = BIOS_PXELINUX,
	};
}

static void entry_free(struct entry *e)
{
	free(e->name);
	free(e->label);
	free(e->kernel);
	free(e->initrd);
	free(e->image);
	free(e->tree);
	free(e->iso);
	free(e->url);
	free(e->append);
	free(e->preseed);
	free(e->kickstart);
	free(e->checksum);
}

static void host_free(struct host *h)
{
	free(h->mac);
	free(h->address);
	free(h->name);
	free(h->default_entry);
	free(h->append);
}

void config_free(struct pbs_config *c)
{
	for (size_t i = 0; i < c->n_entries; i++)
		entry_free(&c->entries[i]);
	for (size_t i = 0; i < c->n_hosts; i++)
		host_free(&c->hosts[i]);
	free(c->entries);
	free(c->hosts);
	free(c->file);
	free(c->address);
	free(c->interface);
	free(c->boot_dir);
	free(c->state_dir);
	free(c->loader_root);
	free(c->arm64_loader_root);
	free(c->subnet);
	free(c->network);
	free(c->range_start);
	free(c->range_end);
	free(c->netmask);
	free(c->router);
	free(c->dns);
	free(c->lease_time);
	free(c->next_server);
	free(c->range6_start);
	free(c->range6_end);
	free(c->address6);
	free(c->http_url);
	free(c->title);
	free(c->default_entry);
	config_init(c);
}

const char *entry_kind_name(enum entry_kind k)
{
	static const char *const names[] = {
		[KIND_PXEROOT] = "pxeroot",	[KIND_LOCALBOOT] = "localboot",
		[KIND_MEMTEST] = "memtest",	[KIND_ISO] = "iso",
		[KIND_INSTALLER] = "installer", [KIND_IPXE_SHELL] = "ipxe-shell",
	};
	return names[k];
}

const struct entry *config_entry(const struct pbs_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_entries; i++)
		if (strcmp(c->entries[i].name, name) == 0)
			return &c->entries[i];
	return NULL;
}

char *config_http_base(const struct pbs_config *c)
{
	char *s = NULL;

	if (c->http_url) {
		size_t n = strlen(c->http_url);

		while (n > 0 && c->http_url[n - 1] == '/')
			n--;
		return strndup(c->http_url, n);
	}
	if (!c->http)
		return NULL;
	if (c->http_port == 80)
		return asprintf(&s, "http://%s", c->address) < 0 ? NULL : s;
	return asprintf(&s, "http://%s:%u", c->address, c->http_port) < 0 ? NULL : s;
}

bool config_has_arm64(const struct pbs_config *c)
{
	for (size_t i = 0; i < c->n_entries; i++)
		if (c->entries[i].arm64)
			return true;
	return false;
}

unsigned int entry_file_line(const struct entry *e, const char *path)
{
	const char *files[_EF_MAX] = { e->kernel, e->initrd, e->image,
				       e->tree,	  e->iso,    e->checksum };

	for (int i = 0; i < _EF_MAX; i++)
		if (files[i] && path && strcmp(files[i], path) == 0 && e->file_line[i])
			return e->file_line[i];
	return e->line;
}

bool host_other_bios(const struct pbs_config *c, const struct host *h)
{
	return h->has_bios && h->bios != c->bios;
}

bool host_other_uefi(const struct pbs_config *c, const struct host *h)
{
	return h->has_uefi && h->uefi != c->uefi;
}

bool config_uses_bios(const struct pbs_config *c, enum bios_path p)
{
	if (c->bios == p)
		return true;
	for (size_t i = 0; i < c->n_hosts; i++)
		if (host_other_bios(c, &c->hosts[i]))
			return true;
	return false;
}

bool config_uses_uefi(const struct pbs_config *c, enum uefi_path p)
{
	if (c->uefi == p)
		return true;
	for (size_t i = 0; i < c->n_hosts; i++)
		if (host_other_uefi(c, &c->hosts[i]))
			return true;
	return false;
}

bool config_needs_nbd(const struct pbs_config *c)
{
	for (size_t i = 0; i < c->n_entries; i++)
		if (c->entries[i].kind == KIND_PXEROOT &&
		    c->entries[i].root == ROOT_NBD && !c->entries[i].url)
			return true;
	return false;
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static bool is_ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

static int set_ipv4(char **dst, const char *v)
{
	return is_ipv4(v) ? set_str(dst, v) : -EINVAL;
}

/* A netmask is ones then zeros: 255.255.0.0, not 255.0.255.0. */
static int set_netmask(char **dst, const char *v)
{
	struct in_addr m;
	uint32_t h;

	if (inet_pton(AF_INET, v, &m) != 1)
		return -EINVAL;
	h = ntohl(m.s_addr);
	return h && (~h & (~h + 1)) == 0 ? set_str(dst, v) : -EINVAL;
}

/* NETWORK/PREFIX, the prefix 1 to 32; host bits are checked later, by line. */
static int parse_cidr(const char *s, struct in_addr *net, unsigned int *prefix)
{
	char a[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, slash - s);
	a[slash - s] = '\0';
	if (inet_pton(AF_INET, a, net) != 1)
		return -EINVAL;
	return parse_uint(slash + 1, 1, 32, prefix);
}

static int set_subnet(char **dst, const char *v)
{
	struct in_addr net;
	unsigned int prefix;

	return parse_cidr(v, &net, &prefix) < 0 ? -EINVAL : set_str(dst, v);
}

static int set_path(char **dst, const char *v)
{
	return v[0] == '/' ? set_str(dst, v) : -EINVAL;
}

/* A name that is safe in a file name, a menu label and a dnsmasq tag. */
static bool is_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

/* Free text that goes into menus: one line, no quote that would end a string. */
static int set_text(char **dst, const char *v)
{
	return strpbrk(v, "\"'\n\\$`;{}") ? -EINVAL : set_str(dst, v);
}

static int parse_mac(const char *s, char **ret)
{
	unsigned int b[6];
	char end;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%c", &b[0],
		   &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return -EINVAL;
	return asprintf(ret, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3],
			b[4], b[5]) < 0
		       ? -ENOMEM
		       : 0;
}

static int parse_kind(const char *v, enum entry_kind *ret)
{
	for (int k = KIND_PXEROOT; k <= KIND_IPXE_SHELL; k++) {
		if (strcmp(v, entry_kind_name(k)) == 0) {
			*ret = k;
			return 0;
		}
	}
	return -EINVAL;
}

enum section_type {
	SEC_NONE,
	SEC_SERVER,
	SEC_DHCP,
	SEC_TFTP,
	SEC_HTTP,
	SEC_NBD,
	SEC_MENU,
	SEC_ENTRY,
	SEC_HOST
};

struct parse_state {
	struct pbs_config *c;
	const char *path;
	enum section_type type;
	const char *section;
	struct entry *entry;
	struct host *host;
	unsigned int seen; /* bit per fixed section type, for duplicates */
};

static int server_key(struct pbs_config *c, const char *k, const char *v,
		      unsigned int line)
{
	int r;

	if (strcmp(k, "address") == 0)
		return set_ipv4(&c->address, v);
	if (strcmp(k, "subnet") == 0) {
		c->subnet_line = line;
		r = set_subnet(&c->subnet, v);
		c->subnet_refused |= r == -EINVAL;
		return r;
	}
	if (strcmp(k, "interface") == 0)
		return *v && strlen(v) < 16 && !strpbrk(v, "/ \t")
			       ? set_str(&c->interface, v)
			       : -EINVAL;
	if (strcmp(k, "boot-dir") == 0)
		return set_path(&c->boot_dir, v);
	if (strcmp(k, "state-dir") == 0)
		return set_path(&c->state_dir, v);
	if (strcmp(k, "loader-root") == 0)
		return set_path(&c->loader_root, v);
	if (strcmp(k, "arm64-loader-root") == 0)
		return set_path(&c->arm64_loader_root, v);
	return -ENOENT;
}

static bool is_ipv6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

/* [dhcp] ipv6-range = START END and ipv6-address = ADDRESS. */
static int dhcp6_key(struct pbs_config *c, const char *k, const char *v)
{
	char a[64], b[64], extra;

	if (strcmp(k, "ipv6-address") == 0)
		return is_ipv6(v) ? set_str(&c->address6, v) : -EINVAL;
	if (strcmp(k, "ipv6-range") != 0)
		return -ENOENT;
	if (sscanf(v, "%63s %63s %c", a, b, &extra) != 2 || !is_ipv6(a) || !is_ipv6(b))
		return -EINVAL;
	if (set_str(&c->range6_start, a) < 0 || set_str(&c->range6_end, b) < 0)
		return -ENOMEM;
	return 0;
}

static int range_set(struct pbs_config *c, const char *v)
{
	char a[64], b[64], extra;

	if (sscanf(v, "%63s %63s %c", a, b, &extra) != 2 || !is_ipv4(a) || !is_ipv4(b))
		return -EINVAL;
	if (set_str(&c->range_start, a) < 0 || set_str(&c->range_end, b) < 0)
		return -ENOMEM;
	return 0;
}

/* dnsmasq's lease time: "infinite", or a number with an optional s, m, h, d, w. */
static bool is_lease_time(const char *v)
{
	size_t n = strspn(v, "0123456789");

	if (strcmp(v, "infinite") == 0)
		return true;
	return n > 0 && n < 9 && (!v[n] || (strchr("smhdw", v[n]) && !v[n + 1]));
}

static int dhcp_key(struct pbs_config *c, const char *k, const char *v, unsigned int line)
{
	int r;

	if (strcmp(k, "mode") == 0) {
		if (strcmp(v, "full") == 0)
			c->mode = DHCP_FULL;
		else if (strcmp(v, "proxy") == 0)
			c->mode = DHCP_PROXY;
		else if (strcmp(v, "off") == 0)
			c->mode = DHCP_OFF;
		else
			return -EINVAL;
		return 0;
	}
	if (strcmp(k, "range") == 0) {
		c->range_line = line;
		return range_set(c, v);
	}
	if (strcmp(k, "netmask") == 0) {
		c->netmask_line = line;
		r = set_netmask(&c->netmask, v);
		c->subnet_refused |= r == -EINVAL;
		return r;
	}
	if (strcmp(k, "router") == 0) {
		c->router_line = line;
		return set_ipv4(&c->router, v);
	}
	if (strcmp(k, "dns") == 0)
		return set_ipv4(&c->dns, v);
	if (strcmp(k, "next-server") == 0)
		return set_ipv4(&c->next_server, v);
	if (strcmp(k, "lease-time") == 0)
		return is_lease_time(v) ? set_str(&c->lease_time, v) : -EINVAL;
	return dhcp6_key(c, k, v);
}

static int http_key(struct pbs_config *c, const char *k, const char *v)
{
	if (strcmp(k, "enable") == 0)
		return parse_bool(v, &c->http);
	if (strcmp(k, "port") == 0)
		return parse_uint(v, 1, 65535, &c->http_port);
	if (strcmp(k, "url") == 0)
		return startswith(v, "http://") && !strpbrk(v, " \t\"")
			       ? set_str(&c->http_url, v)
			       : -EINVAL;
	return -ENOENT;
}

static int parse_uefi(const char *v, enum uefi_path *ret)
{
	if (strcmp(v, "grub") == 0)
		*ret = UEFI_GRUB;
	else if (strcmp(v, "ipxe") == 0)
		*ret = UEFI_IPXE;
	else
		return -EINVAL;
	return 0;
}

static int parse_bios(const char *v, enum bios_path *ret)
{
	if (strcmp(v, "pxelinux") == 0)
		*ret = BIOS_PXELINUX;
	else if (strcmp(v, "ipxe") == 0)
		*ret = BIOS_IPXE;
	else
		return -EINVAL;
	return 0;
}

static int menu_key(struct pbs_config *c, const char *k, const char *v, unsigned int line)
{
	if (strcmp(k, "title") == 0)
		return set_text(&c->title, v);
	if (strcmp(k, "timeout") == 0)
		return parse_uint(v, 0, 3600, &c->timeout);
	if (strcmp(k, "default") == 0) {
		c->default_line = line;
		return is_name(v) ? set_str(&c->default_entry, v) : -EINVAL;
	}
	if (strcmp(k, "uefi") == 0)
		return parse_uefi(v, &c->uefi);
	if (strcmp(k, "bios") == 0)
		return parse_bios(v, &c->bios);
	return -ENOENT;
}

static int entry_key(struct entry *e, const char *k, const char *v, unsigned int line)
{
	static const char *const file_keys[_EF_MAX] = {
		[EF_KERNEL] = "kernel", [EF_INITRD] = "initrd",
		[EF_IMAGE] = "image",	[EF_TREE] = "tree",
		[EF_ISO] = "iso",	[EF_CHECKSUM] = "checksum",
	};
	char **files[_EF_MAX] = { &e->kernel, &e->initrd, &e->image,
				  &e->tree,   &e->iso,	  &e->checksum };

	if (strcmp(k, "kind") == 0) {
		e->has_kind = true;
		return parse_kind(v, &e->kind);
	}
	if (strcmp(k, "label") == 0)
		return set_text(&e->label, v);
	for (int i = 0; i < _EF_MAX; i++) {
		if (strcmp(k, file_keys[i]) == 0) {
			e->file_line[i] = line;
			return set_path(files[i], v);
		}
	}
	if (strcmp(k, "arch") == 0) {
		e->has_arch = true;
		if (strcmp(v, "arm64") == 0)
			e->arm64 = true;
		else if (strcmp(v, "x86_64") == 0)
			e->arm64 = false;
		else
			return -EINVAL;
		return 0;
	}
	if (strcmp(k, "root") == 0) {
		if (strcmp(v, "nbd") == 0)
			e->root = ROOT_NBD;
		else if (strcmp(v, "nfs") == 0)
			e->root = ROOT_NFS;
		else if (strcmp(v, "http") == 0)
			e->root = ROOT_HTTP;
		else
			return -EINVAL;
		return 0;
	}
	if (strcmp(k, "url") == 0)
		return (startswith(v, "http://") || startswith(v, "https://") ||
			startswith(v, "tftp://")) &&
				       !strpbrk(v, " \t\"")
			       ? set_str(&e->url, v)
			       : -EINVAL;
	if (strcmp(k, "append") == 0)
		return set_text(&e->append, v);
	if (strcmp(k, "preseed") == 0)
		return !strpbrk(v, " \t\"") ? set_str(&e->preseed, v) : -EINVAL;
	if (strcmp(k, "kickstart") == 0)
		return !strpbrk(v, " \t\"") ? set_str(&e->kickstart, v) : -EINVAL;
	return -ENOENT;
}

static int host_key(struct host *h, const char *k, const char *v, unsigned int line)
{
	if (strcmp(k, "address") == 0) {
		h->address_line = line;
		return set_ipv4(&h->address, v);
	}
	if (strcmp(k, "name") == 0)
		return is_name(v) ? set_str(&h->name, v) : -EINVAL;
	if (strcmp(k, "default") == 0) {
		h->default_line = line;
		return is_name(v) ? set_str(&h->default_entry, v) : -EINVAL;
	}
	if (strcmp(k, "append") == 0)
		return set_text(&h->append, v);
	if (strcmp(k, "bios") == 0) {
		h->has_bios = true;
		return parse_bios(v, &h->bios);
	}
	if (strcmp(k, "uefi") == 0) {
		h->has_uefi = true;
		return parse_uefi(v, &h->uefi);
	}
	return -ENOENT;
}

static int problem(struct parse_state *st, unsigned int line, const char *fmt, ...)
	_printf_(3, 4);
static int problem(struct parse_state *st, unsigned int line, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	log_error("%s:%u: %s", st->path, line, msg);
	st->c->errors++;
	return 0;
}

static int new_section(struct parse_state *st, const char *section, unsigned int line)
{
	static const char *const fixed[] = {
		[SEC_SERVER] = "server", [SEC_DHCP] = "dhcp", [SEC_TFTP] = "tftp",
		[SEC_HTTP] = "http",	 [SEC_NBD] = "nbd",   [SEC_MENU] = "menu",
	};
	struct pbs_config *c = st->c;
	const char *name;
	size_t len;

	st->section = section;
	st->entry = NULL;
	st->host = NULL;
	st->type = SEC_NONE;
	for (int t = SEC_SERVER; t <= SEC_MENU; t++) {
		if (strcmp(section, fixed[t]) != 0)
			continue;
		if (st->seen & (1u << t))
			return problem(st, line, "section [%s] defined twice", section);
		st->seen |= 1u << t;
		st->type = t;
		if (t == SEC_SERVER)
			c->server_line = line;
		return 0;
	}
	len = strcspn(section, " \t");
	name = section + len + strspn(section + len, " \t");
	if (len == 5 && strncmp(section, "entry", 5) == 0) {
		if (!is_name(name))
			return problem(st, line, "bad entry name in [%s]", section);
		if (config_entry(c, name))
			return problem(st, line, "section [%s] defined twice", section);
		if (vector_reserve((void **)&c->entries, &c->cap_entries,
				   c->n_entries + 1, sizeof(*c->entries)) < 0)
			return -ENOMEM;
		st->entry = &c->entries[c->n_entries++];
		*st->entry = (struct entry){ .line = line, .name = strdup(name) };
		if (!st->entry->name)
			return -ENOMEM;
		st->type = SEC_ENTRY;
		return 0;
	}
	if (len == 4 && strncmp(section, "host", 4) == 0) {
		_cleanup_free_ char *mac = NULL;

		if (parse_mac(name, &mac) < 0)
			return problem(st, line, "bad MAC address in [%s]", section);
		for (size_t i = 0; i < c->n_hosts; i++)
			if (strcmp(c->hosts[i].mac, mac) == 0)
				return problem(st, line, "section [%s] defined twice",
					       section);
		if (vector_reserve((void **)&c->hosts, &c->cap_hosts, c->n_hosts + 1,
				   sizeof(*c->hosts)) < 0)
			return -ENOMEM;
		st->host = &c->hosts[c->n_hosts++];
		*st->host = (struct host){ .line = line, .mac = TAKE_PTR(mac) };
		st->type = SEC_HOST;
		return 0;
	}
	return problem(st, line, "unknown section [%s]", section);
}

static int parse_line(void *userdata, const char *section, const char *k, const char *v,
		      unsigned int line)
{
	struct parse_state *st = userdata;
	struct pbs_config *c = st->c;
	int r;

	if (!k)
		return new_section(st, section, line);
	switch (st->type) {
	case SEC_SERVER:
		r = server_key(c, k, v, line);
		break;
	case SEC_DHCP:
		r = dhcp_key(c, k, v, line);
		break;
	case SEC_TFTP:
		r = strcmp(k, "enable") == 0 ? parse_bool(v, &c->tftp) : -ENOENT;
		break;
	case SEC_HTTP:
		r = http_key(c, k, v);
		break;
	case SEC_NBD:
		r = strcmp(k, "port") == 0 ? parse_uint(v, 1, 65535, &c->nbd_port)
					   : -ENOENT;
		break;
	case SEC_MENU:
		r = menu_key(c, k, v, line);
		break;
	case SEC_ENTRY:
		r = entry_key(st->entry, k, v, line);
		break;
	case SEC_HOST:
		r = host_key(st->host, k, v, line);
		break;
	default:
		/* A key of a section already reported, or before any section. */
		if (!section)
			return problem(st, line, "'%s' outside of any section", k);
		return 0;
	}
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT)
		return problem(st, line, "unknown key '%s' in [%s]", k, st->section);
	if (r < 0)
		return problem(st, line, "bad value for '%s': '%s'", k, v);
	return 0;
}

/*
 * Whether a kernel file is for 64-bit ARM, by its header: an arm64 Image has
 * "ARM\x64" at offset 56, and an EFI stub or zboot kernel is a PE file whose
 * machine is 0xaa64. A gzip-compressed Image says nothing: arch = arm64.
 */
static bool kernel_is_arm64(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t h[64], pe[6];
	uint32_t off;

	if (fd < 0 || pread(fd, h, sizeof(h), 0) != sizeof(h))
		return false;
	if (memcmp(h + 56, "ARM\x64", 4) == 0)
		return true;
	if (h[0] != 'M' || h[1] != 'Z')
		return false;
	off = h[60] | h[61] << 8 | h[62] << 16 | (uint32_t)h[63] << 24;
	return pread(fd, pe, sizeof(pe), off) == sizeof(pe) &&
	       memcmp(pe, "PE\0\0", 4) == 0 && pe[4] == 0x64 && pe[5] == 0xaa;
}

static void subnet_problem(struct pbs_config *c, const char *path, unsigned int line,
			   const char *fmt, ...) _printf_(4, 5);
static void subnet_problem(struct pbs_config *c, const char *path, unsigned int line,
			   const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	if (line)
		log_error("%s:%u: %s", path, line, msg ? msg : fmt);
	else
		log_error("%s: %s", path, msg ? msg : fmt);
	c->errors++;
}

static uint32_t ipv4_host(const char *s)
{
	struct in_addr a = { 0 };

	inet_pton(AF_INET, s, &a);
	return ntohl(a.s_addr);
}

static char *ipv4_string(uint32_t h)
{
	struct in_addr a = { .s_addr = htonl(h) };
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	return strdup(s);
}

int config_check_subnet(struct pbs_config *c, const char *path)
{
	uint32_t net, mask, lo, hi;
	unsigned int prefix;
	struct in_addr n;

	if (c->subnet) {
		if (parse_cidr(c->subnet, &n, &prefix) < 0)
			return -EINVAL; /* already refused when read */
		mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
		net = ntohl(n.s_addr);
		if (net & ~mask) {
			_cleanup_free_ char *want = ipv4_string(net & mask);

			subnet_problem(
				c, path, c->subnet_line,
				"subnet %s has host bits set: the network is %s/%u",
				c->subnet, want ? want : "?", prefix);
			net &= mask;
		}
		if (c->netmask && ipv4_host(c->netmask) != mask)
			subnet_problem(c, path, c->netmask_line,
				       "netmask %s does not match subnet %s", c->netmask,
				       c->subnet);
		free(c->netmask);
		c->netmask = ipv4_string(mask);
		if (!c->netmask)
			return -ENOMEM;
		if ((ipv4_host(c->address) & mask) != net)
			subnet_problem(c, path, c->subnet_line,
				       "address %s is not in subnet %s", c->address,
				       c->subnet);
	} else {
		if (!c->netmask && !(c->netmask = strdup("255.255.255.0")))
			return -ENOMEM;
		mask = ipv4_host(c->netmask);
		prefix = __builtin_popcount(mask);
		net = ipv4_host(c->address) & mask;
	}
	free(c->network);
	c->network = ipv4_string(net);
	if (!c->network)
		return -ENOMEM;
	free(c->subnet);
	if (asprintf(&c->subnet, "%s/%u", c->network, prefix) < 0) {
		c->subnet = NULL;
		return -ENOMEM;
	}
	if (c->subnet_refused)
		return 0; /* reported where it was read; the rest would follow from it */

	if (c->range_start) {
		lo = ipv4_host(c->range_start);
		hi = ipv4_host(c->range_end);
		if ((lo & mask) != net || (hi & mask) != net)
			subnet_problem(c, path, c->range_line,
				       "range %s %s is not inside subnet %s",
				       c->range_start, c->range_end, c->subnet);
		else if (lo > hi)
			subnet_problem(c, path, c->range_line,
				       "range %s %s ends before it starts",
				       c->range_start, c->range_end);
	}
	if (c->router && (ipv4_host(c->router) & mask) != net)
		subnet_problem(c, path, c->router_line, "router %s is not in subnet %s",
			       c->router, c->subnet);
	for (size_t i = 0; i < c->n_hosts; i++) {
		const struct host *h = &c->hosts[i];

		if (h->address && (ipv4_host(h->address) & mask) != net)
			subnet_problem(c, path, h->address_line,
				       "[host %s] address %s is not in subnet %s", h->mac,
				       h->address, c->subnet);
	}
	return 0;
}

static int validate_entry(struct parse_state *st, struct entry *e)
{
	const char *missing = NULL;

	if (!e->has_kind)
		return problem(st, e->line, "[entry %s] has no 'kind'", e->name);
	switch (e->kind) {
	case KIND_PXEROOT:
		if (!e->kernel)
			missing = "kernel";
		else if (!e->initrd)
			missing = "initrd";
		else if (e->root == ROOT_NFS && !e->tree && !e->url)
			missing = "tree";
		else if (e->root != ROOT_NFS && !e->image && !e->url)
			missing = "image";
		break;
	case KIND_INSTALLER:
		if (!e->kernel)
			missing = "kernel";
		else if (!e->initrd)
			missing = "initrd";
		break;
	case KIND_ISO:
		if (!e->iso)
			missing = "iso";
		break;
	default:
		break;
	}
	if (missing)
		return problem(st, e->line, "[entry %s] needs '%s'", e->name, missing);
	if (e->has_arch && e->arm64 && e->kind != KIND_PXEROOT &&
	    e->kind != KIND_INSTALLER)
		return problem(st, e->line, "[entry %s] arch = arm64 needs a kernel",
			       e->name);
	if (!e->has_arch && e->kernel &&
	    (e->kind == KIND_PXEROOT || e->kind == KIND_INSTALLER))
		e->arm64 = kernel_is_arm64(e->kernel);
	if (!e->label) {
		e->label = strdup(e->name);
		if (!e->label)
			return -ENOMEM;
	}
	return 0;
}

static int validate(struct parse_state *st)
{
	struct pbs_config *c = st->c;
	int r;

	if (!c->address)
		return problem(st, c->server_line ? c->server_line : 1,
			       "[server] has no 'address'");
	if (c->mode == DHCP_FULL && !c->range_start)
		problem(st, c->server_line ? c->server_line : 1,
			"[dhcp] mode = full needs 'range'");
	if (!!c->range6_start != !!c->address6)
		problem(st, c->server_line ? c->server_line : 1,
			"[dhcp] 'ipv6-range' and 'ipv6-address' go together");
	if (c->range6_start && c->mode != DHCP_FULL)
		problem(st, c->server_line ? c->server_line : 1,
			"[dhcp] 'ipv6-range' needs mode = full");
	if (c->range6_start && !c->interface)
		problem(st, c->server_line ? c->server_line : 1,
			"[dhcp] 'ipv6-range' needs [server] interface (router advertisements go out on it)");
	if (!c->boot_dir && !(c->boot_dir = strdup("/srv/pxeroot/boot")))
		return -ENOMEM;
	if (!c->state_dir && !(c->state_dir = strdup("/run/pxebootsrv")))
		return -ENOMEM;
	r = config_check_subnet(c, st->path);
	if (r < 0)
		return r;
	if (!c->lease_time && !(c->lease_time = strdup("12h")))
		return -ENOMEM;
	if (!c->title && !(c->title = strdup("pxeroot")))
		return -ENOMEM;
	for (size_t i = 0; i < c->n_entries; i++) {
		r = validate_entry(st, &c->entries[i]);
		if (r < 0)
			return r;
	}
	if (c->n_entries == 0)
		problem(st, 1, "no [entry NAME] section: nothing to boot");
	if (c->default_entry && !config_entry(c, c->default_entry))
		problem(st, c->default_line, "default entry '%s' is not defined",
			c->default_entry);
	if (!c->default_entry && c->n_entries > 0 &&
	    !(c->default_entry = strdup(c->entries[0].name)))
		return -ENOMEM;
	for (size_t i = 0; i < c->n_hosts; i++) {
		struct host *h = &c->hosts[i];

		if (h->default_entry && !config_entry(c, h->default_entry))
			problem(st, h->default_line, "default entry '%s' is not defined",
				h->default_entry);
	}
	if (!c->http && !c->http_url) {
		for (size_t i = 0; i < c->n_entries; i++)
			if (c->entries[i].kind == KIND_PXEROOT &&
			    c->entries[i].root == ROOT_HTTP && !c->entries[i].url)
				problem(st, c->entries[i].line,
					"[entry %s] root = http needs [http] enabled",
					c->entries[i].name);
	}
	return 0;
}

int config_parse(struct pbs_config *c, const char *path, const char *text)
{
	struct parse_state st = { .c = c, .path = path };
	int r;

	r = ini_parse(path, text, INI_INLINE_COMMENTS, parse_line, &st);
	if (r == -EINVAL)
		c->errors++;
	else if (r < 0)
		return r;
	if (r == 0) {
		r = validate(&st);
		if (r < 0)
			return r;
	}
	return c->errors ? -EINVAL : 0;
}

int config_load(struct pbs_config *c, const char *path, const char *root)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = read_file_at(AT_FDCWD, path, &text, &len);
	if (r < 0)
		return log_errno(r, "cannot read %s", path);
	if (strlen(text) != len) {
		log_error("%s: not a text file", path);
		return -EINVAL;
	}
	if (set_str(&c->file, path) < 0)
		return -ENOMEM;
	if (config_is_srcd(text))
		return config_parse_srcd(c, path, text, root);
	return config_parse(c, path, text);
}
