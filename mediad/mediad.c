/*
 * mediad.c -- main(): virtual CD/DVD and flash drive from uploaded images.
 *
 * A timer on the loop looks at the LUN directories once a second, so a
 * gadget rebuilt underneath a running mediad gets its medium back
 * (media_poll()).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "handlers.h"
#include "log.h"
#include "media.h"

#define MEDIAD_DEFAULT_LUN                                                     \
	"/sys/kernel/config/usb_gadget/kaputtkvm/functions/"                   \
	"mass_storage.media/lun.0"

static char *images_dir;
static struct config_list luns;
static char *state_file;
static long long reserve_mb = 256;
static int allow_large_cd;
static long long timeout_sec = 60;

static const struct config_option options[] = {
    {"images", 0, CONFIG_STRING, &images_dir, 0, 0, "DIR",
	"the image store (default /var/lib/kaputtkvm/images)", NULL},
    {"lun", 0, CONFIG_LIST, &luns, 0, 0, "DIR",
	"the mass-storage LUN directory (default the kaputtkvm gadget's "
	"mass_storage.media/lun.0)",
	NULL},
    {"state-file", 0, CONFIG_STRING, &state_file, 0, 0, "FILE",
	"where the current mounts are remembered (default "
	"DIR/.mediad-state.json)",
	NULL},
    {"reserve-mb", 0, CONFIG_INT, &reserve_mb, 0, 1 << 30, "N",
	"MiB kept free in the store; uploads that would cut into it are "
	"refused (default 256)",
	NULL},
    {"timeout", 0, CONFIG_INT, &timeout_sec, 1, 3600, "SEC",
	"seconds a connection may stay silent, also in the middle of an "
	"upload, before it is dropped (and the upload with it; default 60)",
	NULL},
    {"allow-large-cd", 0, CONFIG_FLAG, &allow_large_cd, 0, 0, NULL,
	"allow CD images over 2.2 GiB (only for kernels patched for it)", NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct config_spec spec = {"mediad",
    "virtual CD/DVD and flash drive from uploaded images", options, NULL, NULL};

/* Once a second: follow a rebuilt gadget. */
static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	media_poll(arg);
}

/* Options, the store and LUNs, then the loop until SIGTERM. */
int
main(int argc, char **argv)
{
	static char *default_lun[] = {MEDIAD_DEFAULT_LUN, NULL};
	struct config_common common = {0};
	struct media_config mc = {0};
	struct handlers_ctx ctx = {0};
	struct http_server_config hc = {0};
	struct daemon *d = NULL;
	struct event *poll_ev = NULL;
	struct timeval sec = {1, 0};
	int r, rc = 1;

	log_init("mediad");
	/* a file-size limit (LimitFSIZE=) fails the upload with EFBIG, as a
	 * FAT store does at 4 GiB, instead of killing the daemon */
	signal(SIGXFSZ, SIG_IGN);
	if ((r = config_load(&spec, &common, argc, argv)) != 0)
		return r > 0 ? 0 : 1;
	mc.images = images_dir ? images_dir : "/var/lib/kaputtkvm/images";
	mc.luns = luns.n > 0 ? luns.items : default_lun;
	mc.nluns = luns.n > 0 ? luns.n : 1;
	mc.state_file = state_file;
	mc.reserve = (uint64_t)reserve_mb << 20;
	mc.allow_large_cd = allow_large_cd;
	if (common.check_config) {
		printf("mediad: configuration OK\n");
		rc = 0;
		goto out;
	}
	if ((r = media_open(&mc, &ctx.media)) < 0) {
		fprintf(stderr, "mediad: %s\n", error_get());
		goto out;
	}
	handlers_init(&ctx, ctx.media);
	hc.timeout_sec = (unsigned int)timeout_sec;
	if ((r = daemon_start(&spec, &common, &hc, handlers_routes, &ctx, &d)) <
	    0) {
		log_warnx("%s", error_get());
		goto out;
	}
	ctx.daemon = d;
	daemon_on_stop(d, handlers_stop, &ctx);
	if ((poll_ev = event_new(
		 daemon_base(d), -1, EV_PERSIST, poll_cb, ctx.media)) == NULL)
		fatalx("out of memory");
	event_add(poll_ev, &sec);
	log_info("images in %s, %zu LUN%s, first %s", mc.images, mc.nluns,
	    mc.nluns == 1 ? "" : "s", mc.luns[0]);
	daemon_ready(d);
	daemon_run(d);
	rc = 0;
out:
	if (poll_ev != NULL)
		event_free(poll_ev);
	daemon_free(d); /* aborts running uploads first */
	media_close(ctx.media);
	config_free(&spec, &common);
	return rc;
}
