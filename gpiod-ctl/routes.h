/*
 * routes.h -- gpiod-ctl's HTTP API: /state, /metrics, /pulse, /atx, and
 * /test/input, /test/history with the test backend only.
 *
 * Handlers parse, call lines/pulse/atx, and encode the reply.  What drives
 * a line (/pulse, /atx, /test/input) is first checked against the caller's
 * rights (rights.h): 403, and nothing changes, when it may not.  A request
 * that waits for its pulse stays open (nothing sleeps); its reply comes from
 * the pulse's end callback.  spec.c describes the routes; hand the table
 * to the server as api_http_routes(routes_table).
 */
#ifndef GPIOD_CTL_ROUTES_H
#define GPIOD_CTL_ROUTES_H

#include <stdint.h>

#include "api.h"

struct atx_config;
struct daemon;
struct lines;
struct line;
struct pulse;
struct atx;
struct routes_waiter;
struct rights;

struct routes_ctx {
	struct daemon *daemon; /* the loop, the stop, the uptime */
	struct lines *lines;
	struct pulse *pulse;
	struct atx *atx;
	struct rights *rights; /* who may drive what; NULL: nobody */
	long long press_ms;    /* /pulse without "ms" */
	long long max_pulse_ms;
	uint64_t pulses;  /* started through /pulse */
	uint64_t refused; /* /pulse refused as busy */
	struct routes_waiter *waiters;
};

extern const struct api_route routes_table[];

/* With ctx's lines open and ctx->daemon set: creates ctx->pulse and
 * ctx->atx, and registers routes_stop() with daemon_on_stop(). */
void routes_start(struct routes_ctx *, const struct atx_config *);
/* The stop (a daemon_on_stop() callback; arg is the routes_ctx): ends
 * running presses, their waiting requests answered 503, frees ctx->pulse
 * and ctx->atx. */
void routes_stop(void *arg);

/* Logs debounced input changes (lines_on_change callback). */
void routes_line_changed(struct line *, int value, void *arg);

#endif
