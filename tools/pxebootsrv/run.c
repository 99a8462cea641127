// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "pxebootsrv.h"

int cmd_run(const struct options *o)
{
	return -ENOSYS;
}
