/*
 * http.c -- a small HTTP/1.1 server on libevent bufferevents.
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
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "envelope.h"
#include "error.h"
#include "http.h"
#include "httpparse.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

#define HTTP_LINGER_SEC	   2
#define HTTP_BODY_READ_MAX HTTP_BODY_PIECE_MAX /* one read while streaming */

enum http_conn_state {
	CS_HEAD,	/* waiting for a request head */
	CS_BODY,	/* collecting a whole body */
	CS_HANDLER,	/* the request is with its handler */
	CS_STREAM_BODY, /* the handler reads the body */
	CS_FLUSH,	/* the reply ended; waiting for it to drain */
	CS_LINGER,	/* closing: write side shut, input discarded */
};

enum http_reply_state {
	RS_NONE,
	RS_STREAM, /* status and headers sent, data follows */
};

struct http_conn;

struct http_server {
	struct event_base *base;
	struct http_server_config cfg;
	const struct http_route *routes;
	void *arg;
	struct evconnlistener **listeners;
	size_t nlisteners;
	struct event *resume; /* after accept failed */
	TAILQ_HEAD(, http_conn) conns;
	int draining;	       /* http_server_drain() ran */
	struct event *drained; /* the last connection closed */
	void (*on_drained)(void *);
	void *drained_arg;
	unsigned int nconns;
	uint64_t nrequests;
	unsigned long next_id;
};

struct http_conn {
	struct http_server *srv; /* NULL once detached */
	struct bufferevent *bev; /* NULL once closed */
	struct event *timer;
	struct event *work; /* deferred progress */
	TAILQ_ENTRY(http_conn) entry;
	enum http_conn_state state;
	struct http_request *req;
	size_t scanned; /* of the head so far */
	size_t high;	/* the read watermark */
	int close;	/* after this reply */
	int busy;	/* inside user callbacks */
	int dead;
	unsigned long served; /* request heads dispatched */
	char peer[24];
};

struct http_request {
	struct http_conn *conn;
	const struct http_route *route;
	struct httpparse_head head;
	enum http_method method;
	/* the body */
	char *body;
	size_t body_len;
	struct evbuffer *chunks; /* whole chunked body */
	int64_t body_left;	 /* -1: chunked */
	struct httpparse_chunked chunked;
	int body_done;
	int body_reading;
	int body_paused;
	int closing; /* in on_abort/on_close */
	struct http_body_callbacks body_cb;
	void *body_arg;
	/* the reply */
	struct evbuffer *headers;
	enum http_reply_state reply;
	int64_t reply_left; /* -1: unknown */
	void (*on_drain)(struct http_request *, void *);
	void (*on_close)(struct http_request *, void *);
	void *reply_arg;
};

static void http_conn_progress(struct http_conn *);
static void http_conn_abort(struct http_conn *);
static void http_conn_send_error(
    struct http_conn *, int status, const char *why, const char *allow);

/* Status reason phrases, from error.h's one table. */
const char *
http_status_text(int status)
{
	return error_status_text(status);
}

/* Frees a request (never the connection). */
static void
http_request_free(struct http_request *req)
{
	if (req == NULL)
		return;
	httpparse_head_free(&req->head);
	free(req->body);
	if (req->chunks != NULL)
		evbuffer_free(req->chunks);
	if (req->headers != NULL)
		evbuffer_free(req->headers);
	free(req);
}

/* Frees the connection's struct once it is closed and nobody holds it. */
static void
http_conn_free_maybe(struct http_conn *c)
{
	if (!c->dead || c->busy > 0 || c->req != NULL)
		return;
	free(c);
}

/* Unlinks a connection from its server and closes what it owns but its
 * request and the struct itself. keep_bev leaves the bufferevent alone. */
static void
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
static void
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
static void
http_conn_schedule(struct http_conn *c)
{
	if (c->work != NULL)
		event_active(c->work, EV_TIMEOUT, 0);
}

/* Bounds how much input may wait unread in the current state. */
static void
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
static void
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
static void
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

/* 1 when the request's reply must carry no body (HEAD). */
static int
http_head_only(const struct http_request *req)
{
	return req != NULL && req->method == HTTP_HEAD;
}

/* Answers with the JSON error envelope, from the server itself; status
 * may be a -errno, which gives status and code as error.h maps it. */
static void
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
		log_warnx("%s: the %d error reply could not be encoded; sent "
			  "500",
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
static void
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
static void
http_conn_continue(struct http_conn *c, struct http_request *req)
{
	if (!req->head.expect_continue)
		return;
	req->head.expect_continue = 0;
	evbuffer_add_printf(
	    bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
}

/* Finds the route for a request; *ret_allow gets the methods the path
 * allows when it exists but the method does not match. */
static const struct http_route *
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
static void
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

/* The whole body is in: hand the request to its handler. */
static void
http_conn_body_complete(struct http_conn *c, struct http_request *req)
{
	size_t len;

	req->body_done = 1;
	if (req->chunks != NULL) {
		len = evbuffer_get_length(req->chunks);
		req->body = xmalloc(len + 1);
		evbuffer_remove(req->chunks, req->body, len);
		req->body[len] = '\0';
		req->body_len = len;
		evbuffer_free(req->chunks);
		req->chunks = NULL;
	}
	http_conn_call_handler(c, req);
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

/* The server ends a streamed body its handler reads: tell the handler,
 * which must not reply from on_abort (the server answers). */
static void
http_conn_body_abort(struct http_conn *c, struct http_request *req)
{
	if (!req->body_reading)
		return;
	req->body_reading = 0;
	if (req->body_cb.on_abort == NULL)
		return;
	req->closing = 1;
	c->busy++;
	req->body_cb.on_abort(req, req->body_arg);
	c->busy--;
	req->closing = 0;
}

/* Feeds chunked framing from the input; data goes to the sink.  Returns 1
 * when some input was used, 0 when more is needed, -1 after an error reply
 * or when the sink stopped (the request may be gone). */
static int
http_conn_chunk_step(struct http_conn *c, struct http_request *req,
    int (*sink)(
	struct http_conn *, struct http_request *, const char *, size_t))
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	const char *why;
	size_t used, data;
	int r;

	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
		return 0;
	if (v.iov_len > HTTP_BODY_PIECE_MAX)
		v.iov_len = HTTP_BODY_PIECE_MAX; /* the sink's data at most */
	if (httpparse_chunked_feed(
		&req->chunked, v.iov_base, v.iov_len, &used, &data, &why) < 0) {
		if (req->body_reading && req->reply != RS_NONE) {
			http_conn_abort(c); /* too late for an error reply */
			return -1;
		}
		http_conn_body_abort(c, req);
		c->close = 1;
		http_conn_send_error(c, 400, why, NULL);
		return -1;
	}
	if (data > 0) {
		if ((r = sink(c, req, v.iov_base, data)) < 0)
			return -1;
	}
	if (!c->dead)
		evbuffer_drain(in, used);
	return used > 0 ? 1 : 0;
}

/* Collects whole chunked body data. */
static int
http_conn_chunks_sink(
    struct http_conn *c, struct http_request *req, const char *data, size_t len)
{
	char why[128];

	if (evbuffer_get_length(req->chunks) + len >
	    c->srv->cfg.max_body_bytes) {
		snprintf(why, sizeof(why),
		    "the request body is larger than %zu bytes",
		    c->srv->cfg.max_body_bytes);
		http_conn_send_error(c, 413, why, NULL);
		return -1;
	}
	evbuffer_add(req->chunks, data, len);
	return 0;
}

/* Collects a whole body as it arrives. */
static void
http_conn_read_body(struct http_conn *c)
{
	struct http_request *req = c->req;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t n;
	int r;

	if (req->body_left > 0) {
		n = evbuffer_get_length(in);
		if ((int64_t)n > req->body_left)
			n = (size_t)req->body_left;
		evbuffer_remove_buffer(in, req->chunks, n);
		req->body_left -= (int64_t)n;
		if (req->body_left > 0)
			return;
		http_conn_body_complete(c, req);
		return;
	}
	while ((r = http_conn_chunk_step(c, req, http_conn_chunks_sink)) > 0)
		if (httpparse_chunked_done(&req->chunked)) {
			http_conn_body_complete(c, req);
			return;
		}
}

/* Passes streamed body data to the handler's on_data. */
static int
http_conn_stream_sink(
    struct http_conn *c, struct http_request *req, const char *data, size_t len)
{
	int r;

	error_clear();
	c->busy++;
	r = req->body_cb.on_data(req, data, len, req->body_arg);
	c->busy--;
	if (c->dead || c->req != req)
		return -1; /* replied, upgraded or gone meanwhile */
	if (r < 0 && req->reply != RS_NONE) {
		/* too late for an error reply: close; the handler asked for
		 * it, so no on_abort/on_close */
		c->req = NULL;
		http_request_free(req);
		http_conn_detach(c, 0);
		return -1;
	}
	if (r < 0) {
		c->close = 1;
		http_conn_send_error(c, r,
		    error_get() ? error_get() : "the upload was refused", NULL);
		return -1;
	}
	return 0;
}

/* The streamed body has ended: tell the handler. */
static void
http_conn_stream_end(struct http_conn *c, struct http_request *req)
{
	req->body_done = 1;
	req->body_reading = 0;
	c->state = CS_HANDLER;
	http_conn_timer(c, 0);
	http_conn_watermark(c, c->srv->cfg.max_header_bytes + 1);
	bufferevent_set_max_single_read(c->bev, 16384);
	bufferevent_enable(c->bev, EV_READ);
	if (req->body_cb.on_end != NULL) {
		error_clear();
		c->busy++;
		req->body_cb.on_end(req, req->body_arg);
		c->busy--;
	}
}

/* Hands streamed body data to the handler while it is not paused. */
static void
http_conn_stream_body(struct http_conn *c)
{
	struct http_request *req = c->req;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	size_t n;
	int r, fed = 0;

	while (!c->dead && c->req == req && !req->body_paused &&
	    c->state == CS_STREAM_BODY) {
		if (req->body_left == 0 ||
		    (req->body_left < 0 &&
			httpparse_chunked_done(&req->chunked))) {
			http_conn_stream_end(c, req);
			return;
		}
		if (req->body_left < 0) {
			if ((r = http_conn_chunk_step(
				 c, req, http_conn_stream_sink)) <= 0)
				break;
			fed = 1;
			continue;
		}
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			break;
		n = v.iov_len;
		if ((int64_t)n > req->body_left)
			n = (size_t)req->body_left;
		if (n > HTTP_BODY_PIECE_MAX)
			n = HTTP_BODY_PIECE_MAX;
		if (http_conn_stream_sink(c, req, v.iov_base, n) < 0)
			return;
		evbuffer_drain(in, n);
		req->body_left -= (int64_t)n;
		fed = 1;
	}
	if (fed && !c->dead && c->req == req && c->state == CS_STREAM_BODY &&
	    !req->body_paused)
		http_conn_timer(c, c->srv->cfg.timeout_sec);
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
static void
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

/* libevent: a new connection. */
static void
http_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct http_server *srv = arg;
	struct http_conn *c;
	struct timeval wtv = {srv->cfg.timeout_sec, 0};

	if (srv->nconns >= srv->cfg.max_connections) {
		close(fd);
		return;
	}
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
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL) {
		c->busy++;
		http_conn_abort(c);
		c->busy--;
		http_conn_free_maybe(c);
	}
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

/* The method as a bit; HTTP_HEAD for HEAD on a GET route. */
enum http_method
http_request_method(const struct http_request *req)
{
	return req->method;
}

/* The method as sent. */
const char *
http_request_method_name(const struct http_request *req)
{
	return req->head.method;
}

/* The percent-decoded path, without the query. */
const char *
http_request_path(const struct http_request *req)
{
	return req->head.path;
}

/* The request target as sent. */
const char *
http_request_target(const struct http_request *req)
{
	return req->head.target;
}

/* A decoded query parameter, or NULL. */
const char *
http_request_query(const struct http_request *req, const char *key)
{
	return httpparse_query(&req->head, key);
}

/* The data pointer of the route that matched. */
const void *
http_request_route_data(const struct http_request *req)
{
	return req->route != NULL ? req->route->data : NULL;
}

/* A header value by case-insensitive name, or NULL. */
const char *
http_request_header(const struct http_request *req, const char *name)
{
	return httpparse_field(&req->head, name);
}

/* Content-Length, or -1 when none was sent. */
int64_t
http_request_content_length(const struct http_request *req)
{
	return req->head.content_length;
}

/* The whole body (NUL-terminated; "" when there is none). */
const char *
http_request_body(const struct http_request *req, size_t *ret_len)
{
	if (ret_len != NULL)
		*ret_len = req->body != NULL ? req->body_len : 0;
	return req->body != NULL ? req->body : "";
}

/* The connection's short id for logs. */
const char *
http_request_peer(const struct http_request *req)
{
	return req->conn->peer;
}

/* SO_PEERCRED: who connected, as the kernel recorded it at connect(). */
int
http_request_peer_cred(
    const struct http_request *req, uid_t *ret_uid, gid_t *ret_gid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (req->conn->bev == NULL)
		return error_set(-ENOTCONN, "the peer is gone");
	if (getsockopt(bufferevent_getfd(req->conn->bev), SOL_SOCKET,
		SO_PEERCRED, &uc, &len) < 0)
		return error_set(
		    -errno, "cannot tell who is calling: %s", strerror(errno));
	if (ret_uid != NULL)
		*ret_uid = uc.uid;
	if (ret_gid != NULL)
		*ret_gid = uc.gid;
	return 0;
}

/* Starts handing the body to the handler's callbacks. */
int
http_request_read_body(
    struct http_request *req, const struct http_body_callbacks *cb, void *arg)
{
	struct http_conn *c = req->conn;

	if (cb == NULL || cb->on_data == NULL ||
	    !(req->route->flags & HTTP_ROUTE_STREAM_BODY) ||
	    req->reply != RS_NONE || req->body_reading)
		return error_set(
		    -EINVAL, "the body cannot be streamed on this request");
	if (c->dead)
		return error_set(-ECONNRESET, "the client has gone away");
	req->body_cb = *cb;
	req->body_arg = arg;
	req->body_reading = 1;
	http_conn_continue(c, req);
	c->state = CS_STREAM_BODY;
	http_conn_watermark(c, HTTP_BODY_READ_MAX);
	bufferevent_set_max_single_read(c->bev, HTTP_BODY_READ_MAX);
	if (req->body_paused)
		bufferevent_disable(c->bev, EV_READ);
	else {
		bufferevent_enable(c->bev, EV_READ);
		http_conn_timer(c, c->srv->cfg.timeout_sec);
		http_conn_schedule(c);
	}
	return 0;
}

/* Stops or resumes reading the streamed body. */
void
http_request_pause_body(struct http_request *req, int pause)
{
	struct http_conn *c = req->conn;

	if (req->body_paused == !!pause)
		return;
	req->body_paused = !!pause;
	if (c->dead || c->state != CS_STREAM_BODY)
		return;
	if (pause) {
		bufferevent_disable(c->bev, EV_READ);
		http_conn_timer(c, 0);
	} else {
		bufferevent_enable(c->bev, EV_READ);
		http_conn_timer(c, c->srv->cfg.timeout_sec);
		http_conn_schedule(c);
	}
}

/* Adds a header to the coming reply; framing headers are ours. */
void
http_reply_header(struct http_request *req, const char *name, const char *value)
{
	if (req->reply != RS_NONE || strpbrk(name, "\r\n:") != NULL ||
	    strpbrk(value, "\r\n") != NULL)
		return;
	/* framing and caching are ours */
	if (strcasecmp(name, "Content-Length") == 0 ||
	    strcasecmp(name, "Transfer-Encoding") == 0 ||
	    strcasecmp(name, "Cache-Control") == 0)
		return;
	if (strcasecmp(name, "Connection") == 0) {
		if (strcasecmp(value, "close") == 0 && !req->conn->dead)
			req->conn->close = 1;
		return;
	}
	if (req->headers == NULL && (req->headers = evbuffer_new()) == NULL)
		xmalloc_fatal("a reply's header buffer");
	evbuffer_add_printf(req->headers, "%s: %s\r\n", name, value);
}

/* Ends the life of a request whose connection is gone. */
static void
http_request_drop(struct http_request *req)
{
	struct http_conn *c = req->conn;

	if (req->closing)
		return; /* http_conn_abort() frees it */
	if (c->req == req)
		c->req = NULL;
	http_request_free(req);
	http_conn_free_maybe(c);
}

/* Sends a whole reply; the request is gone afterwards. */
void
http_reply(struct http_request *req, int status, const char *content_type,
    const void *body, size_t len)
{
	struct http_conn *c = req->conn;

	if (req->closing)
		return; /* from on_abort/on_close: the request is going */
	if (c->dead) {
		http_request_drop(req);
		return;
	}
	if (req->reply != RS_NONE)
		return;
	http_write_head(c, req, status, content_type, (int64_t)len, NULL);
	if (!http_head_only(req) && len > 0)
		evbuffer_add(bufferevent_get_output(c->bev), body, len);
	http_conn_reply_done(c);
}

/* Sends a whole reply from a buffer, taking its contents. */
void
http_reply_buffer(struct http_request *req, int status,
    const char *content_type, struct evbuffer *buf)
{
	struct http_conn *c = req->conn;
	size_t len = evbuffer_get_length(buf);

	if (req->closing || c->dead || req->reply != RS_NONE ||
	    http_head_only(req)) {
		evbuffer_drain(buf, len);
		if (req->closing)
			return;
		if (c->dead)
			http_request_drop(req);
		else if (req->reply == RS_NONE) {
			http_write_head(
			    c, req, status, content_type, (int64_t)len, NULL);
			http_conn_reply_done(c);
		}
		return;
	}
	http_write_head(c, req, status, content_type, (int64_t)len, NULL);
	evbuffer_add_buffer(bufferevent_get_output(c->bev), buf);
	http_conn_reply_done(c);
}

/* Sends the status and headers of a streamed reply. */
void
http_reply_start(struct http_request *req, int status, const char *content_type,
    int64_t content_length)
{
	struct http_conn *c = req->conn;

	if (req->closing || req->reply != RS_NONE)
		return;
	req->reply = RS_STREAM;
	req->reply_left = content_length < 0 ? -1 : content_length;
	if (c->dead)
		return;
	if (content_length < 0)
		c->close = 1;
	if (!req->body_done)
		c->close = 1;
	http_write_head(c, req, status, content_type, req->reply_left, NULL);
}

/* How much of len may still be written on a streamed reply. */
static size_t
http_reply_room(struct http_request *req, size_t len)
{
	if (req->reply != RS_STREAM || req->conn->dead || req->closing ||
	    http_head_only(req))
		return 0;
	if (req->reply_left >= 0 && (int64_t)len > req->reply_left) {
		req->conn->close = 1;
		len = (size_t)req->reply_left;
	}
	return len;
}

/* Queues data (copied) on a streamed reply. */
void
http_reply_write(struct http_request *req, const void *data, size_t len)
{
	len = http_reply_room(req, len);
	if (len == 0)
		return;
	evbuffer_add(bufferevent_get_output(req->conn->bev), data, len);
	if (req->reply_left >= 0)
		req->reply_left -= (int64_t)len;
}

/* Queues data by reference on a streamed reply. */
void
http_reply_write_ref(struct http_request *req, const void *data, size_t len,
    void (*cleanup)(const void *, size_t, void *), void *arg)
{
	size_t n = http_reply_room(req, len);

	if (n == 0 ||
	    evbuffer_add_reference(bufferevent_get_output(req->conn->bev), data,
		n, cleanup, arg) < 0) {
		if (cleanup != NULL)
			cleanup(data, len, arg);
		return;
	}
	if (req->reply_left >= 0)
		req->reply_left -= (int64_t)n;
}

/*
 * Bytes queued that the peer has not read yet: ours, plus what still waits
 * in the kernel's send queue.  Counting the kernel's share matters for the
 * MJPEG stream: a UNIX socket's buffer holds several frames, which a slow
 * reader would otherwise see as lag.
 */
size_t
http_reply_pending(const struct http_request *req)
{
	size_t n;
	int outq = 0;

	if (req->conn->dead)
		return 0;
	n = evbuffer_get_length(bufferevent_get_output(req->conn->bev));
	if (ioctl(bufferevent_getfd(req->conn->bev), SIOCOUTQ, &outq) == 0 &&
	    outq > 0)
		n += (size_t)outq;
	return n;
}

/* Sets the drain and close callbacks of a reply. */
void
http_reply_set_callbacks(struct http_request *req,
    void (*on_drain)(struct http_request *, void *),
    void (*on_close)(struct http_request *, void *), void *arg)
{
	req->on_drain = on_drain;
	req->on_close = on_close;
	req->reply_arg = arg;
}

/* Ends a streamed reply; the request is gone afterwards. */
void
http_reply_end(struct http_request *req)
{
	struct http_conn *c = req->conn;

	if (req->closing)
		return;
	if (c->dead) {
		http_request_drop(req);
		return;
	}
	if (req->reply != RS_STREAM) {
		if (req->reply == RS_NONE)
			http_reply(req, 200, NULL, NULL, 0);
		return;
	}
	if (req->reply_left > 0 && !http_head_only(req))
		c->close = 1; /* fewer bytes than promised */
	http_conn_reply_done(c);
}

/* Hands the connection over (WebSocket); the request is gone. */
struct bufferevent *
http_request_upgrade(struct http_request *req)
{
	struct http_conn *c = req->conn;
	struct bufferevent *bev = c->bev;

	if (c->dead || req->closing || req->reply != RS_NONE ||
	    c->state != CS_HANDLER) {
		error_set(-EINVAL, "this connection cannot be taken over");
		return NULL;
	}
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_set_timeouts(bev, NULL, NULL);
	bufferevent_setwatermark(bev, EV_READ | EV_WRITE, 0, 0);
	bufferevent_set_max_single_read(bev, 16384);
	http_conn_detach(c, 1);
	http_request_drop(req);
	return bev;
}
