// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pxebootsrv check: what would keep clients from booting, one line each.
 * `run` uses the same checks (but the DHCP probe and the hand edits) before
 * it starts anything.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dhcpprobe.h"
#include "hash.h"
#include "install.h"
#include "log.h"
#include "pxebootsrv.h"
#include "util.h"

/*
 * "FILE:LINE: " for an entry of a pxebootsrv.conf, LINE that of the key naming
 * path (kernel =, image =, ...) when there is one; SystemRescueCd's have no line.
 */
static void entry_problem(const struct pbs_config *c, const struct entry *e,
			  const char *path, const char *fmt, ...) _printf_(4, 5);
static void entry_problem(const struct pbs_config *c, const struct entry *e,
			  const char *path, const char *fmt, ...)
{
	unsigned int line = entry_file_line(e, path);

	_cleanup_free_ char *msg = NULL;
	char where[32] = "";
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (line)
		snprintf(where, sizeof(where), ":%u", line);
	log_error("%s%s: [entry %s] %s", c->file, where, e->name, msg ? msg : fmt);
}

static const struct bootfile *find_boot(const struct render *r, const char *name)
{
	for (size_t i = 0; i < r->n_boot; i++)
		if (strcmp(r->boot[i].name, name) == 0)
			return &r->boot[i];
	return NULL;
}

/* A boot file is there when its source is, or the boot directory has a copy. */
static bool boot_present(const struct render *r, const struct bootfile *b)
{
	_cleanup_free_ char *own = NULL;
	struct stat st;

	if (stat(b->source, &st) == 0 && S_ISREG(st.st_mode))
		return true;
	if (!b->package || asprintf(&own, "%s/%s", r->c->boot_dir, b->name) < 0)
		return false;
	return lstat(own, &st) == 0 && S_ISREG(st.st_mode);
}

int check_files(const struct render *r)
{
	const struct pbs_config *c = r->c;
	const struct bootfile *shim = find_boot(r, "shimx64.efi");
	bool shim_ok = shim && boot_present(r, shim);
	int problems = 0;

	for (size_t i = 0; i < r->n_boot; i++) {
		const struct bootfile *b = &r->boot[i];

		if (boot_present(r, b))
			continue;
		problems++;
		if (b->entry)
			entry_problem(c, b->entry, b->source, "%s: No such file",
				      b->source);
		else if (shim_ok && (strcmp(b->name, "mmx64.efi") == 0 ||
				     strcmp(b->name, "grubx64.efi") == 0))
			log_error(
				"incomplete Secure Boot chain: shimx64.efi without %s (%s, "
				"package %s)",
				b->name, b->source, b->package);
		else if (strstr(b->package, ":arm64"))
			/* Debian has no amd64 build of these packages. */
			log_error("missing arm64 boot file %s: %s not found (package %s, "
				  "built for arm64 only: unpack it with dpkg-deb -x and "
				  "copy the file to %s/%s)",
				  b->name, b->source, b->package, c->boot_dir, b->name);
		else
			log_error("missing boot file %s: %s not found (package %s)",
				  b->name, b->source, b->package);
	}
	/* Not a problem of the configuration, but a client that will get no
	 * answer: dnsmasq's proxy DHCP answers only requests whose vendor class
	 * starts with PXEClient, and UEFI HTTP boot sends HTTPClient. */
	if (c->mode == DHCP_PROXY && r->http_base)
		log_warn("UEFI HTTP boot clients get no answer in proxy mode (dnsmasq "
			 "answers PXEClient only): the DHCP server that gives the "
			 "addresses must send them the URL, as the dhcpd.conf and "
			 "kea-dhcp4.json of 'pxebootsrv render' do");
	/* The roots that are not in the boot directory: NBD images and NFS trees. */
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];
		struct stat st;

		if (e->kind != KIND_PXEROOT || e->url)
			continue;
		if (e->root == ROOT_NBD && stat(e->image, &st) < 0) {
			entry_problem(c, e, e->image, "%s: No such file", e->image);
			problems++;
		} else if (e->root == ROOT_NFS &&
			   (stat(e->tree, &st) < 0 || !S_ISDIR(st.st_mode))) {
			entry_problem(c, e, e->tree, "%s is not a directory", e->tree);
			problems++;
		}
	}
	return problems;
}

static int port_free(const char *addr, unsigned int port, int type)
{
	_cleanup_close_ int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;

	if (fd < 0)
		return -errno;
	if (addr)
		inet_pton(AF_INET, addr, &sa.sin_addr);
	/* A TCP port left in TIME_WAIT is not in use. DHCP's wildcard port is
	 * shared as dnsmasq shares it with bind-interfaces: several instances
	 * serve different interfaces (another server on ours is the probe's). */
	if (type == SOCK_STREAM || !addr)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!addr)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

int check_ports(const struct pbs_config *c)
{
	struct {
		bool needed;
		const char *addr; /* NULL: the wildcard, as dnsmasq binds DHCP */
		unsigned int port;
		int type;
		const char *what;
	} ports[] = {
		{ c->mode != DHCP_OFF, NULL, 67, SOCK_DGRAM, "DHCP" },
		{ c->mode == DHCP_PROXY, NULL, 4011, SOCK_DGRAM, "proxy DHCP" },
		{ c->tftp, c->address, 69, SOCK_DGRAM, "TFTP" },
		{ c->http && !c->http_url, c->address, c->http_port, SOCK_STREAM,
		  "HTTP" },
		{ config_needs_nbd(c), c->address, c->nbd_port, SOCK_STREAM, "NBD" },
	};
	int problems = 0, r;

	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		if (!ports[i].needed)
			continue;
		r = port_free(ports[i].addr, ports[i].port, ports[i].type);
		if (r == -EADDRNOTAVAIL) {
			log_error("%s is not an address of this host", c->address);
			return problems + 1;
		}
		if (r < 0) {
			log_error("port %u/%s (%s) is already in use%s%s", ports[i].port,
				  ports[i].type == SOCK_DGRAM ? "udp" : "tcp",
				  ports[i].what, r == -EADDRINUSE ? "" : ": ",
				  r == -EADDRINUSE ? "" : strerror(-r));
			problems++;
		}
	}
	return problems;
}

static bool in_path(const char *prog)
{
	_cleanup_free_ char *copy = NULL;
	const char *path = getenv("PATH");
	char *save = NULL;

	copy = strdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	if (!copy)
		return false;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/%s", d, prog) >= 0 && access(p, X_OK) == 0)
			return true;
	}
	return false;
}

int check_programs(const struct pbs_config *c)
{
	const struct {
		bool needed;
		const char *prog, *package;
	} progs[] = {
		{ c->mode != DHCP_OFF || c->tftp, "dnsmasq", "dnsmasq-base" },
		{ c->http && !c->http_url, "lighttpd", "lighttpd" },
	};
	int problems = 0;

	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		if (progs[i].needed && !in_path(progs[i].prog)) {
			log_error("%s is not installed (package %s)", progs[i].prog,
				  progs[i].package);
			problems++;
		}
	}
	return problems;
}

static int check_one_edit(const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (read_file_at(AT_FDCWD, path, &text, &len) < 0)
		return 0;
	if (gen_verify(text) == 0) {
		log_error("%s was edited by hand: install and run overwrite it", path);
		return 1;
	}
	return 0;
}

int check_edits(const struct render *r, const char *root)
{
	int problems = 0;

	for (size_t i = 0; i < r->n_files; i++) {
		_cleanup_free_ char *path = NULL;

		if (!startswith(r->files[i].path, R_BOOT))
			continue;
		if (asprintf(&path, "%s%s/%s", root ? root : "", r->c->boot_dir,
			     r->files[i].path + strlen(R_BOOT)) < 0)
			return -ENOMEM;
		problems += check_one_edit(path);
	}
	for (size_t i = 0; i < n_install_files; i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s%s", root ? root : "", install_files[i].dest) < 0)
			return -ENOMEM;
		problems += check_one_edit(path);
	}
	return problems;
}

static int md5_file(const char *path, char hex[33])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct md5_ctx ctx;
	uint8_t buf[65536], sum[16];
	ssize_t n;

	if (fd < 0)
		return -errno;
	md5_init(&ctx);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		md5_update(&ctx, buf, n);
	if (n < 0)
		return -errno;
	md5_final(&ctx, sum);
	hex_string(sum, 16, hex);
	return 0;
}

int check_checksums(const struct pbs_config *c)
{
	int problems = 0, r;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];
		_cleanup_free_ char *sums = NULL;
		char hex[33], want[33] = "";
		size_t len;

		if (!e->checksum || !e->image)
			continue;
		r = read_file_at(AT_FDCWD, e->checksum, &sums, &len);
		if (r < 0) {
			entry_problem(c, e, e->checksum, "cannot read %s: %s",
				      e->checksum, strerror(-r));
			problems++;
			continue;
		}
		r = md5_file(e->image, hex);
		if (r < 0) {
			entry_problem(c, e, e->image, "cannot read %s: %s", e->image,
				      strerror(-r));
			problems++;
			continue;
		}
		/* "SUM" or md5sum's "SUM  FILE". */
		sscanf(sums, "%32s", want);
		for (char *p = want; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(want, hex) != 0) {
			entry_problem(c, e, e->checksum, "%s does not match %s", e->image,
				      e->checksum);
			problems++;
		}
	}
	return problems;
}

char *interface_of(const char *address)
{
	struct ifaddrs *ifs, *i;
	struct in_addr a;
	char *name = NULL;

	if (inet_pton(AF_INET, address, &a) != 1 || getifaddrs(&ifs) < 0)
		return NULL;
	for (i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == a.s_addr) {
			name = strdup(i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifs);
	return name;
}

int check_subnet(const struct pbs_config *c)
{
	struct ifaddrs *ifs, *i;
	struct in_addr a, want;
	int problems = 0;

	/* Only DHCP goes by the interface's network; loopback carries none. */
	if (c->mode == DHCP_OFF)
		return 0;
	if (inet_pton(AF_INET, c->address, &a) != 1 ||
	    inet_pton(AF_INET, c->netmask, &want) != 1)
		return 0; /* refused when the configuration was read */
	if (getifaddrs(&ifs) < 0)
		return log_errno(-errno, "cannot list this host's addresses");
	for (i = ifs; i; i = i->ifa_next) {
		const struct sockaddr_in *ia = (const struct sockaddr_in *)i->ifa_addr;
		const struct sockaddr_in *im = (const struct sockaddr_in *)i->ifa_netmask;

		if (!ia || ia->sin_family != AF_INET || ia->sin_addr.s_addr != a.s_addr ||
		    !im || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		/* dnsmasq offers addresses from a range on the network of the
		 * interface it answers on: with another prefix there the range
		 * (or part of it) is never offered. */
		if (im->sin_addr.s_addr != want.s_addr) {
			log_error("%s is on %s with prefix /%d, not the subnet's %s",
				  c->address, i->ifa_name,
				  __builtin_popcount(im->sin_addr.s_addr), c->subnet);
			problems++;
		}
		break;
	}
	freeifaddrs(ifs);
	return problems;
}

int check_dhcp(const struct pbs_config *c)
{
	_cleanup_free_ char *found = NULL;
	const char *ifname = c->interface;
	struct dhcp_answer ans[8];
	int n, others = 0;

	if (c->mode == DHCP_OFF)
		return 0;
	if (!ifname) {
		found = interface_of(c->address);
		if (!found)
			return 0; /* reported by check_ports */
		ifname = found;
	}
	n = dhcp_probe(ifname, 3000, ans, ARRAY_SIZE(ans));
	if (n < 0) {
		log_error("cannot look for DHCP servers on %s: %s", ifname, strerror(-n));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char server[INET_ADDRSTRLEN], offered[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &ans[i].server, server, sizeof(server));
		inet_ntop(AF_INET, &ans[i].offered, offered, sizeof(offered));
		if (strcmp(server, c->address) == 0)
			continue; /* this server's own dnsmasq, already running */
		others++;
		if (c->mode == DHCP_FULL)
			log_error("another DHCP server answers on %s: %s (offers %s)",
				  ifname, server, offered);
		else
			log_info("the DHCP server on %s is %s (offers %s)", ifname,
				 server, offered);
	}
	if (c->mode == DHCP_PROXY && others == 0) {
		log_error("no DHCP server answers on %s: proxy DHCP needs one", ifname);
		return 1;
	}
	return c->mode == DHCP_FULL ? others : 0;
}

int cmd_check(const struct options *o)
{
	_cleanup_(config_free) struct pbs_config c;
	struct render r;
	int k, problems = 0;

	config_init(&c);
	k = config_load(&c, o->config, o->root);
	if (k < 0)
		return 1;
	k = render_all(&c, &r);
	if (k < 0) {
		render_free(&r);
		return log_errno(k, "cannot render %s", o->config);
	}
	/* In this order; a check that could not look counts as a problem (it
	 * said why). */
	int n[7];

	n[0] = check_files(&r);
	n[1] = check_programs(&c);
	n[2] = check_checksums(&c);
	n[3] = check_edits(&r, o->root);
	n[4] = check_ports(&c);
	n[5] = check_subnet(&c);
	n[6] = o->probe ? check_dhcp(&c) : 0;
	for (size_t i = 0; i < ARRAY_SIZE(n); i++)
		problems += n[i] < 0 ? 1 : n[i];
	render_free(&r);
	if (problems == 0)
		log_info("%s: no problem found", c.file);
	return problems ? 1 : 0;
}
