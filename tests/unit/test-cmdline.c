// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command line parser: every grammar it reads (kernel, dracut,
 * SystemRescueCd, pxelinux, pxeroot's own), the merge of baked defaults with
 * the real command line, DHCP root-paths, and the one-line errors for
 * malformed or conflicting input.
 *
 * Its size is the grammar's: one case per form the parser accepts or refuses,
 * each a few lines of input and expected keys; splitting it would scatter the
 * one list that says what the initramfs honours.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "../../initrd/cmdline.h"
#include "tap.h"

static enum px_key key_by_name(const char *name, size_t len)
{
	for (int k = 0; k < _PX_KEY_MAX; k++)
		if (strlen(px_key_name(k)) == len &&
		    strncmp(px_key_name(k), name, len) == 0)
			return k;
	fprintf(stderr, "no key %.*s\n", (int)len, name);
	exit(1);
}

/* Parse defaults + line; 0 or -EINVAL with the message in *err. */
static int parse(struct px_config *c, const char *defaults, const char *line, char **err)
{
	struct px_params d = { 0 }, l = { 0 }, m = { 0 };
	int r;

	px_config_init(c);
	check_int(px_split(defaults ? defaults : "", &d), 0);
	check_int(px_split(line, &l), 0);
	check_int(px_merge(&d, &l, &m), 0);
	r = px_config_apply(c, &m, err);
	px_params_done(&d);
	px_params_done(&l);
	px_params_done(&m);
	return r;
}

/* Check "KEY=value" pairs (NULL ended) against c. */
static void check_keys(const struct px_config *c, const char *ctx, va_list ap)
{
	const char *kv;

	while ((kv = va_arg(ap, const char *))) {
		const char *eq = strchr(kv, '=');
		enum px_key k = key_by_name(kv, eq - kv);
		const char *got = px_config_get(c, k);

		if (strcmp(got, eq + 1) != 0) {
			fprintf(stderr, "%s: PX_%s is '%s', expected '%s'\n", ctx,
				px_key_name(k), got, eq + 1);
			exit(1);
		}
	}
}

static void expect_with(const char *defaults, const char *line, ...)
{
	struct px_config c;
	char *err = NULL;
	va_list ap;
	int r = parse(&c, defaults, line, &err);

	if (r != 0) {
		fprintf(stderr, "'%s': unexpected error %d: %s\n", line, r,
			err ? err : "");
		exit(1);
	}
	va_start(ap, line);
	check_keys(&c, line, ap);
	va_end(ap);
	px_config_done(&c);
	free(err);
}

#define expect(line, ...) expect_with(NULL, line, __VA_ARGS__, NULL)
#define expect_defaults(defaults, line, ...) \
	expect_with(defaults, line, __VA_ARGS__, NULL)

static void expect_error(const char *line, const char *message)
{
	struct px_config c;
	char *err = NULL;
	int r = parse(&c, NULL, line, &err);

	if (r != -EINVAL || !err || strcmp(err, message) != 0) {
		fprintf(stderr, "'%s': expected error '%s', got %d '%s'\n", line, message,
			r, err ? err : "(none)");
		exit(1);
	}
	px_config_done(&c);
	free(err);
}

static void expect_warning(const char *line, const char *message)
{
	struct px_config c;
	char *err = NULL;

	check_int(parse(&c, NULL, line, &err), 0);
	check_int(c.n_warnings, 1);
	check_str(c.warnings[0], message);
	px_config_done(&c);
}

static void expect_root_path_with(const char *line, const char *root_path, ...)
{
	struct px_config c;
	char *err = NULL;
	va_list ap;

	check_int(parse(&c, NULL, line, &err), 0);
	if (px_config_root_path(&c, root_path, &err) != 0) {
		fprintf(stderr, "root-path '%s': %s\n", root_path, err ? err : "");
		exit(1);
	}
	va_start(ap, root_path);
	check_keys(&c, root_path, ap);
	va_end(ap);
	px_config_done(&c);
}

#define expect_root_path(line, root_path, ...) \
	expect_root_path_with(line, root_path, __VA_ARGS__, NULL)

static void expect_root_path_error(const char *root_path, const char *message)
{
	struct px_config c;
	char *err = NULL;

	check_int(parse(&c, NULL, "", &err), 0);
	check_int(px_config_root_path(&c, root_path, &err), -EINVAL);
	check_str(err, message);
	free(err);
	px_config_done(&c);
}

/* ---- splitting and defaults ---- */

static void test_split(void)
{
	struct px_params l;

	check_int(px_split("  a=1\tb \"c=d e\" f=\"g h\" -- single x=y", &l), 0);
	check_int(l.n, 4);
	check_str(l.p[0], "a=1");
	check_str(l.p[1], "b");
	check_str(l.p[2], "c=d e");
	check_str(l.p[3], "f=g h");
	px_params_done(&l);
	check_int(px_split("", &l), 0);
	check_int(l.n, 0);
	px_params_done(&l);
}

static void test_nothing_given(void)
{
	/* No root named: DHCP's root-path, DHCP on the first NIC with a link. */
	expect("console=ttyS0 BOOT_IMAGE=/vmlinuz ro", "ROOT=dhcp",
	       "ROOT_PARAM=", "IP=dhcp", "OVERLAY=overlay", "INIT=/sbin/init",
	       "ON_FAIL=reboot", "FAIL_TIMEOUT=60", "RETRY=60", "DHCP_TRIES=5",
	       "DHCP_TIMEOUT=2", "VERIFY=1", "FSTYPE=auto");
}

static void test_defaults_merge(void)
{
	/* The real command line replaces the whole root group, keeps the rest. */
	expect_defaults(
		"root=nbd:10.0.0.1:10809 rd.pxeroot.overlay=tmpfs quiet rd.retry=10",
		"netboot=http://10.0.0.2/img.sqfs rd.retry=20", "ROOT=url",
		"URL=http://10.0.0.2/img.sqfs", "SERVER=", "OVERLAY=tmpfs", "QUIET=1",
		"RETRY=20");
	/* The same for the address group: dodhcp replaces a baked static ip=. */
	expect_defaults("ip=10.0.0.5::10.0.0.1:255.0.0.0 root=nfs:10.0.0.1:/srv",
			"dodhcp", "IP=dhcp", "IP_ADDR=", "ROOT=nfs", "PATH=/srv");
	/* Nothing on the command line: the defaults alone. */
	expect_defaults("root=nfs4:10.0.0.1:/srv rd.shell", "console=ttyS0", "ROOT=nfs",
			"NFS_VERS=4", "ON_FAIL=shell");
}

/* ---- the kernel's grammar (nfsroot.rst) ---- */

static void test_kernel_nfsroot(void)
{
	expect("root=/dev/nfs nfsroot=10.0.2.2:/srv/root,vers=4.1,port=2050,tcp",
	       "ROOT=nfs", "ROOT_PARAM=nfsroot=10.0.2.2:/srv/root,vers=4.1,port=2050,tcp",
	       "SERVER=10.0.2.2", "PATH=/srv/root", "NFS_VERS=4.1", "PORT=2050",
	       "NFS_OPTS=tcp", "IMAGE=");
	/* No server: the ip= server field or DHCP's. The kernel's default is NFSv3. */
	expect("root=/dev/nfs nfsroot=/srv/clients/%s,rsize=8192,ro", "ROOT=nfs",
	       "SERVER=", "PATH=/srv/clients/%s", "NFS_VERS=3", "NFS_OPTS=rsize=8192");
	expect("nfsroot=nfs.example.org:/srv/root", "ROOT=nfs", "SERVER=nfs.example.org",
	       "NFS_VERS=3");
	/* root=/dev/nfs alone: the DHCP root-path says where. */
	expect("root=/dev/nfs ip=dhcp", "ROOT=dhcp", "ROOT_PARAM=root=/dev/nfs",
	       "IP=dhcp", "IP_PARAM=ip=dhcp");
	/* The kernel's rootfstype=nfs next to root=/dev/nfs says nothing more. */
	expect("root=/dev/nfs rootfstype=nfs nfsroot=1.2.3.4:/x", "ROOT=nfs",
	       "FSTYPE=auto");
	expect("root=/dev/nfs nfsroot=1.2.3.4:/x,minorversion=2,vers=4", "NFS_VERS=4.2");
}

static void test_kernel_ip(void)
{
	expect("ip=10.0.2.15:10.0.2.2:10.0.2.1:255.255.255.0:client1:eth0:off:10.0.2.3:10.0.2.4:10.0.2.5",
	       "IP=static", "IP_ADDR=10.0.2.15", "IP_PREFIX=24", "IP_PEER=10.0.2.2",
	       "IP_GW=10.0.2.1", "IP_HOSTNAME=client1", "IP_DEV=eth0",
	       "IP_DNS=10.0.2.3 10.0.2.4", "IP_NTP=10.0.2.5");
	/* pxelinux IPAPPEND 1: the first four fields. */
	expect("ip=192.168.1.20:192.168.1.1:192.168.1.254:255.255.255.0", "IP=static",
	       "IP_ADDR=192.168.1.20", "IP_PREFIX=24", "IP_GW=192.168.1.254",
	       "IP_PEER=192.168.1.1");
	/* No netmask: the kernel's classful default. */
	expect("ip=10.1.2.3", "IP=static", "IP_PREFIX=8");
	expect("ip=172.16.0.9::172.16.0.1", "IP=static", "IP_PREFIX=16");
	expect("ip=192.168.7.9:::::eth1", "IP=static", "IP_PREFIX=24", "IP_DEV=eth1");
	/* No address: DHCP, asking for a host name. */
	expect("ip=::::client2::dhcp", "IP=dhcp", "IP_HOSTNAME=client2", "IP_ADDR=");
	expect("ip=:::::eth1:", "IP=dhcp", "IP_DEV=eth1");
	expect("ip=dhcp", "IP=dhcp");
	expect("ip=bootp", "IP=dhcp");
	expect("ip=on", "IP=dhcp");
	expect("ip=any", "IP=dhcp");
	expect("ip=both", "IP=dhcp");
	/* DHCP that asks for a given address. */
	expect("ip=10.0.2.15::::::dhcp", "IP=dhcp", "IP_ADDR=10.0.2.15");
	/* The last ip= counts, as in the kernel. */
	expect("ip=10.0.0.1 ip=dhcp", "IP=dhcp", "IP_PARAM=ip=dhcp");
	/* A /prefix netmask is accepted too. */
	expect("ip=10.0.0.1:::16", "IP_PREFIX=16");
}

/* ---- dracut ---- */

static void test_dracut_nfs(void)
{
	expect("root=nfs:10.0.2.2:/srv/root:vers=3,tcp", "ROOT=nfs", "SERVER=10.0.2.2",
	       "PATH=/srv/root", "NFS_VERS=3", "NFS_OPTS=tcp");
	expect("root=nfs:10.0.2.2:/srv/root", "NFS_VERS=auto", "NFS_OPTS=");
	expect("root=nfs4:10.0.2.2:/srv/root", "ROOT=nfs", "NFS_VERS=4");
	expect("root=nfs4:10.0.2.2:/srv/root:vers=4.1", "NFS_VERS=4.1");
	expect("root=nfs:/srv/root", "ROOT=nfs", "SERVER=", "PATH=/srv/root");
	expect("root=10.0.2.2:/srv/root,ro,nolock", "ROOT=nfs", "SERVER=10.0.2.2",
	       "PATH=/srv/root", "NFS_VERS=auto", "NFS_OPTS=nolock");
	expect("root=nfs:[fd00::2]:/srv/root", "SERVER=fd00::2", "PATH=/srv/root");
	expect("root=nfs:server.lan:/srv/root", "SERVER=server.lan");
	/* An image file on NFS is loop-mounted. */
	expect("root=nfs:10.0.2.2:/srv/images/root.sqfs", "PATH=/srv/images",
	       "IMAGE=root.sqfs");
	expect("root=nfs:10.0.2.2:/root.squashfs", "PATH=/", "IMAGE=root.squashfs");
	expect("root=nfs:10.0.2.2:/srv/images rd.pxeroot.image=gen/42.img",
	       "PATH=/srv/images", "IMAGE=gen/42.img");
	expect("netroot=nfs:10.0.2.2:/srv/root root=/dev/root", "ROOT=nfs",
	       "ROOT_PARAM=netroot=nfs:10.0.2.2:/srv/root");
}

static void test_dracut_nbd(void)
{
	expect("root=nbd:10.0.2.2:10809", "ROOT=nbd", "SERVER=10.0.2.2", "PORT=10809",
	       "EXPORT=", "FSTYPE=auto", "FLAGS=");
	expect("root=nbd:10.0.2.2:10809/root:squashfs:noatime", "PORT=10809",
	       "EXPORT=root", "FSTYPE=squashfs", "FLAGS=noatime");
	/* An export name instead of a port: the standard port. */
	expect("root=nbd:10.0.2.2:gen42", "PORT=10809", "EXPORT=gen42");
	/* A generation named explicitly: the device is pinned to it. */
	expect("root=nbd:10.0.2.2:10809/debian@0123456789abcdef", "PORT=10809",
	       "EXPORT=debian@0123456789abcdef");
	expect("root=nbd:[fd00::2]:2000", "SERVER=fd00::2", "PORT=2000");
	expect("root=nbd:10.0.2.2:10809::ro:timeout=20", "FLAGS=ro", "NBD_TIMEOUT=20",
	       "FSTYPE=auto");
	expect("root=nbd:10.0.2.2:10809 rootfstype=ext4 rootflags=noatime,nodiratime",
	       "FSTYPE=ext4", "FLAGS=noatime,nodiratime");
	expect("root=nbd://10.0.2.2:2000/gen42", "ROOT=nbd", "PORT=2000", "EXPORT=gen42");
	expect("root=nbd:10.0.2.2:10809:ext4 rootfstype=ext4", "FSTYPE=ext4");
	expect_warning("root=nbd:10.0.2.2:10809:::persist",
		       "root=nbd:10.0.2.2:10809:::persist: NBD option 'persist' ignored");
}

static void test_dracut_other(void)
{
	expect("root=dhcp", "ROOT=dhcp", "ROOT_PARAM=root=dhcp");
	expect("root=live:http://10.0.2.2/live/squashfs.img", "ROOT=url",
	       "URL=http://10.0.2.2/live/squashfs.img");
	expect("root=live:tftp://10.0.2.2/img.sqfs", "URL=tftp://10.0.2.2/img.sqfs");
	expect("ip=eth1:dhcp", "IP=dhcp", "IP_DEV=eth1");
	expect("ip=eth0:dhcp:9000:52:54:00:AA:bb:cc", "IP_DEV=eth0", "IP_MTU=9000",
	       "IP_MAC=52:54:00:aa:bb:cc");
	expect("ip=10.0.0.5::10.0.0.1:24:host:eth0:none:1500:52:54:00:12:34:56",
	       "IP=static", "IP_MTU=1500", "IP_MAC=52:54:00:12:34:56",
	       "IP_HOSTNAME=host");
	expect("ip=10.0.0.5::10.0.0.1:24:host:eth0:none::52-54-00-12-34-56",
	       "IP_MAC=52:54:00:12:34:56", "IP_MTU=");
	expect("bootdev=eth2", "IP_DEV=eth2");
	expect("bootdev=eth2 ip=dhcp", "IP_DEV=eth2", "IP_WHY=bootdev=eth2");
	expect("nameserver=10.0.0.53 nameserver=10.0.0.54", "IP_DNS=10.0.0.53 10.0.0.54");
	/* IPv6: SLAAC (auto6), servers in dracut's brackets. */
	expect("nameserver=[fd00::53] nameserver=fd00::54", "IP_DNS=fd00::53 fd00::54");
	expect("ip=auto6", "IP=auto6", "IP_DEV=", "IPV6_TIMEOUT=40");
	expect("ip=eth1:auto6 rd.net.timeout.ipv6auto=90", "IP=auto6", "IP_DEV=eth1",
	       "IPV6_TIMEOUT=90");
	expect("ip=:::::eth0:auto6", "IP=auto6", "IP_DEV=eth0");
	/* Stateful DHCPv6; root=dhcp6 is the lease's boot file parameter or URL. */
	expect("ip=dhcp6", "IP=dhcp6", "IP_DEV=", "IPV6_TIMEOUT=40");
	expect("ip=eth1:dhcp6 rd.net.timeout.ipv6auto=90", "IP=dhcp6", "IP_DEV=eth1",
	       "IPV6_TIMEOUT=90");
	expect("root=dhcp6 ip=dhcp6", "ROOT=dhcp", "IP=dhcp6");
	expect("root=nbd:[fd00::2]:10809/root ip=dhcp6", "SERVER=fd00::2", "IP=dhcp6");
	expect("ip=[fd00::5]::[fd00::1]:64:client:eth0:none", "IP=static",
	       "IP_ADDR=fd00::5", "IP_PREFIX=64", "IP_GW=fd00::1", "IP_HOSTNAME=client",
	       "IP_DEV=eth0");
	expect("ip=[fd00::5]:::::eth0:none", "IP=static", "IP_PREFIX=64", "IP_GW=");
	expect("ip=eth0:dhcp ip=[fd00::5]:::56::eth1:none", "IP=dhcp",
	       "IP_MORE=eth1:static:fd00::5/56");
	expect("root=nbd:[fd00::2]:10809/root ip=auto6", "SERVER=fd00::2", "PORT=10809",
	       "EXPORT=root", "IP=auto6");
	expect("rd.shell", "ON_FAIL=shell");
	expect("rd.shell=1 rd.emergency=poweroff", "ON_FAIL=shell");
	expect("rd.shell=0 rd.emergency=poweroff", "ON_FAIL=poweroff");
	expect("rd.emergency=halt", "ON_FAIL=halt");
	expect("rd.break", "BREAK=pre-pivot");
	expect("rd.break=mount rd.break=cmdline rd.break=pre-trigger rd.break=mount",
	       "BREAK=cmdline pre-udev mount");
	expect("rd.retry=5", "RETRY=5");
	expect("rd.debug rd.neednet=1 rd.info", "DEBUG=1", "QUIET=0");
	expect("quiet", "QUIET=1");
	expect("rd.driver.pre=e1000e,igb rd.driver.pre=bnx2 rd.driver.pre=igb",
	       "MODULES=e1000e,igb,bnx2");
	expect("rd.driver.blacklist=floppy modprobe.blacklist=pcspkr",
	       "BLACKLIST=floppy,pcspkr");
	expect("rd.net.dhcp.retry=3 rd.net.timeout.dhcp=4 rd.net.timeout.carrier=7",
	       "DHCP_TRIES=3", "DHCP_TIMEOUT=4", "LINK_TIMEOUT=7");
	expect("rd.live.overlay.overlayfs rd.live.overlay.size=512", "OVERLAY=overlay",
	       "OVERLAY_SIZE=512m");
	expect("init=/lib/systemd/systemd", "INIT=/lib/systemd/systemd");
	expect("init=\"/sbin/init\"", "INIT=/sbin/init");
}

/* ---- SystemRescueCd ---- */

static void test_sysrescue(void)
{
	expect("netboot=http://10.0.2.2/sysrcd.dat dodhcp", "ROOT=url",
	       "URL=http://10.0.2.2/sysrcd.dat", "IP=dhcp", "IP_PARAM=dodhcp");
	expect("netboot=tftp://10.0.2.2/sysrcd.dat", "URL=tftp://10.0.2.2/sysrcd.dat");
	expect("netboot=nbd://10.0.2.2:10809", "ROOT=nbd", "SERVER=10.0.2.2",
	       "PORT=10809", "EXPORT=");
	expect("netboot=nbd://10.0.2.2", "PORT=10809");
	expect("nbdboot=10.0.2.2:2000", "ROOT=nbd", "PORT=2000");
	expect("nfsboot=10.0.2.2:/tftpboot/sysrcd", "ROOT=nfs", "PATH=/tftpboot/sysrcd",
	       "IMAGE=sysrcd.dat", "NFS_VERS=3");
	expect("netboot=nfs://10.0.2.2/srv/sysrcd", "ROOT=nfs", "SERVER=10.0.2.2",
	       "PATH=/srv/sysrcd", "IMAGE=sysrcd.dat", "NFS_VERS=3");
	expect("netboot=nfs://10.0.2.2:/srv/img/other.dat", "PATH=/srv/img",
	       "IMAGE=other.dat");
	expect("ethx=192.168.1.5/24 gateway=192.168.1.1 dns=192.168.1.2,192.168.1.3",
	       "IP=static", "IP_ADDR=192.168.1.5", "IP_PREFIX=24", "IP_GW=192.168.1.1",
	       "IP_DNS=192.168.1.2 192.168.1.3",
	       "IP_DEV=", "IP_PARAM=ethx=192.168.1.5/24");
	expect("eth1=10.1.1.1/255.255.0.0", "IP=static", "IP_DEV=eth1", "IP_PREFIX=16");
	expect("ethx=10.0.0.5 nodhcp", "IP=static", "IP_PREFIX=8");
	/* gateway= before or after ip= survives it. */
	expect("gateway=10.0.0.1 ip=10.0.0.5::::::off", "IP_GW=10.0.0.1");
	/* A local root= next to a network one is ignored, with a warning. */
	expect_warning(
		"root=/dev/ram0 netboot=http://10.0.2.2/sysrcd.dat",
		"root=/dev/ram0 ignored: netboot=http://10.0.2.2/sysrcd.dat names the root");
}

/* ---- pxelinux and pxeroot's own ---- */

static void test_pxelinux_and_own(void)
{
	expect("BOOTIF=01-52-54-00-AB-CD-EF", "BOOTIF=52:54:00:ab:cd:ef");
	expect("BOOTIF=52:54:00:ab:cd:ef", "BOOTIF=52:54:00:ab:cd:ef");
	expect("BOOTIF=01-52-54-00-ab-cd-ef rd.bootif=0", "BOOTIF=");
	expect("rd.pxeroot.sha256=ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789 "
	       "rd.pxeroot.md5=0123456789ABCDEF0123456789abcdef rd.pxeroot.verify=0 "
	       "rd.pxeroot.checksum=http://10.0.2.2/SHA256SUMS",
	       "SHA256=abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
	       "MD5=0123456789abcdef0123456789abcdef", "VERIFY=0",
	       "CHECKSUM_URL=http://10.0.2.2/SHA256SUMS");
	expect("rd.pxeroot.dhcp.retries=3 rd.pxeroot.dhcp.timeout=1 rd.pxeroot.link.timeout=0",
	       "DHCP_TRIES=3", "DHCP_TIMEOUT=1", "LINK_TIMEOUT=0");
	expect("rd.pxeroot.retry=0 rd.pxeroot.fail=poweroff rd.pxeroot.fail.timeout=0",
	       "RETRY=0", "ON_FAIL=poweroff", "FAIL_TIMEOUT=0");
	expect("rd.pxeroot.overlay=tmpfs rd.pxeroot.overlay.size=2g", "OVERLAY=tmpfs",
	       "OVERLAY_SIZE=2g");
	expect("rd.pxeroot.overlay=none", "OVERLAY=none");
	expect("rd.pxeroot.overlay.size=25%", "OVERLAY_SIZE=25%");
	expect("rd.pxeroot.nbd.timeout=10 rd.pxeroot.nbd.dead_timeout=86400 rd.pxeroot.nbd.reconnect=no",
	       "NBD_TIMEOUT=10", "NBD_DEAD_TIMEOUT=86400", "NBD_RECONNECT=0");
	expect("rd.pxeroot.nbd.lost=fail", "NBD_LOST=fail");
	expect("rd.pxeroot.modules=e1000e rd.pxeroot.debug", "MODULES=e1000e", "DEBUG=1");
}

/* ---- DHCP root-path (option 17) ---- */

static void test_root_path(void)
{
	expect_root_path("root=dhcp", "nfs:10.0.2.2:/srv/root", "ROOT=nfs",
			 "SERVER=10.0.2.2", "PATH=/srv/root", "NFS_VERS=auto",
			 "ROOT_PARAM=root-path=nfs:10.0.2.2:/srv/root");
	expect_root_path("root=dhcp", "nfs4:10.0.2.2:/srv/root:vers=4.2", "NFS_VERS=4.2");
	/* The kernel's forms: a bare path uses next-server. */
	expect_root_path("", "/srv/root", "ROOT=nfs", "SERVER=", "PATH=/srv/root",
			 "NFS_VERS=auto");
	expect_root_path("", "10.0.2.2:/srv/root,vers=3,nolock", "SERVER=10.0.2.2",
			 "NFS_VERS=3", "NFS_OPTS=nolock");
	expect_root_path("", "nbd:10.0.2.2:10809/gen1", "ROOT=nbd", "EXPORT=gen1");
	expect_root_path("", "http://10.0.2.2/root.sqfs", "ROOT=url",
			 "URL=http://10.0.2.2/root.sqfs");
	/* rootfstype= from the command line applies to a DHCP root too. */
	expect_root_path("root=dhcp rootfstype=ext4", "nbd:10.0.2.2:10809",
			 "FSTYPE=ext4");
	expect_root_path("root=dhcp rd.pxeroot.image=r.sqfs", "nfs:10.0.2.2:/srv",
			 "IMAGE=r.sqfs");
	/* What root=dhcp6 takes from a DHCPv6 lease: a literal IPv6 URL. */
	expect_root_path("root=dhcp6 ip=dhcp6", "http://[fd00::1]/root.sqfs", "ROOT=url",
			 "URL=http://[fd00::1]/root.sqfs");
	expect_root_path_error("", "the DHCP server sent no root-path (option 17)");
	expect_root_path_error(
		"iscsi:10.0.2.2::::iqn.2009-06.dracut:target0",
		"root-path=iscsi:10.0.2.2::::iqn.2009-06.dracut:target0: this root transport is not supported (use NFS, NBD or HTTP)");
	expect_root_path_error("dhcp6",
			       "root-path=dhcp6: a root-path cannot point to DHCP again");
	expect_root_path_error("dhcp",
			       "root-path=dhcp: a root-path cannot point to DHCP again");
	/* What the server sent is quoted on one line: no forged console lines. */
	expect_root_path_error(
		"nfs:10.0.0.1:rel\nfake: message",
		"root-path=nfs:10.0.0.1:rel?fake: message: the NFS path must be absolute");
	expect_error(
		"root=nfs:1.2.3.4:/x:vers=5\033[2J",
		"root=nfs:1.2.3.4:/x:vers=5?[2J: invalid characters in NFS options 'vers=5?[2J'");
}

/* ---- dm-verity ---- */

#define HASH "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"

static void test_verity(void)
{
	expect("root=nbd:10.0.0.1:10809/root rd.pxeroot.verity=" HASH
	       " rd.pxeroot.verity.hashoffset=1052672",
	       "VERITY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	       "VERITY_OFFSET=1052672");
	expect("netboot=http://10.0.0.1/sysrcd.dat rd.pxeroot.verity=" HASH
	       " rd.pxeroot.verity.hashoffset=4096",
	       "ROOT=url", "VERITY_OFFSET=4096");
	expect("root=dhcp", "VERITY=", "VERITY_OFFSET=");
	expect_error("root=nbd:10.0.0.1:10809 rd.pxeroot.verity=abc",
		     "rd.pxeroot.verity=abc: expected 64 hexadecimal digits");
	expect_error("root=nbd:10.0.0.1:10809 rd.pxeroot.verity=" HASH,
		     "rd.pxeroot.verity: needs rd.pxeroot.verity.hashoffset=, where the "
		     "image's hash tree starts (pxeroot-verity prints both)");
	expect_error(
		"root=nbd:10.0.0.1:10809 rd.pxeroot.verity.hashoffset=4096",
		"rd.pxeroot.verity.hashoffset: needs rd.pxeroot.verity=, the image's "
		"root hash");
	expect_error(
		"root=nbd:10.0.0.1:10809 rd.pxeroot.verity=" HASH
		" rd.pxeroot.verity.hashoffset=1000",
		"rd.pxeroot.verity.hashoffset=1000: expected a byte offset, a multiple "
		"of 4096");
	/* NFS hands out files: nothing to check blocks against. */
	expect_error(
		"root=nfs:10.0.0.1:/srv/root rd.pxeroot.verity=" HASH
		" rd.pxeroot.verity.hashoffset=4096",
		"rd.pxeroot.verity: root=nfs:10.0.0.1:/srv/root is an NFS root, which "
		"cannot be verified (serve the image over NBD or HTTP)");
	expect_root_path("root=dhcp rd.pxeroot.verity=" HASH
			 " rd.pxeroot.verity.hashoffset=4096",
			 "nbd:10.0.0.1:10809/root", "ROOT=nbd", "VERITY_OFFSET=4096");
	{
		struct px_config c;
		char *err = NULL;

		check_int(parse(&c, NULL,
				"root=dhcp rd.pxeroot.verity=" HASH
				" rd.pxeroot.verity.hashoffset=4096",
				&err),
			  0);
		check_int(px_config_root_path(&c, "10.0.0.1:/srv/root", &err), -EINVAL);
		check_str(err,
			  "rd.pxeroot.verity: root-path=10.0.0.1:/srv/root is an NFS "
			  "root, which cannot be verified (serve the image over NBD or "
			  "HTTP)");
		free(err);
		px_config_done(&c);
	}
}

/* ---- malformed and conflicting input ---- */

static void test_errors_root(void)
{
	expect_error("root=nfs:1.2.3.4", "root=nfs:1.2.3.4: expected SERVER:/PATH");
	expect_error("root=nfs:1.2.3.4:relative",
		     "root=nfs:1.2.3.4:relative: the NFS path must be absolute");
	expect_error("root=nfs:1.2.3.4:/x:vers=2",
		     "root=nfs:1.2.3.4:/x:vers=2: NFSv2 is not supported");
	expect_error("root=nfs:1.2.3.4:/x:vers=5",
		     "root=nfs:1.2.3.4:/x:vers=5: unknown NFS version '5'");
	expect_error("root=nfs:1.2.3.4:/x:port=0",
		     "root=nfs:1.2.3.4:/x:port=0: invalid port '0'");
	expect_error("root=nfs:1.2.3:/x",
		     "root=nfs:1.2.3:/x: '1.2.3' is not a server address or host name");
	expect_error("root=nfs:[zz::1]:/x",
		     "root=nfs:[zz::1]:/x: 'zz::1' is not an IPv6 address");
	expect_error("root=nfs:[fd00::1:/x",
		     "root=nfs:[fd00::1:/x: unterminated '[' in the server address");
	expect_error("root=nbd:1.2.3.4", "root=nbd:1.2.3.4: expected nbd:SERVER:PORT");
	expect_error("root=nbd:1.2.3.4:",
		     "root=nbd:1.2.3.4:: missing port or export name");
	expect_error("root=nbd:1.2.3.4:99999",
		     "root=nbd:1.2.3.4:99999: invalid port '99999'");
	expect_error(
		"root=nbd:1.2.3.4:10809:ext4;rm",
		"root=nbd:1.2.3.4:10809:ext4;rm: invalid file system type 'ext4;rm'");
	expect_error(
		"root=nbd:1.2.3.4:10809:::timeout=0",
		"root=nbd:1.2.3.4:10809:::timeout=0: invalid NBD option 'timeout=0'");
	expect_error("root=nbds://1.2.3.4",
		     "root=nbds://1.2.3.4: NBD over TLS is not supported");
	expect_error("nbdboot=1.2.3.4", "nbdboot=1.2.3.4: expected SERVER:PORT");
	expect_error("netboot=nbd://1.2.3.4:80x",
		     "netboot=nbd://1.2.3.4:80x: invalid port '80x'");
	expect_error(
		"root=/dev/sda1",
		"root=/dev/sda1: a local disk root is not supported by this initramfs (use root=nfs:, root=nbd:, netboot= or root=dhcp)");
	expect_error(
		"root=iscsi:1.2.3.4::::iqn.x",
		"root=iscsi:1.2.3.4::::iqn.x: this root transport is not supported (use NFS, NBD or HTTP)");
	expect_error(
		"root=whatever",
		"root=whatever: unrecognised root (expected nfs:, nfs4:, nbd:, dhcp, live:URL or SERVER:/PATH)");
	expect_error("root=", "root=: missing value");
	expect_error(
		"root=live:CDLABEL=x",
		"root=live:CDLABEL=x: only live:http://, https://, ftp:// and tftp:// images are supported");
	expect_error(
		"netboot=gopher://x/y",
		"netboot=gopher://x/y: expected an http://, https://, ftp://, tftp://, nbd:// or nfs:// URL");
	expect_error("netboot=http://x/",
		     "netboot=http://x/: the URL must name an image file");
	expect_error("netboot=http:///img",
		     "netboot=http:///img: missing server in the URL");
	expect_error("nfsboot=/tftpboot", "nfsboot=/tftpboot: expected SERVER:/PATH");
	expect_error("nfsroot=relative",
		     "nfsroot=relative: the NFS path must be absolute");
	expect_error(
		"root=nfs:a.b:/x netboot=http://c/d",
		"conflicting root parameters: root=nfs:a.b:/x and netboot=http://c/d");
	expect_error("nfsboot=a:/x nbdboot=b:1",
		     "conflicting root parameters: nfsboot=a:/x and nbdboot=b:1");
	expect_error("root=/dev/nfs netboot=http://c/d",
		     "conflicting root parameters: root=/dev/nfs and netboot=http://c/d");
	expect_error(
		"root=nbd:1.2.3.4:10809:ext4 rootfstype=squashfs",
		"rootfstype=squashfs conflicts with the file system type 'ext4' in root=nbd:1.2.3.4:10809:ext4");
	expect_error("root=nbd:h:10809 rd.pxeroot.image=x.img",
		     "rd.pxeroot.image=x.img: only an NFS root has image files");
	expect_error(
		"root=nfs:h:/x rd.pxeroot.image=../etc/shadow",
		"rd.pxeroot.image=../etc/shadow: expected a file name relative to the NFS directory");
	expect_error("init=sbin/init", "init=sbin/init: expected an absolute path");
	expect_error("rootfstype=", "rootfstype=: invalid file system type");
}

static void test_errors_net(void)
{
	expect_error("ip=dhcp ethx=10.0.0.1/24",
		     "conflicting network parameters: ip=dhcp and ethx=10.0.0.1/24");
	expect_error("ethx=10.0.0.1 dodhcp",
		     "conflicting network parameters: ethx=10.0.0.1 and dodhcp");
	expect_error("ethx=10.0.0.1 eth0=10.0.0.2",
		     "conflicting network parameters: ethx=10.0.0.1 and eth0=10.0.0.2");
	expect_error("ip=dhcp nodhcp",
		     "conflicting network parameters: ip=dhcp and nodhcp");
	expect_error("nodhcp", "nodhcp: no address given (add ethx=IP/PREFIX or ip=)");
	expect_error("ip=300.1.1.1",
		     "ip=300.1.1.1: unknown autoconfiguration '300.1.1.1'");
	expect_error("ip=300.1.1.1::::::",
		     "ip=300.1.1.1::::::: '300.1.1.1' is not an IPv4 address");
	expect_error("ip=10.0.0.1:::255.255.0.255",
		     "ip=10.0.0.1:::255.255.0.255: '255.255.0.255' is not a netmask");
	expect_error("ip=:::255.255.255.0",
		     "ip=:::255.255.255.0: a netmask without an address");
	expect_error("ip=10.0.0.1::10.0.0.300",
		     "ip=10.0.0.1::10.0.0.300: '10.0.0.300' is not an IPv4 address");
	expect_error("ip=10.0.0.1::::bad_host!",
		     "ip=10.0.0.1::::bad_host!: 'bad_host!' is not a host name");
	expect_error(
		"ip=10.0.0.1:::::averyveryverylongifname",
		"ip=10.0.0.1:::::averyveryverylongifname: invalid interface name 'averyveryverylongifname'");
	expect_error("ip=10.0.0.1::::::magic",
		     "ip=10.0.0.1::::::magic: unknown autoconfiguration 'magic'");
	expect_error(
		"ip=10.0.0.1::::::off:10.0.0.2:10.0.0.3:10.0.0.4:10.0.0.5",
		"ip=10.0.0.1::::::off:10.0.0.2:10.0.0.3:10.0.0.4:10.0.0.5: too many fields");
	expect_error("ip=10.0.0.1::::::off:dns",
		     "ip=10.0.0.1::::::off:dns: 'dns' is not an IPv4 address");
	expect_error(
		"ip=eth0:dhcp:1500:zz",
		"ip=eth0:dhcp:1500:zz: expected [MTU][:MAC] after the autoconfiguration");
	expect_error("ip=eth0:dhcp:20",
		     "ip=eth0:dhcp:20: expected a number from 68 to 65535");
	expect_error("ip=eth0:either6",
		     "ip=eth0:either6: either6 is not supported (use dhcp6 or auto6)");
	expect_error(
		"ip=[fd00::5]:::64::eth0:dhcp6",
		"ip=[fd00::5]:::64::eth0:dhcp6: dhcp6 takes its address and gateway from the DHCPv6 server and the router, not ip=");
	expect_error("ip=eth0:dhcp ip=eth1:dhcp6",
		     "ip=eth1:dhcp6: only the boot interface takes dhcp6");
	expect_error("ip=link6",
		     "ip=link6: link-local IPv6 only is not supported (use auto6)");
	expect_error(
		"ip=10.0.0.5:::24::eth0:auto6",
		"ip=10.0.0.5:::24::eth0:auto6: auto6 takes its address and gateway from the router, not ip=");
	expect_error("ip=eth0:dhcp ip=eth1:auto6",
		     "ip=eth1:auto6: only the boot interface takes auto6");
	expect_error("nameserver=[10.0.0.1]",
		     "nameserver=[10.0.0.1]: '10.0.0.1' is not an IPv6 address");
	expect_error("ip=rarp", "ip=rarp: RARP is not supported (use dhcp)");
	expect_error("ip=ibft", "ip=ibft: iBFT is not supported");
	expect_error("ip=[zz::5]::::::none",
		     "ip=[zz::5]::::::none: 'zz::5' is not an IPv6 address");
	expect_error("ip=[fd00::5", "ip=[fd00::5: unterminated '[' in an address");
	expect_error("ip=[fd00::5]:::129::eth0:none",
		     "ip=[fd00::5]:::129::eth0:none: '129' is not an IPv6 prefix length");
	expect_error(
		"ip=[fd00::5]::10.0.0.1:64::eth0:none",
		"ip=[fd00::5]::10.0.0.1:64::eth0:none: the address and the gateway are not of one family");
	expect_error(
		"ip=[fd00::5]:::::eth0:dhcp",
		"ip=[fd00::5]:::::eth0:dhcp: DHCP cannot ask for an IPv6 address (use none)");
	expect_error(
		"ip=10.0.0.5:::24::eth0:none:[fd00::53]",
		"ip=10.0.0.5:::24::eth0:none:[fd00::53]: an IPv6 address in brackets only goes in the client, peer or gateway field");
	expect_error(
		"ip=off root=nbd:10.0.0.1:10809",
		"ip=off: the root is on the network (root=nbd:10.0.0.1:10809); give an address or use ip=dhcp");
	expect_error(
		"ip=none",
		"ip=none: the root is on the network; give an address or use ip=dhcp");
	expect_error("ethx=10.0.0.1/33",
		     "ethx=10.0.0.1/33: '33' is not a prefix length or netmask");
	expect_error("ethx=10.0.0", "ethx=10.0.0: '10.0.0' is not an IPv4 address");
	expect_error("gateway=router", "gateway=router: expected an IPv4 address");
	expect_error("dns=1.2.3", "dns=1.2.3: '1.2.3' is not an IP address");
	expect_error(
		"BOOTIF=02-52-54-00-ab-cd-ef",
		"BOOTIF=02-52-54-00-ab-cd-ef: only Ethernet (hardware type 01) is supported");
	expect_error("BOOTIF=01-52-54-00-ab",
		     "BOOTIF=01-52-54-00-ab: expected 01-aa-bb-cc-dd-ee-ff");
	expect_error("bootdev=a/b", "bootdev=a/b: invalid interface name");
}

static void test_errors_own(void)
{
	expect_error("rd.pxeroot.sha256=abc",
		     "rd.pxeroot.sha256=abc: expected 64 hexadecimal digits");
	expect_error(
		"rd.pxeroot.md5=0123456789abcdef0123456789abcdeg",
		"rd.pxeroot.md5=0123456789abcdef0123456789abcdeg: expected 32 hexadecimal digits");
	expect_error(
		"rd.pxeroot.checksum=/sums",
		"rd.pxeroot.checksum=/sums: expected an http://, https://, ftp:// or tftp:// URL");
	expect_error("rd.pxeroot.bogus=1", "rd.pxeroot.bogus=1: unknown parameter");
	expect_error("rd.pxeroot.dhcp.retry=3",
		     "rd.pxeroot.dhcp.retry=3: unknown parameter");
	expect_error("rd.retry=x", "rd.retry=x: expected a number from 0 to 86400");
	expect_error("rd.pxeroot.dhcp.retries=0",
		     "rd.pxeroot.dhcp.retries=0: expected a number from 1 to 1000");
	expect_error("rd.pxeroot.dhcp.timeout",
		     "rd.pxeroot.dhcp.timeout: expected a number from 1 to 600");
	expect_error(
		"rd.break=nowhere",
		"rd.break=nowhere: unknown stage (cmdline, pre-udev, initqueue, pre-mount, mount, pre-pivot)");
	expect_error("rd.shell=maybe", "rd.shell=maybe: expected 0 or 1");
	expect_error("rd.emergency=shell",
		     "rd.emergency=shell: expected reboot, poweroff or halt");
	expect_error("rd.pxeroot.fail=explode",
		     "rd.pxeroot.fail=explode: expected shell, reboot, poweroff or halt");
	expect_error("rd.shell=0 rd.pxeroot.fail=shell",
		     "rd.shell=0 conflicts with rd.pxeroot.fail=shell");
	expect_error("rd.pxeroot.overlay=btrfs",
		     "rd.pxeroot.overlay=btrfs: expected overlay, tmpfs or none");
	expect_error(
		"rd.pxeroot.overlay.size=lots",
		"rd.pxeroot.overlay.size=lots: expected a size such as 512m, 2g or 50%");
	expect_error("rd.live.overlay.size=1g",
		     "rd.live.overlay.size=1g: expected a size in MiB");
	expect_error("rd.driver.pre=e1000,",
		     "rd.driver.pre=e1000,: invalid module name ''");
	expect_error("rd.driver.pre=a;b", "rd.driver.pre=a;b: invalid module name 'a;b'");
	expect_error("rd.pxeroot.nbd.lost=maybe",
		     "rd.pxeroot.nbd.lost=maybe: expected wait or fail");
	expect_error("rd.pxeroot.nbd.timeout=0",
		     "rd.pxeroot.nbd.timeout=0: expected a number from 1 to 86400");
}

/* ---- several interfaces, bootdev=, BOOTIF= ---- */

static void test_several_interfaces(void)
{
	/* bootdev= picks the one the root is reached through; each is configured. */
	expect("ip=eth0:dhcp ip=eth1:dhcp bootdev=eth1", "IP=dhcp", "IP_DEV=eth1",
	       "IP_PARAM=ip=eth1:dhcp", "IP_WHY=bootdev=eth1", "IP_MORE=eth0:dhcp");
	expect("bootdev=eth0 ip=eth0:dhcp ip=eth1:dhcp", "IP_DEV=eth0",
	       "IP_MORE=eth1:dhcp");
	/* Without bootdev=, the first; the reason says so. */
	expect("ip=eth0:dhcp ip=eth1:dhcp", "IP_DEV=eth0",
	       "IP_WHY=the first of 2 configured interfaces (ip=eth0:dhcp)",
	       "IP_MORE=eth1:dhcp");
	/* A static one and a DHCP one; the boot interface keeps its gateway. */
	expect("ip=10.0.0.5::10.0.0.1:24::eth1:none ip=eth0:dhcp bootdev=eth1",
	       "IP=static", "IP_DEV=eth1", "IP_GW=10.0.0.1", "IP_MORE=eth0:dhcp");
	expect("ip=eth0:dhcp ip=10.1.0.5:::16::eth1:none", "IP=dhcp", "IP_DEV=eth0",
	       "IP_MORE=eth1:static:10.1.0.5/16");
	/* BOOTIF= still wins at boot; the parse keeps the list for it. */
	expect("ip=eth0:dhcp ip=eth1:dhcp bootdev=eth1 BOOTIF=01-52-54-00-12-34-56",
	       "BOOTIF=52:54:00:12:34:56", "IP_DEV=eth1", "IP_MORE=eth0:dhcp",
	       "IP_WHY=BOOTIF (the interface the firmware booted from)");
	/* SystemRescueCd: two ethN= addresses, both kept. */
	expect("eth0=10.0.0.5/24 eth1=10.1.0.5/16", "IP=static", "IP_DEV=eth0",
	       "IP_ADDR=10.0.0.5", "IP_PREFIX=24", "IP_MORE=eth1:static:10.1.0.5/16");
	expect("eth0=10.0.0.5/24 eth1=10.1.0.5/16 bootdev=eth1 gateway=10.1.0.1",
	       "IP_DEV=eth1", "IP_ADDR=10.1.0.5", "IP_GW=10.1.0.1",
	       "IP_MORE=eth0:static:10.0.0.5/24");
	/* One interface not configured: ip=...:none on it. */
	expect("ip=eth0:dhcp ip=:::::eth1:none", "IP_DEV=eth0", "IP_MORE=eth1:off");
	/* The kernel's rule for ip= without an interface: the last counts. */
	expect("ip=10.0.0.1 ip=dhcp", "IP=dhcp", "IP_DEV=", "IP_MORE=");

	expect_error("ip=eth0:dhcp ip=eth1:dhcp bootdev=eth2",
		     "bootdev=eth2: no ip= or ethN= configures eth2");
	expect_error("ip=eth1:dhcp bootdev=eth2",
		     "bootdev=eth2: no ip= or ethN= configures eth2");
	expect_error(
		"ip=eth0:dhcp ip=10.0.0.5:::24::eth0:none",
		"conflicting network parameters: ip=eth0:dhcp and ip=10.0.0.5:::24::eth0:none (both configure eth0)");
	expect_error(
		"eth0=10.0.0.5 eth0=10.0.0.6",
		"conflicting network parameters: eth0=10.0.0.5 and eth0=10.0.0.6 (both configure eth0)");
	expect_error(
		"ip=dhcp ip=eth1:dhcp",
		"conflicting network parameters: ip=dhcp and ip=eth1:dhcp (name the interface in each ip=)");
	expect_error(
		"ip=eth0:dhcp ip=10.1.0.5::10.1.0.1:16::eth1:none",
		"ip=10.1.0.5::10.1.0.1:16::eth1:none: only the boot interface (eth0) takes a gateway, server, host name, DNS, NTP, MTU or MAC; bootdev= names it");
	expect_error("eth0=10.0.0.5 ip=eth1:dhcp",
		     "conflicting network parameters: ip=eth1:dhcp and eth0=10.0.0.5");
}

/* ---- VLAN, bond, bridge, ifname (dracut) ---- */

static void test_links(void)
{
	expect("vlan=eth0.100:eth0 ip=eth0.100:dhcp", "VLAN=eth0.100:eth0:100",
	       "IP_DEV=eth0.100");
	expect("vlan=vlan0005:eth1 vlan=vlan7:eth1 bootdev=vlan7",
	       "VLAN=vlan0005:eth1:5 vlan7:eth1:7", "IP_DEV=vlan7");
	expect("bond=bond0:eth0,eth1:mode=active-backup,miimon=100 ip=bond0:dhcp",
	       "BOND=bond0:eth0,eth1:mode=active-backup,miimon=100:", "IP_DEV=bond0");
	expect("bond=bond1:ens3,ens4:mode=802.3ad,lacp_rate=fast:9000 bootdev=bond1",
	       "BOND=bond1:ens3,ens4:mode=802.3ad,lacp_rate=fast:9000");
	/* dracut's defaults for a bare bond and bridge. */
	expect("bond ip=bond0:dhcp", "BOND=bond0:eth0,eth1:mode=balance-rr:");
	expect("bond=bond0 ip=bond0:dhcp", "BOND=bond0:eth0,eth1:mode=balance-rr:");
	expect("bridge ip=br0:dhcp", "BRIDGE=br0:eth0", "IP_DEV=br0");
	expect("bridge=br0:eth0,eth1 ip=br0:dhcp", "BRIDGE=br0:eth0,eth1");
	expect("ifname=lan0:52:54:00:AB:cd:ef ip=lan0:dhcp",
	       "IFNAME=lan0=52:54:00:ab:cd:ef", "IP_DEV=lan0");
	/* BOOTIF names the interface when none is named. */
	expect("bridge=br0:eth0 BOOTIF=01-52-54-00-12-34-56", "BRIDGE=br0:eth0");

	expect_error("vlan=eth0.100",
		     "vlan=eth0.100: expected vlan=NAME:PHYSICAL-INTERFACE");
	expect_error(
		"vlan=lan:eth0 ip=lan:dhcp",
		"vlan=lan:eth0: the name must give the VLAN id (1 to 4094): vlan5, vlan0005, eth0.5");
	expect_error(
		"vlan=eth0.5000:eth0 ip=eth0.5000:dhcp",
		"vlan=eth0.5000:eth0: the name must give the VLAN id (1 to 4094): vlan5, vlan0005, eth0.5");
	expect_error(
		"vlan=eth0.100:eth0 ip=dhcp",
		"vlan=: name the interface the root is reached through (ip=NAME:dhcp or bootdev=NAME)");
	expect_error(
		"bond ip=dhcp",
		"bond: name the interface the root is reached through (ip=NAME:dhcp or bootdev=NAME)");
	expect_error(
		"bond=bond0:eth0,eth1:speed=fast ip=bond0:dhcp",
		"bond=bond0:eth0,eth1:speed=fast: unknown bonding option 'speed=fast'");
	expect_error("bond=bond0:eth0,:mode=1",
		     "bond=bond0:eth0,:mode=1: invalid list of interfaces 'eth0,'");
	expect_error(
		"bond=bond0:eth0:mode=1:20",
		"bond=bond0:eth0:mode=1:20: the MTU must be a number from 68 to 65535");
	expect_error("bond=bond0:eth0:mode=1:1500:x",
		     "bond=bond0:eth0:mode=1:1500:x: too many fields");
	expect_error("bridge=br0",
		     "bridge=br0: expected bridge=NAME:INTERFACE[,INTERFACE...]");
	expect_error("ifname=lan0:52:54:00",
		     "ifname=lan0:52:54:00: expected a MAC such as 52:54:00:12:34:56");
	expect_error("ifname=lo:52:54:00:12:34:56",
		     "ifname=lo:52:54:00:12:34:56: invalid interface name");
}

/* ---- dracut's parameters pxeroot does not implement: refused ---- */

static void test_refused(void)
{
	expect_error("team=team0:eth0,eth1",
		     "team=team0:eth0,eth1: team devices are not supported (use bond=)");
	expect_error(
		"rd.route=10.1.0.0/16:10.0.0.1:eth0",
		"rd.route=10.1.0.0/16:10.0.0.1:eth0: static routes are not supported (the DHCP router or ip='s gateway is the only route)");
	expect_error(
		"rd.iscsi.initiator=iqn.2009-06.dracut:x",
		"rd.iscsi.initiator=iqn.2009-06.dracut:x: iSCSI is not supported (use NFS, NBD or HTTP)");
	expect_error(
		"rd.iscsi.firmware=1",
		"rd.iscsi.firmware=1: iSCSI is not supported (use NFS, NBD or HTTP)");
	expect_error(
		"netroot=iscsi:10.0.0.1::::iqn.x",
		"netroot=iscsi:10.0.0.1::::iqn.x: this root transport is not supported (use NFS, NBD or HTTP)");
	expect_error("ip=10.0.0.5:::24::eth0:ibft",
		     "ip=10.0.0.5:::24::eth0:ibft: iBFT is not supported");
	expect_error(
		"rd.neednet=0",
		"rd.neednet=0: the root is on the network, which is always brought up");
	expect_error("biosdevname=1",
		     "biosdevname=1: the initramfs keeps the kernel's interface names");
	expect_error(
		"rd.net.timeout.ipv6dad=5",
		"rd.net.timeout.ipv6dad=5: the wait for duplicate address detection is not configurable (rd.net.timeout.ipv6auto covers it)");
	expect_error("cifsuser=x",
		     "cifsuser=x: a CIFS root is not supported (use NFS, NBD or HTTP)");
	expect_error(
		"rd.nvmf.discover=tcp,10.0.0.1",
		"rd.nvmf.discover=tcp,10.0.0.1: NVMe over fabrics is not supported (use NFS, NBD or HTTP)");
	/* What the initramfs always does is accepted. */
	expect("rd.neednet=1 biosdevname=0", "IP=dhcp");
	expect("rd.peerdns=0", "PEERDNS=0");
	expect("rd.net.timeout.iflink=20", "LINK_TIMEOUT=20");
	expect("rd.net.timeout.ifup=30", "LINK_TIMEOUT=30");
}

/* ---- file system types ---- */

static void test_fstypes(void)
{
	expect("root=nbd:10.0.2.2:10809/debian:erofs", "FSTYPE=erofs", "EXPORT=debian");
	expect("root=nbd:10.0.2.2:10809 rootfstype=xfs", "FSTYPE=xfs");
	expect_error(
		"root=nbd:10.0.2.2:10809:debian",
		"root=nbd:10.0.2.2:10809:debian: unknown file system type 'debian' (expected squashfs, erofs, ext2, ext3, ext4, xfs, btrfs, iso9660, udf, vfat or f2fs; an export name follows the port after '/')");
	expect_error(
		"root=nbd:10.0.2.2:10809 rootfstype=ext5",
		"rootfstype=ext5: unknown file system type (expected squashfs, erofs, ext2, ext3, ext4, xfs, btrfs, iso9660, udf, vfat or f2fs)");
}

/* ---- a writable NFS root (rw) ---- */

static void test_rw(void)
{
	/* The kernel's own line: the NFS tree read-write, no overlay. */
	expect("root=/dev/nfs nfsroot=10.0.2.2:/srv/c1 rw", "ROOT=nfs", "ROOT_RW=1",
	       "OVERLAY=none");
	expect("root=nfs:10.0.2.2:/srv/c1 rd.pxeroot.overlay=none rw", "ROOT_RW=1",
	       "OVERLAY=none");
	/* The last of ro and rw counts. */
	expect("root=/dev/nfs nfsroot=10.0.2.2:/srv/c1 rw ro", "ROOT_RW=0",
	       "OVERLAY=overlay");
	expect("root=/dev/nfs nfsroot=10.0.2.2:/srv/c1 ro", "ROOT_RW=0");
	/* root=dhcp: checked again once the root-path is known. */
	expect("root=dhcp rw", "ROOT_RW=1", "OVERLAY=none");
	expect_root_path("root=dhcp rw", "10.0.2.2:/srv/c1", "ROOT_RW=1", "PATH=/srv/c1");
	{
		struct px_config c;
		char *err = NULL;

		check_int(parse(&c, NULL, "root=dhcp rw", &err), 0);
		check_int(px_config_root_path(&c, "nbd:10.0.2.2:10809", &err), -EINVAL);
		check_str(
			err,
			"rw: root-path=nbd:10.0.2.2:10809 is a read-only image shared by every client (drop rw: the overlay keeps changes in RAM; or name an NFS directory)");
		free(err);
		px_config_done(&c);
	}
	expect_error(
		"root=nbd:10.0.2.2:10809 rw",
		"rw: root=nbd:10.0.2.2:10809 is a read-only image shared by every client (drop rw: the overlay keeps changes in RAM; or name an NFS directory)");
	expect_error(
		"root=nfs:10.0.2.2:/srv/img/root.sqfs rw",
		"rw: root=nfs:10.0.2.2:/srv/img/root.sqfs is a read-only image shared by every client (drop rw: the overlay keeps changes in RAM; or name an NFS directory)");
	expect_error(
		"root=nfs:10.0.2.2:/srv/c1 rd.pxeroot.overlay=tmpfs rw",
		"rw conflicts with rd.pxeroot.overlay=tmpfs (rw mounts an NFS root read-write, without an overlay)");
	expect_error("rw=1", "rw=1: takes no value");
}

/* ---- LTSP ---- */

static void test_ltsp(void)
{
	/* ltsp.ipxe's line: an image file inside the NFS root. */
	expect("root=/dev/nfs nfsroot=10.0.2.2:/srv/ltsp ltsp.image=images/x86_64.img loop.max_part=9",
	       "ROOT=nfs", "PATH=/srv/ltsp", "IMAGE=images/x86_64.img", "FSTYPE=auto");
	expect("root=/dev/nfs nfsroot=/srv/ltsp ltsp.image=images/x86_64.img,fstype=squashfs,loop,ro",
	       "IMAGE=images/x86_64.img", "FSTYPE=squashfs", "SERVER=");
	expect("root=/dev/nfs nfsroot=/srv/ltsp ltsp.image=ltsp/ubuntu.iso,iso9660,loop,ro",
	       "IMAGE=ltsp/ubuntu.iso", "FSTYPE=iso9660");
	/* LTSP5: root=/dev/nbd0 with nbdroot=. */
	expect("root=/dev/nbd0 nbdroot=10.0.2.2:ltsp_i386", "ROOT=nbd", "SERVER=10.0.2.2",
	       "PORT=10809", "EXPORT=ltsp_i386", "ROOT_PARAM=nbdroot=10.0.2.2:ltsp_i386");
	expect("root=/dev/nbd0 nbdroot=:ltsp_amd64", "ROOT=nbd",
	       "SERVER=", "EXPORT=ltsp_amd64");
	expect("root=/dev/nbd0 nbdroot=10.0.2.2,2000,nbd0", "PORT=2000", "EXPORT=");
	expect("nbdroot=10.0.2.2:2000", "ROOT=nbd", "PORT=2000");

	expect_error(
		"root=/dev/nfs nfsroot=/srv/ltsp ltsp.image=ltsp/ubuntu.iso,fstype=iso9660,loop,ro,,casper/filesystem.squashfs,squashfs,loop,ro",
		"ltsp.image=ltsp/ubuntu.iso,fstype=iso9660,loop,ro,,casper/filesystem.squashfs,squashfs,loop,ro: an image inside an image is not supported (name one image file)");
	expect_error(
		"root=/dev/nfs nfsroot=/srv/ltsp ltsp.image=x.img,offset=512",
		"ltsp.image=x.img,offset=512: mount option 'offset=512' is not supported");
	expect_error(
		"root=/dev/nfs nfsroot=/srv/ltsp ltsp.image=/srv/x.img",
		"ltsp.image=/srv/x.img: expected a file name relative to the NFS directory");
	expect_error("root=nbd:10.0.2.2:10809 ltsp.image=x.img",
		     "ltsp.image=x.img: only an NFS root has image files");
	expect_error(
		"root=/dev/nbd0",
		"root=/dev/nbd0: name the NBD server with nbdroot=SERVER:PORT (or use root=nbd:SERVER:PORT)");
	expect_error("root=/dev/nbd0 nbdroot=10.0.2.2",
		     "nbdroot=10.0.2.2: expected [SERVER]:PORT or SERVER,PORT");
	expect_error("root=/dev/nbd0 nbdroot=10.0.2.2,2000,sda",
		     "nbdroot=10.0.2.2,2000,sda: 'sda' is not an NBD device name");
}

/* ---- dracut.cmdline(7)'s network parameters, each implemented or refused ---- */

static void shell_of(const char *line, char **buf, int *rc, char **err)
{
	struct px_config c;
	size_t len = 0;
	FILE *f;

	*err = NULL;
	*buf = NULL;
	*rc = parse(&c, NULL, line, err);
	if (*rc == 0) {
		f = open_memstream(buf, &len);
		check_int(px_config_write_shell(&c, f, false), 0);
		fclose(f);
	}
	px_config_done(&c);
}

static void test_dracut_network_list(void)
{
	const char *src = getenv("PXEROOT_SRC");
	char path[4096], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/tests/fixtures/dracut-network-params.txt",
		 src ? src : "..");
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *status, *context, *param, *save = NULL;
		char *base_buf, *with_buf, *err, *err2;
		char full[2048];
		int rc, rc2;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		status = strtok_r(line, "\t", &save);
		context = strtok_r(NULL, "\t", &save);
		param = strtok_r(NULL, "\t", &save);
		check(status && context && param);
		if (strcmp(context, "-") == 0)
			context = "";
		snprintf(full, sizeof(full), "%s %s", context, param);
		shell_of(context, &base_buf, &rc, &err);
		if (rc != 0) {
			fprintf(stderr, "context '%s' fails: %s\n", context, err);
			exit(1);
		}
		shell_of(full, &with_buf, &rc2, &err2);
		if (strcmp(status, "refused") == 0) {
			/* One line that names the parameter. */
			if (rc2 != -EINVAL || !err2 ||
			    strncmp(err2, param, strlen(param)) || strchr(err2, '\n')) {
				fprintf(stderr,
					"'%s' is not refused with its name: %d %s\n",
					param, rc2, err2 ? err2 : "");
				exit(1);
			}
		} else if (strcmp(status, "implemented") == 0) {
			/* Read: what /init gets differs from the line without it. */
			if (rc2 != 0 || strcmp(base_buf, with_buf) == 0) {
				fprintf(stderr, "'%s' is ignored (%d %s)\n", param, rc2,
					err2 ? err2 : "");
				exit(1);
			}
		} else if (strcmp(status, "always") == 0) {
			/* What the initramfs does anyway: accepted, nothing changes. */
			if (rc2 != 0 || strcmp(base_buf, with_buf) != 0) {
				fprintf(stderr, "'%s' is not accepted as a no-op\n",
					param);
				exit(1);
			}
		} else {
			fprintf(stderr, "unknown status '%s'\n", status);
			exit(1);
		}
		free(base_buf);
		free(with_buf);
		free(err);
		free(err2);
		n++;
	}
	fclose(f);
	check(n >= 40);
}

/* ---- the outputs ---- */

static void test_shell_output(void)
{
	struct px_config c;
	char *err = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	check_int(parse(&c, NULL, "root=nbd:10.0.2.2:10809 ip=dhcp", &err), 0);
	check_int(px_config_write_shell(&c, f, true), 0);
	fclose(f);
	/* Only root keys, every one of them, in a fixed order, single-quoted. */
	check(strncmp(buf, "PX_ROOT='nbd'\nPX_ROOT_PARAM='root=nbd:10.0.2.2:10809'\n",
		      52) == 0);
	check(strstr(buf, "PX_PORT='10809'\n"));
	check(!strstr(buf, "PX_IP="));
	free(buf);
	f = open_memstream(&buf, &len);
	check_int(px_config_write_shell(&c, f, false), 0);
	fclose(f);
	{
		int lines = 0;
		for (char *p = buf; *p; p++)
			lines += *p == '\n';
		check_int(lines, _PX_KEY_MAX);
	}
	check(strstr(buf, "PX_IP='dhcp'\n"));
	free(buf);
	px_config_done(&c);
}

static void test_text_output(void)
{
	struct px_config c;
	char *err = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	check_int(
		parse(&c, NULL,
		      "root=/dev/nfs nfsroot=10.0.2.2:/srv/root,vers=4.1 BOOTIF=01-52-54-00-12-34-56 rd.shell",
		      &err),
		0);
	check_int(px_config_write_text(&c, f), 0);
	fclose(f);
	check(strstr(buf, "root        directory 10.0.2.2:/srv/root over NFSv4.1\n"));
	check(strstr(buf, "  interface the one with MAC 52:54:00:12:34:56 (BOOTIF)"));
	check(strstr(
		buf,
		"on failure  retry for 60 s, then an emergency shell on the console\n"));
	free(buf);
	px_config_done(&c);

	buf = NULL;
	f = open_memstream(&buf, &len);
	check_int(parse(&c, NULL, "root=dhcp6 ip=dhcp6", &err), 0);
	check_int(px_config_write_text(&c, f), 0);
	fclose(f);
	check(strstr(
		buf,
		"root        from the DHCPv6 boot file parameter or URL (options 60, 59)\n"));
	check(strstr(buf, "network     DHCPv6 (stateful), waits 40 s for a lease\n"));
	free(buf);
	px_config_done(&c);
}

TAP_MAIN(TAP_CASE(test_split), TAP_CASE(test_nothing_given),
	 TAP_CASE(test_defaults_merge), TAP_CASE(test_kernel_nfsroot),
	 TAP_CASE(test_kernel_ip), TAP_CASE(test_dracut_nfs), TAP_CASE(test_dracut_nbd),
	 TAP_CASE(test_dracut_other), TAP_CASE(test_sysrescue),
	 TAP_CASE(test_pxelinux_and_own), TAP_CASE(test_root_path), TAP_CASE(test_verity),
	 TAP_CASE(test_errors_root), TAP_CASE(test_errors_net), TAP_CASE(test_errors_own),
	 TAP_CASE(test_several_interfaces), TAP_CASE(test_links), TAP_CASE(test_refused),
	 TAP_CASE(test_fstypes), TAP_CASE(test_rw), TAP_CASE(test_ltsp),
	 TAP_CASE(test_dracut_network_list), TAP_CASE(test_shell_output),
	 TAP_CASE(test_text_output))
