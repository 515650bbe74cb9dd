/*
 * macrostore.h -- the macros kept on disk: one JSON file,
 * {"macros": {"NAME": {"steps": [...]}, ...}}, held in memory and written
 * whole on every change (a temporary file, fsync, rename, fsync of the
 * directory), so a crash leaves the old file or the new one, never half of
 * one.  At most MACROSTORE_MAX macros.  Each macro is checked
 * (macro_compile()) by the caller before it is put.
 */
#ifndef HIDD_MACROSTORE_H
#define HIDD_MACROSTORE_H

#include <jansson.h>

#define MACROSTORE_MAX 64

struct macrostore;

/*
 * Loads path; a missing file is an empty store (the directory is needed
 * only for the first put).  A file that is not a store is renamed to
 * PATH.bad and the store starts empty: -EINVAL with error_set() saying so,
 * *ret still set.  path NULL or "": no store (every call says so).
 */
int macrostore_open(const char *path, struct macrostore **ret);
void macrostore_free(struct macrostore *); /* NULL is fine */
/* [{"name": ..., "steps": N}, ...] sorted by name; a new reference. */
json_t *macrostore_list(struct macrostore *);
/* The macro (borrowed), or NULL with -ENOENT set (error_get()). */
json_t *macrostore_get(struct macrostore *, const char *name);
/* Stores (creates or replaces) macro under name, taking a reference;
 * 1 when it replaced one, 0 when new; on failure nothing changed: -ENOSPC
 * past MACROSTORE_MAX, -EOPNOTSUPP without a store, -errno of the write. */
int macrostore_put(struct macrostore *, const char *name, json_t *macro);
/* -ENOENT when there is no such macro. */
int macrostore_delete(struct macrostore *, const char *name);
const char *macrostore_path(const struct macrostore *);

#endif
