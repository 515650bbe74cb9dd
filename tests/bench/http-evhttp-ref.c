/*
 * http-evhttp-ref.c -- the reference for http-bench.py: libevent's evhttp
 * serving the routes of httptestd that the bench uses (/hello, /upload), on a UNIX
 * socket.  It shows what common/http-*.c (the HTTP server) replaced: evhttp reads a whole
 * request body into memory before the handler runs.
 *
 *	http-evhttp-ref SOCKET
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* GET /info: a small JSON reply, as httptestd gives. */
static void
ref_info(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evbuffer_add_printf(b, "{\"ok\":true,\"result\":{\"path\":\"%s\"}}",
	    evhttp_request_get_uri(req));
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* GET /hello: the smallest reply, as httptestd gives. */
static void
ref_hello(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evbuffer_add(b, "hello\n", 6);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* PUT /upload: the body has been buffered whole; count it. */
static void
ref_upload(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;

	n = evbuffer_get_length(evhttp_request_get_input_buffer(req));
	evbuffer_add_printf(b, "{\"ok\":true,\"result\":{\"bytes\":%zu}}", n);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* SIGTERM: stop. */
static void
ref_stop(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct event_base *base;
	struct evhttp *http;
	struct event *ev;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: http-evhttp-ref SOCKET\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 128) == -1) {
		perror("http-evhttp-ref");
		return 1;
	}
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_max_body_size(http, (ev_ssize_t)1 << 40);
	evhttp_set_cb(http, "/info", ref_info, NULL);
	evhttp_set_cb(http, "/hello", ref_hello, NULL);
	evhttp_set_cb(http, "/upload", ref_upload, NULL);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT);
	if (evhttp_accept_socket(http, fd) != 0) {
		fprintf(
		    stderr, "http-evhttp-ref: cannot accept on %s\n", argv[1]);
		return 1;
	}
	ev = evsignal_new(base, SIGTERM, ref_stop, base);
	evsignal_add(ev, NULL);
	event_base_dispatch(base);
	event_free(ev);
	evhttp_free(http);
	event_base_free(base);
	unlink(argv[1]);
	return 0;
}
