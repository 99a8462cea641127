// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The set in the image: the modules (decompressed), modules.dep lines BusyBox's
 * modprobe follows, the other index files cut down to the set, and the
 * firmware the modules name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kmods-internal.h"
#include "log.h"
#include "mkbootimage.h"
#include "rootdir.h"
#include "strbuf.h"
#include "strv.h"
#include "util.h"

/*
 * Depth first: dependencies, then the module. Soft dependencies are not in the
 * line: BusyBox's modprobe gives up on a module when anything in its line fails
 * to load, and a soft dependency may fail by design (crc32c-intel on a CPU
 * without SSE 4.2). The kernel asks /sbin/modprobe for what it needs of them
 * (crypto-crc32c, a PHY's driver), and the coldplug loads the rest.
 */
static int visit(struct kmods *m, struct kmods_entry *e, entry_vector *order)
{
	if (e->mark == m->gen || e->mark == m->gen + 1)
		return 0;
	e->mark = m->gen + 1; /* in progress: a cycle ends here */
	for (size_t i = strv_length(e->deps); i > 0; i--) {
		struct kmods_entry *d = entry_find(m, e->deps[i - 1]);

		if (d && visit(m, d, order) < 0)
			return -ENOMEM;
	}
	e->mark = m->gen;
	return entry_vector_append(order, e);
}

static int dep_line(struct kmods *m, struct kmods_entry *e, char **ret)
{
	entry_vector order = { 0 };
	_cleanup_strbuf_ struct strbuf b = { 0 };
	int r;

	m->gen += 2;
	r = visit(m, e, &order);
	if (r >= 0)
		r = strbuf_appendf(&b, "%s:", e->out);
	/* BusyBox loads the list from its end: the deepest dependency first. */
	for (size_t i = order.len; r >= 0 && i > 0; i--)
		if (order.ptr[i - 1] != e)
			r = strbuf_appendf(&b, " %s", order.ptr[i - 1]->out);
	entry_vector_reset(&order);
	if (r < 0)
		return r;
	*ret = strbuf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

int kmods_dep_line(struct kmods *m, const char *name, char **ret)
{
	_cleanup_free_ char *n = modname_from_path(name);
	struct kmods_entry *e = n ? entry_find(m, n) : NULL;

	if (!e)
		return -ENOENT;
	return dep_line(m, e, ret);
}

static int out_cmp(struct kmods_entry *const *a, struct kmods_entry *const *b)
{
	return strcmp((*a)->out, (*b)->out);
}

/*
 * Keep the lines of an index file whose module (field number field, from 0) is
 * in the set. A missing file gives an empty one.
 */
static int filter_index(struct kmods *m, struct image *img, const char *name, int field)
{
	_cleanup_free_ char *buf = NULL, *path = NULL;
	_cleanup_strbuf_ struct strbuf out = { 0 };
	char *line, *save = NULL;
	size_t len;
	int r;

	r = index_read(m, name, &buf);
	if (r < 0 && r != -ENOENT)
		return log_errno(r, "cannot read %s/%s", m->moddir, name);
	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char copy[4096], *tok, *tsave = NULL;
		int i = 0;
		bool keep = false;

		if (*line == '#' || strlen(line) >= sizeof(copy))
			continue;
		strcpy(copy, line);
		for (tok = strtok_r(copy, " \t", &tsave); tok;
		     tok = strtok_r(NULL, " \t", &tsave)) {
			if (i++ == field) {
				keep = kmods_has(m, tok);
				break;
			}
		}
		if (keep && strbuf_appendf(&out, "%s\n", line) < 0)
			return log_oom();
	}
	if (asprintf(&path, "%s/%s", m->moddir, name) < 0)
		return log_oom();
	len = out.len;
	return image_add_data(img, path, strbuf_steal(&out), len, 0644);
}

static int copy_index(struct kmods *m, struct image *img, const char *name)
{
	_cleanup_free_ char *buf = NULL, *path = NULL;
	size_t len;
	_cleanup_close_ int fd = index_open(m, name);
	int r;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return log_errno(fd, "cannot read %s/%s", m->moddir, name);
	r = read_fd_all(fd, &buf, &len);
	if (r < 0)
		return log_errno(r, "cannot read %s/%s", m->moddir, name);
	if (asprintf(&path, "%s/%s", m->moddir, name) < 0)
		return log_oom();
	return image_add_data(img, path, TAKE_PTR(buf), len, 0644);
}

/* Where the kernel looks for firmware, first match wins. */
static int add_firmware(struct kmods *m, struct image *img, const char *fw, bool *found)
{
	const char *dirs[] = { "lib/firmware/updates/", "lib/firmware/updates/",
			       "lib/firmware/", "lib/firmware/" };
	static const char *const sfx[] = { "", ".zst", ".xz" };

	*found = false;
	if (strstr(fw, "..") || fw[0] == '/')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		for (size_t j = 0; j < ARRAY_SIZE(sfx); j++) {
			_cleanup_free_ char *path = NULL;
			struct stat st;
			int r;

			/* The even entries are the kernel version's own directories. */
			if (asprintf(&path, "%s%s%s%s%s", dirs[i],
				     i % 2 == 0 ? m->kver : "", i % 2 == 0 ? "/" : "", fw,
				     sfx[j]) < 0)
				return -ENOMEM;
			if (root_stat(m->rootfd, path, true, &st) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			*found = true;
			r = image_add_file(img, path, SRC_ROOT, path, 0644);
			return r == -EEXIST ? 0 : r;
		}
	return 0;
}

int kmods_emit(struct kmods *m, struct image *img, size_t *ret_fw, size_t *ret_fw_missing)
{
	_cleanup_strbuf_ struct strbuf dep = { 0 };
	_cleanup_free_ char *deppath = NULL;
	size_t fw = 0, fw_missing = 0, len;
	int r;

	entry_vector_sort(&m->v, out_cmp);
	vector_foreach(ep, &m->v) {
		struct kmods_entry *e = *ep;
		_cleanup_free_ char *from = NULL, *to = NULL, *line = NULL;
		struct kmod_list *info = NULL, *l;

		if (asprintf(&from, "%s/%s", m->moddir, e->rel) < 0 ||
		    asprintf(&to, "%s/%s", m->moddir, e->out) < 0)
			return log_oom();
		r = image_add_file(img, to, SRC_ROOT_KMOD, from, 0644);
		if (r < 0)
			return log_errno(r, "cannot add %s", to);
		r = dep_line(m, e, &line);
		if (r < 0 || strbuf_appendf(&dep, "%s\n", line) < 0)
			return log_oom();
		if (kmod_module_get_info(e->mod, &info) < 0) {
			log_debug("cannot read the module information of %s", e->name);
			continue;
		}
		kmod_list_foreach(l, info) {
			bool found;

			if (strcmp(kmod_module_info_get_key(l), "firmware") != 0)
				continue;
			r = add_firmware(m, img, kmod_module_info_get_value(l), &found);
			if (r < 0) {
				kmod_module_info_free_list(info);
				return log_errno(r, "cannot add firmware %s",
						 kmod_module_info_get_value(l));
			}
			if (found)
				fw++;
			else
				fw_missing++;
		}
		kmod_module_info_free_list(info);
	}
	if (asprintf(&deppath, "%s/modules.dep", m->moddir) < 0)
		return log_oom();
	len = dep.len;
	r = image_add_data(img, deppath, strbuf_steal(&dep), len, 0644);
	if (r < 0)
		return log_errno(r, "cannot add %s", deppath);
	if ((r = filter_index(m, img, "modules.alias", 2)) < 0 ||
	    (r = filter_index(m, img, "modules.softdep", 1)) < 0 ||
	    (r = filter_index(m, img, "modules.symbols", 2)) < 0 ||
	    (r = copy_index(m, img, "modules.builtin")) < 0 ||
	    (r = copy_index(m, img, "modules.builtin.modinfo")) < 0)
		return r;
	/* modules.order: the modules of the set in the kernel's order. */
	r = filter_index(m, img, "modules.order", 0);
	if (r < 0)
		return r;
	if (ret_fw)
		*ret_fw = fw;
	if (ret_fw_missing)
		*ret_fw_missing = fw_missing;
	return 0;
}
