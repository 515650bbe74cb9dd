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
#include "edid.h"
#include "error.h"
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

/* The decoded part of GET /edid's answer into o. */
static void
edid_info_json(json_t *o, const struct edid_info *e)
{
	json_t *modes = json_array();
	unsigned int i;

	for (i = 0; i < e->n_modes; i++)
		json_array_append_new(modes,
		    json_pack("{s:i, s:i, s:i, s:b}", "width",
			(json_int_t)e->modes[i].width, "height",
			(json_int_t)e->modes[i].height, "hz",
			(json_int_t)e->modes[i].hz, "interlaced",
			e->modes[i].interlaced));
	json_object_set_new(o, "vendor", json_string(e->vendor));
	json_object_set_new(o, "product", json_integer(e->product));
	json_object_set_new(o, "serial", json_integer((json_int_t)e->serial));
	json_object_set_new(o, "serial_text", json_string(e->serial_text));
	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(
	    o, "version", json_sprintf("%u.%u", e->version, e->revision));
	json_object_set_new(o, "modes", modes);
}

/*
 * GET /edid's answer: {"blocks", "hex", "valid", and decoded "vendor",
 * "product", "serial", "serial_text", "name", "version", "modes"; or
 * "problem", the check a device's own EDID fails}.  blocks 0: the pad
 * holds none.
 */
static void
edid_reply(
    struct http_request *req, int r, const uint8_t *buf, size_t n, void *arg)
{
	char hex[2 * EDID_MAX_BLOCKS * EDID_BLOCK + 1];
	struct edid_info e;
	json_t *o;

	if (r < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	edid_to_hex(buf, n, hex);
	o = json_pack(
	    "{s:i, s:s}", "blocks", (json_int_t)(n / EDID_BLOCK), "hex", hex);
	error_clear();
	if (n > 0 && edid_parse(buf, n, &e) == 0) {
		json_object_set_new(o, "valid", json_true());
		edid_info_json(o, &e);
	} else {
		json_object_set_new(o, "valid", json_false());
		json_object_set_new(o, "problem",
		    json_string(
			n == 0 ? "the input holds no EDID" : error_get()));
	}
	api_reply_ok(req, o);
}

/* GET /edid */
static void
edid_cb(struct http_request *req, json_t *args, void *arg)
{
	video_edid(VIDEO(arg), req, NULL, 0, edid_reply, NULL);
}

/*
 * POST /edid {"preset"} or {"hex"}: built or decoded and checked before
 * the device sees it; answers as GET /edid with what the pad holds then.
 */
static void
set_edid_cb(struct http_request *req, json_t *args, void *arg)
{
	uint8_t buf[EDID_MAX_BLOCKS * EDID_BLOCK];
	const char *preset = apispec_string(args, "preset", NULL);
	const char *hex = apispec_string(args, "hex", NULL);
	int n;

	if ((preset == NULL) == (hex == NULL)) {
		api_reply_error(req,
		    error_set(-EINVAL,
			"give one of \"preset\" (a built-in EDID) or \"hex\""),
		    NULL);
		return;
	}
	n = preset != NULL ? edid_preset(preset, buf) : edid_from_hex(hex, buf);
	if (n == -ENOENT)
		n = -EINVAL; /* an unknown preset is a bad request */
	if (n < 0) {
		api_reply_error(req, n, NULL);
		return;
	}
	video_edid(VIDEO(arg), req, buf, (size_t)n, edid_reply, NULL);
}

const struct api_route routes_table[] = {
    {&capd_api_routes[CAPD_API_STREAM], stream_cb},
    {&capd_api_routes[CAPD_API_SNAPSHOT], snapshot_cb},
    {&capd_api_routes[CAPD_API_STATE], state_cb},
    {&capd_api_routes[CAPD_API_METRICS], metrics_cb},
    {&capd_api_routes[CAPD_API_PARAMS], params_cb},
    {&capd_api_routes[CAPD_API_H264], h264_cb},
    {&capd_api_routes[CAPD_API_EDID], edid_cb},
    {&capd_api_routes[CAPD_API_SET_EDID], set_edid_cb},
    {NULL, NULL},
};
