/*
 * envelope.c -- the JSON envelope, built and encoded.
 *
 * No reply may end the daemon: jansson refuses strings that are not valid
 * UTF-8, so a message is quoted (utf8_quote()) when it is not; what still
 * cannot be encoded is the caller's to replace with ENVELOPE_REPLY_FAILED.
 */
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "error.h"
#include "utf8.h"

/* {"ok": true, "result": result}; steals result. */
json_t *
envelope_ok(json_t *result)
{
	if (result == NULL)
		result = json_object();
	return json_pack("{s:b, s:o}", "ok", 1, "result", result);
}

/* {"ok": false, "error": {"code", "message"}} with a code. */
static json_t *
envelope_error_code(const char *code, const char *message)
{
	char quoted[1024];

	if (message == NULL || *message == '\0')
		message = "internal error: see the daemon's log";
	else if (!utf8_valid(message, strlen(message)))
		message = utf8_quote(
		    message, strlen(message), quoted, sizeof(quoted));
	return json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code,
	    "message", message);
}

/* The error envelope for a -errno. */
json_t *
envelope_error(int err, const char *message)
{
	return envelope_error_code(error_code(err), message);
}

/* The error envelope for an HTTP status. */
json_t *
envelope_error_status(int status, const char *message)
{
	return envelope_error_code(error_status_code(status), message);
}

/* Compact ASCII JSON, or NULL; takes v. */
char *
envelope_encode(json_t *v)
{
	char *s = NULL;

	if (v != NULL)
		s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(v);
	return s;
}
