/*
 * error.c -- the words that go with a -errno, and the one errno -> HTTP
 * mapping.
 *
 * A message is formatted with utf8_vformat(), so whatever peer bytes its
 * arguments carry and wherever the buffer cuts it, it is valid UTF-8 that
 * the JSON envelope can always encode.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "error.h"
#include "utf8.h"

static __thread char error_msg[512];
static __thread int error_is_set;

/* Remembers a message for err; returns err. */
int
error_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	utf8_vformat(error_msg, sizeof(error_msg), fmt, ap);
	va_end(ap);
	error_is_set = 1;
	return err;
}

/* The message set since the last error_clear(), or NULL. */
const char *
error_get(void)
{
	return error_is_set ? error_msg : NULL;
}

/* Forgets the message. */
void
error_clear(void)
{
	error_is_set = 0;
	error_msg[0] = '\0';
}

/* The HTTP status for a -errno. */
int
error_http_status(int err)
{
	switch (err) {
	case -EINVAL:
	case -ENAMETOOLONG:
	case -EILSEQ:
	case -EDOM:
	case -ERANGE:
		return 400;
	case -EPERM: /* a policy refusal (a foreign Origin) */
		return 403;
	case -ENOENT:
		return 404;
	case -EBADRQC: /* the server's own "method not allowed" */
		return 405;
	case -EOPNOTSUPP: /* a feature this KVM's hardware lacks */
	case -ENOSYS:
		return 501;
	case -EBUSY:
	case -EEXIST:
	case -EALREADY:
		return 409;
	case -EMSGSIZE:
	case -E2BIG:
	case -EFBIG:
		return 413;
	case -ENOSPC:
	case -EDQUOT:
		return 507;
	case -ENODEV:
	case -EAGAIN:
	case -ENXIO:
	case -ESHUTDOWN:
	case -ECONNREFUSED:
		return 503;
	case -ETIMEDOUT:
		return 504;
	default:
		return 500;
	}
}

/* A stable, machine-readable code for the error envelope. */
const char *
error_code(int err)
{
	switch (error_http_status(err)) {
	case 400:
		return "invalid";
	case 403:
		return "forbidden";
	case 404:
		return "not_found";
	case 405:
		return "method_not_allowed";
	case 501:
		return "not_supported";
	case 409:
		return err == -EEXIST ? "exists" : "busy";
	case 413:
		return "too_large";
	case 503:
		return "unavailable";
	case 504:
		return "timeout";
	case 507:
		return "no_space";
	default:
		return "internal";
	}
}
