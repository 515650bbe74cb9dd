/*
 * http.c -- parse, call video.c, encode the reply.
 */
#include <errno.h>
#include <stdlib.h>

#include "api.h"
#include "error.h"
#include "routes.h"
#include "metrics.h"
#include "video.h"

#define VIDEO(arg) (((struct capd_http *)(arg))->video)

/* GET /stream */
static void
stream_cb(struct http_request *req, void *arg)
{
	long long fps = 0;
	int r;

	if ((r = api_query_int(req, "fps", 1, 120, &fps)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	video_stream(VIDEO(arg), req, (unsigned int)fps);
}

/* GET /snapshot */
static void
snapshot_cb(struct http_request *req, void *arg)
{
	video_snapshot(VIDEO(arg), req);
}

/* GET /state */
static void
state_cb(struct http_request *req, void *arg)
{
	api_reply_ok(req, video_state(VIDEO(arg)));
}

/* GET /metrics */
static void
metrics_cb(struct http_request *req, void *arg)
{
	struct metrics *m = metrics_new("capd");

	video_metrics(VIDEO(arg), m);
	metrics_reply(req, m);
}

/* POST /params */
static void
params_cb(struct http_request *req, void *arg)
{
	static const char *const keys[] = {
	    "quality", "fps", "resolution", NULL};
	json_t *body = NULL;
	long long quality = -1, fps = -1;
	const char *res = NULL;
	int r;

	if ((r = api_read_json(req, &body)) < 0 ||
	    (r = api_check_keys(body, keys)) < 0 ||
	    (r = api_get_int_opt(body, "quality", 1, 100, &quality)) < 0 ||
	    (r = api_get_int_opt(body, "fps", 1, 120, &fps)) < 0 ||
	    (r = api_get_string_opt(body, "resolution", &res)) < 0)
		goto out;
	r = video_set_params(VIDEO(arg), (int)quality, (int)fps, res);
out:
	if (r < 0)
		api_reply_error(req, r, NULL);
	else
		api_reply_ok(req, video_state(VIDEO(arg)));
	json_decref(body);
}

const struct http_route capd_http_routes[] = {
    {"/stream", HTTP_GET, stream_cb, 0},
    {"/snapshot", HTTP_GET | HTTP_HEAD, snapshot_cb, 0},
    {"/state", HTTP_GET | HTTP_HEAD, state_cb, 0},
    {"/metrics", HTTP_GET | HTTP_HEAD, metrics_cb, 0},
    {"/params", HTTP_POST, params_cb, 0},
    {NULL, 0, NULL, 0},
};
