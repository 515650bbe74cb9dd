/*
 * spec.h -- hidd's API, described once (common/apispec.h): the HTTP routes
 * and the WebSocket messages, which share their fields.  routes.c pairs
 * each route with its handler, hidws.c checks each message against it,
 * hidctl builds its commands from it, docs/api.md is generated from it.
 */
#ifndef HIDD_SPEC_H
#define HIDD_SPEC_H

#include "apispec.h"

/* Indexes into hidd_api_routes[]. */
enum {
	HIDD_API_STATE,
	HIDD_API_LAYOUTS,
	HIDD_API_METRICS,
	HIDD_API_WS,
	HIDD_API_KEY,
	HIDD_API_MOUSE,
	HIDD_API_RELEASE,
	HIDD_API_PASTE,
	HIDD_API_PASTE_CANCEL,
	HIDD_API_MACROS,
	HIDD_API_MACRO_GET,
	HIDD_API_MACRO_PUT,
	HIDD_API_MACRO_DELETE,
	HIDD_API_MACRO_RUN,
	HIDD_API_MACRO_CANCEL,
	HIDD_API_JIGGLER,
	HIDD_API_NROUTES
};

/* Indexes into hidd_api_messages[]. */
enum {
	HIDD_API_MSG_KEY,
	HIDD_API_MSG_ABS,
	HIDD_API_MSG_REL,
	HIDD_API_MSG_BUTTON,
	HIDD_API_MSG_WHEEL,
	HIDD_API_MSG_RELEASE,
	HIDD_API_MSG_PING,
	HIDD_API_NMSGS
};

/* GET, PUT and DELETE /macros/NAME. */
#define HIDD_API_MACRO_PREFIX "/macros/"

extern const struct apispec_route hidd_api_routes[];
/* The WebSocket's JSON messages, by their "t" (every one may carry "id"). */
extern const struct apispec_route hidd_api_messages[];
/* Only the "id" every message may carry, to check it before the rest. */
extern const struct apispec_field *const hidd_api_id_fields[];
extern const struct apispec hidd_api, hidd_api_ws;

#endif
