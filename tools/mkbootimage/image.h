/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

/*
 * The initramfs being built: a set of entries keyed by their path in the image
 * (relative, no leading slash), written in byte order of those paths, so a
 * parent directory always precedes what it holds. Nothing is read until the
 * image is written: an entry only says where its bytes come from.
 */
enum entry_source {
	SRC_NONE, /* directories, links, device nodes */
	SRC_HOST, /* a file on the host, by absolute path (the skeleton, BusyBox) */
	SRC_ROOT, /* a file inside SYSROOT, read confined to it */
	SRC_DATA, /* bytes held in memory */
	SRC_ROOT_KMOD /* a module inside SYSROOT, decompressed if it is .ko.xz/.zst/.gz */
};

struct img_entry {
	char *path;
	mode_t mode; /* type and permission bits */
	dev_t rdev;
	enum entry_source src;
	char *from; /* SRC_HOST/SRC_ROOT*: where the bytes are; S_IFLNK: the target */
	void *data; /* SRC_DATA */
	size_t size;
};

enum compression {
	COMPRESS_NONE,
	COMPRESS_GZIP,
	COMPRESS_ZSTD,
	COMPRESS_XZ,
	COMPRESS_LZ4,
};

struct image;

int image_new(int rootfd, struct image **ret);
void image_free(struct image *img);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct image *, image_free);

/*
 * Add an entry. Missing parent directories are added (0755). -EEXIST when the
 * path is taken (the first one wins: the skeleton is added first), -ENOTDIR
 * when a parent is taken by something that is not a directory.
 */
int image_add_dir(struct image *img, const char *path);
int image_add_symlink(struct image *img, const char *path, const char *target);
int image_add_chardev(struct image *img, const char *path, unsigned int major,
		      unsigned int minor, mode_t perm);
/* Regular files. The permission is normalised: 0755 if perm has any x bit, else 0644. */
int image_add_file(struct image *img, const char *path, enum entry_source src,
		   const char *from, mode_t perm);
/* Takes ownership of data (malloc'ed). */
int image_add_data(struct image *img, const char *path, void *data, size_t size,
		   mode_t perm);
bool image_has(struct image *img, const char *path);
const struct img_entry *image_get(struct image *img, const char *path);
size_t image_count(struct image *img);
/* Store modules without their signature and .BTF bytes (see kostrip.h). */
void image_set_strip_modules(struct image *img, bool strip);

struct image_write_opts {
	enum compression compress;
	int level; /* 0: the default of the compressor (see compress.c) */
	uint64_t epoch; /* every mtime is this (see mkbootimage(8): reproducible) */
	bool progress; /* a progress line on stderr */
	void (*progress_fn)(size_t done, size_t total, void *userdata);
	void *userdata;
};

/* Write the whole image as a newc cpio to fd, compressed. Returns the bytes written. */
int64_t image_write(struct image *img, int fd, const struct image_write_opts *opts);
/* Print one line per entry (ls -l style) to f, reading files for their size. */
int image_list(struct image *img, FILE *f);
