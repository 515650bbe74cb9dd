/*
 * routes.h -- hidd's HTTP API: thin handlers over hid.h, each paired with
 * its description in spec.c, and the context they share with the
 * WebSocket (hidws.c).
 */
#ifndef HIDD_ROUTES_H
#define HIDD_ROUTES_H

#include "api.h"
#include "ws.h"

struct hid;
struct paste;
struct macrostore;
struct hidws_client;
struct daemon;

/* What the HTTP and WebSocket handlers share; main() fills it in. */
struct routes_ctx {
	struct hid *hid;
	struct paste *paste; /* NULL: paste disabled */
	struct macrostore *macros;
	const char *layout; /* the configured default */
	struct daemon *daemon;
	struct ws_config ws;
	struct hidws_client *clients; /* connected pages */
	unsigned int nclients;
	const char *jiggler_state; /* "": not kept (jigstore.h) */
};

/* hidd_api_routes with their handlers, for api_http_routes(); every
 * handler gets the struct routes_ctx. */
extern const struct api_route routes_table[];

#endif
