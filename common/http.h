/*
 * http.h -- a small HTTP/1.1 server on libevent bufferevents.
 *
 * Why not evhttp: libevent 2.1's evhttp reads every request body into memory
 * before a handler runs (no server-side streaming; libevent issues #634 and
 * #1138), and it cannot hand a connection over for a WebSocket.  mediad
 * streams uploads of any size to disk and hidd speaks WebSocket, so the
 * server is ours: requests are parsed with bounded header and body sizes,
 * routed by exact path (or by prefix for routes ending in '/'), and answered
 * whole, streamed (MJPEG, downloads) or upgraded.
 *
 * Everything here runs on the event-loop thread.  A struct http_request is
 * valid from the handler call until its reply ends or its close callback has
 * run; nothing may keep it after that.  If the peer goes away while a
 * handler holds a request without a close callback, the request stays valid
 * and its reply is dropped when it comes.
 *
 * The server answers by itself, with the JSON envelope: 400 (malformed head,
 * bad percent escape, '.'/'..' path segments), 404, 405 (with Allow), 408,
 * 413, 414, 417, 431, 501 (unknown method or transfer coding), 505.  Every
 * reply carries Cache-Control: no-store.  HEAD is served by GET routes
 * (http_request_method() says HTTP_HEAD; bodies written are dropped).
 * Chunked request bodies are decoded for both kinds of route.  A reply
 * given before the whole request body was read closes the connection.
 */
#ifndef KVM_HTTP_H
#define KVM_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "httpparse.h" /* enum http_method */

struct event_base;
struct bufferevent;
struct evbuffer;
struct http_server;
struct http_request;

typedef void http_handler(struct http_request *, void *arg);

/*
 * The handler of a route with HTTP_ROUTE_STREAM_BODY runs as soon as the
 * headers are in, before any of the body is read; it must then either reply
 * (the body is discarded) or call http_request_read_body().  Other routes get
 * the whole body, at most max_body bytes (413 beyond that).
 */
#define HTTP_ROUTE_STREAM_BODY 0x1

struct http_route {
	const char *path;     /* "/state"; "/images/" matches a prefix */
	unsigned int methods; /* HTTP_GET | HTTP_POST ... */
	http_handler *cb;
	unsigned int flags;
	const void *data; /* for the handler: http_request_route_data() */
};

struct http_server_config {
	size_t max_header_bytes;      /* 0: 16 KiB */
	size_t max_body_bytes;	      /* 0: 64 KiB */
	unsigned int timeout_sec;     /* idle and request timeout; 0: 30 */
	unsigned int max_connections; /* 0: 256 */
};

/* routes must stay valid for the server's lifetime; the table ends with a
 * route whose path is NULL.  arg is passed to every handler. */
struct http_server *http_server_new(struct event_base *,
    const struct http_server_config *, const struct http_route *routes,
    void *arg);
/* Closes every connection, running the on_close/on_abort callbacks still
 * pending: end streams (http_reply_end) before freeing what those callbacks
 * use, or keep it until after this.  NULL is fine. */
void http_server_free(struct http_server *);
/* Stop accepting (the sockets stay open: under systemd new connections
 * wait for the successor) and finish what was accepted; every reply closes
 * its connection, streams without a length end.  on_drained(arg) runs from
 * the loop once no connection is left. */
void http_server_drain(
    struct http_server *, void (*on_drained)(void *), void *arg);
/* Accept connections on a listening socket; the server owns fd from here. */
int http_server_add_listener(struct http_server *, int fd);
/* Counters for /metrics. */
uint64_t http_server_requests(const struct http_server *);
unsigned int http_server_connections(const struct http_server *);

/* The request. Strings are owned by the request. */
enum http_method http_request_method(const struct http_request *);
const char *http_request_method_name(const struct http_request *);
const char *http_request_path(
    const struct http_request *); /* decoded, no query */
const char *http_request_target(const struct http_request *); /* raw, as sent */
/* A decoded query parameter; NULL if absent. "?a" gives "". */
const char *http_request_query(const struct http_request *, const char *key);
/* The matched route's data pointer. */
const void *http_request_route_data(const struct http_request *);
/* Header value by case-insensitive name; NULL if absent. */
const char *http_request_header(const struct http_request *, const char *name);
/* -1 when the request has no Content-Length. */
int64_t http_request_content_length(const struct http_request *);
/* The whole body (routes without HTTP_ROUTE_STREAM_BODY); NUL-terminated. */
const char *http_request_body(const struct http_request *, size_t *ret_len);
/* A short id for logs and /state: "c12". */
const char *http_request_peer(const struct http_request *);
/* The peer process's user and group when it connected (SO_PEERCRED on
 * the UNIX socket); -errno with error_set() when the kernel cannot say. */
int http_request_peer_cred(
    const struct http_request *, uid_t *ret_uid, gid_t *ret_gid);

/*
 * Streamed request body.  on_data gets each piece as it arrives, at most
 * HTTP_BODY_PIECE_MAX bytes at once (the buffer is drained after it
 * returns); it may pause the body before it returns; returning -errno aborts: the server replies
 * with that error unless on_data already replied, and closes the connection;
 * no on_abort or on_close follows and the request is gone.
 * on_end runs once the whole body (Content-Length bytes) is in; the handler
 * then replies.  on_abort runs instead when the peer goes away or times out
 * before the end, or when the server ends the body (bad chunk framing); the
 * request is gone after it returns and on_abort must not reply.  Returns
 * -EINVAL on a route without HTTP_ROUTE_STREAM_BODY or after a reply began,
 * -ECONNRESET when the peer is already gone.  A pause before this call
 * holds.
 */
#define HTTP_BODY_PIECE_MAX (256u * 1024)
struct http_body_callbacks {
	int (*on_data)(struct http_request *, const void *, size_t, void *);
	void (*on_end)(struct http_request *, void *);
	void (*on_abort)(struct http_request *, void *);
};
int http_request_read_body(
    struct http_request *, const struct http_body_callbacks *, void *arg);
/* Stop/start reading the body (backpressure). */
void http_request_pause_body(struct http_request *, int pause);

/* Whole replies. Headers added before the reply is sent. */
void http_reply_header(
    struct http_request *, const char *name, const char *value);
void http_reply(struct http_request *, int status, const char *content_type,
    const void *body, size_t len);
/* Takes the buffer's contents (zero copy). */
void http_reply_buffer(struct http_request *, int status,
    const char *content_type, struct evbuffer *);

/*
 * Streamed replies (MJPEG, downloads).  http_reply_start() sends the status
 * and headers; content_length < 0 means none is known and the connection
 * closes after http_reply_end().  Data is queued on the connection:
 * http_reply_pending() says how much the peer has not read yet (our queue and
 * the kernel's send queue), and the drain callback runs each time our queue
 * empties (the kernel's share may still be in flight then).  The close callback runs
 * once if the peer goes away (or the server is freed) before
 * http_reply_end(); the request is gone after it returns.
 */
void http_reply_start(struct http_request *, int status,
    const char *content_type, int64_t content_length);
void http_reply_write(struct http_request *, const void *, size_t);
/* Adds data by reference: cleanup(data, len, arg) runs when it has been
 * sent or dropped.  For frames shared among many clients. */
void http_reply_write_ref(struct http_request *, const void *, size_t,
    void (*cleanup)(const void *, size_t, void *), void *arg);
size_t http_reply_pending(const struct http_request *);
void http_reply_set_callbacks(struct http_request *,
    void (*on_drain)(struct http_request *, void *),
    void (*on_close)(struct http_request *, void *), void *arg);
void http_reply_end(struct http_request *);

/*
 * Take the connection over (WebSocket).  Sends nothing: the caller writes
 * its own "101 Switching Protocols".  The returned bufferevent belongs to the
 * caller (free it with bufferevent_free); bytes already read past the request
 * are in its input buffer.  The request is gone after this call.  NULL
 * (with error_set()) once a reply began or the peer is gone; the request is
 * then still the caller's to answer.
 */
struct bufferevent *http_request_upgrade(struct http_request *);

/* Status reason phrase ("Not Found"). */
const char *http_status_text(int status);

#endif
