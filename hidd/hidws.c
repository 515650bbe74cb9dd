/*
 * hidws.c -- the /ws WebSocket (see hidws.h and PROTOCOL.md).
 *
 * Messages are handled in the order they arrive, each to completion before
 * the next, so a key-up never overtakes its key-down.  Every connection is
 * a client of the core: the keys it pressed go up when it leaves, and all
 * keys go up when the last one leaves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "api.h"
#include "error.h"
#include "hid.h"
#include "hidws.h"
#include "log.h"
#include "report.h"
#include "routes.h"
#include "ws.h"
#include "xmalloc.h"
#include "utf8.h"

#define HIDWS_MAX_PENDING (64 * 1024)

struct hidws_client {
	struct hidws_client *next;
	struct routes_ctx *ctx;
	struct ws_conn *conn;
	unsigned int id;
};

/* An integer field within [min, max]. */
static int
hidws_int(
    json_t *o, const char *key, long long min, long long max, long long *ret)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return error_set(-EINVAL, "field \"%s\" is missing", key);
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return error_set(-EINVAL,
		    "field \"%s\" must be an integer in %lld..%lld", key, min,
		    max);
	*ret = json_integer_value(v);
	return 0;
}

/* The "down" field: true/false (or 1/0); absent means down. */
static int
hidws_down(json_t *o, int *ret)
{
	json_t *v = json_object_get(o, "down");

	if (v == NULL)
		*ret = 1;
	else if (json_is_boolean(v))
		*ret = json_is_true(v);
	else if (json_is_integer(v) &&
	    (json_integer_value(v) == 0 || json_integer_value(v) == 1))
		*ret = (int)json_integer_value(v);
	else
		return error_set(-EINVAL,
		    "field \"down\" must be true or "
		    "false");
	return 0;
}

/* Refuses fields a message type does not have. */
static int
hidws_keys(json_t *o, const char *const *allowed)
{
	const char *key;
	char q[40];
	json_t *v;
	size_t i;

	json_object_foreach(o, key, v)
	{
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return error_set(-EINVAL, "unknown field \"%s\"",
			    utf8_quote(key, strlen(key), q, sizeof(q)));
	}
	return 0;
}

/* A JSON text message. */
static int
hidws_parse_json(const uint8_t *buf, size_t len, struct hidws_msg *m)
{
	static const char *const k_key[] = {"t", "id", "code", "down", NULL};
	static const char *const k_abs[] = {"t", "id", "x", "y", NULL};
	static const char *const k_rel[] = {"t", "id", "dx", "dy", NULL};
	static const char *const k_btn[] = {"t", "id", "button", "down", NULL};
	static const char *const k_none[] = {"t", "id", NULL};
	json_error_t jerr;
	json_t *o, *v;
	const char *t, *s;
	char q[40];
	int r;

	o = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return error_set(-EINVAL, "bad JSON at column %d: %s",
		    jerr.column, jerr.text);
	if (!json_is_object(o)) {
		r = error_set(-EINVAL, "a message is a JSON object");
		goto out;
	}
	if ((v = json_object_get(o, "t")) == NULL || !json_is_string(v)) {
		r = error_set(-EINVAL,
		    "field \"t\" (the message type) is "
		    "missing");
		goto out;
	}
	t = json_string_value(v);
	m->id = -1;
	if (json_object_get(o, "id") != NULL &&
	    (r = hidws_int(o, "id", 0, 9007199254740991LL, &m->id)) < 0)
		goto out;
	if (strcmp(t, "key") == 0) {
		m->type = HIDWS_KEY;
		if ((r = hidws_keys(o, k_key)) < 0 ||
		    (r = hidws_down(o, &m->down)) < 0)
			goto out;
		v = json_object_get(o, "code");
		if (v == NULL || !json_is_string(v)) {
			r = error_set(-EINVAL,
			    "field \"code\" (a "
			    "KeyboardEvent.code) is "
			    "missing");
			goto out;
		}
		s = json_string_value(v);
		if (*s == '\0' || strlen(s) >= sizeof(m->code)) {
			r = error_set(-EINVAL, "unknown key code \"%s\"",
			    utf8_quote(s, strlen(s), q, sizeof(q)));
			goto out;
		}
		strcpy(m->code, s);
	} else if (strcmp(t, "abs") == 0) {
		m->type = HIDWS_ABS;
		if ((r = hidws_keys(o, k_abs)) < 0 ||
		    (r = hidws_int(o, "x", 0, REPORT_ABS_MAX, &m->x)) < 0 ||
		    (r = hidws_int(o, "y", 0, REPORT_ABS_MAX, &m->y)) < 0)
			goto out;
	} else if (strcmp(t, "rel") == 0 || strcmp(t, "wheel") == 0) {
		int wheel = t[0] == 'w';
		long lim = wheel ? 127 : 32767;

		m->type = wheel ? HIDWS_WHEEL : HIDWS_REL;
		m->x = m->y = 0;
		if ((r = hidws_keys(o, k_rel)) < 0)
			goto out;
		if (json_object_get(o, "dx") != NULL &&
		    (r = hidws_int(o, "dx", -lim, lim, &m->x)) < 0)
			goto out;
		if (json_object_get(o, "dy") != NULL &&
		    (r = hidws_int(o, "dy", -lim, lim, &m->y)) < 0)
			goto out;
	} else if (strcmp(t, "button") == 0) {
		m->type = HIDWS_BUTTON;
		if ((r = hidws_keys(o, k_btn)) < 0 ||
		    (r = hidws_down(o, &m->down)) < 0)
			goto out;
		v = json_object_get(o, "button");
		if ((r = hid_button_bit(
			 v ? json_string_value(v) : NULL, &m->button)) < 0)
			goto out;
	} else if (strcmp(t, "release") == 0 || strcmp(t, "ping") == 0) {
		m->type = t[1] == 'e' ? HIDWS_RELEASE : HIDWS_PING;
		if ((r = hidws_keys(o, k_none)) < 0)
			goto out;
	} else {
		r = error_set(-EINVAL,
		    "unknown message type \"%s\": use key, abs, rel, "
		    "button, wheel, release or ping",
		    utf8_quote(t, strlen(t), q, sizeof(q)));
		goto out;
	}
	r = 0;
out:
	json_decref(o);
	return r;
}

/* A binary message: type byte, then fixed fields (little-endian). */
static int
hidws_parse_binary(const uint8_t *b, size_t len, struct hidws_msg *m)
{
	static const size_t lens[] = {0, 3, 5, 3, 3, 3, 1};

	if (len == 0 || b[0] == 0 || b[0] > 6)
		return error_set(
		    -EINVAL, "unknown binary message type %d", len ? b[0] : -1);
	if (len != lens[b[0]])
		return error_set(-EINVAL,
		    "binary message type %d is %zu bytes, not %zu", b[0],
		    lens[b[0]], len);
	m->id = -1;
	switch (b[0]) {
	case 1:
		m->type = HIDWS_KEY;
		m->usage = b[1];
		m->down = b[2] != 0;
		if (b[1] <= 3)
			return error_set(
			    -EINVAL, "usage %d is not a key", b[1]);
		break;
	case 2:
		m->type = HIDWS_ABS;
		m->x = b[1] | b[2] << 8;
		m->y = b[3] | b[4] << 8;
		if (m->x > REPORT_ABS_MAX || m->y > REPORT_ABS_MAX)
			return error_set(-EINVAL,
			    "absolute position outside 0..%d", REPORT_ABS_MAX);
		break;
	case 3:
	case 5:
		m->type = b[0] == 3 ? HIDWS_REL : HIDWS_WHEEL;
		m->x = (int8_t)b[1];
		m->y = (int8_t)b[2];
		if (m->x == -128 || m->y == -128)
			return error_set(-EINVAL, "deltas are -127..127");
		break;
	case 4:
		m->type = HIDWS_BUTTON;
		m->button = b[1];
		m->down = b[2] != 0;
		if (b[1] == 0 || (b[1] & ~REPORT_BTN_ALL) ||
		    (b[1] & (b[1] - 1)))
			return error_set(
			    -EINVAL, "bad mouse button bit 0x%02x", b[1]);
		break;
	default:
		m->type = HIDWS_RELEASE;
		break;
	}
	return 0;
}

/* One message into m. */
int
hidws_parse(int opcode, const uint8_t *buf, size_t len, struct hidws_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->id = -1;
	if (len > HIDWS_MAX_MESSAGE)
		return error_set(
		    -EINVAL, "message longer than %d bytes", HIDWS_MAX_MESSAGE);
	if (opcode == WS_OP_BINARY)
		return hidws_parse_binary(buf, len, m);
	return hidws_parse_json(buf, len, m);
}

/* Sends a JSON object (stolen) unless the page is not keeping up. */
static void
hidws_send_json(struct hidws_client *c, json_t *o)
{
	char *s;

	if (ws_pending(c->conn) > HIDWS_MAX_PENDING) {
		json_decref(o);
		return;
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s != NULL)
		ws_send_text(c->conn, s);
	free(s);
}

/* Carries out one parsed message. */
static int
hidws_dispatch(struct hidws_client *c, const struct hidws_msg *m)
{
	struct hid *hd = c->ctx->hid;

	switch (m->type) {
	case HIDWS_KEY:
		if (m->code[0] != '\0')
			return hid_key_code(hd, c->id, m->code, m->down);
		return hid_key(hd, c->id, m->usage, m->down);
	case HIDWS_ABS:
		return hid_mouse_abs(hd, c->id, m->x, m->y);
	case HIDWS_REL:
		return hid_mouse_rel(hd, c->id, m->x, m->y);
	case HIDWS_BUTTON:
		return hid_mouse_button(hd, c->id, m->button, m->down);
	case HIDWS_WHEEL:
		return hid_mouse_wheel(hd, c->id, m->x, m->y);
	case HIDWS_RELEASE:
		return hid_release(hd, "asked by a page");
	case HIDWS_PING:
		return 0;
	}
	return -EINVAL;
}

/* A whole message from the page. */
static void
hidws_on_message(
    struct ws_conn *conn, int opcode, const uint8_t *buf, size_t len, void *arg)
{
	struct hidws_client *c = arg;
	struct hidws_msg m;
	uint64_t t0 = hid_now_ns();
	json_t *reply;
	int r;

	error_clear();
	if ((r = hidws_parse(opcode, buf, len, &m)) == 0)
		r = hidws_dispatch(c, &m);
	if (r == 0 && m.type != HIDWS_PING)
		hid_latency_add(c->ctx->hid, hid_now_ns() - t0);
	if (r < 0) {
		reply = api_envelope_error(r, error_get());
		json_object_set_new(reply, "t", json_string("error"));
	} else if (m.id >= 0 || m.type == HIDWS_PING)
		reply = json_pack(
		    "{s:s}", "t", m.type == HIDWS_PING ? "pong" : "ack");
	else
		return;
	if (m.id >= 0)
		json_object_set_new(reply, "id", json_integer(m.id));
	hidws_send_json(c, reply);
}

/* The page left: its keys go up (all keys if it was the last). */
static void
hidws_on_close(struct ws_conn *conn, int code, void *arg)
{
	struct hidws_client *c = arg, **pp;
	struct routes_ctx *ctx = c->ctx;

	for (pp = &ctx->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ctx->nclients--;
	log_info("page %s left (%d); %u still connected", ws_peer(conn), code,
	    ctx->nclients);
	hid_client_gone(ctx->hid, c->id);
	free(c);
}

static const struct ws_callbacks hidws_callbacks = {
    .on_message = hidws_on_message,
    .on_close = hidws_on_close,
};

/* GET /ws. */
void
hidws_accept(struct http_request *req, struct routes_ctx *ctx)
{
	struct hidws_client *c = xcalloc(1, sizeof(*c));
	struct ws_conn *conn;

	c->ctx = ctx;
	if (ws_accept(req, &ctx->ws, &hidws_callbacks, c, &conn) < 0) {
		free(c); /* ws_accept replied 400/403 */
		return;
	}
	c->conn = conn;
	c->id = hid_client_new(ctx->hid);
	c->next = ctx->clients;
	ctx->clients = c;
	ctx->nclients++;
	log_info("page %s connected (Origin %s); %u connected", ws_peer(conn),
	    ws_origin(conn) ? ws_origin(conn) : "none", ctx->nclients);
	hidws_send_json(c, hid_push_state(ctx->hid));
}

/* The state to every page. */
void
hidws_push(struct routes_ctx *ctx)
{
	struct hidws_client *c;

	for (c = ctx->clients; c != NULL; c = c->next)
		hidws_send_json(c, hid_push_state(ctx->hid));
}

/* Closes every page's connection. */
void
hidws_close_all(struct routes_ctx *ctx)
{
	struct hidws_client *c, *next;

	for (c = ctx->clients; c != NULL; c = next) {
		next = c->next;
		ws_abort(c->conn, WS_CLOSE_GOING_AWAY, "hidd is stopping");
	}
}
