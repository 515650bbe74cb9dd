/*
 * vmedia.h -- Managers/1/VirtualMedia: one member per LUN of mediad, its
 * JSON, and the bodies that insert and eject a medium (InsertMedia,
 * EjectMedia, and the PATCH form {"Image", "Inserted"}).  Pure (no I/O,
 * no libevent), fuzzed (tests/fuzz/redfishd/fuzz_vmedia.c); the calls on
 * fetchd and mediad that do it are insert.c's.
 */
#ifndef REDFISHD_VMEDIA_H
#define REDFISHD_VMEDIA_H

#include <stddef.h>

#include <jansson.h>

/* LUNs shown (mediad may have up to 64; a KVM has one or two). */
#define REDFISH_VMEDIA_MAX 8

#define REDFISH_VMEDIA_ROOT	    "/redfish/v1/Managers/1/VirtualMedia"
#define REDFISH_VMEDIA_STORE_PREFIX "redfish-"

extern const char *const redfish_vmedia_protocols[]; /* HTTP, HTTPS */
extern const char *const redfish_vmedia_types[];     /* CD, DVD, USBStick */

/* What redfishd remembers of the medium it inserted from a URL into a
 * LUN (in memory; after a restart insert.c recalls it from fetchd). */
struct redfish_vmedia {
	char *image;  /* the URL without user name and password; NULL: none */
	char *name;   /* the store's name it was fetched as */
	char *user;   /* UserName given, or NULL */
	int protocol; /* index into redfish_vmedia_protocols */
	int busy;     /* an insert or an eject runs */
};

/* An insert asked for (free with redfish_vmedia_insert_free()). */
struct redfish_insert {
	char *url;    /* for fetchd: with user name and password */
	char *shown;  /* without them: Image */
	char *user;   /* NULL when none */
	int protocol; /* index into redfish_vmedia_protocols */
	int cdrom;
	int readonly;
};

void redfish_vmedia_insert_free(struct redfish_insert *);
/* Forgets what is remembered of a LUN's medium. */
void redfish_vmedia_clear(struct redfish_vmedia *);

/*
 * The body of POST .../Actions/VirtualMedia.InsertMedia: Image (an http or
 * https URL; fetchd judges it), Inserted (true), WriteProtected, MediaType,
 * TransferProtocolType (HTTP, HTTPS: the URL's), TransferMethod (Upload),
 * UserName, Password.  0 with *ret filled, or -EINVAL with *ret_error a
 * Redfish error body for a 400 (a new reference) and *ret empty.
 */
int redfish_vmedia_insert_parse(const char *body, size_t len,
    struct redfish_insert *ret, json_t **ret_error);

/* The body of POST .../Actions/VirtualMedia.EjectMedia: nothing, or {}.
 * 0, or -EINVAL with *ret_error. */
int redfish_vmedia_eject_parse(
    const char *body, size_t len, json_t **ret_error);

enum redfish_vmedia_patch { REDFISH_VMEDIA_INSERT, REDFISH_VMEDIA_EJECT };

/*
 * The body of a PATCH of a member: {"Image": URL, "Inserted": true, ...}
 * inserts (REDFISH_VMEDIA_INSERT, *ret filled), {"Image": null} or
 * {"Inserted": false} ejects (REDFISH_VMEDIA_EJECT).  Read-only and
 * unknown properties, wrong types and values are -EINVAL with *ret_error.
 */
int redfish_vmedia_patch_parse(const char *body, size_t len,
    struct redfish_insert *ret, json_t **ret_error);

/* The store's name for an image fetched from url into lun:
 * "redfish-lunN-" and the URL's last path segment. */
void redfish_vmedia_store_name(
    const char *shown, int lun, char *buf, size_t len);

/* The collection, with one member per element of luns (mediad's
 * /state "luns"), and one member: lun's entry of luns and what redfishd
 * remembers of it.  New references. */
json_t *redfish_vmedia_collection(const json_t *luns);
json_t *redfish_vmedia_member(
    int lun, const json_t *lunstate, const struct redfish_vmedia *vm);

/* Whether a path segment is a member's id: "0" .. "7"; the LUN, or -1. */
int redfish_vmedia_id(const char *s, size_t len);

#endif
