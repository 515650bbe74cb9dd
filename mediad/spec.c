/*
 * spec.c -- mediad's API as data (spec.h).
 */
#include "spec.h"
#include "name.h"
#include "request.h"

static const struct apispec_field f_overwrite = {"overwrite", APISPEC_BOOL, 0,
    0, 0, "replace an image of that name; default false"};
static const struct apispec_field f_sha256 = {"sha256", APISPEC_STRING, 0, 64,
    64, "the SHA-256 expected (hex): a mismatch keeps nothing"};
static const struct apispec_field f_image = {"image", APISPEC_STRING,
    APISPEC_REQUIRED, 1, NAME_MAX_BYTES, "the image's name (GET /images)"};
static const struct apispec_field f_cdrom = {
    "cdrom", APISPEC_BOOL, 0, 0, 0, "a CD-ROM (default true) or a flash drive"};
static const struct apispec_field f_readonly = {"readonly", APISPEC_BOOL, 0, 0,
    0, "default true; a CD is always read-only"};
static const struct apispec_field f_lun = {"lun", APISPEC_INT, 0, 0,
    REQUEST_MAX_LUN, "which drive of the gadget; default 0"};
static const struct apispec_field f_force = {"force", APISPEC_BOOL, 0, 0, 0,
    "eject even if the target locked the tray; default false"};

static const struct apispec_field *const upload_fields[] = {
    &f_overwrite, &f_sha256, NULL};
static const struct apispec_field *const mount_fields[] = {
    &f_image, &f_cdrom, &f_readonly, &f_lun, &f_force, NULL};
static const struct apispec_field *const eject_fields[] = {
    &f_lun, &f_force, NULL};

const struct apispec_route mediad_api_routes[] = {
    [MEDIAD_API_STATE] = {"state", HTTP_GET | HTTP_HEAD, "/state", 0, NULL,
	"The drives (LUNs), what each holds, the store's space."},
    [MEDIAD_API_METRICS] = {"metrics", HTTP_GET | HTTP_HEAD, "/metrics", 0,
	NULL, "Prometheus text."},
    [MEDIAD_API_LIST] = {"list", HTTP_GET | HTTP_HEAD, "/images", 0, NULL,
	"The stored images: name, size, time."},
    [MEDIAD_API_UPLOAD] = {"upload", HTTP_PUT, MEDIAD_API_IMAGES,
	APISPEC_RAW | APISPEC_QUERY, upload_fields,
	"Store the body as the image NAME: name, size, free space and "
	"overwrite are checked before a byte is read; the reply has the "
	"SHA-256, and with sha256 the image is kept only when it matches."},
    [MEDIAD_API_DOWNLOAD] = {"download", HTTP_GET | HTTP_HEAD,
	MEDIAD_API_IMAGES, APISPEC_RAW, NULL,
	"The image's bytes (Range supported)."},
    [MEDIAD_API_DELETE] = {"delete", HTTP_DELETE, MEDIAD_API_IMAGES,
	APISPEC_RAW, NULL, "Remove an image that is not mounted."},
    [MEDIAD_API_MOUNT] = {"mount", HTTP_POST, "/mount", 0, mount_fields,
	"Put an image in a drive."},
    [MEDIAD_API_EJECT] = {"eject", HTTP_POST, "/eject", APISPEC_EMPTY_OK,
	eject_fields, "Empty a drive."},
    [MEDIAD_API_NROUTES] = {NULL, 0, NULL, 0, NULL, NULL},
};

const struct apispec mediad_api = {"mediad",
    "Images on the target's CD/DVD or flash drive (socket mediad.sock, "
    "public prefix /api/media/).",
    mediad_api_routes};
