/*
 * hidd.c -- main: the keyboard and mouse daemon (see docs/architecture.md).
 *
 * Read from the top: the options (one struct, its defaults in the
 * initializer, the table config_load() fills it from), their checks, the
 * start (socket and routes, backend, core), the stop, and main(), which
 * strings them together.  The HTTP handlers are in routes.c, the WebSocket
 * in hidws.c, the core in hid.c.
 *
 * `hidd --release` does not start the daemon: with the same config it
 * writes the idle reports once and exits (release.h), for the unit's
 * ExecStopPost= after hidd ended, however it ended.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "config.h"
#include "daemon.h"
#include "error.h"
#include "gadget.h"
#include "hid.h"
#include "hidws.h"
#include "log.h"
#include "jigstore.h"
#include "macrostore.h"
#include "paste.h"
#include "release.h"
#include "routes.h"
#include "uart.h"

struct hidd_options {
	char *backend;
	char *keyboard, *mouse, *mouse_rel, *leds;
	char *udc_state;
	long long write_timeout_ms;
	char *uart, *uart_protocol;
	long long uart_baud, uart_timeout_ms, uart_ping_ms;
	long long uart_reset_after;
	char *gpiod_socket, *reset_line;
	long long stuck_key_timeout;
	long long paste_delay_ms, paste_max_chars;
	char *layout;
	char *macros;
	long long jiggler_interval;
	char *jiggler_state;
	char *leds_state;
	int log_reports;
	struct config_list origins;
	int release;
};

/* The whole of `hidd --release`, well below the second the unit promises
 * (the process's own start included). */
#define HIDD_RELEASE_MS 500

static struct hidd_options opts = {
    .backend = "gadget",
    .keyboard = "/dev/hidg0",
    .mouse = "/dev/hidg1",
    .mouse_rel = "/dev/hidg2",
    .write_timeout_ms = 100,
    .uart_protocol = "crc16",
    .uart_baud = 0,
    .uart_timeout_ms = 100,
    .uart_ping_ms = 100,
    .uart_reset_after = 5,
    .gpiod_socket = "/run/kaputtkvm/gpiod-ctl.sock",
    .reset_line = "hid-reset",
    .stuck_key_timeout = 15,
    .paste_delay_ms = 10,
    .paste_max_chars = 65536,
    .layout = "us",
    .macros = "/var/lib/kaputtkvm/hidd/macros.json",
    .jiggler_interval = 60,
    .jiggler_state = "/var/lib/kaputtkvm/hidd/jiggler.json",
    .leds_state = "/run/kaputtkvm-hidd/leds",
};

static const struct config_option options[] = {
    {"backend", 0, CONFIG_STRING, &opts.backend, 0, 0, "NAME",
	"gadget (/dev/hidgN, default) or uart (a microcontroller)", NULL},
    {"keyboard", 0, CONFIG_STRING, &opts.keyboard, 0, 0, "PATH",
	"keyboard hidg (default /dev/hidg0; \"none\" for none)", NULL},
    {"mouse", 0, CONFIG_STRING, &opts.mouse, 0, 0, "PATH",
	"absolute mouse hidg (default /dev/hidg1; \"none\" for none)", NULL},
    {"mouse-rel", 0, CONFIG_STRING, &opts.mouse_rel, 0, 0, "PATH",
	"relative boot mouse hidg (default /dev/hidg2; \"none\" for none)",
	NULL},
    {"relmouse", 0, CONFIG_STRING, &opts.mouse_rel, 0, 0, "PATH",
	"the same as --mouse-rel", NULL},
    {"leds", 0, CONFIG_STRING, &opts.leds, 0, 0, "PATH",
	"read the LED report from PATH instead of the keyboard hidg "
	"(tests)",
	NULL},
    {"udc-state", 0, CONFIG_STRING, &opts.udc_state, 0, 0, "PATH",
	"UDC state file (default /sys/class/udc/<the only UDC>/state; "
	"\"none\" for none)",
	NULL},
    {"write-timeout-ms", 0, CONFIG_INT, &opts.write_timeout_ms, 1, 10000, "MS",
	"how long reports wait for a host that is not polling "
	"(default 100)",
	NULL},
    {"uart", 0, CONFIG_STRING, &opts.uart, 0, 0, "PATH",
	"serial device of the HID microcontroller (--backend uart)", NULL},
    {"uart-protocol", 0, CONFIG_STRING, &opts.uart_protocol, 0, 0, "NAME",
	"crc16 (the 8-byte open firmware protocol, default) or "
	"ch9329",
	NULL},
    {"uart-baud", 0, CONFIG_INT, &opts.uart_baud, 0, 4000000, "N",
	"baud rate (default 115200 for crc16, 9600 for ch9329)", NULL},
    {"uart-timeout-ms", 0, CONFIG_INT, &opts.uart_timeout_ms, 5, 5000, "MS",
	"wait for each reply (default 100)", NULL},
    {"uart-ping-ms", 0, CONFIG_INT, &opts.uart_ping_ms, 0, 60000, "MS",
	"ping the microcontroller this often for LEDs (default 100; "
	"at most 500, also when 0)",
	NULL},
    {"uart-reset-after", 0, CONFIG_INT, &opts.uart_reset_after, 0, 1000, "N",
	"failed commands in a row before pulsing the reset line "
	"(default 5; 0 never)",
	NULL},
    {"gpiod-socket", 0, CONFIG_STRING, &opts.gpiod_socket, 0, 0, "PATH",
	"gpiod-ctl's socket (default /run/kaputtkvm/gpiod-ctl.sock)", NULL},
    {"reset-line", 0, CONFIG_STRING, &opts.reset_line, 0, 0, "NAME",
	"gpiod-ctl line that resets the microcontroller (default "
	"hid-reset)",
	NULL},
    {"stuck-key-timeout", 0, CONFIG_INT, &opts.stuck_key_timeout, 0, 86400,
	"SEC",
	"release a key whose client sent nothing for SEC "
	"seconds (default 15; 0 never)",
	NULL},
    {"paste-delay-ms", 0, CONFIG_INT, &opts.paste_delay_ms, 0, 1000, "MS",
	"default time between paste reports (default 10)", NULL},
    {"paste-max-chars", 0, CONFIG_INT, &opts.paste_max_chars, 1, 1000000, "N",
	"longest text one paste types (default 65536)", NULL},
    {"layout", 0, CONFIG_STRING, &opts.layout, 0, 0, "XKB",
	"default paste layout (default us)", NULL},
    {"macros", 0, CONFIG_STRING, &opts.macros, 0, 0, "PATH",
	"the macro store, one JSON file (default "
	"/var/lib/kaputtkvm/hidd/macros.json; \"none\" keeps no macros)",
	NULL},
    {"jiggler-interval", 0, CONFIG_INT, &opts.jiggler_interval, HID_JIGGLER_MIN,
	HID_JIGGLER_MAX, "SEC",
	"the jiggler (off until switched on) nudges the mouse after SEC "
	"seconds without input (default 60)",
	NULL},
    {"jiggler-state", 0, CONFIG_STRING, &opts.jiggler_state, 0, 0, "PATH",
	"where the jiggler's setting (on or off, interval) is kept across "
	"restarts (default /var/lib/kaputtkvm/hidd/jiggler.json; \"none\" "
	"keeps nothing)",
	NULL},
    {"leds-state", 0, CONFIG_STRING, &opts.leds_state, 0, 0, "PATH",
	"where the target's keyboard LEDs are kept across a restart, on "
	"tmpfs (default /run/kaputtkvm-hidd/leds; \"none\" keeps nothing)",
	NULL},
    {"log-reports", 0, CONFIG_FLAG, &opts.log_reports, 0, 0, NULL,
	"log every report written, readably (the hardware-free demo)", NULL},
    {"allow-origin", 0, CONFIG_LIST, &opts.origins, 0, 0, "ORIGIN",
	"an Origin allowed to open /ws (repeatable; default: the "
	"request's own host only)",
	NULL},
    {"release", 0, CONFIG_ACTION, &opts.release, 0, 0, NULL,
	"do not start: write the idle reports (all keys and buttons up) "
	"once, wait at most 500 ms for the target, and exit (the unit's "
	"ExecStopPost=, for when hidd ended with a key down)",
	NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct config_spec spec = {"hidd",
    "keyboard and mouse of the target (USB gadget or UART)", options, NULL,
    NULL};

/* The HTTP server's route table (api_http_routes()) and what the handlers
 * share. */
static struct http_route *http_routes;
static struct routes_ctx ctx;

/* A path option where "none" switches the thing off (""). */
static const char *
path_or_none(const char *v)
{
	return v != NULL && strcmp(v, "none") == 0 ? "" : v;
}

/* The jiggler as it was kept at the last change, if it was. */
static void
jiggler_restore(void)
{
	long long interval = 0;
	int enabled = 0, r;

	ctx.jiggler_state = path_or_none(opts.jiggler_state);
	r = jigstore_load(ctx.jiggler_state, &enabled, &interval);
	if (r < 0)
		log_warnx("jiggler: %s; starting off", error_get());
	else if (r > 0 && hid_jiggler_set(ctx.hid, enabled, interval) < 0)
		log_warnx("jiggler: %s", error_get());
}

/* --uart-protocol, checked by check_config(). */
static enum uart_protocol
opts_uart_protocol(void)
{
	return strcmp(opts.uart_protocol, "ch9329") == 0 ? UART_CH9329
							 : UART_CRC16;
}

/* Checks the daemon's own settings; prints what is wrong. */
static int
check_config(void)
{
	if (strcmp(opts.backend, "gadget") != 0 &&
	    strcmp(opts.backend, "uart") != 0) {
		fprintf(stderr,
		    "hidd: --backend must be gadget or uart, not \"%s\"\n",
		    opts.backend);
		return -1;
	}
	if (strcmp(opts.backend, "uart") == 0 &&
	    (opts.uart == NULL || !*opts.uart)) {
		fprintf(
		    stderr, "hidd: --backend uart needs --uart /dev/ttyXXX\n");
		return -1;
	}
	if (strcmp(opts.uart_protocol, "crc16") != 0 &&
	    strcmp(opts.uart_protocol, "ch9329") != 0) {
		fprintf(
		    stderr, "hidd: --uart-protocol must be crc16 or ch9329\n");
		return -1;
	}
	/* Compiling a layout costs milliseconds: only one given is checked
	 * (without xkb's data "us" fails too, and paste is disabled). */
	if (strcmp(opts.layout, "us") != 0) {
		struct paste *p;
		const struct paste_layout *l;
		int r = paste_new(&p);

		if (r == 0 && (r = paste_layout(p, opts.layout, &l)) < 0)
			fprintf(stderr, "hidd: --layout: %s\n", error_get());
		paste_free(p);
		if (r < 0)
			return -1;
	}
	if (opts.uart_baud != 0 && uart_baud_supported(opts.uart_baud) < 0) {
		fprintf(stderr,
		    "hidd: --uart-baud %lld is not a standard rate (9600, 19200, 38400, 57600, 115200, ...)\n",
		    opts.uart_baud);
		return -1;
	}
	return 0;
}

/* Opens the configured backend. */
static int
open_backend(struct event_base *base, struct backend **ret)
{
	struct gadget_config gc;
	struct uart_config uc;

	if (strcmp(opts.backend, "uart") == 0) {
		memset(&uc, 0, sizeof(uc));
		uc.path = opts.uart;
		uc.protocol = opts_uart_protocol();
		uc.baud = (unsigned int)opts.uart_baud;
		uc.timeout_ms = (unsigned int)opts.uart_timeout_ms;
		uc.ping_ms = (unsigned int)opts.uart_ping_ms;
		uc.reset_after = (unsigned int)opts.uart_reset_after;
		uc.gpiod_socket = opts.gpiod_socket;
		uc.reset_line = opts.reset_line;
		return uart_open(base, &uc, ret);
	}
	memset(&gc, 0, sizeof(gc));
	gc.keyboard = path_or_none(opts.keyboard);
	gc.mouse = path_or_none(opts.mouse);
	gc.mouse_rel = path_or_none(opts.mouse_rel);
	gc.leds = path_or_none(opts.leds);
	gc.udc_state = path_or_none(opts.udc_state);
	gc.write_timeout_ms = (unsigned int)opts.write_timeout_ms;
	gc.leds_state = path_or_none(opts.leds_state);
	return gadget_open(base, &gc, ret);
}

/* hidd --release: the exit status. */
static int
release_main(void)
{
	struct release_gadget rg;
	int r, done = 0;

	if (strcmp(opts.backend, "uart") == 0)
		r = release_uart(opts.uart, opts_uart_protocol(),
		    (unsigned int)opts.uart_baud, HIDD_RELEASE_MS);
	else {
		rg.keyboard = path_or_none(opts.keyboard);
		rg.mouse = path_or_none(opts.mouse);
		rg.mouse_rel = path_or_none(opts.mouse_rel);
		r = release_gadget(&rg, HIDD_RELEASE_MS, &done);
	}
	if (r < 0) {
		log_warnx("release: %s", error_get());
		return 1;
	}
	return 0;
}

/* A change the pages should see. */
static void
on_change(struct hid *hd, void *arg)
{
	hidws_push(arg);
}

/* Listens, opens the backend and starts the core on it: 0, or -1 logged. */
static int
hidd_start(const struct config_common *common, struct daemon **ret)
{
	struct http_server_config hc = {0};
	struct hid_config hcfg = {0};
	struct backend *b;
	struct daemon *d;

	if (opts.origins.n > 0) /* the list ends with a NULL item */
		ctx.ws.origins = (const char *const *)opts.origins.items;
	ctx.ws.max_message = HIDWS_MAX_MESSAGE;
	hc.max_body_bytes = 1024 * 1024;
	http_routes = api_http_routes(routes_table);
	if (daemon_start(&spec, common, &hc, http_routes, &ctx, &d) < 0) {
		log_warnx("%s", error_get());
		return -1;
	}
	ctx.daemon = d;
	if (paste_new(&ctx.paste) < 0)
		log_warnx("paste disabled: %s", error_get());
	if (macrostore_open(
		daemon_base(d), path_or_none(opts.macros), &ctx.macros) < 0)
		log_warnx("macros: %s", error_get());
	ctx.layout = opts.layout;
	if (open_backend(daemon_base(d), &b) < 0) {
		log_warnx("%s", error_get());
		daemon_free(d);
		paste_free(ctx.paste);
		macrostore_free(ctx.macros);
		return -1;
	}
	b->log_reports = opts.log_reports;
	hcfg.stuck_key_timeout = (unsigned int)opts.stuck_key_timeout;
	hcfg.paste_delay_ms = (unsigned int)opts.paste_delay_ms;
	hcfg.paste_max_chars = (size_t)opts.paste_max_chars;
	hcfg.default_layout = opts.layout;
	hcfg.jiggler_interval = (unsigned int)opts.jiggler_interval;
	hid_new(daemon_base(d), b, ctx.paste, &hcfg, &ctx.hid);
	hid_on_change(ctx.hid, on_change, &ctx);
	jiggler_restore();
	log_info("backend %s ready", b->ops->name);
	daemon_ready(d);
	*ret = d;
	return 0;
}

/* After the loop: the pages' connections, the core, the socket. */
static void
hidd_stop(struct daemon *d)
{
	hidws_close_all(&ctx);
	jigstore_wait();
	hid_free(ctx.hid);
	paste_free(ctx.paste);
	macrostore_free(ctx.macros);
	daemon_free(d);
}

int
main(int argc, char **argv)
{
	struct config_common common = {0};
	struct daemon *d;
	int r;

	log_init("hidd");
	if ((r = config_load(&spec, &common, argc, argv)) != 0)
		return r > 0 ? 0 : 1;
	if (check_config() < 0)
		r = 1;
	else if (common.check_config)
		printf("hidd: configuration OK\n");
	else if (opts.release)
		r = release_main();
	else if (hidd_start(&common, &d) < 0)
		r = 1;
	else {
		daemon_run(d);
		hidd_stop(d);
	}
	free(http_routes);
	config_free(&spec, &common);
	return r;
}
