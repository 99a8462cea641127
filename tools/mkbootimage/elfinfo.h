/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A small reader for what mkbootimage needs to know about an ELF file: its
 * class, byte order and machine, whether it asks for a program interpreter
 * (dynamic) or not (static), and its dynamic section's DT_NEEDED, DT_RPATH,
 * DT_RUNPATH and DT_SONAME strings. 32- and 64-bit, either byte order. It reads
 * the program headers, so stripped binaries are fine, and checks every offset
 * against the file size: a truncated or hostile file is -ENOEXEC, never a crash.
 */
struct elf_info {
	unsigned int bits; /* 32 or 64 */
	bool big_endian;
	uint16_t type; /* ET_EXEC, ET_DYN, ET_REL... */
	uint16_t machine; /* EM_X86_64... */
	char *interp; /* PT_INTERP, or NULL: a static program */
	bool dynamic; /* has a PT_DYNAMIC segment */
	char **needed; /* DT_NEEDED in file order, NULL-terminated (never NULL) */
	size_t n_needed;
	char *rpath; /* DT_RPATH, or NULL */
	char *runpath; /* DT_RUNPATH, or NULL */
	char *soname; /* DT_SONAME, or NULL */
};

/* Parse an ELF image in memory. Returns 0, -ENOEXEC (not ELF / malformed) or -ENOMEM. */
int elf_parse(const void *data, size_t size, struct elf_info *ret);
/* The same for an open file (mapped read-only for the call). */
int elf_parse_fd(int fd, struct elf_info *ret);
void elf_info_done(struct elf_info *info);

/* Where the section headers are, from the ELF header: checked to lie inside
 * the file, with entries at least as large as the class's Elf*_Shdr. */
struct elf_shtab {
	unsigned int bits; /* 32 or 64 */
	bool big_endian;
	uint16_t type; /* e_type */
	uint64_t off; /* e_shoff */
	uint16_t entsize, num, strndx; /* e_shentsize, e_shnum, e_shstrndx */
};

/* Returns 0 or -ENOEXEC (not ELF, no section headers, out of bounds). */
int elf_section_table(const void *data, size_t size, struct elf_shtab *ret);

/* A section's bytes by name (needs section headers: e.g. ".modinfo" of a module). */
int elf_find_section(const void *data, size_t size, const char *name, const void **ret,
		     size_t *ret_size);

/* "x86-64", "i386", "aarch64"... for messages; NULL when unknown. */
const char *elf_machine_name(uint16_t machine);
/* The Debian multiarch triplet for libraries of that machine and class, or NULL. */
const char *elf_multiarch(uint16_t machine, unsigned int bits, bool big_endian);
