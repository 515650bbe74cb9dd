/*
 * edidjob.c -- EDID ioctls on a thread of their own (edidjob.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "capture.h"
#include "edid.h"
#include "edidjob.h"
#include "error.h"
#include "utf8.h"
#include "xmalloc.h"

#define EDIDJOB_TRIES 30 /* 100 ms apart */

struct edidjob {
	pthread_mutex_t lock;
	int abandoned, done; /* under lock */
	struct event *done_ev;
	char *device;
	int input, set;
	uint8_t edid[EDID_MAX_BLOCKS * EDID_BLOCK];
	size_t len;
	int r;
	char why[256];
	edidjob_done_fn *cb;
	void *arg;
};

static void
edidjob_free(struct edidjob *j)
{
	event_free(j->done_ev);
	pthread_mutex_destroy(&j->lock);
	free(j->device);
	free(j);
}

/* The thread: load, then read what the pad holds. */
static void *
edidjob_main(void *arg)
{
	struct edidjob *j = arg;
	int abandoned, tries;

	error_clear();
	j->r = 0;
	/* a capture still streaming (ours, closing) keeps the pad busy */
	for (tries = 0; j->set && tries < EDIDJOB_TRIES; tries++) {
		j->r = capture_edid_write(j->device, j->input, j->edid, j->len);
		if (j->r != -EBUSY)
			break;
		usleep(100000);
	}
	if (j->r >= 0)
		j->r = capture_edid_read(j->device, j->input, j->edid);
	if (j->r < 0)
		utf8_format(j->why, sizeof(j->why), "%s",
		    error_get() ? error_get() : strerror(-j->r));
	pthread_mutex_lock(&j->lock);
	abandoned = j->abandoned;
	j->done = 1;
	if (!abandoned)
		event_active(j->done_ev, EV_TIMEOUT, 0);
	pthread_mutex_unlock(&j->lock);
	if (abandoned)
		edidjob_free(j);
	return NULL;
}

/* Back on the loop. */
static void
edidjob_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct edidjob *j = arg;

	(void)fd;
	(void)what;
	/* the thread fires this while it holds the lock: wait until it has
	 * let go before j goes */
	pthread_mutex_lock(&j->lock);
	pthread_mutex_unlock(&j->lock);
	j->cb(j->r, j->edid, j->r > 0 ? (size_t)j->r : 0, j->why, j->arg);
	edidjob_free(j);
}

int
edidjob_start(struct event_base *base, const char *device, int input,
    const uint8_t *set, size_t len, edidjob_done_fn *done, void *arg,
    struct edidjob **ret)
{
	struct edidjob *j = xcalloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (set != NULL && len > sizeof(j->edid)) {
		free(j);
		return error_set(-EINVAL, "an EDID of %zu bytes", len);
	}
	pthread_mutex_init(&j->lock, NULL);
	j->done_ev = event_new(base, -1, 0, edidjob_done_cb, j);
	j->device = xstrdup(device);
	j->input = input;
	j->set = set != NULL;
	if (set != NULL)
		memcpy(j->edid, set, len);
	j->len = len;
	j->cb = done;
	j->arg = arg;
	*ret = j;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, edidjob_main, j);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		edidjob_free(j);
		return error_set(-EAGAIN,
		    "cannot start a thread for the EDID: %s", strerror(r));
	}
	return 0;
}

void
edidjob_abandon(struct edidjob *j)
{
	int done;

	if (j == NULL)
		return;
	pthread_mutex_lock(&j->lock);
	j->abandoned = 1;
	done = j->done;
	pthread_mutex_unlock(&j->lock);
	if (done) /* its event is pending: free it with the job */
		edidjob_free(j);
}
