/*
 * h264.h -- raw frames to H.264 access units on a worker thread of its own.
 *
 * The stage runs only while someone watches: its owner creates it for the
 * first H.264 client and frees it after the last.  h264_submit() runs on
 * the loop thread and never waits; like the JPEG encoder (encoder.h) a
 * frame waits in a single slot and a newer one takes it, so a slow encode
 * drops frames instead of queueing them and never holds up the loop or the
 * MJPEG workers.  Each access unit comes back to the loop thread through
 * an eventfd as a frame of format FRAME_H264 (Annex-B, keyframe set for an
 * IDR access unit, which always carries its SPS and PPS), with the raw
 * frame's seq, size and timestamps.
 *
 * The encoder itself is a backend (struct h264_backend): openh264 (software,
 * openh264.c) or a V4L2 memory-to-memory encoder (h264-m2m.c), which falls
 * back to openh264 when it fails to open or disappears.  The
 * backend is opened on the first frame and again when the frame size or
 * format changes.
 */
#ifndef CAPD_H264_H
#define CAPD_H264_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct event_base;
struct h264;
struct m2m_device;

/* What can change while encoding; ranges in capd/spec.c. */
struct h264_params {
	unsigned int bitrate_kbps; /* target, rate control by bitrate */
	unsigned int keyint;	   /* frames between keyframes */
	unsigned int fps;	   /* frame rate the rate control assumes */
};

#define H264_BITRATE_MIN 100
#define H264_BITRATE_MAX 50000
#define H264_KEYINT_MIN	 1
#define H264_KEYINT_MAX	 600
#define H264_FPS_MIN	 1
#define H264_FPS_MAX	 60

struct h264_open {
	unsigned int width, height;
	enum frame_format format; /* of the raw frames */
	int full_range, bt709;	  /* signalled in the SPS's VUI */
	struct h264_params params;
};

/*
 * An encoder.  encode() turns one raw frame into one access unit: it
 * writes Annex-B into out (growing it with frame_new() when out->cap is
 * too small; *out may be replaced) and sets out->len and out->keyframe.
 * All calls come from the stage's worker thread, one at a time.  Errors
 * are 0 or -errno with error_set().
 */
struct h264_backend {
	const char *name;
	int (*open)(const struct h264_open *, void **ret);
	int (*encode)(void *, const struct frame *raw, struct frame **out);
	int (*set_params)(void *, const struct h264_params *);
	void (*force_keyframe)(void *);
	void (*free)(void *);
	/* Optional: whether raw frames go in by DMABUF import, not copy. */
	int (*dmabuf)(void *);
};

extern const struct h264_backend h264_openh264;
extern const struct h264_backend h264_m2m; /* h264-m2m.c */

/* Which backend capd uses (--h264-encoder, h264-m2m.c). */
enum {
	H264_ENCODER_AUTO,     /* an M2M encoder if probing finds one */
	H264_ENCODER_OPENH264, /* software only */
	H264_ENCODER_M2M,      /* the M2M encoder (openh264 when none) */
};

struct h264_choice {
	const struct h264_backend *be;
	char device[280]; /* the M2M encoder's path, "" for openh264 */
	char reason[200]; /* why, for /state and the log */
};

/* mode "auto", "openh264" or "m2m"; codec "h264", or "fwht" for testing
 * against vicodec (which has no H.264).  0 or -EINVAL (error_set()). */
int h264_check_encoder(
    const char *mode, const char *codec, int *ret_mode, uint32_t *ret_coded);
/* The choice for mode given the M2M encoder probing found (NULL: none). */
void h264_choose(
    int mode, const struct m2m_device *found, struct h264_choice *ret);
/* Probe (m2m_probe()) for an encoder of coded unless mode is openh264,
 * choose, and set up h264_m2m for the device found.  Call once at start,
 * before any stage runs. */
void h264_choose_probe(int mode, uint32_t coded, struct h264_choice *ret);

/* Runs on the loop thread; takes the reference to au. */
typedef void h264_done_cb(struct frame *au, void *arg);

struct h264_stats {
	uint64_t submitted;
	uint64_t encoded;
	uint64_t keyframes;
	uint64_t dropped_busy; /* replaced while waiting */
	uint64_t errors;
	uint64_t bytes;	    /* of all access units */
	uint64_t encode_us; /* summed over all encodes */
	uint64_t last_encode_us;
	uint64_t max_encode_us;
	struct h264_params params;
	const char *backend;
	int dmabuf;		   /* the last frame went in by DMABUF */
	int fell_back;		   /* to the fallback backend */
	char fallback_reason[256]; /* why */
};

/* 0 or -EINVAL (error_set()) for a value outside its range. */
int h264_params_check(const struct h264_params *);
int h264_new(struct event_base *, const struct h264_backend *,
    const struct h264_params *, h264_done_cb *, void *arg, struct h264 **ret);
/* Stops and joins the worker; undelivered access units are dropped. */
void h264_free(struct h264 *); /* NULL ok */
/* If be fails to open, or with -ENODEV later, switch to fallback for good
 * (stats: backend, fell_back, fallback_reason).  Call before the first
 * h264_submit(). */
void h264_set_fallback(struct h264 *, const struct h264_backend *fallback);
/* Queue raw for encoding; takes a reference of its own. */
void h264_submit(struct h264 *, struct frame *raw);
/* Applied before the next frame; checked with h264_params_check(). */
int h264_set_params(struct h264 *, const struct h264_params *);
/* The next access unit out is a keyframe (a new or lagging client). */
void h264_force_keyframe(struct h264 *);
void h264_get_stats(struct h264 *, struct h264_stats *);

/*
 * Raw YUYV, UYVY or NV12 to I420 planes (Y, then Cb and Cr at half width
 * and height; chroma of two 4:2:2 rows averaged), values unchanged.  dst
 * holds width * height * 3 / 2 bytes.  -EINVAL for another format or an
 * odd size.
 */
int h264_to_i420(const struct frame *raw, uint8_t *dst);

#endif
