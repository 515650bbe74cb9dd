/*
 * routes.c -- gpiod-ctl's HTTP handlers.
 *
 * A press is answered when it has ended, unless the caller says
 * "wait": false: the request is parked in a waiter, the pulse's end callback
 * replies, and if the peer leaves first the waiter forgets the request while
 * the pulse runs to its end all the same (a button must never stay pressed
 * because a browser tab was closed).  The /test/ routes exist only with the
 * test backend; with real hardware they are 404.
 *
 * Each route is described in spec.c, and api_dispatch() has checked a
 * request against it before a handler here runs: the handlers read fields
 * that are present only when valid.  What stays here is what needs the
 * running daemon: the line exists, the caller may drive it, "ms" is within
 * the configured max-pulse-ms (spec.c's range is the outer bound), and
 * the cross-field rules of /test/input.
 *
 * routes_start() creates the pulses and the ATX logic and registers
 * routes_stop() with the daemon, so a stop (common/daemon.c) ends running
 * presses and the requests waiting for them hear why.
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
#include "spec.h"
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

/* After routes_stop() (the daemon's last moments) nothing is left to ask. */
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
state_cb(struct http_request *req, json_t *args, void *arg)
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
metrics_cb(struct http_request *req, json_t *args, void *arg)
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
	    "Target power from the LED: 1 on, 0 off, -1 unknown.", p);
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
			    "gpiod-ctl is stopping; %s was released after %.0f ms",
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

/* "ms" within the configured bound (spec.c's range is the outer one). */
static int
check_ms(struct routes_ctx *ctx, long long ms)
{
	if (ms > ctx->max_pulse_ms)
		return error_set(-EINVAL,
		    "the field \"ms\" is %lld; it must be from 1 to %lld (max-pulse-ms)",
		    ms, ctx->max_pulse_ms);
	return 0;
}

/* POST /pulse {"line", "ms", "wait"}: one pulse on an output line. */
static void
pulse_cb(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct routes_waiter *w;
	struct line *line;
	long long ms = apispec_int(args, "ms", ctx->press_ms);
	int wait = apispec_bool(args, "wait", 1), r;

	if (stopping(ctx, req))
		return;
	if ((r = check_ms(ctx, ms)) < 0 ||
	    (r = find_line(ctx, apispec_string(args, "line", ""), &line)) < 0 ||
	    (r = caller_may(ctx, req, lines_spec(line)->name)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	w = waiter_new(ctx, req, line, NULL, ms);
	r = pulse_start(ctx->pulse, line, ms, wait ? waiter_done_cb : NULL, w);
	if (r == -EBUSY)
		ctx->refused++;
	if (r == 0)
		ctx->pulses++;
	reply_press(req, w, r, wait);
}

/* POST /atx {"action", "wait"}: a power or reset press the LED allows. */
static void
atx_cb(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct routes_waiter *w;
	enum atx_action act;
	enum linespec_role role;
	struct pulse_info pi;
	int wait = apispec_bool(args, "wait", 1), r;

	if (stopping(ctx, req))
		return;
	if ((r = atx_action_parse(apispec_string(args, "action", ""), &act)) <
	    0) {
		api_reply_error(req, r, NULL);
		return;
	}
	role = act == ATX_RESET ? LINESPEC_RESET_BUTTON : LINESPEC_POWER_BUTTON;
	if ((r = caller_may(ctx, req, linespec_role_name(role))) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	w = waiter_new(
	    ctx, req, lines_role(ctx->lines, role), atx_action_name(act), 0);
	r = atx_start(ctx->atx, act, wait ? waiter_done_cb : NULL, w);
	if (r == 0) {
		pulse_get_info(ctx->pulse, w->line, &pi);
		w->ms = pi.ms;
	}
	reply_press(req, w, r, wait);
}

/* The test backend behind the lines, or 404 with real hardware. */
static int
test_backend(struct routes_ctx *ctx, struct lines_backend **ret)
{
	if (strcmp(lines_backend_name(ctx->lines), "test") != 0)
		return error_set(-ENOENT,
		    "/test/ exists only with --backend test; this daemon drives real lines");
	*ret = lines_backend(ctx->lines);
	return 0;
}

/* POST /test/input {"line", "value" | "level"}: sets a simulated input
 * (value is logical, level physical, like gpio-sim's pull). */
static void
test_input_cb(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct lines_backend *be = NULL;
	struct line *line;
	const char *name = apispec_string(args, "line", "");
	long long value = apispec_int(args, "value", -1);
	long long level = apispec_int(args, "level", -1);
	int r;

	if ((r = test_backend(ctx, &be)) < 0 ||
	    (r = find_line(ctx, name, &line)) < 0 ||
	    (r = caller_may(ctx, req, lines_spec(line)->name)) < 0)
		goto out;
	if ((value < 0) == (level < 0)) {
		r = error_set(-EINVAL,
		    "give either \"value\" (logical) or \"level\" (physical), 0 or 1");
		goto out;
	}
	if (lines_spec(line)->dir != LINESPEC_INPUT) {
		r = error_set(-EINVAL,
		    "%s is an output; only inputs can be driven from outside",
		    lines_spec(line)->name);
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
		    json_pack("{s:s, s:I}", "line", lines_spec(line)->name,
			"level", (json_int_t)level));
}

/* GET /test/history?line=NAME: the levels an output was driven to. */
static void
test_history_cb(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	const struct testbackend_sample *h;
	struct lines_backend *be = NULL;
	struct line *line;
	const char *name = apispec_string(args, "line", "");
	json_t *samples;
	size_t n, i;
	int r;

	if ((r = test_backend(ctx, &be)) < 0 ||
	    (r = find_line(ctx, name, &line)) < 0 ||
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

const struct api_route routes_table[] = {
    {&gpiod_ctl_api_routes[GPIOD_CTL_API_STATE], state_cb},
    {&gpiod_ctl_api_routes[GPIOD_CTL_API_METRICS], metrics_cb},
    {&gpiod_ctl_api_routes[GPIOD_CTL_API_PULSE], pulse_cb},
    {&gpiod_ctl_api_routes[GPIOD_CTL_API_ATX], atx_cb},
    {&gpiod_ctl_api_routes[GPIOD_CTL_API_TEST_INPUT], test_input_cb},
    {&gpiod_ctl_api_routes[GPIOD_CTL_API_TEST_HISTORY], test_history_cb},
    {NULL, NULL},
};

/* Creates the pulses and the ATX logic on the daemon's loop, follows the
 * inputs' changes, and registers routes_stop() for the daemon's stop. */
void
routes_start(struct routes_ctx *ctx, const struct atx_config *acfg)
{
	ctx->pulse =
	    pulse_new(daemon_base(ctx->daemon), ctx->lines, acfg->lockout_ms);
	ctx->atx = atx_new(ctx->lines, ctx->pulse, acfg);
	lines_on_change(ctx->lines, routes_line_changed, ctx);
	daemon_on_stop(ctx->daemon, routes_stop, ctx);
}

/* Ends running presses (waiting requests hear why: the daemon sends those
 * replies before it closes the connections) and frees pulses and ATX
 * logic: pulse_free() first, as ending a press calls back into the ATX
 * logic and the waiters' replies read its state.  Requests that come after
 * this are answered 503.  Running it twice is harmless. */
void
routes_stop(void *arg)
{
	struct routes_ctx *ctx = arg;

	pulse_free(ctx->pulse);
	atx_free(ctx->atx);
	ctx->pulse = NULL;
	ctx->atx = NULL;
}
