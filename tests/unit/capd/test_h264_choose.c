/*
 * test_h264_choose.c -- which H.264 backend capd uses (h264-m2m.c), and the
 * stage's fallback to openh264 when its backend fails (h264.c).
 *
 * The failing backend here is a stand-in for a lost M2M encoder: it opens,
 * encodes a few frames as openh264 would, then returns -ENODEV the way
 * m2m.c does when the device is unplugged or unbound.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/videodev2.h>

#include <event2/event.h>

#include "error.h"
#include "frame.h"
#include "h264.h"
#include "m2m.h"
#include "pattern.h"
#include "pattern_frame.h"
#include "tap.h"

static const struct h264_params defaults = {
    .bitrate_kbps = 1000, .keyint = 60, .fps = 30};

/* Names and coded formats: the known ones, and refusals. */
static void
test_check(void)
{
	int mode = -1;
	uint32_t coded = 0;

	ok(h264_check_encoder("auto", "h264", &mode, &coded) == 0 &&
		mode == H264_ENCODER_AUTO && coded == V4L2_PIX_FMT_H264,
	    "auto, h264");
	ok(h264_check_encoder("m2m", "fwht", &mode, &coded) == 0 &&
		mode == H264_ENCODER_M2M && coded == V4L2_PIX_FMT_FWHT,
	    "m2m, fwht (the vicodec stand-in)");
	ok(h264_check_encoder("openh264", "h264", &mode, &coded) == 0 &&
		mode == H264_ENCODER_OPENH264,
	    "openh264");
	ok(h264_check_encoder("x264", "h264", &mode, &coded) == -EINVAL &&
		strstr(error_get(), "auto, openh264 or m2m") != NULL,
	    "an unknown encoder is refused, naming the choices");
	ok(h264_check_encoder("auto", "vp8", &mode, &coded) == -EINVAL &&
		strstr(error_get(), "h264") != NULL,
	    "an unknown coded format is refused");
}

/* The choice from what probing found. */
static void
test_choose(void)
{
	struct m2m_device d = {.path = "/dev/video11",
	    .driver = "bcm2835-codec",
	    .card = "bcm2835-codec-encode"};
	struct h264_choice c;

	h264_choose(H264_ENCODER_AUTO, NULL, &c);
	ok(c.be == &h264_openh264 && c.device[0] == '\0' &&
		strstr(c.reason, "no V4L2 M2M encoder") != NULL,
	    "auto without an M2M encoder: openh264, and why (%s)", c.reason);
	h264_choose(H264_ENCODER_AUTO, &d, &c);
	ok(c.be == &h264_m2m && strcmp(c.device, "/dev/video11") == 0 &&
		strstr(c.reason, "bcm2835-codec") != NULL,
	    "auto with an M2M encoder: m2m on its device (%s)", c.reason);
	h264_choose(H264_ENCODER_OPENH264, &d, &c);
	ok(c.be == &h264_openh264 && c.device[0] == '\0',
	    "openh264 asked for: openh264 even with an M2M encoder");
	h264_choose(H264_ENCODER_M2M, NULL, &c);
	ok(c.be == &h264_openh264 && strstr(c.reason, "m2m asked for") != NULL,
	    "m2m asked for without one: openh264, and why (%s)", c.reason);
}

/* The stand-in for a lost M2M encoder: openh264 for 3 frames, then gone. */
static int lost_frames;

static int
lost_encode(void *arg, const struct frame *raw, struct frame **out)
{
	if (++lost_frames > 3)
		return error_set(-ENODEV, "/dev/video9 is gone (stand-in)");
	return h264_openh264.encode(arg, raw, out);
}

static const struct h264_backend lost = {
    .name = "lost-stand-in", .encode = lost_encode};

/* A backend that cannot open at all. */
static int
noopen_open(const struct h264_open *o, void **ret)
{
	(void)o;
	(void)ret;
	return error_set(-EINVAL, "the stand-in takes no frames");
}

static const struct h264_backend noopen = {
    .name = "noopen-stand-in", .open = noopen_open};

struct got {
	struct event_base *base;
	int n, keys;
};

static void
got_au(struct frame *au, void *arg)
{
	struct got *g = arg;

	g->n++;
	g->keys += au->keyframe != 0;
	frame_unref(au);
}

/* Feed n frames of p through a stage on be with openh264 as fallback. */
static void
run_stage(const struct h264_backend *be, int fallback, struct got *g,
    struct h264_stats *st)
{
	struct pattern *p;
	struct frame *raw;
	struct h264 *h;
	int i;

	g->base = event_base_new();
	pattern_new(160, 120, &p);
	h264_new(g->base, be, &defaults, got_au, g, &h);
	if (fallback)
		h264_set_fallback(h, &h264_openh264);
	for (i = 0; i < 12; i++) {
		raw = pattern_frame(p, (uint64_t)i);
		h264_submit(h, raw);
		frame_unref(raw);
		event_base_loopexit(g->base, &(struct timeval){0, 30000});
		event_base_dispatch(g->base);
	}
	h264_get_stats(h, st);
	h264_free(h);
	event_base_free(g->base);
	pattern_free(p);
}

/* -ENODEV mid-stream and a failed open: openh264 takes over. */
static void
test_fallback(void)
{
	struct h264_backend be = lost;
	struct h264_stats st;
	struct got g = {0};

	be.open = h264_openh264.open;
	be.set_params = h264_openh264.set_params;
	be.force_keyframe = h264_openh264.force_keyframe;
	be.free = h264_openh264.free;
	run_stage(&be, 1, &g, &st);
	ok(st.fell_back && strcmp(st.backend, "openh264") == 0 &&
		strstr(st.fallback_reason, "gone (stand-in)") != NULL,
	    "-ENODEV from the backend: openh264, and why (%s)",
	    st.fallback_reason);
	ok(!st.dmabuf,
	    "DMABUF import is the backend's in use: the stand-in's, gone with it");
	ok(g.n >= 8 && g.keys >= 2,
	    "access units continue after the loss, a keyframe first (%d, %d keyframes)",
	    g.n, g.keys);

	memset(&g, 0, sizeof(g));
	run_stage(&noopen, 1, &g, &st);
	ok(st.fell_back && strcmp(st.backend, "openh264") == 0 && g.n >= 8 &&
		strstr(st.fallback_reason, "cannot open") != NULL,
	    "a backend that cannot open: openh264 from the next frame (%s)",
	    st.fallback_reason);

	memset(&g, 0, sizeof(g));
	run_stage(&noopen, 0, &g, &st);
	ok(!st.fell_back && g.n == 0 && st.errors >= 10,
	    "without a fallback the errors are counted, nothing switches");
}

int
main(void)
{
	test_check();
	test_choose();
	test_fallback();
	return tap_done();
}
