/*
 * fuzz_patch.c -- fuzz target redfishd-patch: the body of a PATCH of
 * Systems/1 (redfish_boot_patch()), and the first line of the input as an
 * If-Match header (redfish_etag_matches()).  Either the override changes
 * to allowable values and no error, or a Redfish error with
 * @Message.ExtendedInfo and the override exactly as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
count(const char *const *list)
{
	int n = 0;

	while (list[n] != NULL)
		n++;
	return n;
}

static void
check_etag(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl != NULL ? (size_t)(nl - data) : size;
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	(void)redfish_etag_matches(s, "W/\"0123abcd\"");
	if (!redfish_etag_matches("W/\"0123abcd\"", "W/\"0123abcd\"") ||
	    redfish_etag_matches("W/\"0123abce\"", "W/\"0123abcd\""))
		abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redfish_boot b = {2, 1, 1}, before = b;
	json_t *error = NULL;
	int r;

	check_etag(data, size);
	r = redfish_boot_patch((const char *)data, size, &b, &error);
	if (r == 0) {
		if (error != NULL || b.target < 0 ||
		    b.target >= count(redfish_boot_targets) || b.enabled < 0 ||
		    b.enabled >= count(redfish_boot_enabled) || b.mode < 0 ||
		    b.mode >= count(redfish_boot_modes))
			abort();
	} else if (memcmp(&b, &before, sizeof(b)) != 0 ||
	    json_array_size(json_object_get(json_object_get(error, "error"),
		"@Message.ExtendedInfo")) != 1) {
		abort();
	}
	json_decref(error);
	return 0;
}
