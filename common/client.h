/*
 * client.h -- the client side of a daemon's socket.
 *
 * client_call() is blocking with a timeout: for the command-line tools and
 * tests.  client_call_stream() is the same for a body too big for memory:
 * an upload from a file, a download into one.  client_call_async() runs on an event loop: for one daemon asking
 * another (capd -> gpiod-ctl "capture-reset"); it never blocks the loop.
 */
#ifndef KVM_CLIENT_H
#define KVM_CLIENT_H

#include <stddef.h>
#include <jansson.h>

struct event_base;

struct client_reply {
	int status; /* HTTP status */
	char *content_type;
	char *body; /* NUL-terminated */
	size_t body_len;
	json_t *json; /* parsed when the body is JSON, else NULL */
};

void client_reply_free(struct client_reply *); /* the contents; NULL ok */
/* The reply parser (exposed for its fuzz target): 1 complete, 0 needs more
 * bytes, -EPROTO not HTTP. */
int client_parse_reply(
    const char *buf, size_t len, int eof, struct client_reply *ret);
/* Its first half: the status line and headers.  1 with ret->status and
 * ret->content_type set, *ret_hlen the head's length and *ret_clen the
 * Content-Length (-1: none); 0 needs more; -EPROTO. */
int client_parse_head(const char *buf, size_t len, int eof,
    struct client_reply *ret, size_t *ret_hlen, long long *ret_clen);

/*
 * One request, one reply.  body may be NULL; json_body, when not NULL, is
 * sent as application/json (and takes precedence).  Returns 0 with *ret
 * filled (whatever the status), -ENOENT/-ECONNREFUSED when nobody listens,
 * -ETIMEDOUT, -EPROTO for a reply that is not HTTP.
 */
int client_call(const char *socket_path, const char *method, const char *target,
    json_t *json_body, int timeout_ms, struct client_reply *ret);

/*
 * A streamed call: the request body read from a file, a successful reply's
 * body written to one, never whole in memory.
 */
struct client_stream {
	int body_fd;		     /* -1: no request body */
	unsigned long long body_len; /* bytes to send from body_fd */
	const char *content_type;    /* NULL: application/octet-stream */
	/* each chunk as it is sent (a hash, a progress line); may be NULL */
	void (*sent_cb)(const void *buf, size_t len, void *arg);
	void *arg;
	int reply_fd;	      /* a 2xx reply's body goes here; -1: in memory */
	int reply_timeout_ms; /* the wait after the body; 0: timeout_ms */
	/* set by the call */
	unsigned long long sent; /* body bytes the daemon took */
	int local_error;	 /* the failure was body_fd's or reply_fd's */
};

/*
 * Like client_call(), but timeout_ms bounds each wait for progress, not the
 * whole call.  A body is announced with "Expect: 100-continue" and sent only
 * after the daemon's "100 Continue", so a refusal (a name taken, no space)
 * comes before a byte is sent; a daemon that closes midway stops the
 * sending, and its answer is read (st->sent says how far it got).  With
 * reply_fd, a 2xx reply's body is written there: ret->body is "" and
 * ret->body_len the bytes written; a reply that ends before its
 * Content-Length is -EPROTO.  Other replies are read into ret as by
 * client_call().  A failure to read body_fd or write reply_fd sets
 * st->local_error.  Every failure has an error_set() message.
 */
int client_call_stream(const char *socket_path, const char *method,
    const char *target, struct client_stream *st, int timeout_ms,
    struct client_reply *ret);

/* The same on an event loop.  cb gets the result and reply (reply is freed
 * after cb returns); a result < 0 has an error_set() message. */
typedef void client_cb(int result, struct client_reply *, void *arg);
int client_call_async(struct event_base *, const char *socket_path,
    const char *method, const char *target, json_t *json_body, int timeout_ms,
    client_cb *cb, void *arg);
/* Frees the calls still in flight on an event loop, without calling their
 * callbacks: for a daemon that stops (daemon_free() does it). */
void client_cancel_all(struct event_base *);

#endif
