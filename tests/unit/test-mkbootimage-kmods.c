// SPDX-License-Identifier: GPL-2.0-or-later
#include "tap.h"
static void test_nothing(void)
{
}
TAP_MAIN(TAP_CASE(test_nothing))
