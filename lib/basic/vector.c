// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "vector.h"

int vector_reserve(void **ptr, size_t *cap, size_t want, size_t elem_size)
{
	size_t ncap;
	void *p;

	if (want <= *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	/* Refused here rather than by reallocarray: ASan aborts on an overflowing
	 * request instead of returning NULL. */
	if (elem_size && ncap > PTRDIFF_MAX / elem_size)
		return -ENOMEM;
	p = reallocarray(*ptr, ncap, elem_size);
	if (!p)
		return -ENOMEM;
	*ptr = p;
	*cap = ncap;
	return 0;
}
