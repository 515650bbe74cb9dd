/*
 * ws.c -- WebSocket (RFC 6455) connection layer on an upgraded http.h
 * connection; the frame codec and message reader are in wsframe.c.
 *
 * ws_accept() checks the handshake and writes the 101.  From then on the
 * conn owns the bufferevent: it runs the bytes through a ws_reader, answers
 * pings, pings a quiet peer and closes one silent for two intervals, runs the
 * closing handshake with timeouts, and refuses to queue more than
 * max_pending bytes for a peer that does not read (1008).  on_close runs
 * once, from the event loop, and the conn is freed right after it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "api.h"
#include "error.h"
#include "http.h"
#include "httpparse.h"
#include "log.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_DEFAULT_PING	   30
#define WS_DEFAULT_PENDING (1024 * 1024)
#define WS_CLOSE_WAIT_SEC  5 /* for the peer's close, or to flush ours */
#define WS_CONTROL_MAX	   125

enum ws_state {
	WS_STATE_OPEN,	   /* messages both ways */
	WS_STATE_CLOSING,  /* our close sent, waiting for the peer's */
	WS_STATE_FLUSHING, /* nothing more to read: flush, then finish */
	WS_STATE_DONE,
};

struct ws_conn {
	struct bufferevent *bev;
	struct ws_reader *rd;
	struct ws_callbacks cb;
	void *arg;
	char *origin, *peer;
	size_t max_pending;
	unsigned int ping_sec;
	int64_t last_rx_ms;
	struct event *ping_ev;	/* every ping_sec */
	struct event *close_ev; /* closing handshake deadline */
	struct event *task_ev;	/* deferred reading or finishing */
	enum ws_state state;
	int code; /* for on_close */
	int busy; /* inside the reading loop */
	int finish_pending;
};

/* Monotonic milliseconds. */
static int64_t
ws_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Tears the connection down: on_close, then free.  Never from inside the
 * reading loop (it marks and the loop finishes on its way out). */
static void
ws_finish(struct ws_conn *conn)
{
	if (conn->busy) {
		conn->finish_pending = 1;
		return;
	}
	conn->state = WS_STATE_DONE;
	event_free(conn->ping_ev);
	event_free(conn->close_ev);
	event_free(conn->task_ev);
	conn->ping_ev = conn->close_ev = conn->task_ev = NULL;
	bufferevent_free(conn->bev);
	conn->bev = NULL;
	if (conn->cb.on_close != NULL)
		conn->cb.on_close(conn, conn->code, conn->arg);
	ws_reader_free(conn->rd);
	free(conn->origin);
	free(conn->peer);
	free(conn);
}

/* Finishes from a fresh event-loop callback, so that on_close never runs
 * inside a call the application made. */
static void
ws_finish_soon(struct ws_conn *conn)
{
	conn->finish_pending = 1;
	event_active(conn->task_ev, EV_TIMEOUT, 0);
}

/* Appends one whole frame to the output, unbounded (callers check). */
static void
ws_write_frame(struct ws_conn *conn, int opcode, const void *data, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(conn->bev);
	uint8_t hdr[10];
	size_t hlen;

	hlen = ws_frame_header(hdr, opcode, 1, len);
	evbuffer_add(out, hdr, hlen);
	if (len > 0)
		evbuffer_add(out, data, len);
}

/* Sends a close frame: no body for "no status", else the code and as much of
 * the reason as fits in a control frame, cut between characters. */
static void
ws_write_close(struct ws_conn *conn, int code, const char *reason)
{
	uint8_t body[WS_CONTROL_MAX];
	size_t rlen = 0;

	if (code < 1000 || code > 4999 || code == WS_CLOSE_NO_STATUS ||
	    code == WS_CLOSE_ABNORMAL || code == 1015) {
		ws_write_frame(conn, WS_OP_CLOSE, NULL, 0);
		return;
	}
	body[0] = (uint8_t)(code >> 8);
	body[1] = (uint8_t)code;
	if (reason != NULL) {
		rlen = strlen(reason);
		if (rlen > sizeof(body) - 2) {
			rlen = sizeof(body) - 2;
			while (rlen > 0 && (reason[rlen] & 0xc0) == 0x80)
				rlen--;
		}
		if (!ws_utf8_valid((const uint8_t *)reason, rlen))
			rlen = 0;
		memcpy(body + 2, reason, rlen);
	}
	ws_write_frame(conn, WS_OP_CLOSE, body, 2 + rlen);
}

/* Stops reading; finishes once the output has reached the peer (or after
 * WS_CLOSE_WAIT_SEC for a peer that does not read). */
static void
ws_flush_and_finish(struct ws_conn *conn)
{
	struct timeval tv = {WS_CLOSE_WAIT_SEC, 0};

	conn->state = WS_STATE_FLUSHING;
	bufferevent_disable(conn->bev, EV_READ);
	event_del(conn->ping_ev);
	if (evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
		ws_finish_soon(conn);
	else if (!event_pending(conn->close_ev, EV_TIMEOUT, NULL))
		evtimer_add(conn->close_ev, &tv);
}

/* Fails the connection (RFC 6455 7.1.7): our close frame, then away. */
static void
ws_fail(struct ws_conn *conn, int code, const char *reason)
{
	if (conn->state == WS_STATE_OPEN) {
		conn->code = code;
		ws_write_close(conn, code, reason);
	}
	if (conn->state == WS_STATE_OPEN || conn->state == WS_STATE_CLOSING)
		ws_flush_and_finish(conn);
}

/* Queues a frame unless a peer that does not read has let too much pile up;
 * then the connection is closed with 1008. */
static int
ws_queue(struct ws_conn *conn, int opcode, const void *data, size_t len)
{
	size_t pending = evbuffer_get_length(bufferevent_get_output(conn->bev));

	if (pending > 0 &&
	    (len > conn->max_pending ||
		pending + len + 10 > conn->max_pending)) {
		ws_fail(conn, WS_CLOSE_POLICY, "peer does not read");
		return error_set(-ENOBUFS,
		    "WebSocket peer %s does not read: %zu bytes unsent",
		    conn->peer, pending);
	}
	ws_write_frame(conn, opcode, data, len);
	return 0;
}

/* One message or control frame from the reader. */
static void
ws_handle(struct ws_conn *conn, const struct ws_message *msg)
{
	switch (msg->opcode) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (conn->state == WS_STATE_OPEN && conn->cb.on_message)
			conn->cb.on_message(
			    conn, msg->opcode, msg->data, msg->len, conn->arg);
		break;
	case WS_OP_PING:
		if (conn->state == WS_STATE_OPEN)
			ws_queue(conn, WS_OP_PONG, msg->data, msg->len);
		break;
	case WS_OP_PONG:
		break; /* last_rx_ms is all a pong is for */
	case WS_OP_CLOSE:
		if (conn->state == WS_STATE_OPEN) {
			/* Echo the peer's code (RFC 6455 5.5.1). */
			conn->code = msg->close_code;
			ws_write_close(conn, msg->close_code, NULL);
		}
		ws_flush_and_finish(conn);
		break;
	}
}

/* The reason we give for failing a connection with code. */
static const char *
ws_close_reason(int code)
{
	switch (code) {
	case WS_CLOSE_TOO_BIG:
		return "message too big";
	case WS_CLOSE_BAD_DATA:
		return "invalid UTF-8";
	default:
		return "protocol error";
	}
}

/* Runs everything in the input buffer through the reader. */
static void
ws_process(struct ws_conn *conn)
{
	struct evbuffer *in = bufferevent_get_input(conn->bev);
	struct ws_message msg;
	const uint8_t *p;
	size_t n, used;
	int r;

	conn->busy++;
	while (
	    conn->state == WS_STATE_OPEN || conn->state == WS_STATE_CLOSING) {
		if ((n = evbuffer_get_contiguous_space(in)) == 0)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)n); /* no copy */
		r = ws_reader_feed(conn->rd, p, n, &used, &msg);
		evbuffer_drain(in, used);
		if (r < 0) {
			ws_fail(conn, -r, ws_close_reason(-r));
			break;
		}
		if (r == 1)
			ws_handle(conn, &msg);
	}
	conn->busy--;
	if (conn->finish_pending)
		ws_finish(conn);
}

/* Bytes from the peer. */
static void
ws_read_cb(struct bufferevent *bev, void *arg)
{
	struct ws_conn *conn = arg;

	conn->last_rx_ms = ws_now_ms();
	ws_process(conn);
}

/* The output buffer has drained. */
static void
ws_write_cb(struct bufferevent *bev, void *arg)
{
	struct ws_conn *conn = arg;

	if (conn->state == WS_STATE_FLUSHING)
		ws_finish(conn);
}

/* End of stream or a socket error. */
static void
ws_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ws_conn *conn = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	/* A peer that shut down its side may still read our close. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    conn->state == WS_STATE_FLUSHING)
		return;
	if (conn->state == WS_STATE_OPEN)
		conn->code = WS_CLOSE_ABNORMAL;
	ws_finish(conn);
}

/* Every ping_sec: ping the peer, or close it when it went silent. */
static void
ws_ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws_conn *conn = arg;

	if (conn->state != WS_STATE_OPEN)
		return;
	if (ws_now_ms() - conn->last_rx_ms >= 2000LL * conn->ping_sec) {
		ws_fail(conn, WS_CLOSE_GOING_AWAY, "peer silent");
		return;
	}
	ws_queue(conn, WS_OP_PING, NULL, 0);
}

/* The peer did not answer our close, or did not read it. */
static void
ws_close_cb(evutil_socket_t fd, short what, void *arg)
{
	ws_finish(arg);
}

/* Deferred work: bytes that came with the upgrade, or the end. */
static void
ws_task_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws_conn *conn = arg;

	if (conn->finish_pending)
		ws_finish(conn);
	else
		ws_process(conn);
}

/* 1 when the key is base64 for exactly 16 bytes. */
static int
ws_key_valid(const char *key)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	if (key == NULL || strlen(key) != 24 || strcmp(key + 22, "==") != 0)
		return 0;
	for (i = 0; i < 22; i++)
		if (key[i] == '\0' || strchr(b64, key[i]) == NULL)
			return 0;
	return 1;
}

/* 1 when the browser's Origin names the host the request was sent to. */
static int
ws_origin_same_host(struct http_request *req, const char *origin)
{
	const char *host;

	if ((host = http_request_header(req, "X-Forwarded-Host")) == NULL)
		host = http_request_header(req, "Host");
	return host != NULL && ws_origin_is_host(origin, host);
}

/* 1 when the handshake's Origin may open a WebSocket here. */
static int
ws_origin_allowed(struct http_request *req, const struct ws_config *config,
    const char *origin)
{
	const char *const *o;

	if (config->origins == NULL)
		return ws_origin_same_host(req, origin);
	for (o = config->origins; *o != NULL; o++)
		if (strcasecmp(*o, origin) == 0)
			return 1;
	return 0;
}

/* Refuses a handshake with the JSON envelope. */
static int
ws_refuse(struct http_request *req, int err, const char *message)
{
	if (err == -EINVAL)
		http_reply_header(req, "Sec-WebSocket-Version", "13");
	api_reply_error(req, err, message);
	return error_set(err, "%s", message);
}

/* The handshake's checks: 0, or the refusal sent (-EINVAL/-EPERM). */
static int
ws_check_handshake(struct http_request *req, const struct ws_config *config)
{
	const char *version, *origin;

	if (http_request_method(req) != HTTP_GET)
		return ws_refuse(
		    req, -EINVAL, "a WebSocket handshake is a GET request");
	if (!httpparse_list_has(
		http_request_header(req, "Upgrade"), "websocket"))
		return ws_refuse(req, -EINVAL,
		    "this URL is a WebSocket: send 'Upgrade: websocket'");
	if (!httpparse_list_has(
		http_request_header(req, "Connection"), "upgrade"))
		return ws_refuse(req, -EINVAL,
		    "a WebSocket handshake needs 'Connection: Upgrade'");
	version = http_request_header(req, "Sec-WebSocket-Version");
	if (version == NULL || strcmp(version, "13") != 0)
		return ws_refuse(req, -EINVAL,
		    "only WebSocket version 13 is supported "
		    "(Sec-WebSocket-Version: 13)");
	if (!ws_key_valid(http_request_header(req, "Sec-WebSocket-Key")))
		return ws_refuse(req, -EINVAL,
		    "Sec-WebSocket-Key must be 16 random bytes in base64");
	origin = http_request_header(req, "Origin");
	if (origin != NULL && !ws_origin_allowed(req, config, origin))
		return ws_refuse(req, -EPERM,
		    "WebSocket from a foreign Origin refused: open the page "
		    "from this host");
	return 0;
}

/* A connection on a taken-over bufferevent, its timers made. */
static struct ws_conn *
ws_conn_new(struct bufferevent *bev, const struct ws_config *config,
    const struct ws_callbacks *cbs, void *arg)
{
	struct event_base *base = bufferevent_get_base(bev);
	struct ws_conn *conn;

	conn = xcalloc(1, sizeof(*conn));
	conn->bev = bev;
	conn->rd = ws_reader_new(1, config->max_message);
	if (cbs != NULL)
		conn->cb = *cbs;
	conn->arg = arg;
	conn->max_pending =
	    config->max_pending ? config->max_pending : WS_DEFAULT_PENDING;
	conn->ping_sec = config->ping_interval_sec ? config->ping_interval_sec
						   : WS_DEFAULT_PING;
	conn->last_rx_ms = ws_now_ms();
	conn->ping_ev = event_new(base, -1, EV_PERSIST, ws_ping_cb, conn);
	conn->close_ev = evtimer_new(base, ws_close_cb, conn);
	conn->task_ev = event_new(base, -1, 0, ws_task_cb, conn);
	if (conn->ping_ev == NULL || conn->close_ev == NULL ||
	    conn->task_ev == NULL)
		xmalloc_fatal("a WebSocket connection's events");
	conn->state = WS_STATE_OPEN;
	return conn;
}

/* Checks the upgrade request and takes the connection; see ws.h. */
int
ws_accept(struct http_request *req, const struct ws_config *config,
    const struct ws_callbacks *cbs, void *arg, struct ws_conn **ret_conn)
{
	static const struct ws_config defaults = {0};
	struct bufferevent *bev;
	struct ws_conn *conn;
	struct timeval tv;
	const char *origin;
	char accept[32], *peer, *origin_copy;
	int r;

	if (config == NULL)
		config = &defaults;
	if ((r = ws_check_handshake(req, config)) < 0)
		return r;
	ws_accept_key(http_request_header(req, "Sec-WebSocket-Key"), accept);
	origin = http_request_header(req, "Origin");
	peer = xstrdup(http_request_peer(req));
	origin_copy = origin ? xstrdup(origin) : NULL;
	if ((bev = http_request_upgrade(req)) == NULL) {
		error_set(-EIO, "WebSocket %s: connection lost", peer);
		free(peer);
		free(origin_copy);
		return -EIO;
	}
	conn = ws_conn_new(bev, config, cbs, arg);
	conn->origin = origin_copy;
	conn->peer = peer;
	bufferevent_setcb(bev, ws_read_cb, ws_write_cb, ws_event_cb, conn);
	bufferevent_setwatermark(bev, EV_READ | EV_WRITE, 0, 0);
	bufferevent_set_timeouts(bev, NULL, NULL);
	evbuffer_add_printf(bufferevent_get_output(bev),
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n"
	    "\r\n",
	    accept);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	tv.tv_sec = conn->ping_sec;
	tv.tv_usec = 0;
	event_add(conn->ping_ev, &tv);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		event_active(conn->task_ev, EV_TIMEOUT, 0);
	*ret_conn = conn;
	return 0;
}

/* Queues a message; see ws.h. */
int
ws_send(struct ws_conn *conn, int opcode, const void *data, size_t len)
{
	if (conn->state != WS_STATE_OPEN)
		return error_set(-EPIPE, "WebSocket %s is closing", conn->peer);
	switch (opcode) {
	case WS_OP_TEXT:
		/* a peer must close on invalid text (RFC 6455 8.1): refuse
		 * to send it rather than lose the page */
		if (!ws_utf8_valid(data, len)) {
			log_warnx(
			    "WebSocket %s: a text message that is not valid UTF-8 was not sent",
			    conn->peer);
			return error_set(-EILSEQ,
			    "a WebSocket text message must be valid UTF-8");
		}
		break;
	case WS_OP_BINARY:
		break;
	case WS_OP_PING:
	case WS_OP_PONG:
		if (len > WS_CONTROL_MAX)
			return error_set(-EINVAL,
			    "a WebSocket ping or pong carries at most 125 bytes");
		break;
	default:
		return error_set(-EINVAL,
		    "WebSocket opcode %d cannot be sent with ws_send()",
		    opcode);
	}
	return ws_queue(conn, opcode, data, len);
}

/* Queues a text message. */
int
ws_send_text(struct ws_conn *conn, const char *text)
{
	return ws_send(conn, WS_OP_TEXT, text, strlen(text));
}

/* Starts the closing handshake. */
void
ws_close(struct ws_conn *conn, int code, const char *reason)
{
	struct event_base *base = bufferevent_get_base(conn->bev);
	struct timeval tv = {WS_CLOSE_WAIT_SEC, 0};

	if (conn->state != WS_STATE_OPEN)
		return;
	/* A daemon stopping after its loop ended: no loop will ever finish
	 * the handshake, so close now rather than leak the conn. */
	if (event_base_got_exit(base) || event_base_got_break(base)) {
		ws_abort(conn, code, reason);
		return;
	}
	conn->code = code;
	ws_write_close(conn, code, reason);
	conn->state = WS_STATE_CLOSING;
	event_del(conn->ping_ev);
	evtimer_add(conn->close_ev, &tv);
}

/* Closes now; see ws.h. */
void
ws_abort(struct ws_conn *conn, int code, const char *reason)
{
	struct evbuffer *out;
	evutil_socket_t fd;

	if (conn->state == WS_STATE_DONE)
		return; /* called from on_close: already going */
	if (conn->state == WS_STATE_OPEN) {
		conn->code = code;
		ws_write_close(conn, code, reason);
	}
	if (conn->state != WS_STATE_DONE) {
		/* libevent keeps the front of a socket bufferevent's output
		 * frozen outside its own write callback. */
		out = bufferevent_get_output(conn->bev);
		fd = bufferevent_getfd(conn->bev);
		if (fd >= 0) {
			evbuffer_unfreeze(out, 1);
			evbuffer_write(out, fd);
			evbuffer_freeze(out, 1);
		}
		conn->state = WS_STATE_FLUSHING;
	}
	ws_finish(conn);
}

/* The Origin header of the handshake; NULL if none was sent. */
const char *
ws_origin(const struct ws_conn *conn)
{
	return conn->origin;
}

/* A short id for logs. */
const char *
ws_peer(const struct ws_conn *conn)
{
	return conn->peer;
}

/* Bytes queued for the peer that have not reached the socket. */
size_t
ws_pending(const struct ws_conn *conn)
{
	if (conn->bev == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(conn->bev));
}
