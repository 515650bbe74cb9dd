/*
 * encbench.c -- capd's encoder throughput on test-pattern frames.
 *
 *	capd-encbench WIDTH HEIGHT QUALITY SECONDS WORKERS [PPM]
 *
 * Prints key=value lines.  WORKERS 0: the single-thread figure of
 * encoder_compress() (YUYV split into planes a band at a time and
 * compressed, what a worker does per frame; then the same frame marked
 * BT.709, converted to BT.601 on the way), of the compression alone
 * (TurboJPEG from planes split beforehand) and of the split alone.
 * Otherwise the worker pool with WORKERS threads, kept full: first with
 * each frame copied on the loop thread before it is handed over (as capture
 * does when the driver is short of buffers), then ("ref_") with frames
 * handed over by reference (as capture lends the device's buffers).  With PPM it first writes the same picture as
 * RGB, so that tjbench can compress the very same frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <turbojpeg.h>

#include "encoder.h"
#include "frame.h"
#include "pattern.h"
#include "planes.h"

#define RING_MAX 16

struct pool_run {
	struct event_base *base;
	struct encoder *enc;
	struct frame *raw;
	struct frame *next; /* copied in advance */
	int copy;
	struct frame *ring[RING_MAX];
	unsigned int k;
	struct frame_pool *pool;
	uint64_t seq;
	int quality;
	unsigned int workers;
	uint64_t done;
	double t_end;
};

/* Seconds, monotonic. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This thread's CPU seconds. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process's CPU seconds, every thread. */
static double
proc_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A byte. */
static uint8_t
clamp8(double v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)(v + 0.5);
}

/* The YUYV frame as RGB (BT.601, limited range), for tjbench. */
static int
write_ppm(const struct frame *f, const char *path)
{
	FILE *fp = fopen(path, "wb");
	unsigned int x, y;
	const uint8_t *p;
	double Y, U, V;

	if (fp == NULL)
		return -1;
	fprintf(fp, "P6\n%u %u\n255\n", f->width, f->height);
	for (y = 0; y < f->height; y++)
		for (x = 0; x < f->width; x++) {
			p = f->data + (size_t)y * f->stride + (x & ~1u) * 2;
			Y = (p[(x & 1) * 2] - 16) * 255.0 / 219.0;
			U = (p[1] - 128) * 255.0 / 224.0;
			V = (p[3] - 128) * 255.0 / 224.0;
			fputc(clamp8(Y + 1.402 * V), fp);
			fputc(clamp8(Y - 0.344136 * U - 0.714136 * V), fp);
			fputc(clamp8(Y + 1.772 * U), fp);
		}
	return fclose(fp);
}

/* A copy of the frame, as the capture loop makes of each device buffer. */
static struct frame *
copy_frame(struct pool_run *r)
{
	struct frame *f = frame_pool_get(r->pool, r->raw->len);

	memcpy(f->data, r->raw->data, r->raw->len);
	f->len = r->raw->len;
	f->format = r->raw->format;
	f->width = r->raw->width;
	f->height = r->raw->height;
	f->stride = r->raw->stride;
	return f;
}

#define RING RING_MAX

/*
 * Hand the pool its next frame.  copy: the frame copied in advance, then
 * the next copy is made, as a source that captures faster than the pool
 * encodes (its next frame is always there, and the copy costs the loop
 * thread its time).  Otherwise a frame from a ring, handed over by
 * reference as capture lends a device buffer.
 */
static void
submit(struct pool_run *r)
{
	struct frame *f = r->next;
	unsigned int j;

	f->seq = ++r->seq;
	encoder_submit(r->enc, f, r->quality);
	frame_unref(f);
	if (r->copy) {
		r->next = copy_frame(r);
		return;
	}
	/* a ring frame nobody else holds (RING > workers + 1 are busy) */
	for (j = 0; j < RING; j++, r->k = (r->k + 1) % RING)
		if (atomic_load(&r->ring[r->k]->refs) == 1)
			break;
	r->next = r->ring[r->k];
	frame_ref(r->next);
	r->k = (r->k + 1) % RING;
}

/* Keep every worker busy and the waiting slot filled until the time is
 * up. */
static void
refill(struct pool_run *r)
{
	if (now() >= r->t_end) {
		event_base_loopbreak(r->base);
		return;
	}
	while (encoder_busy(r->enc) <= r->workers)
		submit(r);
}

/* A result is back. */
static void
done_cb(struct frame *jpeg, void *arg)
{
	struct pool_run *r = arg;

	frame_unref(jpeg);
	r->done++;
	refill(r);
}

/*
 * The capture side, polled every 250 us: results dropped as stale (older
 * than one delivered) come back through no callback, so refilling on
 * results alone would leave workers idle, which a real source (new frames
 * at its own rate, whatever the pool does) does not.
 */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	refill(arg);
}

/* Run the pool for secs and print its figures, prefixed "ref_" when the
 * frames go by reference. */
static int
pool_run(struct frame *raw, int quality, unsigned int workers, double secs,
    int copy, double mpix)
{
	const struct timeval tick_tv = {0, 250};
	struct encoder_stats st;
	struct pool_run pr;
	struct event *tick;
	const char *pre = copy ? "" : "ref_";
	double t0, t, c0, c;
	uint64_t n;
	unsigned int i;

	memset(&pr, 0, sizeof(pr));
	pr.base = event_base_new();
	pr.raw = raw;
	pr.quality = quality;
	pr.workers = workers;
	pr.copy = copy;
	if (encoder_new(pr.base, workers, done_cb, &pr, &pr.enc) < 0)
		return -1;
	pr.pool = frame_pool_new(RING + 2);
	for (i = 0; i < RING && !copy; i++)
		pr.ring[i] = copy_frame(&pr);
	pr.next = copy_frame(&pr);
	tick = event_new(pr.base, -1, EV_PERSIST, tick_cb, &pr);
	event_add(tick, &tick_tv);
	t0 = now();
	c0 = proc_cpu_now();
	pr.t_end = t0 + secs;
	refill(&pr);
	event_base_dispatch(pr.base);
	t = now();
	c = proc_cpu_now();
	event_free(tick);
	encoder_get_stats(pr.enc, &st);
	n = st.encoded + st.dropped_stale;
	printf(
	    "%sworkers=%u %spool_fps=%.1f %spool_mpix=%.1f %sdelivered_fps=%.1f %scpu_ms_per_frame=%.2f %sproc_cores=%.2f %sworker_cores=%.2f\n",
	    pre, workers, pre, n / (t - t0), pre, n * mpix / (t - t0), pre,
	    st.encoded / (t - t0), pre, n ? st.encode_us / 1000.0 / n : 0.0,
	    pre, (c - c0) / (t - t0), pre, st.encode_us / 1e6 / (t - t0));
	encoder_free(pr.enc);
	frame_unref(pr.next);
	for (i = 0; i < RING; i++)
		frame_unref(pr.ring[i]);
	event_base_free(pr.base);
	frame_pool_free(pr.pool);
	return 0;
}

/*
 * encoder_compress() frames a second, the best of 5 rounds of secs / 5: on
 * a shared machine the least disturbed round is the closest to the truth.
 * *ret_n: frames in all rounds.
 */
static double
best_fps(struct encoder_ctx *ctx, const struct frame *raw, int quality,
    struct frame *out, double secs, uint64_t *ret_n)
{
	double best = 0, t0, t;
	uint64_t n;
	int round;

	*ret_n = 0;
	for (round = 0; round < 5; round++) {
		t0 = now();
		for (n = 0; (t = now()) - t0 < secs / 5; n++)
			encoder_compress(ctx, raw, quality, out);
		if (n / (t - t0) > best)
			best = n / (t - t0);
		*ret_n += n;
	}
	return best;
}

int
main(int argc, char **argv)
{
	struct pattern *pat;
	struct encoder_ctx *ctx;
	struct frame *raw, *out;
	struct planes pl;
	tjhandle tj;
	unsigned int w, h, workers, i;
	int quality;
	double secs, t0, t, mpix, best, c0, c1;
	int round;
	uint64_t ntot;
	uint64_t n;
	const unsigned char *planes[3];
	int strides[3];
	unsigned char *dst;
	unsigned long size;

	if (argc < 6) {
		fprintf(stderr,
		    "usage: capd-encbench WIDTH HEIGHT QUALITY SECONDS WORKERS [PPM]\n");
		return 2;
	}
	w = (unsigned int)atoi(argv[1]);
	h = (unsigned int)atoi(argv[2]);
	quality = atoi(argv[3]);
	secs = atof(argv[4]);
	workers = (unsigned int)atoi(argv[5]);
	if (pattern_new(w, h, &pat) < 0 || encoder_ctx_new(&ctx) < 0)
		return 1;
	raw = frame_new((size_t)w * h * 2);
	raw->format = FRAME_YUYV;
	raw->width = w;
	raw->height = h;
	raw->stride = w * 2;
	raw->len = (size_t)w * h * 2;
	pattern_render(pat, 123456, 0, raw->data, raw->stride);
	if (argc > 6 && write_ppm(raw, argv[6]) != 0)
		return 1;
	mpix = (double)w * h / 1e6;
	out = frame_new(encoder_max_size(raw));
	printf("size=%ux%u quality=%d subsamp=422\n", w, h, quality);
	if (workers > 0) {
		/* the worker pool, kept full: with the loop's copy, then
		 * alone */
		if (pool_run(raw, quality, workers, secs / 2, 1, mpix) < 0 ||
		    pool_run(raw, quality, workers, secs / 2, 0, mpix) < 0)
			return 1;
		goto out;
	}

	/* one thread, the whole per-frame path */
	for (i = 0; i < 5; i++)
		encoder_compress(ctx, raw, quality, out);
	/* CPU time says the same per core */
	c0 = cpu_now();
	best = best_fps(ctx, raw, quality, out, secs, &ntot);
	c1 = cpu_now();
	printf("jpeg_bytes=%zu\n", out->len);
	printf("single_fps=%.1f single_mpix=%.1f cpu_fps=%.1f cpu_mpix=%.1f\n",
	    best, best * mpix, ntot / (c1 - c0), ntot * mpix / (c1 - c0));

	/* the same frame said to be BT.709, as HD sources send it: converted
	 * to BT.601 on the way */
	raw->bt709 = 1;
	best = best_fps(ctx, raw, quality, out, secs, &ntot);
	raw->bt709 = 0;
	printf("bt709_fps=%.1f bt709_mpix=%.1f\n", best, best * mpix);

	/* compression alone, from planes split once */
	memset(&pl, 0, sizeof(pl));
	planes_from_frame(&pl, raw);
	tj = tjInitCompress();
	planes[0] = pl.y;
	planes[1] = pl.cb;
	planes[2] = pl.cr;
	strides[0] = pl.y_stride;
	strides[1] = strides[2] = pl.c_stride;
	best = 0;
	for (round = 0; round < 5; round++) {
		t0 = now();
		for (n = 0; (t = now()) - t0 < secs / 5; n++) {
			dst = out->data;
			size = out->cap;
			tjCompressFromYUVPlanes(tj, planes, (int)w, strides,
			    (int)h, TJSAMP_422, &dst, &size, quality,
			    TJFLAG_NOREALLOC);
		}
		if (n / (t - t0) > best)
			best = n / (t - t0);
	}
	printf("compress_only_fps=%.1f compress_only_mpix=%.1f\n", best,
	    best * mpix);
	/* the split alone, a band at a time as the encoder does it */
	planes_prepare(&pl, raw, 0);
	c0 = cpu_now();
	for (n = 0; cpu_now() - c0 < secs / 5; n++)
		for (i = 0; i < h; i += pl.rows)
			planes_split(&pl, raw, i);
	printf("split_ms=%.3f\n", (cpu_now() - c0) * 1000 / n);
	tjDestroy(tj);
	planes_free(&pl);
out:
	frame_unref(raw);
	frame_unref(out);
	encoder_ctx_free(ctx);
	pattern_free(pat);
	return 0;
}
