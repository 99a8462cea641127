// SPDX-License-Identifier: GPL-2.0-or-later
/* Value checks: addresses, names, sizes and MACs as the parameters take them. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline-internal.h"
#include "util.h"

bool is_ipv4(const char *s)
{
	struct in_addr a;
	int dots = 0;

	for (const char *p = s; *p; p++) {
		if (*p == '.')
			dots++;
		else if (!isdigit((unsigned char)*p))
			return false;
	}
	return dots == 3 && inet_pton(AF_INET, s, &a) == 1;
}

bool is_ipv6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

bool is_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return false;
	/* All digits and dots but not a valid address: a typo, not a name. */
	if (strspn(s, "0123456789.") == n && !is_ipv4(s))
		return false;
	return true;
}

bool is_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint(*p))
			return false;
	return true;
}

bool is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return true;
}

bool is_word(const char *s)
{
	if (!*s || strlen(s) > 32)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

/* Mount options, module lists: printable, no quotes or backslashes. */
bool is_text(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!isprint((unsigned char)*p) || *p == '\'' || *p == '\\' ||
		    *p == '"' || *p == '`' || *p == '$')
			return false;
	return true;
}

int check_port(const char *s)
{
	unsigned int v;

	return parse_uint(s, 1, 65535, &v);
}

char *lower_dup(const char *s)
{
	char *d = strdup(s);

	if (d)
		for (char *p = d; *p; p++)
			*p = tolower((unsigned char)*p);
	return d;
}

/* "aa:bb:cc:dd:ee:ff", "aa-bb-..." or pxelinux's "01-aa-bb-..." to "aa:bb:..". */
int parse_mac(const char *s, bool allow_hwtype, char out[18])
{
	const char *p = s;
	size_t n = strlen(s);

	if (allow_hwtype && n == 20) {
		if (!(isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) &&
		      (s[2] == '-' || s[2] == ':')))
			return -EINVAL;
		if (strncmp(s, "01", 2) != 0)
			return -EPROTONOSUPPORT;
		p = s + 3;
		n -= 3;
	}
	if (n != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *q = p + i * 3;

		if (!isxdigit((unsigned char)q[0]) || !isxdigit((unsigned char)q[1]))
			return -EINVAL;
		if (i < 5 && q[2] != ':' && q[2] != '-')
			return -EINVAL;
		out[i * 3] = tolower((unsigned char)q[0]);
		out[i * 3 + 1] = tolower((unsigned char)q[1]);
		out[i * 3 + 2] = i < 5 ? ':' : '\0';
	}
	return 0;
}

/* A size for tmpfs: N, N[kKmMgG] or N%. */
bool is_tmpfs_size(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 12)
		return false;
	if (s[n] == '\0')
		return true;
	return s[n + 1] == '\0' && strchr("kKmMgG%", s[n]);
}

int netmask_to_prefix(const char *s, unsigned int *ret)
{
	struct in_addr a;
	uint32_t m;
	unsigned int bits = 0;

	if (parse_uint(s, 0, 32, ret) == 0)
		return 0;
	if (!is_ipv4(s) || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	m = ntohl(a.s_addr);
	while (m & 0x80000000u) {
		bits++;
		m <<= 1;
	}
	if (m)
		return -EINVAL;
	*ret = bits;
	return 0;
}

/* The kernel's default when ip= gives an address but no netmask. */
unsigned int classful_prefix(const char *ip)
{
	unsigned int first = (unsigned int)atoi(ip);

	if (first < 128)
		return 8;
	if (first < 192)
		return 16;
	return 24;
}

bool is_url(const char *v)
{
	return startswith(v, "http://") || startswith(v, "https://") ||
	       startswith(v, "ftp://") || startswith(v, "tftp://");
}

bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/*
 * The kernel file systems a root image or device can be: those the image
 * formats pxeroot produces (squashfs, erofs), the disk file systems
 * mkbootimage can add with --modules, and ISO images. A type outside this list
 * is a typo (root=nbd:host:10809:debian for :10809/debian), not a request.
 */
static const char *const root_fstypes[] = { "squashfs", "erofs", "ext2",  "ext3",
					    "ext4",	"xfs",	 "btrfs", "iso9660",
					    "udf",	"vfat",	 "f2fs" };
const char root_fstypes_text[] =
	"squashfs, erofs, ext2, ext3, ext4, xfs, btrfs, iso9660, udf, vfat or f2fs";

bool is_root_fstype(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(root_fstypes); i++)
		if (strcmp(s, root_fstypes[i]) == 0)
			return true;
	return false;
}

int check_verity(struct px_config *c, char **ret_err)
{
	bool hash = *px_config_get(c, PX_VERITY),
	     offset = *px_config_get(c, PX_VERITY_OFFSET);
	const char *kind = px_config_get(c, PX_ROOT);

	if (hash && !offset)
		return px_fail(
			ret_err,
			"rd.pxeroot.verity: needs rd.pxeroot.verity.hashoffset=, where "
			"the image's hash tree starts (pxeroot-verity prints both)");
	if (offset && !hash)
		return px_fail(
			ret_err,
			"rd.pxeroot.verity.hashoffset: needs rd.pxeroot.verity=, the "
			"image's root hash");
	/*
	 * dm-verity checks the blocks of a device; an NFS server hands out files,
	 * which nothing can check block by block against a root hash.
	 */
	if (hash && strcmp(kind, "nfs") == 0)
		return px_fail(
			ret_err,
			"rd.pxeroot.verity: %s is an NFS root, which cannot be verified "
			"(serve the image over NBD or HTTP)",
			px_config_get(c, PX_ROOT_PARAM));
	return 0;
}
