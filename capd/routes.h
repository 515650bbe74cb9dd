/*
 * routes.h -- capd's routes: thin handlers over video.c.
 *
 * (Implemented in http.c, as the house layout has it; the symbols carry "capd_http"
 * because "http_" belongs to the common server.)
 *
 *	GET  /stream[?fps=N]   multipart MJPEG
 *	GET  /snapshot         one JPEG
 *	GET  /state            everything, JSON
 *	GET  /metrics          Prometheus
 *	POST /params           {"quality", "fps", "resolution"}
 */
#ifndef CAPD_ROUTES_H
#define CAPD_ROUTES_H

#include "http.h"

struct video;

/* The handlers' argument: set video before the loop runs. */
struct capd_http {
	struct video *video;
};

extern const struct http_route capd_http_routes[];

#endif
