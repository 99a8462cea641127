/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/*
 * --strip-modules: make a kernel module smaller by what the initramfs never
 * uses, in place. Two things go: the appended signature ("~Module signature
 * appended~") and the bytes of the .BTF section (type information for BPF
 * tools; its header stays, empty, which the kernel takes as "no BTF"). The
 * result is an unsigned module: a kernel that enforces module signatures
 * (module.sig_enforce, Secure Boot lockdown) refuses it.
 *
 * buf holds *size bytes; on success *size is the new, smaller or equal size.
 * Returns 0, or -ENOEXEC when the file is not an ELF relocatable object this
 * code understands (64- or 32-bit in the host's byte order); the buffer is
 * then unchanged.
 */
int kostrip_module(void *buf, size_t *size);
