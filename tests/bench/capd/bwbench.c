/*
 * bwbench.c -- the frames and MJPEG of tests/bench/capd-bw-bench.
 *
 *	capd-bwbench raw bars|console WIDTH HEIGHT FIRST N OUT.yuv
 *	capd-bwbench jpeg WIDTH HEIGHT QUALITY 422|420 IN.yuv OUT.mjpeg
 *	capd-bwbench h264 WIDTH HEIGHT KBITS IN.yuv OUT.264
 *
 * "raw" appends frames FIRST .. FIRST + N - 1 of the test pattern (YUYV,
 * limited range, as capd renders them) to OUT.yuv; "jpeg" compresses each
 * frame of IN.yuv the way a capd worker does (encoder_compress()) and
 * writes the JPEGs one after another, which ffmpeg reads as MJPEG.  Prints
 * frames=N bytes=TOTAL.  "h264" encodes each frame of IN.yuv with capd's
 * openh264 backend (h264_openh264, the stage's encoder) at KBITS kbit/s,
 * 30 fps, capd's default keyframe interval, and writes the access units as
 * one Annex-B stream; it adds the CPU time of the thread (user + system,
 * getrusage RUSAGE_THREAD) per frame: conv_us for capd's YUYV to I420
 * alone, enc_us for the backend's whole encode (that conversion and
 * openh264's EncodeFrame).
 */
#include <sys/resource.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "frame.h"
#include "h264.h"
#include "pattern.h"
#include "planes.h"

/* A YUYV frame of w x h. */
static struct frame *
raw_frame(unsigned int w, unsigned int h)
{
	struct frame *f = frame_new((size_t)w * h * 2);

	f->format = FRAME_YUYV;
	f->width = w;
	f->height = h;
	f->stride = w * 2;
	f->len = (size_t)w * h * 2;
	return f;
}

/* Render frames first .. first + n - 1 onto out. */
static int
bw_raw(const char *mode_name, unsigned int w, unsigned int h,
    unsigned long first, unsigned long n, const char *path)
{
	struct pattern *pat;
	struct frame *f;
	unsigned long i;
	int mode;
	FILE *out;

	if (pattern_mode_parse(mode_name, &mode) < 0 ||
	    pattern_new(w, h, &pat) < 0 || (out = fopen(path, "ab")) == NULL)
		return 1;
	pattern_set_mode(pat, mode);
	f = raw_frame(w, h);
	for (i = 0; i < n; i++) {
		/* the bars' clock fixed: the same frames every run */
		pattern_render(pat, first + i, (int64_t)(first + i) * 33333,
		    f->data, f->stride);
		if (fwrite(f->data, 1, f->len, out) != f->len)
			return 1;
	}
	printf("frames=%lu bytes=%lu\n", n, n * (unsigned long)f->len);
	frame_unref(f);
	pattern_free(pat);
	return fclose(out) != 0;
}

/* Compress every frame of in into out. */
static int
bw_jpeg(unsigned int w, unsigned int h, int quality, int sub,
    const char *in_path, const char *out_path)
{
	struct encoder_ctx *ctx;
	struct frame *f, *jpeg;
	unsigned long n = 0, total = 0;
	FILE *in, *out;

	if (encoder_ctx_new(&ctx) < 0 || (in = fopen(in_path, "rb")) == NULL ||
	    (out = fopen(out_path, "wb")) == NULL)
		return 1;
	encoder_ctx_set_subsamp(ctx, sub == 420 ? PLANES_420 : PLANES_422);
	f = raw_frame(w, h);
	jpeg = frame_new(encoder_max_size(f));
	while (fread(f->data, 1, f->len, in) == f->len) {
		if (encoder_compress(ctx, f, quality, jpeg) < 0 ||
		    fwrite(jpeg->data, 1, jpeg->len, out) != jpeg->len)
			return 1;
		total += jpeg->len;
		n++;
	}
	printf("frames=%lu bytes=%lu\n", n, total);
	frame_unref(f);
	frame_unref(jpeg);
	encoder_ctx_free(ctx);
	fclose(in);
	return fclose(out) != 0;
}

/* CPU time of this thread so far, microseconds. */
static int64_t
cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* The conversion alone, on every frame, for the CPU it costs. */
static int64_t
bw_conv_us(const struct frame *f, uint8_t *i420)
{
	int64_t t0 = cpu_us();

	if (h264_to_i420(f, i420) < 0)
		return -1;
	return cpu_us() - t0;
}

/* Encode every frame of in into out with capd's openh264 backend. */
static int
bw_h264(unsigned int w, unsigned int h, unsigned int kbits, const char *in_path,
    const char *out_path)
{
	const struct h264_backend *be = &h264_openh264;
	struct h264_open o = {w, h, FRAME_YUYV, 0, 0, {kbits, 300, 30}};
	struct frame *f, *au;
	unsigned long n = 0, total = 0, keys = 0;
	int64_t conv = 0, enc = 0, t0;
	uint8_t *i420;
	FILE *in, *out;
	void *c;

	if (be->open(&o, &c) < 0 || (in = fopen(in_path, "rb")) == NULL ||
	    (out = fopen(out_path, "wb")) == NULL)
		return 1;
	f = raw_frame(w, h);
	au = frame_new((size_t)w * h);
	i420 = malloc((size_t)w * h * 3 / 2);
	while (fread(f->data, 1, f->len, in) == f->len) {
		f->mono_us = (int64_t)n * 33333;
		conv += bw_conv_us(f, i420);
		t0 = cpu_us();
		if (be->encode(c, f, &au) < 0)
			return 1;
		enc += cpu_us() - t0;
		if (fwrite(au->data, 1, au->len, out) != au->len)
			return 1;
		total += au->len;
		keys += au->keyframe != 0;
		n++;
	}
	printf("frames=%lu bytes=%lu keyframes=%lu conv_us=%.0f enc_us=%.0f\n",
	    n, total, keys, n ? (double)conv / n : 0, n ? (double)enc / n : 0);
	free(i420);
	frame_unref(f);
	frame_unref(au);
	be->free(c);
	fclose(in);
	return fclose(out) != 0;
}

int
main(int argc, char **argv)
{
	if (argc == 8 && strcmp(argv[1], "raw") == 0)
		return bw_raw(argv[2], (unsigned int)atoi(argv[3]),
		    (unsigned int)atoi(argv[4]), strtoul(argv[5], NULL, 10),
		    strtoul(argv[6], NULL, 10), argv[7]);
	if (argc == 8 && strcmp(argv[1], "jpeg") == 0)
		return bw_jpeg((unsigned int)atoi(argv[2]),
		    (unsigned int)atoi(argv[3]), atoi(argv[4]), atoi(argv[5]),
		    argv[6], argv[7]);
	if (argc == 7 && strcmp(argv[1], "h264") == 0)
		return bw_h264((unsigned int)atoi(argv[2]),
		    (unsigned int)atoi(argv[3]), (unsigned int)atoi(argv[4]),
		    argv[5], argv[6]);
	fprintf(stderr,
	    "usage: capd-bwbench raw bars|console WIDTH HEIGHT FIRST N OUT.yuv\n"
	    "       capd-bwbench jpeg WIDTH HEIGHT QUALITY 422|420 IN.yuv OUT.mjpeg\n"
	    "       capd-bwbench h264 WIDTH HEIGHT KBITS IN.yuv OUT.264\n");
	return 2;
}
