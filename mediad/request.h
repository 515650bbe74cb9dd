/*
 * request.h -- the rules of POST /mount (and the upload's sha256) that no
 * single field says.
 *
 * The server has checked the body against the route's fields (spec.c):
 * no unknown field, each of its type and range, "image" present.  What is
 * left is the image name's own rules (name.c) and the modes' defaults and
 * their one forbidden combination.  Pure: no I/O, fuzzed.
 */
#ifndef MEDIAD_REQUEST_H
#define MEDIAD_REQUEST_H

#include <jansson.h>

#include "name.h"

#define REQUEST_MAX_LUN 63

struct request_mount {
	char image[NAME_MAX_BYTES + 1];
	long long lun; /* default 0 */
	int cdrom;     /* default 1 */
	int readonly;  /* default 1 */
	int force;     /* default 0: forced eject of the old */
};

/* args: the checked fields.  0, or -EINVAL with error_set() saying what to
 * change. */
int request_mount_parse(json_t *args, struct request_mount *ret);

/* An expected SHA-256 (PUT /images/NAME?sha256=): 64 hex digits, either
 * case.  ret (65 bytes) gets them lowercase.  0, or -EINVAL saying so. */
int request_sha256(const char *text, char *ret);

#endif
