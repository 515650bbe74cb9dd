/*
 * envelope.h -- the JSON envelope every daemon speaks.
 *
 * Success: 200 {"ok": true, "result": {...}}.  Failure: a 4xx/5xx status and
 * {"ok": false, "error": {"code": "...", "message": "..."}}, the status and
 * code from error.h's one table.  Below the HTTP server (which answers its
 * own refusals with it) and above the parsers: JSON only, no I/O.
 */
#ifndef KVM_ENVELOPE_H
#define KVM_ENVELOPE_H

#include <jansson.h>

/* What is sent, with status 500, when a reply cannot be encoded (which
 * envelope_error() makes impossible for a message, but never worth a
 * crash): valid, fixed, needing no allocation. */
#define ENVELOPE_REPLY_FAILED                                                  \
	"{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":"          \
	"\"the reply could not be encoded: see the daemon's log\"}}"

/* {"ok": true, "result": result}; steals result, NULL gives {}. */
json_t *envelope_ok(json_t *result);
/* {"ok": false, "error": {...}} for a -errno; message NULL or "" gives a
 * generic text, one not valid UTF-8 is quoted (utf8_quote()). */
json_t *envelope_error(int err, const char *message);
/* The same for a reply made from an HTTP status alone (the server's own
 * 404, 408, 505 ...): the code is the status's in error.h's table. */
json_t *envelope_error_status(int status, const char *message);
/* v as compact ASCII JSON (free() it), taking v; NULL when v is NULL or
 * cannot be encoded: send ENVELOPE_REPLY_FAILED then. */
char *envelope_encode(json_t *v);

#endif
