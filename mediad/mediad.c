/*
 * mediad.c -- main(): virtual CD/DVD and flash drive from uploaded images.
 *
 * Options (one struct, defaults in its initializer), the image store and
 * LUNs (media.c), the HTTP routes (routes.c over spec.c), then the loop
 * until SIGTERM.  A timer on the loop looks at the LUN directories once a
 * second, so a gadget rebuilt underneath a running mediad gets its medium
 * back (media_poll()).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "media.h"
#include "routes.h"

#define MEDIAD_DEFAULT_LUN                                                     \
	"/sys/kernel/config/usb_gadget/kaputtkvm/functions/"                   \
	"mass_storage.media/lun.0"

struct mediad_options {
	char *images;
	struct config_list luns; /* none given: MEDIAD_DEFAULT_LUN */
	char *state_file;	 /* NULL: in the store */
	long long reserve_mb;
	long long timeout_sec;
	int allow_large_cd;
};

static struct mediad_options opts = {
    .images = "/var/lib/kaputtkvm/images",
    .reserve_mb = 256,
    .timeout_sec = 60,
};

static const struct config_option options[] = {
    {"images", 0, CONFIG_STRING, &opts.images, 0, 0, "DIR",
	"the image store (default /var/lib/kaputtkvm/images)", NULL},
    {"lun", 0, CONFIG_LIST, &opts.luns, 0, 0, "DIR",
	"the mass-storage LUN directory (default the kaputtkvm gadget's "
	"mass_storage.media/lun.0)",
	NULL},
    {"state-file", 0, CONFIG_STRING, &opts.state_file, 0, 0, "FILE",
	"where the current mounts are remembered (default "
	"DIR/.mediad-state.json)",
	NULL},
    {"reserve-mb", 0, CONFIG_INT, &opts.reserve_mb, 0, 1 << 30, "N",
	"MiB kept free in the store; uploads that would cut into it are "
	"refused (default 256)",
	NULL},
    {"timeout", 0, CONFIG_INT, &opts.timeout_sec, 1, 3600, "SEC",
	"seconds a connection may stay silent, also in the middle of an "
	"upload, before it is dropped (and the upload with it; default 60)",
	NULL},
    {"allow-large-cd", 0, CONFIG_FLAG, &opts.allow_large_cd, 0, 0, NULL,
	"allow CD images over 2.2 GiB (only for kernels patched for it)", NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct config_spec spec = {"mediad",
    "virtual CD/DVD and flash drive from uploaded images", options, NULL, NULL};

/* The store and LUN settings the options make. */
static void
mediad_media_config(struct media_config *mc)
{
	static char *default_lun[] = {MEDIAD_DEFAULT_LUN, NULL};

	mc->images = opts.images;
	mc->luns = opts.luns.n > 0 ? opts.luns.items : default_lun;
	mc->nluns = opts.luns.n > 0 ? opts.luns.n : 1;
	mc->state_file = opts.state_file;
	mc->reserve = (uint64_t)opts.reserve_mb << 20;
	mc->allow_large_cd = opts.allow_large_cd;
}

/* Once a second: follow a rebuilt gadget. */
static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	media_poll(arg);
}

/* Listen with the routes; the gadget poll on the loop. */
static int
mediad_serve(const struct config_common *common,
    const struct http_route *routes, struct routes_ctx *ctx,
    struct daemon **ret_d, struct event **ret_poll)
{
	struct http_server_config hc = {0};
	struct timeval sec = {1, 0};
	int r;

	hc.timeout_sec = (unsigned int)opts.timeout_sec;
	if ((r = daemon_start(&spec, common, &hc, routes, ctx, ret_d)) < 0)
		return r;
	ctx->daemon = *ret_d;
	daemon_on_stop(*ret_d, routes_stop, ctx);
	if ((*ret_poll = event_new(daemon_base(*ret_d), -1, EV_PERSIST, poll_cb,
		 ctx->media)) == NULL)
		fatalx("out of memory");
	event_add(*ret_poll, &sec);
	return 0;
}

/* Options, the store and LUNs, the routes, then the loop until SIGTERM. */
int
main(int argc, char **argv)
{
	struct config_common common = {0};
	struct media_config mc = {0};
	struct routes_ctx ctx = {0};
	struct http_route *routes = NULL;
	struct daemon *d = NULL;
	struct event *poll_ev = NULL;
	int r, rc = 1;

	log_init("mediad");
	/* a file-size limit (LimitFSIZE=) fails the upload with EFBIG, as a
	 * FAT store does at 4 GiB, instead of killing the daemon */
	signal(SIGXFSZ, SIG_IGN);
	if ((r = config_load(&spec, &common, argc, argv)) != 0)
		return r > 0 ? 0 : 1;
	mediad_media_config(&mc);
	if (common.check_config) {
		printf("mediad: configuration OK\n");
		rc = 0;
		goto out;
	}
	if ((r = media_open(&mc, &ctx.media)) < 0) {
		fprintf(stderr, "mediad: %s\n", error_get());
		goto out;
	}
	routes_init(&ctx, ctx.media);
	routes = api_http_routes(routes_table);
	if ((r = mediad_serve(&common, routes, &ctx, &d, &poll_ev)) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	log_info("images in %s, %zu LUN%s, first %s", mc.images, mc.nluns,
	    mc.nluns == 1 ? "" : "s", mc.luns[0]);
	daemon_ready(d);
	daemon_run(d);
	rc = 0;
out:
	if (poll_ev != NULL)
		event_free(poll_ev);
	daemon_free(d); /* aborts running uploads first */
	free(routes);
	media_close(ctx.media);
	config_free(&spec, &common);
	return rc;
}
