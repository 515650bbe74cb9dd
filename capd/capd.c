/*
 * capd.c -- capd: the target's screen as MJPEG over HTTP.
 *
 * This file is the table of contents: the options, the video core set up
 * from them on the daemon's loop, the loop, the stop.  The work is in
 * video.c (source, encoders, clients) and routes.c (the HTTP handlers).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "daemon.h"
#include "edid.h"
#include "error.h"
#include "log.h"
#include "routes.h"
#include "h264.h"
#include "video.h"

struct capd_options {
	char *source, *resolution, *format, *standard;
	char *gpiod_socket, *edid;
	long long fps, quality, workers, input;
	long long reset_after;
	int drop_same;
	long long subsampling;
	char *pattern;
	char *h264_encoder, *m2m_codec;
};

static struct capd_options opts = {
    .fps = 30,
    .quality = 80,
    .workers = 0, /* cores, at most 4 */
    .input = -1,
    .reset_after = 0,
    .subsampling = 422,
};

static const struct config_option options[] = {
    {"source", 0, CONFIG_STRING, &opts.source, 0, 0, "DEV",
	"V4L2 device (default /dev/video0), 'pattern' for the built-in "
	"test pattern, 'pattern:static' for a still one",
	NULL},
    {"resolution", 0, CONFIG_STRING, &opts.resolution, 0, 0, "WxH",
	"capture size (default: the device's; the pattern: 1280x720)", NULL},
    {"fps", 0, CONFIG_INT, &opts.fps, 1, 120, "N", "frames per second", NULL},
    {"format", 0, CONFIG_STRING, &opts.format, 0, 0, "FMT",
	"auto (MJPEG first), mjpeg, yuyv, uyvy, nv12, rgb24, bgr24", NULL},
    {"input", 0, CONFIG_INT, &opts.input, -1, 255, "N",
	"device input to select (default: leave as is)", NULL},
    {"standard", 0, CONFIG_STRING, &opts.standard, 0, 0, "STD",
	"TV standard for composite/S-Video: pal, ntsc, secam, ...", NULL},
    {"quality", 0, CONFIG_INT, &opts.quality, 1, 100, "N",
	"JPEG quality for raw sources", NULL},
    {"workers", 0, CONFIG_INT, &opts.workers, 1, 64, "N",
	"encoder threads (default: cores, at most 4)", NULL},
    {"drop-same-frames", 0, CONFIG_FLAG, &opts.drop_same, 0, 0, NULL,
	"do not send a frame identical to the previous one", NULL},
    {"reset-after", 0, CONFIG_INT, &opts.reset_after, 0, 86400, "SECONDS",
	"with no picture this long, pulse gpiod-ctl's capture-reset line "
	"(0: never); backs off while it stays dark",
	NULL},
    {"gpiod-socket", 0, CONFIG_STRING, &opts.gpiod_socket, 0, 0, "PATH",
	"gpiod-ctl's socket (default /run/kaputtkvm/gpiod-ctl.sock)", NULL},
    {"subsampling", 0, CONFIG_INT, &opts.subsampling, 420, 422, "N",
	"JPEG chroma subsampling for raw sources: 422 (default) or 420", NULL},
    {"pattern", 0, CONFIG_STRING, &opts.pattern, 0, 0, "MODE",
	"what the test pattern shows: bars (default) or console (a text "
	"console scrolling boot messages, then a setup menu)",
	NULL},
    {"edid", 0, CONFIG_STRING, &opts.edid, 0, 0, "FILE|PRESET",
	"EDID for an HDMI input: a preset (default, 1280x720, 1024x768) or "
	"a binary EDID file; none: leave the device's; unset: the "
	"device's own, the default preset where it has none",
	NULL},
    {"h264-encoder", 0, CONFIG_STRING, &opts.h264_encoder, 0, 0, "WHICH",
	"H.264 encoder: auto (default: a V4L2 M2M encoder if probing finds "
	"one, else openh264), openh264 or m2m",
	NULL},
    {"m2m-codec", 0, CONFIG_STRING, &opts.m2m_codec, 0, 0, "CODEC",
	"coded format asked of the M2M encoder: h264 (default), or fwht "
	"only for testing against vicodec (the stream is then not H.264)",
	NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

/* The EDID of --edid. */
static uint8_t edid_buf[EDID_MAX_BLOCKS * EDID_BLOCK];

static const struct config_spec spec = {
    "capd", "video capture to multipart MJPEG", options, NULL, NULL};

/* The video core's configuration from the options; -EINVAL with
 * error_set() for a bad one. */
static int
video_config_from_opts(struct video_config *vc)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	memset(vc, 0, sizeof(*vc));
	vc->source = opts.source ? opts.source : "/dev/video0";
	vc->fps = (unsigned int)opts.fps;
	vc->format = opts.format ? opts.format : "auto";
	vc->input = (int)opts.input;
	vc->standard = opts.standard;
	vc->quality = (int)opts.quality;
	vc->subsampling = (int)opts.subsampling;
	if (video_check_pattern_mode(
		opts.pattern ? opts.pattern : "bars", &vc->pattern_mode) < 0)
		return -EINVAL;
	vc->workers = opts.workers > 0 ? (unsigned int)opts.workers
	    : cores < 1		       ? 1
	    : cores > 4		       ? 4
				       : (unsigned int)cores;
	if (h264_check_encoder(opts.h264_encoder ? opts.h264_encoder : "auto",
		opts.m2m_codec ? opts.m2m_codec : "h264", &vc->h264_encoder,
		&vc->m2m_coded) < 0)
		return -EINVAL;
	vc->drop_same = opts.drop_same;
	vc->reset_after = (unsigned int)opts.reset_after;
	vc->gpiod_socket = opts.gpiod_socket ? opts.gpiod_socket
					     : "/run/kaputtkvm/gpiod-ctl.sock";
	if (opts.resolution != NULL &&
	    video_parse_resolution(opts.resolution, &vc->width, &vc->height) <
		0)
		return -EINVAL;
	vc->edid_fill = opts.edid == NULL;
	if (opts.edid != NULL && strcmp(opts.edid, "none") != 0) {
		r = edid_preset(opts.edid, edid_buf);
		if (r == -ENOENT)
			r = edid_load_file(opts.edid, edid_buf);
		if (r < 0)
			return r;
		vc->edid = edid_buf;
		vc->edid_len = (size_t)r;
	}
	return video_check_config(vc);
}

int
main(int argc, char **argv)
{
	struct config_common common = {0};
	struct video_config vc;
	struct routes_ctx ctx = {NULL};
	struct http_route *routes = NULL;
	struct daemon *d = NULL;
	int r, ret = 1;

	log_init("capd");
	if ((r = config_load(&spec, &common, argc, argv)) != 0)
		return r > 0 ? 0 : 1;
	if (video_config_from_opts(&vc) < 0) {
		fprintf(stderr, "capd: %s\n", error_get());
		goto out;
	}
	if (common.check_config) {
		printf("capd: configuration OK\n");
		ret = 0;
		goto out;
	}

	routes = api_http_routes(routes_table);
	if (daemon_start(&spec, &common, NULL, routes, &ctx, &d) < 0 ||
	    video_new(daemon_base(d), &vc, &ctx.video) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	log_info("serving %s, %u encoder threads", vc.source, vc.workers);
	daemon_ready(d);
	daemon_run(d);
	ret = 0;
out:
	video_free(ctx.video); /* ends streams and waiting snapshots */
	daemon_free(d);
	free(routes);
	config_free(&spec, &common);
	return ret;
}
