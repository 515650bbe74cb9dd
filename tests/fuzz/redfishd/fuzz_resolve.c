/*
 * fuzz_resolve.c -- fuzz target redfishd-resolve: redfishd's resource
 * table (redfish_resolve()) with any method and any path.  The first byte
 * picks the method (and the power state gpiod-ctl reports), the rest is
 * the path; bit 6 of the first byte says whether mediad answers, and how
 * many LUNs it has comes from the path's length.  Every answer is 200
 * with an @odata.etag (or $metadata's XML, the Reset action for a POST,
 * the PATCH of Systems/1, or a VirtualMedia action or PATCH on a member
 * mediad has), 404, 405 with an Allow header, or 503 for VirtualMedia
 * without mediad, and every error carries @Message.ExtendedInfo.
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
	static struct redfish_vmedia vm[REDFISH_VMEDIA_MAX] = {
	    {"http://h/a.iso", "redfish-lun0-a.iso", "u", 1, 0}};
	struct redfish_state st = {NULL, &boot};
	json_t *luns;
	struct redfish_reply rr;
	enum http_method method;
	char *path;

	if (size < 1)
		return 0;
	if ((path = malloc(size)) == NULL)
		abort();
	memcpy(path, data + 1, size - 1);
	luns = json_array();
	path[size - 1] = '\0';
	method = 1u << (data[0] % 7);
	st.power = powers[(data[0] >> 3) % 3];
	for (size_t i = 0; i < size % (REDFISH_VMEDIA_MAX + 2); i++)
		json_array_append_new(luns,
		    json_pack("{s:b, s:s}", "mounted", i % 2 == 0, "image",
			i == 0 ? "redfish-lun0-a.iso" : "b.img"));
	redfish_resolve(method, path, NULL, &rr);
	if (rr.needs_state) {
		if (rr.body != NULL || rr.xml != NULL)
			abort();
		redfish_resolve(method, path, &st, &rr);
		if (rr.needs_state)
			abort();
	}
	if (rr.needs_media) {
		if (rr.body != NULL || rr.xml != NULL)
			abort();
		st.luns = data[0] & 0x40 ? NULL : luns;
		st.vmedia = vm;
		redfish_resolve(method, path, &st, &rr);
		if (rr.needs_media)
			abort();
	}
	if (rr.vmedia_op != REDFISH_OP_NONE) { /* insert.c, fuzz_vmedia.c */
		if (rr.body != NULL || rr.xml != NULL ||
		    (method != HTTP_POST && method != HTTP_PATCH) ||
		    rr.member < 0 || rr.member >= REDFISH_VMEDIA_MAX)
			abort();
		goto out;
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
	} else if (rr.status == 404 || (rr.status == 503 && st.luns == NULL)) {
		check_error(rr.body);
	} else {
		abort();
	}
	json_decref(rr.body);
out:
	json_decref(luns);
	free(path);
	return 0;
}
