/*
 * redfishd.c -- main(): a Redfish service (DMTF DSP0266) at /redfish/v1.
 *
 * redfishd answers the Redfish URLs from its resource table (resource.h)
 * behind nginx, translated into calls on gpiod-ctl's, mediad's and
 * fetchd's sockets: the service root, $metadata, the OData service
 * document and the Systems (PowerState from gpiod-ctl, Reset and
 * PowerCycle onto it, Boot kept here and changed by PATCH with If-Match),
 * Managers (VirtualMedia onto fetchd and mediad: insert.h) and Chassis
 * resources, with Redfish's error format, 404 and 405 with Allow.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "client.h"
#include "config.h"
#include "daemon.h"
#include "error.h"
#include "http.h"
#include "insert.h"
#include "log.h"
#include "reset.h"
#include "resource.h"

#define ALL_METHODS                                                            \
	(HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_DELETE |           \
	    HTTP_OPTIONS | HTTP_PATCH)

static char *gpiod_socket = "/run/kaputtkvm/gpiod-ctl.sock";
static char *mediad_socket = "/run/kaputtkvm/mediad.sock";
static char *fetchd_socket = "/run/kaputtkvm/fetchd.sock";
static long long insert_timeout = 1800;	   /* s */
static long long power_cycle_wait = 20000; /* ms */

/* Systems/1's boot source override: kept in memory, lost on a restart. */
static struct redfish_boot boot;

static const struct config_option options[] = {
    {"gpiod-socket", 0, CONFIG_STRING, &gpiod_socket, 0, 0, "PATH",
	"gpiod-ctl's socket, for the power state (default "
	"/run/kaputtkvm/gpiod-ctl.sock)",
	NULL},
    {"mediad-socket", 0, CONFIG_STRING, &mediad_socket, 0, 0, "PATH",
	"mediad's socket, for the virtual media (default "
	"/run/kaputtkvm/mediad.sock)",
	NULL},
    {"fetchd-socket", 0, CONFIG_STRING, &fetchd_socket, 0, 0, "PATH",
	"fetchd's socket, which fetches InsertMedia's Image (default "
	"/run/kaputtkvm/fetchd.sock)",
	NULL},
    {"insert-timeout", 0, CONFIG_INT, &insert_timeout, 1, 86400, "S",
	"seconds an InsertMedia may take to fetch and mount its image before "
	"it is cancelled (default 1800)",
	NULL},
    {"power-cycle-wait", 0, CONFIG_INT, &power_cycle_wait, 100, 600000, "MS",
	"PowerCycle: how long after the forced off the power LED may take to "
	"go dark before on is pressed (default 20000)",
	NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct config_spec spec = {
    "redfishd", "a Redfish service at /redfish/v1", options, NULL, NULL};

/* Sends what redfish_resolve() answered. */
static void
redfishd_send(struct http_request *req, struct redfish_reply *rr)
{
	char *s;

	http_reply_header(req, "OData-Version", "4.0");
	if (rr->xml != NULL) {
		http_reply(req, rr->status, "application/xml; charset=utf-8",
		    rr->xml, strlen(rr->xml));
		return;
	}
	s = json_dumps(rr->body, JSON_INDENT(2));
	json_decref(rr->body);
	if (rr->allow != NULL)
		http_reply_header(req, "Allow", rr->allow);
	if (rr->etag[0] != '\0')
		http_reply_header(req, "ETag", rr->etag);
	http_reply(req, rr->status, "application/json; charset=utf-8",
	    s ? s : "{}", s ? strlen(s) : 2);
	free(s);
}

/* PATCH of Systems/1, with the resource as it is now (for If-Match):
 * 412 for another ETag, 400 for a bad body, else 200 and the new one.
 * Nothing changes unless the whole body applies. */
static void
redfishd_patch(struct http_request *req, const struct redfish_state *st)
{
	const char *path = http_request_path(req), *body;
	const char *if_match = http_request_header(req, "If-Match");
	struct redfish_reply rr;
	size_t len;
	json_t *error;

	redfish_resolve(HTTP_GET, path, st, &rr);
	if (if_match != NULL && !redfish_etag_matches(if_match, rr.etag)) {
		json_decref(rr.body);
		rr.status = 412;
		rr.body = redfish_error("PreconditionFailed",
		    "The ETag in If-Match is not the resource's: it has "
		    "changed since it was read.",
		    "GET the resource again and resubmit with its ETag.");
		rr.etag[0] = '\0';
		redfishd_send(req, &rr);
		return;
	}
	json_decref(rr.body);
	body = http_request_body(req, &len);
	if (redfish_boot_patch(
		body ? body : "", body ? len : 0, &boot, &error) < 0) {
		memset(&rr, 0, sizeof(rr));
		rr.status = 400;
		rr.body = error;
		redfishd_send(req, &rr);
		return;
	}
	log_info("boot override: %s, %s, %s", redfish_boot_targets[boot.target],
	    redfish_boot_enabled[boot.enabled], redfish_boot_modes[boot.mode]);
	redfish_resolve(HTTP_GET, path, st, &rr);
	redfishd_send(req, &rr);
}

/* gpiod-ctl's GET /state came back (or failed: the power state is then
 * unknown, and the resource says so with PowerState null). */
static void
redfishd_state_cb(int result, struct client_reply *cr, void *arg)
{
	struct http_request *req = arg;
	struct redfish_state st = {"unknown", &boot};
	struct redfish_reply rr;
	const char *power = NULL;

	if (result == 0 && cr->status == 200)
		power = json_string_value(json_object_get(
		    json_object_get(json_object_get(cr->json, "result"), "atx"),
		    "power"));
	if (power == NULL)
		log_warnx("gpiod-ctl's state: %s",
		    result < 0 ? error_get() : "no atx.power in the reply");
	else
		st.power = power;
	if (http_request_method(req) == HTTP_PATCH) {
		redfishd_patch(req, &st);
		return;
	}
	redfish_resolve(
	    http_request_method(req), http_request_path(req), &st, &rr);
	redfishd_send(req, &rr);
}

/* The Reset's end: 204, or a Redfish error. */
static void
redfishd_reset_done(int status, json_t *error, void *arg)
{
	struct redfish_reply rr = {0};

	if (error == NULL) {
		http_reply(arg, 204, NULL, "", 0);
		return;
	}
	rr.status = status;
	rr.body = error;
	redfishd_send(arg, &rr);
}

/* gpiod-ctl answered the Reset: 204 when done, its reason otherwise. */
static void
redfishd_reset_cb(int result, struct client_reply *cr, void *arg)
{
	json_t *error;
	int status = redfish_reset_result(result, cr, &error);

	redfishd_reset_done(status, error, arg);
}

/* POST of the Reset action: the body checked, then gpiod-ctl does it. */
static void
redfishd_reset(struct http_request *req, struct event_base *base)
{
	struct redfish_reply rr = {0};
	const char *body, *target;
	json_t *call;
	size_t len;
	int r;

	body = http_request_body(req, &len);
	if ((r = redfish_reset_parse(body ? body : "", body ? len : 0, &target,
		 &call, &rr.body)) < 0) {
		rr.status = 400;
		redfishd_send(req, &rr);
		return;
	}
	if (r == 1) { /* PowerCycle: off, the LED, on */
		log_info("PowerCycle");
		redfish_power_cycle(base, gpiod_socket, call, 40000,
		    (int)power_cycle_wait, redfishd_reset_done, req);
		json_decref(call);
		return;
	}
	if (client_call_async(base, gpiod_socket, "POST", target, call, 10000,
		redfishd_reset_cb, req) < 0)
		redfishd_reset_cb(-1, NULL, req);
	json_decref(call);
}

/* Every /redfish URL: the answer comes from the resource table, after a
 * question to gpiod-ctl for a resource that shows its state.  The request
 * stays valid until it is answered (http.h), even if the peer leaves. */
static void
redfishd_handle(struct http_request *req, void *arg)
{
	static struct redfish_media_config media;
	struct event_base **base = arg;
	struct redfish_reply rr;

	redfish_resolve(
	    http_request_method(req), http_request_path(req), NULL, &rr);
	if (rr.needs_media || rr.vmedia_op != REDFISH_OP_NONE) {
		media.mediad_socket = mediad_socket;
		media.fetchd_socket = fetchd_socket;
		media.insert_timeout_s = (int)insert_timeout;
		media.send = redfishd_send;
		redfish_media_handle(req, *base, &media);
		return;
	}
	if (rr.reset) {
		redfishd_reset(req, *base);
		return;
	}
	if (!rr.needs_state && !rr.patch) {
		redfishd_send(req, &rr);
		return;
	}
	if (client_call_async(*base, gpiod_socket, "GET", "/state", NULL, 2000,
		redfishd_state_cb, req) < 0)
		redfishd_state_cb(-1, NULL, req);
}

static const struct http_route routes[] = {
    {"/redfish", ALL_METHODS, redfishd_handle, 0, NULL},
    {"/redfish/", ALL_METHODS, redfishd_handle, 0, NULL},
    {NULL, 0, NULL, 0, NULL},
};

int
main(int argc, char **argv)
{
	struct config_common common = {0};
	struct http_server_config hc = {0};
	struct daemon *d = NULL;
	struct event_base *base = NULL; /* the handlers' arg */
	int r, rc = 1;

	log_init("redfishd");
	signal(SIGPIPE, SIG_IGN);
	if ((r = config_load(&spec, &common, argc, argv)) != 0)
		return r > 0 ? 0 : 1;
	if (common.check_config) {
		printf("redfishd: configuration OK\n");
		rc = 0;
		goto out;
	}
	if (daemon_start(&spec, &common, &hc, routes, &base, &d) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	base = daemon_base(d);
	daemon_ready(d);
	daemon_run(d);
	rc = 0;
out:
	daemon_free(d);
	config_free(&spec, &common);
	return rc;
}
