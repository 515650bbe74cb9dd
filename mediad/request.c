/*
 * request.c -- the mount request's rules beyond its fields' own.
 */
#include <errno.h>
#include <string.h>

#include "apispec.h"
#include "error.h"
#include "request.h"

int
request_mount_parse(json_t *args, struct request_mount *ret)
{
	struct request_mount rq;
	json_t *image = json_object_get(args, "image");
	int r;

	if (!json_is_string(image))
		return error_set(-EINVAL, "the field \"image\" is missing");
	if ((r = name_check(
		 json_string_value(image), json_string_length(image))) < 0)
		return r;
	rq.lun = apispec_int(args, "lun", 0);
	rq.cdrom = apispec_bool(args, "cdrom", 1);
	rq.readonly = apispec_bool(args, "readonly", 1);
	rq.force = apispec_bool(args, "force", 0);
	if (rq.cdrom && !rq.readonly)
		return error_set(-EINVAL,
		    "CD mode is read-only: set readonly "
		    "true, or cdrom false to mount a writable flash drive");
	memcpy(rq.image, json_string_value(image), json_string_length(image));
	rq.image[json_string_length(image)] = '\0';
	*ret = rq;
	return 0;
}
