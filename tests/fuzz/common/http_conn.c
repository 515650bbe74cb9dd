/*
 * http_conn.c -- libFuzzer target for the HTTP server's connection handling.
 *
 * Each input is what one peer sends on one connection to a real server in
 * this process: small limits so that every refusal is reachable, routes that
 * answer whole, late, streamed, by streaming the body, and by taking the
 * connection over.  The first byte picks how the peer ends: keep the
 * connection open, half-close, or close at once.  The loop runs until the
 * server has nothing more to say; then the server is freed with whatever is
 * still open, so every close path runs and the sanitizers check it.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_LATE 8

static struct event_base *base;
static struct http_request *late[MAX_LATE];
static int nlate;
static struct bufferevent *taken;
static char block[4096];

/* GET /a: a whole reply. */
static void
fz_whole(struct http_request *req, void *arg)
{
	const char *q = http_request_query(req, "q");

	http_reply_header(req, "X-Q", q != NULL ? q : "-");
	http_reply(req, 200, "text/plain", "ok\n", 3);
}

/* POST /e: the body back. */
static void
fz_echo(struct http_request *req, void *arg)
{
	size_t len;
	const char *b = http_request_body(req, &len);

	http_reply(req, 200, "application/octet-stream", b, len);
}

/* GET /l: answered later (when the loop is done, or never: server free). */
static void
fz_late(struct http_request *req, void *arg)
{
	if (nlate == MAX_LATE) {
		http_reply(req, 503, NULL, NULL, 0);
		return;
	}
	late[nlate++] = req;
}

/* Stream state: how many blocks are left. */
struct fz_stream {
	int left;
};

/* Queues blocks while little is pending. */
static void
fz_stream_fill(struct http_request *req, void *arg)
{
	struct fz_stream *s = arg;

	while (s->left > 0 && http_reply_pending(req) < 8192) {
		http_reply_write_ref(req, block, sizeof(block), NULL, NULL);
		s->left--;
	}
	if (s->left == 0) {
		http_reply_end(req);
		free(s);
	}
}

/* The reader left. */
static void
fz_stream_close(struct http_request *req, void *arg)
{
	free(arg);
}

/* GET /s: a streamed reply of 64 blocks. */
static void
fz_stream(struct http_request *req, void *arg)
{
	struct fz_stream *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	s->left = 64;
	http_reply_set_callbacks(req, fz_stream_fill, fz_stream_close, s);
	http_reply_start(req, 200, "application/octet-stream", -1);
	fz_stream_fill(req, s);
}

/* Upload state. */
struct fz_upload {
	size_t bytes;
};

/* A piece of a streamed body; "!" refuses it. */
static int
fz_up_data(struct http_request *req, const void *d, size_t len, void *arg)
{
	struct fz_upload *u = arg;

	u->bytes += len;
	if (memchr(d, '!', len) != NULL) {
		free(u);
		return -EINVAL;
	}
	http_request_pause_body(req, memchr(d, 'P', len) != NULL);
	http_request_pause_body(req, 0);
	return 0;
}

/* The whole streamed body is in. */
static void
fz_up_end(struct http_request *req, void *arg)
{
	free(arg);
	http_reply(req, 200, NULL, NULL, 0);
}

/* The streamed body ended early. */
static void
fz_up_abort(struct http_request *req, void *arg)
{
	free(arg);
}

/* PUT /u: streams the body; /u?n answers without reading it. */
static void
fz_upload(struct http_request *req, void *arg)
{
	static const struct http_body_callbacks cb = {
	    fz_up_data, fz_up_end, fz_up_abort};
	struct fz_upload *u;

	if (http_request_query(req, "n") != NULL) {
		http_reply(req, 403, NULL, NULL, 0);
		return;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL)
		abort();
	if (http_request_read_body(req, &cb, u) < 0) {
		free(u);
		http_reply(req, 400, NULL, NULL, 0);
	}
}

/* GET /w: takes the connection over. */
static void
fz_upgrade(struct http_request *req, void *arg)
{
	struct bufferevent *bev;

	if (taken != NULL || (bev = http_request_upgrade(req)) == NULL) {
		http_reply(req, 409, NULL, NULL, 0);
		return;
	}
	bufferevent_write(bev, "HTTP/1.1 101 X\r\n\r\n", 18);
	taken = bev;
}

static const struct http_route routes[] = {
    {"/a", HTTP_GET | HTTP_OPTIONS, fz_whole, 0},
    {"/e", HTTP_POST | HTTP_PUT, fz_echo, 0},
    {"/l", HTTP_GET, fz_late, 0},
    {"/s", HTTP_GET, fz_stream, 0},
    {"/u", HTTP_PUT, fz_upload, HTTP_ROUTE_STREAM_BODY},
    {"/p/", HTTP_GET | HTTP_DELETE, fz_whole, 0},
    {"/w", HTTP_GET, fz_upgrade, 0},
    {NULL, 0, NULL, 0},
};

/* Reads what the server sent; 1 at end of file. */
static int
fz_drain(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	return n == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long serial;
	struct http_server_config cfg = {1024, 256, 1, 4};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct http_server *srv;
	socklen_t len;
	int lfd, cfd, i, mode;

	if (size < 1 || size > 60000)
		return 0;
	signal(SIGPIPE, SIG_IGN); /* as daemon_start() does */
	mode = data[0] % 3;
	data++;
	size--;
	memset(block, 'b', sizeof(block));
	base = event_base_new();
	srv = http_server_new(base, &cfg, routes, NULL);
	/* an abstract address: nothing on disk */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
		"kvm-fuzz-http-%d-%lu", (int)getpid(), serial++));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sun, len) == -1 ||
	    listen(lfd, 8) == -1 || http_server_add_listener(srv, lfd) < 0)
		abort();
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cfd == -1 || connect(cfd, (struct sockaddr *)&sun, len) == -1)
		abort();
	if (size > 0 && write(cfd, data, size) < 0)
		abort();
	if (mode == 1)
		shutdown(cfd, SHUT_WR);
	if (mode == 2) {
		close(cfd);
		cfd = -1;
	}
	for (i = 0; i < 64; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (cfd != -1 && fz_drain(cfd))
			break;
	}
	/* late replies now; some find their connection gone */
	for (i = 0; i < nlate; i++)
		http_reply(late[i], 200, NULL, "late", 4);
	nlate = 0;
	for (i = 0; i < 8; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (cfd != -1)
			fz_drain(cfd);
	}
	if (cfd != -1)
		close(cfd);
	http_server_free(srv);
	for (i = 0; i < nlate; i++)
		http_reply(late[i], 200, NULL, NULL, 0);
	nlate = 0;
	if (taken != NULL)
		bufferevent_free(taken);
	taken = NULL;
	event_base_free(base);
	return 0;
}
