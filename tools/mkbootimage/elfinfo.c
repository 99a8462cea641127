// SPDX-License-Identifier: GPL-2.0-or-later
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "elfinfo.h"
#include "macro.h"

struct reader {
	const uint8_t *data;
	size_t size;
	bool be;
	unsigned int bits;
};

static uint16_t rd16(const struct reader *r, const uint8_t *p)
{
	return r->be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const struct reader *r, const uint8_t *p)
{
	if (r->be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
		       p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t rd64(const struct reader *r, const uint8_t *p)
{
	uint64_t hi, lo;

	if (r->be) {
		hi = rd32(r, p);
		lo = rd32(r, p + 4);
	} else {
		lo = rd32(r, p);
		hi = rd32(r, p + 4);
	}
	return hi << 32 | lo;
}

/* A word: 4 bytes in ELF32, 8 in ELF64 (addresses, offsets, sizes). */
static uint64_t rdw(const struct reader *r, const uint8_t *p)
{
	return r->bits == 64 ? rd64(r, p) : rd32(r, p);
}

static bool in_bounds(const struct reader *r, uint64_t off, uint64_t len)
{
	return off <= r->size && len <= r->size - off;
}

struct phdr {
	uint32_t type;
	uint64_t offset, vaddr, filesz;
};

static void read_phdr(const struct reader *r, const uint8_t *p, struct phdr *ph)
{
	ph->type = rd32(r, p);
	if (r->bits == 64) {
		ph->offset = rd64(r, p + 8);
		ph->vaddr = rd64(r, p + 16);
		ph->filesz = rd64(r, p + 32);
	} else {
		ph->offset = rd32(r, p + 4);
		ph->vaddr = rd32(r, p + 8);
		ph->filesz = rd32(r, p + 16);
	}
}

static int open_reader(const void *data, size_t size, struct reader *r)
{
	const uint8_t *d = data;

	if (size < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	r->data = d;
	r->size = size;
	switch (d[EI_CLASS]) {
	case ELFCLASS32:
		r->bits = 32;
		break;
	case ELFCLASS64:
		r->bits = 64;
		break;
	default:
		return -ENOEXEC;
	}
	switch (d[EI_DATA]) {
	case ELFDATA2LSB:
		r->be = false;
		break;
	case ELFDATA2MSB:
		r->be = true;
		break;
	default:
		return -ENOEXEC;
	}
	if (size < (r->bits == 64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return -ENOEXEC;
	return 0;
}

/* A NUL-terminated string at file offset off, inside the file. */
static const char *str_at(const struct reader *r, uint64_t off)
{
	if (off >= r->size)
		return NULL;
	if (!memchr(r->data + off, '\0', r->size - off))
		return NULL;
	return (const char *)r->data + off;
}

/* Map a virtual address to a file offset through the PT_LOAD segments. */
static int vaddr_to_offset(const struct reader *r, const struct phdr *ph, size_t n,
			   uint64_t vaddr, uint64_t *ret)
{
	for (size_t i = 0; i < n; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		if (vaddr >= ph[i].vaddr && vaddr - ph[i].vaddr < ph[i].filesz) {
			*ret = ph[i].offset + (vaddr - ph[i].vaddr);
			return 0;
		}
	}
	return -ENOEXEC;
}

static int dup_str(const char *s, char **ret)
{
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int parse_dynamic(const struct reader *r, const struct phdr *ph, size_t nph,
			 const struct phdr *dyn, struct elf_info *info)
{
	size_t entsz = r->bits == 64 ? 16 : 8, n;
	uint64_t strtab = 0, strsz = 0, stroff;
	bool have_strtab = false;
	const uint8_t *p;
	size_t n_needed = 0;

	if (!in_bounds(r, dyn->offset, dyn->filesz))
		return -ENOEXEC;
	n = dyn->filesz / entsz;
	p = r->data + dyn->offset;
	for (size_t i = 0; i < n; i++) {
		uint64_t tag = rdw(r, p + i * entsz),
			 val = rdw(r, p + i * entsz + entsz / 2);

		if (tag == DT_NULL)
			break;
		if (tag == DT_STRTAB) {
			strtab = val;
			have_strtab = true;
		} else if (tag == DT_STRSZ) {
			strsz = val;
		} else if (tag == DT_NEEDED) {
			n_needed++;
		}
	}
	if (!have_strtab)
		return n_needed ? -ENOEXEC : 0;
	/* Shared objects that were never relocated keep a file-relative address. */
	if (vaddr_to_offset(r, ph, nph, strtab, &stroff) < 0)
		return -ENOEXEC;
	if (!in_bounds(r, stroff, strsz))
		return -ENOEXEC;

	info->needed = calloc(n_needed + 1, sizeof(char *));
	if (!info->needed)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t tag = rdw(r, p + i * entsz),
			 val = rdw(r, p + i * entsz + entsz / 2);
		const char *s;
		char **dst = NULL;
		int k;

		if (tag == DT_NULL)
			break;
		if (tag != DT_NEEDED && tag != DT_RPATH && tag != DT_RUNPATH &&
		    tag != DT_SONAME)
			continue;
		if (val >= strsz)
			return -ENOEXEC;
		s = str_at(r, stroff + val);
		if (!s)
			return -ENOEXEC;
		if (tag == DT_NEEDED)
			dst = &info->needed[info->n_needed++];
		else if (tag == DT_RPATH)
			dst = &info->rpath;
		else if (tag == DT_RUNPATH)
			dst = &info->runpath;
		else
			dst = &info->soname;
		free(*dst);
		k = dup_str(s, dst);
		if (k < 0)
			return k;
	}
	return 0;
}

int elf_parse(const void *data, size_t size, struct elf_info *info)
{
	struct reader r;
	const uint8_t *d = data;
	uint64_t phoff;
	uint16_t phentsize, phnum;
	_cleanup_free_ struct phdr *ph = NULL;
	const struct phdr *dyn = NULL;
	int k;

	memset(info, 0, sizeof(*info));
	k = open_reader(data, size, &r);
	if (k < 0)
		return k;
	info->bits = r.bits;
	info->big_endian = r.be;
	info->type = rd16(&r, d + 16);
	info->machine = rd16(&r, d + 18);
	if (r.bits == 64) {
		phoff = rd64(&r, d + 32);
		phentsize = rd16(&r, d + 54);
		phnum = rd16(&r, d + 56);
	} else {
		phoff = rd32(&r, d + 28);
		phentsize = rd16(&r, d + 42);
		phnum = rd16(&r, d + 44);
	}
	if (phnum == 0)
		goto out; /* a relocatable object (a kernel module): no segments */
	if (phentsize < (r.bits == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) ||
	    !in_bounds(&r, phoff, (uint64_t)phentsize * phnum))
		return -ENOEXEC;
	ph = calloc(phnum, sizeof(*ph));
	if (!ph)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		read_phdr(&r, d + phoff + i * phentsize, &ph[i]);
		if (ph[i].type == PT_INTERP) {
			const char *s;

			if (!in_bounds(&r, ph[i].offset, ph[i].filesz) ||
			    ph[i].filesz == 0)
				goto fail;
			s = (const char *)d + ph[i].offset;
			if (strnlen(s, ph[i].filesz) == ph[i].filesz)
				goto fail;
			free(info->interp);
			k = dup_str(s, &info->interp);
			if (k < 0)
				goto fail_k;
		} else if (ph[i].type == PT_DYNAMIC) {
			dyn = &ph[i];
		}
	}
	if (dyn) {
		info->dynamic = true;
		k = parse_dynamic(&r, ph, phnum, dyn, info);
		if (k < 0)
			goto fail_k;
	}
out:
	if (!info->needed) {
		info->needed = calloc(1, sizeof(char *));
		if (!info->needed) {
			k = -ENOMEM;
			goto fail_k;
		}
	}
	return 0;
fail:
	k = -ENOEXEC;
fail_k:
	elf_info_done(info);
	return k;
}

int elf_parse_fd(int fd, struct elf_info *info)
{
	struct stat st;
	void *p;
	int k;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < EI_NIDENT)
		return -ENOEXEC;
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	k = elf_parse(p, st.st_size, info);
	munmap(p, st.st_size);
	return k;
}

void elf_info_done(struct elf_info *info)
{
	if (info->needed)
		for (size_t i = 0; i < info->n_needed; i++)
			free(info->needed[i]);
	free(info->needed);
	free(info->interp);
	free(info->rpath);
	free(info->runpath);
	free(info->soname);
	memset(info, 0, sizeof(*info));
}

int elf_section_table(const void *data, size_t size, struct elf_shtab *ret)
{
	struct reader r;
	const uint8_t *d = data;
	size_t min_ent;
	int k;

	k = open_reader(data, size, &r);
	if (k < 0)
		return k;
	ret->bits = r.bits;
	ret->big_endian = r.be;
	ret->type = rd16(&r, d + 16);
	if (r.bits == 64) {
		ret->off = rd64(&r, d + 40);
		ret->entsize = rd16(&r, d + 58);
		ret->num = rd16(&r, d + 60);
		ret->strndx = rd16(&r, d + 62);
		min_ent = sizeof(Elf64_Shdr);
	} else {
		ret->off = rd32(&r, d + 32);
		ret->entsize = rd16(&r, d + 46);
		ret->num = rd16(&r, d + 48);
		ret->strndx = rd16(&r, d + 50);
		min_ent = sizeof(Elf32_Shdr);
	}
	if (ret->num == 0 || ret->entsize < min_ent || ret->strndx >= ret->num ||
	    !in_bounds(&r, ret->off, (uint64_t)ret->entsize * ret->num))
		return -ENOEXEC;
	return 0;
}

int elf_find_section(const void *data, size_t size, const char *name, const void **ret,
		     size_t *ret_size)
{
	struct reader r;
	struct elf_shtab t;
	const uint8_t *d = data;
	uint64_t shoff, strsec_off, strsec_size;
	uint16_t shentsize, shnum, shstrndx;
	int k;

	k = elf_section_table(data, size, &t);
	if (k < 0)
		return k;
	open_reader(data, size, &r);
	shoff = t.off;
	shentsize = t.entsize;
	shnum = t.num;
	shstrndx = t.strndx;

#define SH(i) (d + shoff + (uint64_t)(i)*shentsize)
#define SH_OFFSET(p) (r.bits == 64 ? rd64(&r, (p) + 24) : rd32(&r, (p) + 16))
#define SH_SIZE(p) (r.bits == 64 ? rd64(&r, (p) + 32) : rd32(&r, (p) + 20))
	strsec_off = SH_OFFSET(SH(shstrndx));
	strsec_size = SH_SIZE(SH(shstrndx));
	if (!in_bounds(&r, strsec_off, strsec_size))
		return -ENOEXEC;
	for (size_t i = 0; i < shnum; i++) {
		const uint8_t *p = SH(i);
		uint32_t nameoff = rd32(&r, p);
		uint32_t type = rd32(&r, p + 4);
		const char *s;
		uint64_t off, sz;

		if (nameoff >= strsec_size)
			continue;
		s = (const char *)d + strsec_off + nameoff;
		if (strnlen(s, strsec_size - nameoff) == strsec_size - nameoff)
			continue;
		if (strcmp(s, name) != 0)
			continue;
		off = SH_OFFSET(p);
		sz = SH_SIZE(p);
		if (type == SHT_NOBITS)
			sz = 0;
		if (!in_bounds(&r, off, sz))
			return -ENOEXEC;
		*ret = d + off;
		*ret_size = sz;
		return 0;
	}
#undef SH
#undef SH_OFFSET
#undef SH_SIZE
	return -ENOENT;
}

const char *elf_machine_name(uint16_t machine)
{
	switch (machine) {
	case EM_X86_64:
		return "x86-64";
	case EM_386:
		return "i386";
	case EM_AARCH64:
		return "aarch64";
	case EM_ARM:
		return "arm";
	case EM_RISCV:
		return "riscv";
	case EM_PPC64:
		return "ppc64";
	case EM_PPC:
		return "ppc";
	case EM_S390:
		return "s390";
	case EM_MIPS:
		return "mips";
	case EM_LOONGARCH:
		return "loongarch";
	default:
		return NULL;
	}
}

const char *elf_multiarch(uint16_t machine, unsigned int bits, bool big_endian)
{
	switch (machine) {
	case EM_X86_64:
		return bits == 64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
	case EM_386:
		return "i386-linux-gnu";
	case EM_AARCH64:
		return "aarch64-linux-gnu";
	case EM_ARM:
		return "arm-linux-gnueabihf";
	case EM_RISCV:
		return bits == 64 ? "riscv64-linux-gnu" : NULL;
	case EM_PPC64:
		return big_endian ? "powerpc64-linux-gnu" : "powerpc64le-linux-gnu";
	case EM_PPC:
		return "powerpc-linux-gnu";
	case EM_S390:
		return bits == 64 ? "s390x-linux-gnu" : NULL;
	case EM_MIPS:
		if (bits == 64)
			return big_endian ? "mips64-linux-gnuabi64"
					  : "mips64el-linux-gnuabi64";
		return big_endian ? "mips-linux-gnu" : "mipsel-linux-gnu";
	case EM_LOONGARCH:
		return "loongarch64-linux-gnu";
	default:
		return NULL;
	}
}
