/*
 * routes.c -- gpiod-ctl's HTTP handlers.
 *
 * A press is answered when it has ended, unless the caller says
 * "wait": false: the request is parked in a waiter, the pulse's end callback
 * replies, and if the peer leaves first the waiter forgets the request while
 * the pulse runs to its end all the same (a button must never stay pressed
 * because a browser tab was closed).  The /test/ routes exist only with the
 * test backend; with real hardware they are 404.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "atx.h"
#include "daemon.h"
#include "error.h"
#include "lines.h"
#include "log.h"
#include "metrics.h"
#include "pulse.h"
#include "rights.h"
#include "routes.h"
#include "testbackend.h"
#include "xmalloc.h"

struct routes_waiter {
	struct routes_ctx *ctx;
	struct http_request *req; /* NULL once the peer left */
	struct line *line;
	const char *action; /* ATX action, or NULL */
	long long ms;
	struct routes_waiter *next;
};

/* Logs a debounced input change. */
void
routes_line_changed(struct line *l, int value, void *arg)
{
	log_info(
	    "%s is now %s", lines_spec(l)->name, value ? "active" : "inactive");
}

/* Finds a configured line by name, or says which exist. */
static int
find_line(struct routes_ctx *ctx, const char *name, struct line **ret)
{
	char list[512], esc[80];
	size_t i, off = 0;
	int n;

	if ((*ret = lines_find(ctx->lines, name)) != NULL)
		return 0;
	list[0] = '\0';
	for (i = 0; i < lines_count(ctx->lines) && off < sizeof(list); i++) {
		n = snprintf(list + off, sizeof(list) - off, "%s%s",
		    i ? ", " : "", lines_spec(lines_at(ctx->lines, i))->name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	log_escape(name, strlen(name), esc, sizeof(esc));
	return error_set(-EINVAL, "no line named \"%s\"; configured: %s", esc,
	    list[0] ? list : "none");
}

/* The caller may drive the line; else -EPERM saying what it may use
 * (logged: a refusal is worth knowing about). */
static int
caller_may(struct routes_ctx *ctx, struct http_request *req, const char *line)
{
	char why[256];
	uid_t uid;
	int r;

	if ((r = http_request_peer_cred(req, &uid, NULL)) < 0) {
		snprintf(why, sizeof(why), "%s", error_get());
		r = error_set(-EPERM, "%s; nothing was driven", why);
	} else if (ctx->rights == NULL)
		r = error_set(-EPERM, "no caller may drive lines here");
	else
		r = rights_allow(ctx->rights, uid, line);
	if (r < 0)
		log_warnx("%s %s refused: %s", http_request_method_name(req),
		    http_request_path(req), error_get());
	return r;
}

/* After routes_stop() (main()'s last moments) nothing is left to ask. */
static int
stopping(struct routes_ctx *ctx, struct http_request *req)
{
	if (ctx->atx != NULL && ctx->pulse != NULL)
		return 0;
	api_reply_error(req, -ESHUTDOWN, "gpiod-ctl is stopping");
	return 1;
}

/* One line's object in /state. */
static json_t *
line_state(struct routes_ctx *ctx, struct line *l)
{
	const struct linespec *s = lines_spec(l);
	struct pulse_info pi;
	json_t *o;
	int v = lines_value(l);

	o = json_pack("{s:s, s:s, s:s, s:I, s:b, s:o}", "role",
	    linespec_role_name(s->role), "direction", linespec_dir_name(s->dir),
	    "chip", lines_chip(l), "offset", (json_int_t)s->offset,
	    "active_low", s->active_low, "value",
	    v < 0 ? json_null() : json_integer(v));
	if (o == NULL)
		fatalx("line_state: json_pack failed");
	if (s->dir == LINESPEC_INPUT) {
		json_object_set_new(
		    o, "edge_events", json_boolean(lines_has_events(l)));
		json_object_set_new(
		    o, "changes", json_integer((json_int_t)lines_changes(l)));
		return o;
	}
	pulse_get_info(ctx->pulse, l, &pi);
	json_object_set_new(o, "busy", json_boolean(pi.active));
	json_object_set_new(o, "release_failed", json_boolean(pi.stuck));
	json_object_set_new(o, "pulse_ms", json_integer(pi.ms));
	json_object_set_new(o, "remaining_ms", json_real(pi.remaining_ms));
	json_object_set_new(o, "lockout_ms", json_real(pi.lockout_ms));
	json_object_set_new(o, "pulses", json_integer((json_int_t)pi.count));
	json_object_set_new(o, "last_held_ms",
	    pi.last_held_ms < 0 ? json_null() : json_real(pi.last_held_ms));
	return o;
}

/* GET /state: every line, the ATX state and the limits. */
static void
state_cb(struct http_request *req, void *arg)
{
	struct routes_ctx *ctx = arg;
	json_t *lines, *o;
	struct line *l;
	size_t i;

	if (stopping(ctx, req))
		return;
	lines = json_object();
	for (i = 0; i < lines_count(ctx->lines); i++) {
		l = lines_at(ctx->lines, i);
		json_object_set_new(
		    lines, lines_spec(l)->name, line_state(ctx, l));
	}
	o = json_pack("{s:s, s:o, s:o, s:I, s:I, s:f}", "backend",
	    lines_backend_name(ctx->lines), "lines", lines, "atx",
	    atx_state(ctx->atx), "press_ms", (json_int_t)ctx->press_ms,
	    "max_pulse_ms", (json_int_t)ctx->max_pulse_ms, "uptime_s",
	    ctx->daemon ? daemon_uptime(ctx->daemon) : 0.0);
	if (o == NULL)
		fatalx("state: json_pack failed");
	api_reply_ok(req, o);
}

/* GET /metrics. */
static void
metrics_cb(struct http_request *req, void *arg)
{
	static const enum atx_action acts[] = {
	    ATX_ON, ATX_OFF, ATX_OFF_HARD, ATX_RESET};
	struct routes_ctx *ctx = arg;
	struct metrics *m;
	struct pulse_info pi;
	struct line *l;
	char lab[128];
	size_t i;
	int p;

	if (stopping(ctx, req))
		return;
	m = metrics_new("gpiod_ctl");
	/* Each family's samples together, as the text format wants. */
	metrics_declare(m, "line_value", "gauge",
	    "Logical value of each line (1 active), -1 unknown.");
	for (i = 0; i < lines_count(ctx->lines); i++) {
		l = lines_at(ctx->lines, i);
		metrics_label(lab, sizeof(lab), "line", lines_spec(l)->name);
		metrics_sample(m, "line_value", lab, lines_value(l));
	}
	metrics_declare(m, "line_pulses_total", "counter",
	    "Pulses finished on each output line.");
	for (i = 0; i < lines_count(ctx->lines); i++) {
		l = lines_at(ctx->lines, i);
		if (lines_spec(l)->dir != LINESPEC_OUTPUT)
			continue;
		metrics_label(lab, sizeof(lab), "line", lines_spec(l)->name);
		pulse_get_info(ctx->pulse, l, &pi);
		metrics_sample(m, "line_pulses_total", lab, (double)pi.count);
	}
	metrics_declare(m, "line_changes_total", "counter",
	    "Debounced changes seen on each input line.");
	for (i = 0; i < lines_count(ctx->lines); i++) {
		l = lines_at(ctx->lines, i);
		if (lines_spec(l)->dir != LINESPEC_INPUT)
			continue;
		metrics_label(lab, sizeof(lab), "line", lines_spec(l)->name);
		metrics_sample(
		    m, "line_changes_total", lab, (double)lines_changes(l));
	}
	metrics_declare(m, "atx_actions_total", "counter",
	    "ATX actions started, by action.");
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		metrics_label(
		    lab, sizeof(lab), "action", atx_action_name(acts[i]));
		metrics_sample(m, "atx_actions_total", lab,
		    (double)atx_count(ctx->atx, acts[i]));
	}
	metrics_counter(m, "atx_refused_total",
	    "ATX actions refused (state, busy or lockout).",
	    (double)atx_refused(ctx->atx));
	p = atx_power(ctx->atx);
	metrics_gauge(m, "atx_power",
	    "Target power from the LED: 1 on, 0 off, "
	    "-1 unknown.",
	    p);
	metrics_gauge(
	    m, "atx_busy", "1 while an ATX press runs.", atx_busy(ctx->atx));
	metrics_counter(m, "pulse_requests_total",
	    "Pulses started through /pulse.", (double)ctx->pulses);
	metrics_counter(m, "pulse_refused_total",
	    "Pulses refused through /pulse as busy.", (double)ctx->refused);
	metrics_reply(req, m);
}

/* Unlinks and frees a waiter. */
static void
waiter_free(struct routes_waiter *w)
{
	struct routes_waiter **pp;

	for (pp = &w->ctx->waiters; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	free(w);
}

/* The peer left while its press runs: forget the request. */
static void
waiter_close_cb(struct http_request *req, void *arg)
{
	struct routes_waiter *w = arg;

	w->req = NULL;
}

/* The reply for an ended (or started, without waiting) press. */
static json_t *
press_result(struct routes_waiter *w, double held_ms, int waited)
{
	json_t *o;

	o = json_pack("{s:s, s:I, s:b}", "line", lines_spec(w->line)->name,
	    "ms", (json_int_t)w->ms, "done", waited);
	if (o == NULL)
		fatalx("press_result: json_pack failed");
	if (waited)
		json_object_set_new(o, "held_ms", json_real(held_ms));
	if (w->action != NULL) {
		json_object_set_new(o, "action", json_string(w->action));
		json_object_set_new(o, "atx", atx_state(w->ctx->atx));
	}
	return o;
}

/* A press a request waits for has ended. */
static void
waiter_done_cb(int result, double held_ms, void *arg)
{
	struct routes_waiter *w = arg;

	if (w->req != NULL) {
		http_reply_set_callbacks(w->req, NULL, NULL, NULL);
		if (result == 0)
			api_reply_ok(w->req, press_result(w, held_ms, 1));
		else if (result == -ECANCELED)
			api_reply_errorf(w->req, -ESHUTDOWN,
			    "gpiod-ctl is stopping; %s was released after "
			    "%.0f ms",
			    lines_spec(w->line)->name, held_ms);
		else
			api_reply_errorf(w->req, result,
			    "%s may not have been released: %s",
			    lines_spec(w->line)->name,
			    error_get() ? error_get() : strerror(-result));
	}
	waiter_free(w);
}

/* Creates a waiter for a press on line. */
static struct routes_waiter *
waiter_new(struct routes_ctx *ctx, struct http_request *req, struct line *line,
    const char *action, long long ms)
{
	struct routes_waiter *w = xcalloc(1, sizeof(*w));

	w->ctx = ctx;
	w->req = req;
	w->line = line;
	w->action = action;
	w->ms = ms;
	w->next = ctx->waiters;
	ctx->waiters = w;
	return w;
}

/* A press started (r == 0) or refused: reply now when it was refused or
 * the client does not wait, else when the press ends. */
static void
reply_press(struct http_request *req, struct routes_waiter *w, int r, int wait)
{
	if (r == 0 && wait) {
		http_reply_set_callbacks(req, NULL, waiter_close_cb, w);
		return;
	}
	if (r < 0)
		api_reply_error(req, r, NULL);
	else
		api_reply_ok(req, press_result(w, 0, 0));
	waiter_free(w);
}

/* POST /pulse {"line", "ms", "wait"}: one pulse on an output line. */
static void
pulse_cb(struct http_request *req, void *arg)
{
	static const char *const keys[] = {"line", "ms", "wait", NULL};
	struct routes_ctx *ctx = arg;
	struct routes_waiter *w;
	struct line *line;
	const char *name;
	json_t *body = NULL;
	long long ms = ctx->press_ms;
	int wait = 1, r;

	if (stopping(ctx, req))
		return;
	if ((r = api_read_json(req, &body)) < 0 ||
	    (r = api_check_keys(body, keys)) < 0 ||
	    (r = api_get_string(body, "line", &name)) < 0 ||
	    (r = api_get_int_opt(body, "ms", 1, ctx->max_pulse_ms, &ms)) < 0 ||
	    (r = api_get_bool_opt(body, "wait", &wait)) < 0 ||
	    (r = find_line(ctx, name, &line)) < 0 ||
	    (r = caller_may(ctx, req, lines_spec(line)->name)) < 0)
		goto out;
	w = waiter_new(ctx, req, line, NULL, ms);
	r = pulse_start(ctx->pulse, line, ms, wait ? waiter_done_cb : NULL, w);
	if (r == -EBUSY)
		ctx->refused++;
	if (r == 0)
		ctx->pulses++;
	reply_press(req, w, r, wait);
	r = 0;
out:
	if (r < 0)
		api_reply_error(req, r, NULL);
	json_decref(body);
}

/* POST /atx {"action", "wait"}: a power or reset press the LED allows. */
static void
atx_cb(struct http_request *req, void *arg)
{
	static const char *const keys[] = {"action", "wait", NULL};
	struct routes_ctx *ctx = arg;
	struct routes_waiter *w;
	enum atx_action act;
	enum linespec_role role;
	struct pulse_info pi;
	const char *name;
	json_t *body = NULL;
	int wait = 1, r;

	if (stopping(ctx, req))
		return;
	if ((r = api_read_json(req, &body)) < 0 ||
	    (r = api_check_keys(body, keys)) < 0 ||
	    (r = api_get_string(body, "action", &name)) < 0 ||
	    (r = atx_action_parse(name, &act)) < 0 ||
	    (r = api_get_bool_opt(body, "wait", &wait)) < 0)
		goto out;
	role = act == ATX_RESET ? LINESPEC_RESET_BUTTON : LINESPEC_POWER_BUTTON;
	if ((r = caller_may(ctx, req, linespec_role_name(role))) < 0)
		goto out;
	w = waiter_new(
	    ctx, req, lines_role(ctx->lines, role), atx_action_name(act), 0);
	r = atx_start(ctx->atx, act, wait ? waiter_done_cb : NULL, w);
	if (r == 0) {
		pulse_get_info(ctx->pulse, w->line, &pi);
		w->ms = pi.ms;
	}
	reply_press(req, w, r, wait);
	r = 0;
out:
	if (r < 0)
		api_reply_error(req, r, NULL);
	json_decref(body);
}

/* The test backend behind the lines, or 404 with real hardware. */
static int
test_backend(struct routes_ctx *ctx, struct lines_backend **ret)
{
	if (strcmp(lines_backend_name(ctx->lines), "test") != 0)
		return error_set(-ENOENT,
		    "/test/ exists only with --backend test; this daemon "
		    "drives real lines");
	*ret = lines_backend(ctx->lines);
	return 0;
}

/* POST /test/input {"line", "value" | "level"}: sets a simulated input
 * (value is logical, level physical, like gpio-sim's pull). */
static void
test_input_cb(struct http_request *req, void *arg)
{
	static const char *const keys[] = {"line", "value", "level", NULL};
	struct routes_ctx *ctx = arg;
	struct lines_backend *be = NULL;
	struct line *line;
	const char *name;
	json_t *body = NULL;
	long long value = -1, level = -1;
	int r;

	if ((r = test_backend(ctx, &be)) < 0 ||
	    (r = api_read_json(req, &body)) < 0 ||
	    (r = api_check_keys(body, keys)) < 0 ||
	    (r = api_get_string(body, "line", &name)) < 0 ||
	    (r = api_get_int_opt(body, "value", 0, 1, &value)) < 0 ||
	    (r = api_get_int_opt(body, "level", 0, 1, &level)) < 0 ||
	    (r = find_line(ctx, name, &line)) < 0 ||
	    (r = caller_may(ctx, req, lines_spec(line)->name)) < 0)
		goto out;
	if ((value < 0) == (level < 0)) {
		r = error_set(-EINVAL,
		    "give either \"value\" (logical) or "
		    "\"level\" (physical), 0 or 1");
		goto out;
	}
	if (lines_spec(line)->dir != LINESPEC_INPUT) {
		r = error_set(-EINVAL,
		    "%s is an output; only inputs can be "
		    "driven from outside",
		    name);
		goto out;
	}
	if (level < 0)
		level = value ^ lines_spec(line)->active_low;
	r = testbackend_drive(
	    be, lines_chip(line), lines_spec(line)->offset, (int)level);
out:
	if (r < 0)
		api_reply_error(req, r, NULL);
	else
		api_reply_ok(req,
		    json_pack("{s:s, s:I}", "line", name, "level",
			(json_int_t)level));
	json_decref(body);
}

/* GET /test/history?line=NAME: the levels an output was driven to. */
static void
test_history_cb(struct http_request *req, void *arg)
{
	struct routes_ctx *ctx = arg;
	const struct testbackend_sample *h;
	struct lines_backend *be = NULL;
	struct line *line;
	const char *name;
	json_t *samples;
	size_t n, i;
	int r;

	if ((r = test_backend(ctx, &be)) < 0)
		goto out;
	if ((name = http_request_query(req, "line")) == NULL) {
		r = error_set(
		    -EINVAL, "give the line: /test/history?line=NAME");
		goto out;
	}
	if ((r = find_line(ctx, name, &line)) < 0 ||
	    (r = testbackend_history(
		 be, lines_chip(line), lines_spec(line)->offset, &h, &n)) < 0)
		goto out;
	samples = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(samples,
		    json_pack("{s:f, s:i, s:i}", "t_ms", h[i].t_ms, "value",
			h[i].value, "level", h[i].level));
	api_reply_ok(req,
	    json_pack("{s:s, s:f, s:o}", "line", name, "now_ms", lines_now_ms(),
		"samples", samples));
	return;
out:
	api_reply_error(req, r, NULL);
}

const struct http_route routes_table[] = {
    {"/state", HTTP_GET | HTTP_HEAD, state_cb, 0},
    {"/metrics", HTTP_GET | HTTP_HEAD, metrics_cb, 0},
    {"/pulse", HTTP_POST, pulse_cb, 0},
    {"/atx", HTTP_POST, atx_cb, 0},
    {"/test/input", HTTP_POST, test_input_cb, 0},
    {"/test/history", HTTP_GET, test_history_cb, 0},
    {NULL, 0, NULL, 0},
};

/* Ends running presses (waiting requests hear why) and frees pulses and
 * ATX logic: pulse_free() first, as ending a press calls back into the ATX
 * logic and the waiters' replies read its state.  Requests that come after
 * this are answered 503. */
void
routes_stop(struct routes_ctx *ctx)
{
	pulse_free(ctx->pulse);
	atx_free(ctx->atx);
	ctx->pulse = NULL;
	ctx->atx = NULL;
}
