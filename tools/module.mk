# SPDX-License-Identifier: GPL-2.0-or-later
# tools/: each command-line tool lives in tools/NAME/ with its own module.mk.
