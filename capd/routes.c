/*
 * routes.c -- capd's HTTP handlers: thin, over video.c.
 *
 * Each route is described in spec.c; api_dispatch() has checked a request
 * against that description before a handler here runs, so a handler reads
 * fields that are present only when valid (apispec_int() and friends) and
 * calls the video core.  What is left to check here is what needs the
 * device: whether a resolution is one it offers (video_set_params()).
 */
#include <errno.h>
#include <stdlib.h>

#include "api.h"
#include "h264ws.h"
#include "metrics.h"
#include "routes.h"
#include "spec.h"
#include "video.h"

#define VIDEO(arg) (((struct routes_ctx *)(arg))->video)

/* GET /stream[?fps=N]: no fps, no cap beyond the capture's rate. */
static void
stream_cb(struct http_request *req, json_t *args, void *arg)
{
	video_stream(
	    VIDEO(arg), req, (unsigned int)apispec_int(args, "fps", 0));
}

/* GET /snapshot */
static void
snapshot_cb(struct http_request *req, json_t *args, void *arg)
{
	video_snapshot(VIDEO(arg), req);
}

/* GET /state */
static void
state_cb(struct http_request *req, json_t *args, void *arg)
{
	api_reply_ok(req, video_state(VIDEO(arg)));
}

/* GET /metrics */
static void
metrics_cb(struct http_request *req, json_t *args, void *arg)
{
	struct metrics *m = metrics_new("capd");

	video_metrics(VIDEO(arg), m);
	metrics_reply(req, m);
}

/* GET /h264: the H.264 WebSocket. */
static void
h264_cb(struct http_request *req, json_t *args, void *arg)
{
	video_h264(VIDEO(arg), req);
}

/* The H.264 fields of POST /params over the current ones. */
static void
params_h264(json_t *args, struct h264_params *p)
{
	p->bitrate_kbps = (unsigned int)apispec_int(
	    args, "h264_bitrate", (long long)p->bitrate_kbps);
	p->keyint = (unsigned int)apispec_int(
	    args, "h264_keyint", (long long)p->keyint);
	p->fps = (unsigned int)apispec_int(args, "h264_fps", (long long)p->fps);
}

/*
 * POST /params {"quality", "fps", "resolution", "subsampling", "pattern",
 * "h264_*"}: absent ones stay.  Subsampling, pattern and the H.264 ones
 * are checked first and applied after the others succeeded.
 */
static void
params_cb(struct http_request *req, json_t *args, void *arg)
{
	struct h264ws *hw = video_h264ws(VIDEO(arg));
	struct h264_params hp;
	int r, sub = (int)apispec_int(args, "subsampling", -1), mode = -1;
	const char *pattern = apispec_string(args, "pattern", NULL);

	h264ws_get_params(hw, &hp);
	params_h264(args, &hp);
	if ((r = h264_params_check(&hp)) < 0 ||
	    (sub != -1 && (r = video_check_subsampling(sub)) < 0) ||
	    (pattern != NULL &&
		(r = video_check_pattern_mode(pattern, &mode)) < 0)) {
		api_reply_error(req, r, NULL);
		return;
	}
	r = video_set_params(VIDEO(arg), (int)apispec_int(args, "quality", -1),
	    (int)apispec_int(args, "fps", -1),
	    apispec_string(args, "resolution", NULL));
	if (r == 0)
		r = h264ws_set_params(hw, &hp);
	if (r < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	if (sub != -1)
		video_set_subsampling(VIDEO(arg), sub);
	if (mode != -1)
		video_set_pattern_mode(VIDEO(arg), mode);
	api_reply_ok(req, video_state(VIDEO(arg)));
}

const struct api_route routes_table[] = {
    {&capd_api_routes[CAPD_API_STREAM], stream_cb},
    {&capd_api_routes[CAPD_API_SNAPSHOT], snapshot_cb},
    {&capd_api_routes[CAPD_API_STATE], state_cb},
    {&capd_api_routes[CAPD_API_METRICS], metrics_cb},
    {&capd_api_routes[CAPD_API_PARAMS], params_cb},
    {&capd_api_routes[CAPD_API_H264], h264_cb},
    {NULL, NULL},
};
