/*
 * test-apispec.c -- the API description at work: apispec_check() on JSON
 * objects, apispec_value() on text, and api_http_routes() dispatching real
 * requests to a real server in this process, where a request that does not
 * match its route's description must be refused before the handler runs.
 *
 * The routes here are the test's own, one per kind of route (JSON fields,
 * an optional-only body, no fields, query parameters, raw bodies on a
 * shared prefix), so a daemon changing its description does not change
 * what is tested.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "api.h"
#include "apispec.h"
#include "error.h"
#include "http.h"
#include "tap.h"

static const struct apispec_field f_n = {
    "n", APISPEC_INT, APISPEC_REQUIRED, -5, 10, "a number"};
static const struct apispec_field f_s = {
    "s", APISPEC_STRING, 0, 1, 4, "a short text"};
static const struct apispec_field f_any = {
    "any", APISPEC_STRING, 0, 0, 0, "any text"};
static const struct apispec_field f_b = {
    "b", APISPEC_BOOL, 0, 0, 0, "a switch"};
static const struct apispec_field f_q = {
    "q", APISPEC_INT, 0, 0, 100, "a number in the query"};

static const struct apispec_field *const json_fields[] = {
    &f_n, &f_s, &f_any, &f_b, NULL};
static const struct apispec_field *const opt_fields[] = {&f_b, &f_q, NULL};
static const struct apispec_field *const query_fields[] = {&f_q, &f_b, NULL};

enum { R_JSON, R_OPT, R_NONE, R_QUERY, R_PUT, R_GET, R_N };

static const struct apispec_route test_routes[] = {
    [R_JSON] = {"json", HTTP_POST, "/json", 0, json_fields, "JSON fields"},
    [R_OPT] = {"opt", HTTP_POST, "/opt", APISPEC_EMPTY_OK, opt_fields,
	"optional fields"},
    [R_NONE] = {"none", HTTP_POST, "/none", 0, NULL, "no fields"},
    [R_QUERY] = {"query", HTTP_GET, "/query", APISPEC_QUERY, query_fields,
	"query parameters"},
    [R_PUT] = {"put", HTTP_PUT, "/raw/", APISPEC_RAW | APISPEC_QUERY,
	query_fields, "a raw upload"},
    [R_GET] = {"get", HTTP_GET | HTTP_HEAD, "/raw/", APISPEC_RAW, NULL,
	"a raw download"},
    [R_N] = {NULL, 0, NULL, 0, NULL, NULL},
};

/* What the last handler saw. */
static int calls;
static char seen_route[16];
static char *seen_args; /* compact JSON, "null" for NULL */

/* Every route's handler: remembers what it got, answers {"route": ...}. */
static void
record(struct http_request *req, json_t *args, void *arg)
{
	const struct api_route *r = http_request_route_data(req);

	calls++;
	snprintf(seen_route, sizeof(seen_route), "%s", r->spec->name);
	free(seen_args);
	seen_args = args != NULL
	    ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS)
	    : strdup("null");
	api_reply_ok(req, json_pack("{s:s}", "route", r->spec->name));
}

static const struct api_route table[] = {
    {&test_routes[R_JSON], record},
    {&test_routes[R_OPT], record},
    {&test_routes[R_NONE], record},
    {&test_routes[R_QUERY], record},
    {&test_routes[R_PUT], record},
    {&test_routes[R_GET], record},
    {NULL, NULL},
};

static struct event_base *base;
static struct sockaddr_un sun = {.sun_family = AF_UNIX};
static socklen_t sunlen;

/* A reply: its status, head and parsed body. */
struct reply {
	int status;
	char head[1024];
	json_t *body; /* NULL when not JSON */
};

/* Sends one request on a new connection and runs the loop until the server
 * closes it (every request says Connection: close). */
static void
request(
    const char *method, const char *target, const char *body, struct reply *ret)
{
	char buf[8192], *p;
	size_t got = 0, blen = body != NULL ? strlen(body) : 0;
	struct timespec pause = {0, 1000000};
	ssize_t n;
	int fd, i;

	memset(ret, 0, sizeof(*ret));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sunlen) == -1)
		abort();
	n = snprintf(buf, sizeof(buf),
	    "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    method, target, blen, body != NULL ? body : "");
	if (write(fd, buf, (size_t)n) != n)
		abort();
	for (i = 0; i < 2000; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		else if (errno != EAGAIN)
			break;
		else
			nanosleep(&pause, NULL);
	}
	close(fd);
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.1 %d", &ret->status) != 1)
		ret->status = -1;
	if ((p = strstr(buf, "\r\n\r\n")) == NULL)
		return;
	snprintf(ret->head, sizeof(ret->head), "%.*s", (int)(p - buf), buf);
	ret->body = json_loads(p + 4, 0, NULL);
}

/* The error message of a reply, or "". */
static const char *
message(const struct reply *r)
{
	const char *m = json_string_value(
	    json_object_get(json_object_get(r->body, "error"), "message"));

	return m != NULL ? m : "";
}

/* apispec_check() on one JSON text: the result and the message. */
static int
check(const struct apispec_field *const *fields, const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	int r;

	error_clear();
	r = apispec_check(fields, v);
	json_decref(v);
	return r;
}

static void
test_check(void)
{
	is_int(check(json_fields, "{\"n\": 3}"), 0, "only the required field");
	is_int(check(json_fields,
		   "{\"n\": -5, \"s\": \"abcd\", \"any\": \"\", \"b\": false}"),
	    0, "every field, each at its bound");
	is_int(check(json_fields, "{\"n\": 3, \"x\": 1}"), -EINVAL,
	    "an unknown field is refused");
	is_str(error_get(), "unknown field \"x\"", "  named");
	is_int(check(json_fields, "{\"n\": 3, \"\\u0001\": 1}"), -EINVAL,
	    "an unknown field with a control character");
	ok(error_get() != NULL && strchr(error_get(), '\001') == NULL,
	    "  quoted, not copied: %s", error_get() ? error_get() : "");
	{
		json_t *o = json_pack("{s:i, s:s%}", "n", 3, "s", "a\0b", 3);

		error_clear();
		is_int(apispec_check(json_fields, o), -EINVAL,
		    "a string holding a NUL is refused");
		is_str(error_get(),
		    "the field \"s\" contains a NUL character (\\u0000)",
		    "  named");
		json_decref(o);
	}
	is_int(check(json_fields, "{\"n\": \"3\"}"), -EINVAL,
	    "a string for an integer");
	is_str(error_get(),
	    "the field \"n\" must be a whole number from -5 to 10",
	    "  says the range");
	is_int(check(json_fields, "{\"n\": 3.0}"), -EINVAL,
	    "a real for an integer");
	is_int(check(json_fields, "{\"n\": 11}"), -EINVAL,
	    "an integer above its range");
	is_str(error_get(), "the field \"n\" is 11; it must be from -5 to 10",
	    "  says the value and the range");
	is_int(check(json_fields, "{\"n\": -6}"), -EINVAL,
	    "an integer below its range");
	is_int(check(json_fields, "{\"n\": 1, \"b\": 1}"), -EINVAL,
	    "1 for a boolean");
	is_str(error_get(), "the field \"b\" must be true or false",
	    "  says true or false");
	is_int(check(json_fields, "{\"n\": 1, \"b\": null}"), -EINVAL,
	    "null for a boolean");
	is_int(check(json_fields, "{\"n\": 1, \"s\": 5}"), -EINVAL,
	    "a number for a string");
	is_str(
	    error_get(), "the field \"s\" must be a string", "  says string");
	is_int(check(json_fields, "{\"n\": 1, \"s\": \"\"}"), -EINVAL,
	    "an empty string below its minimum");
	is_str(error_get(), "the field \"s\" must not be empty", "  named");
	is_int(check(json_fields, "{\"n\": 1, \"s\": \"abcde\"}"), -EINVAL,
	    "a string over its maximum");
	is_str(error_get(), "the field \"s\" is longer than 4 bytes",
	    "  says the limit");
	is_int(check(json_fields,
		   "{\"n\": 1, \"any\": \"" /* no max */
		   "0123456789012345678901234567890123456789\"}"),
	    0, "a string without a maximum");
	is_int(check(json_fields, "{\"s\": \"ab\"}"), -EINVAL,
	    "the required field missing");
	is_str(error_get(), "the field \"n\" is missing", "  named");
	is_int(check(json_fields, "{}"), -EINVAL, "{} without the required");
	is_int(check(json_fields, "[1]"), -EINVAL, "an array, not an object");
	is_str(error_get(), "the body must be a JSON object", "  says object");
	is_int(check(json_fields, "\"n\""), -EINVAL, "a string, not an object");
	is_int(check(NULL, "{}"), 0, "no fields: {}");
	is_int(check(NULL, "{\"n\": 1}"), -EINVAL, "no fields: any field");
	is_int(check(opt_fields, "{}"), 0, "only optional fields: {}");
}

/* apispec_value() on one text: the result, and the value as JSON. */
static int
value(const struct apispec_field *f, const char *text, char *out, size_t len)
{
	json_t *v = NULL;
	char *s;
	int r;

	error_clear();
	out[0] = '\0';
	if ((r = apispec_value(f, text, &v)) < 0)
		return r;
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(out, len, "%s", s);
	free(s);
	json_decref(v);
	return 0;
}

static void
test_value(void)
{
	static const struct {
		const struct apispec_field *f;
		const char *text, *json; /* json NULL: refused */
	} cases[] = {
	    {&f_b, "true", "true"}, {&f_b, "1", "true"},
	    {&f_b, "false", "false"}, {&f_b, "0", "false"}, {&f_b, "", NULL},
	    {&f_b, "yes", NULL}, {&f_b, "TRUE", NULL}, {&f_b, "1 ", NULL},
	    {&f_b, "01", NULL}, {&f_n, "7", "7"}, {&f_n, "-5", "-5"},
	    {&f_n, "10", "10"}, {&f_n, "11", NULL}, {&f_n, "-6", NULL},
	    {&f_n, "", NULL}, {&f_n, "7x", NULL}, {&f_n, "0x7", NULL},
	    {&f_n, "99999999999999999999", NULL}, {&f_n, "3.0", NULL},
	    {&f_s, "abcd", "\"abcd\""}, {&f_s, "abcde", NULL}, {&f_s, "", NULL},
	    {&f_any, "", "\"\""}, {&f_any, "\xff", NULL}, /* not UTF-8 */
	};
	char out[64];
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = value(cases[i].f, cases[i].text, out, sizeof(out));
		if (cases[i].json != NULL) {
			if (ok(r == 0, "%s=\"%s\" is taken", cases[i].f->name,
				cases[i].text))
				is_str(out, cases[i].json, "  as %s",
				    cases[i].json);
			else
				diag("  %s", error_get() ? error_get() : "");
		} else
			ok(r == -EINVAL && error_get() != NULL,
			    "%s=\"%s\" is refused: %s", cases[i].f->name,
			    cases[i].text, error_get() ? error_get() : "");
	}
	value(&f_b, "maybe", out, sizeof(out));
	is_str(error_get(),
	    "the parameter \"b\" is \"maybe\"; it must be true or false (or 1 "
	    "or 0)",
	    "a bad boolean's message names the parameter and its words");
	value(&f_n, "7x", out, sizeof(out));
	is_str(error_get(),
	    "the parameter \"n\" is \"7x\"; it must be a whole number from -5 "
	    "to 10",
	    "a bad integer's message names the parameter and the range");
}

/* One request through the server: status, and whether the handler ran. */
static void
dispatch(const char *method, const char *target, const char *body, int status,
    const char *route, const char *args, const char *msg)
{
	struct reply r;
	int before = calls;

	request(method, target, body, &r);
	is_int(r.status, status, "%s %s %s: %d", method, target,
	    body != NULL ? body : "(no body)", status);
	if (route != NULL) {
		ok(calls == before + 1 && strcmp(seen_route, route) == 0,
		    "  the handler of \"%s\" ran", route);
		is_str(seen_args, args, "  with args %s", args);
	} else
		ok(calls == before, "  no handler ran");
	if (msg != NULL)
		ok(strstr(message(&r), msg) != NULL, "  message has \"%s\": %s",
		    msg, message(&r));
	json_decref(r.body);
}

static void
test_dispatch(void)
{
	struct http_server_config cfg = {0};
	struct http_route *routes;
	struct http_server *srv;
	struct reply r;
	int lfd;

	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	routes = api_http_routes(table);
	srv = http_server_new(base, &cfg, routes, NULL);
	/* an abstract address: nothing on disk */
	sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
		"kvm-test-apispec-%d", (int)getpid()));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sun, sunlen) == -1 ||
	    listen(lfd, 8) == -1 || http_server_add_listener(srv, lfd) < 0)
		abort();

	dispatch("POST", "/json", "{\"n\": 4, \"b\": true}", 200, "json",
	    "{\"b\":true,\"n\":4}", NULL);
	dispatch("POST", "/json", "{\"n\": 4, \"nn\": 1}", 400, NULL, NULL,
	    "unknown field \"nn\"");
	dispatch("POST", "/json", "{\"n\": \"4\"}", 400, NULL, NULL,
	    "must be a whole number from -5 to 10");
	dispatch("POST", "/json", "{\"n\": 40}", 400, NULL, NULL,
	    "is 40; it must be from -5 to 10");
	dispatch("POST", "/json", "{\"b\": false}", 400, NULL, NULL,
	    "\"n\" is missing");
	dispatch("POST", "/json", NULL, 400, NULL, NULL, "JSON object");
	dispatch(
	    "POST", "/json", "{\"n\": 1,", 400, NULL, NULL, "not valid JSON");
	dispatch("POST", "/opt", NULL, 200, "opt", "{}", NULL);
	dispatch("POST", "/opt", " \t ", 200, "opt", "{}", NULL);
	dispatch("POST", "/opt", "{\"b\": false}", 200, "opt", "{\"b\":false}",
	    NULL);
	dispatch("POST", "/opt", "{\"b\": 0}", 400, NULL, NULL,
	    "must be true or false");
	dispatch("POST", "/none", NULL, 200, "none", "{}", NULL);
	dispatch("POST", "/none", "{}", 200, "none", "{}", NULL);
	dispatch("POST", "/none", "{\"n\": 1}", 400, NULL, NULL,
	    "unknown field \"n\"");
	dispatch("GET", "/query?q=7&b=1", NULL, 200, "query",
	    "{\"b\":true,\"q\":7}", NULL);
	dispatch("GET", "/query", NULL, 200, "query", "{}", NULL);
	dispatch(
	    "GET", "/query?q=101", NULL, 400, NULL, NULL, "\"q\" is \"101\"");
	dispatch("GET", "/query?b=yes", NULL, 400, NULL, NULL,
	    "must be true or false");
	dispatch("PUT", "/raw/a", "bytes", 200, "put", "null", NULL);
	dispatch("PUT", "/raw/a?q=oops", "bytes", 200, "put", "null", NULL);
	dispatch("GET", "/raw/a", NULL, 200, "get", "null", NULL);
	dispatch("HEAD", "/raw/a", NULL, 200, "get", "null", NULL);
	dispatch("DELETE", "/raw/a", NULL, 405, NULL, NULL, "PUT");
	request("DELETE", "/raw/a", NULL, &r);
	ok(strstr(r.head, "Allow: GET, HEAD, PUT") != NULL,
	    "  Allow lists the methods of every route on the prefix");
	json_decref(r.body);
	dispatch("POST", "/nowhere", "{}", 404, NULL, NULL, NULL);

	http_server_free(srv);
	free(routes);
	event_base_free(base);
}

int
main(void)
{
	test_check();
	test_value();
	test_dispatch();
	free(seen_args);
	return tap_done();
}
