/*
 * http-int.h -- what the parts of the HTTP server share; not for daemons.
 *
 * The server is four files: http-server.c (the server, its listeners,
 * draining, routing), http-conn.c (one connection's state machine: heads,
 * the server's own error replies, timeouts, the lingering close),
 * http-body.c (request bodies, whole or streamed) and http-request.c (the
 * request and reply calls handlers make).  The structs are here so that
 * each part reads them directly; http.h keeps them opaque to everyone
 * else.
 */
#ifndef KVM_HTTP_INT_H
#define KVM_HTTP_INT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "httpparse.h"

struct event;
struct evconnlistener;
struct http_conn;

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

/* http-server.c: the route for a path and method; *ret_allow gets the
 * methods the path allows, for a 405's Allow. */
const struct http_route *http_route_find(const struct http_server *,
    const char *path, enum http_method, unsigned int *ret_allow);
void http_allow_string(unsigned int methods, char *out, size_t len);

/* http-conn.c: a connection. */
void http_conn_new(struct http_server *, int fd);
void http_conn_drain(struct http_conn *);
void http_conn_close(struct http_conn *);
void http_conn_free_maybe(struct http_conn *);
void http_conn_detach(struct http_conn *, int keep_bev);
void http_conn_timer(struct http_conn *, unsigned int sec);
void http_conn_schedule(struct http_conn *);
void http_conn_watermark(struct http_conn *, size_t high);
void http_conn_reply_done(struct http_conn *);
void http_conn_continue(struct http_conn *, struct http_request *);
void http_conn_send_error(
    struct http_conn *, int status, const char *why, const char *allow);
void http_conn_call_handler(struct http_conn *, struct http_request *);
void http_conn_abort(struct http_conn *);
void http_write_head(struct http_conn *, struct http_request *, int status,
    const char *content_type, int64_t content_length, const char *allow);

/* http-body.c: a request body arriving. */
void http_conn_read_body(struct http_conn *);
void http_conn_stream_body(struct http_conn *);
void http_conn_body_abort(struct http_conn *, struct http_request *);

/* http-request.c: a request. */
void http_request_free(struct http_request *);

/* 1 when the request's reply must carry no body (HEAD). */
static inline int
http_head_only(const struct http_request *req)
{
	return req != NULL && req->method == HTTP_HEAD;
}

#endif
