/*
 * insert.c -- VirtualMedia onto fetchd and mediad (insert.h).
 *
 * An insert: POST fetchd /fetch {url, name "redfish-lunN-...", overwrite},
 * then fetchd's GET /state every 50 ms until that fetch is done (fetchd
 * answers the POST at once), then POST mediad /mount; the client's
 * request is answered at the end, or at the first failure, after
 * removing what the failure left (a fetched image that would not mount).
 * fetchd and mediad themselves keep nothing of a fetch that fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "boot.h"
#include "client.h"
#include "error.h"
#include "http.h"
#include "insert.h"
#include "log.h"
#include "vmedia.h"
#include "xmalloc.h"

#define POLL_MS 50

/* What redfishd remembers of each LUN's medium. */
static struct redfish_vmedia vmedia[REDFISH_VMEDIA_MAX];

struct job {
	struct http_request *req;
	struct event_base *base;
	const struct redfish_media_config *cfg;
	int op; /* REDFISH_OP_INSERT or _EJECT once known */
	int lun;
	int patch; /* the PATCH form: errors name properties */
	int holds; /* the job set vmedia[lun].busy */
	struct redfish_insert ins;
	char name[256]; /* the store's name of the image */
	double deadline;
	int status; /* the answer kept while the copy is removed */
	json_t *error;
	json_t *luns; /* mediad's /state "luns" (a reference), or NULL */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Answers: 204 (error NULL) or status with the Redfish error (taken). */
static void
job_end(struct job *j, int status, json_t *error)
{
	struct redfish_reply rr = {0};

	if (j->holds)
		vmedia[j->lun].busy = 0;
	if (j->req == NULL) /* answered already */
		json_decref(error);
	else { /* the 204 too, with OData-Version as every reply */
		rr.status = status;
		rr.body = error;
		j->cfg->send(j->req, &rr);
	}
	redfish_vmedia_insert_free(&j->ins);
	json_decref(j->luns);
	free(j);
}

/* A daemon's error message in its reply, or what else happened. */
static const char *
reason(int result, struct client_reply *cr, const char *daemon, char *buf,
    size_t len)
{
	const char *msg = result == 0
	    ? json_string_value(json_object_get(
		  json_object_get(cr->json, "error"), "message"))
	    : NULL;

	if (msg != NULL)
		snprintf(buf, len, "%s: %s", daemon, msg);
	else if (result < 0)
		snprintf(
		    buf, len, "%s does not answer (%s)", daemon, error_get());
	else
		snprintf(buf, len, "%s answered %d", daemon, cr->status);
	return buf;
}

/* The end of a call that failed: a 503 for a daemon that does not answer
 * or is busy (fetchd runs 4 fetches at most), its own 4xx, else 502. */
static void
job_fail(struct job *j, int result, struct client_reply *cr, const char *daemon,
    const char *what, const char *id)
{
	char r[640], msg[800];
	int status = result < 0 || cr->status == 503 ? 503
	    : cr->status >= 400 && cr->status < 500  ? cr->status
						     : 502;

	snprintf(msg, sizeof(msg), "%s: %s", what,
	    reason(result, cr, daemon, r, sizeof(r)));
	log_warnx("VirtualMedia %d: %s", j->lun, msg);
	job_end(j, status,
	    redfish_error(status == 400 ? id : "GeneralError", msg,
		status == 400 ? "Correct the request and resubmit it."
		    : status == 409
		    ? "Wait for what runs on the drive to end, or eject it."
		    : "Check the daemon named and retry."));
}

static void
call(struct job *j, const char *socket, const char *method, const char *target,
    json_t *body, int timeout_ms, client_cb *cb)
{
	if (client_call_async(
		j->base, socket, method, target, body, timeout_ms, cb, j) < 0)
		cb(-1, NULL, j);
	json_decref(body);
}

/* --- eject, and the removal of a copy --- */

static void
removed_cb(int result, struct client_reply *cr, void *arg)
{
	struct job *j = arg;
	char r[640];

	if (result < 0 || cr->status != 200)
		log_warnx(
		    "VirtualMedia %d: '%s' not removed from the store: %s",
		    j->lun, j->name,
		    reason(result, cr, "mediad", r, sizeof(r)));
	job_end(j, j->status, j->error);
}

/* Removes the store's copy j->name, then answers status and error. */
static void
remove_copy(struct job *j, int status, json_t *error)
{
	char target[800], *esc = curl_easy_escape(NULL, j->name, 0);

	if (esc == NULL)
		xmalloc_fatal("redfishd");
	snprintf(target, sizeof(target), "/images/%s", esc);
	curl_free(esc);
	j->status = status;
	j->error = error;
	call(j, j->cfg->mediad_socket, "DELETE", target, NULL, 10000,
	    removed_cb);
}

static void
ejected_cb(int result, struct client_reply *cr, void *arg)
{
	struct job *j = arg;
	char prefix[32];

	if (result < 0 || cr->status != 200) {
		job_fail(j, result, cr, "mediad", "The medium was not ejected",
		    "GeneralError");
		return;
	}
	log_info("VirtualMedia %d: ejected '%s'", j->lun, j->name);
	redfish_vmedia_clear(&vmedia[j->lun]);
	/* a copy fetched for this drive goes with it */
	snprintf(prefix, sizeof(prefix), REDFISH_VMEDIA_STORE_PREFIX "lun%d-",
	    j->lun);
	if (strncmp(j->name, prefix, strlen(prefix)) == 0)
		remove_copy(j, 204, NULL);
	else
		job_end(j, 204, NULL);
}

/* --- insert: fetch, wait, mount --- */

static void
mounted_cb(int result, struct client_reply *cr, void *arg)
{
	struct job *j = arg;
	struct redfish_vmedia *vm = &vmedia[j->lun];
	char r[640], msg[800];
	int status;

	if (result == 0 && cr->status == 200) {
		redfish_vmedia_clear(vm);
		vm->image = xstrdup(j->ins.shown);
		vm->name = xstrdup(j->name);
		vm->user = j->ins.user ? xstrdup(j->ins.user) : NULL;
		vm->protocol = j->ins.protocol;
		log_info("VirtualMedia %d: %s inserted as '%s' (%s)", j->lun,
		    j->ins.shown, j->name, j->ins.cdrom ? "CD" : "USB stick");
		job_end(j, 204, NULL);
		return;
	}
	status = result < 0			     ? 503
	    : cr->status == 400 || cr->status == 409 ? cr->status
						     : 502;
	snprintf(msg, sizeof(msg),
	    "The image was fetched but not mounted, and is removed again: %s",
	    reason(result, cr, "mediad", r, sizeof(r)));
	log_warnx("VirtualMedia %d: %s", j->lun, msg);
	remove_copy(j, status,
	    redfish_error(
		status == 400 ? "PropertyValueConflict" : "GeneralError", msg,
		status == 400 ? "A CD needs an image of at least 600 KiB and "
				"at most about 2.2 GiB: use MediaType USBStick "
				"otherwise."
			      : "Check mediad and retry."));
}

static void poll_cb(int, struct client_reply *, void *);

static void
poll_again(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	call(j, j->cfg->fetchd_socket, "GET", "/state", NULL, 2000, poll_cb);
}

static void
cancelled_cb(int result, struct client_reply *cr, void *arg)
{
	struct job *j = arg;
	char msg[320];

	snprintf(msg, sizeof(msg),
	    "The image did not arrive within %d s (insert-timeout): the fetch was cancelled and nothing was kept.",
	    j->cfg->insert_timeout_s);
	job_end(j, 504,
	    redfish_error("GeneralError", msg,
		"Use a nearer or faster server, or a longer insert-timeout."));
}

/* The fetch's latest entry in fetchd's /state: done, failed, or later. */
static void
poll_cb(int result, struct client_reply *cr, void *arg)
{
	struct job *j = arg;
	struct timeval tv = {0, POLL_MS * 1000};
	json_t *fetches, *fe = NULL, *e;
	const char *state, *err;
	char msg[1024];
	size_t i;

	if (result < 0 || cr->status != 200) {
		job_fail(j, result, cr, "fetchd",
		    "The fetch's progress is unknown", "GeneralError");
		return;
	}
	fetches =
	    json_object_get(json_object_get(cr->json, "result"), "fetches");
	json_array_foreach(fetches, i, e)
	{
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n != NULL && strcmp(n, j->name) == 0)
			fe = e;
	}
	state = json_string_value(json_object_get(fe, "state"));
	if (state != NULL && strcmp(state, "done") == 0) {
		call(j, j->cfg->mediad_socket, "POST", "/mount",
		    json_pack("{s:s, s:b, s:b, s:i}", "image", j->name, "cdrom",
			j->ins.cdrom, "readonly", j->ins.readonly, "lun",
			j->lun),
		    10000, mounted_cb);
		return;
	}
	if (state == NULL || strcmp(state, "failed") == 0 ||
	    strcmp(state, "cancelled") == 0) {
		err = json_string_value(json_object_get(fe, "error"));
		snprintf(msg, sizeof(msg),
		    "The image at %.300s could not be fetched, and nothing was kept: %s",
		    j->ins.shown,
		    err		? err
			: state ? state
				: "fetchd lost the fetch");
		log_warnx("VirtualMedia %d: %s", j->lun, msg);
		job_end(j, 502,
		    redfish_error("GeneralError", msg,
			"Check that the URL serves the image (status, TLS "
			"certificate, credentials) and resubmit."));
		return;
	}
	if (now_s() > j->deadline) {
		call(j, j->cfg->fetchd_socket, "POST", "/cancel",
		    json_pack("{s:s}", "name", j->name), 5000, cancelled_cb);
		return;
	}
	if (event_base_once(j->base, -1, EV_TIMEOUT, poll_again, j, &tv) < 0)
		xmalloc_fatal("redfishd");
}

static void
fetch_cb(int result, struct client_reply *cr, void *arg)
{
	struct job *j = arg;

	if (result < 0 || cr->status != 200) {
		job_fail(j, result, cr, "fetchd", "The image was not fetched",
		    j->patch ? "PropertyValueFormatError"
			     : "ActionParameterValueFormatError");
		return;
	}
	j->deadline = now_s() + j->cfg->insert_timeout_s;
	poll_again(-1, 0, j);
}

static void
start_insert(struct job *j)
{
	redfish_vmedia_store_name(
	    j->ins.shown, j->lun, j->name, sizeof(j->name));
	log_info("VirtualMedia %d: fetching %s as '%s'", j->lun, j->ins.shown,
	    j->name);
	call(j, j->cfg->fetchd_socket, "POST", "/fetch",
	    json_pack("{s:s, s:s, s:b}", "url", j->ins.url, "name", j->name,
		"overwrite", 1),
	    10000, fetch_cb);
}

/* --- the request --- */

/* The parsed request on the LUN as mediad has it now (lunstate). */
static void
start(struct job *j, const json_t *lunstate)
{
	const char *img = json_string_value(json_object_get(lunstate, "image"));
	int in = json_is_true(json_object_get(lunstate, "mounted"));

	if (vmedia[j->lun].busy) {
		job_end(j, 409,
		    redfish_error("ResourceInUse",
			"An insert or eject of this drive is still running.",
			"Wait for it to end and resubmit."));
		return;
	}
	if (j->op == REDFISH_OP_EJECT) {
		if (!in) { /* nothing in the drive: nothing to do */
			job_end(j, 204, NULL);
			return;
		}
		vmedia[j->lun].busy = j->holds = 1;
		snprintf(j->name, sizeof(j->name), "%s", img ? img : "");
		/* Forced: a BMC's eject is not the target's to refuse, and
		 * a target whose udev keeps the tray locked (any Linux with
		 * the drive open) would otherwise fail Ironic's clean-up. */
		call(j, j->cfg->mediad_socket, "POST", "/eject",
		    json_pack("{s:i, s:b}", "lun", j->lun, "force", 1), 10000,
		    ejected_cb);
		return;
	}
	if (in) {
		job_end(j, 409,
		    redfish_error("ResourceInUse",
			"The drive holds a medium already: eject it first.",
			"Eject it first (EjectMedia), then insert."));
		return;
	}
	vmedia[j->lun].busy = j->holds = 1;
	start_insert(j);
}

/* With mediad's LUNs known: the answer to a GET, or the action. */
static void
go(struct job *j)
{
	struct http_request *req = j->req;
	struct redfish_state st = {"unknown", NULL};
	const char *path = http_request_path(req), *body, *im;
	struct redfish_reply rr;
	json_t *error = NULL;
	size_t len;
	int r;

	st.luns = j->luns;
	st.vmedia = vmedia;
	redfish_resolve(http_request_method(req), path, &st, &rr);
	if (rr.vmedia_op == REDFISH_OP_NONE) { /* a GET, a 404, a 405 */
		j->cfg->send(req, &rr);
		j->req = NULL;
		job_end(j, 0, NULL);
		return;
	}
	if (st.luns == NULL) {
		job_end(j, 503,
		    redfish_error("GeneralError",
			"mediad, which keeps the virtual media, does not "
			"answer.",
			"Check mediad (kaputtkvm-mediad.service) and retry."));
		return;
	}
	j->lun = rr.member;
	body = http_request_body(req, &len);
	if (body == NULL)
		body = "", len = 0;
	if (rr.vmedia_op == REDFISH_OP_PATCH) {
		j->patch = 1;
		redfish_resolve(HTTP_GET, path, &st, &rr);
		im = http_request_header(req, "If-Match");
		json_decref(rr.body);
		if (im != NULL && !redfish_etag_matches(im, rr.etag)) {
			job_end(j, 412,
			    redfish_error("PreconditionFailed",
				"The ETag in If-Match is not the resource's: "
				"it has changed since it was read.",
				"GET the resource again and resubmit with its "
				"ETag."));
			return;
		}
		r = redfish_vmedia_patch_parse(body, len, &j->ins, &error);
		j->op = r == REDFISH_VMEDIA_EJECT ? REDFISH_OP_EJECT
						  : REDFISH_OP_INSERT;
	} else if ((j->op = rr.vmedia_op) == REDFISH_OP_INSERT)
		r = redfish_vmedia_insert_parse(body, len, &j->ins, &error);
	else
		r = redfish_vmedia_eject_parse(body, len, &error);
	if (r < 0) {
		job_end(j, 400, error);
		return;
	}
	start(j, json_array_get(st.luns, j->lun));
}

/*
 * The LUN n holds one of redfishd's copies ("redfish-lunN-...") that
 * redfishd has no record of (it restarted since the insert): its name.
 */
static const char *
forgotten(const json_t *luns, size_t n)
{
	const json_t *l = json_array_get(luns, n);
	const char *img = json_string_value(json_object_get(l, "image"));
	char prefix[32];

	snprintf(
	    prefix, sizeof(prefix), REDFISH_VMEDIA_STORE_PREFIX "lun%zu-", n);
	if (n >= REDFISH_VMEDIA_MAX || vmedia[n].name != NULL ||
	    vmedia[n].busy || img == NULL ||
	    !json_is_true(json_object_get(l, "mounted")) ||
	    strncmp(img, prefix, strlen(prefix)) != 0)
		return NULL;
	return img;
}

/* fetchd's /state: the URL of each forgotten copy from its fetch, which
 * fetchd keeps among its last finished ones (without user name and
 * password, as Image shows it). */
static void
recall_cb(int result, struct client_reply *cr, void *arg)
{
	struct job *j = arg;
	json_t *fetches = result == 0 && cr->status == 200
	    ? json_object_get(json_object_get(cr->json, "result"), "fetches")
	    : NULL,
	       *fe;
	const char *img, *url, *n, *st;
	size_t i, k;

	for (i = 0; i < json_array_size(j->luns); i++) {
		if ((img = forgotten(j->luns, i)) == NULL)
			continue;
		url = NULL;
		json_array_foreach(fetches, k, fe)
		{
			n = json_string_value(json_object_get(fe, "name"));
			st = json_string_value(json_object_get(fe, "state"));
			if (n != NULL && st != NULL && strcmp(n, img) == 0 &&
			    strcmp(st, "done") == 0)
				url = json_string_value(
				    json_object_get(fe, "url"));
		}
		if (url == NULL)
			continue;
		vmedia[i].image = xstrdup(url);
		vmedia[i].name = xstrdup(img);
		vmedia[i].protocol = strncmp(url, "https:", 6) == 0 ? 1
		    : strncmp(url, "http:", 5) == 0		    ? 0
								    : -1;
		log_info(
		    "VirtualMedia %zu: '%s' was fetched from %s", i, img, url);
	}
	go(j);
}

/* mediad's /state came back; fetchd is asked for the URLs redfishd
 * forgot, if any. */
static void
state_cb(int result, struct client_reply *cr, void *arg)
{
	struct job *j = arg;
	size_t i;

	if (result == 0 && cr->status == 200)
		j->luns = json_incref(json_object_get(
		    json_object_get(cr->json, "result"), "luns"));
	else
		log_warnx(
		    "mediad's state: %s", result < 0 ? error_get() : "not 200");
	for (i = 0; i < json_array_size(j->luns); i++)
		if (forgotten(j->luns, i) != NULL) {
			call(j, j->cfg->fetchd_socket, "GET", "/state", NULL,
			    2000, recall_cb);
			return;
		}
	go(j);
}

void
redfish_media_handle(struct http_request *req, struct event_base *base,
    const struct redfish_media_config *cfg)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->req = req;
	j->base = base;
	j->cfg = cfg;
	call(j, cfg->mediad_socket, "GET", "/state", NULL, 2000, state_cb);
}
