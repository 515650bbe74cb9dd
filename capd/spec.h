/*
 * spec.h -- capd's API, described once (common/apispec.h).  routes.c pairs
 * each route with its handler; capctl and docs/api.md are built from it.
 */
#ifndef CAPD_SPEC_H
#define CAPD_SPEC_H

#include "apispec.h"

/* Indexes into capd_api_routes[]. */
enum {
	CAPD_API_STREAM,
	CAPD_API_SNAPSHOT,
	CAPD_API_STATE,
	CAPD_API_METRICS,
	CAPD_API_PARAMS,
	CAPD_API_H264,
	CAPD_API_EDID,
	CAPD_API_SET_EDID,
	CAPD_API_NROUTES
};

extern const struct apispec_route capd_api_routes[];
extern const struct apispec capd_api;

#endif
