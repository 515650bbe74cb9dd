/*
 * session.h -- Redfish's SessionService (DSP0266 "Sessions"): logins with
 * the user names and passwords of the htpasswd file nginx checks, and
 * X-Auth-Token sessions that end on DELETE or after SessionTimeout
 * seconds without use.  The store, the body parser and the URL resolver
 * are pure code (no libevent; the clock is passed in) so that the fuzz
 * target tests/fuzz/redfishd/fuzz_session.c drives them whole.
 */
#ifndef REDFISHD_SESSION_H
#define REDFISHD_SESSION_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "httpparse.h"

struct redfish_reply;

#define SESSION_TOKEN_LEN 64 /* hex of 32 bytes from getrandom() */
#define SESSION_ID_LEN	  16 /* hex of 8 bytes: not a secret */
#define SESSION_USER_MAX  32 /* kaputtkvm-passwd's limit */
#define SESSION_PASS_MAX  256

#define SESSION_SERVICE	   "/redfish/v1/SessionService"
#define SESSION_COLLECTION SESSION_SERVICE "/Sessions"

struct session {
	int used;
	char id[SESSION_ID_LEN + 1];
	char token[SESSION_TOKEN_LEN + 1];
	char user[SESSION_USER_MAX + 1];
	time_t created; /* wall clock, for CreatedTime */
	long long last; /* monotonic seconds of the last use */
};

struct session_store {
	struct session *slots;
	unsigned int max;     /* at most this many at once */
	unsigned int timeout; /* SessionTimeout: idle seconds */
};

/* 0, or -ENOMEM. */
int session_store_init(
    struct session_store *, unsigned int max, unsigned int timeout_sec);
void session_store_free(struct session_store *);
/* Ends the sessions idle longer than the timeout at now. */
void session_expire(struct session_store *, long long now);
unsigned int session_count(const struct session_store *);

/* A new session for user (random id and token): 0 and *ret; -ENOSPC when
 * max are open, -EIO when getrandom() fails. */
int session_new(struct session_store *, const char *user, long long now,
    time_t wall, struct session **ret);
/* The live session whose token is token, its last use set to now; NULL.
 * The token is compared with every slot's in constant time. */
struct session *session_by_token(
    struct session_store *, const char *token, long long now);
void session_delete(struct session *);
/* Ends every session (the password file changed). */
void session_end_all(struct session_store *);

/* The body of POST .../Sessions: {"UserName": ..., "Password": ...}.
 * 0 with user and password filled (NUL-terminated, within
 * SESSION_USER_MAX / SESSION_PASS_MAX), or -1 with *error a Redfish error
 * (a new reference) for a 400. */
int session_login_parse(const char *body, size_t len,
    char user[SESSION_USER_MAX + 1], char password[SESSION_PASS_MAX + 1],
    json_t **error);

/* The Session resource (never its token). */
json_t *session_json(const struct session *);

/*
 * The SessionService URLs: 0 when path is not one of them.  Otherwise
 * *out is the answer (expired sessions ended first) and 1 is returned, or
 * 2 for a POST of the collection, a login: the caller checks the body and
 * the password and calls session_new().  A DELETE of a session ends it
 * (204).
 */
int session_resolve(enum http_method, const char *path, struct session_store *,
    long long now, struct redfish_reply *out);

/*
 * The password of user in an htpasswd file of "USER:HASH" lines (crypt(3)
 * hashes as kaputtkvm-passwd writes them, "$6$": SHA-512 crypt): 1 when
 * it matches, 0 when it does not or the user has no line (a hash is
 * computed all the same, so the time taken does not tell), -errno with
 * error_set() when the file cannot be read.  A hash asking for more than
 * SESSION_MAX_ROUNDS rounds is refused (0, logged): it would stall the
 * event loop.
 */
#define SESSION_MAX_ROUNDS 100000
int session_check_password(
    const char *file, const char *user, const char *password);

/*
 * Cross-site requests.  Redfish clients send neither the page's
 * X-KaputtKVM header nor its cookie, so nginx's check does not apply; a
 * page on another site can still make a browser POST with the basic-auth
 * credentials it replays, but only as a form or a "simple" fetch, with a
 * Content-Type other than JSON (JSON needs a CORS preflight, which is
 * never granted).  1 when a Content-Type value is application/json (any
 * case, optionally with parameters).
 */
int session_is_json_type(const char *content_type);

#endif
