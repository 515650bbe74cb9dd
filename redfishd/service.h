/*
 * service.h -- redfishd's service as data and two calls, so that main()
 * (redfishd.c) and the route fuzz target (tests/fuzz/redfishd/routes.c)
 * set it up the same way: the options fill redfishd_spec's variables, then
 * redfishd_service_init() and daemon_start() with redfishd_routes and, as
 * the handlers' arg, a struct event_base * that is set to the daemon's
 * loop before it runs.
 */
#ifndef REDFISHD_SERVICE_H
#define REDFISHD_SERVICE_H

#include "config.h"
#include "http.h"

/* The options (--gpiod-socket, --htpasswd, ...). */
extern const struct config_spec redfishd_spec;
/* /redfish, /auth/token, /state, /metrics. */
extern const struct http_route redfishd_routes[];

/* The state as at a start: no session, no login counted, the boot
 * override None; 0, or -ENOMEM. */
int redfishd_service_init(void);
/* Ends the sessions. */
void redfishd_service_free(void);

#endif
