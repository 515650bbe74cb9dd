/*
 * macrostore.c -- the macro file (macrostore.h).
 *
 * The file is small (MACROSTORE_MAX macros of at most MACRO_MAX_BYTES of
 * JSON each, a few KiB in practice) and written only when a person saves
 * or deletes a macro, so it is written whole, synchronously: a change is
 * made to a copy of the in-memory object, the copy written, and only once
 * it is renamed into place does the copy become the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "macro.h"
#include "macrostore.h"
#include "xmalloc.h"

struct macrostore {
	char *path;	/* NULL: no store */
	json_t *macros; /* name -> macro */
};

/* Checks what was read: an object of named macros, within bounds. */
static int
macrostore_check(json_t *root)
{
	json_t *m = json_object_get(root, "macros"), *v;
	const char *name;

	if (!json_is_object(root) || !json_is_object(m))
		return error_set(-EINVAL, "it holds no \"macros\" object");
	if (json_object_size(m) > MACROSTORE_MAX)
		return error_set(
		    -EINVAL, "it holds more than %d macros", MACROSTORE_MAX);
	json_object_foreach(m, name, v)
	{
		if (macro_name_check(name) < 0 || !json_is_object(v) ||
		    !json_is_array(json_object_get(v, "steps")))
			return error_set(-EINVAL,
			    "its macro \"%.64s\" has a bad name or no steps",
			    name);
	}
	return 0;
}

/* Loads the file; see macrostore.h. */
int
macrostore_open(const char *path, struct macrostore **ret)
{
	struct macrostore *ms = xcalloc(1, sizeof(*ms));
	json_error_t jerr;
	json_t *root;
	char *bad;
	int r = 0;

	ms->macros = json_object();
	*ret = ms;
	if (path == NULL || *path == '\0')
		return 0;
	ms->path = xstrdup(path);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (root == NULL)
		r = error_set(-EINVAL, "%s", jerr.text);
	else
		r = macrostore_check(root);
	if (r == 0) {
		json_decref(ms->macros);
		ms->macros = json_incref(json_object_get(root, "macros"));
		json_decref(root);
		return 0;
	}
	json_decref(root);
	xasprintf(&bad, "%s.bad", path);
	if (rename(path, bad) < 0)
		r = error_set(-errno,
		    "%s is not a macro store (%s), and it cannot be moved aside: %s",
		    path, error_get(), strerror(errno));
	else
		r = error_set(-EINVAL,
		    "%s was not a macro store (%s): kept as %s, starting with no macros",
		    path, error_get(), bad);
	free(bad);
	return r;
}

/* Frees; NULL is fine. */
void
macrostore_free(struct macrostore *ms)
{
	if (ms == NULL)
		return;
	json_decref(ms->macros);
	free(ms->path);
	free(ms);
}

/* Names and sizes, sorted. */
json_t *
macrostore_list(struct macrostore *ms)
{
	json_t *arr = json_array(), *v;
	const char *name;
	size_t i, j;

	json_object_foreach(ms->macros, name, v)
	{
		/* insertion by name: at most MACROSTORE_MAX */
		for (i = 0; i < json_array_size(arr); i++)
			if (strcmp(json_string_value(json_object_get(
				       json_array_get(arr, i), "name")),
				name) > 0)
				break;
		j = json_array_size(json_object_get(v, "steps"));
		json_array_insert_new(arr, i,
		    json_pack(
			"{s:s, s:I}", "name", name, "steps", (json_int_t)j));
	}
	return arr;
}

/* One macro, borrowed. */
json_t *
macrostore_get(struct macrostore *ms, const char *name)
{
	json_t *m = json_object_get(ms->macros, name);

	if (m == NULL)
		error_set(-ENOENT,
		    "there is no macro \"%.64s\": GET /macros lists them",
		    name);
	return m;
}

/* Writes all of fd, then fsyncs it. */
static int
macrostore_write_fd(int fd, const char *s, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, s, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		len -= (size_t)w;
	}
	return fsync(fd) < 0 ? -errno : 0;
}

/* Writes macros to the file atomically. */
static int
macrostore_save(struct macrostore *ms, json_t *macros)
{
	json_t *root = json_pack("{s:O}", "macros", macros);
	char *tmp, *dir, *text;
	int fd, r;

	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL)
		xmalloc_fatal("the macro store's text");
	xasprintf(&tmp, "%s.tmp", ms->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		r = -errno;
	else {
		r = macrostore_write_fd(fd, text, strlen(text));
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r == 0 && rename(tmp, ms->path) < 0)
			r = -errno;
		if (r < 0)
			unlink(tmp);
	}
	if (r == 0) {
		/* the rename itself, on disk */
		dir = xstrdup(ms->path);
		if ((fd = open(dirname(dir),
			 O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(fd);
			close(fd);
		}
		free(dir);
	}
	free(text);
	free(tmp);
	if (r < 0)
		return error_set(r,
		    "cannot write the macro store %s: %s; nothing was changed",
		    ms->path, strerror(-r));
	return 0;
}

/* Stores a macro: written first, kept only once on disk. */
int
macrostore_put(struct macrostore *ms, const char *name, json_t *macro)
{
	json_t *copy;
	int replaced, r;

	if (ms->path == NULL)
		return error_set(-EOPNOTSUPP,
		    "hidd keeps no macros: it runs with --macros none");
	replaced = json_object_get(ms->macros, name) != NULL;
	if (!replaced && json_object_size(ms->macros) >= MACROSTORE_MAX)
		return error_set(-ENOSPC,
		    "%d macros are stored, the most hidd keeps: delete one first",
		    MACROSTORE_MAX);
	copy = json_copy(ms->macros);
	json_object_set(copy, name, macro);
	if ((r = macrostore_save(ms, copy)) < 0) {
		json_decref(copy);
		return r;
	}
	json_decref(ms->macros);
	ms->macros = copy;
	return replaced;
}

/* Removes a macro. */
int
macrostore_delete(struct macrostore *ms, const char *name)
{
	json_t *copy;
	int r;

	if (macrostore_get(ms, name) == NULL)
		return -ENOENT;
	copy = json_copy(ms->macros);
	json_object_del(copy, name);
	if ((r = macrostore_save(ms, copy)) < 0) {
		json_decref(copy);
		return r;
	}
	json_decref(ms->macros);
	ms->macros = copy;
	return 0;
}

/* The file, or NULL without a store. */
const char *
macrostore_path(const struct macrostore *ms)
{
	return ms->path;
}
