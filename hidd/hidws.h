/*
 * hidws.h -- live input over the /ws WebSocket (message format in
 * PROTOCOL.md), and state pushes to every connected page.
 *
 * hidws_parse() is pure (fuzzed): one message, text (JSON) or binary, into
 * a struct hidws_msg, or -EINVAL with error_set() saying what is wrong.  A
 * JSON message is checked against its description in spec.c
 * (hidd_api_messages), whose fields are POST /key's and POST /mouse's.
 */
#ifndef HIDD_HIDWS_H
#define HIDD_HIDWS_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

struct routes_ctx;
struct http_request;

/* A JSON message's type is its index in hidd_api_messages. */
enum hidws_type {
	HIDWS_KEY = HIDD_API_MSG_KEY,	    /* usage, down */
	HIDWS_ABS = HIDD_API_MSG_ABS,	    /* x, y */
	HIDWS_REL = HIDD_API_MSG_REL,	    /* dx, dy in x, y */
	HIDWS_BUTTON = HIDD_API_MSG_BUTTON, /* button, down */
	HIDWS_WHEEL = HIDD_API_MSG_WHEEL,   /* wheel_dx, wheel_dy in x, y */
	HIDWS_RELEASE = HIDD_API_MSG_RELEASE,
	HIDWS_PING = HIDD_API_MSG_PING,
};

#define HIDWS_MAX_MESSAGE 1024

struct hidws_msg {
	enum hidws_type type;
	uint8_t usage; /* HID usage; a JSON "code" is looked up */
	int down;
	long long x, y; /* abs: position; rel/wheel: deltas */
	uint8_t button; /* REPORT_BTN_* */
	long long id;	/* -1: no acknowledgement wanted */
};

/* opcode is WS_OP_TEXT or WS_OP_BINARY. */
int hidws_parse(int opcode, const uint8_t *, size_t, struct hidws_msg *ret);
/* GET /ws: the handshake (Origin checked by ws_accept) and the session. */
void hidws_accept(struct http_request *, struct routes_ctx *);
/* Sends the push state to every page. */
void hidws_push(struct routes_ctx *);
/* Closes every connection (at stop). */
void hidws_close_all(struct routes_ctx *);

#endif
