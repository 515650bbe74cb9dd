/*
 * error.c -- the words that go with a -errno, and the one table of HTTP
 * statuses: reason phrase, envelope code and the errno values behind each.
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

/*
 * The one status table: each HTTP status the daemons send, its reason
 * phrase, the envelope's code, and the -errno values that give it.  The
 * first row of a status gives its phrase and its code for replies the
 * server makes from a status alone (409 has two rows: "busy" first,
 * "exists" for -EEXIST).  An errno in no row is 500 "internal".
 */
static const struct error_status {
	int status;
	const char *reason;
	const char *code; /* NULL: not an error */
	int errnos[6];	  /* positive; 0 ends the list */
} error_statuses[] = {
    {100, "Continue", NULL, {0}},
    {101, "Switching Protocols", NULL, {0}},
    {200, "OK", NULL, {0}},
    {201, "Created", NULL, {0}},
    {202, "Accepted", NULL, {0}},
    {204, "No Content", NULL, {0}},
    {206, "Partial Content", NULL, {0}},
    {301, "Moved Permanently", NULL, {0}},
    {302, "Found", NULL, {0}},
    {304, "Not Modified", NULL, {0}},
    {400, "Bad Request", "invalid",
	{EINVAL, ENAMETOOLONG, EILSEQ, EDOM, ERANGE}},
    {401, "Unauthorized", "unauthorized", {0}},
    {403, "Forbidden", "forbidden", {EPERM}}, /* a policy refusal */
    {404, "Not Found", "not_found", {ENOENT}},
    /* the server's own "method not allowed", sent with Allow */
    {405, "Method Not Allowed", "method_not_allowed", {EBADRQC}},
    {408, "Request Timeout", "timeout", {0}},
    {409, "Conflict", "busy", {EBUSY, EALREADY}},
    {409, "Conflict", "exists", {EEXIST}},
    {410, "Gone", "gone", {0}},
    {411, "Length Required", "invalid", {0}},
    {412, "Precondition Failed", "invalid", {0}},
    {413, "Content Too Large", "too_large", {EMSGSIZE, E2BIG, EFBIG}},
    {414, "URI Too Long", "invalid", {0}},
    {415, "Unsupported Media Type", "invalid", {0}},
    {416, "Range Not Satisfiable", "invalid", {0}},
    {417, "Expectation Failed", "invalid", {0}},
    {422, "Unprocessable Content", "invalid", {0}},
    {423, "Locked", "busy", {0}},
    {429, "Too Many Requests", "busy", {0}},
    {431, "Request Header Fields Too Large", "too_large", {0}},
    {500, "Internal Server Error", "internal", {0}},
    /* a feature this KVM's hardware lacks */
    {501, "Not Implemented", "not_supported", {EOPNOTSUPP, ENOSYS}},
    {502, "Bad Gateway", "unavailable", {0}},
    {503, "Service Unavailable", "unavailable",
	{ENODEV, EAGAIN, ENXIO, ESHUTDOWN, ECONNREFUSED}},
    /* another daemon did not answer */
    {504, "Gateway Timeout", "timeout", {ETIMEDOUT}},
    {505, "HTTP Version Not Supported", "not_supported", {0}},
    {507, "Insufficient Storage", "no_space", {ENOSPC, EDQUOT}},
};

#define ERROR_NSTATUSES (sizeof(error_statuses) / sizeof(error_statuses[0]))

/* The first row of a status, or NULL. */
static const struct error_status *
error_row_status(int status)
{
	size_t i;

	for (i = 0; i < ERROR_NSTATUSES; i++)
		if (error_statuses[i].status == status)
			return &error_statuses[i];
	return NULL;
}

/* The row for a -errno: the 500 row when none lists it. */
static const struct error_status *
error_row_errno(int err)
{
	size_t i, j;

	for (i = 0; i < ERROR_NSTATUSES; i++)
		for (j = 0; error_statuses[i].errnos[j] != 0; j++)
			if (-err == error_statuses[i].errnos[j])
				return &error_statuses[i];
	return error_row_status(500);
}

/* The HTTP status for a -errno. */
int
error_http_status(int err)
{
	return error_row_errno(err)->status;
}

/* A stable, machine-readable code for the error envelope. */
const char *
error_code(int err)
{
	return error_row_errno(err)->code;
}

/* The reason phrase of a status; "Unknown" for one not in the table. */
const char *
error_status_text(int status)
{
	const struct error_status *row = error_row_status(status);

	return row != NULL ? row->reason : "Unknown";
}

/* The envelope's code for a reply made from a status alone. */
const char *
error_status_code(int status)
{
	const struct error_status *row = error_row_status(status);

	if (row != NULL && row->code != NULL)
		return row->code;
	return status >= 500 ? "internal" : "invalid";
}

/* The table's statuses, one by one: for tests and docs.  0 past the end. */
int
error_status_at(size_t i)
{
	return i < ERROR_NSTATUSES ? error_statuses[i].status : 0;
}
