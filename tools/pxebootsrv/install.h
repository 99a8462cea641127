/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* The drop-ins install writes for the system's own services. */
struct install_file {
	const char *gen; /* its name in a render */
	const char *dest;
};

extern const struct install_file install_files[];
extern const size_t n_install_files;
