/*
 * hidws.c -- the /ws WebSocket (see hidws.h and PROTOCOL.md).
 *
 * Messages are handled in the order they arrive, each to completion before
 * the next, so a key-up never overtakes its key-down.  Every connection is
 * a client of the core: the keys it pressed go up when it leaves, and all
 * keys go up when the last one leaves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "api.h"
#include "error.h"
#include "hid.h"
#include "hidws.h"
#include "keymap.h"
#include "log.h"
#include "report.h"
#include "routes.h"
#include "spec.h"
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

/* The description of the message type t (len bytes), or an error naming
 * the types there are. */
static int
hidws_type(const char *t, size_t len, const struct apispec_route **ret)
{
	const struct apispec_route *e;
	char q[40], types[128];
	size_t off = 0;

	if (strlen(t) == len &&
	    (e = apispec_route(hidd_api_messages, t)) != NULL) {
		*ret = e;
		return 0;
	}
	for (e = hidd_api_messages; e->name != NULL && off < sizeof(types); e++)
		off += snprintf(types + off, sizeof(types) - off, "%s%s",
		    e == hidd_api_messages  ? ""
			: e[1].name == NULL ? " or "
					    : ", ",
		    e->name);
	return error_set(-EINVAL, "unknown message type \"%s\": use %s",
	    utf8_quote(t, len, q, sizeof(q)), types);
}

/* The "id" alone, first: an error about any other field then answers it. */
static int
hidws_id(json_t *o, long long *ret)
{
	json_t *v = json_object_get(o, "id"), *only;
	int r;

	if (v == NULL)
		return 0;
	only = json_pack("{s:O}", "id", v);
	if ((r = apispec_check(hidd_api_id_fields, only)) == 0)
		*ret = json_integer_value(v);
	json_decref(only);
	return r;
}

/* A checked message's fields into m. */
static int
hidws_fields(json_t *o, struct hidws_msg *m)
{
	switch (m->type) {
	case HIDWS_KEY:
		m->down = apispec_bool(o, "down", 1);
		return keymap_usage(apispec_string(o, "code", NULL), &m->usage);
	case HIDWS_ABS:
		m->x = apispec_int(o, "x", 0);
		m->y = apispec_int(o, "y", 0);
		return 0;
	case HIDWS_REL:
		m->x = apispec_int(o, "dx", 0);
		m->y = apispec_int(o, "dy", 0);
		return 0;
	case HIDWS_WHEEL:
		m->x = apispec_int(o, "wheel_dx", 0);
		m->y = apispec_int(o, "wheel_dy", 0);
		return 0;
	case HIDWS_BUTTON:
		m->down = apispec_bool(o, "down", 1);
		return hid_button_bit(
		    apispec_string(o, "button", NULL), &m->button);
	case HIDWS_RELEASE:
	case HIDWS_PING:
		return 0;
	}
	return 0;
}

/* A JSON text message: its "t" picks its description (spec.c), which
 * checks every other field the way POST /key and POST /mouse are checked. */
static int
hidws_parse_json(const uint8_t *buf, size_t len, struct hidws_msg *m)
{
	const struct apispec_route *e = NULL;
	json_error_t jerr;
	json_t *o, *t = NULL;
	int r;

	o = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return error_set(-EINVAL, "bad JSON at column %d: %s",
		    jerr.column, jerr.text);
	if (!json_is_object(o)) {
		r = error_set(-EINVAL, "a message is a JSON object");
		goto out;
	}
	t = json_incref(json_object_get(o, "t"));
	if (!json_is_string(t)) {
		r = error_set(
		    -EINVAL, "field \"t\" (the message type) is missing");
		goto out;
	}
	json_object_del(o, "t");
	if ((r = hidws_id(o, &m->id)) < 0 ||
	    (r = hidws_type(json_string_value(t), json_string_length(t), &e)) <
		0 ||
	    (r = apispec_check(e->fields, o)) < 0)
		goto out;
	m->type = (enum hidws_type)(e - hidd_api_messages);
	r = hidws_fields(o, m);
out:
	json_decref(t);
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
		reply = envelope_error(r, error_get());
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
