/*
 * boot.h -- Systems/1's Boot object: the boot source override that
 * redfishd keeps (in memory) and the body of a PATCH of Systems/1 that
 * changes it.  Pure (no I/O), fuzzed (tests/fuzz/redfishd/fuzz_patch.c).
 */
#ifndef REDFISHD_BOOT_H
#define REDFISHD_BOOT_H

#include <stddef.h>

#include <jansson.h>

/* Indexes into the allowable values below. */
struct redfish_boot {
	int target;  /* BootSourceOverrideTarget */
	int enabled; /* BootSourceOverrideEnabled */
	int mode;    /* BootSourceOverrideMode */
};

extern const char *const redfish_boot_targets[];
extern const char *const redfish_boot_enabled[];
extern const char *const redfish_boot_modes[];

/* The Boot object of Systems/1, with its @Redfish.AllowableValues; a new
 * reference. */
json_t *redfish_boot_json(const struct redfish_boot *boot);

/*
 * Applies body (len bytes, a PATCH of Systems/1) to *boot.  0 when every
 * property in it is writable and valid; otherwise -EINVAL with *ret_error
 * a Redfish error body for a 400 (a new reference) and *boot unchanged.
 */
int redfish_boot_patch(const char *body, size_t len, struct redfish_boot *boot,
    json_t **ret_error);

/* The index of s (may be NULL) in a NULL-terminated list of allowable
 * values, or -1. */
int redfish_value_index(const char *const *list, const char *s);
/* A NULL-terminated list of values as a JSON array; a new reference. */
json_t *redfish_values_json(const char *const *list);

/* Whether an If-Match header's value (a list of entity tags, or "*")
 * names etag. */
int redfish_etag_matches(const char *if_match, const char *etag);

#endif
