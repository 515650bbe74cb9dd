/*
 * reset.h -- the body of POST .../Actions/ComputerSystem.Reset, turned into
 * the call on gpiod-ctl's socket that does it.  Pure, fuzzed
 * (tests/fuzz/redfishd/fuzz_reset.c).
 */
#ifndef REDFISHD_RESET_H
#define REDFISHD_RESET_H

#include <stddef.h>

#include <jansson.h>

/* ResetType's allowable values, NULL-terminated. */
extern const char *const redfish_reset_types[];

/*
 * Parses body (len bytes, JSON {"ResetType": ...}).  0 with *ret_target
 * (gpiod-ctl's path) and *ret_call (its JSON body, a new reference), or
 * -EINVAL with *ret_error a Redfish error body (a new reference) for a 400.
 */
int redfish_reset_parse(const char *body, size_t len, const char **ret_target,
    json_t **ret_call, json_t **ret_error);

#endif
