/*
 * routes.c -- ocrd's HTTP handlers: the server has checked each request
 * against spec.c; the region's fit in the frame and the language are
 * reader.c's (image.c's and ocr.c's rules).
 */
#include <jansson.h>

#include "api.h"
#include "reader.h"
#include "routes.h"
#include "spec.h"

/* GET /state. */
static void
routes_state(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;

	api_reply_ok(req, reader_state(ctx->reader));
}

/* POST /read: answered when the text is read. */
static void
routes_read(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct image_region region = {
	    (unsigned int)apispec_int(args, "x", 0),
	    (unsigned int)apispec_int(args, "y", 0),
	    (unsigned int)apispec_int(args, "w", 0),
	    (unsigned int)apispec_int(args, "h", 0),
	};

	reader_read(
	    ctx->reader, req, &region, apispec_string(args, "lang", "eng"));
}

const struct api_route routes_table[] = {
    {&ocrd_api_routes[OCRD_API_STATE], routes_state},
    {&ocrd_api_routes[OCRD_API_READ], routes_read},
    {NULL, NULL},
};
