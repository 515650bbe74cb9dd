/*
 * spec.c -- fetchd's API as data (spec.h).
 */
#include "name.h"
#include "spec.h"

static const struct apispec_field f_url = {"url", APISPEC_STRING,
    APISPEC_REQUIRED, 1, FETCHD_URL_MAX,
    "http:// or https:// URL of the image"};
static const struct apispec_field f_name = {"name", APISPEC_STRING,
    APISPEC_REQUIRED, 1, NAME_MAX_BYTES, "the image's name in the store"};
static const struct apispec_field f_sha256 = {"sha256", APISPEC_STRING, 0, 64,
    64, "the SHA-256 expected (hex): a mismatch keeps nothing"};
static const struct apispec_field f_overwrite = {"overwrite", APISPEC_BOOL, 0,
    0, 0, "replace an image of that name; default false"};
static const struct apispec_field f_cancel_name = {"name", APISPEC_STRING,
    APISPEC_REQUIRED, 1, NAME_MAX_BYTES, "the image being fetched"};

static const struct apispec_field *const fetch_fields[] = {
    &f_url, &f_name, &f_sha256, &f_overwrite, NULL};
static const struct apispec_field *const cancel_fields[] = {
    &f_cancel_name, NULL};

const struct apispec_route fetchd_api_routes[] = {
    [FETCHD_API_STATE] = {"state", HTTP_GET | HTTP_HEAD, "/state", 0, NULL,
	"Fetches running and the last ones finished: bytes, percent, state, "
	"error."},
    [FETCHD_API_FETCH] = {"fetch", HTTP_POST, "/fetch", 0, fetch_fields,
	"Fetch an image from a URL into mediad's store; answers at once, "
	"progress in GET /state."},
    [FETCHD_API_CANCEL] = {"cancel", HTTP_POST, "/cancel", 0, cancel_fields,
	"Stop a fetch: nothing of it is kept."},
    [FETCHD_API_NROUTES] = {NULL, 0, NULL, 0, NULL, NULL},
};

const struct apispec fetchd_api = {"fetchd",
    "Images fetched from http(s) URLs into mediad's store (socket "
    "fetchd.sock, public prefix /api/fetch/).",
    fetchd_api_routes};
