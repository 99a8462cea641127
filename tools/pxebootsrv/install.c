// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "install.h"
#include "log.h"
#include "pxebootsrv.h"
#include "render.h"
#include "util.h"

const struct install_file install_files[] = {
	{ R_DNSMASQ, "/etc/dnsmasq.d/pxeroot.conf" },
	{ R_LIGHTTPD, "/etc/lighttpd/conf-enabled/50-pxeroot.conf" },
	{ R_NBDEXPORT, "/etc/pxeroot/nbdexport.conf" },
};
const size_t n_install_files = ARRAY_SIZE(install_files);

int cmd_install(const struct options *o)
{
	return -ENOSYS;
}
