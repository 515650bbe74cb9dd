/*
 * request.h -- the JSON bodies of POST /mount and POST /eject.
 *
 * Unknown fields are refused (nothing silently ignored); every message
 * names the field.  Pure: no I/O, fuzzed.
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

struct request_eject {
	long long lun; /* default 0 */
	int force;     /* default 0 */
};

/* 0, or -EINVAL with error_set() naming the field. */
int request_mount_parse(json_t *body, struct request_mount *ret);
/* body may be NULL (an empty request body): the defaults. */
int request_eject_parse(json_t *body, struct request_eject *ret);

#endif
