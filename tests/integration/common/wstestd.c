/*
 * wstestd.c -- an echo WebSocket on common/http-*.c (the HTTP server) and common/ws.c, for the
 * integration tests of ws.c (test_ws.py).
 *
 *	wstestd --socket PATH [--config F] [--max-message N]
 *	    [--ping-interval SEC] [--max-pending N] [--origin O]...
 *
 * GET /ws echoes every message with its opcode, except text commands:
 * "!close CODE REASON" starts the closing handshake, "!abort" closes from
 * inside the message callback, "!flood" sends 64 KiB binary messages every
 * 2 ms until ws_send() refuses, "!badtext" has ws_send() try a text
 * message that is not UTF-8 and answers "refused" when it does.  GET /stats lists each connection's close
 * code as on_close saw it, so tests can check it ran once with the right
 * code.  SIGTERM closes open connections with 1001 and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "api.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "sock.h"
#include "ws.h"
#include "xmalloc.h"

#define MAX_ORIGINS 8

struct client {
	struct ws_conn *conn;
	struct event *flood_ev;
	struct client *next;
};

static struct {
	struct event_base *base;
	struct http_server *srv;
	struct ws_config wcfg;
	const char *origins[MAX_ORIGINS + 1];
	size_t norigins;
	struct client *clients;
	json_t *closed; /* [{"peer", "code"}] */
	unsigned long accepted, refused;
	int flood_result;     /* ws_send()'s refusal */
	size_t flood_pending; /* ws_pending() then */
} td;

static char flood_block[65536];

/* Unlinks a client from the list. */
static void
client_remove(struct client *cl)
{
	struct client **p;

	for (p = &td.clients; *p != NULL; p = &(*p)->next)
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	event_free(cl->flood_ev);
	free(cl);
}

/* Every 2 ms during "!flood": one more 64 KiB message. */
static void
flood_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;
	size_t pending = ws_pending(cl->conn);
	int r;

	if ((r = ws_send(cl->conn, WS_OP_BINARY, flood_block,
		 sizeof(flood_block))) < 0) {
		td.flood_result = r;
		td.flood_pending = pending;
		event_del(cl->flood_ev);
	}
}

/* A message: a command or an echo. */
static void
message_cb(struct ws_conn *conn, int opcode, const uint8_t *data, size_t len,
    void *arg)
{
	struct client *cl = arg;
	struct timeval tv = {0, 2000};
	char text[128], reason[128];
	int code = 0;

	if (opcode == WS_OP_TEXT && len >= 7 && len < sizeof(text) &&
	    memcmp(data, "!close ", 7) == 0) {
		memcpy(text, data, len);
		text[len] = '\0';
		reason[0] = '\0';
		if (sscanf(text + 7, "%d %100[^\n]", &code, reason) >= 1) {
			ws_close(conn, code, reason);
			return;
		}
	}
	if (opcode == WS_OP_TEXT && len == 6 &&
	    memcmp(data, "!abort", 6) == 0) {
		ws_abort(conn, WS_CLOSE_GOING_AWAY, "aborted");
		return;
	}
	if (opcode == WS_OP_TEXT && len == 6 &&
	    memcmp(data, "!flood", 6) == 0) {
		event_add(cl->flood_ev, &tv);
		return;
	}
	if (opcode == WS_OP_TEXT && len == 8 &&
	    memcmp(data, "!badtext", 8) == 0) {
		if (ws_send(conn, WS_OP_TEXT, "\xed\xa0\x80", 3) == -EILSEQ)
			ws_send_text(conn, "refused");
		return;
	}
	if (ws_send(conn, opcode, data, len) < 0)
		log_warnx("%s: %s", ws_peer(conn), error_get());
}

/* The connection is gone: record how, once. */
static void
close_cb(struct ws_conn *conn, int code, void *arg)
{
	struct client *cl = arg;

	log_info("%s closed with %d", ws_peer(conn), code);
	json_array_append_new(td.closed,
	    json_pack("{s:s, s:i}", "peer", ws_peer(conn), "code", code));
	client_remove(cl);
}

/* GET /ws */
static void
ws_cb(struct http_request *req, void *arg)
{
	static const struct ws_callbacks cbs = {message_cb, close_cb};
	struct client *cl;
	int r;

	cl = xcalloc(1, sizeof(*cl));
	if ((r = ws_accept(req, &td.wcfg, &cbs, cl, &cl->conn)) < 0) {
		log_info("handshake refused: %s", error_get());
		td.refused++;
		free(cl);
		return;
	}
	cl->flood_ev = event_new(td.base, -1, EV_PERSIST, flood_cb, cl);
	cl->next = td.clients;
	td.clients = cl;
	td.accepted++;
}

/* GET /stats */
static void
stats_cb(struct http_request *req, void *arg)
{
	struct client *cl;
	json_t *open = json_array();

	for (cl = td.clients; cl != NULL; cl = cl->next)
		json_array_append_new(open,
		    json_pack("{s:s, s:s?, s:I}", "peer", ws_peer(cl->conn),
			"origin", ws_origin(cl->conn), "pending",
			(json_int_t)ws_pending(cl->conn)));
	api_reply_ok(req,
	    json_pack("{s:o, s:O, s:I, s:I, s:i, s:I}", "open", open, "closed",
		td.closed, "accepted", (json_int_t)td.accepted, "refused",
		(json_int_t)td.refused, "flood_result", td.flood_result,
		"flood_pending", (json_int_t)td.flood_pending));
}

static const struct http_route routes[] = {
    {"/ws", HTTP_GET, ws_cb, 0},
    {"/stats", HTTP_GET, stats_cb, 0},
    {NULL, 0, NULL, 0},
};

/* SIGTERM/SIGINT: leave the loop. */
static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(td.base, NULL);
}

/* A number from the command line, or exit. */
static unsigned long
number(const char *opt, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0') {
		fprintf(
		    stderr, "wstestd: --%s wants a number, not '%s'\n", opt, s);
		exit(1);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"config", required_argument, NULL, 'C'},
	    {"max-message", required_argument, NULL, 'm'},
	    {"ping-interval", required_argument, NULL, 'p'},
	    {"max-pending", required_argument, NULL, 'P'},
	    {"origin", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	struct http_server_config cfg = {0};
	struct sock_listen_config lc = {NULL, 0660, NULL};
	struct event *sigterm, *sigint;
	struct client *cl, *next;
	int ch, fd;

	log_init("wstestd");
	memset(flood_block, 'f', sizeof(flood_block));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			lc.path = optarg;
			break;
		case 'C':
			break; /* kvmtest.Daemon passes one; unused */
		case 'm':
			td.wcfg.max_message = number("max-message", optarg);
			break;
		case 'p':
			td.wcfg.ping_interval_sec =
			    number("ping-interval", optarg);
			break;
		case 'P':
			td.wcfg.max_pending = number("max-pending", optarg);
			break;
		case 'o':
			if (td.norigins == MAX_ORIGINS) {
				fprintf(stderr, "wstestd: too many --origin\n");
				return 1;
			}
			td.origins[td.norigins++] = optarg;
			td.wcfg.origins = td.origins;
			break;
		default:
			return 1;
		}
	}
	if (lc.path == NULL) {
		fprintf(stderr, "wstestd: --socket PATH is needed\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	td.closed = json_array();
	td.base = event_base_new();
	if (sock_listen(&lc, &fd) < 0) {
		fprintf(stderr, "wstestd: %s\n", error_get());
		return 1;
	}
	td.srv = http_server_new(td.base, &cfg, routes, &td);
	if (http_server_add_listener(td.srv, fd) < 0) {
		fprintf(stderr, "wstestd: %s\n", error_get());
		return 1;
	}
	sigterm = evsignal_new(td.base, SIGTERM, stop_cb, NULL);
	sigint = evsignal_new(td.base, SIGINT, stop_cb, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	event_base_dispatch(td.base);
	/* Like hidd: ws_close() after the loop has ended closes at once. */
	for (cl = td.clients; cl != NULL; cl = next) {
		next = cl->next;
		ws_close(cl->conn, WS_CLOSE_GOING_AWAY, "server stopping");
	}
	http_server_free(td.srv);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(td.base);
	json_decref(td.closed);
	return 0;
}
