/*
 * fuzz_session.c -- fuzz target redfishd-session: what a peer sends the
 * SessionService.  The first byte picks the part, the rest is its input:
 *   0  the body of a login (session_login_parse()): either a user name of
 *      1 to 32 bytes without ':' and a password, or a Redfish error;
 *   1  an X-Auth-Token (session_by_token()) against a store of sessions:
 *      only a session's own token finds it;
 *   2  the SessionService URLs (session_resolve()), the next byte the
 *      method: an answer with a status (a 405 with Allow, an error with
 *      @Message.ExtendedInfo), or the login for a POST of the collection;
 *   3  a Content-Type (session_is_json_type()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_login(const char *s, size_t len)
{
	char user[SESSION_USER_MAX + 1], pass[SESSION_PASS_MAX + 1];
	json_t *error;

	if (session_login_parse(s, len, user, pass, &error) == 0) {
		if (error != NULL || user[0] == '\0' ||
		    strlen(user) > SESSION_USER_MAX ||
		    strchr(user, ':') != NULL ||
		    strlen(pass) > SESSION_PASS_MAX)
			abort();
		return;
	}
	if (json_array_size(json_object_get(
		json_object_get(error, "error"), "@Message.ExtendedInfo")) != 1)
		abort();
	json_decref(error);
}

static void
fuzz_token(struct session_store *st, const char *token)
{
	struct session *s = session_by_token(st, token, 10);

	if (s != NULL && (!s->used || strcmp(s->token, token) != 0))
		abort();
	/* each session's own token finds it */
	for (unsigned int i = 0; i < st->max; i++)
		if (st->slots[i].used &&
		    session_by_token(st, st->slots[i].token, 10) !=
			&st->slots[i])
			abort();
}

static void
fuzz_resolve(struct session_store *st, enum http_method m, const char *path)
{
	struct redfish_reply rr;
	int r = session_resolve(m, path, st, 10, &rr);

	if (r == 0 || r == 2) {
		if (r == 2 && m != HTTP_POST)
			abort();
		return;
	}
	if (r != 1 || rr.status < 200 ||
	    (rr.status == 405) != (rr.allow != NULL))
		abort();
	if (rr.status >= 400 &&
	    json_array_size(json_object_get(json_object_get(rr.body, "error"),
		"@Message.ExtendedInfo")) != 1)
		abort();
	if (rr.status == 204 && rr.body != NULL)
		abort();
	json_decref(rr.body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session_store st;
	struct session *s;
	char *text;

	if (size < 2)
		return 0;
	if ((text = malloc(size)) == NULL)
		abort();
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	if (session_store_init(&st, 4, 60) < 0)
		abort();
	for (int i = 0; i < 3; i++)
		if (session_new(&st, "admin", 0, 0, &s) < 0)
			abort();
	/* one of them with the token the input may name */
	memset(s->token, 'a', SESSION_TOKEN_LEN);
	memcpy(s->id, "0123456789abcdef", SESSION_ID_LEN);
	switch (data[0] % 4) {
	case 0:
		fuzz_login((const char *)data + 1, size - 1);
		break;
	case 1:
		fuzz_token(&st, text);
		break;
	case 2:
		fuzz_resolve(&st, 1u << (data[1] % 7), text);
		break;
	default:
		(void)session_is_json_type(text);
		break;
	}
	session_store_free(&st);
	free(text);
	return 0;
}
