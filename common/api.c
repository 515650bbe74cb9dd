/*
 * api.c -- replies in the JSON envelope (envelope.c), and parse helpers
 * whose errors name the field.
 *
 * No reply may end the daemon: a reply that cannot be encoded becomes a
 * fixed 500 envelope, logged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "envelope.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

/* Sends a JSON value (taking it) with a status. */
static void
api_reply_json(struct http_request *req, int status, json_t *v)
{
	char *s = envelope_encode(v);

	if (s == NULL) {
		log_warnx(
		    "%s %s: the %d reply could not be encoded (a string not valid UTF-8, or out of memory); sent 500",
		    http_request_method_name(req), http_request_path(req),
		    status);
		http_reply(req, 500, "application/json", ENVELOPE_REPLY_FAILED,
		    strlen(ENVELOPE_REPLY_FAILED));
		return;
	}
	http_reply(req, status, "application/json", s, strlen(s));
	free(s);
}

/* 200 with the success envelope; steals result. */
void
api_reply_ok(struct http_request *req, json_t *result)
{
	api_reply_json(req, 200, envelope_ok(result));
}

/* The error envelope for a -errno, with a message for a person. */
void
api_reply_error(struct http_request *req, int err, const char *message)
{
	char buf[256];

	if (message == NULL)
		message = error_get();
	if (message == NULL) {
		snprintf(buf, sizeof(buf), "%s",
		    err < 0 ? strerror(-err) : "unknown error");
		message = buf;
	}
	if (error_http_status(err) >= 500)
		log_warnx("%s %s: %s", http_request_method_name(req),
		    http_request_path(req), message);
	api_reply_json(
	    req, error_http_status(err), envelope_error(err, message));
}

/* api_reply_error with a formatted message. */
void
api_reply_errorf(struct http_request *req, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	utf8_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_reply_error(req, err, msg);
}

/* The request body as a JSON object. */
int
api_read_json(struct http_request *req, json_t **ret_obj)
{
	json_error_t jerr;
	const char *body;
	size_t len;
	json_t *v;

	body = http_request_body(req, &len);
	if (body == NULL || len == 0)
		return error_set(
		    -EINVAL, "the request needs a JSON object as its body");
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		return error_set(-EINVAL,
		    "the body is not valid JSON (line %d, column %d: %s)",
		    jerr.line, jerr.column, jerr.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return error_set(-EINVAL, "the body must be a JSON object");
	}
	*ret_obj = v;
	return 0;
}

/* No body, or only white space. */
static int
api_body_empty(struct http_request *req)
{
	const char *body;
	size_t len, i;

	body = http_request_body(req, &len);
	for (i = 0; body != NULL && i < len; i++)
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			return 0;
	return 1;
}

/* An empty body, or an empty object. */
int
api_read_nothing(struct http_request *req)
{
	json_t *v;
	int r;

	if (api_body_empty(req))
		return 0;
	if ((r = api_read_json(req, &v)) < 0)
		return r;
	r = apispec_check(NULL, v);
	json_decref(v);
	return r;
}

/* The request's fields as a JSON object, read the way its route says. */
static int
api_read_args(
    struct http_request *req, const struct apispec_route *spec, json_t **ret)
{
	const struct apispec_field *const *f;
	json_t *args, *v;
	const char *s;
	int r;

	if (spec->flags & APISPEC_QUERY) {
		args = json_object();
		for (f = spec->fields; f != NULL && *f != NULL; f++) {
			if ((s = http_request_query(req, (*f)->name)) == NULL)
				continue;
			if ((r = apispec_value(*f, s, &v)) < 0) {
				json_decref(args);
				return r;
			}
			json_object_set_new(args, (*f)->name, v);
		}
	} else if (spec->fields == NULL || spec->fields[0] == NULL ||
	    ((spec->flags & APISPEC_EMPTY_OK) && api_body_empty(req))) {
		if ((r = api_read_nothing(req)) < 0)
			return r;
		args = json_object();
	} else if ((r = api_read_json(req, &args)) < 0)
		return r;
	if ((r = apispec_check(spec->fields, args)) < 0) {
		json_decref(args);
		return r;
	}
	*ret = args;
	return 0;
}

/* The handler of every described route. */
static void
api_dispatch(struct http_request *req, void *arg)
{
	const struct api_route *route = http_request_route_data(req);
	json_t *args = NULL;
	int r;

	if (!(route->spec->flags & APISPEC_RAW) &&
	    (r = api_read_args(req, route->spec, &args)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	route->cb(req, args, arg);
	json_decref(args);
}

struct http_route *
api_http_routes(const struct api_route *table)
{
	struct http_route *routes;
	size_t n, i;

	for (n = 0; table[n].spec != NULL; n++)
		;
	routes = xcalloc(n + 1, sizeof(*routes));
	for (i = 0; i < n; i++) {
		routes[i].path = table[i].spec->path;
		routes[i].methods = table[i].spec->methods;
		routes[i].cb = api_dispatch;
		routes[i].flags = table[i].spec->flags & APISPEC_RAW
		    ? HTTP_ROUTE_STREAM_BODY
		    : 0;
		routes[i].data = &table[i];
	}
	return routes;
}
