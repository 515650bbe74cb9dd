/*
 * test-status.c -- every status the HTTP server sends comes out with the
 * reason phrase and the envelope code of error.c's one table.
 *
 * A real server (common/http-*.c) on a UNIX socket in this process: each
 * case connects, sends one request and reads the reply to the end.  The
 * server's own refusals (400 ... 505) are provoked by what is sent; the
 * statuses a handler gives through a -errno come from a route that replies
 * with the errno its query names.  The table itself is walked too: every
 * error status has a phrase and a code, and a -errno's code is its
 * status's (but for the second 409 row, "exists").
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "api.h"
#include "error.h"
#include "http.h"
#include "tap.h"

static struct event_base *base;
static struct sockaddr_un addr;

/* GET /errno?e=N: the error envelope for -N. */
static void
errno_cb(struct http_request *req, void *arg)
{
	const char *e = http_request_query(req, "e");

	api_reply_error(
	    req, -atoi(e != NULL ? e : "0"), "refused for the test");
}

static const struct http_route routes[] = {
    {"/errno", HTTP_GET, errno_cb, 0, NULL},
    {NULL, 0, NULL, 0, NULL},
};

/* Sends req on a new connection and collects the reply until the server
 * closes or wait_sec passes; returns its length (NUL-terminated). */
static size_t
exchange(const char *req, size_t req_len, char *reply, size_t max, int wait_sec)
{
	struct timeval tv = {0, 10000};
	size_t got = 0;
	ssize_t n;
	int fd, i;

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		diag("connect: %s", strerror(errno));
		exit(1);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (write(fd, req, req_len) != (ssize_t)req_len)
		diag("short write");
	for (i = 0; i < wait_sec * 100 + 100; i++) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
		while (got < max - 1 &&
		    (n = read(fd, reply + got, max - 1 - got)) > 0)
			got += (size_t)n;
		if (n == 0)
			break; /* the server closed: the reply is whole */
	}
	close(fd);
	reply[got] = '\0';
	return got;
}

/* Checks a reply's status line and envelope. */
static void
check_reply(const char *what, const char *reply, int status, const char *reason,
    const char *code)
{
	char line[128];
	const char *body;
	json_t *v;
	int got;

	snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status, reason);
	if (!ok(strncmp(reply, line, strlen(line)) == 0,
		"%s: status line %d %s", what, status, reason))
		diag("  got \"%.60s\"", reply);
	got = atoi(reply + 9);
	is_str(error_status_text(got), reason, "%s: the table's phrase", what);
	body = strstr(reply, "\r\n\r\n");
	v = body != NULL ? json_loads(body + 4, 0, NULL) : NULL;
	ok(v != NULL, "%s: the body is JSON", what);
	is_str(json_string_value(
		   json_object_get(json_object_get(v, "error"), "code")),
	    code, "%s: envelope code %s", what, code);
	json_decref(v);
}

/* The refusals the server makes by itself. */
static void
test_server_statuses(void)
{
	static const struct {
		const char *what;
		const char *req;
		int status;
		const char *reason, *code;
		int wait;
	} cases[] = {
	    {"malformed head", "GET / HTTP/1.1\r\nBad header\r\n\r\n", 400,
		"Bad Request", "invalid", 0},
	    {"no route", "GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n",
		404, "Not Found", "not_found", 0},
	    {"wrong method",
		"DELETE /errno HTTP/1.1\r\nConnection: close\r\n\r\n", 405,
		"Method Not Allowed", "method_not_allowed", 0},
	    {"slow head", "GET /errno HTTP/1.1\r\nHost: x\r\n", 408,
		"Request Timeout", "timeout", 2},
	    {"large body",
		"GET /errno HTTP/1.1\r\nContent-Length: 999999\r\n\r\n", 413,
		"Content Too Large", "too_large", 0},
	    {"unknown expectation",
		"GET /errno HTTP/1.1\r\nExpect: a-pony\r\n\r\n", 417,
		"Expectation Failed", "invalid", 0},
	    {"unknown method", "BREW /errno HTTP/1.1\r\n\r\n", 501,
		"Not Implemented", "not_supported", 0},
	    {"HTTP/2.0 head", "GET /errno HTTP/2.0\r\n\r\n", 505,
		"HTTP Version Not Supported", "not_supported", 0},
	};
	static char reply[65536], req[8192];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		exchange(cases[i].req, strlen(cases[i].req), reply,
		    sizeof(reply), cases[i].wait);
		check_reply(cases[i].what, reply, cases[i].status,
		    cases[i].reason, cases[i].code);
	}
	/* a target longer than the header limit: 414 */
	n = (size_t)snprintf(req, sizeof(req), "GET /");
	memset(req + n, 'a', 5000);
	n += 5000;
	n += (size_t)snprintf(req + n, sizeof(req) - n, " HTTP/1.1\r\n\r\n");
	exchange(req, n, reply, sizeof(reply), 0);
	check_reply("long target", reply, 414, "URI Too Long", "invalid");
	/* header fields past the limit: 431 */
	n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX-Big: ");
	memset(req + n, 'a', 5000);
	n += 5000;
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n\r\n");
	exchange(req, n, reply, sizeof(reply), 0);
	check_reply("large header", reply, 431,
	    "Request Header Fields Too Large", "too_large");
}

/* The statuses a handler sends for a -errno. */
static void
test_errno_statuses(void)
{
	static const struct {
		int err, status;
		const char *reason, *code;
	} cases[] = {
	    {EINVAL, 400, "Bad Request", "invalid"},
	    {EPERM, 403, "Forbidden", "forbidden"},
	    {ENOENT, 404, "Not Found", "not_found"},
	    {EBADRQC, 405, "Method Not Allowed", "method_not_allowed"},
	    {EBUSY, 409, "Conflict", "busy"},
	    {EEXIST, 409, "Conflict", "exists"},
	    {EMSGSIZE, 413, "Content Too Large", "too_large"},
	    {EIO, 500, "Internal Server Error", "internal"},
	    {ENOSYS, 501, "Not Implemented", "not_supported"},
	    {EAGAIN, 503, "Service Unavailable", "unavailable"},
	    {ETIMEDOUT, 504, "Gateway Timeout", "timeout"},
	    {ENOSPC, 507, "Insufficient Storage", "no_space"},
	};
	static char reply[65536];
	char req[128], what[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req),
		    "GET /errno?e=%d HTTP/1.1\r\nConnection: close\r\n\r\n",
		    cases[i].err);
		snprintf(what, sizeof(what), "-%s", strerror(cases[i].err));
		exchange(req, strlen(req), reply, sizeof(reply), 0);
		check_reply(what, reply, cases[i].status, cases[i].reason,
		    cases[i].code);
	}
}

/* The table agrees with itself. */
static void
test_table(void)
{
	int status, e, bad = 0, n = 0;
	size_t i;

	for (i = 0; (status = error_status_at(i)) != 0; i++) {
		n++;
		if (strcmp(error_status_text(status), "Unknown") == 0 ||
		    (status >= 400 && error_status_code(status) == NULL)) {
			diag("status %d has no phrase or no code", status);
			bad++;
		}
	}
	ok(n > 30 && bad == 0, "%d rows: each has a phrase, each error a code",
	    n);
	bad = 0;
	for (e = 1; e < 134; e++) {
		if (e == EEXIST)
			continue;
		if (strcmp(error_code(-e),
			error_status_code(error_http_status(-e))) != 0) {
			diag("-%s: code %s, its status %d says %s", strerror(e),
			    error_code(-e), error_http_status(-e),
			    error_status_code(error_http_status(-e)));
			bad++;
		}
	}
	ok(bad == 0, "every -errno's code is its status's code");
	is_str(error_code(-EEXIST), "exists", "-EEXIST: the second 409 row");
	is_str(http_status_text(505), "HTTP Version Not Supported",
	    "http_status_text() reads the same table");
	is_str(error_status_text(299), "Unknown", "a status not listed");
}

int
main(void)
{
	struct http_server_config cfg = {
	    .max_header_bytes = 4096, .max_body_bytes = 1024, .timeout_sec = 1};
	struct http_server *srv;
	int fd;

	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1,
	    "kvm-test-status-%d", (int)getpid()); /* abstract: no file */
	if ((base = event_base_new()) == NULL ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 16) < 0) {
		diag("cannot set up the server: %s", strerror(errno));
		return 1;
	}
	srv = http_server_new(base, &cfg, routes, NULL);
	if (http_server_add_listener(srv, fd) < 0)
		return 1;
	test_table();
	test_errno_statuses();
	test_server_statuses();
	http_server_free(srv);
	event_base_free(base);
	return tap_done();
}
