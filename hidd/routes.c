/*
 * routes.c -- the HTTP handlers: call the core, encode the reply.
 *
 * Each route is described in spec.c (method, path, fields with their types
 * and ranges); api_dispatch() checks a request against it before the
 * handler runs, so a handler reads its fields with apispec_int() and
 * friends and keeps only the rules that join two fields (an absolute move
 * needs both x and y, "down" needs a "button").  The WebSocket's messages
 * share the same field descriptions (hidws.c).
 */
#include <errno.h>
#include <string.h>
#include <jansson.h>

#include "api.h"
#include "daemon.h"
#include "error.h"
#include "hid.h"
#include "hidws.h"
#include "metrics.h"
#include "paste.h"
#include "routes.h"
#include "spec.h"

/* Replies with the result of a core call. */
static void
routes_reply(struct http_request *req, int r, json_t *result)
{
	if (r < 0) {
		json_decref(result);
		api_reply_error(req, r, NULL);
	} else
		api_reply_ok(req, result);
}

/* GET /state. */
static void
routes_state(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	json_t *st = hid_state(ctx->hid);

	json_object_set_new(
	    st, "uptime", json_real(daemon_uptime(ctx->daemon)));
	api_reply_ok(req, st);
}

/* GET /layouts. */
static void
routes_layouts(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	json_t *st = hid_state(ctx->hid), *def;

	def = json_incref(
	    json_object_get(json_object_get(st, "layouts"), "default"));
	json_decref(st);
	api_reply_ok(req,
	    json_pack("{s:o, s:o}", "default", def, "layouts",
		ctx->paste ? paste_list_layouts(ctx->paste) : json_array()));
}

/* POST /key. */
static void
routes_key(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;

	routes_reply(req,
	    hid_key_code(ctx->hid, HID_CLIENT_HTTP,
		apispec_string(args, "code", NULL),
		apispec_bool(args, "down", 1)),
	    NULL);
}

/* The rules of POST /mouse that join fields; what the button is. */
static int
routes_mouse_check(json_t *args, uint8_t *ret_bit)
{
	const char *button = apispec_string(args, "button", NULL);
	int has_x = json_object_get(args, "x") != NULL,
	    has_y = json_object_get(args, "y") != NULL,
	    has_rel = json_object_get(args, "dx") != NULL ||
	    json_object_get(args, "dy") != NULL;

	if (has_x != has_y)
		return error_set(
		    -EINVAL, "an absolute move needs both x and y");
	if (has_x && has_rel)
		return error_set(-EINVAL,
		    "give x/y (absolute) or dx/dy (relative), not both");
	if (button != NULL)
		return hid_button_bit(button, ret_bit);
	if (json_object_get(args, "down") != NULL)
		return error_set(-EINVAL, "\"down\" needs a \"button\"");
	if (!has_x && !has_rel && apispec_int(args, "wheel_dx", 0) == 0 &&
	    apispec_int(args, "wheel_dy", 0) == 0)
		return error_set(-EINVAL,
		    "nothing to do: give x/y, dx/dy, button or "
		    "wheel_dx/wheel_dy");
	return 0;
}

/* POST /mouse: everything is checked before anything is sent; then the
 * move, the button, the wheel. */
static void
routes_mouse(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	long long wx = apispec_int(args, "wheel_dx", 0),
		  wy = apispec_int(args, "wheel_dy", 0);
	uint8_t bit = 0;
	int r;

	if ((r = routes_mouse_check(args, &bit)) < 0)
		goto out;
	if (json_object_get(args, "x") != NULL)
		r = hid_mouse_abs(ctx->hid, HID_CLIENT_HTTP,
		    apispec_int(args, "x", 0), apispec_int(args, "y", 0));
	else if (json_object_get(args, "dx") || json_object_get(args, "dy"))
		r = hid_mouse_rel(ctx->hid, HID_CLIENT_HTTP,
		    apispec_int(args, "dx", 0), apispec_int(args, "dy", 0));
	if (r >= 0 && bit != 0)
		r = hid_mouse_button(ctx->hid, HID_CLIENT_HTTP, bit,
		    apispec_bool(args, "down", 1));
	if (r >= 0 && (wx != 0 || wy != 0))
		r = hid_mouse_wheel(ctx->hid, HID_CLIENT_HTTP, wx, wy);
out:
	routes_reply(req, r, NULL);
}

/* POST /release. */
static void
routes_release(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;

	routes_reply(req, hid_release(ctx->hid, "POST /release"), NULL);
}

/* POST /paste: the text may hold NULs (\u0000), so its length is the
 * string's, not strlen(). */
static void
routes_paste(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	json_t *text = json_object_get(args, "text"), *all, *st = NULL;
	int r;

	r = hid_paste(ctx->hid, json_string_value(text),
	    json_string_length(text), apispec_string(args, "layout", NULL),
	    apispec_int(args, "delay_ms", -1));
	if (r == 0) {
		all = hid_state(ctx->hid);
		st = json_incref(json_object_get(all, "paste"));
		json_decref(all);
	}
	routes_reply(req, r, st);
}

/* POST /paste/cancel. */
static void
routes_paste_cancel(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;

	api_reply_ok(
	    req, json_pack("{s:b}", "cancelled", hid_paste_cancel(ctx->hid)));
}

/* GET /metrics. */
static void
routes_metrics(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct metrics *m = metrics_new("hidd");
	json_t *st = hid_state(ctx->hid), *c, *v;
	const char *key;
	char name[64];
	static const double qs[] = {0.5, 0.9, 0.99};
	char label[32];
	size_t i;

	metrics_gauge(m, "online",
	    "1 when the target is attached and "
	    "reading reports.",
	    json_is_true(json_object_get(st, "online")));
	metrics_gauge(m, "clients", "Connected WebSocket pages.",
	    (double)hid_clients(ctx->hid));
	metrics_gauge(m, "caps_lock", "Caps Lock LED of the target.",
	    json_is_true(json_object_get(json_object_get(st, "leds"), "caps")));
	metrics_gauge(m, "paste_active", "1 while a paste is typed.",
	    json_is_true(
		json_object_get(json_object_get(st, "paste"), "active")));
	c = json_object_get(st, "counters");
	json_object_foreach(c, key, v)
	{
		snprintf(name, sizeof(name), "%s_total", key);
		metrics_counter(m, name, "Events since start.",
		    (double)json_integer_value(v));
	}
	metrics_declare(m, "event_latency_seconds", "summary",
	    "From an input message's arrival to its report written.");
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		snprintf(label, sizeof(label), "quantile=\"%g\"", qs[i]);
		metrics_sample(m, "event_latency_seconds", label,
		    hid_latency_quantile(ctx->hid, qs[i]) / 1e9);
	}
	json_decref(st);
	metrics_reply(req, m);
}

/* GET /ws. */
static void
routes_ws(struct http_request *req, json_t *args, void *arg)
{
	hidws_accept(req, arg);
}

const struct api_route routes_table[] = {
    {&hidd_api_routes[HIDD_API_STATE], routes_state},
    {&hidd_api_routes[HIDD_API_LAYOUTS], routes_layouts},
    {&hidd_api_routes[HIDD_API_METRICS], routes_metrics},
    {&hidd_api_routes[HIDD_API_WS], routes_ws},
    {&hidd_api_routes[HIDD_API_KEY], routes_key},
    {&hidd_api_routes[HIDD_API_MOUSE], routes_mouse},
    {&hidd_api_routes[HIDD_API_RELEASE], routes_release},
    {&hidd_api_routes[HIDD_API_PASTE], routes_paste},
    {&hidd_api_routes[HIDD_API_PASTE_CANCEL], routes_paste_cancel},
    {NULL, NULL},
};
