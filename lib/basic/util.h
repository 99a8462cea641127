/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Exit codes shared by every tool (util-linux convention). */
#define EXIT_USAGE 2

/* Print "Try 'prog --help' for more information." to stderr and exit 2. */
_noreturn_ void errtryhelp(void);
/* Print "prog version" and exit 0. */
_noreturn_ void print_version(void);

/* Strict number parsing: the whole string, no sign, no overflow. */
int parse_u64(const char *s, uint64_t *ret);
int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *ret);
/* A size with an optional K, M, G or T suffix (powers of 1024). */
int parse_size(const char *s, uint64_t *ret);
int parse_bool(const char *s, bool *ret);

/* Loop over short reads and writes and EINTR; 0 on success, negative errno. */
int read_full(int fd, void *buf, size_t len);
ssize_t read_full_or_eof(int fd, void *buf, size_t len);
int write_full(int fd, const void *buf, size_t len);
/* pread_full and pwrite_full: io.h. */

/*
 * Write a whole file atomically: a temporary file in the same directory, fsync,
 * rename over the destination. A reader sees the old content or the new, never a
 * part. dirfd may be AT_FDCWD.
 */
int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len,
			 mode_t mode);

/* Read a whole (small, < 64 MiB) file into a NUL-terminated buffer. */
int read_fd_all(int fd, char **ret, size_t *ret_len);

/* The path the kernel has for fd (its /proc/self/fd link), in buf. */
int fd_get_path(int fd, char *buf, size_t size);
/* The directory fd names, opened again by that path, so that it is reached
 * through this process's mount namespace (mounts cannot be attached to, nor
 * files renamed across, another namespace's mounts); -ESTALE when the path now
 * names another directory. */
int fd_reopen_dir(int fd);
int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len);

char *strstrip(char *s);
bool startswith(const char *s, const char *prefix);
/* Ends LINE at its newline (in place); the line after it, or NULL at the end. */
char *line_split(char *line);
