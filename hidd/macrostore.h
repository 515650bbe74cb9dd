/*
 * macrostore.h -- the macros kept on disk: one JSON file,
 * {"macros": {"NAME": {"steps": [...]}, ...}}, held in memory and written
 * whole on every change (a temporary file, fsync, rename, fsync of the
 * directory, on a worker thread), so a crash leaves the old file or the new
 * one, never half of one.  A change is answered on the loop once it is on
 * disk; until then the store reads as before, and a second change is
 * refused with -EBUSY.  At most MACROSTORE_MAX macros.  Each macro is
 * checked (macro_compile()) by the caller before it is put.
 */
#ifndef HIDD_MACROSTORE_H
#define HIDD_MACROSTORE_H

#include <jansson.h>

#define MACROSTORE_MAX 64

struct macrostore;
struct event_base;

/* A change's answer, on the loop: as macrostore_put/_delete say, or -errno
 * of the write with error_set() (nothing was changed then). */
typedef void macrostore_done_fn(int r, void *arg);

/*
 * Loads path; a missing file is an empty store (the directory is needed
 * only for the first put).  A file that is not a store is renamed to
 * PATH.bad and the store starts empty: -EINVAL with error_set() saying so,
 * *ret still set.  path NULL or "": no store (every call says so).
 */
int macrostore_open(
    struct event_base *, const char *path, struct macrostore **ret);
void macrostore_free(struct macrostore *); /* NULL is fine */
/* [{"name": ..., "steps": N}, ...] sorted by name; a new reference. */
json_t *macrostore_list(struct macrostore *);
/* The macro (borrowed), or NULL with -ENOENT set (error_get()). */
json_t *macrostore_get(struct macrostore *, const char *name);
/* Stores (creates or replaces) macro under name, taking a reference.
 * 0: under way, done(1 when it replaced one, 0 when new, or -errno) follows;
 * or at once, nothing changed and no done: -ENOSPC past MACROSTORE_MAX,
 * -EOPNOTSUPP without a store, -EBUSY while another change is written. */
int macrostore_put(struct macrostore *, const char *name, json_t *macro,
    macrostore_done_fn *done, void *arg);
/* The same; -ENOENT at once when there is no such macro; done(0). */
int macrostore_delete(
    struct macrostore *, const char *name, macrostore_done_fn *done, void *arg);
const char *macrostore_path(const struct macrostore *);

#endif
