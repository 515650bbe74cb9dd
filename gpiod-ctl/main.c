/*
 * main.c -- gpiod-ctl: presses the target's power and reset buttons, reads
 * its LEDs, and pulses reset lines of the KVM's own parts, over GPIO.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "atx.h"
#include "config.h"
#include "daemon.h"
#include "error.h"
#include "lines.h"
#include "log.h"
#include "pulse.h"
#include "rights.h"
#include "routes.h"

static struct {
	char *backend;
	long long press_ms, hold_ms, lockout_ms, max_pulse_ms;
	long long debounce_ms, poll_ms;
	struct config_list line;
} cfg = {
    .press_ms = 150,
    .hold_ms = 5500,
    .lockout_ms = 1000,
    .max_pulse_ms = 10000,
    .debounce_ms = 20,
    .poll_ms = 100,
};

static const struct config_option options[] = {
    {"backend", 0, CONFIG_STRING, &cfg.backend, 0, 0, "NAME",
	"'gpiod' (default: the real chips through libgpiod) or 'test' "
	"(lines simulated in memory, for tests and demos only)",
	NULL},
    {"press-ms", 0, CONFIG_INT, &cfg.press_ms, 10, 2000, "MS",
	"length of a short press (ATX on/off/reset; /pulse default), "
	"default 150",
	NULL},
    {"hold-ms", 0, CONFIG_INT, &cfg.hold_ms, 1000, 30000, "MS",
	"how long off-hard holds the power button, default 5500", NULL},
    {"lockout-ms", 0, CONFIG_INT, &cfg.lockout_ms, 0, 60000, "MS",
	"a line takes no new press for this long after one, default 1000",
	NULL},
    {"max-pulse-ms", 0, CONFIG_INT, &cfg.max_pulse_ms, 1, 600000, "MS",
	"longest pulse /pulse accepts, default 10000", NULL},
    {"debounce-ms", 0, CONFIG_INT, &cfg.debounce_ms, 0, 1000, "MS",
	"an input must be quiet this long before a change counts, "
	"default 20",
	NULL},
    {"poll-ms", 0, CONFIG_INT, &cfg.poll_ms, 10, 10000, "MS",
	"how often inputs without edge events are read, default 100", NULL},
    {"line", 0, CONFIG_LIST, &cfg.line, 0, 0, "KEY=VALUE",
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

int
main(int argc, char **argv)
{
	struct config_common common = {0};
	struct config_spec spec = {"gpiod-ctl",
	    "power and reset buttons, LEDs and device resets over GPIO",
	    options, extra_key, NULL};
	struct lines_config lcfg;
	struct atx_config acfg;
	struct routes_ctx ctx = {0};
	struct daemon *d = NULL;
	char key[64];
	const char *eq;
	size_t i;
	struct timeval flush = {0, 200000};
	int r, rc = 1, waiting;

	log_init("gpiod-ctl");
	ctx.lines = lines_new();
	ctx.rights = rights_new();
	spec.extra_arg = &ctx;
	if ((r = config_load(&spec, &common, argc, argv)) != 0) {
		lines_free(ctx.lines);
		rights_free(ctx.rights);
		return r > 0 ? 0 : 1;
	}
	for (i = 0; i < cfg.line.n; i++) {
		eq = strchr(cfg.line.items[i], '=');
		if (eq == NULL || eq == cfg.line.items[i] ||
		    (size_t)(eq - cfg.line.items[i]) >= sizeof(key)) {
			fprintf(stderr,
			    "gpiod-ctl: --line \"%s\": write KEY=VALUE, e.g. "
			    "--line power-button=gpiochip0:23\n",
			    cfg.line.items[i]);
			goto out;
		}
		snprintf(key, sizeof(key), "%.*s",
		    (int)(eq - cfg.line.items[i]), cfg.line.items[i]);
		if ((r = lines_put(ctx.lines, key, eq + 1)) < 0) {
			fprintf(stderr, "gpiod-ctl: --line %s: %s\n", key,
			    r == -ENOENT ? "not a line key" : error_get());
			goto out;
		}
	}
	lcfg.backend = cfg.backend ? cfg.backend : "gpiod";
	lcfg.debounce_ms = (int)cfg.debounce_ms;
	lcfg.poll_ms = (int)cfg.poll_ms;
	lcfg.consumer = "gpiod-ctl";
	if (cfg.press_ms > cfg.max_pulse_ms) {
		fprintf(stderr,
		    "gpiod-ctl: press-ms (%lld) is longer than max-pulse-ms "
		    "(%lld); raise max-pulse-ms or shorten press-ms\n",
		    cfg.press_ms, cfg.max_pulse_ms);
		goto out;
	}
	if ((r = lines_check(ctx.lines, &lcfg)) < 0) {
		fprintf(stderr, "gpiod-ctl: %s\n", error_get());
		goto out;
	}
	if ((r = rights_check(ctx.rights, ctx.lines)) < 0) {
		fprintf(stderr, "gpiod-ctl: %s\n", error_get());
		goto out;
	}
	if (lines_count(ctx.lines) == 0)
		log_warnx("no lines configured: add power-button, power-led, "
			  "... to [gpiod-ctl] (see gpiod-ctl --help)");
	if (common.check_config) {
		printf("gpiod-ctl: configuration OK (%zu lines, backend %s)\n",
		    lines_count(ctx.lines), lines_backend_name(ctx.lines));
		rc = 0;
		goto out;
	}
	if ((r = daemon_start(&spec, &common, NULL, routes_table, &ctx, &d)) <
	    0) {
		log_warnx("%s", error_get());
		goto out;
	}
	if ((r = lines_open(ctx.lines, daemon_base(d), &lcfg)) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	acfg.press_ms = cfg.press_ms;
	acfg.hold_ms = cfg.hold_ms;
	acfg.lockout_ms = cfg.lockout_ms;
	ctx.daemon = d;
	ctx.press_ms = cfg.press_ms;
	ctx.max_pulse_ms = cfg.max_pulse_ms;
	ctx.pulse = pulse_new(daemon_base(d), ctx.lines, cfg.lockout_ms);
	ctx.atx = atx_new(ctx.lines, ctx.pulse, &acfg);
	lines_on_change(ctx.lines, routes_line_changed, &ctx);
	log_info("%zu lines on backend %s, outputs held inactive",
	    lines_count(ctx.lines), lines_backend_name(ctx.lines));
	daemon_ready(d);
	daemon_run(d);
	rc = 0;
out:
	/* Ends running presses (waiting requests hear why, and the loop runs
	 * a moment longer to send that), then every output is driven
	 * inactive and released. */
	waiting = ctx.waiters != NULL;
	routes_stop(&ctx);
	if (waiting && d != NULL) {
		event_base_loopexit(daemon_base(d), &flush);
		event_base_dispatch(daemon_base(d));
	}
	lines_close(ctx.lines);
	daemon_free(d);
	lines_free(ctx.lines);
	rights_free(ctx.rights);
	config_free(&spec, &common);
	return rc;
}
