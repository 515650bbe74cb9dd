/*
 * fuzz_request.c -- the JSON body of POST /mount, as the server and
 * routes.c take it: any bytes; what passes the route's description
 * (apispec_check() over spec.c's fields) goes to request_mount_parse().
 * An accepted mount names a valid image, in a consistent mode, on a LUN
 * in range, with the defaults for what is absent; a refusal always has a
 * message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apispec.h"
#include "error.h"
#include "name.h"
#include "request.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What the parse made of args against the fields themselves. */
static void
check_mount(json_t *args, const struct request_mount *m)
{
	json_t *image = json_object_get(args, "image");

	if (name_check(m->image, strlen(m->image)) != 0 ||
	    strlen(m->image) != json_string_length(image) ||
	    strcmp(m->image, json_string_value(image)) != 0)
		abort();
	if ((m->cdrom && !m->readonly) || m->lun < 0 ||
	    m->lun > REQUEST_MAX_LUN)
		abort();
	if (m->lun != apispec_int(args, "lun", 0) ||
	    m->cdrom != apispec_bool(args, "cdrom", 1) ||
	    m->readonly != apispec_bool(args, "readonly", 1) ||
	    m->force != apispec_bool(args, "force", 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct apispec_route *mount =
	    &mediad_api_routes[MEDIAD_API_MOUNT];
	struct request_mount m;
	json_t *v;

	error_clear();
	v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (v == NULL)
		return 0;
	if (apispec_check(mount->fields, v) < 0) {
		if (error_get() == NULL)
			abort();
	} else if (request_mount_parse(v, &m) == 0)
		check_mount(v, &m);
	else if (error_get() == NULL)
		abort();
	json_decref(v);
	return 0;
}
