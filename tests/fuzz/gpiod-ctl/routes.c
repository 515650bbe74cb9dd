/*
 * routes.c -- fuzz target gpiod-ctl-routes: gpiod-ctl's real route table
 * (each request checked against spec.c by api_dispatch()), lines, pulses
 * and ATX logic, as gpiod-ctl.c sets them up, on the test backend
 * (simulated lines, which also brings the /test/ routes) with the demo's
 * lines, behind the real HTTP server on a socket of its own.  Each input is
 * what one client sends on one connection (see tests/fuzz/common/peer.h).
 * Times are short (10 ms presses, pulses of at most 50 ms) so that a
 * request that waits for its pulse gets its reply within the peer's time
 * bound; what still waits then (an off-hard holds a second) is answered as
 * the daemon stops: routes_stop() with the connection still open.
 * Everything is set up anew for each input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "atx.h"
#include "config.h"
#include "daemon.h"
#include "error.h"
#include "lines.h"
#include "log.h"
#include "peer.h"
#include "rights.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct config_option options[] = {
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

/* The lines of scripts/demo, one of them active-low. */
static const char *const demo_lines[][2] = {
    {"power-button", "gpiochip0:23"},
    {"reset-button", "gpiochip0:27"},
    {"power-led", "gpiochip0:24 active-low"},
    {"hdd-led", "gpiochip0:22"},
    {"capture-reset", "gpiochip0:5"},
    {"hid-reset", "gpiochip0:6"},
};

/* daemon_on_stop(), as in gpiod-ctl.c. */
static void
close_lines(void *arg)
{
	lines_close(arg);
}

/* A request waits for its pulse. */
static int
busy(void *arg)
{
	struct routes_ctx *ctx = arg;

	return ctx->waiters != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char sock[128];
	struct peer_daemon pd = {NULL, NULL, 3, 60, busy, routes_stop, NULL};
	struct config_common common = {0};
	struct config_spec spec = {"gpiod-ctl",
	    "power and reset buttons, LEDs and device resets over GPIO",
	    options, lines_config_key, NULL};
	struct lines_config lcfg;
	struct atx_config acfg;
	static struct http_route *routes;
	struct routes_ctx ctx = {0};
	struct daemon *d = NULL;
	size_t i;

	if (size > 100000)
		return 0;
	if (sock[0] == '\0') {
		log_init("gpiod-ctl");
		snprintf(
		    sock, sizeof(sock), "%s/gpiod-ctl.sock", peer_tmpdir());
		routes = api_http_routes(routes_table); /* kept: as main()'s */
	}
	ctx.lines = lines_new();
	ctx.rights = rights_new(); /* the fuzzer runs as root: may drive all */
	spec.extra_arg = ctx.lines;
	for (i = 0; i < sizeof(demo_lines) / sizeof(demo_lines[0]); i++)
		if (lines_put(ctx.lines, demo_lines[i][0], demo_lines[i][1]) <
		    0)
			goto fail;
	lcfg.backend = "test";
	lcfg.debounce_ms = 0;
	lcfg.poll_ms = 10;
	lcfg.consumer = "gpiod-ctl";
	common.socket_path = sock;
	common.socket_mode = 0600;
	if (lines_check(ctx.lines, &lcfg) < 0 ||
	    rights_check(ctx.rights, ctx.lines) < 0 ||
	    daemon_start(&spec, &common, NULL, routes, &ctx, &d) < 0 ||
	    lines_open(ctx.lines, daemon_base(d), &lcfg) < 0)
		goto fail;
	ctx.daemon = d;
	daemon_on_stop(d, close_lines, ctx.lines);
	acfg.press_ms = 10;
	acfg.hold_ms = 1000;
	acfg.lockout_ms = 20;
	ctx.press_ms = 10;
	ctx.max_pulse_ms = 50;
	routes_start(&ctx, &acfg);
	daemon_ready(d);
	pd.base = daemon_base(d);
	pd.path = sock;
	pd.arg = &ctx;
	peer_run(&pd, data, size);
	/* the rest of the stop: close_lines(), as gpiod-ctl.c registers it */
	daemon_free(d);
	lines_free(ctx.lines);
	rights_free(ctx.rights);
	return 0;
fail:
	fprintf(stderr, "gpiod-ctl-routes: %s\n", error_get());
	abort();
}
