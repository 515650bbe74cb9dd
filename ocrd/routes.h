/*
 * routes.h -- ocrd's HTTP API: thin handlers over reader.c, one per route
 * of spec.c.
 *
 *	GET /state  POST /read {x, y, w, h, lang}
 */
#ifndef OCRD_ROUTES_H
#define OCRD_ROUTES_H

#include "api.h"

struct reader;

struct routes_ctx {
	struct reader *reader;
};

/* The routes; the server's table is api_http_routes(routes_table), and the
 * handlers' arg is a struct routes_ctx. */
extern const struct api_route routes_table[];

#endif
