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

/* POST /params {"quality", "fps", "resolution", "subsampling", "pattern"}:
 * absent ones stay; subsampling and pattern are checked first and applied
 * last. */
static void
params_cb(struct http_request *req, json_t *args, void *arg)
{
	int r, sub = (int)apispec_int(args, "subsampling", -1), mode = -1;
	const char *pattern = apispec_string(args, "pattern", NULL);

	if ((sub != -1 && (r = video_check_subsampling(sub)) < 0) ||
	    (pattern != NULL &&
		(r = video_check_pattern_mode(pattern, &mode)) < 0)) {
		api_reply_error(req, r, NULL);
		return;
	}
	r = video_set_params(VIDEO(arg), (int)apispec_int(args, "quality", -1),
	    (int)apispec_int(args, "fps", -1),
	    apispec_string(args, "resolution", NULL));
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
    {NULL, NULL},
};
