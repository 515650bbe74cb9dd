/*
 * h264-m2m.c -- the hardware H.264 backend: a V4L2 stateful memory-to-
 * memory encoder (m2m.c), and the choice between it and openh264.
 *
 * The encoder is found at start by probing (m2m_probe(): an M2M device
 * with the coded format on its CAPTURE queue); h264_choose_probe() records
 * it for the backend's open().  Raw frames go in by DMABUF import of the
 * capture buffer that holds them where capture.c lent one, by copy
 * otherwise (m2m.c's M2M_FEED_AUTO).  The coded format is H.264; FWHT is
 * accepted for tests against the kernel's vicodec, which has no H.264.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "capture.h"
#include "error.h"
#include "h264.h"
#include "m2m.h"
#include "xmalloc.h"

/* Set once at start, before any stage runs (h264_choose_probe()). */
static struct {
	char device[sizeof(((struct m2m_device *)0)->path)];
	uint32_t coded;
} h264_m2m_conf = {"", V4L2_PIX_FMT_H264};

/* "auto", "openh264", "m2m" and "h264", "fwht"; -EINVAL otherwise. */
int
h264_check_encoder(
    const char *mode, const char *codec, int *ret_mode, uint32_t *ret_coded)
{
	if (strcmp(mode, "auto") == 0)
		*ret_mode = H264_ENCODER_AUTO;
	else if (strcmp(mode, "openh264") == 0)
		*ret_mode = H264_ENCODER_OPENH264;
	else if (strcmp(mode, "m2m") == 0)
		*ret_mode = H264_ENCODER_M2M;
	else
		return error_set(-EINVAL,
		    "H.264 encoder '%s' unknown: auto, openh264 or m2m", mode);
	if (strcmp(codec, "h264") == 0)
		*ret_coded = V4L2_PIX_FMT_H264;
	else if (strcmp(codec, "fwht") == 0)
		*ret_coded = V4L2_PIX_FMT_FWHT;
	else
		return error_set(-EINVAL,
		    "M2M coded format '%s' unknown: h264 (or fwht, only for testing against vicodec)",
		    codec);
	return 0;
}

/* The backend for mode, given what probing found (NULL: nothing). */
void
h264_choose(int mode, const struct m2m_device *found, struct h264_choice *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (mode == H264_ENCODER_OPENH264) {
		ret->be = &h264_openh264;
		snprintf(ret->reason, sizeof(ret->reason),
		    "openh264 asked for (--h264-encoder openh264)");
	} else if (found == NULL) {
		ret->be = &h264_openh264;
		snprintf(ret->reason, sizeof(ret->reason),
		    "%s, no V4L2 M2M encoder found: openh264",
		    mode == H264_ENCODER_M2M ? "m2m asked for" : "auto");
	} else {
		ret->be = &h264_m2m;
		snprintf(ret->device, sizeof(ret->device), "%s", found->path);
		snprintf(ret->reason, sizeof(ret->reason),
		    "%s: V4L2 M2M encoder %.64s (%.16s, %.32s)",
		    mode == H264_ENCODER_M2M ? "m2m asked for" : "auto",
		    found->path, found->driver, found->card);
	}
}

/* Probe for an encoder of coded unless openh264 is asked for, choose. */
void
h264_choose_probe(int mode, uint32_t coded, struct h264_choice *ret)
{
	struct m2m_device d;
	int n = 0;

	if (coded == 0)
		coded = V4L2_PIX_FMT_H264;
	if (mode != H264_ENCODER_OPENH264)
		n = m2m_probe(coded, &d, 1);
	h264_choose(mode, n > 0 ? &d : NULL, ret);
	snprintf(h264_m2m_conf.device, sizeof(h264_m2m_conf.device), "%s",
	    ret->device);
	h264_m2m_conf.coded = coded;
}

/* The V4L2 pixel format of a raw frame format; 0 for none. */
static uint32_t
h264_m2m_raw(enum frame_format f)
{
	switch (f) {
	case FRAME_YUYV:
		return V4L2_PIX_FMT_YUYV;
	case FRAME_UYVY:
		return V4L2_PIX_FMT_UYVY;
	case FRAME_NV12:
		return V4L2_PIX_FMT_NV12;
	default:
		return 0;
	}
}

/* Open the probed device for frames of o. */
static int
h264_m2m_open(const struct h264_open *o, void **ret)
{
	struct m2m_config cfg = {.device = h264_m2m_conf.device,
	    .coded = h264_m2m_conf.coded,
	    .raw = h264_m2m_raw(o->format),
	    .width = o->width,
	    .height = o->height,
	    .fps = o->params.fps,
	    .bitrate = o->params.bitrate_kbps * 1000,
	    .gop = o->params.keyint,
	    .feed = M2M_FEED_AUTO};
	struct m2m *m;
	char err[256];
	int r;

	if (h264_m2m_conf.device[0] == '\0')
		return error_set(-ENOENT, "no V4L2 M2M encoder was found");
	if (cfg.raw == 0)
		return error_set(-EINVAL,
		    "the M2M encoder cannot take %s frames",
		    frame_format_name(o->format));
	if ((r = m2m_open(&cfg, &m, err, sizeof(err))) < 0)
		return error_set(r, "%s", err);
	*ret = m;
	return 0;
}

/* One frame in, one coded buffer out, copied into *out. */
static int
h264_m2m_encode(void *arg, const struct frame *raw, struct frame **out)
{
	struct m2m *m = arg;
	struct m2m_frame in = {
	    .data = raw->data, .size = raw->len, .ts_us = (uint64_t)raw->ts_us};
	struct m2m_packet pk;
	struct frame *f = *out;
	int r;

	in.dmabuf_fd = capture_frame_dmabuf(raw, &in.slot);
	if ((r = m2m_encode(m, &in, &pk)) < 0)
		return error_set(r, "%s", m2m_error(m));
	if (f->cap < pk.size) {
		frame_unref(f);
		*out = f = frame_new(pk.size);
	}
	memcpy(f->data, pk.data, pk.size);
	f->len = pk.size;
	f->keyframe = pk.keyframe ||
	    m2m_coded_keyframe(h264_m2m_conf.coded, pk.data, pk.size);
	return 0;
}

/* Bitrate, keyframe interval, fps: the controls the driver has. */
static int
h264_m2m_set_params(void *arg, const struct h264_params *p)
{
	struct m2m *m = arg;
	int r;

	if ((r = m2m_set_params(m, p->bitrate_kbps * 1000, p->keyint, p->fps)) <
	    0)
		return error_set(r, "%s", m2m_error(m));
	return 0;
}

/* By the driver's control or a restart; a failure shows at the encode. */
static void
h264_m2m_force_keyframe(void *arg)
{
	if (m2m_force_keyframe(arg) < 0) {
		/* the next m2m_encode() reports the device's state */
	}
}

/* Frames imported from the capture buffers, not copied. */
static int
h264_m2m_dmabuf(void *arg)
{
	struct m2m_info info;

	m2m_get_info(arg, &info);
	return info.dmabuf;
}

static void
h264_m2m_free(void *arg)
{
	m2m_free(arg);
}

const struct h264_backend h264_m2m = {
    .name = "m2m",
    .open = h264_m2m_open,
    .encode = h264_m2m_encode,
    .set_params = h264_m2m_set_params,
    .force_keyframe = h264_m2m_force_keyframe,
    .free = h264_m2m_free,
    .dmabuf = h264_m2m_dmabuf,
};
