/*
 * service.c -- redfishd's service (service.h): its options, its state and
 * its route table; main() in redfishd.c only loads the options and runs it.
 *
 * redfishd answers the Redfish URLs from its resource table (resource.h)
 * behind nginx, translated into calls on gpiod-ctl's, mediad's and
 * fetchd's sockets: the service root, $metadata, the OData service
 * document and the Systems (PowerState from gpiod-ctl, Reset and
 * PowerCycle onto it, Boot kept here and changed by PATCH with If-Match),
 * Managers (VirtualMedia onto fetchd and mediad: insert.h) and Chassis
 * resources, with Redfish's error format, 404 and 405 with Allow; and
 * the SessionService (session.h): logins checked against nginx's htpasswd
 * file, X-Auth-Token sessions, and GET /auth/token, which nginx's
 * auth_request asks whether a request's token is a live session's.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "client.h"
#include "config.h"
#include "envelope.h"
#include "error.h"
#include "http.h"
#include "insert.h"
#include "log.h"
#include "metrics.h"
#include "reset.h"
#include "resource.h"
#include "service.h"
#include "session.h"
#include "wsframe.h"

#define ALL_METHODS                                                            \
	(HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_DELETE |           \
	    HTTP_OPTIONS | HTTP_PATCH)

static char *gpiod_socket = "/run/kaputtkvm/gpiod-ctl.sock";
static char *mediad_socket = "/run/kaputtkvm/mediad.sock";
static char *fetchd_socket = "/run/kaputtkvm/fetchd.sock";
static long long insert_timeout = 1800;	   /* s */
static long long power_cycle_wait = 20000; /* ms */
static char *htpasswd = "/etc/kaputtkvm/htpasswd";
static long long session_timeout = 1800, max_sessions = 16;

static struct session_store sessions;
/* Logins since the start, for /state and /metrics. */
static unsigned long long logins_ok, logins_refused;
/* The password file as the sessions' logins saw it (passwd_changed()). */
static struct stat passwd_seen;

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
    {"htpasswd", 0, CONFIG_STRING, &htpasswd, 0, 0, "FILE",
	"the users and password hashes nginx checks, for logins to the "
	"SessionService (default /etc/kaputtkvm/htpasswd)",
	NULL},
    {"session-timeout", 0, CONFIG_INT, &session_timeout, 1, 86400, "SEC",
	"a session ends after this many seconds without a request "
	"(SessionTimeout; default 1800)",
	NULL},
    {"max-sessions", 0, CONFIG_INT, &max_sessions, 1, 1024, "N",
	"sessions open at once; a login beyond is refused (default 16)", NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

const struct config_spec redfishd_spec = {
    "redfishd", "a Redfish service at /redfish/v1", options, NULL, NULL};

/* Sends what redfish_resolve() answered. */
static void
redfishd_send(struct http_request *req, struct redfish_reply *rr)
{
	char *s;

	http_reply_header(req, "OData-Version", "4.0");
	if (rr->status == 204) {
		http_reply(req, 204, NULL, "", 0);
		return;
	}
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

	rr.status = error == NULL ? 204 : status;
	rr.body = error;
	redfishd_send(arg, &rr); /* with OData-Version, as every reply */
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

static long long
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/* 1 when the password file is another than the open sessions' logins
 * checked (kaputtkvm-passwd writes a new file): a changed password ends
 * every session, as it ends the browsers' cookie exemption.  One stat()
 * of a local file per authenticated request. */
static int
passwd_changed(void)
{
	struct stat st;

	if (stat(htpasswd, &st) < 0)
		memset(&st, 0, sizeof(st));
	return st.st_ino != passwd_seen.st_ino ||
	    st.st_dev != passwd_seen.st_dev ||
	    st.st_mtim.tv_sec != passwd_seen.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != passwd_seen.st_mtim.tv_nsec;
}

static void
sessions_check_passwd(void)
{
	if (session_count(&sessions) == 0 || !passwd_changed())
		return;
	log_info("%s changed: every session ends", htpasswd);
	session_end_all(&sessions);
}

/* An error of status with a Base registry id. */
static void
redfishd_error(struct http_request *req, int status, const char *id,
    const char *msg, const char *resolution)
{
	struct redfish_reply rr = {0};

	rr.status = status;
	rr.body = redfish_error(id, msg, resolution);
	redfishd_send(req, &rr);
}

/* Who asked, for the log: the address nginx saw. */
static const char *
client_of(const struct http_request *req)
{
	const char *a = http_request_header(req, "X-Forwarded-For");

	return a != NULL ? a : http_request_peer(req);
}

/*
 * POST .../Sessions: a login.  The password is checked with crypt_r()
 * on the loop (SHA-512 crypt at 5000 rounds: a few ms, measured in
 * redfishd/README.md); nginx's login limit bounds how often strangers
 * can make it run.  201 with X-Auth-Token and Location.
 */
static void
redfishd_login(struct http_request *req)
{
	char user[SESSION_USER_MAX + 1], pass[SESSION_PASS_MAX + 1];
	char loc[sizeof(SESSION_COLLECTION) + SESSION_ID_LEN + 1];
	struct redfish_reply rr = {0};
	struct session *s;
	struct timespec t0, t1;
	struct stat file;
	const char *body;
	size_t len;
	int r;

	body = http_request_body(req, &len);
	if (session_login_parse(
		body ? body : "", body ? len : 0, user, pass, &rr.body) < 0) {
		rr.status = 400;
		redfishd_send(req, &rr);
		return;
	}
	sessions_check_passwd();
	if (stat(htpasswd, &file) < 0) /* the file the check reads */
		memset(&file, 0, sizeof(file));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = session_check_password(htpasswd, user, pass);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	explicit_bzero(pass, sizeof(pass));
	log_debug("password check: %.1f ms",
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (r < 0) {
		log_warnx("%s", error_get());
		redfishd_error(req, 503, "GeneralError",
		    "The password file cannot be read.",
		    "Check that redfishd may read it (group kaputtkvm-auth) "
		    "and that kaputtkvm-passwd has set a password.");
		return;
	}
	if (r == 0) {
		logins_refused++;
		log_warnx(
		    "login of %s from %s refused: wrong user name or password",
		    user, client_of(req));
		redfishd_error(req, 401, "ResourceAtUriUnauthorized",
		    "The user name or the password is wrong.",
		    "Log in with the KaputtKVM user name and password (set "
		    "them with kaputtkvm-passwd).");
		return;
	}
	if ((r = session_new(&sessions, user, now_mono(), time(NULL), &s)) <
	    0) {
		if (r == -ENOSPC)
			redfishd_error(req, 503, "SessionLimitExceeded",
			    "As many sessions are open as redfishd keeps "
			    "(max-sessions).",
			    "DELETE a session that is no longer used, or wait "
			    "for one to expire (SessionTimeout).");
		else
			redfishd_error(req, 500, "GeneralError",
			    "No random token could be made.",
			    "Try again; see redfishd's log.");
		return;
	}
	passwd_seen = file;
	logins_ok++;
	log_info("session %s of %s from %s", s->id, s->user, client_of(req));
	snprintf(loc, sizeof(loc), "%s/%s", SESSION_COLLECTION, s->id);
	http_reply_header(req, "X-Auth-Token", s->token);
	http_reply_header(req, "Location", loc);
	rr.status = 201;
	rr.body = session_json(s);
	redfishd_send(req, &rr);
}

/* GET /auth/token, nginx's auth_request for a Redfish URL when basic auth
 * did not pass: 204 when X-Auth-Token names a live session (which counts
 * as its use), else 401 (with the daemon contract's error, as every
 * error on the socket; nginx looks at the status only).  Not under
 * /redfish: nginx never forwards a request from outside here. */
static void
redfishd_auth(struct http_request *req, void *arg)
{
	const char *token = http_request_header(req, "X-Auth-Token");
	char *s;

	sessions_check_passwd();
	if (token != NULL && session_by_token(&sessions, token, now_mono())) {
		http_reply(req, 204, NULL, "", 0);
		return;
	}
	s = envelope_encode(envelope_error_status(401,
	    token == NULL ? "No X-Auth-Token: log in at "
			    "/redfish/v1/SessionService/Sessions."
			  : "The X-Auth-Token is no live session's: log in "
			    "again at /redfish/v1/SessionService/Sessions."));
	http_reply(req, 401, "application/json", s ? s : ENVELOPE_REPLY_FAILED,
	    strlen(s ? s : ENVELOPE_REPLY_FAILED));
	free(s);
}

/* GET /state (the daemon contract): the sessions, and the logins since
 * the start.  Not under /redfish: nginx never forwards it. */
static void
redfishd_state(struct http_request *req, void *arg)
{
	char *s;

	session_expire(&sessions, now_mono());
	s = envelope_encode(envelope_ok(json_pack("{s:I, s:I, s:I, s:I, s:I}",
	    "sessions", (json_int_t)session_count(&sessions), "max_sessions",
	    (json_int_t)max_sessions, "session_timeout",
	    (json_int_t)session_timeout, "logins", (json_int_t)logins_ok,
	    "logins_refused", (json_int_t)logins_refused)));
	http_reply(req, s ? 200 : 500, "application/json",
	    s ? s : ENVELOPE_REPLY_FAILED,
	    strlen(s ? s : ENVELOPE_REPLY_FAILED));
	free(s);
}

/* GET /metrics: the same as Prometheus text. */
static void
redfishd_metrics(struct http_request *req, void *arg)
{
	struct metrics *m = metrics_new("redfishd");

	session_expire(&sessions, now_mono());
	metrics_gauge(
	    m, "sessions", "Open Redfish sessions.", session_count(&sessions));
	metrics_counter(m, "logins_total", "Logins that opened a session.",
	    (double)logins_ok);
	metrics_counter(m, "logins_refused_total",
	    "Logins refused for a wrong user name or password.",
	    (double)logins_refused);
	metrics_reply(req, m);
}

/* A request that may change something, from a page on another site? 1
 * (answered 403 or 415) when refused. */
static int
redfishd_cross_site(struct http_request *req)
{
	enum http_method m = http_request_method(req);
	const char *origin = http_request_header(req, "Origin");
	const char *host = http_request_header(req, "X-Forwarded-Host");

	if (m == HTTP_GET || m == HTTP_HEAD || m == HTTP_OPTIONS)
		return 0;
	if (host == NULL)
		host = http_request_header(req, "Host");
	if (origin != NULL &&
	    (host == NULL || !ws_origin_is_host(origin, host))) {
		redfishd_error(req, 403, "GeneralError",
		    "Refused: a request that changes something came from a "
		    "page of another site (its Origin is not this host's).",
		    "Send it from a Redfish client, not a web page.");
		return 1;
	}
	if ((m == HTTP_POST || m == HTTP_PATCH) &&
	    !session_is_json_type(http_request_header(req, "Content-Type"))) {
		redfishd_error(req, 415, "GeneralError",
		    "A POST or PATCH needs Content-Type: application/json.",
		    "Send the body as JSON with that header (curl: -H "
		    "'Content-Type: application/json').");
		return 1;
	}
	return 0;
}

/* Every /redfish URL: the SessionService's, or the answer from the
 * resource table, after a question to gpiod-ctl for a resource that shows
 * its state.  The request stays valid until it is answered (http.h), even
 * if the peer leaves. */
static void
redfishd_handle(struct http_request *req, void *arg)
{
	static struct redfish_media_config media;
	struct event_base **base = arg;
	struct redfish_reply rr;
	int r;

	if (redfishd_cross_site(req))
		return;
	sessions_check_passwd();
	r = session_resolve(http_request_method(req), http_request_path(req),
	    &sessions, now_mono(), &rr);
	if (r == 2) {
		redfishd_login(req);
		return;
	}
	if (r == 1) {
		redfishd_send(req, &rr);
		return;
	}
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

const struct http_route redfishd_routes[] = {
    {"/redfish", ALL_METHODS, redfishd_handle, 0, NULL},
    {"/redfish/", ALL_METHODS, redfishd_handle, 0, NULL},
    {"/auth/token", HTTP_GET, redfishd_auth, 0, NULL},
    {"/state", HTTP_GET, redfishd_state, 0, NULL},
    {"/metrics", HTTP_GET, redfishd_metrics, 0, NULL},
    {NULL, 0, NULL, 0, NULL},
};

int
redfishd_service_init(void)
{
	logins_ok = logins_refused = 0;
	memset(&passwd_seen, 0, sizeof(passwd_seen));
	memset(&boot, 0, sizeof(boot)); /* None, Disabled, UEFI */
	return session_store_init(&sessions, (unsigned int)max_sessions,
	    (unsigned int)session_timeout);
}

void
redfishd_service_free(void)
{
	session_store_free(&sessions);
}
