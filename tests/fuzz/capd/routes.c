/*
 * routes.c -- fuzz target capd-routes: capd's real route table (each
 * request checked against spec.c by api_dispatch()) and video core, as
 * capd.c's main() sets them up with --source pattern (small and fast, one
 * encoder thread), behind the real HTTP server on a socket of its own.  Each input is what one client sends on one connection (see
 * tests/fuzz/common/peer.h); the daemon is set up anew for each, so inputs
 * do not depend on each other.  /stream and waiting /snapshot requests are
 * cut off by the peer's time bound and ended by video_free() as at a stop.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "peer.h"
#include "routes.h"
#include "video.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct config_option options[] = {
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};
static const struct config_spec spec = {
    "capd", "video capture to multipart MJPEG", options, NULL, NULL};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_daemon pd = {NULL, NULL, 3, 40, NULL, NULL, NULL};
	static char sock[128];
	struct config_common common = {0};
	struct video_config vc = {0};
	static struct http_route *routes;
	struct routes_ctx ctx = {NULL};
	struct daemon *d = NULL;

	if (size > 65536)
		return 0;
	if (sock[0] == '\0') {
		log_init("capd");
		snprintf(sock, sizeof(sock), "%s/capd.sock", peer_tmpdir());
		routes = api_http_routes(routes_table); /* kept: as main()'s */
	}
	common.socket_path = sock;
	common.socket_mode = 0600;
	vc.source = "pattern";
	vc.width = 160;
	vc.height = 120;
	vc.fps = 120;
	vc.format = "auto";
	vc.input = -1;
	vc.quality = 80;
	vc.subsampling = 422;
	vc.workers = 1;
	vc.gpiod_socket = "/nonexistent/gpiod-ctl.sock";
	if (daemon_start(&spec, &common, NULL, routes, &ctx, &d) < 0 ||
	    video_new(daemon_base(d), &vc, &ctx.video) < 0) {
		fprintf(stderr, "capd-routes: %s\n", error_get());
		abort();
	}
	daemon_ready(d);
	pd.base = daemon_base(d);
	pd.path = sock;
	peer_run(&pd, data, size);
	/* as main() stops */
	video_free(ctx.video);
	daemon_free(d);
	return 0;
}
