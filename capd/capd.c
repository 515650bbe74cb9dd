/*
 * capd.c -- main(): options, then the video core on the daemon's loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "routes.h"
#include "video.h"

static char *source, *resolution, *format, *standard;
static char *gpio_socket;
static long long fps = 30, quality = 80, workers = 0, input = -1;
static long long reset_after = 0;
static int drop_same;

static const struct config_option options[] = {
    {"source", 0, CONFIG_STRING, &source, 0, 0, "DEV",
	"V4L2 device (default /dev/video0), 'pattern' for the built-in "
	"test pattern, 'pattern:static' for a still one",
	NULL},
    {"resolution", 0, CONFIG_STRING, &resolution, 0, 0, "WxH",
	"capture size (default: the device's; the pattern: 1280x720)", NULL},
    {"fps", 0, CONFIG_INT, &fps, 1, 120, "N", "frames per second", NULL},
    {"format", 0, CONFIG_STRING, &format, 0, 0, "FMT",
	"auto (MJPEG first), mjpeg, yuyv, uyvy, nv12, rgb24, bgr24", NULL},
    {"input", 0, CONFIG_INT, &input, -1, 255, "N",
	"device input to select (default: leave as is)", NULL},
    {"standard", 0, CONFIG_STRING, &standard, 0, 0, "STD",
	"TV standard for composite/S-Video: pal, ntsc, secam, ...", NULL},
    {"quality", 0, CONFIG_INT, &quality, 1, 100, "N",
	"JPEG quality for raw sources", NULL},
    {"workers", 0, CONFIG_INT, &workers, 1, 64, "N",
	"encoder threads (default: cores, at most 4)", NULL},
    {"drop-same-frames", 0, CONFIG_FLAG, &drop_same, 0, 0, NULL,
	"do not send a frame identical to the previous one", NULL},
    {"reset-after", 0, CONFIG_INT, &reset_after, 0, 86400, "SECONDS",
	"with no picture this long, pulse gpiod-ctl's capture-reset line "
	"(0: never); backs off while it stays dark",
	NULL},
    {"gpio-socket", 0, CONFIG_STRING, &gpio_socket, 0, 0, "PATH",
	"gpiod-ctl's socket (default /run/kaputtkvm/gpiod-ctl.sock)", NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct config_spec spec = {
    "capd", "video capture to multipart MJPEG", options, NULL, NULL};

int
main(int argc, char **argv)
{
	struct config_common common;
	struct video_config vc;
	struct capd_http ctx = {NULL};
	struct daemon *d = NULL;
	long cores;
	int r, ret = 1;

	memset(&common, 0, sizeof(common));
	log_init("capd");
	if ((r = config_load(&spec, &common, argc, argv)) != 0)
		return r > 0 ? 0 : 1;
	memset(&vc, 0, sizeof(vc));
	vc.source = source ? source : "/dev/video0";
	vc.fps = (unsigned int)fps;
	vc.format = format ? format : "auto";
	vc.input = (int)input;
	vc.standard = standard;
	vc.quality = (int)quality;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	vc.workers = workers > 0 ? (unsigned int)workers
	    : cores < 1		 ? 1
	    : cores > 4		 ? 4
				 : (unsigned int)cores;
	vc.drop_same = drop_same;
	vc.reset_after = (unsigned int)reset_after;
	vc.gpio_socket =
	    gpio_socket ? gpio_socket : "/run/kaputtkvm/gpiod-ctl.sock";
	if ((resolution != NULL &&
		video_parse_resolution(resolution, &vc.width, &vc.height) <
		    0) ||
	    video_check_config(&vc) < 0) {
		fprintf(stderr, "capd: %s\n", error_get());
		goto out;
	}
	if (common.check_config) {
		printf("capd: configuration OK\n");
		ret = 0;
		goto out;
	}
	if (daemon_start(&spec, &common, NULL, capd_http_routes, &ctx, &d) <
	    0) {
		log_warnx("%s", error_get());
		goto out;
	}
	if (video_new(daemon_base(d), &vc, &ctx.video) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	log_info("serving %s, %u encoder threads", vc.source, vc.workers);
	daemon_ready(d);
	daemon_run(d);
	ret = 0;
out:
	video_free(ctx.video);
	daemon_free(d);
	config_free(&spec, &common);
	return ret;
}
