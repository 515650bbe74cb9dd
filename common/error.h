/*
 * error.h -- the message that goes with a -errno result.
 *
 * Module code returns 0 or -errno and may say why in words a person can act
 * on with error_set(); the HTTP handler passes NULL as the message to
 * api_reply_error() and the words set here are used.  The message is
 * per-thread and cleared by the server before each handler runs.
 */
#ifndef KVM_ERROR_H
#define KVM_ERROR_H

#include <stddef.h>

/* Sets the message and returns err, so: return error_set(-EINVAL, "...").
 * The message is made valid UTF-8 (utf8_vformat()): bad bytes and control
 * characters escaped, a cut made between characters and shown by "...".
 * Peer strings still go through utf8_quote() first when they are to be
 * shortened: %.Ns cuts bytes, not characters. */
int error_set(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *error_get(void); /* NULL when none is set */
void error_clear(void);

/*
 * The one table of statuses (error.c): the HTTP status, its reason phrase,
 * the envelope's code, and the errno values that give it.  -EINVAL 400,
 * -ENOENT 404, -EBUSY 409, -ENOSPC 507, -ENODEV/-EAGAIN 503, anything else
 * 500.  A few more that the daemons need: -EEXIST 409 (a name taken),
 * -EPERM 403 (a policy refusal such as a foreign Origin; not -EACCES,
 * which is our own file permission problem: 500), -ENAMETOOLONG 400,
 * -EMSGSIZE/-E2BIG 413, -EOPNOTSUPP/-ENOSYS 501 (a feature this KVM's
 * hardware lacks), -EBADRQC 405 (the HTTP server's own "method not
 * allowed", sent with Allow), -ETIMEDOUT 504 (another daemon did not
 * answer).
 */
int error_http_status(int err);
/* A stable machine-readable code for the envelope: "invalid", "not_found",
 * "busy", "no_space", "unavailable", "internal", ... */
const char *error_code(int err);
/* The reason phrase of a status ("Not Found"); "Unknown" if not listed. */
const char *error_status_text(int status);
/* The envelope's code for a reply made from a status alone (the HTTP
 * server's own 404, 408, 505 ...). */
const char *error_status_code(int status);
/* The i-th status of the table (a status may come twice); 0 past the end. */
int error_status_at(size_t i);

#endif
