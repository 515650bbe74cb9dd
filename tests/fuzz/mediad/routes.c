/*
 * routes.c -- fuzz target mediad-routes: mediad's real route table, store
 * and LUN logic, as mediad.c's main() sets them up, on an image store in a
 * private directory holding two small images (a CD's smallest and a flash drive's) and a plain directory as the
 * LUN (attribute files as the demo and the integration tests have them),
 * behind the real HTTP server on a socket of its own.  Each input is what
 * one client sends on one connection (see tests/fuzz/common/peer.h):
 * uploads stream to the real writer thread, downloads with Range, mounts
 * and ejects write the LUN's files.  Store, LUN and state file are made
 * anew for each input; an upload still running when the peer's time bound
 * ends is aborted by daemon_free() as at a stop.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "routes.h"
#include "log.h"
#include "media.h"
#include "peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct config_option options[] = {
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};
static const struct config_spec spec = {"mediad",
    "virtual CD/DVD and flash drive from uploaded images", options, NULL, NULL};

static char sock[128], images[128], lun[128], state[128];
static char *luns[] = {lun, NULL};

/* A file under dir. */
static void
put(const char *dir, const char *name, const char *data, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	peer_write_file(path, data, len);
}

/* The store with two images, an empty LUN. */
static void
setup_dirs(void)
{
	static char img[614400]; /* the smallest CD the kernel takes */
	size_t i;

	for (i = 0; i < sizeof(img); i++)
		img[i] = (char)(i * 131 + (i >> 8));
	peer_empty_dir(images);
	peer_empty_dir(lun);
	remove(state);
	put(images, "debian.iso", img, sizeof(img));
	put(images, "flash.img", img, 65536);
	put(lun, "file", "\n", 1);
	put(lun, "cdrom", "0\n", 2);
	put(lun, "ro", "0\n", 2);
	put(lun, "removable", "1\n", 2);
}

/* An upload's body is in and its writer still finishes: its reply comes. */
static int
busy(void *arg)
{
	struct routes_ctx *ctx = arg;

	return !TAILQ_EMPTY(&ctx->finishing);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_daemon pd = {NULL, NULL, 3, 60, busy, NULL, NULL};
	struct config_common common = {0};
	struct media_config mc = {0};
	struct routes_ctx ctx = {0};
	struct http_server_config hc = {0};
	struct http_route *routes;
	struct daemon *d = NULL;

	if (size > 300000)
		return 0;
	if (sock[0] == '\0') {
		log_init("mediad");
		signal(SIGXFSZ, SIG_IGN);
		snprintf(sock, sizeof(sock), "%s/mediad.sock", peer_tmpdir());
		snprintf(images, sizeof(images), "%s/images", peer_tmpdir());
		snprintf(lun, sizeof(lun), "%s/lun.0", peer_tmpdir());
		snprintf(state, sizeof(state), "%s/mediad-state.json",
		    peer_tmpdir());
		if (mkdir(images, 0700) == -1 || mkdir(lun, 0700) == -1)
			abort();
	}
	setup_dirs();
	common.socket_path = sock;
	common.socket_mode = 0600;
	mc.images = images;
	mc.luns = luns;
	mc.nluns = 1;
	mc.state_file = state;
	mc.reserve = 1 << 20;
	if (media_open(&mc, &ctx.media) < 0) {
		fprintf(stderr, "mediad-routes: %s\n", error_get());
		abort();
	}
	routes_init(&ctx, ctx.media);
	hc.timeout_sec = 60;
	routes = api_http_routes(routes_table);
	if (daemon_start(&spec, &common, &hc, routes, &ctx, &d) < 0) {
		fprintf(stderr, "mediad-routes: %s\n", error_get());
		abort();
	}
	ctx.daemon = d;
	daemon_on_stop(d, routes_stop, &ctx);
	daemon_ready(d);
	pd.base = daemon_base(d);
	pd.path = sock;
	pd.arg = &ctx;
	peer_run(&pd, data, size);
	/* as main() stops */
	daemon_free(d);
	free(routes);
	media_close(ctx.media);
	return 0;
}
