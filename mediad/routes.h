/*
 * routes.h -- mediad's HTTP API: thin handlers over media.c, one per route
 * of spec.c (the routes, their fields and docs/api.md come from there).
 *
 *	GET /state  GET /metrics  GET /images  POST /mount  POST /eject
 *	PUT /images/NAME[?overwrite=true]   (streamed body)
 *	GET|HEAD /images/NAME               (Range supported)
 *	DELETE /images/NAME
 */
#ifndef MEDIAD_ROUTES_H
#define MEDIAD_ROUTES_H

#include <sys/queue.h>

#include "api.h"

struct daemon;
struct media;

struct routes_upload;

struct routes_ctx {
	struct media *media;
	struct daemon *daemon; /* set once daemon_start returned */
	/* uploads whose body is in, waiting for their writer */
	TAILQ_HEAD(, routes_upload) finishing;
};

/* Initialise a context (before daemon_start). */
void routes_init(struct routes_ctx *, struct media *);
/* daemon_on_stop() callback (arg: the context): drops what still waits. */
void routes_stop(void *arg);

/* The routes; the server's table is api_http_routes(routes_table), and the
 * handlers' arg is a struct routes_ctx. */
extern const struct api_route routes_table[];

#endif
