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
		log_warnx("%s %s: the %d reply could not be encoded (a string "
			  "not valid UTF-8, or out of memory); sent 500",
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
	static const char *const none[] = {NULL};
	json_t *v;
	int r;

	if (api_body_empty(req))
		return 0;
	if ((r = api_read_json(req, &v)) < 0)
		return r;
	r = api_check_keys(v, none);
	json_decref(v);
	return r;
}

/* A required string field. */
int
api_get_string(json_t *obj, const char *key, const char **ret)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return error_set(-EINVAL, "the field \"%s\" is missing", key);
	if (!json_is_string(v))
		return error_set(
		    -EINVAL, "the field \"%s\" must be a string", key);
	*ret = json_string_value(v);
	return 0;
}

/* An optional string field. */
int
api_get_string_opt(json_t *obj, const char *key, const char **ret)
{
	if (json_object_get(obj, key) == NULL)
		return 0;
	return api_get_string(obj, key, ret);
}

/* An optional boolean field. */
int
api_get_bool_opt(json_t *obj, const char *key, int *ret)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return error_set(
		    -EINVAL, "the field \"%s\" must be true or false", key);
	*ret = json_is_true(v);
	return 0;
}

/* An optional integer field within [min, max]. */
int
api_get_int_opt(
    json_t *obj, const char *key, long long min, long long max, long long *ret)
{
	json_t *v = json_object_get(obj, key);
	long long n;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return error_set(-EINVAL,
		    "the field \"%s\" must be a whole number from %lld to %lld",
		    key, min, max);
	n = json_integer_value(v);
	if (n < min || n > max)
		return error_set(-EINVAL,
		    "the field \"%s\" is %lld; it must be from %lld to %lld",
		    key, n, min, max);
	*ret = n;
	return 0;
}

/* Refuses any field not in the NULL-terminated allowed list. */
int
api_check_keys(json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v)
	{
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			char esc[128];

			log_escape(key, strlen(key), esc, sizeof(esc));
			return error_set(-EINVAL, "unknown field \"%s\"", esc);
		}
	}
	return 0;
}

/* A query parameter as an integer in [min, max]. */
int
api_query_int(struct http_request *req, const char *key, long long min,
    long long max, long long *ret)
{
	const char *s = http_request_query(req, key);
	char *end;
	long long n;

	if (s == NULL)
		return 0;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		char esc[64];

		log_escape(s, strlen(s), esc, sizeof(esc));
		return error_set(-EINVAL,
		    "the parameter \"%s\" is \"%s\"; it must be a whole number "
		    "from %lld to %lld",
		    key, esc, min, max);
	}
	*ret = n;
	return 0;
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
