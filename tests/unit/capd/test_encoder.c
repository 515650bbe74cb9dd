/*
 * test_encoder.c -- colours survive encoding; the worker pool delivers in
 * capture order and never queues more than one waiting frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <turbojpeg.h>

#include "encoder.h"
#include "frame.h"
#include "pattern.h"
#include "planes.h"
#include "pattern_read.h"
#include "tap.h"

struct got {
	struct event_base *base;
	uint64_t seqs[64];
	int n, ordered, want;
};

/* Collects delivered frames; stops the loop after want of them. */
static void
done_cb(struct frame *jpeg, void *arg)
{
	struct got *g = arg;

	if (g->n > 0 && jpeg->seq <= g->seqs[g->n - 1])
		g->ordered = 0;
	if (g->n < 64)
		g->seqs[g->n++] = jpeg->seq;
	frame_unref(jpeg);
	if (g->n >= g->want)
		event_base_loopbreak(g->base);
}

/* A rendered pattern frame. */
static struct frame *
pattern_frame(struct pattern *p, enum frame_format fmt, uint64_t seq)
{
	const struct pattern_layout *l = pattern_layout(p);
	struct frame *f;
	size_t i;
	uint8_t t;

	f = frame_new((size_t)l->width * l->height * 2);
	f->format = fmt;
	f->width = l->width;
	f->height = l->height;
	f->stride = l->width * 2;
	f->len = (size_t)f->stride * l->height;
	f->seq = seq;
	pattern_render(p, seq, 0, f->data, f->stride);
	if (fmt == FRAME_UYVY)
		for (i = 0; i < f->len; i += 2) {
			t = f->data[i];
			f->data[i] = f->data[i + 1];
			f->data[i + 1] = t;
		}
	return f;
}

/* Encode, decode, compare bars and counter. */
static void
check_colours(struct encoder_ctx *ctx, unsigned int w, unsigned int h,
    enum frame_format fmt, int quality)
{
	struct pattern *p;
	struct frame *raw, *jpg;
	struct decoded d;
	unsigned int bar;
	int got[3], err, worst = 0;

	if (pattern_new(w, h, &p) != 0) {
		ok(0, "pattern %ux%u", w, h);
		return;
	}
	raw = pattern_frame(p, fmt, 0xa5c3f00fu);
	jpg = frame_new(encoder_max_size(raw));
	is_int(encoder_compress(ctx, raw, quality, jpg), 0,
	    "%ux%u %s q%d encodes", w, h, frame_format_name(fmt), quality);
	ok(decoded_load(jpg->data, jpg->len, &d) == 0 && d.width == (int)w &&
		d.height == (int)h,
	    "decodes at %ux%u", w, h);
	for (bar = 0; bar < PATTERN_BARS && d.rgb; bar++) {
		err = decoded_bar_error(&d, pattern_layout(p), bar, got);
		if (err > worst)
			worst = err;
		if (err > 8)
			diag("bar %u: got %d,%d,%d", bar, got[0], got[1],
			    got[2]);
	}
	ok(d.rgb && worst <= 8,
	    "all 8 bars within 8/255 of their colour (worst %d)", worst);
	if (d.rgb)
		is_int(decoded_counter(&d, pattern_layout(p)), 0xa5c3f00fu,
		    "the frame counter reads back");
	free(d.rgb);
	frame_unref(raw);
	frame_unref(jpg);
	pattern_free(p);
}

/* What check_same_as_turbojpeg() asks of packed frames, as the ctx is
 * set. */
static int ref_subsamp = PLANES_422;

/*
 * The banded encoder gives the very bytes TurboJPEG gives from the
 * whole-frame planes (YUV) or from the pixels (RGB): same header, tables,
 * DCT and entropy coding, nothing lost at partial MCUs.
 */
static void
check_same_as_turbojpeg(
    struct encoder_ctx *ctx, struct frame *raw, int quality, const char *what)
{
	struct frame *ours = frame_new(encoder_max_size(raw));
	struct frame *ref = frame_new(encoder_max_size(raw));
	const unsigned char *pl[3];
	unsigned char *dst = ref->data;
	unsigned long size = ref->cap;
	struct planes p;
	tjhandle tj = tjInitCompress();
	int strides[3], r;

	memset(&p, 0, sizeof(p));
	if (raw->format == FRAME_RGB24 || raw->format == FRAME_BGR24) {
		r = tjCompress2(tj, raw->data, (int)raw->width,
		    (int)raw->stride, (int)raw->height,
		    raw->format == FRAME_RGB24 ? TJPF_RGB : TJPF_BGR, &dst,
		    &size, TJSAMP_422, quality, TJFLAG_NOREALLOC);
	} else if ((r = planes_prepare_as(&p, raw, 1, ref_subsamp)) == 0) {
		planes_split(&p, raw, 0);
		pl[0] = p.y;
		pl[1] = p.cb;
		pl[2] = p.cr;
		strides[0] = p.y_stride;
		strides[1] = strides[2] = p.c_stride;
		r = tjCompressFromYUVPlanes(tj, pl, (int)raw->width, strides,
		    (int)raw->height,
		    p.subsamp == PLANES_420 ? TJSAMP_420 : TJSAMP_422, &dst,
		    &size, quality, TJFLAG_NOREALLOC);
	}
	is_int(encoder_compress(ctx, raw, quality, ours), 0, "%s q%d encodes",
	    what, quality);
	ok(r == 0 && ours->len == size && !memcmp(ours->data, ref->data, size),
	    "%s q%d: the same %lu bytes as TurboJPEG (ours %zu)", what, quality,
	    size, ours->len);
	tjDestroy(tj);
	planes_free(&p);
	frame_unref(ours);
	frame_unref(ref);
}

/* A frame of noise-like bytes. */
static struct frame *
noise_frame(enum frame_format fmt, unsigned int w, unsigned int h,
    unsigned int stride, size_t len)
{
	struct frame *f = frame_new(len);
	size_t i;

	for (i = 0; i < len; i++)
		f->data[i] = (uint8_t)((i * 2654435761u) >> 13);
	f->format = fmt;
	f->width = w;
	f->height = h;
	f->stride = stride;
	f->len = len;
	return f;
}

/* Colours survive the encoder; a pattern of odd width is refused. */
static void
test_colours(struct encoder_ctx *ctx)
{
	struct pattern *p;

	check_colours(ctx, 640, 480, FRAME_YUYV, 90);
	check_colours(ctx, 1280, 720, FRAME_YUYV, 80);
	check_colours(ctx, 320, 240, FRAME_UYVY, 90);
	check_colours(ctx, 160, 120, FRAME_YUYV, 95);
	is_int(pattern_new(161, 120, &p), -EINVAL, "odd width refused");
}

/* Byte for byte what TurboJPEG makes, for every format and odd sizes. */
static void
test_same_as_turbojpeg(struct encoder_ctx *ctx)
{
	struct pattern *p;
	struct frame *raw;

	/* byte for byte what TurboJPEG makes, at every quality band */
	if (pattern_new(1280, 720, &p) == 0) {
		raw = pattern_frame(p, FRAME_YUYV, 7);
		check_same_as_turbojpeg(ctx, raw, 80, "1280x720 YUYV pattern");
		check_same_as_turbojpeg(ctx, raw, 96, "1280x720 YUYV pattern");
		raw->bt709 = 1;
		check_same_as_turbojpeg(ctx, raw, 30, "1280x720 YUYV BT.709");
		frame_unref(raw);
		pattern_free(p);
	}
	raw = noise_frame(FRAME_YUYV, 38, 21, 80, 80 * 21);
	check_same_as_turbojpeg(ctx, raw, 75, "38x21 YUYV (partial MCUs)");
	check_same_as_turbojpeg(ctx, raw, 100, "38x21 YUYV (partial MCUs)");
	raw->format = FRAME_UYVY;
	raw->full_range = 1;
	check_same_as_turbojpeg(ctx, raw, 1, "38x21 UYVY full range");
	frame_unref(raw);
	raw = noise_frame(FRAME_NV12, 38, 22, 40, 40 * 33);
	check_same_as_turbojpeg(ctx, raw, 85, "38x22 NV12 (partial MCUs)");
	raw->bt709 = 1;
	check_same_as_turbojpeg(ctx, raw, 97, "38x22 NV12 BT.709");
	frame_unref(raw);
	raw = noise_frame(FRAME_RGB24, 37, 19, 120, 120 * 19);
	check_same_as_turbojpeg(ctx, raw, 80, "37x19 RGB24");
	raw->format = FRAME_BGR24;
	check_same_as_turbojpeg(ctx, raw, 99, "37x19 BGR24");
	frame_unref(raw);
	/* packed 4:2:2 compressed as 4:2:0 (subsampling 420) */
	ref_subsamp = PLANES_420;
	encoder_ctx_set_subsamp(ctx, PLANES_420);
	raw = noise_frame(FRAME_YUYV, 38, 37, 80, 80 * 37);
	check_same_as_turbojpeg(ctx, raw, 75, "38x37 YUYV as 4:2:0");
	raw->format = FRAME_UYVY;
	raw->bt709 = 1;
	check_same_as_turbojpeg(ctx, raw, 90, "38x37 UYVY BT.709 as 4:2:0");
	frame_unref(raw);
	encoder_ctx_set_subsamp(ctx, PLANES_422);
	ref_subsamp = PLANES_422;
}

/* NV12 grey, limited range, decodes as mid grey. */
static void
test_nv12_grey(struct encoder_ctx *ctx)
{
	struct frame *jpg, *nv;
	struct decoded d;
	int px[3];

	/* NV12 grey, limited range: mid grey decodes as mid grey */
	nv = frame_new(64 * 64 * 3 / 2);
	nv->format = FRAME_NV12;
	nv->width = nv->height = 64;
	nv->stride = 64;
	nv->len = 64 * 64 * 3 / 2;
	memset(nv->data, 126, 64 * 64);
	memset(nv->data + 64 * 64, 128, 64 * 32);
	jpg = frame_new(encoder_max_size(nv));
	is_int(encoder_compress(ctx, nv, 90, jpg), 0, "NV12 encodes");
	ok(decoded_load(jpg->data, jpg->len, &d) == 0, "NV12 decodes");
	decoded_sample(&d, 32, 32, 2, px);
	ok(abs(px[0] - 128) <= 2 && abs(px[1] - 128) <= 2 &&
		abs(px[2] - 128) <= 2,
	    "limited-range grey 126 decodes as 128 (%d,%d,%d)", px[0], px[1],
	    px[2]);
	free(d.rgb);
	frame_unref(nv);
	frame_unref(jpg);
}

/* An RGB24 frame keeps its red; a JPEG frame is not encoded again. */
static void
test_rgb24(struct encoder_ctx *ctx)
{
	struct frame *jpg, *nv;
	struct decoded d;
	int i, px[3];

	/* RGB24 frame: red stays red */
	nv = frame_new(32 * 32 * 3);
	nv->format = FRAME_RGB24;
	nv->width = nv->height = 32;
	nv->stride = 96;
	nv->len = 32 * 96;
	for (i = 0; i < 32 * 32; i++)
		memcpy(nv->data + i * 3, "\xff\x00\x00", 3);
	jpg = frame_new(encoder_max_size(nv));
	is_int(encoder_compress(ctx, nv, 90, jpg), 0, "RGB24 encodes");
	ok(decoded_load(jpg->data, jpg->len, &d) == 0, "RGB24 decodes");
	decoded_sample(&d, 16, 16, 2, px);
	ok(px[0] > 240 && px[1] < 15 && px[2] < 15, "red is red");
	free(d.rgb);
	frame_unref(jpg);
	nv->format = FRAME_JPEG;
	jpg = frame_new(1 << 16);
	is_int(encoder_compress(ctx, nv, 90, jpg), -EINVAL,
	    "a JPEG frame is not encoded again");
	frame_unref(jpg);
	frame_unref(nv);
}

/* BT.709 red as YUYV and as NV12: red once converted, duller before. */
static void
test_bt709_red(struct encoder_ctx *ctx)
{
	struct frame *jpg, *nv;
	struct decoded d;
	int i, px[3];

	/* BT.709 (HD) red, limited range: red once converted, not before */
	for (i = 0; i < 2; i++) {
		nv = frame_new(64 * 32 * 2);
		nv->format = FRAME_YUYV;
		nv->width = 64;
		nv->height = 32;
		nv->stride = 128;
		nv->len = 64 * 32 * 2;
		nv->bt709 = i;
		for (size_t k = 0; k < nv->len; k += 4)
			memcpy(nv->data + k, "\x3f\x66\x3f\xf0", 4);
		jpg = frame_new(encoder_max_size(nv));
		encoder_compress(ctx, nv, 95, jpg);
		ok(decoded_load(jpg->data, jpg->len, &d) == 0, "709 decodes");
		decoded_sample(&d, 32, 16, 2, px);
		if (i == 1)
			ok(px[0] >= 247 && px[1] <= 8 && px[2] <= 8,
			    "BT.709 red converted decodes as red (%d,%d,%d)",
			    px[0], px[1], px[2]);
		else
			ok(px[0] < 240,
			    "read as BT.601 it is a duller red (%d,%d,%d): the conversion matters",
			    px[0], px[1], px[2]);
		free(d.rgb);
		frame_unref(nv);
		frame_unref(jpg);
	}

	/* the same red as NV12 (4:2:0) */
	for (i = 0; i < 2; i++) {
		nv = frame_new(64 * 32 * 3 / 2);
		nv->format = FRAME_NV12;
		nv->width = 64;
		nv->height = 32;
		nv->stride = 64;
		nv->len = 64 * 32 * 3 / 2;
		nv->bt709 = i;
		memset(nv->data, 0x3f, 64 * 32);
		for (size_t k = 64 * 32; k < nv->len; k += 2)
			memcpy(nv->data + k, "\x66\xf0", 2);
		jpg = frame_new(encoder_max_size(nv));
		encoder_compress(ctx, nv, 95, jpg);
		ok(decoded_load(jpg->data, jpg->len, &d) == 0,
		    "NV12 709 decodes");
		decoded_sample(&d, 32, 16, 2, px);
		if (i == 1)
			ok(px[0] >= 247 && px[1] <= 8 && px[2] <= 8,
			    "NV12 BT.709 red converted decodes as red (%d,%d,%d)",
			    px[0], px[1], px[2]);
		else
			ok(px[0] < 240,
			    "NV12 read as BT.601 is a duller red (%d,%d,%d)",
			    px[0], px[1], px[2]);
		free(d.rgb);
		frame_unref(nv);
		frame_unref(jpg);
	}
}

/*
 * The worker pool: capture order, the newest frame, drops counted.  Fails
 * (1) when no pattern can be made.
 */
static int
test_pool(void)
{
	struct encoder *enc;
	struct encoder_stats st;
	struct pattern *p;
	struct frame *raw;
	struct got g;
	int i;

	/* the worker pool */
	memset(&g, 0, sizeof(g));
	g.base = event_base_new();
	g.ordered = 1;
	/* 1080p: a frame takes the workers milliseconds, the burst of 20 takes
	 * microseconds, so frames must wait even on a loaded machine */
	if (pattern_new(1920, 1080, &p) != 0)
		return 1;
	is_int(encoder_new(g.base, 2, done_cb, &g, &enc), 0, "2 workers start");
	for (i = 1; i <= 20; i++) {
		raw = pattern_frame(p, FRAME_YUYV, (uint64_t)i);
		encoder_submit(enc, raw, 80);
		frame_unref(raw); /* the encoder holds its own */
	}
	/* run the loop until the pool is idle (bounded) */
	for (i = 0; i < 100 && (encoder_busy(enc) > 0 || g.n == 0); i++) {
		struct timeval tv = {0, 50000};

		g.want = 1000;
		event_base_loopexit(g.base, &tv);
		event_base_dispatch(g.base);
	}
	event_base_loop(g.base, EVLOOP_NONBLOCK);
	encoder_get_stats(enc, &st);
	ok(g.ordered, "results arrive in capture order (%d delivered)", g.n);
	is_int(g.seqs[g.n - 1], 20, "the newest frame is always delivered");
	is_int(st.submitted, 20, "20 submitted");
	is_int(st.encoded + st.dropped_busy + st.dropped_stale + st.errors, 20,
	    "every frame is delivered or counted as dropped (%llu encoded, "
	    "%llu replaced, %llu stale)",
	    (unsigned long long)st.encoded, (unsigned long long)st.dropped_busy,
	    (unsigned long long)st.dropped_stale);
	ok(st.dropped_busy > 0,
	    "a burst drops waiting frames, never queues them");
	encoder_free(enc);
	encoder_free(NULL);
	pattern_free(p);
	event_base_free(g.base);
	return 0;
}

int
main(void)
{
	struct encoder_ctx *ctx;

	if (encoder_ctx_new(&ctx) != 0)
		return 1;
	test_colours(ctx);
	test_same_as_turbojpeg(ctx);
	test_nv12_grey(ctx);
	test_rgb24(ctx);
	test_bt709_red(ctx);
	if (test_pool() != 0)
		return 1;
	encoder_ctx_free(ctx);
	return tap_done();
}
