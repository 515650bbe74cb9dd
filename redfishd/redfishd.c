/*
 * redfishd.c -- main(): a Redfish service (DMTF DSP0266) at /redfish/v1
 * (service.h), on its socket until it is stopped.
 */
#include <signal.h>
#include <stdio.h>

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "service.h"

int
main(int argc, char **argv)
{
	struct config_common common = {0};
	struct http_server_config hc = {0};
	struct daemon *d = NULL;
	struct event_base *base = NULL; /* the handlers' arg */
	int r, rc = 1;

	log_init("redfishd");
	signal(SIGPIPE, SIG_IGN);
	if ((r = config_load(&redfishd_spec, &common, argc, argv)) != 0)
		return r > 0 ? 0 : 1;
	if (common.check_config) {
		printf("redfishd: configuration OK\n");
		rc = 0;
		goto out;
	}
	if (redfishd_service_init() < 0) {
		log_warnx("out of memory");
		goto out;
	}
	if (daemon_start(
		&redfishd_spec, &common, &hc, redfishd_routes, &base, &d) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	base = daemon_base(d);
	daemon_ready(d);
	daemon_run(d);
	rc = 0;
out:
	daemon_free(d);
	redfishd_service_free();
	config_free(&redfishd_spec, &common);
	return rc;
}
