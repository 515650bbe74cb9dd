/*
 * routes.h -- fetchd's HTTP API: thin handlers over fetch.c, one per route
 * of spec.c.
 *
 *	GET /state  POST /fetch {url, name, sha256, overwrite}
 *	POST /cancel {name}
 */
#ifndef FETCHD_ROUTES_H
#define FETCHD_ROUTES_H

#include "api.h"

struct fetcher;

struct routes_ctx {
	struct fetcher *fetcher;
};

/* The routes; the server's table is api_http_routes(routes_table), and the
 * handlers' arg is a struct routes_ctx. */
extern const struct api_route routes_table[];

#endif
