/*
 * fuzz_request.c -- the JSON bodies of POST /mount and POST /eject: any
 * bytes; an accepted mount names a valid image and a consistent mode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "name.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request_mount m;
	struct request_eject e;
	json_t *v;

	v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (request_mount_parse(v, &m) == 0) {
		if (name_check(m.image, strlen(m.image)) != 0 ||
		    (m.cdrom && !m.readonly) || m.lun < 0 ||
		    m.lun > REQUEST_MAX_LUN)
			abort();
	} else if (error_get() == NULL)
		abort();
	if (request_eject_parse(v, &e) == 0) {
		if (e.lun < 0 || e.lun > REQUEST_MAX_LUN)
			abort();
	} else if (error_get() == NULL)
		abort();
	json_decref(v);
	return 0;
}
