/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "identity.h"
#include "vector.h"

/*
 * One generation of an export: the image file as it was opened. A connection
 * holds a reference for its whole life, so replacing the file on disk (a new
 * inode) or reloading the configuration never changes what a connected client
 * reads; new connections get the newest generation.
 */
struct export
{
	atomic_int refs;
	char *name;
	char *description;
	char *path;
	struct acl allow;
	bool readonly; /* the image itself is never written */
	enum cow_mode cow;
	char *cow_dir;
	int fd;
	uint64_t size;
	void *map; /* the image mapped, only to ask mincore() what is cached */
	dev_t dev;
	ino_t ino;
	dev_t pending_dev; /* replaced by this file, whose identity is being computed */
	ino_t pending_ino;
	bool blockdev;
	unsigned int generation;
	char fstype[32];
	/*
	 * The identity of this generation (identity.h), empty for what has none
	 * (a block device, a writable image). canonical is "NAME@ID", or NAME
	 * without an identity; real is the file opened, symbolic links resolved.
	 * info_desc is what NBD_INFO_DESCRIPTION says: the description and the
	 * generation.
	 */
	char id[IDENTITY_LEN + 1];
	char *canonical;
	char *real;
	char *info_desc;
};

/* Transmission flags of an export, for a client that did or did not negotiate structured
 * replies. */
uint16_t export_tflags(const struct export *e, bool structured);
/*
 * Is [off, off+len) in the page cache? If not, start reading it in the
 * background (readahead) and return false: a read now would block the loop.
 */
bool export_cached(const struct export *e, uint64_t off, uint64_t len);
bool export_writable(const struct export *e);

/* Open and identify an image; logs what is wrong. force: serve unidentified
 * content too. */
int export_open(const struct export_conf *ec, const char *cow_dir, bool force,
		struct export **ret);
/* An export over an already open file (tests, fuzzing); takes ownership of fd. */
int export_new_fd(const char *name, int fd, bool readonly, struct export **ret);
struct export *export_ref(struct export *e);
void export_unref(struct export *e);

DEFINE_VECTOR(export_vector, struct export *);

struct export_table {
	pthread_mutex_t lock;
	struct export **v;
	size_t n;
	size_t default_index; /* what the empty name means */
	bool force;
	bool quiet_identify; /* do not log identification again on checks */
	/* Older generations opened by NAME@ID, each with the table's reference. */
	export_vector gens;
	/* Called when what is served changed by itself (an image replaced). */
	void (*changed)(void *data);
	void *changed_data;
};

int export_table_init(struct export_table *t);
void export_table_free(struct export_table *t);
/* Every export of a configuration, opened and identified, not yet served. */
struct export_set {
	struct export **v;
	size_t n;
	size_t def;
	bool force;
};

/* Open every export of c; the first that fails is logged and fails the whole set. */
int export_table_prepare(const struct config *c, struct export_set *ret);
void export_set_free(struct export_set *set);
/*
 * Serve set from now on (it is emptied). New connections get its exports;
 * connected clients keep the generation they opened.
 */
void export_table_commit(struct export_table *t, struct export_set *set);
/* prepare and commit, at start. */
int export_table_load(struct export_table *t, const struct config *c);
/*
 * The current generation of an export for a new connection, with a reference.
 * "" is the default export. If the file on disk was replaced by a new inode,
 * it is opened now. NAME@ID is the generation ID of NAME: the current one, or
 * an older one still on disk beside it (bootchroot's STEM-ID.EXT), opened now
 * with the same settings. -ENOENT: no such export or generation; -EACCES:
 * peer not allowed.
 */
int export_table_get(struct export_table *t, const char *name,
		     const struct sockaddr *peer, struct export **ret);
/*
 * Call fn for each export peer may see, and for each generation NAME@ID of it
 * on disk; stops at the first negative return.
 */
int export_table_list(struct export_table *t, const struct sockaddr *peer,
		      int (*fn)(void *data, const char *name, const char *description),
		      void *data);
/*
 * References to what is served now: the current generation of every export
 * and the older generations opened by name that a client still reads.
 * Releases older generations no client reads any more.
 */
int export_table_collect(struct export_table *t, struct export ***ret, size_t *ret_n);
/* Split "NAME@ID" at its last '@' if what follows is an identity. */
bool export_split_generation(const char *name, size_t *name_len, const char **id);
