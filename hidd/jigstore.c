/*
 * jigstore.c -- the jiggler's setting on disk (jigstore.h).
 *
 * A setting changes only when a person switches the jiggler, so each save
 * is one detached thread; a mutex and a sequence number keep the file at
 * the newest setting whatever order the threads run in.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "error.h"
#include "hid.h"
#include "jigstore.h"
#include "log.h"
#include "xmalloc.h"

struct jigstore_job {
	char *path, *text;
	unsigned long seq;
};

/* jigstore_lock: the counters, held briefly (the loop takes it);
 * jigstore_write_lock: one write at a time, and jigstore_done. */
static pthread_mutex_t jigstore_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t jigstore_write_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jigstore_idle = PTHREAD_COND_INITIALIZER;
static unsigned long jigstore_next, jigstore_done;
static unsigned int jigstore_pending; /* threads not yet finished */

/* Reads the file; see jigstore.h. */
int
jigstore_load(const char *path, int *enabled, long long *interval)
{
	json_error_t jerr;
	json_t *root, *e, *i;
	int r = 1;

	if (path == NULL || *path == '\0')
		return 0;
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (root == NULL)
		return error_set(-EINVAL, "%s: %s", path, jerr.text);
	e = json_object_get(root, "enabled");
	i = json_object_get(root, "interval");
	if (!json_is_boolean(e) || !json_is_integer(i) ||
	    json_integer_value(i) < HID_JIGGLER_MIN ||
	    json_integer_value(i) > HID_JIGGLER_MAX)
		r = error_set(-EINVAL,
		    "%s holds no {\"enabled\": BOOL, \"interval\": %d..%d}",
		    path, HID_JIGGLER_MIN, HID_JIGGLER_MAX);
	else {
		*enabled = json_is_true(e);
		*interval = json_integer_value(i);
	}
	json_decref(root);
	return r;
}

/* The worker: writes unless a newer setting is already on disk. */
static void *
jigstore_thread(void *arg)
{
	struct jigstore_job *j = arg;
	int r;

	pthread_mutex_lock(&jigstore_write_lock);
	if (j->seq > jigstore_done) {
		if ((r = atomicfile_write(j->path, j->text, strlen(j->text))) <
		    0)
			log_warnx(
			    "cannot keep the jiggler's setting in %s: %s; it holds until hidd restarts",
			    j->path, strerror(-r));
		else
			jigstore_done = j->seq;
	}
	pthread_mutex_unlock(&jigstore_write_lock);
	pthread_mutex_lock(&jigstore_lock);
	if (--jigstore_pending == 0)
		pthread_cond_broadcast(&jigstore_idle);
	pthread_mutex_unlock(&jigstore_lock);
	free(j->path);
	free(j->text);
	free(j);
	return NULL;
}

/* Starts a write; see jigstore.h. */
void
jigstore_save(const char *path, int enabled, long long interval)
{
	struct jigstore_job *j;
	pthread_attr_t attr;
	pthread_t t;
	int e;

	if (path == NULL || *path == '\0')
		return;
	j = xcalloc(1, sizeof(*j));
	j->path = xstrdup(path);
	xasprintf(&j->text, "{\"enabled\": %s, \"interval\": %lld}\n",
	    enabled ? "true" : "false", interval);
	pthread_mutex_lock(&jigstore_lock);
	j->seq = ++jigstore_next;
	jigstore_pending++;
	pthread_mutex_unlock(&jigstore_lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if ((e = pthread_create(&t, &attr, jigstore_thread, j)) != 0) {
		log_warnx("cannot start the jiggler's write: %s", strerror(e));
		pthread_mutex_lock(&jigstore_lock);
		jigstore_pending--;
		pthread_mutex_unlock(&jigstore_lock);
		free(j->path);
		free(j->text);
		free(j);
	}
	pthread_attr_destroy(&attr);
}

/* Waits for the writes started; see jigstore.h. */
void
jigstore_wait(void)
{
	pthread_mutex_lock(&jigstore_lock);
	while (jigstore_pending > 0)
		pthread_cond_wait(&jigstore_idle, &jigstore_lock);
	pthread_mutex_unlock(&jigstore_lock);
}
