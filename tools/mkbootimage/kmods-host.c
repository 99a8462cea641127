// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the network devices of this machine need (--drivers host): the module
 * bound to each and what the modaliases of the device and its parents name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmods-internal.h"
#include "log.h"
#include "mkbootimage.h"
#include "util.h"

static int read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	strstrip(buf);
	return 0;
}

int kmods_add_host_nics(struct kmods *m, const char *sysfs)
{
	_cleanup_free_ char *classdir = NULL, *devroot = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int devices = 0, r = 0;

	if (asprintf(&classdir, "%s/class/net", sysfs) < 0)
		return -ENOMEM;
	d = opendir(classdir);
	if (!d)
		return -errno;
	if (asprintf(&devroot, "%s/devices", sysfs) < 0)
		return -ENOMEM;
	while (r >= 0 && (de = readdir(d))) {
		_cleanup_free_ char *path = NULL, *dev = NULL, *link = NULL, *top = NULL;
		char target[PATH_MAX], buf[512];
		size_t rootlen;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s/device", classdir, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		dev = realpath(path, NULL);
		if (!dev)
			continue; /* a virtual interface: nothing to load for it */
		devices++;
		/* The module bound to the device now, when it is one. */
		if (asprintf(&link, "%s/driver/module", dev) < 0) {
			r = -ENOMEM;
			break;
		}
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			log_debug("%s: bound module %s", de->d_name, target);
			r = kmods_add(m, strrchr(target, '/') ? strrchr(target, '/') + 1
							      : target);
			if (r < 0)
				break;
		}
		/* The device's modalias and its parents' (virtio_pci under virtio_net,
		 * a USB host controller under a USB adapter). */
		top = realpath(devroot, NULL);
		if (!top)
			break;
		rootlen = strlen(top);
		while (strlen(dev) > rootlen && strncmp(dev, top, rootlen) == 0) {
			_cleanup_free_ char *f = NULL;
			char *slash;

			if (asprintf(&f, "%s/modalias", dev) < 0) {
				r = -ENOMEM;
				break;
			}
			if (read_small(f, buf, sizeof(buf)) == 0 && buf[0]) {
				r = kmods_add(m, buf);
				log_debug("%s: %s -> %d module(s)", de->d_name, buf, r);
				if (r < 0)
					break;
				r = 0;
			}
			slash = strrchr(dev, '/');
			if (!slash)
				break;
			*slash = '\0';
		}
	}
	return r < 0 ? r : devices;
}
