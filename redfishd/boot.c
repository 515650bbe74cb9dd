/*
 * boot.c -- the boot source override of Systems/1 (boot.h).  The names
 * are the DMTF's (ComputerSystem's Boot, DSP8010).  KaputtKVM sits outside
 * the target: it cannot set the firmware's boot order.  It keeps what was
 * asked and offers only the sources it can put there (the virtual media).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "resource.h"

const char *const redfish_boot_targets[] = {"None", "Cd", "Usb", NULL};
const char *const redfish_boot_enabled[] = {
    "Disabled", "Once", "Continuous", NULL};
const char *const redfish_boot_modes[] = {"UEFI", "Legacy", NULL};

/* Boot's writable properties: name, allowable values, field. */
static const struct {
	const char *name;
	const char *const *values;
	size_t offset;
} writable[] = {
    {"BootSourceOverrideTarget", redfish_boot_targets,
	offsetof(struct redfish_boot, target)},
    {"BootSourceOverrideEnabled", redfish_boot_enabled,
	offsetof(struct redfish_boot, enabled)},
    {"BootSourceOverrideMode", redfish_boot_modes,
	offsetof(struct redfish_boot, mode)},
};
#define NWRITABLE (sizeof(writable) / sizeof(writable[0]))

/* Systems/1's properties other than Boot: served, not writable. */
static const char *const read_only[] = {"@odata.type", "@odata.id",
    "@odata.etag", "Id", "Name", "SystemType", "Links", "Actions", "PowerState",
    NULL};

json_t *
redfish_values_json(const char *const *values)
{
	json_t *a = json_array();

	for (size_t i = 0; values[i] != NULL; i++)
		json_array_append_new(a, json_string(values[i]));
	return a;
}

json_t *
redfish_boot_json(const struct redfish_boot *boot)
{
	json_t *o = json_object();
	char key[80];

	for (size_t i = 0; i < NWRITABLE; i++) {
		const int *v = (const int *)(const void *)((const char *)boot +
		    writable[i].offset);

		json_object_set_new(
		    o, writable[i].name, json_string(writable[i].values[*v]));
		snprintf(key, sizeof(key), "%s@Redfish.AllowableValues",
		    writable[i].name);
		json_object_set_new(
		    o, key, redfish_values_json(writable[i].values));
	}
	return o;
}

int
redfish_value_index(const char *const *list, const char *s)
{
	for (int i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

/* A 400 naming the property: *ret_error set, -EINVAL. */
static int
fail(json_t **ret_error, const char *id, const char *what, const char *prop,
    const char *resolution)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "The property %.80s %s", prop, what);
	*ret_error = redfish_error(id, msg, resolution);
	return -EINVAL;
}

/* Boot's members applied to *b; 0 or -EINVAL with *ret_error. */
static int
patch_boot(json_t *o, struct redfish_boot *b, json_t **ret_error)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return fail(ret_error, "PropertyValueTypeError",
		    "must be an object.", "Boot",
		    "Send Boot as an object of BootSourceOverride* strings.");
	json_object_foreach(o, key, v)
	{
		size_t i;
		int idx;

		for (i = 0; i < NWRITABLE; i++)
			if (strcmp(key, writable[i].name) == 0)
				break;
		if (i == NWRITABLE)
			return strstr(key, "@Redfish.AllowableValues") != NULL
			    ? fail(ret_error, "PropertyNotWritable",
				  "is read-only.", key,
				  "Remove it from the request body.")
			    : fail(ret_error, "PropertyUnknown",
				  "is not a property of Boot.", key,
				  "Remove it from the request body.");
		if (!json_is_string(v))
			return fail(ret_error, "PropertyValueTypeError",
			    "must be a string.", key,
			    "Resubmit with an allowable value.");
		idx = redfish_value_index(
		    writable[i].values, json_string_value(v));
		if (idx < 0)
			return fail(ret_error, "PropertyValueNotInList",
			    "has a value that is not one of its "
			    "@Redfish.AllowableValues.",
			    key, "Resubmit with an allowable value.");
		*(int *)(void *)((char *)b + writable[i].offset) = idx;
	}
	return 0;
}

int
redfish_boot_patch(
    const char *body, size_t len, struct redfish_boot *boot, json_t **ret_error)
{
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	struct redfish_boot b = *boot;
	const char *key;
	json_t *v;
	int r = 0;

	*ret_error = NULL;
	if (!json_is_object(o)) {
		*ret_error = redfish_error("MalformedJSON",
		    "The request body is not a JSON object.",
		    "Send {\"Boot\": {\"BootSourceOverrideTarget\": \"Cd\"}} "
		    "or another change of Boot.");
		json_decref(o);
		return -EINVAL;
	}
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "Boot") == 0)
			r = patch_boot(v, &b, ret_error);
		else if (redfish_value_index(read_only, key) >= 0)
			r = fail(ret_error, "PropertyNotWritable",
			    "is read-only.", key,
			    "Remove it from the request body.");
		else
			r = fail(ret_error, "PropertyUnknown",
			    "is not a property of this resource.", key,
			    "Remove it from the request body.");
		if (r < 0)
			break;
	}
	json_decref(o);
	if (r == 0)
		*boot = b;
	return r;
}

/* The next entity tag of an If-Match list at *s (advanced past it). */
static size_t
next_tag(const char **s, const char **ret)
{
	const char *p = *s, *start;

	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	start = p;
	if (strncmp(p, "W/", 2) == 0)
		p += 2;
	if (*p == '"') {
		const char *q = strchr(p + 1, '"');

		p = q != NULL ? q + 1 : p + strlen(p);
	} else
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
	*s = p;
	*ret = start;
	return (size_t)(p - start);
}

/* Redfish's ETags are weak: W/"x" and "x" name the same version. */
int
redfish_etag_matches(const char *if_match, const char *etag)
{
	const char *p = if_match, *tag;
	size_t n, elen;

	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	elen = strlen(etag);
	while ((n = next_tag(&p, &tag)) > 0) {
		if (n == 1 && *tag == '*')
			return 1;
		if (n > 2 && strncmp(tag, "W/", 2) == 0) {
			tag += 2;
			n -= 2;
		}
		if (n == elen && strncmp(tag, etag, n) == 0)
			return 1;
	}
	return 0;
}
