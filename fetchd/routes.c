/*
 * routes.c -- fetchd's HTTP handlers: the server has checked each request
 * against spec.c; the URL's, the name's and the SHA-256's own rules are
 * fetch.c's (fetcher_start()).  POST /fetch answers as soon as the
 * transfer is under way: progress and the outcome are in GET /state (and
 * the upload in mediad's /state).
 */
#include <errno.h>

#include <jansson.h>

#include "api.h"
#include "fetch.h"
#include "routes.h"
#include "spec.h"

/* GET /state. */
static void
routes_state(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;

	api_reply_ok(req, fetcher_state(ctx->fetcher));
}

/* POST /fetch. */
static void
routes_fetch(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	const char *name = apispec_string(args, "name", NULL);
	int r;

	if ((r = fetcher_start(ctx->fetcher, apispec_string(args, "url", NULL),
		 name, apispec_string(args, "sha256", NULL),
		 apispec_bool(args, "overwrite", 0))) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	api_reply_ok(
	    req, json_pack("{s:s, s:s}", "name", name, "state", "connecting"));
}

/* POST /cancel. */
static void
routes_cancel(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	int r;

	if ((r = fetcher_cancel(
		 ctx->fetcher, apispec_string(args, "name", NULL))) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	api_reply_ok(req, NULL);
}

const struct api_route routes_table[] = {
    {&fetchd_api_routes[FETCHD_API_STATE], routes_state},
    {&fetchd_api_routes[FETCHD_API_FETCH], routes_fetch},
    {&fetchd_api_routes[FETCHD_API_CANCEL], routes_cancel},
    {NULL, NULL},
};
