// SPDX-License-Identifier: GPL-2.0-or-later
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "elfinfo.h"
#include "kostrip.h"
#include "unaligned.h"

#define SIG_MARKER "~Module signature appended~\n"
#define SIG_MARKER_LEN (sizeof(SIG_MARKER) - 1)
/* struct module_signature: algo, hash, id_type, signer_len, key_id_len,
 * pad[3], sig_len (big endian); the signature and its ids precede it. */
#define SIG_INFO_LEN 12

/* The section headers, read and written in either class. */
struct shdrs {
	uint8_t *base;
	bool is64;
	size_t n;
};

enum {
	F_NAME,
	F_TYPE,
	F_FLAGS,
	F_OFFSET,
	F_SIZE,
	F_ALIGN
};

static uint64_t sh_get(const struct shdrs *s, size_t i, int field)
{
	if (s->is64) {
		Elf64_Shdr h;

		memcpy(&h, s->base + i * sizeof(h), sizeof(h));
		return field == F_NAME	   ? h.sh_name
		       : field == F_TYPE   ? h.sh_type
		       : field == F_FLAGS  ? h.sh_flags
		       : field == F_OFFSET ? h.sh_offset
		       : field == F_SIZE   ? h.sh_size
					   : h.sh_addralign;
	} else {
		Elf32_Shdr h;

		memcpy(&h, s->base + i * sizeof(h), sizeof(h));
		return field == F_NAME	   ? h.sh_name
		       : field == F_TYPE   ? h.sh_type
		       : field == F_FLAGS  ? h.sh_flags
		       : field == F_OFFSET ? h.sh_offset
		       : field == F_SIZE   ? h.sh_size
					   : h.sh_addralign;
	}
}

static void sh_set(struct shdrs *s, size_t i, int field, uint64_t v)
{
	if (s->is64) {
		Elf64_Shdr h;

		memcpy(&h, s->base + i * sizeof(h), sizeof(h));
		if (field == F_OFFSET)
			h.sh_offset = v;
		else
			h.sh_size = v;
		memcpy(s->base + i * sizeof(h), &h, sizeof(h));
	} else {
		Elf32_Shdr h;

		memcpy(&h, s->base + i * sizeof(h), sizeof(h));
		if (field == F_OFFSET)
			h.sh_offset = (Elf32_Off)v;
		else
			h.sh_size = (Elf32_Word)v;
		memcpy(s->base + i * sizeof(h), &h, sizeof(h));
	}
}

/* The length of the module without its appended signature. */
static size_t unsigned_length(const uint8_t *p, size_t size)
{
	size_t total;

	if (size < SIG_MARKER_LEN + SIG_INFO_LEN ||
	    memcmp(p + size - SIG_MARKER_LEN, SIG_MARKER, SIG_MARKER_LEN) != 0)
		return size;
	p += size - SIG_MARKER_LEN - SIG_INFO_LEN;
	total = SIG_MARKER_LEN + SIG_INFO_LEN + (size_t)unaligned_read_be32(p + 8) +
		p[3] + p[4];
	return total <= size ? size - total : size;
}

int kostrip_module(void *buf, size_t *size)
{
	uint8_t *p = buf;
	size_t len = unsigned_length(p, *size), n, shentsize, btf = 0;
	uint64_t shoff, shstrndx, off, sz, end, strsec_off, strsec_size, align = 8, shift;
	struct shdrs s;
	struct elf_shtab t;

	if (elf_section_table(p, len, &t) < 0 || t.type != ET_REL ||
	    t.big_endian != (BYTE_ORDER == BIG_ENDIAN) ||
	    t.entsize != (t.bits == 64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)))
		return -ENOEXEC;
	s.is64 = t.bits == 64;
	shoff = t.off;
	n = t.num;
	shentsize = t.entsize;
	shstrndx = t.strndx;
	s.base = p + shoff;
	s.n = n;
	strsec_off = sh_get(&s, shstrndx, F_OFFSET);
	strsec_size = sh_get(&s, shstrndx, F_SIZE);
	if (strsec_off > len || strsec_size > len - strsec_off)
		return -ENOEXEC;
	for (size_t i = 1; i < n; i++) {
		uint64_t name = sh_get(&s, i, F_NAME);

		if (name < strsec_size && strsec_size - name >= sizeof(".BTF") &&
		    memcmp(p + strsec_off + name, ".BTF", sizeof(".BTF")) == 0) {
			btf = i;
			break;
		}
	}
	if (!btf) {
		*size = len;
		return 0;
	}
	off = sh_get(&s, btf, F_OFFSET);
	sz = sh_get(&s, btf, F_SIZE);
	if (sh_get(&s, btf, F_TYPE) != SHT_PROGBITS ||
	    (sh_get(&s, btf, F_FLAGS) & SHF_ALLOC) || off > len || sz > len - off)
		return -ENOEXEC;
	end = off + sz;
	/* Nothing else may live inside .BTF; what follows keeps its alignment. */
	for (size_t i = 1; i < n; i++) {
		uint64_t o = sh_get(&s, i, F_OFFSET), z = sh_get(&s, i, F_SIZE);
		uint64_t a = sh_get(&s, i, F_ALIGN);

		if (i == btf || sh_get(&s, i, F_TYPE) == SHT_NOBITS || z == 0)
			continue;
		if (o > len || z > len - o)
			return -ENOEXEC;
		if (o < end && o + z > off)
			return -ENOEXEC;
		if (o >= end && a > align) {
			if (a & (a - 1))
				return -ENOEXEC;
			align = a;
		}
	}
	if (shoff < end && shoff + n * shentsize > off)
		return -ENOEXEC;
	shift = sz / align * align;
	if (shift == 0) {
		*size = len;
		return 0;
	}
	/* Drop the first shift bytes of .BTF, zero what is left of it. */
	memmove(p + off, p + off + shift, len - off - shift);
	memset(p + off, 0, sz - shift);
	len -= shift;
	if (shoff >= end)
		shoff -= shift;
	s.base = p + shoff;
	for (size_t i = 1; i < n; i++)
		if (i != btf && sh_get(&s, i, F_OFFSET) >= end)
			sh_set(&s, i, F_OFFSET, sh_get(&s, i, F_OFFSET) - shift);
	sh_set(&s, btf, F_SIZE, 0);
	if (s.is64) {
		Elf64_Off o = shoff;

		memcpy(p + offsetof(Elf64_Ehdr, e_shoff), &o, sizeof(o));
	} else {
		Elf32_Off o = (Elf32_Off)shoff;

		memcpy(p + offsetof(Elf32_Ehdr, e_shoff), &o, sizeof(o));
	}
	*size = len;
	return 0;
}
