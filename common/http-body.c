/*
 * http-body.c -- a request body as it arrives: collected whole, at most
 * max_body_bytes, or handed to the handler piece by piece (streamed), both
 * with chunked framing decoded by httpparse.c.
 *
 * A streamed body stops being read while the handler pauses it; what the
 * handler's on_data refuses ends the request with that error (or closes
 * the connection when a reply already began).  The connection's state
 * machine (http-conn.c) calls in here in the CS_BODY and CS_STREAM_BODY
 * states.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "error.h"
#include "http-int.h"
#include "http.h"
#include "httpparse.h"
#include "xmalloc.h"

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

/* The server ends a streamed body its handler reads: tell the handler,
 * which must not reply from on_abort (the server answers). */
void
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
void
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
void
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
