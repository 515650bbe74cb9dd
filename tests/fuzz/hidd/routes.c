/*
 * routes.c -- fuzz target hidd-routes: hidd's real route table, WebSocket
 * and keyboard/mouse core, as hidd.c's main() sets them up, on the gadget
 * backend with regular files in place of /dev/hidg0..2 (every report is
 * written; no LED report comes back; no UDC), behind the real HTTP server
 * on a socket of its own.  Each input is what one client sends on one
 * connection (see tests/fuzz/common/peer.h): HTTP requests, and after a
 * GET /ws upgrade WebSocket frames.  The daemon is set up anew for each
 * input but for the paste layouts, which hidd compiles once and keeps (an
 * xkb compose table costs milliseconds); a paste still typing when the
 * peer's time bound ends is stopped by hid_free() as at a stop.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "backend.h"
#include "config.h"
#include "daemon.h"
#include "error.h"
#include "gadget.h"
#include "hid.h"
#include "hidws.h"
#include "log.h"
#include "macrostore.h"
#include "paste.h"
#include "peer.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct config_option options[] = {
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};
static const struct config_spec spec = {"hidd",
    "keyboard and mouse of the target (USB gadget or UART)", options, NULL,
    NULL};

/* A change the pages should see (as main()). */
static void
on_change(struct hid *hd, void *arg)
{
	hidws_push(arg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_daemon pd = {NULL, NULL, 3, 40, NULL, NULL, NULL};
	static char sock[128], dev[3][128];
	static struct paste *paste;
	struct config_common common = {0};
	struct http_server_config hc = {0};
	struct routes_ctx ctx = {0};
	struct http_route *routes = api_http_routes(routes_table);
	struct hid_config hcfg = {0};
	struct gadget_config gc = {0};
	struct backend *b = NULL;
	struct daemon *d;
	int i;

	if (size > 1200000)
		return 0;
	if (sock[0] == '\0') {
		log_init("hidd");
		snprintf(sock, sizeof(sock), "%s/hidd.sock", peer_tmpdir());
		for (i = 0; i < 3; i++)
			snprintf(dev[i], sizeof(dev[i]), "%s/hidg%d",
			    peer_tmpdir(), i);
		if (paste_new(&paste) < 0) {
			fprintf(stderr, "hidd-routes: %s\n", error_get());
			abort();
		}
	}
	for (i = 0; i < 3; i++)
		peer_write_file(dev[i], NULL, 0);
	common.socket_path = sock;
	common.socket_mode = 0600;
	ctx.ws.max_message = HIDWS_MAX_MESSAGE;
	hc.max_body_bytes = 1024 * 1024;
	if (daemon_start(&spec, &common, &hc, routes, &ctx, &d) < 0) {
		fprintf(stderr, "hidd-routes: %s\n", error_get());
		abort();
	}
	ctx.daemon = d;
	ctx.paste = paste;
	ctx.layout = "us";
	macrostore_open(
	    NULL, NULL, &ctx.macros); /* no store: nothing on disk */
	gc.keyboard = dev[0];
	gc.mouse = dev[1];
	gc.mouse_rel = dev[2];
	gc.leds = "";
	gc.udc_state = "";
	gc.write_timeout_ms = 100;
	if (gadget_open(daemon_base(d), &gc, &b) < 0) {
		fprintf(stderr, "hidd-routes: %s\n", error_get());
		abort();
	}
	hcfg.stuck_key_timeout = 15;
	hcfg.paste_delay_ms = 1;
	hcfg.paste_max_chars = 65536;
	hcfg.default_layout = "us";
	hid_new(daemon_base(d), b, ctx.paste, &hcfg, &ctx.hid);
	hid_on_change(ctx.hid, on_change, &ctx);
	daemon_ready(d);
	pd.base = daemon_base(d);
	pd.path = sock;
	peer_run(&pd, data, size);
	/* as main() stops */
	hidws_close_all(&ctx);
	hid_free(ctx.hid);
	macrostore_free(ctx.macros);
	daemon_free(d);
	free(routes);
	return 0;
}
