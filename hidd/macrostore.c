/*
 * macrostore.c -- the macro file (macrostore.h).
 *
 * The file is small (MACROSTORE_MAX macros of at most MACRO_MAX_BYTES of
 * JSON each, a few KiB in practice) and written only when a person saves
 * or deletes a macro, so it is written whole: a change is made to a copy
 * of the in-memory object, the copy written by a worker thread (fsync
 * waits for the disk, the loop must not), and only once it is renamed into
 * place does the copy become the store, back on the loop.  One write at a
 * time: a change asked for meanwhile is refused (-EBUSY), not queued.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "atomicfile.h"
#include "error.h"
#include "macro.h"
#include "macrostore.h"
#include "xmalloc.h"

/* A change being written. */
struct macrostore_write {
	json_t *copy; /* the store as it will be */
	char *text;   /* copy as the file's text */
	int replaced; /* what a put answers */
	int r;	      /* the worker's result: 0 or -errno */
	macrostore_done_fn *done;
	void *arg;
};

struct macrostore {
	char *path;	/* NULL: no store */
	json_t *macros; /* name -> macro */
	struct event_base *base;
	int pipe[2];	       /* the worker says it is done: one byte */
	struct event *ev_done; /* on pipe[0] */
	pthread_t thread;
	struct macrostore_write *w; /* in flight, or NULL */
	unsigned int delay_ms;	    /* test hook: a slow disk */
};

static void macrostore_finish(struct macrostore *);

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
macrostore_open(
    struct event_base *base, const char *path, struct macrostore **ret)
{
	struct macrostore *ms = xcalloc(1, sizeof(*ms));
	const char *delay = getenv("KAPUTTKVM_TEST_MACRO_WRITE_DELAY_MS");
	json_error_t jerr;
	json_t *root;
	char *bad;
	int r = 0;

	ms->macros = json_object();
	ms->pipe[0] = ms->pipe[1] = -1;
	ms->base = base;
	*ret = ms;
	if (path == NULL || *path == '\0')
		return 0;
	ms->path = xstrdup(path);
	if (delay != NULL) /* test hook (tests/integration/hidd) */
		ms->delay_ms = (unsigned int)strtoul(delay, NULL, 10);
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
	if (ms->w != NULL) /* the write goes to its end, and its answer */
		macrostore_finish(ms);
	if (ms->ev_done != NULL)
		event_free(ms->ev_done);
	if (ms->pipe[0] >= 0) {
		close(ms->pipe[0]);
		close(ms->pipe[1]);
	}
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

/* The worker: writes the file, then says so through the pipe. */
static void *
macrostore_thread(void *arg)
{
	struct macrostore *ms = arg;
	struct macrostore_write *w = ms->w;
	char c = 1;

	if (ms->delay_ms > 0)
		usleep(ms->delay_ms * 1000u);
	w->r = atomicfile_write(ms->path, w->text, strlen(w->text));
	while (write(ms->pipe[1], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* Joins the worker and answers: the copy becomes the store, or not. */
static void
macrostore_finish(struct macrostore *ms)
{
	struct macrostore_write *w = ms->w;
	int r;

	pthread_join(ms->thread, NULL);
	ms->w = NULL;
	if ((r = w->r) == 0) {
		json_decref(ms->macros);
		ms->macros = w->copy;
		r = w->replaced;
	} else {
		json_decref(w->copy);
		error_set(r,
		    "cannot write the macro store %s: %s; nothing was changed",
		    ms->path, strerror(-r));
	}
	free(w->text);
	w->done(r, w->arg);
	free(w);
}

/* The worker is done (on the loop). */
static void
macrostore_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct macrostore *ms = arg;
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	if (ms->w != NULL)
		macrostore_finish(ms);
}

/* Starts writing copy; done runs on the loop when it is on disk. */
static int
macrostore_start(struct macrostore *ms, json_t *copy, int replaced,
    macrostore_done_fn *done, void *arg)
{
	json_t *root = json_pack("{s:O}", "macros", copy);
	struct macrostore_write *w;
	int e;

	if (ms->pipe[0] < 0) {
		if (pipe2(ms->pipe, O_CLOEXEC) < 0)
			return error_set(-errno,
			    "the macro store: %s; nothing was changed",
			    strerror(errno));
		ms->ev_done = event_new(ms->base, ms->pipe[0],
		    EV_READ | EV_PERSIST, macrostore_done_cb, ms);
		event_add(ms->ev_done, NULL);
	}
	w = xcalloc(1, sizeof(*w));
	w->text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (w->text == NULL)
		xmalloc_fatal("the macro store's text");
	w->copy = copy;
	w->replaced = replaced;
	w->done = done;
	w->arg = arg;
	ms->w = w;
	if ((e = pthread_create(&ms->thread, NULL, macrostore_thread, ms)) !=
	    0) {
		ms->w = NULL;
		free(w->text);
		free(w);
		return error_set(-e,
		    "cannot start writing the macro store: %s; nothing was changed",
		    strerror(e));
	}
	return 0;
}

/* What a change needs first: a store, and no write under way. */
static int
macrostore_can_change(struct macrostore *ms)
{
	if (ms->path == NULL)
		return error_set(-EOPNOTSUPP,
		    "hidd keeps no macros: it runs with --macros none");
	if (ms->w != NULL)
		return error_set(-EBUSY,
		    "another macro is being written to disk; try again in a moment");
	return 0;
}

/* Stores a macro: written first, kept only once on disk. */
int
macrostore_put(struct macrostore *ms, const char *name, json_t *macro,
    macrostore_done_fn *done, void *arg)
{
	json_t *copy;
	int replaced, r;

	if ((r = macrostore_can_change(ms)) < 0)
		return r;
	replaced = json_object_get(ms->macros, name) != NULL;
	if (!replaced && json_object_size(ms->macros) >= MACROSTORE_MAX)
		return error_set(-ENOSPC,
		    "%d macros are stored, the most hidd keeps: delete one first",
		    MACROSTORE_MAX);
	copy = json_copy(ms->macros);
	json_object_set(copy, name, macro);
	if ((r = macrostore_start(ms, copy, replaced, done, arg)) < 0)
		json_decref(copy);
	return r;
}

/* Removes a macro, the same way. */
int
macrostore_delete(struct macrostore *ms, const char *name,
    macrostore_done_fn *done, void *arg)
{
	json_t *copy;
	int r;

	if (macrostore_get(ms, name) == NULL)
		return -ENOENT;
	if ((r = macrostore_can_change(ms)) < 0)
		return r;
	copy = json_copy(ms->macros);
	json_object_del(copy, name);
	if ((r = macrostore_start(ms, copy, 0, done, arg)) < 0)
		json_decref(copy);
	return r;
}

/* The file, or NULL without a store. */
const char *
macrostore_path(const struct macrostore *ms)
{
	return ms->path;
}
