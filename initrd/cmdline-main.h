/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* pxeroot-cmdline's whole program, also "pxeroot-helper cmdline". */
int cmdline_main(int argc, char **argv);
