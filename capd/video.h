/*
 * video.h -- capd's core: source -> (encoder) -> stream, and its state.
 *
 * Owns the source (the test pattern or a V4L2 device), the encoder pool,
 * the stream clients, snapshot waiters, the "no signal" frame, reopening a
 * lost device every second and asking gpiod-ctl to reset a capture adapter
 * that stays dark.  Nothing is captured from the pattern or encoded while
 * nobody watches.  Loop thread only.
 */
#ifndef CAPD_VIDEO_H
#define CAPD_VIDEO_H

#include <jansson.h>

struct event_base;
struct http_request;
struct metrics;
struct video;
struct h264ws;

#define VIDEO_DEFAULT_WIDTH  1280
#define VIDEO_DEFAULT_HEIGHT 720
#define VIDEO_H264_BITRATE   2000 /* kbit/s, until POST /params */
#define VIDEO_H264_KEYINT    300  /* frames */

struct video_config {
	const char *source;	    /* "pattern" or a device path */
	unsigned int width, height; /* 0: the device's own */
	unsigned int fps;
	const char *format;   /* "auto", "mjpeg", ... */
	int input;	      /* -1: leave */
	const char *standard; /* NULL: leave */
	const uint8_t *edid;  /* NULL: leave the device's; else loaded */
	size_t edid_len;
	int edid_fill; /* without edid: the built-in default into an empty pad */
	int quality;
	int subsampling;  /* 422 or 420: JPEG chroma for raw sources */
	int pattern_mode; /* PATTERN_MODE_BARS or _CONSOLE */
	unsigned int workers;
	int drop_same;
	unsigned int reset_after; /* seconds; 0: never */
	const char *gpiod_socket;
	int h264_encoder;   /* H264_ENCODER_AUTO, ... (h264.h) */
	uint32_t m2m_coded; /* V4L2_PIX_FMT_H264 (FWHT in tests) */
};

/* Parse "1280x720"; -EINVAL with a message. */
int video_parse_resolution(
    const char *, unsigned int *ret_w, unsigned int *ret_h);
/* Check a configuration without opening anything. */
int video_check_config(const struct video_config *);

int video_new(
    struct event_base *, const struct video_config *, struct video **ret);
void video_free(struct video *); /* NULL ok */
/* GET /stream: the handler validated fps_cap (0: none). */
void video_stream(struct video *, struct http_request *, unsigned int fps_cap);
/* GET /snapshot: replies now or after the next frame. */
void video_snapshot(struct video *, struct http_request *);
void video_h264(struct video *, struct http_request *);
struct h264ws *video_h264ws(struct video *);
json_t *video_state(struct video *);
void video_metrics(struct video *, struct metrics *);
/*
 * POST /params: quality, fps, resolution ("WxH"), all checked before
 * anything changes; -EINVAL with a message otherwise.
 */
int video_set_params(
    struct video *, int quality, int fps, const char *resolution);
/* Chroma subsampling: -EINVAL with a message unless 422 or 420. */
int video_check_subsampling(int);
/* Apply a checked one from the next frame on. */
void video_set_subsampling(struct video *, int);
/* What the pattern shows, by name ("bars", "console"): -EINVAL with a
 * message for another. */
int video_check_pattern_mode(const char *, int *ret_mode);
/* Apply a checked one (kept for a device source, shown when it is the
 * pattern). */
void video_set_pattern_mode(struct video *, int);
/*
 * GET /edid (set NULL) and POST /edid (set: a checked EDID, edid.h): on a
 * thread (edidjob.h), cb(req, r, edid, len, arg) on the loop with the
 * EDID on the device's input pad afterwards and its length (0: the pad
 * holds none), or r -errno with error_set(): -EOPNOTSUPP for the pattern
 * or a device without EDID pads, -EBUSY while another runs, others as
 * capture.h's.  A loaded one is kept for later opens and the device is
 * reopened for the source's new timings.  One at a time.
 */
typedef void video_edid_fn(
    struct http_request *, int r, const uint8_t *edid, size_t len, void *arg);
void video_edid(struct video *, struct http_request *, const uint8_t *set,
    size_t len, video_edid_fn *cb, void *arg);

#endif
