/*
 * routes.c -- fuzz target ocrd-routes: ocrd's real route table and reader
 * (Tesseract's engine, its worker thread), as ocrd.c's main() sets them
 * up, behind the real HTTP server on a socket of its own.  Each input is
 * what one client sends on one connection (tests/fuzz/common/peer.h).
 * capd's socket is a path where nobody listens, so a read the input asks
 * for ends in the 503 "capd does not answer"; what is fuzzed is the
 * request's way through the description (the region's fields, the
 * language), busy, /state.  The reader is made anew per input.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "peer.h"
#include "reader.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct config_option options[] = {
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};
static const struct config_spec spec = {
    "ocrd", "text read off the screen with Tesseract", options, NULL, NULL};

static char sock[128], capd_sock[128];

static int
ocrd_busy(void *arg)
{
	struct routes_ctx *ctx = arg;

	return reader_busy(ctx->reader);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_daemon pd = {NULL, NULL, 5, 200, ocrd_busy, NULL, NULL};
	struct config_common common = {0};
	struct http_server_config hc = {0};
	struct reader_config rc = {capd_sock, NULL, 1000, 2000};
	struct routes_ctx ctx = {0};
	struct http_route *routes;
	struct daemon *d = NULL;

	if (size > 100000)
		return 0;
	if (sock[0] == '\0') {
		log_init("ocrd");
		signal(SIGPIPE, SIG_IGN);
		snprintf(sock, sizeof(sock), "%s/ocrd.sock", peer_tmpdir());
		snprintf(capd_sock, sizeof(capd_sock), "%s/none.sock",
		    peer_tmpdir());
	}
	common.socket_path = sock;
	common.socket_mode = 0600;
	routes = api_http_routes(routes_table);
	if (daemon_start(&spec, &common, &hc, routes, &ctx, &d) < 0 ||
	    reader_new(daemon_base(d), &rc, &ctx.reader) < 0) {
		fprintf(stderr, "ocrd-routes: %s\n", error_get());
		abort();
	}
	daemon_ready(d);
	pd.base = daemon_base(d);
	pd.path = sock;
	pd.arg = &ctx;
	peer_run(&pd, data, size);
	/* as main() stops */
	reader_free(ctx.reader);
	daemon_free(d);
	free(routes);
	return 0;
}
