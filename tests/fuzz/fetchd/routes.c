/*
 * routes.c -- fuzz target fetchd-routes: fetchd's real route table and
 * fetcher, as fetchd.c's main() sets them up, behind the real HTTP server
 * on a socket of its own.  Each input is what one client sends on one
 * connection (tests/fuzz/common/peer.h).  No input reaches the network:
 * every transfer goes through ALL_PROXY, a port on loopback where nobody
 * listens (libcurl honours it), and mediad's socket is a path where
 * nobody listens either, so a fetch the input starts fails at once; what is
 * fuzzed is the request's way through the description, the URL, name and
 * SHA-256 rules, /state and cancel.  The fetcher is made anew per input.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "fetch.h"
#include "log.h"
#include "peer.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct config_option options[] = {
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};
static const struct config_spec spec = {"fetchd",
    "images fetched from http(s) URLs into mediad's store", options, NULL,
    NULL};

static char sock[128], mediad_sock[128];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_daemon pd = {NULL, NULL, 3, 60, NULL, NULL, NULL};
	struct config_common common = {0};
	struct http_server_config hc = {0};
	struct fetch_config fc = {mediad_sock, NULL, 5, 1, 1, 0, 0};
	struct routes_ctx ctx = {0};
	struct http_route *routes;
	struct daemon *d = NULL;

	if (size > 100000)
		return 0;
	if (sock[0] == '\0') {
		log_init("fetchd");
		signal(SIGPIPE, SIG_IGN);
		/* port 9 on loopback: discard, and nobody listens there */
		setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
		unsetenv("NO_PROXY");
		unsetenv("no_proxy");
		snprintf(sock, sizeof(sock), "%s/fetchd.sock", peer_tmpdir());
		snprintf(mediad_sock, sizeof(mediad_sock), "%s/none.sock",
		    peer_tmpdir());
	}
	common.socket_path = sock;
	common.socket_mode = 0600;
	routes = api_http_routes(routes_table);
	if (daemon_start(&spec, &common, &hc, routes, &ctx, &d) < 0 ||
	    fetcher_new(daemon_base(d), &fc, &ctx.fetcher) < 0) {
		fprintf(stderr, "fetchd-routes: %s\n", error_get());
		abort();
	}
	daemon_ready(d);
	pd.base = daemon_base(d);
	pd.path = sock;
	pd.arg = &ctx;
	peer_run(&pd, data, size);
	/* as main() stops */
	fetcher_free(ctx.fetcher);
	daemon_free(d);
	free(routes);
	return 0;
}
