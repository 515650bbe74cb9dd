/*
 * request.c -- the mount request's rules beyond its fields' own.
 */
#include <ctype.h>
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
		    "CD mode is read-only: set readonly true, or cdrom false to mount a writable flash drive");
	memcpy(rq.image, json_string_value(image), json_string_length(image));
	rq.image[json_string_length(image)] = '\0';
	*ret = rq;
	return 0;
}

/* An expected SHA-256: 64 hex digits, either case; ret gets them lowercase
 * with the NUL. */
int
request_sha256(const char *text, char *ret)
{
	size_t i, n = strlen(text);

	if (n != 64 || strspn(text, "0123456789abcdefABCDEF") != 64)
		return error_set(-EINVAL,
		    "sha256 must be 64 hexadecimal digits (as sha256sum prints), not %zu characters of \"%.80s\"",
		    n, text);
	for (i = 0; i < 64; i++)
		ret[i] = (char)tolower((unsigned char)text[i]);
	ret[64] = '\0';
	return 0;
}
