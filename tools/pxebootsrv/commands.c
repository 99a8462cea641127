// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "log.h"
#include "pxebootsrv.h"
#include "render.h"

int cmd_render(const struct options *o, const char *dir)
{
	_cleanup_(config_free) struct pbs_config c;
	struct render r;
	int k;

	config_init(&c);
	k = config_load(&c, o->config, o->root);
	if (k < 0)
		return k;
	k = render_all(&c, &r);
	if (k < 0) {
		render_free(&r);
		return render_failed(k, o->config);
	}
	k = render_write_dir(&r, dir);
	render_free(&r);
	return k;
}
