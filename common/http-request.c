/*
 * http-request.c -- the request and reply calls a handler makes.
 *
 * A request belongs to its handler until the reply ends.  Every reply call
 * first asks whether the request is still being answered: from
 * on_abort/on_close it is going (closing), after the peer went away it is
 * dropped (freed with its reply), after a reply began a second one is
 * ignored.  HEAD gets the headers of a GET and no body.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <linux/sockios.h>

#include "error.h"
#include "http-int.h"
#include "http.h"
#include "httpparse.h"
#include "xmalloc.h"

/* Frees a request (never the connection). */
void
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
