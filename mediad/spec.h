/*
 * spec.h -- mediad's API, described once (common/apispec.h).  routes.c
 * pairs each route with its handler; mediactl and docs/api.md are built
 * from it.
 */
#ifndef MEDIAD_SPEC_H
#define MEDIAD_SPEC_H

#include "apispec.h"

/* The prefix of the image routes: /images/NAME. */
#define MEDIAD_API_IMAGES "/images/"

/* Indexes into mediad_api_routes[]. */
enum {
	MEDIAD_API_STATE,
	MEDIAD_API_METRICS,
	MEDIAD_API_LIST,
	MEDIAD_API_UPLOAD,
	MEDIAD_API_DOWNLOAD,
	MEDIAD_API_DELETE,
	MEDIAD_API_MOUNT,
	MEDIAD_API_EJECT,
	MEDIAD_API_NROUTES
};

extern const struct apispec_route mediad_api_routes[];
extern const struct apispec mediad_api;

#endif
