/*
 * gpiod-ctl.c -- gpiod-ctl: presses the target's power and reset buttons,
 * reads its LEDs, and pulses reset lines of the KVM's own parts, over GPIO.
 *
 * This file is the table of contents: the options, the lines and rights
 * they describe checked, the daemon, the lines opened and the routes
 * started on its loop, the loop.  The stop is the modules' own, registered
 * with daemon_on_stop() and run by daemon_free() (common/daemon.c): the
 * running presses end first and the requests waiting for them are answered
 * (routes_stop()), then every output is driven inactive and released
 * (lines_close()).
 */
#include <errno.h>
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
#include "rights.h"
#include "routes.h"

struct gpiod_ctl_options {
	char *backend;
	long long press_ms, hold_ms, lockout_ms, max_pulse_ms;
	long long debounce_ms, poll_ms;
	struct config_list line;
};

static struct gpiod_ctl_options opts = {
    .press_ms = 150,
    .hold_ms = 5500,
    .lockout_ms = 1000,
    .max_pulse_ms = 10000,
    .debounce_ms = 20,
    .poll_ms = 100,
};

static const struct config_option options[] = {
    {"backend", 0, CONFIG_STRING, &opts.backend, 0, 0, "NAME",
	"'gpiod' (default: the real chips through libgpiod) or 'test' "
	"(lines simulated in memory, for tests and demos only)",
	NULL},
    {"press-ms", 0, CONFIG_INT, &opts.press_ms, 10, 2000, "MS",
	"length of a short press (ATX on/off/reset; /pulse default), "
	"default 150",
	NULL},
    {"hold-ms", 0, CONFIG_INT, &opts.hold_ms, 1000, 30000, "MS",
	"how long off-hard holds the power button, default 5500", NULL},
    {"lockout-ms", 0, CONFIG_INT, &opts.lockout_ms, 0, 60000, "MS",
	"a line takes no new press for this long after one, default 1000",
	NULL},
    {"max-pulse-ms", 0, CONFIG_INT, &opts.max_pulse_ms, 1, 600000, "MS",
	"longest pulse /pulse accepts, default 10000", NULL},
    {"debounce-ms", 0, CONFIG_INT, &opts.debounce_ms, 0, 1000, "MS",
	"an input must be quiet this long before a change counts, "
	"default 20",
	NULL},
    {"poll-ms", 0, CONFIG_INT, &opts.poll_ms, 10, 10000, "MS",
	"how often inputs without edge events are read, default 100", NULL},
    {"line", 0, CONFIG_LIST, &opts.line, 0, 0, "KEY=VALUE",
	"a line as in the config file, e.g. power-led='gpiochip0:24 "
	"active-low' (repeatable; replaces the file's line of that name)",
	NULL},
    {NULL},
};

/* Config keys beyond the table: caller.USER (rights.h), then the lines. */
static int
extra_key(const char *key, const char *value, void *arg)
{
	struct routes_ctx *ctx = arg;
	int r;

	if ((r = rights_config_key(ctx->rights, key, value)) != -ENOENT)
		return r;
	return lines_config_key(key, value, ctx->lines);
}

/* The options on top of the file: the --line lines, the limits, the
 * configurations of lines and ATX logic, and the lines and rights checked on the backend (chips resolved, nothing
 * requested).  -EINVAL/-ENODEV with error_set(). */
static int
configure(
    struct routes_ctx *ctx, struct lines_config *lcfg, struct atx_config *acfg)
{
	size_t i;
	int r;

	for (i = 0; i < opts.line.n; i++)
		if ((r = lines_put_arg(ctx->lines, opts.line.items[i])) < 0)
			return r;
	if (opts.press_ms > opts.max_pulse_ms)
		return error_set(-EINVAL,
		    "press-ms (%lld) is longer than max-pulse-ms (%lld); raise max-pulse-ms or shorten press-ms",
		    opts.press_ms, opts.max_pulse_ms);
	lcfg->backend = opts.backend ? opts.backend : "gpiod";
	lcfg->debounce_ms = (int)opts.debounce_ms;
	lcfg->poll_ms = (int)opts.poll_ms;
	lcfg->consumer = "gpiod-ctl";
	acfg->press_ms = opts.press_ms;
	acfg->hold_ms = opts.hold_ms;
	acfg->lockout_ms = opts.lockout_ms;
	ctx->press_ms = opts.press_ms;
	ctx->max_pulse_ms = opts.max_pulse_ms;
	if ((r = lines_check(ctx->lines, lcfg)) < 0 ||
	    (r = rights_check(ctx->rights, ctx->lines)) < 0)
		return r;
	if (lines_count(ctx->lines) == 0)
		log_warnx(
		    "no lines configured: add power-button, power-led, ... to [gpiod-ctl] (see gpiod-ctl --help)");
	return 0;
}

/* daemon_on_stop(): every output inactive, every line released. */
static void
close_lines(void *arg)
{
	lines_close(arg);
}

int
main(int argc, char **argv)
{
	struct config_common common = {0};
	struct config_spec spec = {"gpiod-ctl",
	    "power and reset buttons, LEDs and device resets over GPIO",
	    options, extra_key, NULL};
	struct atx_config acfg;
	struct lines_config lcfg;
	struct routes_ctx ctx = {0};
	struct http_route *routes = NULL;
	struct daemon *d = NULL;
	int r, rc = 1;

	log_init("gpiod-ctl");
	ctx.lines = lines_new();
	ctx.rights = rights_new();
	spec.extra_arg = &ctx;
	if ((r = config_load(&spec, &common, argc, argv)) != 0) {
		lines_free(ctx.lines);
		rights_free(ctx.rights);
		return r > 0 ? 0 : 1;
	}
	if (configure(&ctx, &lcfg, &acfg) < 0) {
		fprintf(stderr, "gpiod-ctl: %s\n", error_get());
		goto out;
	}
	if (common.check_config) {
		printf("gpiod-ctl: configuration OK (%zu lines, backend %s)\n",
		    lines_count(ctx.lines), lines_backend_name(ctx.lines));
		rc = 0;
		goto out;
	}

	routes = api_http_routes(routes_table);
	if (daemon_start(&spec, &common, NULL, routes, &ctx, &d) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	ctx.daemon = d;
	daemon_on_stop(d, close_lines, ctx.lines);
	if (lines_open(ctx.lines, daemon_base(d), &lcfg) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	routes_start(&ctx, &acfg);
	log_info("%zu lines on backend %s, outputs held inactive",
	    lines_count(ctx.lines), lines_backend_name(ctx.lines));
	daemon_ready(d);
	daemon_run(d);
	rc = 0;
out:
	daemon_free(d); /* routes_stop(), close_lines(), in that order */
	lines_free(ctx.lines);
	rights_free(ctx.rights);
	free(routes);
	config_free(&spec, &common);
	return rc;
}
