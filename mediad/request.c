/*
 * request.c -- parse and check the mount and eject requests.
 */
#include <errno.h>
#include <string.h>

#include "api.h"
#include "error.h"
#include "request.h"

/* {"image", "cdrom", "readonly", "lun", "force"}. */
int
request_mount_parse(json_t *body, struct request_mount *ret)
{
	static const char *const keys[] = {
	    "image", "cdrom", "readonly", "lun", "force", NULL};
	struct request_mount rq = {.lun = 0, .cdrom = 1, .readonly = -1};
	const char *image;
	int r;

	if (!json_is_object(body))
		return error_set(-EINVAL,
		    "the request body must be a JSON "
		    "object like {\"image\": \"debian.iso\"}");
	if ((r = api_check_keys(body, keys)) < 0 ||
	    (r = api_get_string(body, "image", &image)) < 0 ||
	    (r = api_get_bool_opt(body, "cdrom", &rq.cdrom)) < 0 ||
	    (r = api_get_bool_opt(body, "readonly", &rq.readonly)) < 0 ||
	    (r = api_get_bool_opt(body, "force", &rq.force)) < 0 ||
	    (r = api_get_int_opt(body, "lun", 0, REQUEST_MAX_LUN, &rq.lun)) < 0)
		return r;
	if ((r = name_check(image,
		 json_string_length(json_object_get(body, "image")))) < 0)
		return r;
	/* Read-only unless asked otherwise; CD mode cannot be otherwise. */
	if (rq.readonly == -1)
		rq.readonly = 1;
	if (rq.cdrom && !rq.readonly)
		return error_set(-EINVAL,
		    "CD mode is read-only: set readonly "
		    "true, or cdrom false to mount a writable flash drive");
	memcpy(rq.image, image, strlen(image) + 1);
	*ret = rq;
	return 0;
}

/* {"lun", "force"}, both optional. */
int
request_eject_parse(json_t *body, struct request_eject *ret)
{
	static const char *const keys[] = {"lun", "force", NULL};
	struct request_eject rq = {0, 0};
	int r;

	if (body != NULL) {
		if (!json_is_object(body))
			return error_set(-EINVAL,
			    "the request body must be a "
			    "JSON object like {\"force\": false}");
		if ((r = api_check_keys(body, keys)) < 0 ||
		    (r = api_get_bool_opt(body, "force", &rq.force)) < 0 ||
		    (r = api_get_int_opt(
			 body, "lun", 0, REQUEST_MAX_LUN, &rq.lun)) < 0)
			return r;
	}
	*ret = rq;
	return 0;
}
