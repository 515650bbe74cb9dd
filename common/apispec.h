/*
 * apispec.h -- each daemon's API described once, as data.
 *
 * A daemon's <daemon>/spec.c lists its routes: method, path, the fields a
 * request takes with their types and ranges, a line of help.  That one
 * description is used four ways:
 *
 *   - the daemon validates every request against it before a handler runs
 *     (api.h, api_dispatch()), so handlers read fields that are already
 *     checked and never see one they do not know;
 *   - hidd validates its WebSocket messages against the same fields, so a
 *     field has one name and one rule whichever way it arrives;
 *   - the tools (common/tool.h) build their subcommands, usage text and
 *     --help from it, and turn "name=value" arguments into the request;
 *   - docs/api.md is generated from it (tests/apidoc), and a test fails
 *     when the committed file differs.
 *
 * Nothing here does I/O or needs libevent: the functions are pure and are
 * fuzzed (tests/fuzz/common/apispec.c).
 */
#ifndef KVM_APISPEC_H
#define KVM_APISPEC_H

#include <stdio.h>
#include <jansson.h>

#include "http.h"

enum apispec_type {
	APISPEC_STRING = 1, /* min/max: length in bytes (max 0: no limit) */
	APISPEC_BOOL,	    /* true or false */
	APISPEC_INT,	    /* a whole number in [min, max] */
};

#define APISPEC_REQUIRED 0x1 /* a request without it is refused */

struct apispec_field {
	const char *name;
	enum apispec_type type;
	unsigned int flags; /* APISPEC_REQUIRED */
	long long min, max;
	const char *help; /* one line, for --help and docs/api.md */
};

/* Route flags. */
#define APISPEC_QUERY	 0x1 /* fields come from the query string */
#define APISPEC_RAW	 0x2 /* the body is raw bytes (an upload): not JSON */
#define APISPEC_WS	 0x4 /* a WebSocket message, not an HTTP route */
#define APISPEC_EMPTY_OK 0x8 /* an empty body is {} (no field is required) */

struct apispec_route {
	const char *name;     /* "key": the tool command, the WS "t" */
	unsigned int methods; /* HTTP_GET | HTTP_POST ...; 0 for APISPEC_WS */
	const char *path;     /* "/key"; ending in '/' matches a prefix */
	unsigned int flags;
	/* NULL-terminated; NULL: the request takes no fields (an empty body
	 * or {}). */
	const struct apispec_field *const *fields;
	const char *summary; /* one line */
};

/* A daemon's whole description, for tools and docs. */
struct apispec {
	const char *daemon; /* "hidd" */
	const char *summary;
	const struct apispec_route *routes; /* ends with name NULL */
};

/*
 * Checks obj (a JSON object) against fields: no unknown field, each known
 * one of its type and within its range, every required one present.  0, or
 * -EINVAL with error_set() naming the field and what it must be.
 */
int apispec_check(const struct apispec_field *const *fields, json_t *obj);

/*
 * Converts a text value (a query parameter, a tool's "name=value") to the
 * field's JSON type, checked: "true"/"false"/"1"/"0" for a boolean, a
 * decimal number for an integer.  *ret is a new reference.  -EINVAL with
 * error_set() on a bad value.
 */
int apispec_value(const struct apispec_field *, const char *text, json_t **ret);

/* The field called name, or NULL. */
const struct apispec_field *apispec_field(
    const struct apispec_field *const *fields, const char *name);
/* The route called name, or NULL. */
const struct apispec_route *apispec_route(
    const struct apispec_route *routes, const char *name);

/* Typed reads of a checked object: the value, or dflt when absent. */
long long apispec_int(json_t *args, const char *name, long long dflt);
int apispec_bool(json_t *args, const char *name, int dflt);
const char *apispec_string(json_t *args, const char *name, const char *dflt);

/* "string", "boolean", "integer 0..32767", "string, at most 64 bytes". */
void apispec_type_text(const struct apispec_field *, char *buf, size_t len);
/* "POST" for a route's main method (GET routes also answer HEAD). */
const char *apispec_method_name(const struct apispec_route *);

/* The description as Markdown, the text of docs/api.md's section. */
void apispec_markdown(FILE *, const struct apispec *);

#endif
