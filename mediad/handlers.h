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

#include <sys/queue.h>

struct daemon;
struct media;
struct http_route;

struct handlers_upload;

struct handlers_ctx {
	struct media *media;
	struct daemon *daemon; /* set once daemon_start returned */
	/* uploads whose body is in, waiting for their writer */
	TAILQ_HEAD(, handlers_upload) finishing;
};

/* Initialise a context (before daemon_start). */
void handlers_init(struct handlers_ctx *, struct media *);
/* daemon_on_stop() callback (arg: the context): drops what still waits. */
void handlers_stop(void *arg);

/* The route table; the handlers' arg is a struct handlers_ctx. */
extern const struct http_route handlers_routes[];

#endif
