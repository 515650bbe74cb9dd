/*
 * http-conn.c -- one connection of the HTTP server: its state machine.
 *
 * One connection serves one request at a time.  Its state says what the
 * bytes arriving mean: a head (parsed by httpparse.c once it is complete),
 * a whole body (collected, at most max_body_bytes), a streamed body (handed
 * to the handler piece by piece), or nothing while the handler works and
 * the reply drains; pipelined requests wait in the input buffer, which a
 * read watermark bounds.  After a reply that closes, the write side is shut
 * and unread input is discarded for a moment (a lingering close), so that a
 * peer still sending a refused body reads our answer instead of a reset.
 *
 * A request belongs to its handler until the reply ends.  If the peer goes
 * away first, the handler hears it through on_close/on_abort; a handler that
 * set neither keeps a detached request whose reply is then dropped.  Freeing
 * the connection never happens inside a user callback: a busy count defers
 * it.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "envelope.h"
#include "error.h"
#include "http-int.h"
#include "http.h"
#include "httpparse.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

#define HTTP_LINGER_SEC 2

static void http_conn_progress(struct http_conn *);

/* Frees the connection's struct once it is closed and nobody holds it. */
void
http_conn_free_maybe(struct http_conn *c)
{
	if (!c->dead || c->busy > 0 || c->req != NULL)
		return;
	free(c);
}

/* Unlinks a connection from its server and closes what it owns but its
 * request and the struct itself. keep_bev leaves the bufferevent alone. */
void
http_conn_detach(struct http_conn *c, int keep_bev)
{
	if (c->dead)
		return;
	c->dead = 1;
	if (c->bev != NULL && !keep_bev)
		bufferevent_free(c->bev);
	c->bev = NULL;
	event_free(c->timer);
	event_free(c->work);
	c->timer = c->work = NULL;
	if (c->srv != NULL) {
		TAILQ_REMOVE(&c->srv->conns, c, entry);
		if (--c->srv->nconns == 0 && c->srv->draining)
			event_active(c->srv->drained, EV_TIMEOUT, 0);
		c->srv = NULL;
	}
}

/* Arms the connection's timer; sec 0 disarms it. */
void
http_conn_timer(struct http_conn *c, unsigned int sec)
{
	struct timeval tv = {sec, 0};

	if (c->timer == NULL)
		return;
	if (sec == 0)
		evtimer_del(c->timer);
	else
		evtimer_add(c->timer, &tv);
}

/* Runs the connection's progress from the loop soon. */
void
http_conn_schedule(struct http_conn *c)
{
	if (c->work != NULL)
		event_active(c->work, EV_TIMEOUT, 0);
}

/* Bounds how much input may wait unread in the current state. */
void
http_conn_watermark(struct http_conn *c, size_t high)
{
	c->high = high;
	bufferevent_setwatermark(c->bev, EV_READ, 0, high);
}

/* Enters the state that waits for the next request head. */
static void
http_conn_wait_head(struct http_conn *c)
{
	c->state = CS_HEAD;
	c->scanned = 0;
	c->close = 0;
	http_conn_watermark(c, c->srv->cfg.max_header_bytes + 1);
	bufferevent_set_max_single_read(c->bev, 16384);
	bufferevent_enable(c->bev, EV_READ);
	http_conn_timer(c, c->srv->cfg.timeout_sec);
}

/* The reply is out of our hands: go on once it has drained. */
void
http_conn_reply_done(struct http_conn *c)
{
	struct http_request *req = c->req;

	if (req != NULL && !req->body_done)
		c->close = 1;
	c->req = NULL;
	http_request_free(req);
	c->state = CS_FLUSH;
	http_conn_timer(c, 0);
	http_conn_schedule(c);
}

/* Sends the status line and headers of a reply. */
void
http_write_head(struct http_conn *c, struct http_request *req, int status,
    const char *content_type, int64_t content_length, const char *allow)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (req != NULL && !req->body_done)
		c->close = 1; /* the rest of the body is not read */
	if (c->srv != NULL && c->srv->draining)
		c->close = 1; /* the successor takes the next request */
	evbuffer_add_printf(
	    out, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
	if (content_type != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
	if (content_length >= 0)
		evbuffer_add_printf(
		    out, "Content-Length: %lld\r\n", (long long)content_length);
	if (allow != NULL)
		evbuffer_add_printf(out, "Allow: %s\r\n", allow);
	evbuffer_add_printf(out, "Cache-Control: no-store\r\n");
	if (c->close)
		evbuffer_add_printf(out, "Connection: close\r\n");
	else if (req != NULL && req->head.minor == 0)
		evbuffer_add_printf(out, "Connection: keep-alive\r\n");
	if (req != NULL && req->headers != NULL)
		evbuffer_add_buffer(out, req->headers);
	evbuffer_add(out, "\r\n", 2);
}

/* Answers with the JSON error envelope, from the server itself; status
 * may be a -errno, which gives status and code as error.h maps it. */
void
http_conn_send_error(
    struct http_conn *c, int status, const char *why, const char *allow)
{
	struct http_request *req = c->req;
	const char *body;
	char *s;

	if (c->dead || (req != NULL && req->reply != RS_NONE))
		return;
	if (status < 0) {
		s = envelope_encode(envelope_error(status, why));
		status = error_http_status(status);
	} else
		s = envelope_encode(envelope_error_status(status, why));
	if (s == NULL) {
		/* cannot happen for a valid message; never worth a crash */
		log_warnx(
		    "%s: the %d error reply could not be encoded; sent 500",
		    c->peer, status);
		status = 500;
	}
	body = s != NULL ? s : ENVELOPE_REPLY_FAILED;
	if (req == NULL || !req->body_done || status == 408 || status >= 500)
		c->close = 1;
	if (req != NULL && req->headers != NULL)
		evbuffer_drain(req->headers, evbuffer_get_length(req->headers));
	http_write_head(
	    c, req, status, "application/json", (int64_t)strlen(body), allow);
	if (!http_head_only(req))
		evbuffer_add(
		    bufferevent_get_output(c->bev), body, strlen(body));
	free(s);
	http_conn_reply_done(c);
}

/* Calls a request's handler. */
void
http_conn_call_handler(struct http_conn *c, struct http_request *req)
{
	c->state = CS_HANDLER;
	http_conn_timer(c, 0);
	http_conn_watermark(c, c->srv->cfg.max_header_bytes + 1);
	error_clear();
	c->busy++;
	req->route->cb(req, c->srv->arg);
	c->busy--;
}

/* Writes "100 Continue" when the client waits for it before its body. */
void
http_conn_continue(struct http_conn *c, struct http_request *req)
{
	if (!req->head.expect_continue)
		return;
	req->head.expect_continue = 0;
	evbuffer_add_printf(
	    bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
}

/* Routes a parsed request and starts on its body. */
static void
http_conn_dispatch(struct http_conn *c, struct http_request *req)
{
	struct http_server *srv = c->srv;
	unsigned int allow;
	char allow_s[64], why[128];

	c->req = req;
	c->served++;
	c->close = !req->head.keep_alive;
	req->method = req->head.method_bit;
	if (req->head.chunked) {
		req->body_left = -1;
		httpparse_chunked_init(
		    &req->chunked, srv->cfg.max_header_bytes);
	} else
		req->body_left =
		    req->head.content_length > 0 ? req->head.content_length : 0;
	req->body_done = req->body_left == 0;
	if (req->method == 0) {
		char q[48];

		utf8_quote(
		    req->head.method, strlen(req->head.method), q, sizeof(q));
		utf8_format(
		    why, sizeof(why), "the method %s is not supported", q);
		http_conn_send_error(c, 501, why, NULL);
		return;
	}
	req->route = http_route_find(srv, req->head.path, req->method, &allow);
	if (req->route == NULL && allow == 0) {
		http_conn_send_error(
		    c, 404, "no such resource: check the URL", NULL);
		return;
	}
	if (req->route == NULL) {
		http_allow_string(allow, allow_s, sizeof(allow_s));
		snprintf(why, sizeof(why),
		    "method %s is not allowed here; allowed: %s",
		    req->head.method, allow_s);
		http_conn_send_error(c, 405, why, allow_s);
		return;
	}
	if (req->route->flags & HTTP_ROUTE_STREAM_BODY) {
		http_conn_call_handler(c, req);
		return;
	}
	if (req->head.content_length > (int64_t)srv->cfg.max_body_bytes) {
		snprintf(why, sizeof(why),
		    "the request body is larger than %zu bytes",
		    srv->cfg.max_body_bytes);
		http_conn_send_error(c, 413, why, NULL);
		return;
	}
	if (req->body_done) {
		req->body = xstrdup("");
		http_conn_call_handler(c, req);
		return;
	}
	/* grows as the body arrives: a Content-Length alone reserves
	 * nothing (256 connections announcing 1 MiB each cost nothing) */
	if ((req->chunks = evbuffer_new()) == NULL)
		xmalloc_fatal("a request body buffer");
	http_conn_continue(c, req);
	c->state = CS_BODY;
	http_conn_watermark(c, 65536);
	http_conn_timer(c, srv->cfg.timeout_sec);
	http_conn_progress(c);
}

/* Reads a request head if a whole one is in. */
static void
http_conn_read_head(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct http_request *req;
	unsigned char *buf;
	size_t len, n, hl, skip;

	/* empty lines before a request are allowed (RFC 9112 2.2) */
	for (;;) {
		if ((len = evbuffer_get_length(in)) == 0)
			return;
		n = len < 64 ? len : 64;
		buf = evbuffer_pullup(in, (ssize_t)n);
		for (skip = 0;
		     skip < n && (buf[skip] == '\r' || buf[skip] == '\n');
		     skip++)
			;
		if (skip == 0)
			break;
		evbuffer_drain(in, skip);
	}
	n = len < srv->cfg.max_header_bytes + 1 ? len
						: srv->cfg.max_header_bytes + 1;
	buf = evbuffer_pullup(in, (ssize_t)n);
	hl = httpparse_head_len((const char *)buf, n, c->scanned);
	if (hl == 0 && n <= srv->cfg.max_header_bytes) {
		c->scanned = n;
		return;
	}
	if (hl == 0 || hl > srv->cfg.max_header_bytes) {
		srv->nrequests++;
		if (httpparse_overflow_status((const char *)buf, n) == 414)
			http_conn_send_error(
			    c, 414, "the request target is too long", NULL);
		else
			http_conn_send_error(c, 431,
			    "the request header fields are too large", NULL);
		return;
	}
	srv->nrequests++;
	req = xcalloc(1, sizeof(*req));
	req->conn = c;
	if (httpparse_head_parse((const char *)buf, hl, &req->head) < 0) {
		c->req = req;
		http_conn_send_error(c, req->head.status, req->head.why, NULL);
		return;
	}
	evbuffer_drain(in, hl);
	c->scanned = 0;
	http_conn_dispatch(c, req);
}

/* Discards input while lingering before the close. */
static void
http_conn_linger(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

/* Does whatever the bytes in and the state allow now. */
static void
http_conn_progress(struct http_conn *c)
{
	if (c->dead)
		return;
	switch (c->state) {
	case CS_HEAD:
		http_conn_read_head(c);
		break;
	case CS_BODY:
		http_conn_read_body(c);
		break;
	case CS_STREAM_BODY:
		http_conn_stream_body(c);
		break;
	case CS_LINGER:
		http_conn_linger(c);
		break;
	case CS_HANDLER:
	case CS_FLUSH:
		break;
	}
	/* libevent 2.1.12 runs the read callback again and again while the
	 * input stays at the high watermark with reading enabled: whatever
	 * state left it there does not consume it now, so stop reading until
	 * one that does (or a resumed body) enables it again. */
	if (!c->dead && c->high > 0 &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) >= c->high)
		bufferevent_disable(c->bev, EV_READ);
}

/* The reply has drained: close, or wait for the next request. */
static void
http_conn_next(struct http_conn *c)
{
	struct timeval tv = {HTTP_LINGER_SEC, 0};

	if (!c->close) {
		http_conn_wait_head(c);
		http_conn_progress(c);
		return;
	}
	/* lingering close: the peer reads our answer, not a reset */
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	c->state = CS_LINGER;
	http_conn_watermark(c, 0);
	bufferevent_enable(c->bev, EV_READ);
	if ((long long)tv.tv_sec > (long long)c->srv->cfg.timeout_sec)
		tv.tv_sec = c->srv->cfg.timeout_sec;
	evtimer_add(c->timer, &tv);
	http_conn_linger(c);
}

/* Runs the connection in the busy count and frees it if it closed. */
static void
http_conn_run(struct http_conn *c, void (*fn)(struct http_conn *))
{
	c->busy++;
	fn(c);
	c->busy--;
	http_conn_free_maybe(c);
}

/* Deferred progress: after a reply, a resume, or a read_body call. */
static void
http_conn_work(struct http_conn *c)
{
	if (c->dead)
		return;
	if (c->state == CS_FLUSH) {
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			http_conn_next(c);
		return;
	}
	http_conn_progress(c);
}

/* libevent: the deferred-work event. */
static void
http_conn_work_cb(evutil_socket_t fd, short what, void *arg)
{
	http_conn_run(arg, http_conn_work);
}

/* libevent: input arrived. */
static void
http_conn_read_cb(struct bufferevent *bev, void *arg)
{
	http_conn_run(arg, http_conn_progress);
}

/* The output has drained to zero. */
static void
http_conn_drained(struct http_conn *c)
{
	struct http_request *req = c->req;

	if (c->state == CS_FLUSH) {
		http_conn_next(c);
		return;
	}
	if (req != NULL && req->reply == RS_STREAM && req->on_drain != NULL)
		req->on_drain(req, req->reply_arg);
}

/* libevent: the output has drained to the low watermark (zero). */
static void
http_conn_write_cb(struct bufferevent *bev, void *arg)
{
	http_conn_run(arg, http_conn_drained);
}

/* The peer is gone, timed out, or the server goes: close, telling the
 * handler through on_abort/on_close if it waits for anything. */
void
http_conn_abort(struct http_conn *c)
{
	struct http_request *req = c->req;

	http_conn_detach(c, 0);
	if (req == NULL)
		return;
	c->busy++;
	req->closing = 1;
	if (req->body_reading && req->body_cb.on_abort != NULL) {
		req->body_cb.on_abort(req, req->body_arg);
		c->req = NULL;
	} else if (req->on_close != NULL) {
		req->on_close(req, req->reply_arg);
		c->req = NULL;
	} else if (c->state != CS_HANDLER && c->state != CS_STREAM_BODY &&
	    req->reply != RS_STREAM)
		c->req = NULL; /* the handler has not seen it */
	/* else the handler holds it and its reply will be dropped */
	req->closing = 0;
	c->busy--;
	if (c->req == NULL)
		http_request_free(req);
}

/* Times out: a head or body that does not arrive, an idle connection,
 * a stalled upload, or the end of a lingering close. */
static void
http_conn_timeout(struct http_conn *c)
{
	int partial;

	switch (c->state) {
	case CS_HEAD:
		partial =
		    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0;
		if (!partial) {
			http_conn_abort(c);
			return;
		}
		/* FALLTHROUGH */
	case CS_BODY:
		c->close = 1;
		http_conn_send_error(
		    c, 408, "the request did not arrive in time", NULL);
		break;
	case CS_STREAM_BODY:
		if (c->req != NULL && c->req->reply == RS_NONE) {
			http_conn_body_abort(c, c->req);
			c->close = 1;
			http_conn_send_error(c, 408,
			    "the request body stalled: nothing arrived for "
			    "too long",
			    NULL);
			break;
		}
		http_conn_abort(c);
		break;
	default:
		http_conn_abort(c);
		break;
	}
}

/* libevent: the connection's timer. */
static void
http_conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	http_conn_run(arg, http_conn_timeout);
}

/* libevent: end of file, an error, or a write timeout. */
static void
http_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *c = arg;
	struct http_request *req = c->req;

	c->busy++;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    (c->state == CS_FLUSH ||
		(c->state == CS_HANDLER && req != NULL &&
		    req->reply == RS_NONE && req->on_close == NULL))) {
		/* a half-close after a whole request: still answer it, and
		 * the requests pipelined behind it (reading again after
		 * them meets the end of file again) */
		if (evbuffer_get_length(bufferevent_get_input(bev)) == 0)
			c->close = 1;
		bufferevent_disable(bev, EV_READ);
	} else
		http_conn_abort(c);
	c->busy--;
	http_conn_free_maybe(c);
}

/* A stream without a length (MJPEG) never ends by itself: its handler
 * forgets it (on_close), what is queued (whole parts) still goes out, and
 * the close ends the body. */
static void
http_conn_end_stream(struct http_conn *c)
{
	struct http_request *req = c->req;
	void (*on_close)(struct http_request *, void *) = req->on_close;

	req->on_close = NULL;
	req->on_drain = NULL;
	if (on_close != NULL) {
		req->closing = 1;
		on_close(req, req->reply_arg);
		req->closing = 0;
	}
	http_reply_end(req);
}

/* 1 when a keep-alive connection has no next request started: nothing in
 * our buffer, nothing in the kernel's (one the peer sent just now is
 * served, not reset). */
static int
http_conn_idle(struct http_conn *c)
{
	char byte;

	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		return 0;
	return recv(bufferevent_getfd(c->bev), &byte, 1,
		   MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* A new connection on fd, served from its first request head on. */
void
http_conn_new(struct http_server *srv, int fd)
{
	struct http_conn *c;
	struct timeval wtv = {srv->cfg.timeout_sec, 0};

	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	snprintf(c->peer, sizeof(c->peer), "c%lu", ++srv->next_id);
	if ((c->bev = bufferevent_socket_new(
		 srv->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		free(c);
		return;
	}
	c->timer = evtimer_new(srv->base, http_conn_timer_cb, c);
	c->work = event_new(srv->base, -1, 0, http_conn_work_cb, c);
	if (c->timer == NULL || c->work == NULL)
		xmalloc_fatal("a connection's events");
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	bufferevent_setcb(c->bev, http_conn_read_cb, http_conn_write_cb,
	    http_conn_event_cb, c);
	bufferevent_set_timeouts(c->bev, NULL, &wtv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	http_conn_wait_head(c);
}

/* The server drains: an idle keep-alive connection closes now, one that
 * has not sent its first request yet is still served, a reply on its way
 * closes after it, and a stream without a length ends after the parts
 * already queued.  c may be freed. */
void
http_conn_drain(struct http_conn *c)
{
	c->busy++;
	if (c->state == CS_HEAD && c->served > 0 && http_conn_idle(c))
		http_conn_abort(c);
	else if (c->state == CS_FLUSH)
		c->close = 1;
	else if (c->req != NULL && c->req->reply == RS_STREAM &&
	    c->req->reply_left < 0)
		http_conn_end_stream(c);
	c->busy--;
	http_conn_free_maybe(c);
}

/* The server goes: close, telling a handler that waits.  c may be freed. */
void
http_conn_close(struct http_conn *c)
{
	c->busy++;
	http_conn_abort(c);
	c->busy--;
	http_conn_free_maybe(c);
}
