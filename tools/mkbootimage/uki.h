/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * A unified kernel image: systemd's EFI stub with the kernel, the initramfs, the
 * command line and os-release as PE sections, so that one signature covers
 * them all (under Secure Boot the stub ignores a command line from the loader).
 */
struct uki_opts {
	const char *output;
	const char *stub; /* systemd-boot-efi's linuxx64.efi.stub */
	const char *kernel; /* the kernel image (an EFI-stub bzImage) */
	const char *initrd; /* the initramfs just written */
	const char *cmdline; /* the whole command line, signed with the rest */
	const char *osrel; /* os-release text, or NULL */
	const char *sign_key, *sign_cert; /* sbsign's --key and --cert, or NULL */
	uint64_t epoch; /* the PE time stamp (SOURCE_DATE_EPOCH) */
};

#define UKI_DEFAULT_STUB "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

int uki_build(const struct uki_opts *u);

/*
 * Where the next section may start in the PE image data[0..size): past every
 * section's end, page aligned. Fails with -EINVAL on a file that is not PE32+.
 */
int uki_pe_end(const void *data, size_t size, uint64_t *ret_end);

/* Set the PE time stamp and recompute the header checksum, in place. */
int uki_pe_finish(void *data, size_t size, uint32_t timestamp);
