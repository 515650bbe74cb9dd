/*
 * http-server.c -- a small HTTP/1.1 server on libevent bufferevents: the
 * server, its listening sockets, and draining it for a restart.
 *
 * The design of the whole is in http.h; one connection's state machine is
 * http-conn.c, the calls handlers make are http-request.c.  Accepting
 * stops for a second when it fails (out of file descriptors) instead of
 * spinning, and past max_connections a new connection is closed at once.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "error.h"
#include "http-int.h"
#include "http.h"
#include "xmalloc.h"

/* Status reason phrases, from error.h's one table. */
const char *
http_status_text(int status)
{
	return error_status_text(status);
}

/* libevent: a new connection. */
static void
http_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct http_server *srv = arg;

	if (srv->nconns >= srv->cfg.max_connections) {
		close(fd);
		return;
	}
	http_conn_new(srv, fd);
}

/* libevent: resume accepting after a pause. */
static void
http_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;
	size_t i;

	if (srv->draining)
		return;
	for (i = 0; i < srv->nlisteners; i++)
		evconnlistener_enable(srv->listeners[i]);
}

/* libevent: accept failed (out of fds): pause a second instead of
 * spinning. */
static void
http_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct http_server *srv = arg;
	struct timeval tv = {1, 0};
	size_t i;

	for (i = 0; i < srv->nlisteners; i++)
		evconnlistener_disable(srv->listeners[i]);
	evtimer_add(srv->resume, &tv);
}

/* libevent: the last connection of a draining server closed. */
static void
http_drained_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;

	if (srv->on_drained != NULL)
		srv->on_drained(srv->drained_arg);
}

/*
 * Stops accepting and lets what was accepted finish: the listening sockets
 * stay open (under systemd they are systemd's, and new connections wait in
 * their queue for the successor).  Every reply from now on closes its
 * connection; an idle keep-alive connection closes now, one accepted that
 * has not sent its first request yet is still served; a stream without a
 * length ends after the parts already queued.  on_drained runs (from the
 * loop) once no connection is left.
 */
void
http_server_drain(
    struct http_server *srv, void (*on_drained)(void *), void *arg)
{
	struct http_conn *c, *next;
	size_t i;

	if (srv->draining)
		return;
	srv->draining = 1;
	srv->on_drained = on_drained;
	srv->drained_arg = arg;
	evtimer_del(srv->resume);
	for (i = 0; i < srv->nlisteners; i++)
		evconnlistener_disable(srv->listeners[i]);
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		http_conn_drain(c);
	}
	if (srv->nconns == 0)
		event_active(srv->drained, EV_TIMEOUT, 0);
}

/* A server with its limits filled in; listeners come later. */
struct http_server *
http_server_new(struct event_base *base, const struct http_server_config *cfg,
    const struct http_route *routes, void *arg)
{
	struct http_server *srv;

	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	if (cfg != NULL)
		srv->cfg = *cfg;
	if (srv->cfg.max_header_bytes == 0)
		srv->cfg.max_header_bytes = 16 * 1024;
	if (srv->cfg.max_body_bytes == 0)
		srv->cfg.max_body_bytes = 64 * 1024;
	if (srv->cfg.timeout_sec == 0)
		srv->cfg.timeout_sec = 30;
	if (srv->cfg.max_connections == 0)
		srv->cfg.max_connections = 256;
	srv->routes = routes;
	srv->arg = arg;
	TAILQ_INIT(&srv->conns);
	if ((srv->resume = evtimer_new(base, http_resume_cb, srv)) == NULL ||
	    (srv->drained = evtimer_new(base, http_drained_cb, srv)) == NULL)
		xmalloc_fatal("the server's events");
	return srv;
}

/* Closes listeners and every connection, telling handlers that wait. */
void
http_server_free(struct http_server *srv)
{
	struct http_conn *c;
	size_t i;

	if (srv == NULL)
		return;
	for (i = 0; i < srv->nlisteners; i++)
		evconnlistener_free(srv->listeners[i]);
	free(srv->listeners);
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		http_conn_close(c);
	event_free(srv->resume);
	event_free(srv->drained);
	free(srv);
}

/* Accepts on a listening socket; the server owns fd, even on failure. */
int
http_server_add_listener(struct http_server *srv, int fd)
{
	struct evconnlistener *l;

	l = evconnlistener_new(srv->base, http_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l == NULL) {
		close(fd);
		return error_set(-ENOMEM, "cannot listen on socket %d", fd);
	}
	evconnlistener_set_error_cb(l, http_accept_error_cb);
	srv->listeners = xreallocarray(
	    srv->listeners, srv->nlisteners + 1, sizeof(*srv->listeners));
	srv->listeners[srv->nlisteners++] = l;
	return 0;
}

/* Request heads seen, answered or refused. */
uint64_t
http_server_requests(const struct http_server *srv)
{
	return srv->nrequests;
}

/* Connections open now (taken-over ones not counted). */
unsigned int
http_server_connections(const struct http_server *srv)
{
	return srv->nconns;
}

/* Finds the route for a request; *ret_allow gets the methods the path
 * allows when it exists but the method does not match. */
const struct http_route *
http_route_find(const struct http_server *srv, const char *path,
    enum http_method method, unsigned int *ret_allow)
{
	const struct http_route *r, *best = NULL;
	unsigned int want, allow = 0;
	size_t n, best_len = 0;
	int exact;

	want = method == HTTP_HEAD ? HTTP_GET | HTTP_HEAD : method;
	for (r = srv->routes; r->path != NULL; r++) {
		n = strlen(r->path);
		exact = strcmp(path, r->path) == 0;
		if (!exact &&
		    (n == 0 || r->path[n - 1] != '/' ||
			strncmp(path, r->path, n) != 0))
			continue;
		allow |= r->methods;
		if ((r->methods & want) == 0)
			continue;
		/* an exact match beats any prefix; a longer prefix wins */
		if (exact)
			n = (size_t)-1;
		if (best == NULL || n > best_len) {
			best = r;
			best_len = n;
		}
	}
	*ret_allow = allow;
	return best;
}

/* Writes the Allow header's value for a set of methods. */
void
http_allow_string(unsigned int methods, char *out, size_t len)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
	    {HTTP_GET, "GET"},
	    {HTTP_HEAD, "HEAD"},
	    {HTTP_POST, "POST"},
	    {HTTP_PUT, "PUT"},
	    {HTTP_DELETE, "DELETE"},
	    {HTTP_OPTIONS, "OPTIONS"},
	    {HTTP_PATCH, "PATCH"},
	};
	size_t i, n = 0;

	if (methods & HTTP_GET)
		methods |= HTTP_HEAD;
	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((methods & names[i].bit) == 0 || n >= len)
			continue;
		n += (size_t)snprintf(
		    out + n, len - n, "%s%s", n > 0 ? ", " : "", names[i].name);
	}
}
