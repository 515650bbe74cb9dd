/*
 * httptestd.c -- a tiny server on common/http-*.c (the HTTP server) for its integration tests.
 *
 *	httptestd --socket PATH [--config F] [--max-header N] [--max-body N]
 *	    [--timeout SEC] [--max-connections N]
 *
 * Routes exercise every way of answering: whole replies (/info, /echo, /hello,
 * /only-post, /prefix/...), a delayed reply (/slow), a streamed reply that
 * keeps its queue bounded (/stream), streamed request bodies hashed with
 * SHA-256 (/upload, /refuse), a connection take-over (/upgrade), a
 * reply jansson cannot encode (/unencodable: a string that is not UTF-8,
 * made with json_string_nocheck()), and counters (/stats).  SIGTERM frees the server and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "api.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "sock.h"
#include "xmalloc.h"

/* A query parameter as an integer in [min, max]; absent leaves *ret.  (A
 * test server's own reading: the daemons describe their fields in spec.c.) */
static int
query_int(struct http_request *req, const char *key, long long min,
    long long max, long long *ret)
{
	const char *s = http_request_query(req, key);
	char *end;
	long long n;

	if (s == NULL)
		return 0;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		char esc[64];

		log_escape(s, strlen(s), esc, sizeof(esc));
		return error_set(-EINVAL,
		    "the parameter \"%s\" is \"%s\"; it must be a whole number from %lld to %lld",
		    key, esc, min, max);
	}
	*ret = n;
	return 0;
}

struct testd {
	struct event_base *base;
	struct http_server *srv;
	size_t max_pending; /* seen on /stream */
	unsigned long stream_closed;
	unsigned long upload_aborted;
	unsigned long upgraded;
};

static struct testd td;
static char stream_block[65536];

/* GET /info: what the server parsed. */
static void
info_cb(struct http_request *req, void *arg)
{
	const char *a = http_request_query(req, "a");
	const char *x = http_request_header(req, "X-Test");
	size_t len;
	const char *body = http_request_body(req, &len);

	api_reply_ok(req,
	    json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:s#, s:s}", "method",
		http_request_method_name(req), "path", http_request_path(req),
		"target", http_request_target(req), "a",
		a ? json_string(a) : json_null(), "x_test",
		x ? json_string(x) : json_null(), "content_length",
		(json_int_t)http_request_content_length(req), "body", body, len,
		"peer", http_request_peer(req)));
}

/* GET /hello: the smallest reply, for benchmarks. */
static void
hello_cb(struct http_request *req, void *arg)
{
	http_reply(req, 200, "text/plain", "hello\n", 6);
}

/* GET /unencodable: a result jansson refuses to dump, which must become
 * the fixed 500 envelope, not the end of the server. */
static void
unencodable_cb(struct http_request *req, void *arg)
{
	api_reply_ok(req,
	    json_pack("{s:o}", "name", json_string_nocheck("\xed\xa0\x80")));
}

/* POST/PUT /echo: the body back, byte for byte. */
static void
echo_cb(struct http_request *req, void *arg)
{
	size_t len;
	const char *body = http_request_body(req, &len);

	http_reply_header(req, "X-Echo", "1");
	http_reply(req, 200, "application/octet-stream", body, len);
}

/* A delayed reply. */
struct slow {
	struct http_request *req;
	struct event *ev;
};

/* The delay is over: answer. */
static void
slow_fire(evutil_socket_t fd, short what, void *arg)
{
	struct slow *s = arg;

	api_reply_ok(s->req, json_pack("{s:b}", "slow", 1));
	event_free(s->ev);
	free(s);
}

/* GET /slow[?ms=N]: answers after N ms (200). */
static void
slow_cb(struct http_request *req, void *arg)
{
	struct slow *s;
	long long ms = 200;
	struct timeval tv;
	int r;

	if ((r = query_int(req, "ms", 0, 10000, &ms)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	s = xcalloc(1, sizeof(*s));
	s->req = req;
	s->ev = evtimer_new(td.base, slow_fire, s);
	evtimer_add(s->ev, &tv);
}

/* A streamed reply of n blocks that never queues more than limit. */
struct stream {
	struct http_request *req;
	long long left;
	size_t limit;
};

/* Reference cleanup: the shared block is static, just count nothing. */
static void
stream_unref(const void *data, size_t len, void *arg)
{
}

/* Queues blocks while the backlog stays under the limit. */
static void
stream_fill(struct http_request *req, void *arg)
{
	struct stream *s = arg;
	size_t pending;

	while (s->left > 0 && (pending = http_reply_pending(req)) < s->limit) {
		http_reply_write_ref(req, stream_block, sizeof(stream_block),
		    stream_unref, NULL);
		s->left--;
		pending = http_reply_pending(req);
		if (pending > td.max_pending)
			td.max_pending = pending;
	}
	if (s->left == 0) {
		http_reply_end(req);
		free(s);
	}
}

/* The stream's reader went away. */
static void
stream_close(struct http_request *req, void *arg)
{
	td.stream_closed++;
	free(arg);
}

/* GET /stream?n=N&limit=BYTES[&length=1]. */
static void
stream_cb(struct http_request *req, void *arg)
{
	struct stream *s;
	long long n = 16, limit = 256 * 1024, length = 0;
	int r;

	if ((r = query_int(req, "n", 0, 1000000, &n)) < 0 ||
	    (r = query_int(req, "limit", 1, 1 << 30, &limit)) < 0 ||
	    (r = query_int(req, "length", 0, 1, &length)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->req = req;
	s->left = n;
	s->limit = (size_t)limit;
	http_reply_set_callbacks(req, stream_fill, stream_close, s);
	http_reply_start(req, 200, "application/octet-stream",
	    length ? n * (long long)sizeof(stream_block) : -1);
	stream_fill(req, s);
}

/* A streamed upload hashed as it arrives. */
struct upload {
	EVP_MD_CTX *md;
	uint64_t bytes;
	long long pause_ms;
	long long hash;
	long long fail_after; /* bytes; -1: never */
	struct event *resume;
	struct http_request *req;
};

/* Frees an upload's state. */
static void
upload_free(struct upload *u)
{
	EVP_MD_CTX_free(u->md);
	if (u->resume != NULL)
		event_free(u->resume);
	free(u);
}

/* The pause is over. */
static void
upload_resume(evutil_socket_t fd, short what, void *arg)
{
	struct upload *u = arg;

	http_request_pause_body(u->req, 0);
}

/* A piece of the body. */
static int
upload_data(struct http_request *req, const void *data, size_t len, void *arg)
{
	struct upload *u = arg;
	struct timeval tv = {0, 0};

	if (u->hash)
		EVP_DigestUpdate(u->md, data, len);
	u->bytes += len;
	if (u->fail_after >= 0 && u->bytes > (uint64_t)u->fail_after) {
		upload_free(u);
		return error_set(-ENOSPC, "the test disk is full");
	}
	if (u->pause_ms > 0) {
		tv.tv_usec = u->pause_ms * 1000;
		http_request_pause_body(req, 1);
		evtimer_add(u->resume, &tv);
	}
	return 0;
}

/* The whole body is in: answer with its size and hash. */
static void
upload_end(struct http_request *req, void *arg)
{
	struct upload *u = arg;
	unsigned char md[32];
	char hex[65];
	unsigned int i, mdlen = 0;

	EVP_DigestFinal_ex(u->md, md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	api_reply_ok(req,
	    json_pack(
		"{s:I, s:s}", "bytes", (json_int_t)u->bytes, "sha256", hex));
	upload_free(u);
}

/* The peer went away mid-body. */
static void
upload_abort(struct http_request *req, void *arg)
{
	td.upload_aborted++;
	upload_free(arg);
}

/* PUT /upload[?pause=MS][&hash=0][&fail_after=N]: streams the body through
 * SHA-256. */
static void
upload_cb(struct http_request *req, void *arg)
{
	static const struct http_body_callbacks cb = {
	    upload_data, upload_end, upload_abort};
	struct upload *u;
	long long pause_ms = 0, hash = 1, fail_after = -1;
	int r;

	if ((r = query_int(req, "pause", 0, 1000, &pause_ms)) < 0 ||
	    (r = query_int(req, "hash", 0, 1, &hash)) < 0 ||
	    (r = query_int(req, "fail_after", 0, 1LL << 40, &fail_after)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	u = xcalloc(1, sizeof(*u));
	u->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(u->md, EVP_sha256(), NULL);
	u->pause_ms = pause_ms;
	u->hash = hash;
	u->fail_after = fail_after;
	u->req = req;
	u->resume = evtimer_new(td.base, upload_resume, u);
	if ((r = http_request_read_body(req, &cb, u)) < 0) {
		upload_free(u);
		api_reply_error(req, r, NULL);
	}
}

/* PUT /refuse: answers without reading the body. */
static void
refuse_cb(struct http_request *req, void *arg)
{
	api_reply_error(req, -EPERM, "uploads are refused here");
}

/* The upgraded connection echoes what it reads. */
static void
upgraded_read(struct bufferevent *bev, void *arg)
{
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

/* The upgraded connection ended. */
static void
upgraded_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

/* GET /upgrade: takes the connection over and echoes. */
static void
upgrade_cb(struct http_request *req, void *arg)
{
	struct bufferevent *bev;
	static const char hello[] =
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
	    "Connection: Upgrade\r\n\r\n";

	if ((bev = http_request_upgrade(req)) == NULL)
		return;
	td.upgraded++;
	bufferevent_write(bev, hello, sizeof(hello) - 1);
	bufferevent_setcb(bev, upgraded_read, NULL, upgraded_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	/* bytes that came with the head */
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		upgraded_read(bev, NULL);
}

/* GET /stats: counters for the tests. */
static void
stats_cb(struct http_request *req, void *arg)
{
	api_reply_ok(req,
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "max_pending",
		(json_int_t)td.max_pending, "stream_closed",
		(json_int_t)td.stream_closed, "upload_aborted",
		(json_int_t)td.upload_aborted, "upgraded",
		(json_int_t)td.upgraded, "connections",
		(json_int_t)http_server_connections(td.srv), "requests",
		(json_int_t)http_server_requests(td.srv)));
}

static const struct http_route routes[] = {
    {"/info", HTTP_GET | HTTP_POST | HTTP_PUT, info_cb, 0},
    {"/echo", HTTP_POST | HTTP_PUT, echo_cb, 0},
    {"/hello", HTTP_GET, hello_cb, 0},
    {"/unencodable", HTTP_GET, unencodable_cb, 0},
    {"/only-post", HTTP_POST, info_cb, 0},
    {"/only-post", HTTP_DELETE, info_cb, 0},
    {"/prefix/", HTTP_GET, info_cb, 0},
    {"/prefix/exact", HTTP_PUT, info_cb, 0},
    {"/slow", HTTP_GET, slow_cb, 0},
    {"/stream", HTTP_GET, stream_cb, 0},
    {"/upload", HTTP_PUT | HTTP_POST, upload_cb, HTTP_ROUTE_STREAM_BODY},
    {"/refuse", HTTP_PUT, refuse_cb, HTTP_ROUTE_STREAM_BODY},
    {"/upgrade", HTTP_GET, upgrade_cb, 0},
    {"/stats", HTTP_GET, stats_cb, 0},
    {NULL, 0, NULL, 0},
};

/* SIGTERM/SIGINT: leave the loop. */
static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(td.base, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"config", required_argument, NULL, 'C'},
	    {"max-header", required_argument, NULL, 'H'},
	    {"max-body", required_argument, NULL, 'B'},
	    {"timeout", required_argument, NULL, 't'},
	    {"max-connections", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	struct http_server_config cfg = {0};
	struct sock_listen_config lc = {NULL, 0660, NULL};
	struct event *sigterm, *sigint;
	int ch, fd;

	log_init("httptestd");
	memset(stream_block, 'x', sizeof(stream_block));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			lc.path = optarg;
			break;
		case 'C':
			break; /* kvmtest.Daemon passes one; unused */
		case 'H':
			cfg.max_header_bytes = strtoul(optarg, NULL, 10);
			break;
		case 'B':
			cfg.max_body_bytes = strtoul(optarg, NULL, 10);
			break;
		case 't':
			cfg.timeout_sec = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			cfg.max_connections = strtoul(optarg, NULL, 10);
			break;
		default:
			return 1;
		}
	}
	if (lc.path == NULL) {
		fprintf(stderr, "httptestd: --socket PATH is needed\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	td.base = event_base_new();
	if (sock_listen(&lc, &fd) < 0) {
		fprintf(stderr, "httptestd: %s\n", error_get());
		return 1;
	}
	td.srv = http_server_new(td.base, &cfg, routes, &td);
	if (http_server_add_listener(td.srv, fd) < 0) {
		fprintf(stderr, "httptestd: %s\n", error_get());
		return 1;
	}
	sigterm = evsignal_new(td.base, SIGTERM, stop_cb, NULL);
	sigint = evsignal_new(td.base, SIGINT, stop_cb, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	event_base_dispatch(td.base);
	http_server_free(td.srv);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(td.base);
	return 0;
}
