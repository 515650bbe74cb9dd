/*
 * handlers.h -- mediad's HTTP API: thin handlers over media.c.
 *
 *	GET /state  GET /metrics  GET /images  POST /mount  POST /eject
 *	PUT /images/NAME[?overwrite=1]   (streamed body)
 *	GET|HEAD /images/NAME            (Range supported)
 *	DELETE /images/NAME
 */
#ifndef MEDIAD_HANDLERS_H
#define MEDIAD_HANDLERS_H

struct daemon;
struct media;
struct http_route;

struct handlers_ctx {
	struct media *media;
	struct daemon *daemon; /* set once daemon_start returned */
};

/* The route table; the handlers' arg is a struct handlers_ctx. */
extern const struct http_route handlers_routes[];

#endif
