/*
 * spec.h -- ocrd's API, described once (common/apispec.h).  routes.c
 * pairs each route with its handler; the tool and docs/api.md are built
 * from it.
 */
#ifndef OCRD_SPEC_H
#define OCRD_SPEC_H

#include "apispec.h"

/* Indexes into ocrd_api_routes[]. */
enum { OCRD_API_STATE, OCRD_API_READ, OCRD_API_NROUTES };

extern const struct apispec_route ocrd_api_routes[];
extern const struct apispec ocrd_api;

#endif
