/*
 * daemon.h -- what every daemon's main() does the same way.
 *
 *	struct daemon *d;
 *	r = daemon_start(&spec, &common, routes, arg, &d);   listens, signals
 *	...set up the daemon's own modules on daemon_base(d)...
 *	daemon_ready(d);                     READY=1 under systemd
 *	daemon_run(d);                       until SIGTERM/SIGINT
 *	...stop the daemon's modules...
 *	daemon_free(d);                      STOPPING=1, closes the socket
 *
 * Signals arrive through libevent: no work in signal context.  Under systemd
 * with WatchdogSec= the loop itself pings the watchdog, so a hung loop is
 * restarted.  A daemon registers extra shutdown work with daemon_on_stop().
 */
#ifndef KVM_DAEMON_H
#define KVM_DAEMON_H

#include "config.h"
#include "http.h"

struct event_base;
struct daemon;

/* Listens (socket activation when LISTEN_FDS is set, else --socket). */
int daemon_start(const struct config_spec *, const struct config_common *,
    const struct http_server_config *, const struct http_route *, void *arg,
    struct daemon **ret_daemon);
struct event_base *daemon_base(struct daemon *);
struct http_server *daemon_http(struct daemon *);
const char *daemon_name(const struct daemon *);
/* Seconds since start, for /state. */
double daemon_uptime(const struct daemon *);
void daemon_on_stop(struct daemon *, void (*cb)(void *), void *arg);
void daemon_ready(struct daemon *);
/* Runs the loop until a stop signal; returns 0. */
int daemon_run(struct daemon *);
void daemon_stop(struct daemon *); /* ask the loop to end */
void daemon_free(struct daemon *);

/* sd_notify without libsystemd: "READY=1", "STOPPING=1", "WATCHDOG=1",
 * "STATUS=...".  No-op when $NOTIFY_SOCKET is unset. */
int daemon_notify(const char *state);

#endif
