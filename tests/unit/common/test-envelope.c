/*
 * test-envelope.c -- the JSON envelope, errno -> HTTP mapping, error
 * messages, log escaping and the Prometheus text format.
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "error.h"
#include "log.h"
#include "metrics.h"
#include "tap.h"
#include "xmalloc.h"

static void
test_mapping(void)
{
	static const struct {
		int err;
		int status;
		const char *code;
	} cases[] = {
	    {-EINVAL, 400, "invalid"},
	    {-ENOENT, 404, "not_found"},
	    {-EBUSY, 409, "busy"},
	    {-EEXIST, 409, "exists"},
	    {-ENOSPC, 507, "no_space"},
	    {-ENODEV, 503, "unavailable"},
	    {-EAGAIN, 503, "unavailable"},
	    {-EPERM, 403, "forbidden"},
	    {-EACCES, 500, "internal"},
	    {-EOPNOTSUPP, 501, "not_supported"},
	    {-EBADRQC, 405, "method_not_allowed"},
	    {-EIO, 500, "internal"},
	    {-ENOMEM, 500, "internal"},
	    {-ETIMEDOUT, 504, "timeout"},
	    {-EMSGSIZE, 413, "too_large"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(error_http_status(cases[i].err), cases[i].status,
		    "%s -> %d", strerror(-cases[i].err), cases[i].status);
		is_str(error_code(cases[i].err), cases[i].code, "%s -> %s",
		    strerror(-cases[i].err), cases[i].code);
	}
}

static void
test_envelopes(void)
{
	json_t *v, *e;

	v = envelope_ok(json_pack("{s:i}", "fps", 30));
	ok(json_is_true(json_object_get(v, "ok")), "ok envelope: ok true");
	is_int(json_integer_value(
		   json_object_get(json_object_get(v, "result"), "fps")),
	    30, "ok envelope carries the result");
	json_decref(v);

	v = envelope_ok(NULL);
	ok(json_is_object(json_object_get(v, "result")) &&
		json_object_size(json_object_get(v, "result")) == 0,
	    "NULL result becomes {}");
	json_decref(v);

	v = envelope_error(-EBUSY, "the medium is locked by the target");
	e = json_object_get(v, "error");
	ok(json_is_false(json_object_get(v, "ok")), "error envelope: ok false");
	is_str(json_string_value(json_object_get(e, "code")), "busy",
	    "error envelope code");
	is_str(json_string_value(json_object_get(e, "message")),
	    "the medium is locked by the target", "error envelope message");
	ok(json_object_get(v, "result") == NULL, "no result in an error");
	json_decref(v);

	v = envelope_error(-EIO, NULL);
	e = json_object_get(v, "error");
	ok(strlen(json_string_value(json_object_get(e, "message"))) > 0,
	    "an error never has an empty message");
	json_decref(v);
}

static void
test_error_set(void)
{
	error_clear();
	ok(error_get() == NULL, "no message after clear");
	is_int(error_set(-EINVAL, "bad %s %d", "fps", 7), -EINVAL,
	    "error_set returns its error");
	is_str(error_get(), "bad fps 7", "message formatted");
	error_clear();
	ok(error_get() == NULL, "cleared again");
}

static void
test_log_escape(void)
{
	char out[64];

	is_str(log_escape("a\nb\x1b[31m", 8, out, sizeof(out)),
	    "a\\nb\\x1b[31m", "control characters escaped");
	is_str(log_escape("caf\xc3\xa9", 5, out, sizeof(out)), "caf\xc3\xa9",
	    "valid UTF-8 kept");
	is_str(log_escape("\xff\xc3", 2, out, sizeof(out)), "\\xff\\xc3",
	    "invalid UTF-8 escaped");
	log_escape("0123456789abcdef", 16, out, 8);
	is_int(strlen(out), 7, "output bounded by its size");
}

static void
test_metrics(void)
{
	struct metrics *m = metrics_new("gpiod-ctl");
	const char *t;
	char lab[64];
	size_t len;

	metrics_gauge(m, "lines", "Configured lines.", 6);
	metrics_declare(m, "line_value", "gauge", "Line value.");
	metrics_sample(m, "line_value",
	    metrics_label(lab, sizeof(lab), "line", "power\"led\n"), 1);
	t = metrics_text(m, &len);
	ok(strstr(t, "# TYPE kaputtkvm_gpiod_ctl_lines gauge\n") != NULL,
	    "prefix with - turned into _ and TYPE line");
	ok(strstr(t, "kaputtkvm_gpiod_ctl_lines 6\n") != NULL, "sample line");
	ok(strstr(t,
	       "kaputtkvm_gpiod_ctl_line_value{line=\"power\\\"led\\n\"}"
	       " 1\n") != NULL,
	    "label value escaped");
	is_int(len, strlen(t), "length matches the text");
	metrics_free(m);
}

/* Out of memory ends one way: xmalloc_fatal() logs what ran out, exits 1. */
static void
test_oom(void)
{
	char buf[512];
	ssize_t n;
	size_t got = 0;
	int fds[2], st;
	pid_t pid;

	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		ok(0, "fork for xmalloc_fatal()");
		return;
	}
	if (pid == 0) {
		dup2(fds[1], 2);
		xmalloc_fatal("%d test events", 3);
	}
	close(fds[1]);
	while (got < sizeof(buf) - 1 &&
	    (n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "xmalloc_fatal() exits 1 (status %d)", st);
	ok(strstr(buf, "out of memory allocating 3 test events") != NULL,
	    "xmalloc_fatal() logs what ran out");
}

int
main(void)
{
	test_mapping();
	test_envelopes();
	test_error_set();
	test_log_escape();
	test_metrics();
	test_oom();
	return tap_done();
}
