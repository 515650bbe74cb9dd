/*
 * routes.c -- the HTTP handlers: parse, call the core, encode the reply.
 *
 *	GET  /state		everything (backend, online, LEDs, held keys,
 *				mouse, paste, layouts, devices)
 *	GET  /layouts		the XKB layouts paste accepts
 *	GET  /metrics		Prometheus text
 *	GET  /ws		the live-input WebSocket (PROTOCOL.md)
 *	POST /key		{"code", "down"}
 *	POST /mouse		{"x","y"} | {"dx","dy"} | {"button","down"} |
 *				{"wheel_dx","wheel_dy"}, any together
 *	POST /release		everything up
 *	POST /paste		{"text", "layout", "delay_ms"}
 *	POST /paste/cancel
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
#include "report.h"
#include "routes.h"
#include "server.h"

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
routes_state(struct http_request *req, void *arg)
{
	struct hidd_server *srv = arg;
	json_t *st = hid_state(srv->hid);

	json_object_set_new(
	    st, "uptime", json_real(daemon_uptime(srv->daemon)));
	api_reply_ok(req, st);
}

/* GET /layouts. */
static void
routes_layouts(struct http_request *req, void *arg)
{
	struct hidd_server *srv = arg;
	json_t *st = hid_state(srv->hid), *def;

	def = json_incref(
	    json_object_get(json_object_get(st, "layouts"), "default"));
	json_decref(st);
	api_reply_ok(req,
	    json_pack("{s:o, s:o}", "default", def, "layouts",
		srv->paste ? paste_list_layouts(srv->paste) : json_array()));
}

/* POST /key {"code", "down"}. */
static void
routes_key(struct http_request *req, void *arg)
{
	static const char *const keys[] = {"code", "down", NULL};
	struct hidd_server *srv = arg;
	json_t *body = NULL;
	const char *code;
	int down = 1, r;

	if ((r = api_read_json(req, &body)) < 0 ||
	    (r = api_check_keys(body, keys)) < 0 ||
	    (r = api_get_string(body, "code", &code)) < 0 ||
	    (r = api_get_bool_opt(body, "down", &down)) < 0)
		goto out;
	r = hid_key_code(srv->hid, HID_CLIENT_HTTP, code, down);
out:
	routes_reply(req, r, NULL);
	json_decref(body);
}

/* POST /mouse: everything is checked before anything is sent. */
static void
routes_mouse(struct http_request *req, void *arg)
{
	static const char *const keys[] = {"x", "y", "dx", "dy", "button",
	    "down", "wheel_dx", "wheel_dy", NULL};
	struct hidd_server *srv = arg;
	json_t *body = NULL;
	long long x = -1, y = -1, dx = 0, dy = 0, wx = 0, wy = 0;
	const char *button = NULL;
	uint8_t bit = 0;
	int down = 1, r, has_abs, has_rel;

	if ((r = api_read_json(req, &body)) < 0 ||
	    (r = api_check_keys(body, keys)) < 0 ||
	    (r = api_get_int_opt(body, "x", 0, REPORT_ABS_MAX, &x)) < 0 ||
	    (r = api_get_int_opt(body, "y", 0, REPORT_ABS_MAX, &y)) < 0 ||
	    (r = api_get_int_opt(body, "dx", -32767, 32767, &dx)) < 0 ||
	    (r = api_get_int_opt(body, "dy", -32767, 32767, &dy)) < 0 ||
	    (r = api_get_int_opt(body, "wheel_dx", -127, 127, &wx)) < 0 ||
	    (r = api_get_int_opt(body, "wheel_dy", -127, 127, &wy)) < 0 ||
	    (r = api_get_string_opt(body, "button", &button)) < 0 ||
	    (r = api_get_bool_opt(body, "down", &down)) < 0)
		goto out;
	has_abs = x >= 0 || y >= 0;
	has_rel = json_object_get(body, "dx") || json_object_get(body, "dy");
	if (has_abs && (x < 0 || y < 0)) {
		r = error_set(-EINVAL, "an absolute move needs both x and y");
		goto out;
	}
	if (has_abs && has_rel) {
		r = error_set(-EINVAL,
		    "give x/y (absolute) or dx/dy "
		    "(relative), not both");
		goto out;
	}
	if (button != NULL && (r = hid_button_bit(button, &bit)) < 0)
		goto out;
	if (button == NULL && json_object_get(body, "down") != NULL) {
		r = error_set(-EINVAL, "\"down\" needs a \"button\"");
		goto out;
	}
	if (!has_abs && !has_rel && button == NULL && wx == 0 && wy == 0) {
		r = error_set(-EINVAL,
		    "nothing to do: give x/y, dx/dy, "
		    "button or wheel_dx/wheel_dy");
		goto out;
	}
	if (has_abs)
		r = hid_mouse_abs(srv->hid, HID_CLIENT_HTTP, x, y);
	else if (has_rel)
		r = hid_mouse_rel(srv->hid, HID_CLIENT_HTTP, dx, dy);
	if (r >= 0 && button != NULL)
		r = hid_mouse_button(srv->hid, HID_CLIENT_HTTP, bit, down);
	if (r >= 0 && (wx != 0 || wy != 0))
		r = hid_mouse_wheel(srv->hid, HID_CLIENT_HTTP, wx, wy);
out:
	routes_reply(req, r, NULL);
	json_decref(body);
}

/* POST /release. */
static void
routes_release(struct http_request *req, void *arg)
{
	struct hidd_server *srv = arg;
	int r;

	if ((r = api_read_nothing(req)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	routes_reply(req, hid_release(srv->hid, "POST /release"), NULL);
}

/* POST /paste {"text", "layout", "delay_ms"}. */
static void
routes_paste(struct http_request *req, void *arg)
{
	static const char *const keys[] = {"text", "layout", "delay_ms", NULL};
	struct hidd_server *srv = arg;
	json_t *body = NULL, *text, *st = NULL;
	const char *layout = NULL;
	long long delay = -1;
	int r;

	if ((r = api_read_json(req, &body)) < 0 ||
	    (r = api_check_keys(body, keys)) < 0 ||
	    (r = api_get_string_opt(body, "layout", &layout)) < 0 ||
	    (r = api_get_int_opt(body, "delay_ms", 0, 1000, &delay)) < 0)
		goto out;
	if ((text = json_object_get(body, "text")) == NULL ||
	    !json_is_string(text)) {
		r = error_set(-EINVAL, "field \"text\" (a string) is missing");
		goto out;
	}
	r = hid_paste(srv->hid, json_string_value(text),
	    json_string_length(text), layout, delay);
	if (r == 0) {
		json_t *all = hid_state(srv->hid);

		st = json_incref(json_object_get(all, "paste"));
		json_decref(all);
	}
out:
	routes_reply(req, r, st);
	json_decref(body);
}

/* POST /paste/cancel. */
static void
routes_paste_cancel(struct http_request *req, void *arg)
{
	struct hidd_server *srv = arg;
	int r;

	if ((r = api_read_nothing(req)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	api_reply_ok(
	    req, json_pack("{s:b}", "cancelled", hid_paste_cancel(srv->hid)));
}

/* GET /metrics. */
static void
routes_metrics(struct http_request *req, void *arg)
{
	struct hidd_server *srv = arg;
	struct metrics *m = metrics_new("hidd");
	json_t *st = hid_state(srv->hid), *c, *v;
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
	    (double)hid_clients(srv->hid));
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
		    hid_latency_quantile(srv->hid, qs[i]) / 1e9);
	}
	json_decref(st);
	metrics_reply(req, m);
}

/* GET /ws. */
static void
routes_ws(struct http_request *req, void *arg)
{
	hidws_accept(req, arg);
}

const struct http_route routes_table[] = {
    {"/state", HTTP_GET | HTTP_HEAD, routes_state, 0},
    {"/layouts", HTTP_GET | HTTP_HEAD, routes_layouts, 0},
    {"/metrics", HTTP_GET | HTTP_HEAD, routes_metrics, 0},
    {"/ws", HTTP_GET, routes_ws, 0},
    {"/key", HTTP_POST, routes_key, 0},
    {"/mouse", HTTP_POST, routes_mouse, 0},
    {"/release", HTTP_POST, routes_release, 0},
    {"/paste", HTTP_POST, routes_paste, 0},
    {"/paste/cancel", HTTP_POST, routes_paste_cancel, 0},
    {NULL, 0, NULL, 0},
};
