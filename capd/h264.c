/*
 * h264.c -- the H.264 stage: one worker thread around an encoder backend.
 *
 * The worker owns the backend and an I420 buffer; the loop thread only
 * swaps frames in and out under the lock.  Parameter changes and keyframe
 * requests are flags the worker picks up before its next frame, so they
 * never wait for an encode in progress.
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

#include "error.h"
#include "h264.h"
#include "log.h"
#include "xmalloc.h"

struct h264 {
	const struct h264_backend *be;	     /* worker thread only */
	const struct h264_backend *fallback; /* NULL: none */
	h264_done_cb *cb;
	void *arg;
	int efd;
	struct event *ev;
	pthread_t thread;
	int started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stopping;
	struct frame *waiting; /* NULL: empty */
	struct frame **done;   /* results for the loop */
	size_t ndone, done_cap;
	int params_dirty, want_key;
	struct h264_stats st; /* under lock; st.params the wanted ones */

	/* worker thread only */
	void *enc;
	struct h264_open cur; /* what enc was opened for */
	struct frame *out;    /* reused when nobody holds it */
};

/* Each value inside its range. */
int
h264_params_check(const struct h264_params *p)
{
	if (p->bitrate_kbps < H264_BITRATE_MIN ||
	    p->bitrate_kbps > H264_BITRATE_MAX)
		return error_set(-EINVAL, "bitrate %u kbit/s outside %d..%d",
		    p->bitrate_kbps, H264_BITRATE_MIN, H264_BITRATE_MAX);
	if (p->keyint < H264_KEYINT_MIN || p->keyint > H264_KEYINT_MAX)
		return error_set(-EINVAL,
		    "keyframe interval %u outside %d..%d frames", p->keyint,
		    H264_KEYINT_MIN, H264_KEYINT_MAX);
	if (p->fps < H264_FPS_MIN || p->fps > H264_FPS_MAX)
		return error_set(-EINVAL, "fps %u outside %d..%d", p->fps,
		    H264_FPS_MIN, H264_FPS_MAX);
	return 0;
}

/* Copy a frame's luma and average chroma rows pairwise: 4:2:2 to 4:2:0. */
static void
h264_packed_i420(const struct frame *f, uint8_t *dst, int yoff)
{
	unsigned int w = f->width, h = f->height, x, y;
	uint8_t *py = dst, *pu = dst + (size_t)w * h;
	uint8_t *pv = pu + (size_t)(w / 2) * (h / 2);
	int coff = yoff ? 0 : 1; /* Cb's offset in a 4-byte group */
	const uint8_t *r0, *r1;

	for (y = 0; y < h; y++) {
		r0 = f->data + (size_t)y * f->stride;
		for (x = 0; x < w; x++)
			py[(size_t)y * w + x] = r0[x * 2 + yoff];
	}
	for (y = 0; y < h / 2; y++) {
		r0 = f->data + (size_t)(2 * y) * f->stride;
		r1 = r0 + f->stride;
		for (x = 0; x < w / 2; x++) {
			pu[(size_t)y * (w / 2) + x] =
			    (uint8_t)((r0[x * 4 + coff] + r1[x * 4 + coff] +
					  1) >>
				1);
			pv[(size_t)y * (w / 2) + x] =
			    (uint8_t)((r0[x * 4 + coff + 2] +
					  r1[x * 4 + coff + 2] + 1) >>
				1);
		}
	}
}

/* NV12: luma as it is, interleaved chroma split. */
static void
h264_nv12_i420(const struct frame *f, uint8_t *dst)
{
	unsigned int w = f->width, h = f->height, x, y;
	uint8_t *pu = dst + (size_t)w * h;
	uint8_t *pv = pu + (size_t)(w / 2) * (h / 2);
	const uint8_t *c = f->data + (size_t)f->stride * h, *r;

	for (y = 0; y < h; y++)
		memcpy(dst + (size_t)y * w, f->data + (size_t)y * f->stride, w);
	for (y = 0; y < h / 2; y++) {
		r = c + (size_t)y * f->stride;
		for (x = 0; x < w / 2; x++) {
			pu[(size_t)y * (w / 2) + x] = r[2 * x];
			pv[(size_t)y * (w / 2) + x] = r[2 * x + 1];
		}
	}
}

/* Raw to I420. */
int
h264_to_i420(const struct frame *f, uint8_t *dst)
{
	size_t need;

	if ((f->width | f->height) & 1 || f->width == 0 || f->height == 0)
		return error_set(-EINVAL,
		    "H.264 needs an even frame size, not %ux%u", f->width,
		    f->height);
	switch (f->format) {
	case FRAME_YUYV:
	case FRAME_UYVY:
		need = (size_t)f->stride * (f->height - 1) + f->width * 2;
		break;
	case FRAME_NV12:
		need = (size_t)f->stride * (f->height + f->height / 2 - 1) +
		    f->width;
		break;
	default:
		return error_set(-EINVAL, "H.264 cannot take %s frames",
		    frame_format_name(f->format));
	}
	if (f->len < need || f->stride < f->width)
		return error_set(-EINVAL, "short %s frame: %zu of %zu bytes",
		    frame_format_name(f->format), f->len, need);
	if (f->format == FRAME_NV12)
		h264_nv12_i420(f, dst);
	else
		h264_packed_i420(f, dst, f->format == FRAME_YUYV ? 0 : 1);
	return 0;
}

/* (Re)open the backend when raw differs from what it was opened for. */
static int
h264_reopen(
    struct h264 *h, const struct frame *raw, const struct h264_params *p)
{
	struct h264_open o;

	if (h->enc != NULL && h->cur.width == raw->width &&
	    h->cur.height == raw->height && h->cur.format == raw->format)
		return 0;
	if (h->enc != NULL)
		h->be->free(h->enc);
	h->enc = NULL;
	memset(&o, 0, sizeof(o));
	o.width = raw->width;
	o.height = raw->height;
	o.format = raw->format;
	o.full_range = raw->full_range;
	o.bt709 = raw->bt709;
	o.params = *p;
	h->cur = o;
	return h->be->open(&o, &h->enc);
}

/* The backend failed (r, error_get()): switch to the fallback for good;
 * the next frame opens it. */
static void
h264_fall_back(struct h264 *h, int r, const char *what)
{
	const char *msg = error_get();

	if (h->fallback == NULL || h->be == h->fallback)
		return;
	pthread_mutex_lock(&h->lock);
	snprintf(h->st.fallback_reason, sizeof(h->st.fallback_reason),
	    "%s encoder %s (%s: %s): %s", h->be->name, what, error_code(r),
	    msg ? msg : "no message", h->fallback->name);
	h->st.fell_back = 1;
	h->st.backend = h->fallback->name;
	pthread_mutex_unlock(&h->lock);
	log_warnx("H.264: %s", h->st.fallback_reason);
	if (h->enc != NULL)
		h->be->free(h->enc);
	h->enc = NULL;
	h->be = h->fallback;
}

/* One frame through the backend; the access unit or NULL. */
static struct frame *
h264_encode_one(struct h264 *h, struct frame *raw, int dirty, int key,
    const struct h264_params *p)
{
	struct frame *out;
	int fresh = h->enc == NULL, r;

	if ((r = h264_reopen(h, raw, p)) < 0) {
		h264_fall_back(h, r, "cannot open");
		return NULL;
	}
	if (dirty && !fresh && (r = h->be->set_params(h->enc, p)) < 0)
		return NULL;
	if (key)
		h->be->force_keyframe(h->enc);
	if (h->out == NULL || atomic_load(&h->out->refs) > 1) {
		frame_unref(h->out);
		h->out = frame_new((size_t)raw->width * raw->height / 2);
	}
	if ((r = h->be->encode(h->enc, raw, &h->out)) < 0) {
		if (r == -ENODEV)
			h264_fall_back(h, r, "lost");
		return NULL;
	}
	out = frame_ref(h->out);
	out->format = FRAME_H264;
	out->width = raw->width;
	out->height = raw->height;
	out->seq = raw->seq;
	out->ts_us = raw->ts_us;
	out->mono_us = raw->mono_us;
	return out;
}

/* Queue a result for the loop thread (lock held). */
static void
h264_hand_over(struct h264 *h, struct frame *out)
{
	uint64_t one = 1;

	if (h->ndone == h->done_cap) {
		h->done_cap = h->done_cap ? h->done_cap * 2 : 4;
		h->done = xreallocarray(h->done, h->done_cap, sizeof(*h->done));
	}
	h->done[h->ndone++] = out;
	if (write(h->efd, &one, sizeof(one)) == -1) {
		/* the counter cannot overflow in practice */
	}
}

/* The worker: take the waiting frame, encode, hand the result over. */
static void *
h264_worker_main(void *arg)
{
	struct h264 *h = arg;
	struct h264_params p;
	struct frame *raw, *out;
	int dirty, key;
	int64_t t0;
	uint64_t dt;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->stopping && h->waiting == NULL)
			pthread_cond_wait(&h->cond, &h->lock);
		if (h->stopping)
			break;
		raw = h->waiting;
		h->waiting = NULL;
		p = h->st.params;
		dirty = h->params_dirty;
		key = h->want_key;
		h->params_dirty = h->want_key = 0;
		pthread_mutex_unlock(&h->lock);

		t0 = frame_cpu_us();
		out = h264_encode_one(h, raw, dirty, key, &p);
		frame_unref(raw);
		dt = (uint64_t)(frame_cpu_us() - t0);

		pthread_mutex_lock(&h->lock);
		if (out == NULL) {
			h->st.errors++;
			h->want_key = 1; /* what follows must decode alone */
			continue;
		}
		h->st.encoded++;
		h->st.dmabuf = h->be->dmabuf && h->enc && h->be->dmabuf(h->enc);
		h->st.keyframes += out->keyframe != 0;
		h->st.bytes += out->len;
		h->st.encode_us += dt;
		h->st.last_encode_us = dt;
		if (dt > h->st.max_encode_us)
			h->st.max_encode_us = dt;
		h264_hand_over(h, out);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Access units are in: deliver them on the loop thread. */
static void
h264_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct h264 *h = arg;
	struct frame **done;
	size_t n, i;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) == -1) {
		/* EAGAIN: another wakeup took the results */
	}
	pthread_mutex_lock(&h->lock);
	done = h->done;
	n = h->ndone;
	h->done = NULL;
	h->ndone = h->done_cap = 0;
	pthread_mutex_unlock(&h->lock);
	for (i = 0; i < n; i++)
		h->cb(done[i], h->arg);
	free(done);
}

/* Start the worker. */
int
h264_new(struct event_base *base, const struct h264_backend *be,
    const struct h264_params *p, h264_done_cb *cb, void *arg, struct h264 **ret)
{
	struct h264 *h;
	int r;

	if ((r = h264_params_check(p)) < 0)
		return r;
	h = xcalloc(1, sizeof(*h));
	h->be = be;
	h->cb = cb;
	h->arg = arg;
	h->st.params = *p;
	h->st.backend = be->name;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	if ((h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		r = error_set(-errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	h->ev = event_new(base, h->efd, EV_READ | EV_PERSIST, h264_ready_cb, h);
	event_add(h->ev, NULL);
	if ((r = pthread_create(&h->thread, NULL, h264_worker_main, h)) != 0) {
		r = error_set(
		    -r, "cannot start the H.264 thread: %s", strerror(r));
		goto fail;
	}
	pthread_setname_np(h->thread, "capd-h264");
	h->started = 1;
	*ret = h;
	return 0;
fail:
	h264_free(h);
	return r;
}

/* Stop and free. */
void
h264_free(struct h264 *h)
{
	size_t i;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	if (h->started)
		pthread_join(h->thread, NULL);
	if (h->enc != NULL)
		h->be->free(h->enc);
	frame_unref(h->out);
	frame_unref(h->waiting);
	for (i = 0; i < h->ndone; i++)
		frame_unref(h->done[i]);
	free(h->done);
	if (h->ev != NULL)
		event_free(h->ev);
	if (h->efd > 0)
		close(h->efd);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* The backend to switch to when the first fails. */
void
h264_set_fallback(struct h264 *h, const struct h264_backend *fallback)
{
	h->fallback = fallback;
}

/* Queue a frame; a frame still waiting is replaced. */
void
h264_submit(struct h264 *h, struct frame *raw)
{
	struct frame *old;

	frame_ref(raw);
	pthread_mutex_lock(&h->lock);
	old = h->waiting;
	h->waiting = raw;
	h->st.submitted++;
	if (old != NULL)
		h->st.dropped_busy++;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	frame_unref(old);
}

/* New parameters for the next frame. */
int
h264_set_params(struct h264 *h, const struct h264_params *p)
{
	int r;

	if ((r = h264_params_check(p)) < 0)
		return r;
	pthread_mutex_lock(&h->lock);
	h->st.params = *p;
	h->params_dirty = 1;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* The next access unit is a keyframe. */
void
h264_force_keyframe(struct h264 *h)
{
	pthread_mutex_lock(&h->lock);
	h->want_key = 1;
	pthread_mutex_unlock(&h->lock);
}

/* Counters. */
void
h264_get_stats(struct h264 *h, struct h264_stats *st)
{
	pthread_mutex_lock(&h->lock);
	*st = h->st;
	pthread_mutex_unlock(&h->lock);
}
