/*
 * test_h264.c -- raw frames to I420, the openh264 backend, the H.264 stage.
 *
 * The stream the backend writes is decoded by ffmpeg (libavcodec, a
 * decoder we did not write) and compared with the frames it came from.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "annexb.h"
#include "frame.h"
#include "h264.h"
#include "h264ws.h"
#include "pattern.h"
#include "pattern_frame.h"
#include "tap.h"

#define W 320
#define H 240

static const struct h264_params defaults = {
    .bitrate_kbps = 1000, .keyint = 60, .fps = 30};

/* Grain over the luma: a picture that takes all the bits it gets. */
static void
add_noise(struct frame *f, uint64_t n)
{
	uint32_t x = (uint32_t)n * 2654435761u + 1;
	size_t i;

	for (i = 0; i < f->len; i += 2) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		f->data[i] = (uint8_t)(f->data[i] / 2 + 60 + x % 12);
	}
}

/* YUYV, UYVY and NV12 of one 4x2 picture to the same I420 planes. */
static void
test_i420(void)
{
	static const uint8_t yuyv[16] = {10, 100, 20, 200, 30, 110, 40, 210, 50,
	    102, 60, 202, 70, 112, 80, 212};
	static const uint8_t want[12] = {
	    10, 20, 30, 40, 50, 60, 70, 80, 101, 111, 201, 211};
	uint8_t out[12];
	struct frame *f = frame_new(32);
	int i;

	f->format = FRAME_YUYV;
	f->width = 4;
	f->height = 2;
	f->stride = 8;
	f->len = 16;
	memcpy(f->data, yuyv, 16);
	ok(h264_to_i420(f, out) == 0 && !memcmp(out, want, 12),
	    "YUYV: luma copied, chroma of two rows averaged");
	for (i = 0; i < 16; i += 2) {
		f->data[i] = yuyv[i + 1];
		f->data[i + 1] = yuyv[i];
	}
	f->format = FRAME_UYVY;
	ok(h264_to_i420(f, out) == 0 && !memcmp(out, want, 12),
	    "UYVY: the same planes");
	f->format = FRAME_NV12;
	f->stride = 4;
	memcpy(f->data, want, 8);
	memcpy(f->data + 8, (const uint8_t[]){101, 201, 111, 211}, 4);
	f->len = 12;
	ok(h264_to_i420(f, out) == 0 && !memcmp(out, want, 12),
	    "NV12: chroma split");
	f->len = 11;
	ok(h264_to_i420(f, out) == -EINVAL, "short NV12 frame: -EINVAL");
	f->format = FRAME_RGB24;
	ok(h264_to_i420(f, out) == -EINVAL, "RGB24: -EINVAL");
	f->format = FRAME_YUYV;
	f->width = 3;
	ok(h264_to_i420(f, out) == -EINVAL, "odd width: -EINVAL");
	frame_unref(f);
}

/* PSNR of the luma of two I420 pictures. */
static double
psnr_luma(const uint8_t *a, const uint8_t *b, size_t n)
{
	double se = 0;
	size_t i;

	for (i = 0; i < n; i++)
		se += (double)(a[i] - b[i]) * (a[i] - b[i]);
	return se == 0 ? 99 : 10 * log10(255.0 * 255 * n / se);
}

/* ffmpeg decodes the stream in path; the lowest luma PSNR against src. */
static double
ffmpeg_psnr(const char *path, const uint8_t *src, int frames)
{
	size_t fs = (size_t)W * H * 3 / 2;
	uint8_t *dec = malloc(fs);
	double worst = 99, p;
	char cmd[512];
	FILE *in;
	int i;

	snprintf(cmd, sizeof(cmd),
	    "ffmpeg -v error -f h264 -i %s -f rawvideo -pix_fmt yuv420p -",
	    path);
	if ((in = popen(cmd, "r")) == NULL)
		return -1;
	for (i = 0; i < frames; i++) {
		if (fread(dec, 1, fs, in) != fs) {
			worst = -1;
			break;
		}
		p = psnr_luma(dec, src + (size_t)i * fs, (size_t)W * H);
		if (p < worst)
			worst = p;
	}
	if (pclose(in) != 0)
		worst = -1;
	free(dec);
	return worst;
}

/* Encode n frames from seq first; their bytes and AUs written to out. */
static size_t
encode_run(void *enc, struct pattern *pat, uint64_t first, int n, FILE *out,
    uint8_t *src, int *keys)
{
	int noisy = src == NULL && out == NULL;
	struct frame *au = frame_new(1024), *raw;
	size_t total = 0;
	int i;

	*keys = 0;
	for (i = 0; i < n; i++) {
		raw = pattern_frame(pat, first + (uint64_t)i);
		if (noisy)
			add_noise(raw, first + (uint64_t)i);
		if (src != NULL)
			h264_to_i420(raw, src + (size_t)i * W * H * 3 / 2);
		if (h264_openh264.encode(enc, raw, &au) < 0) {
			frame_unref(raw);
			break;
		}
		total += au->len;
		*keys += au->keyframe;
		if (out != NULL)
			fwrite(au->data, 1, au->len, out);
		frame_unref(raw);
	}
	frame_unref(au);
	return total;
}

/* The first access unit, a forced keyframe, and a P frame. */
static void
test_keyframes(void *enc, struct pattern *pat)
{
	struct frame *au = frame_new(16), *raw;
	struct annexb_info info;
	char codec[12] = "";

	raw = pattern_frame(pat, 0);
	ok(h264_openh264.encode(enc, raw, &au) == 0 && au->keyframe &&
		annexb_scan(au->data, au->len, &info) == 0 &&
		annexb_is_entry(&info),
	    "first access unit: IDR with SPS and PPS, its frame grown");
	annexb_codec(&info, codec);
	ok(info.profile == 66 && (info.constraints & 0x40),
	    "constrained baseline: %s", codec);
	frame_unref(raw);
	raw = pattern_frame(pat, 1);
	ok(h264_openh264.encode(enc, raw, &au) == 0 && !au->keyframe &&
		annexb_scan(au->data, au->len, &info) == 0 && !info.has_idr &&
		!info.has_sps && info.has_slice,
	    "second: a P slice, no parameter sets");
	frame_unref(raw);
	h264_openh264.force_keyframe(enc);
	raw = pattern_frame(pat, 2);
	ok(h264_openh264.encode(enc, raw, &au) == 0 && au->keyframe &&
		annexb_scan(au->data, au->len, &info) == 0 &&
		annexb_is_entry(&info),
	    "forced: IDR with SPS and PPS again");
	frame_unref(raw);
	frame_unref(au);
}

/* Decoded by ffmpeg, like the source; a bitrate change shows in size. */
static void
test_backend(void)
{
	struct h264_open o = {
	    .width = W, .height = H, .format = FRAME_YUYV, .params = defaults};
	char path[] = "/tmp/test-h264-XXXXXX";
	size_t fs = (size_t)W * H * 3 / 2, lo, hi;
	uint8_t *src = malloc(fs * 30);
	struct pattern *pat;
	void *enc;
	FILE *out;
	int fd, keys;
	double p;

	pattern_new(W, H, &pat);
	ok(h264_openh264.open(&o, &enc) == 0, "openh264 opens %dx%d", W, H);
	test_keyframes(enc, pat);
	h264_openh264.free(enc);

	h264_openh264.open(&o, &enc);
	fd = mkstemp(path);
	out = fdopen(fd, "w");
	encode_run(enc, pat, 0, 30, out, src, &keys);
	fclose(out);
	ok(keys == 1, "30 frames, keyframe interval 60: %d keyframe", keys);
	p = ffmpeg_psnr(path, src, 30);
	ok(p > 35, "ffmpeg decodes all 30, lowest luma PSNR %.1f dB > 35", p);
	unlink(path);

	/* noisy frames from here: rate control decides the size */
	o.params.bitrate_kbps = 300;
	h264_openh264.set_params(enc, &o.params);
	encode_run(enc, pat, 30, 30, NULL, NULL, &keys);
	lo = encode_run(enc, pat, 60, 30, NULL, NULL, &keys);
	o.params.bitrate_kbps = 1200;
	o.params.keyint = 10;
	ok(h264_openh264.set_params(enc, &o.params) == 0, "1200 kbit/s, 10");
	encode_run(enc, pat, 90, 30, NULL, NULL, &keys);
	hi = encode_run(enc, pat, 120, 30, NULL, NULL, &keys);
	ok(keys == 3, "keyframe interval 10: %d keyframes in 30", keys);
	ok(lo * 8 / 1000 > 150 && lo * 8 / 1000 < 450,
	    "300 kbit/s asked: %zu kbit in the second after", lo * 8 / 1000);
	ok(hi * 8 / 1000 > 800 && hi * 8 / 1000 < 1600,
	    "1200 kbit/s asked: %zu kbit in the second after", hi * 8 / 1000);
	h264_openh264.free(enc);
	o.width = 100001;
	ok(h264_openh264.open(&o, &enc) < 0, "100001 wide refused");
	pattern_free(pat);
	free(src);
}

struct got {
	struct event_base *base;
	int n, keys;
	uint64_t last_seq;
	unsigned int want_w;	    /* 0: any */
	int resized, resized_entry; /* an access unit of want_w came */
};

/* The stage's callback: count, stop after 10. */
static void
got_au(struct frame *au, void *arg)
{
	struct got *g = arg;

	g->n++;
	g->keys += au->keyframe;
	g->last_seq = au->seq;
	if (g->want_w != 0 && au->width == g->want_w && !g->resized) {
		struct annexb_info info;

		g->resized = 1;
		g->resized_entry = au->keyframe &&
		    annexb_scan(au->data, au->len, &info) == 0 &&
		    annexb_is_entry(&info);
		event_base_loopbreak(g->base);
	}
	if (au->format != FRAME_H264 || (g->want_w == 0 && au->width != W))
		g->n = -1000;
	frame_unref(au);
	if (g->n >= 10)
		event_base_loopbreak(g->base);
}

/* The stage on its thread: frames in, access units out on the loop. */
static void
test_stage(void)
{
	struct h264_params bad = defaults;
	struct got g = {.base = event_base_new()};
	struct h264_stats st;
	struct pattern *pat;
	struct h264 *h;
	struct frame *raw;
	uint64_t i;

	pattern_new(W, H, &pat);
	ok(h264_new(g.base, &h264_openh264, &defaults, got_au, &g, &h) == 0,
	    "stage starts");
	for (i = 0; g.n < 10 && i < 1000; i++) {
		raw = pattern_frame(pat, i);
		h264_submit(h, raw);
		frame_unref(raw);
		if (i == 5)
			h264_force_keyframe(h);
		event_base_loopexit(g.base, &(struct timeval){0, 20000});
		event_base_dispatch(g.base);
	}
	ok(g.n == 10, "10 access units delivered on the loop");
	ok(g.keys >= 2, "the first and a forced keyframe: %d", g.keys);
	bad.bitrate_kbps = 50;
	ok(h264_set_params(h, &bad) == -EINVAL, "50 kbit/s refused");
	bad = defaults;
	bad.keyint = 0;
	ok(h264_set_params(h, &bad) == -EINVAL, "keyframe interval 0 refused");
	bad = defaults;
	bad.fps = 61;
	ok(h264_set_params(h, &bad) == -EINVAL, "61 fps refused");
	h264_get_stats(h, &st);
	ok(st.params.bitrate_kbps == 1000 && st.encoded >= 10 &&
		!strcmp(st.backend, "openh264") && st.bytes > 0 &&
		st.max_encode_us > 0,
	    "stats: nothing changed by refusals, %llu encoded, %llu us max",
	    (unsigned long long)st.encoded,
	    (unsigned long long)st.max_encode_us);
	h264_free(h);
	event_base_free(g.base);
	pattern_free(pat);
}

/* The slow-client rule, step by step for one client. */
static void
test_slow_rule(void)
{
	int waiting = 1;

	ok(h264ws_decide(0, 100, 0, &waiting) == H264WS_SKIP && waiting,
	    "new client: a P frame is skipped");
	ok(h264ws_decide(0, 100, 1, &waiting) == H264WS_SEND && !waiting,
	    "the keyframe is sent, waiting over");
	ok(h264ws_decide(100, 100, 0, &waiting) == H264WS_SEND,
	    "at the bound: still sent");
	ok(h264ws_decide(101, 100, 0, &waiting) == H264WS_SKIP_KEY && waiting,
	    "past the bound: skipped, a keyframe asked for");
	ok(h264ws_decide(101, 100, 1, &waiting) == H264WS_SKIP_KEY,
	    "still past it: even a keyframe is skipped");
	ok(h264ws_decide(10, 100, 0, &waiting) == H264WS_SKIP,
	    "drained: P frames still skipped");
	ok(h264ws_decide(10, 100, 1, &waiting) == H264WS_SEND && !waiting,
	    "the next keyframe is sent");
}

/* A new frame size reopens the encoder: the next access unit is a key. */
static void
test_resize(void)
{
	struct got g = {.base = event_base_new(), .want_w = 160};
	struct pattern *big, *small;
	struct frame *raw;
	struct h264 *h;
	uint64_t i;

	pattern_new(W, H, &big);
	pattern_new(160, 120, &small);
	h264_new(g.base, &h264_openh264, &defaults, got_au, &g, &h);
	for (i = 0; !g.resized && i < 200; i++) {
		raw = pattern_frame(i < 5 ? big : small, i);
		h264_submit(h, raw);
		frame_unref(raw);
		event_base_loopexit(g.base, &(struct timeval){0, 20000});
		event_base_dispatch(g.base);
	}
	ok(g.resized && g.resized_entry,
	    "%dx%d to 160x120: the first 160-wide access unit is a keyframe with SPS and PPS",
	    W, H);
	h264_free(h);
	event_base_free(g.base);
	pattern_free(big);
	pattern_free(small);
}

int
main(void)
{
	test_slow_rule();
	test_i420();
	test_backend();
	test_stage();
	test_resize();
	return tap_done();
}
