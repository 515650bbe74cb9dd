/*
 * fuzz_resolve.c -- fuzz target redfishd-resolve: redfishd's resource
 * table (redfish_resolve()) with any method and any path.  The first byte
 * picks the method (and the power state gpiod-ctl reports), the rest is
 * the path.  Every answer is 200 with an
 * @odata.etag (or $metadata's XML, the Reset action for a POST, or the PATCH of Systems/1), 404, or 405 with an Allow header, and every
 * error carries @Message.ExtendedInfo.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_error(json_t *body)
{
	json_t *info = json_object_get(
	    json_object_get(body, "error"), "@Message.ExtendedInfo");

	if (json_array_size(info) != 1 ||
	    !json_is_string(
		json_object_get(json_array_get(info, 0), "MessageId")))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const powers[] = {"on", "off", "unknown"};
	static const struct redfish_boot boot;
	struct redfish_state st = {NULL, &boot};
	struct redfish_reply rr;
	enum http_method method;
	char *path;

	if (size < 1)
		return 0;
	if ((path = malloc(size)) == NULL)
		abort();
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	method = 1u << (data[0] % 7);
	st.power = powers[(data[0] >> 3) % 3];
	redfish_resolve(method, path, NULL, &rr);
	if (rr.needs_state) {
		if (rr.body != NULL || rr.xml != NULL)
			abort();
		redfish_resolve(method, path, &st, &rr);
		if (rr.needs_state)
			abort();
	}
	if (rr.reset) { /* the handler parses the body (fuzz_reset.c) */
		if (rr.body != NULL || rr.xml != NULL || method != HTTP_POST)
			abort();
		goto out;
	}
	if (rr.patch) { /* the handler applies the body (fuzz_patch.c) */
		if (rr.body != NULL || rr.xml != NULL || method != HTTP_PATCH)
			abort();
		goto out;
	}
	if ((rr.body == NULL) == (rr.xml == NULL))
		abort();
	if (rr.xml != NULL) {
		if (rr.status != 200)
			abort();
	} else if (rr.status == 200) {
		if (!json_is_string(json_object_get(rr.body, "@odata.etag")) ||
		    rr.etag[0] == '\0')
			abort();
	} else if (rr.status == 405) {
		if (rr.allow == NULL)
			abort();
		check_error(rr.body);
	} else if (rr.status == 404) {
		check_error(rr.body);
	} else {
		abort();
	}
	json_decref(rr.body);
out:
	free(path);
	return 0;
}
