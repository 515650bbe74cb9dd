/*
 * daemon.c -- what every daemon's main() does the same way: listen (or take
 * systemd's sockets), serve HTTP, stop on SIGTERM/SIGINT, talk to systemd.
 *
 * Signals are libevent events, so nothing runs in signal context.  The first
 * SIGTERM/SIGINT stops accepting at once and lets the connections already
 * accepted finish (at most DAEMON_DRAIN_SEC): under systemd the listening
 * socket stays open in systemd, so a connection that arrives meanwhile waits
 * in its queue for our successor instead of being refused or reset.  A
 * second signal, or the deadline, ends the rest: the stop callbacks
 * (daemon_on_stop()) run then, on the running loop, and a reply one of them
 * gives -- a press or an upload cut short, saying why -- still reaches its
 * peer, the loop running at most DAEMON_FLUSH_MSEC longer to send it;
 * whatever is still open after that is aborted (an upload's partial file
 * removed).  A third signal leaves at once.  Under
 * systemd with WatchdogSec= a timer on the loop pings the watchdog at half
 * the interval: a loop that hangs stops pinging and systemd restarts us.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "client.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "sock.h"
#include "xmalloc.h"

#include "kvm-config.h"
#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* Long enough for gpiod-ctl's default ATX hold (hold-ms 5500, the forced
 * power-off) to finish rather than be cut into a short press; well within
 * the units' TimeoutStopSec=. */
#define DAEMON_DRAIN_SEC 6
/* How long the replies the stop callbacks give may take to go out. */
#define DAEMON_FLUSH_MSEC 200

struct daemon_stop_cb {
	void (*cb)(void *);
	void *arg;
};

struct daemon {
	const char *name;
	struct event_base *base;
	struct http_server *http;
	struct event *sigterm, *sigint, *watchdog, *deadline;
	char *socket_path; /* ours to unlink, or NULL */
	dev_t socket_dev;
	ino_t socket_ino;
	struct daemon_stop_cb *stops;
	size_t nstops;
	struct timespec started;
	int stopping;
	int finishing; /* the stop callbacks ran: the loop ends shortly */
};

/* sd_notify: with libsystemd if we have it, else by hand. */
int
daemon_notify(const char *state)
{
#if HAVE_LIBSYSTEMD
	return sd_notify(0, state);
#else
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	size_t len;
	int fd, r;

	if (path == NULL || *path == '\0')
		return 0;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	r = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		(struct sockaddr *)&sun, (socklen_t)len) == -1
	    ? -errno
	    : 1;
	close(fd);
	return r;
#endif
}

/* The last accepted connection is done: leave the loop. */
static void
daemon_drained_cb(void *arg)
{
	struct daemon *d = arg;

	event_base_loopexit(d->base, NULL);
}

/* Runs the stop callbacks, last registered first, once. */
static void
daemon_run_stops(struct daemon *d)
{
	size_t i;

	for (i = d->nstops; i > 0; i--)
		d->stops[i - 1].cb(d->stops[i - 1].arg);
	d->nstops = 0;
}

/* Ends what still runs: the stop callbacks now, the loop once their
 * replies are out (the server drains: each reply closes its connection,
 * and daemon_drained_cb leaves when none is left) or after
 * DAEMON_FLUSH_MSEC.  Called again, it leaves at once. */
static void
daemon_finish(struct daemon *d)
{
	struct timeval tv = {0, DAEMON_FLUSH_MSEC * 1000};

	if (d->finishing) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	d->finishing = 1;
	daemon_run_stops(d);
	if (http_server_connections(d->http) == 0)
		event_base_loopexit(d->base, NULL);
	else
		event_base_loopexit(d->base, &tv);
}

/* The drain took too long: end the rest. */
static void
daemon_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	log_warnx("%u connection%s still open after %d s, closing them",
	    http_server_connections(d->http),
	    http_server_connections(d->http) == 1 ? "" : "s", DAEMON_DRAIN_SEC);
	daemon_finish(d);
}

/* SIGTERM or SIGINT: drain, then leave the loop; the daemon's main()
 * cleans up.  A second one ends the rest now (daemon_finish()). */
static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = {DAEMON_DRAIN_SEC, 0};

	if (d->stopping) {
		log_info(
		    "%s received again, stopping now", strsignal((int)sig));
		daemon_finish(d);
		return;
	}
	log_info("%s received, finishing %u connection%s and stopping",
	    strsignal((int)sig), http_server_connections(d->http),
	    http_server_connections(d->http) == 1 ? "" : "s");
	d->stopping = 1;
	daemon_notify("STOPPING=1");
	if (d->deadline == NULL &&
	    (d->deadline = evtimer_new(d->base, daemon_deadline_cb, d)) == NULL)
		xmalloc_fatal("the stop deadline's timer");
	evtimer_add(d->deadline, &tv);
	http_server_drain(d->http, daemon_drained_cb, d);
}

/* Pings systemd's watchdog from the loop itself. */
static void
daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	daemon_notify("WATCHDOG=1");
}

/* Starts the watchdog timer if systemd asked for one. */
static void
daemon_watchdog_start(struct daemon *d)
{
	const char *usec_s = getenv("WATCHDOG_USEC");
	const char *pid_s = getenv("WATCHDOG_PID");
	struct timeval tv;
	long long usec;

	if (usec_s == NULL)
		return;
	if (pid_s != NULL && atol(pid_s) != (long)getpid())
		return;
	usec = atoll(usec_s);
	if (usec <= 0)
		return;
	usec /= 2;
	tv.tv_sec = usec / 1000000;
	tv.tv_usec = usec % 1000000;
	if ((d->watchdog = event_new(
		 d->base, -1, EV_PERSIST, daemon_watchdog_cb, d)) == NULL)
		xmalloc_fatal("the watchdog's timer");
	event_add(d->watchdog, &tv);
}

/* Listens, sets up signals and the HTTP server. */
int
daemon_start(const struct config_spec *spec, const struct config_common *c,
    const struct http_server_config *hc, const struct http_route *routes,
    void *arg, struct daemon **ret_daemon)
{
	struct sock_listen_config lc;
	struct daemon *d;
	struct stat st;
	int first, n, i, fd, r;

	if (evthread_use_pthreads() == -1)
		return error_set(-ENOSYS, "libevent has no pthreads support");
	d = xcalloc(1, sizeof(*d));
	d->name = spec->daemon;
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	if ((d->base = event_base_new()) == NULL)
		fatalx("cannot create an event base");
	d->http = http_server_new(d->base, hc, routes, arg);

	if ((n = sock_activation_fds(&first)) < 0) {
		r = n;
		goto fail;
	}
	if (n > 0) {
		for (i = 0; i < n; i++)
			if ((r = http_server_add_listener(d->http, first + i)) <
			    0)
				goto fail;
		log_info("listening on %d socket%s from systemd", n,
		    n == 1 ? "" : "s");
	} else {
		lc.path = c->socket_path;
		lc.mode = (mode_t)c->socket_mode;
		lc.group = c->socket_group;
		if ((r = sock_listen(&lc, &fd)) < 0)
			goto fail;
		if (fstat(fd, &st) == 0 && stat(lc.path, &st) == 0) {
			d->socket_dev = st.st_dev;
			d->socket_ino = st.st_ino;
		}
		d->socket_path = xstrdup(lc.path);
		if ((r = http_server_add_listener(d->http, fd)) < 0)
			goto fail;
		log_info("listening on %s", lc.path);
	}

	signal(SIGPIPE, SIG_IGN);
	d->sigterm = evsignal_new(d->base, SIGTERM, daemon_signal_cb, d);
	d->sigint = evsignal_new(d->base, SIGINT, daemon_signal_cb, d);
	evsignal_add(d->sigterm, NULL);
	evsignal_add(d->sigint, NULL);
	daemon_watchdog_start(d);
	*ret_daemon = d;
	return 0;
fail:
	daemon_free(d);
	return r;
}

/* The event loop. */
struct event_base *
daemon_base(struct daemon *d)
{
	return d->base;
}

/* The HTTP server. */
struct http_server *
daemon_http(struct daemon *d)
{
	return d->http;
}

/* The daemon's name ("capd"). */
const char *
daemon_name(const struct daemon *d)
{
	return d->name;
}

/* Seconds since daemon_start(). */
double
daemon_uptime(const struct daemon *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - d->started.tv_sec) +
	    (double)(now.tv_nsec - d->started.tv_nsec) / 1e9;
}

/* Registers shutdown work; run in reverse order at the drain's deadline
 * or a second signal, on the loop, else by daemon_free(). */
void
daemon_on_stop(struct daemon *d, void (*cb)(void *), void *arg)
{
	d->stops = xreallocarray(d->stops, d->nstops + 1, sizeof(*d->stops));
	d->stops[d->nstops].cb = cb;
	d->stops[d->nstops].arg = arg;
	d->nstops++;
}

/* Tells systemd we serve. */
void
daemon_ready(struct daemon *d)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s is serving", d->name);
	daemon_notify(buf);
}

/* Runs the loop until a stop signal or daemon_stop(). */
int
daemon_run(struct daemon *d)
{
	if (event_base_dispatch(d->base) == -1)
		return error_set(-EIO, "the event loop failed");
	return 0;
}

/* Asks the loop to end. */
void
daemon_stop(struct daemon *d)
{
	if (!d->stopping) {
		d->stopping = 1;
		daemon_notify("STOPPING=1");
	}
	event_base_loopexit(d->base, NULL);
}

/* Runs the stop callbacks (those that have not run), closes the server and
 * removes our socket. */
void
daemon_free(struct daemon *d)
{
	struct stat st;

	if (d == NULL)
		return;
	if (!d->stopping)
		daemon_notify("STOPPING=1");
	client_cancel_all(d->base);
	daemon_run_stops(d);
	free(d->stops);
	http_server_free(d->http);
	/* only the socket we made: a successor may have bound a new one */
	if (d->socket_path != NULL && stat(d->socket_path, &st) == 0 &&
	    st.st_dev == d->socket_dev && st.st_ino == d->socket_ino)
		unlink(d->socket_path);
	free(d->socket_path);
	if (d->sigterm != NULL)
		event_free(d->sigterm);
	if (d->sigint != NULL)
		event_free(d->sigint);
	if (d->watchdog != NULL)
		event_free(d->watchdog);
	if (d->deadline != NULL)
		event_free(d->deadline);
	event_base_free(d->base);
	free(d);
}
