/*
 * encoder.c -- libjpeg-turbo compression and the worker pool.
 *
 * YUV frames are split into planes (planes.c) and compressed with
 * tjCompressFromYUVPlanes: no colour conversion at all.  RGB24/BGR24 frames
 * go to tjCompress2 with their pixel format.  Output is written straight
 * into a pooled frame (TJFLAG_NOREALLOC), so nothing is copied afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <turbojpeg.h>

#include "encoder.h"
#include "error.h"
#include "frame.h"
#include "planes.h"
#include "xmalloc.h"

struct encoder_ctx {
	tjhandle tj;
	struct planes planes;
};

struct encoder_job {
	struct frame *raw;
	int quality;
};

struct encoder_worker {
	struct encoder *enc;
	pthread_t thread;
	struct encoder_ctx *ctx;
};

struct encoder {
	struct event_base *base;
	encoder_done_cb *cb;
	void *arg;
	int efd;
	struct event *ev;
	struct frame_pool *pool;
	struct encoder_worker *workers;
	unsigned int nworkers;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stopping;
	struct encoder_job waiting; /* raw NULL: empty */
	unsigned int running;	    /* jobs being encoded */
	struct frame **done;	    /* results for the loop */
	size_t ndone, done_cap;
	struct encoder_stats st; /* under lock */
	uint64_t last_seq;	 /* loop thread only */
	int delivered;		 /* loop thread only */
};

/* A compressor for one thread. */
int
encoder_ctx_new(struct encoder_ctx **ret)
{
	struct encoder_ctx *c = xcalloc(1, sizeof(*c));

	if ((c->tj = tjInitCompress()) == NULL) {
		free(c);
		return error_set(
		    -ENOMEM, "libjpeg-turbo: %s", tjGetErrorStr2(NULL));
	}
	*ret = c;
	return 0;
}

/* Free a compressor. */
void
encoder_ctx_free(struct encoder_ctx *c)
{
	if (c == NULL)
		return;
	tjDestroy(c->tj);
	planes_free(&c->planes);
	free(c);
}

/* The subsampling a raw format is encoded with. */
static int
encoder_subsamp(const struct frame *raw)
{
	return raw->format == FRAME_NV12 ? TJSAMP_420 : TJSAMP_422;
}

/* Worst-case JPEG size. */
size_t
encoder_max_size(const struct frame *raw)
{
	unsigned long n =
	    tjBufSize((int)raw->width, (int)raw->height, encoder_subsamp(raw));

	return n == (unsigned long)-1 ? 0 : (size_t)n;
}

/* Compress one frame into out. */
int
encoder_compress(struct encoder_ctx *c, const struct frame *raw, int quality,
    struct frame *out)
{
	const unsigned char *pl[3];
	int strides[3], r, pf;
	unsigned char *dst = out->data;
	unsigned long size = out->cap;

	if (raw->width == 0 || raw->height == 0 || raw->width > 16384 ||
	    raw->height > 16384)
		return error_set(-EINVAL, "cannot encode a %ux%u frame",
		    raw->width, raw->height);
	if (out->cap < encoder_max_size(raw))
		return error_set(-EINVAL, "JPEG buffer too small");
	switch (raw->format) {
	case FRAME_YUYV:
	case FRAME_UYVY:
	case FRAME_NV12:
		if ((r = planes_from_frame(&c->planes, raw)) < 0)
			return error_set(r, "cannot split a %ux%u %s frame",
			    raw->width, raw->height,
			    frame_format_name(raw->format));
		pl[0] = c->planes.y;
		pl[1] = c->planes.cb;
		pl[2] = c->planes.cr;
		strides[0] = c->planes.y_stride;
		strides[1] = strides[2] = c->planes.c_stride;
		r = tjCompressFromYUVPlanes(c->tj, pl, (int)raw->width, strides,
		    (int)raw->height, c->planes.subsamp, &dst, &size, quality,
		    TJFLAG_NOREALLOC);
		break;
	case FRAME_RGB24:
	case FRAME_BGR24:
		if (raw->stride < raw->width * 3 ||
		    raw->len < (size_t)raw->stride * raw->height)
			return error_set(-EINVAL, "short %s frame",
			    frame_format_name(raw->format));
		pf = raw->format == FRAME_RGB24 ? TJPF_RGB : TJPF_BGR;
		r = tjCompress2(c->tj, raw->data, (int)raw->width,
		    (int)raw->stride, (int)raw->height, pf, &dst, &size,
		    TJSAMP_422, quality, TJFLAG_NOREALLOC);
		break;
	default:
		return error_set(-EINVAL, "cannot encode %s frames",
		    frame_format_name(raw->format));
	}
	if (r != 0)
		return error_set(
		    -EIO, "libjpeg-turbo: %s", tjGetErrorStr2(c->tj));
	out->len = size;
	out->format = FRAME_JPEG;
	out->width = raw->width;
	out->height = raw->height;
	out->seq = raw->seq;
	out->ts_us = raw->ts_us;
	out->mono_us = raw->mono_us;
	return 0;
}

/* Thread CPU time in microseconds. */
static int64_t
thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A worker: take the waiting job, encode, hand the result over. */
static void *
encoder_worker_main(void *arg)
{
	struct encoder_worker *w = arg;
	struct encoder *e = w->enc;
	struct encoder_job job;
	struct frame *out;
	uint64_t one = 1;
	int64_t t0;
	int r;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (!e->stopping && e->waiting.raw == NULL)
			pthread_cond_wait(&e->cond, &e->lock);
		if (e->stopping)
			break;
		job = e->waiting;
		e->waiting.raw = NULL;
		e->running++;
		pthread_mutex_unlock(&e->lock);

		t0 = thread_cpu_us();
		out = frame_pool_get(e->pool, encoder_max_size(job.raw));
		r = encoder_compress(w->ctx, job.raw, job.quality, out);
		frame_unref(job.raw);
		if (r < 0) {
			frame_unref(out);
			out = NULL;
		}

		pthread_mutex_lock(&e->lock);
		e->running--;
		e->st.encode_us += (uint64_t)(thread_cpu_us() - t0);
		if (out == NULL) {
			e->st.errors++;
			continue;
		}
		if (e->ndone == e->done_cap) {
			e->done_cap = e->done_cap ? e->done_cap * 2 : 8;
			e->done = xreallocarray(
			    e->done, e->done_cap, sizeof(*e->done));
		}
		e->done[e->ndone++] = out;
		if (write(e->efd, &one, sizeof(one)) == -1) {
			/* the counter cannot overflow in practice */
		}
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* Results are in: deliver them in capture order on the loop thread. */
static void
encoder_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct encoder *e = arg;
	struct frame **done, *f;
	size_t n, i;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == -1) {
		/* EAGAIN: another wakeup took the results */
	}
	pthread_mutex_lock(&e->lock);
	done = e->done;
	n = e->ndone;
	e->done = NULL;
	e->ndone = e->done_cap = 0;
	pthread_mutex_unlock(&e->lock);
	for (i = 0; i < n; i++) {
		f = done[i];
		if (e->delivered && f->seq <= e->last_seq) {
			pthread_mutex_lock(&e->lock);
			e->st.dropped_stale++;
			pthread_mutex_unlock(&e->lock);
			frame_unref(f);
			continue;
		}
		e->delivered = 1;
		e->last_seq = f->seq;
		pthread_mutex_lock(&e->lock);
		e->st.encoded++;
		pthread_mutex_unlock(&e->lock);
		e->cb(f, e->arg);
	}
	free(done);
}

/* Start the workers. */
int
encoder_new(struct event_base *base, unsigned int workers, encoder_done_cb *cb,
    void *arg, struct encoder **ret)
{
	struct encoder *e;
	unsigned int i;
	char name[16];
	int r;

	if (workers == 0 || workers > 64)
		return error_set(-EINVAL, "workers must be 1 to 64");
	e = xcalloc(1, sizeof(*e));
	e->efd = -1;
	e->base = base;
	e->cb = cb;
	e->arg = arg;
	e->pool = frame_pool_new(workers * 2 + 4);
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	e->st.workers = workers;
	if ((e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		r = error_set(-errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	e->ev =
	    event_new(base, e->efd, EV_READ | EV_PERSIST, encoder_ready_cb, e);
	event_add(e->ev, NULL);
	e->workers = xcalloc(workers, sizeof(*e->workers));
	for (i = 0; i < workers; i++) {
		e->workers[i].enc = e;
		if ((r = encoder_ctx_new(&e->workers[i].ctx)) < 0)
			goto fail;
		if ((r = pthread_create(&e->workers[i].thread, NULL,
			 encoder_worker_main, &e->workers[i])) != 0) {
			encoder_ctx_free(e->workers[i].ctx);
			e->workers[i].ctx = NULL;
			r = error_set(-r, "cannot start an encoder thread: %s",
			    strerror(r));
			goto fail;
		}
		snprintf(name, sizeof(name), "capd-enc%u", i);
		pthread_setname_np(e->workers[i].thread, name); /* for top -H */
		e->nworkers++;
	}
	*ret = e;
	return 0;
fail:
	encoder_free(e);
	return r;
}

/* Stop and free. */
void
encoder_free(struct encoder *e)
{
	unsigned int i;
	size_t j;

	if (e == NULL)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = 1;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	for (i = 0; i < e->nworkers; i++) {
		pthread_join(e->workers[i].thread, NULL);
		encoder_ctx_free(e->workers[i].ctx);
	}
	free(e->workers);
	frame_unref(e->waiting.raw);
	for (j = 0; j < e->ndone; j++)
		frame_unref(e->done[j]);
	free(e->done);
	if (e->ev != NULL)
		event_free(e->ev);
	if (e->efd != -1)
		close(e->efd);
	frame_pool_free(e->pool);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Queue a frame; a frame still waiting is replaced. */
void
encoder_submit(struct encoder *e, struct frame *raw, int quality)
{
	struct frame *old;

	frame_ref(raw);
	pthread_mutex_lock(&e->lock);
	old = e->waiting.raw;
	e->waiting.raw = raw;
	e->waiting.quality = quality;
	e->st.submitted++;
	if (old != NULL)
		e->st.dropped_busy++;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	frame_unref(old);
}

/* Jobs waiting or running. */
unsigned int
encoder_busy(struct encoder *e)
{
	unsigned int n;

	pthread_mutex_lock(&e->lock);
	n = e->running + (e->waiting.raw != NULL);
	pthread_mutex_unlock(&e->lock);
	return n;
}

/* Counters. */
void
encoder_get_stats(struct encoder *e, struct encoder_stats *st)
{
	pthread_mutex_lock(&e->lock);
	*st = e->st;
	pthread_mutex_unlock(&e->lock);
}
