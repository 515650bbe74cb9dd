/*
 * routes.h -- capd's routes (spec.c describes them): thin handlers over
 * video.c.
 *
 *	GET  /stream[?fps=N]   multipart MJPEG
 *	GET  /snapshot         one JPEG
 *	GET  /state            everything, JSON
 *	GET  /metrics          Prometheus
 *	POST /params           {"quality", "fps", "resolution"}
 *
 * Hand the table to the server as api_http_routes(routes_table).
 */
#ifndef CAPD_ROUTES_H
#define CAPD_ROUTES_H

#include "api.h"

struct video;

/* The handlers' argument: set video before the loop runs. */
struct routes_ctx {
	struct video *video;
};

extern const struct api_route routes_table[];

#endif
