/*
 * session.c -- the SessionService (session.h).  Tokens come from
 * getrandom() and are compared with OpenSSL's CRYPTO_memcmp(); passwords
 * are checked with libcrypt's crypt_r() against nginx's htpasswd file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <crypt.h>
#include <openssl/crypto.h>

#include "error.h"
#include "log.h"
#include "resource.h"
#include "session.h"

/* SHA-512 crypt of a password nobody knows, at the default 5000 rounds:
 * what an unknown user's login is checked against. */
static const char dummy_hash[] =
    "$6$kaputtkvmdummy0$d.3VJzzfWW5fcNiSCa5M.w3CUit904XFAsX/eC2yFy/"
    "x4cSakqxODbHB2b.5XcKSpM3C266WnNcLnSHatrx3l0";

int
session_store_init(
    struct session_store *st, unsigned int max, unsigned int timeout_sec)
{
	st->slots = calloc(max, sizeof(*st->slots));
	if (st->slots == NULL)
		return -ENOMEM;
	st->max = max;
	st->timeout = timeout_sec;
	return 0;
}

void
session_store_free(struct session_store *st)
{
	if (st->slots != NULL)
		explicit_bzero(st->slots, st->max * sizeof(*st->slots));
	free(st->slots);
	st->slots = NULL;
}

void
session_delete(struct session *s)
{
	explicit_bzero(s, sizeof(*s));
}

void
session_end_all(struct session_store *st)
{
	for (unsigned int i = 0; i < st->max; i++)
		session_delete(&st->slots[i]);
}

void
session_expire(struct session_store *st, long long now)
{
	for (unsigned int i = 0; i < st->max; i++) {
		struct session *s = &st->slots[i];

		if (s->used && now - s->last >= (long long)st->timeout) {
			log_info("session %s of %s expired", s->id, s->user);
			session_delete(s);
		}
	}
}

unsigned int
session_count(const struct session_store *st)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < st->max; i++)
		n += st->slots[i].used != 0;
	return n;
}

/* n random bytes as 2n lowercase hex digits in out. */
static int
random_hex(char *out, size_t n)
{
	unsigned char b[32];

	if (n > sizeof(b) || getrandom(b, n, 0) != (ssize_t)n)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	explicit_bzero(b, sizeof(b));
	return 0;
}

int
session_new(struct session_store *st, const char *user, long long now,
    time_t wall, struct session **ret)
{
	struct session *s = NULL;

	for (unsigned int i = 0; i < st->max && s == NULL; i++)
		if (!st->slots[i].used)
			s = &st->slots[i];
	if (s == NULL)
		return -ENOSPC;
	if (random_hex(s->token, SESSION_TOKEN_LEN / 2) < 0 ||
	    random_hex(s->id, SESSION_ID_LEN / 2) < 0) {
		session_delete(s);
		return -EIO;
	}
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->created = wall;
	s->last = now;
	s->used = 1;
	*ret = s;
	return 0;
}

struct session *
session_by_token(struct session_store *st, const char *token, long long now)
{
	struct session *found = NULL;

	session_expire(st, now);
	if (token == NULL || strlen(token) != SESSION_TOKEN_LEN)
		return NULL;
	/* Every slot, used or not, so that the time does not say which. */
	for (unsigned int i = 0; i < st->max; i++) {
		struct session *s = &st->slots[i];
		int same =
		    CRYPTO_memcmp(s->token, token, SESSION_TOKEN_LEN) == 0;

		if (same && s->used)
			found = s;
	}
	if (found != NULL)
		found->last = now;
	return found;
}

static int
bad_body(json_t **error, const char *id, const char *msg)
{
	*error = redfish_error(id, msg,
	    "POST {\"UserName\": \"...\", \"Password\": \"...\"} with the "
	    "KaputtKVM user name and password.");
	return -1;
}

int
session_login_parse(const char *body, size_t len,
    char user[SESSION_USER_MAX + 1], char password[SESSION_PASS_MAX + 1],
    json_t **error)
{
	json_t *o, *u, *p, *v;
	const char *k;
	int r = -1;

	*error = NULL;
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return bad_body(error, "MalformedJSON",
		    "The request body is not a JSON object.");
	}
	json_object_foreach(o, k, v)
	{
		if (strcmp(k, "UserName") != 0 && strcmp(k, "Password") != 0) {
			bad_body(error, "PropertyUnknown",
			    "A login takes only UserName and Password.");
			goto out;
		}
	}
	u = json_object_get(o, "UserName");
	p = json_object_get(o, "Password");
	if (u == NULL || p == NULL) {
		bad_body(error, "PropertyMissing",
		    u == NULL ? "The login has no UserName."
			      : "The login has no Password.");
		goto out;
	}
	if (!json_is_string(u) || !json_is_string(p)) {
		bad_body(error, "PropertyValueTypeError",
		    "UserName and Password must be strings.");
		goto out;
	}
	if (json_string_length(u) == 0 ||
	    json_string_length(u) > SESSION_USER_MAX ||
	    json_string_length(p) > SESSION_PASS_MAX ||
	    memchr(json_string_value(u), '\0', json_string_length(u)) ||
	    memchr(json_string_value(p), '\0', json_string_length(p)) ||
	    strchr(json_string_value(u), ':') != NULL) {
		bad_body(error, "PropertyValueFormatError",
		    "UserName must be 1 to 32 characters without ':' or NUL, "
		    "Password at most 256 without NUL.");
		goto out;
	}
	memcpy(user, json_string_value(u), json_string_length(u) + 1);
	memcpy(password, json_string_value(p), json_string_length(p) + 1);
	r = 0;
out:
	json_decref(o);
	return r;
}

json_t *
session_json(const struct session *s)
{
	char id[sizeof(SESSION_COLLECTION) + SESSION_ID_LEN + 1], when[32];
	struct tm tm;

	snprintf(id, sizeof(id), "%s/%s", SESSION_COLLECTION, s->id);
	if (gmtime_r(&s->created, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		when[0] = '\0';
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:s}", "@odata.type",
	    "#Session.v1_3_0.Session", "@odata.id", id, "Id", s->id, "Name",
	    "User Session", "UserName", s->user, "Password", "CreatedTime",
	    when);
}

static json_t *
service_json(const struct session_store *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:{s:s}, s:{s:s}}",
	    "@odata.type", "#SessionService.v1_1_8.SessionService", "@odata.id",
	    SESSION_SERVICE, "Id", "SessionService", "Name", "Session Service",
	    "ServiceEnabled", 1, "SessionTimeout", (json_int_t)st->timeout,
	    "Status", "State", "Enabled", "Sessions", "@odata.id",
	    SESSION_COLLECTION);
}

static json_t *
collection_json(const struct session_store *st)
{
	json_t *members = json_array();
	char id[sizeof(SESSION_COLLECTION) + SESSION_ID_LEN + 1];

	for (unsigned int i = 0; i < st->max; i++) {
		if (!st->slots[i].used)
			continue;
		snprintf(id, sizeof(id), "%s/%s", SESSION_COLLECTION,
		    st->slots[i].id);
		json_array_append_new(
		    members, json_pack("{s:s}", "@odata.id", id));
	}
	return redfish_collection("#SessionCollection.SessionCollection",
	    SESSION_COLLECTION, "Session Collection", members);
}

static int
is_get(enum http_method m)
{
	return m == HTTP_GET || m == HTTP_HEAD;
}

/* A session by its id (the last segment of its URL). */
static void
resolve_member(enum http_method method, const char *id,
    struct session_store *st, struct redfish_reply *out)
{
	struct session *s = NULL;

	for (unsigned int i = 0; i < st->max && s == NULL; i++)
		if (st->slots[i].used && strcmp(st->slots[i].id, id) == 0)
			s = &st->slots[i];
	if (s == NULL) {
		out->status = 404;
		out->body = redfish_error("ResourceMissingAtURI",
		    "There is no such session: it ended, expired or never "
		    "was.",
		    "GET " SESSION_COLLECTION " for the sessions open now.");
	} else if (method == HTTP_DELETE) {
		log_info("session %s of %s ended", s->id, s->user);
		session_delete(s);
		out->status = 204;
	} else if (is_get(method)) {
		out->status = 200;
		out->body = session_json(s);
	} else {
		redfish_not_allowed(out, "GET, HEAD, DELETE");
	}
}

int
session_resolve(enum http_method method, const char *path,
    struct session_store *st, long long now, struct redfish_reply *out)
{
	const size_t coll = strlen(SESSION_COLLECTION);
	char p[256];

	if (redfish_trim_path(path, p, sizeof(p)) < 0 ||
	    strncmp(p, SESSION_SERVICE, strlen(SESSION_SERVICE)) != 0 ||
	    (p[strlen(SESSION_SERVICE)] != '\0' &&
		p[strlen(SESSION_SERVICE)] != '/'))
		return 0;
	memset(out, 0, sizeof(*out));
	session_expire(st, now);
	if (strcmp(p, SESSION_SERVICE) == 0) {
		if (!is_get(method))
			redfish_not_allowed(out, "GET, HEAD");
		else {
			out->status = 200;
			out->body = service_json(st);
		}
		return 1;
	}
	if (strcmp(p, SESSION_COLLECTION) == 0) {
		if (method == HTTP_POST)
			return 2;
		if (!is_get(method))
			redfish_not_allowed(out, "GET, HEAD, POST");
		else {
			out->status = 200;
			out->body = collection_json(st);
		}
		return 1;
	}
	if (strncmp(p, SESSION_COLLECTION "/", coll + 1) == 0 &&
	    strchr(p + coll + 1, '/') == NULL) {
		resolve_member(method, p + coll + 1, st, out);
		return 1;
	}
	out->status = 404;
	out->body = redfish_error("ResourceMissingAtURI",
	    "The resource at the URI is not served here.",
	    "Correct the URI: the SessionService serves " SESSION_SERVICE
	    " and " SESSION_COLLECTION ".");
	return 1;
}

/* The rounds a "$5$" / "$6$" hash asks for (5000 without "rounds="). */
static long
hash_rounds(const char *hash)
{
	const char *r;

	if (strncmp(hash, "$6$", 3) != 0 && strncmp(hash, "$5$", 3) != 0)
		return 0;
	r = hash + 3;
	if (strncmp(r, "rounds=", 7) != 0)
		return 5000;
	return strtol(r + 7, NULL, 10);
}

/* The hash of user's line in f, in hash; 0 when there is none. */
static int
find_hash(FILE *f, const char *user, char *hash, size_t len)
{
	char line[1024];
	size_t ulen = strlen(user);
	int found = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (found || strncmp(line, user, ulen) != 0 ||
		    line[ulen] != ':')
			continue;
		/* USER:HASH[:comment], as nginx reads it */
		line[ulen + 1 + strcspn(line + ulen + 1, ":")] = '\0';
		snprintf(hash, len, "%s", line + ulen + 1);
		found = 1;
	}
	explicit_bzero(line, sizeof(line));
	return found;
}

int
session_check_password(const char *file, const char *user, const char *password)
{
	static struct crypt_data cd; /* ~32 KiB: not on the stack */
	char hash[512];
	const char *got, *against = dummy_hash;
	FILE *f;
	int found, ok;

	if ((f = fopen(file, "re")) == NULL)
		return error_set(-errno, "cannot read the password file %s: %s",
		    file, strerror(errno));
	found = find_hash(f, user, hash, sizeof(hash));
	fclose(f);
	if (found) {
		long rounds = hash_rounds(hash);

		if (rounds > SESSION_MAX_ROUNDS) {
			log_warnx(
			    "the hash of %s in %s asks for %ld rounds (more than %d would stall redfishd): refused; set the password again with kaputtkvm-passwd",
			    user, file, rounds, SESSION_MAX_ROUNDS);
			found = 0;
		} else {
			against = hash;
		}
	}
	memset(&cd, 0, sizeof(cd));
	got = crypt_r(password, against, &cd);
	ok = found && got != NULL && got[0] != '*' &&
	    strlen(got) == strlen(against) &&
	    CRYPTO_memcmp(got, against, strlen(against)) == 0;
	explicit_bzero(&cd, sizeof(cd));
	explicit_bzero(hash, sizeof(hash));
	return ok;
}

int
session_is_json_type(const char *ct)
{
	static const char json[] = "application/json";
	const size_t n = sizeof(json) - 1;

	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, json, n) != 0)
		return 0;
	ct += n;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}
