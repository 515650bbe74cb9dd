/*
 * api.h -- routes checked against their description, and replies in the
 * JSON envelope (envelope.h) every daemon speaks.
 */
#ifndef KVM_API_H
#define KVM_API_H

#include <jansson.h>

#include "apispec.h"
#include "envelope.h"

struct http_request;
struct http_route;

/*
 * A route: its description (apispec.h) and its handler.  api_dispatch()
 * reads and checks the request against the description first: the handler
 * gets args, a JSON object holding only described fields, each of its type
 * and in its range (read them with apispec_int() and friends), and runs
 * only for a valid request.  An APISPEC_RAW route's handler gets args NULL
 * and reads the body itself.  args is the caller's: do not decref it.
 */
typedef void api_handler(struct http_request *, json_t *args, void *arg);

struct api_route {
	const struct apispec_route *spec;
	api_handler *cb;
};

/* The HTTP server's route table for a NULL-spec-terminated table of api
 * routes: every route calls api_dispatch().  Allocated once; free() it
 * after http_server_free(). */
struct http_route *api_http_routes(const struct api_route *);

/* Parse the request body as a JSON object.  -EINVAL (with error_set()) for
 * an empty body, bad JSON or a non-object; the message names line and
 * column. */
int api_read_json(struct http_request *, json_t **ret_obj);
/* For requests that take no parameters: an empty body or {} is 0; anything
 * else is -EINVAL naming it, so nothing a client sends is ignored. */
int api_read_nothing(struct http_request *);
/* Steals result; NULL gives {}. */
void api_reply_ok(struct http_request *, json_t *result);
/* err is -errno; message NULL uses error_get(), else a generic text.  A
 * message that is not valid UTF-8 is quoted (utf8_quote()), and a reply
 * that cannot be encoded is sent as ENVELOPE_REPLY_FAILED, logged: a reply never
 * ends the daemon. */
void api_reply_error(struct http_request *, int err, const char *message);
void api_reply_errorf(struct http_request *, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
