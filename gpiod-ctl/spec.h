/*
 * spec.h -- gpiod-ctl's API, described once (common/apispec.h).  routes.c
 * pairs each route with its handler; gpioctl and docs/api.md are built
 * from it.
 */
#ifndef GPIOD_CTL_SPEC_H
#define GPIOD_CTL_SPEC_H

#include "apispec.h"

/* Indexes into gpiod_ctl_api_routes[]. */
enum {
	GPIOD_CTL_API_STATE,
	GPIOD_CTL_API_METRICS,
	GPIOD_CTL_API_PULSE,
	GPIOD_CTL_API_ATX,
	GPIOD_CTL_API_TEST_INPUT,
	GPIOD_CTL_API_TEST_HISTORY,
	GPIOD_CTL_API_NROUTES
};

extern const struct apispec_route gpiod_ctl_api_routes[];
extern const struct apispec gpiod_ctl_api;

#endif
