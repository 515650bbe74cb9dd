/*
 * spec.c -- ocrd's API as data (spec.h).
 */
#include "image.h"
#include "ocr.h"
#include "spec.h"

static const struct apispec_field f_x = {"x", APISPEC_INT, APISPEC_REQUIRED, 0,
    IMAGE_MAX_SIDE - 1, "the region's left edge, in frame pixels"};
static const struct apispec_field f_y = {"y", APISPEC_INT, APISPEC_REQUIRED, 0,
    IMAGE_MAX_SIDE - 1, "the region's top edge, in frame pixels"};
static const struct apispec_field f_w = {"w", APISPEC_INT, APISPEC_REQUIRED, 0,
    IMAGE_MAX_SIDE, "the region's width (inside the frame, not 0)"};
static const struct apispec_field f_h = {"h", APISPEC_INT, APISPEC_REQUIRED, 0,
    IMAGE_MAX_SIDE, "the region's height (inside the frame, not 0)"};
static const struct apispec_field f_lang = {"lang", APISPEC_STRING, 0, 1,
    OCR_LANG_MAX,
    "Tesseract language (\"eng\", \"deu\"; see GET /state); default eng"};

static const struct apispec_field *const read_fields[] = {
    &f_x, &f_y, &f_w, &f_h, &f_lang, NULL};

const struct apispec_route ocrd_api_routes[] = {
    [OCRD_API_STATE] = {"state", HTTP_GET | HTTP_HEAD, "/state", 0, NULL,
	"The installed languages, whether a recognition runs, the last one's "
	"time and status."},
    [OCRD_API_READ] = {"read", HTTP_POST, "/read", 0, read_fields,
	"Read the text in a region of capd's newest frame; one at a time "
	"(503 while busy)."},
    [OCRD_API_NROUTES] = {NULL, 0, NULL, 0, NULL, NULL},
};

const struct apispec ocrd_api = {"ocrd",
    "Text read off the screen with Tesseract (socket ocrd.sock, public "
    "prefix /api/ocr/).",
    ocrd_api_routes};
