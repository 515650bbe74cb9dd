/*
 * spec.h -- fetchd's API, described once (common/apispec.h).  routes.c
 * pairs each route with its handler; the tool and docs/api.md are built
 * from it.
 */
#ifndef FETCHD_SPEC_H
#define FETCHD_SPEC_H

#include "apispec.h"

#define FETCHD_URL_MAX 8192

/* Indexes into fetchd_api_routes[]. */
enum {
	FETCHD_API_STATE,
	FETCHD_API_FETCH,
	FETCHD_API_CANCEL,
	FETCHD_API_NROUTES
};

extern const struct apispec_route fetchd_api_routes[];
extern const struct apispec fetchd_api;

#endif
