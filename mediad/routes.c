/*
 * routes.c -- mediad's HTTP handlers: read the request, call media.c,
 * encode the reply.
 *
 * Each route is described in spec.c; the server checks a request against
 * that description before its handler here runs (common/api.h), so a
 * handler reads fields that are there, of their type and in range.  What
 * is left to check here is what no single field says: the image name of
 * /images/NAME (name.c) and the mount rules (request.c).
 *
 * /images/NAME is three routes on one prefix, told apart by method: the
 * upload (PUT), the download (GET, HEAD) and the delete.  Their bodies are
 * not JSON (RAW), so their handlers read the name and, for the upload, the
 * ?overwrite= parameter themselves, the parameter by its description.
 *
 * Uploads use the server's streamed body: the handler checks name, size and
 * overwrite rules before a single body byte is read (a refusal is answered
 * at once, and a client sending "Expect: 100-continue" never sends the
 * body), then each piece goes straight to the store.  Downloads are read
 * from the file as the socket drains, a bounded amount at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "api.h"
#include "daemon.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "lun.h"
#include "media.h"
#include "metrics.h"
#include "name.h"
#include "range.h"
#include "request.h"
#include "routes.h"
#include "spec.h"
#include "store.h"
#include "xmalloc.h"

#define ROUTES_READ_CHUNK  (256 * 1024)
#define ROUTES_MAX_PENDING (1024 * 1024)

struct routes_upload {
	TAILQ_ENTRY(routes_upload) entry; /* on ctx's list once ended */
	struct routes_ctx *ctx;
	struct store_upload *up;
	struct http_request *req;
	struct event *ev; /* the store's news */
	int ended;	  /* the whole body is in; the writer finishes */
	char name[NAME_MAX_BYTES + 1];
	char peer[32];
};

_Static_assert(HTTP_BODY_PIECE_MAX <= STORE_PIECE_MAX,
    "the server's pieces fit the store's room");

struct routes_download {
	int fd;
	uint64_t off;
	uint64_t left;
};

/* GET /state. */
static void
routes_state(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	json_t *st;

	st = media_state_json(ctx->media);
	if (ctx->daemon != NULL)
		json_object_set_new(
		    st, "uptime_s", json_real(daemon_uptime(ctx->daemon)));
	api_reply_ok(req, st);
}

/* GET /metrics. */
static void
routes_metrics(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	const struct media_counters *c = media_counters(ctx->media);
	const struct store_upload *up = NULL;
	struct store_space sp;
	struct metrics *m;
	json_t *lun;
	char label[64];
	size_t i, n = 0;

	m = metrics_new("mediad");
	while ((up = store_upload_next(media_store(ctx->media), up)) != NULL)
		n++;
	metrics_gauge(m, "uploads_running", "Uploads in progress.", n);
	metrics_counter(m, "uploads_completed_total",
	    "Uploads stored under their name.", c->uploads_ok);
	metrics_counter(m, "uploads_failed_total",
	    "Uploads refused, aborted or failed.", c->uploads_failed);
	metrics_counter(m, "upload_bytes_total", "Bytes of completed uploads.",
	    c->bytes_uploaded);
	metrics_counter(m, "mounts_total", "Media mounted.", c->mounts);
	metrics_counter(m, "ejects_total", "Media ejected.", c->ejects);
	metrics_counter(m, "locked_refusals_total",
	    "Mounts or ejects refused: locked by the target.",
	    c->refused_locked);
	if (store_space(media_store(ctx->media), &sp) == 0) {
		metrics_gauge(m, "store_free_bytes",
		    "Free bytes of the image store.", sp.avail);
		metrics_gauge(m, "store_size_bytes",
		    "Size of the image store's file system.", sp.total);
	}
	metrics_declare(
	    m, "lun_mounted", "gauge", "1 when the LUN has a medium.");
	for (i = 0; i < media_nluns(ctx->media); i++) {
		lun = media_lun_json(ctx->media, i);
		snprintf(label, sizeof(label), "lun=\"%zu\"", i);
		metrics_sample(m, "lun_mounted", label,
		    json_is_true(json_object_get(lun, "mounted")));
		json_decref(lun);
	}
	if (ctx->daemon != NULL)
		metrics_counter(m, "http_requests_total", "HTTP requests.",
		    http_server_requests(daemon_http(ctx->daemon)));
	error_clear();
	metrics_reply(req, m);
}

/* GET /images. */
static void
routes_list(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	json_t *list;

	if ((list = media_list_json(ctx->media)) == NULL) {
		api_reply_error(req, -EIO, NULL);
		return;
	}
	api_reply_ok(req, json_pack("{s:o}", "images", list));
}

/* The image name of /images/NAME, checked. */
static int
routes_name(struct http_request *req, const char **ret)
{
	const char *path = http_request_path(req);
	int r;

	path += strlen(MEDIAD_API_IMAGES);
	if ((r = name_check(path, strlen(path))) < 0)
		return r;
	*ret = path;
	return 0;
}

/* Free an upload's handler state (the upload itself is dealt with). */
static void
routes_upload_free(struct routes_upload *hu)
{
	if (hu->ended)
		TAILQ_REMOVE(&hu->ctx->finishing, hu, entry);
	event_free(hu->ev);
	free(hu);
}

/* The writer has named the file (or failed): answer. */
static void
routes_upload_done(struct routes_upload *hu)
{
	struct http_request *req = hu->req;
	uint64_t size = store_upload_length(hu->up);
	char sha[65];
	int r;

	if ((r = media_upload_finish(hu->ctx->media, hu->up, sha)) < 0) {
		log_warnx("upload of '%s' from %s failed: %s", hu->name,
		    hu->peer, error_get());
		api_reply_error(req, r, NULL);
	} else {
		log_info("stored '%s' (%" PRIu64 " bytes, sha256 %s) from %s",
		    hu->name, size, sha, hu->peer);
		api_reply_ok(req,
		    json_pack("{s:s, s:I, s:s}", "name", hu->name, "size",
			(json_int_t)size, "sha256", sha));
	}
	routes_upload_free(hu);
}

/* A write error while the body still streams: answer now (the server
 * closes the connection, the rest of the body is not read). */
static void
routes_upload_fail(struct routes_upload *hu, int r)
{
	struct http_request *req = hu->req;

	log_warnx("upload of '%s' from %s failed: %s", hu->name, hu->peer,
	    error_get());
	api_reply_error(req, r, NULL);
	media_upload_abort(hu->ctx->media, hu->up);
	routes_upload_free(hu);
}

/* libevent: the store's writer has news. */
static void
routes_upload_wake(evutil_socket_t fd, short what, void *arg)
{
	struct routes_upload *hu = arg;
	int r;

	(void)fd;
	(void)what;
	r = store_upload_poll(hu->up);
	if (r == STORE_UPLOAD_DONE || (r < 0 && hu->ended))
		routes_upload_done(hu); /* reports the error */
	else if (r < 0)
		routes_upload_fail(hu, r);
	else if (r == STORE_UPLOAD_MORE)
		http_request_pause_body(hu->req, 0);
}

/* A streamed piece of an upload. */
static int
routes_upload_data(
    struct http_request *req, const void *data, size_t len, void *arg)
{
	struct routes_upload *hu = arg;
	int r;

	if ((r = store_upload_write(hu->up, data, len)) < 0) {
		log_warnx("upload of '%s' from %s failed: %s", hu->name,
		    hu->peer, error_get());
		media_upload_abort(hu->ctx->media, hu->up);
		routes_upload_free(hu);
		return r; /* the server replies with error_get() */
	}
	if (r == STORE_UPLOAD_FULL)
		http_request_pause_body(req, 1); /* until the writer wakes us */
	return 0;
}

/* The whole body is in: the writer fsyncs and names it, then we answer. */
static void
routes_upload_end(struct http_request *req, void *arg)
{
	struct routes_upload *hu = arg;
	int r;

	(void)req;
	if ((r = store_upload_complete(hu->up)) < 0) {
		routes_upload_fail(hu, r);
		return;
	}
	hu->ended = 1;
	TAILQ_INSERT_TAIL(&hu->ctx->finishing, hu, entry);
}

/* The peer went away or stalled: nothing is kept. */
static void
routes_upload_abort(struct http_request *req, void *arg)
{
	struct routes_upload *hu = arg;

	(void)req;
	log_warnx("upload of '%s' from %s aborted after %" PRIu64 " of %" PRIu64
		  " bytes; nothing was kept",
	    hu->name, hu->peer, store_upload_received(hu->up),
	    store_upload_length(hu->up));
	media_upload_abort(hu->ctx->media, hu->up);
	routes_upload_free(hu);
}

static const struct http_body_callbacks routes_upload_cbs = {
    routes_upload_data,
    routes_upload_end,
    routes_upload_abort,
};

/* A fresh context. */
void
routes_init(struct routes_ctx *ctx, struct media *m)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->media = m;
	TAILQ_INIT(&ctx->finishing);
}

/* Shutdown: uploads whose writer still finishes are dropped (a file it
 * already named stays) and answered, which also lets the server free
 * their requests. */
void
routes_stop(void *arg)
{
	struct routes_ctx *ctx = arg;
	struct routes_upload *hu;

	while ((hu = TAILQ_FIRST(&ctx->finishing)) != NULL) {
		media_upload_abort(ctx->media, hu->up);
		api_reply_errorf(hu->req, -ESHUTDOWN,
		    "mediad is stopping while it stored '%s'; list the images when it is back, and upload again if it is missing",
		    hu->name);
		routes_upload_free(hu);
	}
}

/* A RAW route's query parameters as its fields, read and checked by its
 * description (the server reads them only for JSON routes). */
static int
routes_query(
    struct http_request *req, const struct apispec_route *spec, json_t **ret)
{
	const struct apispec_field *const *f;
	const char *text;
	json_t *args, *v;
	int r;

	args = json_object();
	for (f = spec->fields; f != NULL && *f != NULL; f++) {
		if ((text = http_request_query(req, (*f)->name)) == NULL)
			continue;
		if ((r = apispec_value(*f, text, &v)) < 0) {
			json_decref(args);
			return r;
		}
		json_object_set_new(args, (*f)->name, v);
	}
	if ((r = apispec_check(spec->fields, args)) < 0) {
		json_decref(args);
		return r;
	}
	*ret = args;
	return 0;
}

/* The upload is accepted: watch its writer and stream the body to it. */
static void
routes_upload_start(struct http_request *req, struct routes_ctx *ctx,
    struct store_upload *up, const char *name, int overwrite)
{
	struct routes_upload *hu;
	int r;

	hu = xcalloc(1, sizeof(*hu));
	hu->ctx = ctx;
	hu->up = up;
	hu->req = req;
	hu->ev = event_new(daemon_base(ctx->daemon), store_upload_fd(up),
	    EV_READ | EV_PERSIST, routes_upload_wake, hu);
	if (hu->ev == NULL || event_add(hu->ev, NULL) == -1) {
		media_upload_abort(ctx->media, up);
		if (hu->ev != NULL)
			event_free(hu->ev);
		free(hu);
		api_reply_error(req, -ENOMEM, "cannot watch the upload");
		return;
	}
	snprintf(hu->name, sizeof(hu->name), "%s", name);
	snprintf(hu->peer, sizeof(hu->peer), "%s", http_request_peer(req));
	log_info("upload of '%s' (%" PRIu64 " bytes%s) from %s started", name,
	    store_upload_length(up), overwrite ? ", overwrite" : "", hu->peer);
	if ((r = http_request_read_body(req, &routes_upload_cbs, hu)) < 0) {
		media_upload_abort(ctx->media, up);
		routes_upload_free(hu);
		api_reply_error(req, r, NULL);
	}
}

/* PUT /images/NAME[?overwrite=true&sha256=HEX]: name, size, space and
 * overwrite rules are checked first, then the body streams to the store;
 * with sha256 the file is named only when the data hashes to it. */
static void
routes_upload(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct store_upload *up;
	const char *name, *sha;
	char expect[65] = "";
	int64_t len = http_request_content_length(req);
	int r, overwrite;

	/* args is NULL (a RAW route): the parameters are read here */
	if ((r = routes_name(req, &name)) < 0 ||
	    (r = routes_query(
		 req, &mediad_api_routes[MEDIAD_API_UPLOAD], &args)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	overwrite = apispec_bool(args, "overwrite", 0);
	if ((sha = apispec_string(args, "sha256", NULL)) != NULL &&
	    (r = request_sha256(sha, expect)) < 0) {
		json_decref(args);
		api_reply_error(req, r, NULL);
		return;
	}
	json_decref(args);
	if (len < 0) {
		api_reply_error(req, -EINVAL,
		    "send Content-Length: the size must be known up front to check free space (chunked uploads are not accepted)");
		return;
	}
	if ((r = media_upload_begin(ctx->media, name, (uint64_t)len, overwrite,
		 http_request_peer(req), &up)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	if (expect[0] != '\0')
		store_upload_expect(up, expect);
	routes_upload_start(req, ctx, up, name, overwrite);
}

/* Free a download. */
static void
routes_download_free(struct routes_download *dl)
{
	close(dl->fd);
	free(dl);
}

/* Queue more of the file while the socket keeps up. */
static void
routes_download_fill(struct http_request *req, void *arg)
{
	struct routes_download *dl = arg;
	char *buf;
	size_t want;
	ssize_t n;

	buf = xmalloc(ROUTES_READ_CHUNK);
	while (dl->left > 0 && http_reply_pending(req) < ROUTES_MAX_PENDING) {
		want =
		    dl->left < ROUTES_READ_CHUNK ? dl->left : ROUTES_READ_CHUNK;
		n = pread(dl->fd, buf, want, (off_t)dl->off);
		if (n <= 0) {
			/* Shrunk or unreadable: the short reply closes. */
			log_warnx("download stopped at byte %" PRIu64 ": %s",
			    dl->off, n < 0 ? strerror(errno) : "end of file");
			dl->left = 0;
			break;
		}
		http_reply_write(req, buf, (size_t)n);
		dl->off += (uint64_t)n;
		dl->left -= (uint64_t)n;
	}
	free(buf);
	if (dl->left == 0) {
		http_reply_end(req);
		routes_download_free(dl);
	}
}

/* The peer left before the end. */
static void
routes_download_close(struct http_request *req, void *arg)
{
	routes_download_free(arg);
}

/* Content-Disposition: a browser saves the image under its own name. */
static void
routes_disposition(struct http_request *req, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	char buf[64 + 3 * NAME_MAX_BYTES], *o;
	const unsigned char *p;

	o = buf + snprintf(buf, sizeof(buf), "attachment; filename*=UTF-8''");
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p))
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	http_reply_header(req, "Content-Disposition", buf);
}

/* GET or HEAD /images/NAME. */
static void
routes_download(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct routes_download *dl;
	struct stat st;
	uint64_t start = 0, len;
	const char *name;
	char hdr[96], *env;
	json_t *e;
	int fd, r;

	if ((r = routes_name(req, &name)) < 0 ||
	    (r = store_open_image(media_store(ctx->media), name, &fd, &st)) <
		0) {
		api_reply_error(req, r, NULL);
		return;
	}
	len = (uint64_t)st.st_size;
	r = range_parse(http_request_header(req, "Range"), len, &start, &len);
	http_reply_header(req, "Accept-Ranges", "bytes");
	routes_disposition(req, name);
	if (r == -ERANGE) {
		close(fd);
		snprintf(
		    hdr, sizeof(hdr), "bytes */%lld", (long long)st.st_size);
		http_reply_header(req, "Content-Range", hdr);
		e = envelope_error(-ERANGE,
		    "the requested range is "
		    "outside the image");
		env = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		http_reply(req, 416, "application/json", env, strlen(env));
		free(env);
		return;
	}
	if (r == 0) {
		snprintf(hdr, sizeof(hdr), "bytes %" PRIu64 "-%" PRIu64 "/%lld",
		    start, start + len - 1, (long long)st.st_size);
		http_reply_header(req, "Content-Range", hdr);
	}
	http_reply_start(
	    req, r == 0 ? 206 : 200, "application/octet-stream", (int64_t)len);
	if (http_request_method(req) == HTTP_HEAD || len == 0) {
		close(fd);
		http_reply_end(req);
		return;
	}
	dl = xcalloc(1, sizeof(*dl));
	dl->fd = fd;
	dl->off = start;
	dl->left = len;
	posix_fadvise(fd, (off_t)start, (off_t)len, POSIX_FADV_SEQUENTIAL);
	http_reply_set_callbacks(
	    req, routes_download_fill, routes_download_close, dl);
	routes_download_fill(req, dl);
}

/* DELETE /images/NAME. */
static void
routes_delete(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	const char *name;
	int r;

	if ((r = routes_name(req, &name)) < 0 ||
	    (r = media_delete(ctx->media, name)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	log_info("deleted '%s'", name);
	api_reply_ok(req, json_pack("{s:s}", "deleted", name));
}

/* POST /mount: the fields are checked; request.c adds the name and mode
 * rules. */
static void
routes_mount(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	struct request_mount rq;
	int r;

	if ((r = request_mount_parse(args, &rq)) < 0 ||
	    (r = media_mount(ctx->media, (size_t)rq.lun, rq.image, rq.cdrom,
		 rq.readonly, rq.force)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	log_info("LUN %lld: mounted '%s' (%s, %s)", rq.lun, rq.image,
	    rq.cdrom ? "CD" : "flash",
	    rq.readonly ? "read-only" : "read-write");
	api_reply_ok(req, media_lun_json(ctx->media, (size_t)rq.lun));
}

/* POST /eject: an empty body is lun 0, not forced. */
static void
routes_eject(struct http_request *req, json_t *args, void *arg)
{
	struct routes_ctx *ctx = arg;
	long long lun = apispec_int(args, "lun", 0);
	int force = apispec_bool(args, "force", 0);
	int r;

	if ((r = media_eject(ctx->media, (size_t)lun, force)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	log_info("LUN %lld: ejected%s", lun, force ? " (forced)" : "");
	api_reply_ok(req, media_lun_json(ctx->media, (size_t)lun));
}

/* Each described route (spec.c) and its handler. */
const struct api_route routes_table[] = {
    {&mediad_api_routes[MEDIAD_API_STATE], routes_state},
    {&mediad_api_routes[MEDIAD_API_METRICS], routes_metrics},
    {&mediad_api_routes[MEDIAD_API_LIST], routes_list},
    {&mediad_api_routes[MEDIAD_API_UPLOAD], routes_upload},
    {&mediad_api_routes[MEDIAD_API_DOWNLOAD], routes_download},
    {&mediad_api_routes[MEDIAD_API_DELETE], routes_delete},
    {&mediad_api_routes[MEDIAD_API_MOUNT], routes_mount},
    {&mediad_api_routes[MEDIAD_API_EJECT], routes_eject},
    {NULL, NULL},
};
