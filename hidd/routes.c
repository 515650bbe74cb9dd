/*
 * routes.c -- the HTTP handlers: call the core, encode the reply.
 *
 * Each route is described in spec.c (method, path, fields with their types
 * and ranges); api_dispatch() checks a request against it before the
 * handler runs, so a handler reads its fields with apispec_int() and
 * friends and keeps only the rules that join two fields (an absolute move
 * needs both x and y, "down" needs a "button").  The WebSocket's messages
 * share the same field descriptions (hidws.c).
 *
 * The macros are the exception: a macro's steps are a list, which a
 * field description does not hold, so /macros/NAME is a raw route and its
 * handlers read the name from the path and the body themselves; the
 * checks are macro.c's, each naming the step at fault.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "api.h"
#include "daemon.h"
#include "error.h"
#include "hid.h"
#include "hidws.h"
#include "http.h"
#include "jigstore.h"
#include "log.h"
#include "macro.h"
#include "macrostore.h"
#include "metrics.h"
#include "paste.h"
#include "routes.h"
#include "spec.h"
#include "xmalloc.h"

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
		    "nothing to do: give x/y, dx/dy, button or wheel_dx/wheel_dy");
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

/* The checked NAME of /macros/NAME, or NULL having replied. */
static const char *
routes_macro_name(struct http_request *req)
{
	const char *name =
	    http_request_path(req) + strlen(HIDD_API_MACRO_PREFIX);

	if (macro_name_check(name) < 0) {
		api_reply_error(req, -EINVAL, NULL);
		return NULL;
	}
	return name;
}

/* GET /macros. */
static void
routes_macros(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;

	api_reply_ok(req,
	    json_pack("{s:o, s:i, s:s?}", "macros",
		macrostore_list(ctx->macros), "max", MACROSTORE_MAX, "store",
		macrostore_path(ctx->macros)));
}

/* GET /macros/NAME. */
static void
routes_macro_get(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	const char *name;
	json_t *m, *out;

	if ((name = routes_macro_name(req)) == NULL)
		return;
	if ((m = macrostore_get(ctx->macros, name)) == NULL) {
		api_reply_error(req, -ENOENT, NULL);
		return;
	}
	out = json_copy(m);
	json_object_set_new(out, "name", json_string(name));
	api_reply_ok(req, out);
}

/*
 * A change of the macro store waiting for its write: the answer goes out
 * when the file is on disk, unless the client went away meanwhile.
 */
struct routes_store_wait {
	struct http_request *req; /* NULL once the client is gone */
	char name[MACRO_NAME_MAX + 1];
	size_t steps;
	int put; /* PUT (else DELETE) */
};

static void
routes_store_gone(struct http_request *req, void *arg)
{
	struct routes_store_wait *w = arg;

	w->req = NULL;
}

/* The store's answer (macrostore_done_fn). */
static void
routes_store_done(int r, void *arg)
{
	struct routes_store_wait *w = arg;
	json_t *res;

	if (r >= 0 && w->put)
		log_info("macro \"%s\" %s (%zu steps)", w->name,
		    r ? "replaced" : "stored", w->steps);
	else if (r >= 0)
		log_info("macro \"%s\" deleted", w->name);
	if (w->req != NULL) {
		http_reply_set_callbacks(w->req, NULL, NULL, NULL);
		res = w->put
		    ? json_pack("{s:s, s:b, s:I}", "name", w->name, "replaced",
			  r > 0, "steps", (json_int_t)w->steps)
		    : json_pack("{s:s}", "deleted", w->name);
		routes_reply(w->req, r, res);
	}
	free(w);
}

/* Waits for a change started with macrostore_put/_delete (r its result). */
static void
routes_store_wait(struct http_request *req, struct routes_store_wait *w, int r)
{
	if (r < 0) {
		api_reply_error(req, r, NULL);
		free(w);
		return;
	}
	w->req = req;
	http_reply_set_callbacks(req, NULL, routes_store_gone, w);
}

/* DELETE /macros/NAME. */
static void
routes_macro_delete(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct routes_store_wait *w;
	const char *name;

	if ((name = routes_macro_name(req)) == NULL)
		return;
	w = xcalloc(1, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	routes_store_wait(
	    req, w, macrostore_delete(ctx->macros, name, routes_store_done, w));
}

/* A PUT /macros/NAME body being read. */
struct routes_put {
	struct routes_ctx *ctx;
	char name[MACRO_NAME_MAX + 1];
	char *buf;
	size_t len;
};

static int
routes_put_data(
    struct http_request *req, const void *data, size_t len, void *arg)
{
	struct routes_put *p = arg;

	if (p->len + len > MACRO_MAX_BYTES)
		return error_set(-EMSGSIZE,
		    "a macro is at most %d bytes of JSON", MACRO_MAX_BYTES);
	p->buf = xreallocarray(p->buf, p->len + len + 1, 1);
	memcpy(p->buf + p->len, data, len);
	p->len += len;
	return 0;
}

static void
routes_put_abort(struct http_request *req, void *arg)
{
	struct routes_put *p = arg;

	free(p->buf);
	free(p);
}

/* The body, parsed and checked whole: *ret is the macro to store (a new
 * reference, without "name"). */
static int
routes_put_parse(struct routes_put *p, json_t **ret)
{
	json_error_t jerr;
	json_t *m, *name;
	int r;

	m = json_loadb(
	    p->buf ? p->buf : "", p->len, JSON_REJECT_DUPLICATES, &jerr);
	if (m == NULL)
		return error_set(-EINVAL,
		    "the macro is not JSON: %s (line %d, column %d)", jerr.text,
		    jerr.line, jerr.column);
	name = json_object_get(m, "name");
	if (name != NULL &&
	    (!json_is_string(name) ||
		strcmp(json_string_value(name), p->name))) {
		json_decref(m);
		return error_set(-EINVAL,
		    "the body's \"name\" differs from the URL's \"%s\": leave it out or make them equal",
		    p->name);
	}
	if ((r = macro_compile(m, p->ctx->paste, p->ctx->layout, NULL, NULL)) <
	    0) {
		json_decref(m);
		return r;
	}
	json_object_del(m, "name");
	*ret = m;
	return 0;
}

static void
routes_put_end(struct http_request *req, void *arg)
{
	struct routes_put *p = arg;
	struct routes_store_wait *w = xcalloc(1, sizeof(*w));
	json_t *m = NULL;
	int r;

	snprintf(w->name, sizeof(w->name), "%s", p->name);
	w->put = 1;
	if ((r = routes_put_parse(p, &m)) == 0) {
		w->steps = json_array_size(json_object_get(m, "steps"));
		r = macrostore_put(
		    p->ctx->macros, p->name, m, routes_store_done, w);
	}
	routes_store_wait(req, w, r);
	json_decref(m);
	routes_put_abort(req, p);
}

static const struct http_body_callbacks routes_put_cbs = {
    routes_put_data, routes_put_end, routes_put_abort};

/* PUT /macros/NAME: the body is read (bounded), then checked whole. */
static void
routes_macro_put(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct routes_put *p;
	const char *name;
	int r;

	if ((name = routes_macro_name(req)) == NULL)
		return;
	if (http_request_content_length(req) > MACRO_MAX_BYTES) {
		api_reply_errorf(req, -EMSGSIZE,
		    "a macro is at most %d bytes of JSON", MACRO_MAX_BYTES);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->ctx = ctx;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if ((r = http_request_read_body(req, &routes_put_cbs, p)) < 0) {
		free(p);
		if (r != -ECONNRESET)
			api_reply_error(req, r, NULL);
	}
}

/* POST /macro/run: compiled now, against the layouts of now. */
static void
routes_macro_run(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	const char *name = apispec_string(args, "name", NULL);
	struct macro_op *ops;
	json_t *m, *all, *st = NULL;
	size_t n;
	int r;

	if ((r = macro_name_check(name)) < 0)
		goto out;
	if ((m = macrostore_get(ctx->macros, name)) == NULL) {
		r = -ENOENT;
		goto out;
	}
	if ((r = macro_compile(m, ctx->paste,
		 apispec_string(args, "layout", ctx->layout), &ops, &n)) < 0)
		goto out;
	if ((r = hid_macro_run(ctx->hid, name, ops, n,
		 apispec_int(args, "delay_ms", -1))) == 0) {
		all = hid_state(ctx->hid);
		st = json_incref(json_object_get(all, "macro"));
		json_decref(all);
	}
out:
	routes_reply(req, r, st);
}

/* POST /macro/cancel. */
static void
routes_macro_cancel(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;

	api_reply_ok(
	    req, json_pack("{s:b}", "cancelled", hid_macro_cancel(ctx->hid)));
}

/* POST /jiggler. */
static void
routes_jiggler(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	json_t *all, *st = NULL;
	int r;

	if (json_object_size(args) == 0)
		r = error_set(-EINVAL,
		    "nothing to do: give \"enabled\" (true or false), \"interval\" (seconds) or both");
	else
		r = hid_jiggler_set(ctx->hid, apispec_bool(args, "enabled", -1),
		    apispec_int(args, "interval", 0));
	if (r == 0) {
		all = hid_state(ctx->hid);
		st = json_incref(json_object_get(all, "jiggler"));
		json_decref(all);
		jigstore_save(ctx->jiggler_state,
		    json_is_true(json_object_get(st, "enabled")),
		    json_integer_value(json_object_get(st, "interval")));
	}
	routes_reply(req, r, st);
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
	    "1 when the target is attached and reading reports.",
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
    {&hidd_api_routes[HIDD_API_MACROS], routes_macros},
    {&hidd_api_routes[HIDD_API_MACRO_GET], routes_macro_get},
    {&hidd_api_routes[HIDD_API_MACRO_PUT], routes_macro_put},
    {&hidd_api_routes[HIDD_API_MACRO_DELETE], routes_macro_delete},
    {&hidd_api_routes[HIDD_API_MACRO_RUN], routes_macro_run},
    {&hidd_api_routes[HIDD_API_MACRO_CANCEL], routes_macro_cancel},
    {&hidd_api_routes[HIDD_API_JIGGLER], routes_jiggler},
    {NULL, NULL},
};
