/*
 * fuzz_reset.c -- fuzz target redfishd-reset: the body of a POST of
 * ComputerSystem.Reset (redfish_reset_parse()).  Either a call on
 * gpiod-ctl (/atx with an action, or /pulse of the power button) and no
 * error -- for PowerCycle (1) the forced off it starts with --, or a
 * Redfish error with @Message.ExtendedInfo and no call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reset.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *target = NULL;
	json_t *call, *error;
	int r;

	r = redfish_reset_parse(
	    (const char *)data, size, &target, &call, &error);
	if (r == 0 || r == 1) {
		if (error != NULL || call == NULL || target == NULL ||
		    (strcmp(target, "/atx") != 0 &&
			strcmp(target, "/pulse") != 0))
			abort();
		if (r == 1 &&
		    (strcmp(target, "/atx") != 0 ||
			strcmp(
			    json_string_value(json_object_get(call, "action")),
			    "off-hard") != 0))
			abort();
	} else if (call != NULL ||
	    json_array_size(json_object_get(json_object_get(error, "error"),
		"@Message.ExtendedInfo")) != 1) {
		abort();
	}
	json_decref(call);
	json_decref(error);
	return 0;
}
