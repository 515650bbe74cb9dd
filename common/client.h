/*
 * client.h -- the client side of a daemon's socket.
 *
 * client_call() is blocking with a timeout: for the command-line tools and
 * tests.  client_call_async() runs on an event loop: for one daemon asking
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

/*
 * One request, one reply.  body may be NULL; json_body, when not NULL, is
 * sent as application/json (and takes precedence).  Returns 0 with *ret
 * filled (whatever the status), -ENOENT/-ECONNREFUSED when nobody listens,
 * -ETIMEDOUT, -EPROTO for a reply that is not HTTP.
 */
int client_call(const char *socket_path, const char *method, const char *target,
    json_t *json_body, int timeout_ms, struct client_reply *ret);

/* The same on an event loop.  cb gets the result and reply (reply is freed
 * after cb returns). */
typedef void client_cb(int result, struct client_reply *, void *arg);
int client_call_async(struct event_base *, const char *socket_path,
    const char *method, const char *target, json_t *json_body, int timeout_ms,
    client_cb *cb, void *arg);
/* Frees the calls still in flight on an event loop, without calling their
 * callbacks: for a daemon that stops (daemon_free() does it). */
void client_cancel_all(struct event_base *);

#endif
