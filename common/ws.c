/*
 * ws.c -- WebSocket (RFC 6455) server side: frame codec, message reader and
 * the connection layer on an upgraded http.h connection.
 *
 * The first two parts are pure code and see only bytes: the codec parses and
 * builds frame headers, the reader turns a byte stream from a client into
 * whole messages and control frames, checking everything the RFC asks of a
 * server (masking, fragmentation rules, sizes, UTF-8, close payloads).  The
 * connection layer owns the bufferevent after the handshake, answers pings,
 * pings a quiet peer, runs the closing handshake with timeouts and refuses to
 * queue more than max_pending bytes for a peer that does not read.  on_close
 * runs once, from the event loop, and the conn is freed right after it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/evp.h>

#include "api.h"
#include "error.h"
#include "http.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_GUID		   "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_DEFAULT_MESSAGE (64 * 1024)
#define WS_DEFAULT_PING	   30
#define WS_DEFAULT_PENDING (1024 * 1024)
#define WS_CLOSE_WAIT_SEC  5 /* for the peer's close, or to flush ours */
#define WS_CONTROL_MAX	   125

/* Frame codec. */

/* 1 for the opcodes RFC 6455 defines. */
static int
ws_opcode_known(int op)
{
	return op == WS_OP_CONT || op == WS_OP_TEXT || op == WS_OP_BINARY ||
	    op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG;
}

/* Parses one frame header; see ws.h. */
int
ws_frame_parse(const uint8_t *buf, size_t len, int require_mask,
    uint64_t max_payload, struct ws_frame *ret)
{
	struct ws_frame f = {0};
	uint64_t plen;
	size_t hlen = 2, i;
	int len7;

	if (len < 1)
		return 0;
	f.fin = buf[0] >> 7;
	f.opcode = buf[0] & 0x0f;
	if (buf[0] & 0x70)
		return -WS_CLOSE_PROTOCOL; /* no extension negotiated */
	if (!ws_opcode_known(f.opcode))
		return -WS_CLOSE_PROTOCOL;
	if ((f.opcode & 0x8) && !f.fin)
		return -WS_CLOSE_PROTOCOL; /* fragmented control frame */
	if (len < 2)
		return 0;
	f.masked = buf[1] >> 7;
	len7 = buf[1] & 0x7f;
	if (require_mask && !f.masked)
		return -WS_CLOSE_PROTOCOL;
	if ((f.opcode & 0x8) && len7 > WS_CONTROL_MAX)
		return -WS_CLOSE_PROTOCOL;
	if (len7 == 126) {
		hlen = 4;
		if (len < hlen)
			return 0;
		plen = (uint64_t)buf[2] << 8 | buf[3];
		if (plen < 126)
			return -WS_CLOSE_PROTOCOL; /* not minimal */
	} else if (len7 == 127) {
		hlen = 10;
		if (len < hlen)
			return 0;
		for (plen = 0, i = 2; i < 10; i++)
			plen = plen << 8 | buf[i];
		if (plen >> 63)
			return -WS_CLOSE_PROTOCOL; /* top bit must be 0 */
		if (plen <= 0xffff)
			return -WS_CLOSE_PROTOCOL; /* not minimal */
	} else
		plen = (uint64_t)len7;
	if (plen > max_payload)
		return -WS_CLOSE_TOO_BIG;
	if (f.masked) {
		if (len < hlen + 4)
			return 0;
		memcpy(f.mask, buf + hlen, 4);
		hlen += 4;
	}
	f.payload_len = plen;
	f.header_len = hlen;
	*ret = f;
	return 1;
}

/* XORs data with the mask, starting at payload offset off. */
void
ws_unmask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t off)
{
	uint8_t m[8];
	uint64_t m64, w;
	size_t i = 0;
	unsigned int k;

	/* Rotate the mask so that m[0] applies to data[0]. */
	for (k = 0; k < 8; k++)
		m[k] = mask[(off + k) & 3];
	memcpy(&m64, m, 8);
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, data + i, 8);
		w ^= m64;
		memcpy(data + i, &w, 8);
	}
	for (; i < len; i++)
		data[i] ^= m[i & 7];
}

/* Writes a server frame header; see ws.h. */
size_t
ws_frame_header(uint8_t *out, int opcode, int fin, uint64_t len)
{
	int i;

	out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

/* Sec-WebSocket-Accept for a client key. */
void
ws_accept_key(const char *client_key, char *out)
{
	EVP_MD_CTX *ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		abort();
	if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, client_key, strlen(client_key)) != 1 ||
	    EVP_DigestUpdate(ctx, WS_GUID, strlen(WS_GUID)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 20)
		abort(); /* SHA-1 always exists in libcrypto */
	EVP_MD_CTX_free(ctx);
	EVP_EncodeBlock((unsigned char *)out, md, 20); /* 28 chars + NUL */
}

/* UTF-8 checked in pieces: bytes still expected and the range of the next. */
struct ws_utf8 {
	uint8_t need, lo, hi;
};

/* Feeds bytes to the UTF-8 check; 0 as soon as they cannot be UTF-8.
 * Overlong forms, surrogates and code points past U+10FFFF are refused. */
static int
ws_utf8_step(struct ws_utf8 *u, const uint8_t *s, size_t len)
{
	uint64_t w;
	size_t i = 0;
	uint8_t c;

	while (i < len) {
		if (u->need == 0 && i + 8 <= len) {
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		c = s[i++];
		if (u->need > 0) {
			if (c < u->lo || c > u->hi)
				return 0;
			u->need--;
			u->lo = 0x80;
			u->hi = 0xbf;
			continue;
		}
		if (c < 0x80)
			continue;
		u->lo = 0x80;
		u->hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			u->need = 1;
		else if (c == 0xe0) {
			u->need = 2;
			u->lo = 0xa0;
		} else if (c == 0xed) {
			u->need = 2;
			u->hi = 0x9f; /* no surrogates */
		} else if (c >= 0xe1 && c <= 0xef)
			u->need = 2;
		else if (c == 0xf0) {
			u->need = 3;
			u->lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3)
			u->need = 3;
		else if (c == 0xf4) {
			u->need = 3;
			u->hi = 0x8f; /* up to U+10FFFF */
		} else
			return 0;
	}
	return 1;
}

/* 1 when s[0..len) is valid UTF-8. */
int
ws_utf8_valid(const uint8_t *s, size_t len)
{
	struct ws_utf8 u = {0, 0x80, 0xbf};

	return ws_utf8_step(&u, s, len) && u.need == 0;
}

/* 1 for a close code a peer may send (RFC 6455 section 7.4). */
static int
ws_close_code_valid(int code)
{
	if (code >= 3000 && code <= 4999)
		return 1;
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

/* Message reader. */

struct ws_reader {
	int require_mask;
	size_t max_message;
	int error; /* sticky -code */

	uint8_t hdr[14]; /* a frame header being collected */
	size_t hdr_len;
	int in_frame; /* header parsed, payload coming */
	struct ws_frame frame;
	uint64_t frame_got;

	int msg_opcode; /* TEXT/BINARY in progress, else 0 */
	int msg_done;	/* last call returned the message */
	uint8_t *msg;
	size_t msg_len, msg_cap;
	struct ws_utf8 utf8;

	uint8_t ctl[WS_CONTROL_MAX];
	size_t ctl_len;
};

/* A reader for one connection. */
struct ws_reader *
ws_reader_new(int require_mask, size_t max_message)
{
	struct ws_reader *rd;

	rd = xcalloc(1, sizeof(*rd));
	rd->require_mask = require_mask;
	rd->max_message = max_message ? max_message : WS_DEFAULT_MESSAGE;
	return rd;
}

/* Frees a reader; NULL is fine. */
void
ws_reader_free(struct ws_reader *rd)
{
	if (rd == NULL)
		return;
	free(rd->msg);
	free(rd);
}

/* Remembers the first protocol error and returns it. */
static int
ws_reader_fail(struct ws_reader *rd, int code)
{
	rd->error = -code;
	return rd->error;
}

/* Checks a parsed frame against the message in progress and starts it. */
static int
ws_reader_begin(struct ws_reader *rd)
{
	const struct ws_frame *f = &rd->frame;

	if (f->opcode & 0x8) {
		rd->ctl_len = 0;
		return 0;
	}
	if (f->opcode == WS_OP_CONT) {
		if (rd->msg_opcode == 0)
			return ws_reader_fail(rd, WS_CLOSE_PROTOCOL);
		return 0;
	}
	if (rd->msg_opcode != 0)
		return ws_reader_fail(rd, WS_CLOSE_PROTOCOL);
	rd->msg_opcode = f->opcode;
	rd->msg_len = 0;
	rd->utf8 = (struct ws_utf8){0, 0x80, 0xbf};
	return 0;
}

/* Copies n payload bytes of the current frame to where they belong. */
static int
ws_reader_payload(struct ws_reader *rd, const uint8_t *p, size_t n)
{
	uint8_t *dst;
	size_t cap;

	if (rd->frame.opcode & 0x8) {
		dst = rd->ctl + rd->ctl_len;
		rd->ctl_len += n;
	} else {
		/* Bounded by max_message: ws_frame_parse() checked the frame
		 * against what was left. */
		if (rd->msg_len + n > rd->msg_cap) {
			cap = rd->msg_cap ? rd->msg_cap : 4096;
			while (cap < rd->msg_len + n)
				cap *= 2;
			if (cap > rd->max_message)
				cap = rd->max_message;
			rd->msg = xreallocarray(rd->msg, 1, cap);
			rd->msg_cap = cap;
		}
		dst = rd->msg + rd->msg_len;
		rd->msg_len += n;
	}
	memcpy(dst, p, n);
	if (rd->frame.masked)
		ws_unmask(dst, n, rd->frame.mask, rd->frame_got);
	rd->frame_got += n;
	if (rd->msg_opcode == WS_OP_TEXT && !(rd->frame.opcode & 0x8) &&
	    !ws_utf8_step(&rd->utf8, dst, n))
		return ws_reader_fail(rd, WS_CLOSE_BAD_DATA);
	return 0;
}

/* A frame is complete: 1 with *msg when that completes something. */
static int
ws_reader_end(struct ws_reader *rd, struct ws_message *msg)
{
	const struct ws_frame *f = &rd->frame;

	rd->in_frame = 0;
	if (f->opcode & 0x8) {
		msg->opcode = f->opcode;
		msg->data = rd->ctl;
		msg->len = rd->ctl_len;
		msg->close_code = 0;
		if (f->opcode != WS_OP_CLOSE)
			return 1;
		msg->close_code = WS_CLOSE_NO_STATUS;
		if (rd->ctl_len == 1)
			return ws_reader_fail(rd, WS_CLOSE_PROTOCOL);
		if (rd->ctl_len >= 2) {
			msg->close_code = rd->ctl[0] << 8 | rd->ctl[1];
			if (!ws_close_code_valid(msg->close_code))
				return ws_reader_fail(rd, WS_CLOSE_PROTOCOL);
			msg->data = rd->ctl + 2;
			msg->len = rd->ctl_len - 2;
			if (!ws_utf8_valid(msg->data, msg->len))
				return ws_reader_fail(rd, WS_CLOSE_BAD_DATA);
		}
		return 1;
	}
	if (!f->fin)
		return 0;
	if (rd->msg_opcode == WS_OP_TEXT && rd->utf8.need != 0)
		return ws_reader_fail(rd, WS_CLOSE_BAD_DATA);
	msg->opcode = rd->msg_opcode;
	msg->data = rd->msg ? rd->msg : rd->ctl; /* never NULL, even empty */
	msg->len = rd->msg_len;
	msg->close_code = 0;
	rd->msg_opcode = 0;
	rd->msg_done = 1;
	return 1;
}

/* Feeds bytes from the peer; see ws.h. */
int
ws_reader_feed(struct ws_reader *rd, const uint8_t *buf, size_t len,
    size_t *ret_used, struct ws_message *ret_msg)
{
	struct ws_message msg;
	uint64_t room;
	size_t used = 0, n, old;
	int r;

	*ret_used = 0;
	if (rd->error)
		return rd->error;
	if (rd->msg_done) {
		rd->msg_done = 0;
		rd->msg_len = 0;
	}
	for (;;) {
		if (!rd->in_frame) {
			if (used == len)
				break;
			old = rd->hdr_len;
			n = sizeof(rd->hdr) - old;
			if (n > len - used)
				n = len - used;
			memcpy(rd->hdr + old, buf + used, n);
			/* Control frames may come between fragments and have
			 * their own limit; data frames get what is left. */
			room = rd->max_message - rd->msg_len;
			if (rd->hdr[0] & 0x8)
				room = WS_CONTROL_MAX;
			r = ws_frame_parse(rd->hdr, old + n, rd->require_mask,
			    room, &rd->frame);
			if (r < 0) {
				*ret_used = used;
				return ws_reader_fail(rd, -r);
			}
			if (r == 0) {
				rd->hdr_len = old + n;
				used += n;
				continue;
			}
			used += rd->frame.header_len - old;
			rd->hdr_len = 0;
			rd->in_frame = 1;
			rd->frame_got = 0;
			if ((r = ws_reader_begin(rd)) < 0) {
				*ret_used = used;
				return r;
			}
		}
		n = len - used;
		if (n > rd->frame.payload_len - rd->frame_got)
			n = (size_t)(rd->frame.payload_len - rd->frame_got);
		if (n > 0 && (r = ws_reader_payload(rd, buf + used, n)) < 0) {
			*ret_used = used + n;
			return r;
		}
		used += n;
		if (rd->frame_got < rd->frame.payload_len)
			break; /* buf is used up */
		if ((r = ws_reader_end(rd, &msg)) != 0) {
			*ret_used = used;
			if (r == 1)
				*ret_msg = msg;
			return r;
		}
	}
	*ret_used = used;
	return 0;
}

/* Connection layer. */

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

/* 1 when the comma-separated header value has the token (any case). */
static int
ws_has_token(const char *value, const char *token)
{
	size_t tlen = strlen(token), n;
	const char *p = value;

	if (value == NULL)
		return 0;
	while (*p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == tlen && strncasecmp(p, token, n) == 0)
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
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

/* Splits "host[:port]" or "[v6]:port"; 0, or -1 when malformed.  An absent
 * port leaves *ret_port alone. */
static int
ws_split_hostport(const char *s, size_t len, const char **ret_host,
    size_t *ret_hlen, long *ret_port)
{
	const char *colon = NULL, *end = s + len, *p;
	long port = 0;

	if (len == 0)
		return -1;
	if (s[0] == '[') {
		if ((p = memchr(s, ']', len)) == NULL)
			return -1;
		*ret_host = s;
		*ret_hlen = (size_t)(p + 1 - s);
		if (p + 1 < end) {
			if (p[1] != ':')
				return -1;
			colon = p + 1;
		}
	} else {
		colon = memchr(s, ':', len);
		*ret_host = s;
		*ret_hlen = colon ? (size_t)(colon - s) : len;
		if (*ret_hlen == 0)
			return -1;
	}
	for (p = *ret_host; p < *ret_host + *ret_hlen; p++)
		if (*p == '/' || *p == '@' || *p == ' ' || *p == '\\')
			return -1;
	if (colon == NULL)
		return 0;
	if (colon + 1 == end || end - colon > 6)
		return -1;
	for (p = colon + 1; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (*p - '0');
	}
	if (port < 1 || port > 65535)
		return -1;
	*ret_port = port;
	return 0;
}

/* 1 when an Origin names host[:port]; see ws.h. */
int
ws_origin_is_host(const char *origin, const char *host)
{
	const char *oh, *hh, *sep, *rest;
	size_t ohlen, hhlen, hostlen;
	long defport = -1, oport, hport;

	hostlen = strcspn(host, ","); /* the first proxy's view */
	while (hostlen > 0 && (host[hostlen - 1] == ' '))
		hostlen--;
	if ((sep = strstr(origin, "://")) == NULL)
		return 0;
	if ((size_t)(sep - origin) == 4 && strncasecmp(origin, "http", 4) == 0)
		defport = 80;
	else if ((size_t)(sep - origin) == 5 &&
	    strncasecmp(origin, "https", 5) == 0)
		defport = 443;
	oport = defport;
	rest = sep + 3;
	if (ws_split_hostport(rest, strlen(rest), &oh, &ohlen, &oport) < 0)
		return 0;
	if (oport < 0)
		return 0; /* an unknown scheme without a port */
	hport = defport;  /* a Host without a port means the scheme's */
	if (ws_split_hostport(host, hostlen, &hh, &hhlen, &hport) < 0)
		return 0;
	return ohlen == hhlen && strncasecmp(oh, hh, ohlen) == 0 &&
	    oport == hport;
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

/* Checks the upgrade request and takes the connection; see ws.h. */
int
ws_accept(struct http_request *req, const struct ws_config *config,
    const struct ws_callbacks *cbs, void *arg, struct ws_conn **ret_conn)
{
	static const struct ws_config defaults = {0};
	struct bufferevent *bev;
	struct event_base *base;
	struct ws_conn *conn;
	struct timeval tv;
	const char *key, *origin, *version;
	char accept[32], *peer, *origin_copy;

	if (config == NULL)
		config = &defaults;
	if (http_request_method(req) != HTTP_GET)
		return ws_refuse(
		    req, -EINVAL, "a WebSocket handshake is a GET request");
	if (!ws_has_token(http_request_header(req, "Upgrade"), "websocket"))
		return ws_refuse(req, -EINVAL,
		    "this URL is a WebSocket: send 'Upgrade: websocket'");
	if (!ws_has_token(http_request_header(req, "Connection"), "upgrade"))
		return ws_refuse(req, -EINVAL,
		    "a WebSocket handshake needs 'Connection: Upgrade'");
	version = http_request_header(req, "Sec-WebSocket-Version");
	if (version == NULL || strcmp(version, "13") != 0)
		return ws_refuse(req, -EINVAL,
		    "only WebSocket version 13 is supported "
		    "(Sec-WebSocket-Version: 13)");
	key = http_request_header(req, "Sec-WebSocket-Key");
	if (!ws_key_valid(key))
		return ws_refuse(req, -EINVAL,
		    "Sec-WebSocket-Key must be 16 random bytes in base64");
	origin = http_request_header(req, "Origin");
	if (origin != NULL && !ws_origin_allowed(req, config, origin))
		return ws_refuse(req, -EPERM,
		    "WebSocket from a foreign Origin refused: open the page "
		    "from this host");

	ws_accept_key(key, accept);
	peer = xstrdup(http_request_peer(req));
	origin_copy = origin ? xstrdup(origin) : NULL;
	if ((bev = http_request_upgrade(req)) == NULL) {
		error_set(-EIO, "WebSocket %s: connection lost", peer);
		free(peer);
		free(origin_copy);
		return -EIO;
	}
	base = bufferevent_get_base(bev);
	conn = xcalloc(1, sizeof(*conn));
	conn->bev = bev;
	conn->rd = ws_reader_new(1, config->max_message);
	if (cbs != NULL)
		conn->cb = *cbs;
	conn->arg = arg;
	conn->origin = origin_copy;
	conn->peer = peer;
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
		abort(); /* out of memory */
	conn->state = WS_STATE_OPEN;

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
	case WS_OP_BINARY:
		break;
	case WS_OP_PING:
	case WS_OP_PONG:
		if (len > WS_CONTROL_MAX)
			return error_set(-EINVAL,
			    "a WebSocket ping or pong carries at most 125 "
			    "bytes");
		break;
	default:
		return error_set(-EINVAL,
		    "WebSocket opcode %d cannot be sent "
		    "with ws_send()",
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
	struct timeval tv = {WS_CLOSE_WAIT_SEC, 0};

	if (conn->state != WS_STATE_OPEN)
		return;
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
