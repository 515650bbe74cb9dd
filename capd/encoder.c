/*
 * encoder.c -- libjpeg(-turbo) compression and the worker pool.
 *
 * YUV frames are compressed from planes with libjpeg's raw-data interface:
 * no colour conversion at all.  Each MCU row (8 or 16 lines) is split
 * (planes.c) just before libjpeg takes it, so the planes never leave the
 * cache; the output is the same, byte for byte, as TurboJPEG's
 * tjCompressFromYUVPlanes() on whole-frame planes.  RGB24/BGR24 frames are
 * compressed from their pixels.  Output goes straight into a pooled frame,
 * so nothing is copied afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jpeglib.h>
#include <turbojpeg.h>

#include "encoder.h"
#include "error.h"
#include "frame.h"
#include "planes.h"
#include "xmalloc.h"

/* libjpeg reports errors by calling error_exit, which must not return. */
struct encoder_err {
	struct jpeg_error_mgr mgr;
	jmp_buf jmp;
	char msg[JMSG_LENGTH_MAX];
};

struct encoder_ctx {
	struct jpeg_compress_struct cinfo;
	struct encoder_err err;
	struct jpeg_destination_mgr dest;
	struct frame *out; /* being written */
	struct planes band;
	JSAMPROW rows[3][16];
	JSAMPARRAY img[3];
	int subsamp; /* PLANES_422 or PLANES_420, for packed frames */
};

struct encoder_job {
	struct frame *raw;
	int quality;
	int subsamp;
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
	int subsamp;		 /* under lock */
};

/* libjpeg failed: keep its message and unwind to encoder_compress(). */
static void
encoder_error_exit(j_common_ptr cinfo)
{
	struct encoder_err *e = (struct encoder_err *)cinfo->err;

	e->mgr.format_message(cinfo, e->msg);
	longjmp(e->jmp, 1);
}

/* Warnings (corrupt input does not exist here): not printed. */
static void
encoder_output_message(j_common_ptr cinfo)
{
	(void)cinfo;
}

/* The JPEG goes into the frame being written. */
static void
encoder_dest_init(j_compress_ptr cinfo)
{
	struct encoder_ctx *c = (struct encoder_ctx *)cinfo->client_data;

	c->dest.next_output_byte = c->out->data;
	c->dest.free_in_buffer = c->out->cap;
}

/* The frame is full: cannot happen, it holds the worst case. */
static boolean
encoder_dest_full(j_compress_ptr cinfo)
{
	struct encoder_err *e = (struct encoder_err *)cinfo->err;

	snprintf(e->msg, sizeof(e->msg), "JPEG larger than its buffer");
	longjmp(e->jmp, 1);
}

/* Done: the frame's length is what was written. */
static void
encoder_dest_term(j_compress_ptr cinfo)
{
	struct encoder_ctx *c = (struct encoder_ctx *)cinfo->client_data;

	c->out->len = c->out->cap - c->dest.free_in_buffer;
}

/* A compressor for one thread. */
int
encoder_ctx_new(struct encoder_ctx **ret)
{
	struct encoder_ctx *c = xcalloc(1, sizeof(*c));
	int i, r;

	c->cinfo.err = jpeg_std_error(&c->err.mgr);
	c->err.mgr.error_exit = encoder_error_exit;
	c->err.mgr.output_message = encoder_output_message;
	if (setjmp(c->err.jmp)) {
		/* only running out of memory fails here */
		r = error_set(-ENOMEM, "libjpeg: %s", c->err.msg);
		free(c);
		return r;
	}
	jpeg_create_compress(&c->cinfo);
	c->cinfo.client_data = c;
	c->dest.init_destination = encoder_dest_init;
	c->dest.empty_output_buffer = encoder_dest_full;
	c->dest.term_destination = encoder_dest_term;
	c->cinfo.dest = &c->dest;
	for (i = 0; i < 3; i++)
		c->img[i] = c->rows[i];
	*ret = c;
	return 0;
}

/* Free a compressor. */
void
encoder_ctx_free(struct encoder_ctx *c)
{
	if (c == NULL)
		return;
	jpeg_destroy_compress(&c->cinfo);
	planes_free(&c->band);
	free(c);
}

/* Chroma subsampling of packed frames from now on. */
void
encoder_ctx_set_subsamp(struct encoder_ctx *c, int subsamp)
{
	c->subsamp = subsamp;
}

/* Worst-case JPEG size. */
size_t
encoder_max_size(const struct frame *raw)
{
	unsigned long n = tjBufSize((int)raw->width, (int)raw->height,
	    raw->format == FRAME_NV12 ? TJSAMP_420 : TJSAMP_422);

	return n == (unsigned long)-1 ? 0 : (size_t)n;
}

/*
 * Parameters for a frame, as TurboJPEG sets them: JFIF, YCbCr, the given
 * quality with the fast integer DCT below quality 96 and the accurate one
 * from there, Huffman tables not optimised, luma sampled h x 1 (or h x 2
 * for 4:2:0) against chroma.
 */
static void
encoder_setup(struct encoder_ctx *c, const struct frame *raw, J_COLOR_SPACE cs,
    int quality, int v_samp)
{
	struct jpeg_compress_struct *ci = &c->cinfo;
	int i;

	ci->image_width = raw->width;
	ci->image_height = raw->height;
	ci->input_components = 3;
	ci->in_color_space = cs;
	jpeg_set_defaults(ci);
	jpeg_set_quality(ci, quality, TRUE);
	ci->dct_method = quality >= 96 ? JDCT_ISLOW : JDCT_FASTEST;
	jpeg_set_colorspace(ci, JCS_YCbCr);
	for (i = 0; i < 3; i++) {
		ci->comp_info[i].h_samp_factor = i == 0 ? 2 : 1;
		ci->comp_info[i].v_samp_factor = i == 0 ? v_samp : 1;
	}
}

/* Compress a YUV frame a band at a time. */
static void
encoder_compress_yuv(
    struct encoder_ctx *c, const struct frame *raw, int quality)
{
	struct planes *b = &c->band;
	unsigned int y0, i,
	    crows = b->subsamp == PLANES_420 ? b->rows / 2 : b->rows;

	encoder_setup(
	    c, raw, JCS_YCbCr, quality, b->subsamp == PLANES_420 ? 2 : 1);
	c->cinfo.raw_data_in = TRUE;
	for (i = 0; i < b->rows; i++)
		c->rows[0][i] = b->y + (size_t)i * b->y_stride;
	for (i = 0; i < crows; i++) {
		c->rows[1][i] = b->cb + (size_t)i * b->c_stride;
		c->rows[2][i] = b->cr + (size_t)i * b->c_stride;
	}
	jpeg_start_compress(&c->cinfo, TRUE);
	for (y0 = 0; y0 < raw->height; y0 += b->rows) {
		planes_split(b, raw, y0);
		jpeg_write_raw_data(&c->cinfo, c->img, b->rows);
	}
	jpeg_finish_compress(&c->cinfo);
}

/* Compress an RGB24 or BGR24 frame from its pixels. */
static void
encoder_compress_rgb(
    struct encoder_ctx *c, const struct frame *raw, int quality)
{
	JSAMPROW row;
	unsigned int y;

	encoder_setup(c, raw,
	    raw->format == FRAME_RGB24 ? JCS_EXT_RGB : JCS_EXT_BGR, quality, 1);
	jpeg_start_compress(&c->cinfo, TRUE);
	for (y = 0; y < raw->height; y++) {
		row = (JSAMPROW)(raw->data + (size_t)y * raw->stride);
		jpeg_write_scanlines(&c->cinfo, &row, 1);
	}
	jpeg_finish_compress(&c->cinfo);
}

/* Compress one frame into out. */
int
encoder_compress(struct encoder_ctx *c, const struct frame *raw, int quality,
    struct frame *out)
{
	int r, yuv;

	if (raw->width == 0 || raw->height == 0 || raw->width > 16384 ||
	    raw->height > 16384)
		return error_set(-EINVAL, "cannot encode a %ux%u frame",
		    raw->width, raw->height);
	if (quality < 1 || quality > 100)
		return error_set(-EINVAL, "quality must be 1 to 100");
	if (out->cap < encoder_max_size(raw))
		return error_set(-EINVAL, "JPEG buffer too small");
	switch (raw->format) {
	case FRAME_YUYV:
	case FRAME_UYVY:
	case FRAME_NV12:
		if ((r = planes_prepare_as(&c->band, raw, 0, c->subsamp)) < 0)
			return error_set(r, "cannot split a %ux%u %s frame",
			    raw->width, raw->height,
			    frame_format_name(raw->format));
		yuv = 1;
		break;
	case FRAME_RGB24:
	case FRAME_BGR24:
		if (raw->stride < raw->width * 3 ||
		    raw->len < (size_t)raw->stride * raw->height)
			return error_set(-EINVAL, "short %s frame",
			    frame_format_name(raw->format));
		yuv = 0;
		break;
	default:
		return error_set(-EINVAL, "cannot encode %s frames",
		    frame_format_name(raw->format));
	}
	c->out = out;
	if (setjmp(c->err.jmp)) {
		jpeg_abort_compress(&c->cinfo);
		c->out = NULL;
		return error_set(-EIO, "libjpeg: %s", c->err.msg);
	}
	if (yuv)
		encoder_compress_yuv(c, raw, quality);
	else
		encoder_compress_rgb(c, raw, quality);
	c->out = NULL;
	out->format = FRAME_JPEG;
	out->width = raw->width;
	out->height = raw->height;
	out->seq = raw->seq;
	out->ts_us = raw->ts_us;
	out->mono_us = raw->mono_us;
	return 0;
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

		t0 = frame_cpu_us();
		out = frame_pool_get(e->pool, encoder_max_size(job.raw));
		encoder_ctx_set_subsamp(w->ctx, job.subsamp);
		r = encoder_compress(w->ctx, job.raw, job.quality, out);
		frame_unref(job.raw);
		if (r < 0) {
			frame_unref(out);
			out = NULL;
		}

		pthread_mutex_lock(&e->lock);
		e->running--;
		e->st.encode_us += (uint64_t)(frame_cpu_us() - t0);
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

/* Chroma subsampling for frames submitted from now on. */
void
encoder_set_subsamp(struct encoder *e, int subsamp)
{
	pthread_mutex_lock(&e->lock);
	e->subsamp = subsamp;
	pthread_mutex_unlock(&e->lock);
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
	e->waiting.subsamp = e->subsamp;
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
