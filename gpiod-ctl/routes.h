/*
 * routes.h -- gpiod-ctl's HTTP API: /state, /metrics, /pulse, /atx, and
 * /test/input, /test/history with the test backend only.
 *
 * Handlers parse, call lines/pulse/atx, and encode the reply.  What drives
 * a line (/pulse, /atx, /test/input) is first checked against the caller's
 * rights (rights.h): 403, and nothing changes, when it may not.  A request
 * that waits for its pulse stays open (nothing sleeps); its reply comes from
 * the pulse's end callback.
 */
#ifndef GPIOD_CTL_ROUTES_H
#define GPIOD_CTL_ROUTES_H

#include <stdint.h>

#include "http.h"

struct daemon;
struct lines;
struct line;
struct pulse;
struct atx;
struct routes_waiter;
struct rights;

struct routes_ctx {
	struct daemon *daemon; /* for uptime; may be NULL */
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

extern const struct http_route routes_table[];

/* main()'s stop: ends running presses, frees ctx->pulse and ctx->atx. */
void routes_stop(struct routes_ctx *);

/* Logs debounced input changes (lines_on_change callback). */
void routes_line_changed(struct line *, int value, void *arg);

#endif
