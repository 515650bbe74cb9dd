/*
 * encbench.c -- capd's encoder throughput on test-pattern frames.
 *
 *	capd-encbench WIDTH HEIGHT QUALITY SECONDS WORKERS [PPM]
 *
 * Prints key=value lines: the single-thread figure of encoder_compress()
 * (YUYV split into planes + tjCompressFromYUVPlanes, what a worker does per
 * frame) and of the compression alone, then the worker pool with WORKERS
 * threads.  With PPM it first writes the same picture as RGB, so that
 * tjbench can compress the very same frame.
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

struct pool_run {
	struct event_base *base;
	struct encoder *enc;
	struct frame *raw;
	struct frame_pool *pool;
	uint64_t seq;
	int quality;
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

/* Hand the pool a copy of the frame, as the capture loop does. */
static void
submit(struct pool_run *r)
{
	struct frame *f = frame_pool_get(r->pool, r->raw->len);

	memcpy(f->data, r->raw->data, r->raw->len);
	f->len = r->raw->len;
	f->format = r->raw->format;
	f->width = r->raw->width;
	f->height = r->raw->height;
	f->stride = r->raw->stride;
	f->seq = ++r->seq;
	encoder_submit(r->enc, f, r->quality);
	frame_unref(f);
}

/* A result is back: keep the pool full until the time is up. */
static void
done_cb(struct frame *jpeg, void *arg)
{
	struct pool_run *r = arg;

	frame_unref(jpeg);
	r->done++;
	if (now() >= r->t_end) {
		event_base_loopbreak(r->base);
		return;
	}
	submit(r);
}

int
main(int argc, char **argv)
{
	struct pattern *pat;
	struct encoder_ctx *ctx;
	struct encoder_stats st;
	struct frame *raw, *out;
	struct planes pl;
	struct pool_run pr;
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
		    "usage: capd-encbench WIDTH HEIGHT QUALITY "
		    "SECONDS WORKERS [PPM]\n");
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

	/* one thread, the whole per-frame path */
	for (i = 0; i < 5; i++)
		encoder_compress(ctx, raw, quality, out);
	/* best of 5 rounds: on a shared machine the least disturbed one is
	 * the closest to the truth; CPU time says the same per core */
	best = 0;
	c0 = cpu_now();
	ntot = 0;
	for (round = 0; round < 5; round++) {
		t0 = now();
		for (n = 0; (t = now()) - t0 < secs / 5; n++)
			encoder_compress(ctx, raw, quality, out);
		if (n / (t - t0) > best)
			best = n / (t - t0);
		ntot += n;
	}
	c1 = cpu_now();
	printf("size=%ux%u quality=%d subsamp=422 jpeg_bytes=%zu\n", w, h,
	    quality, out->len);
	printf("single_fps=%.1f single_mpix=%.1f cpu_fps=%.1f cpu_mpix=%.1f\n",
	    best, best * mpix, ntot / (c1 - c0), ntot * mpix / (c1 - c0));

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
			    (int)h, pl.subsamp, &dst, &size, quality,
			    TJFLAG_NOREALLOC);
		}
		if (n / (t - t0) > best)
			best = n / (t - t0);
	}
	printf("compress_only_fps=%.1f compress_only_mpix=%.1f\n", best,
	    best * mpix);
	c0 = cpu_now();
	for (n = 0; cpu_now() - c0 < secs / 5; n++)
		planes_from_frame(&pl, raw);
	printf("split_ms=%.3f\n", (cpu_now() - c0) * 1000 / n);
	tjDestroy(tj);
	planes_free(&pl);

	/* the worker pool, kept full */
	memset(&pr, 0, sizeof(pr));
	pr.base = event_base_new();
	pr.raw = raw;
	pr.quality = quality;
	if (encoder_new(pr.base, workers, done_cb, &pr, &pr.enc) < 0)
		return 1;
	t0 = now();
	pr.t_end = t0 + secs;
	pr.pool = frame_pool_new(workers + 2);
	for (i = 0; i <= workers; i++)
		submit(&pr);
	event_base_dispatch(pr.base);
	t = now();
	encoder_get_stats(pr.enc, &st);
	n = st.encoded + st.dropped_stale;
	printf("workers=%u pool_fps=%.1f pool_mpix=%.1f delivered_fps=%.1f "
	       "cpu_ms_per_frame=%.2f\n",
	    workers, n / (t - t0), n * mpix / (t - t0), st.encoded / (t - t0),
	    n ? st.encode_us / 1000.0 / n : 0.0);
	encoder_free(pr.enc);
	event_base_free(pr.base);
	frame_pool_free(pr.pool);
	frame_unref(raw);
	frame_unref(out);
	encoder_ctx_free(ctx);
	pattern_free(pat);
	return 0;
}
