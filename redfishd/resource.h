/*
 * resource.h -- redfishd's resources as data: each Redfish URL the daemon
 * serves, the methods it takes and the function that builds its JSON.
 * redfish_resolve() is pure (no I/O, no libevent) so that the whole table
 * is fuzzed (tests/fuzz/redfishd/fuzz_resolve.c).
 */
#ifndef REDFISHD_RESOURCE_H
#define REDFISHD_RESOURCE_H

#include <jansson.h>

#include "boot.h"
#include "httpparse.h"
#include "vmedia.h"

/* What the daemon learnt from the other daemons for one request. */
struct redfish_state {
	const char *power; /* gpiod-ctl's atx.power: "on", "off", "unknown" */
	const struct redfish_boot *boot; /* what redfishd keeps */
	/* mediad's /state "luns" (NULL: mediad does not answer) and what
	 * redfishd remembers of each (REDFISH_VMEDIA_MAX of them) */
	const json_t *luns;
	const struct redfish_vmedia *vmedia;
	int member; /* set by redfish_resolve(): the '*' of the path */
};

/* What to answer: status, body (a new reference, NULL only when xml is
 * set), and for a 405 the Allow header's value. */
struct redfish_reply {
	int status;
	json_t *body;
	const char *allow;
	char etag[24];	 /* W/"xxxxxxxx" for a resource, "" for an error */
	const char *xml; /* instead of body ($metadata): static text */
	int needs_state; /* resolve again with a struct redfish_state */
	int reset;	 /* a POST of ComputerSystem.Reset: reset.h does it */
	int patch;	 /* a PATCH of Systems/1: boot.h does it */
	/* a resource showing mediad's state: resolve again with st->luns */
	int needs_media;
	int vmedia_op; /* REDFISH_OP_*: insert.c does it, on member */
	int member;    /* the VirtualMedia member (its LUN) in the path */
};

/* What a POST or PATCH of a VirtualMedia member asks for. */
enum {
	REDFISH_OP_NONE,
	REDFISH_OP_INSERT, /* POST .../Actions/VirtualMedia.InsertMedia */
	REDFISH_OP_EJECT,  /* POST .../Actions/VirtualMedia.EjectMedia */
	REDFISH_OP_PATCH,  /* PATCH of the member */
};

#define REDFISH_RESET_TARGET                                                   \
	"/redfish/v1/Systems/1/Actions/ComputerSystem.Reset"

/*
 * The answer to method on path (without the query; a trailing '/' is
 * ignored).  Fills *out; always succeeds.  With st NULL, a resource that
 * shows another daemon's state sets needs_state or needs_media (and no
 * body): the caller asks that daemon and resolves again with st.
 */
void redfish_resolve(enum http_method method, const char *path,
    const struct redfish_state *st, struct redfish_reply *out);

/* A Redfish error (the Base registry's message id, e.g. "GeneralError")
 * with @Message.ExtendedInfo; a new reference. */
json_t *redfish_error(
    const char *message_id, const char *message, const char *resolution);

/* A collection resource of members (an array of {"@odata.id"}; stolen),
 * with its count; a new reference. */
json_t *redfish_collection(
    const char *type, const char *id, const char *name, json_t *members);

/* A 405 with Allow: allow (static) into *out. */
void redfish_not_allowed(struct redfish_reply *out, const char *allow);

/* path without trailing slashes, in buf; 0, or -1 when too long. */
int redfish_trim_path(const char *path, char *buf, size_t len);

#endif
