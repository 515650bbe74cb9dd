/*
 * ws.h -- WebSocket (RFC 6455) server side, for any daemon on http.h.
 *
 * Two layers.  The frame codec is pure code (fuzzed): it parses one frame
 * header at a time from bytes a peer sent and builds frame headers.  The
 * connection layer takes an upgraded HTTP connection, checks the handshake,
 * reassembles fragmented messages up to a size limit, answers pings, and
 * closes with the right code on protocol errors.
 */
#ifndef KVM_WS_H
#define KVM_WS_H

#include <stddef.h>
#include <stdint.h>

struct http_request;

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA,
};

enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005, /* never sent */
	WS_CLOSE_ABNORMAL = 1006,  /* never sent: gone without a close */
	WS_CLOSE_BAD_DATA = 1007,  /* e.g. text that is not UTF-8 */
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL = 1011,
};

struct ws_frame {
	int fin;
	int opcode; /* enum ws_opcode */
	int masked;
	uint8_t mask[4];
	uint64_t payload_len;
	size_t header_len; /* bytes before the payload */
};

/*
 * Parses one frame header from buf.  Returns 0 when more bytes are needed,
 * 1 with *ret filled, or -code (a ws_close_code) for a frame that breaks the
 * protocol: reserved bits set, an unknown opcode, a fragmented or oversized
 * (> 125) control frame, a non-minimal length encoding, an unmasked frame
 * when require_mask, or payload_len > max_payload (-WS_CLOSE_TOO_BIG).
 */
int ws_frame_parse(const uint8_t *buf, size_t len, int require_mask,
    uint64_t max_payload, struct ws_frame *ret);
/* XORs data with the mask, starting at payload offset off. */
void ws_unmask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t off);
/* Writes an unmasked server frame header for a payload of len; returns its
 * length (2, 4 or 10). out must hold 10 bytes. */
size_t ws_frame_header(uint8_t *out, int opcode, int fin, uint64_t len);
/* Sec-WebSocket-Accept for a client key: base64(SHA-1(key + GUID)).
 * out must hold 29 bytes. */
void ws_accept_key(const char *client_key, char *out);
/* 1 when s[0..len) is valid UTF-8. */
int ws_utf8_valid(const uint8_t *s, size_t len);
/* 1 when an Origin ("https://kvm.example:8443") names host[:port], a Host
 * or X-Forwarded-Host value (its first entry); a missing port on either
 * side is the Origin scheme's default.  "null" and malformed values: 0. */
int ws_origin_is_host(const char *origin, const char *host);

/*
 * The receiving half of the protocol, also pure code (the connection layer
 * runs on it, the fuzz target drives it): bytes in, in pieces of any size;
 * whole reassembled messages and control frames out.
 */
struct ws_reader;

struct ws_message {
	int opcode;	     /* TEXT, BINARY, CLOSE, PING or PONG */
	const uint8_t *data; /* unmasked; CLOSE: the reason */
	size_t len;
	int close_code; /* CLOSE: the peer's, or 1005 if none */
};

/* max_message bounds a reassembled message (0: 64 KiB). */
struct ws_reader *ws_reader_new(int require_mask, size_t max_message);
void ws_reader_free(struct ws_reader *); /* NULL is fine */
/*
 * Consumes bytes of buf (*ret_used says how many) until a message or a
 * control frame is complete, then returns 1 with *ret_msg filled (its data
 * stays valid until the next call).  Returns 0 when all of buf was used and
 * more is needed, or -code (a ws_close_code) when the peer broke the
 * protocol: 1002, 1007 for text or a close reason that is not UTF-8, 1009 for
 * a message over max_message.  After an error every call returns it again.
 */
int ws_reader_feed(struct ws_reader *, const uint8_t *buf, size_t len,
    size_t *ret_used, struct ws_message *ret_msg);

struct ws_conn;

struct ws_config {
	size_t max_message; /* 0: 64 KiB; larger -> close 1009 */
	/* Origins allowed, NULL-terminated; NULL: same host only (Origin's
	 * host[:port] must equal the Host or X-Forwarded-Host header). */
	const char *const *origins;
	unsigned int ping_interval_sec; /* 0: 30; a peer silent for
						 * twice that is closed */
	/* Unsent bytes allowed before ws_send() gives up on a peer that does
	 * not read and closes with 1008.  0: 1 MiB. */
	size_t max_pending;
};

struct ws_callbacks {
	/* A whole message (reassembled, unmasked; text checked as UTF-8). */
	void (*on_message)(
	    struct ws_conn *, int opcode, const uint8_t *, size_t, void *arg);
	/* Once, when the connection is gone for any reason; the conn is freed
	 * after it returns. code is the peer's close code or ours. */
	void (*on_close)(struct ws_conn *, int code, void *arg);
};

/*
 * Checks the upgrade request (GET, Upgrade: websocket, Connection: upgrade,
 * Sec-WebSocket-Version: 13, a 16-byte base64 key, an allowed Origin) and
 * takes the connection.  On a bad handshake it replies 400 (or 403 for a
 * foreign Origin) with the JSON envelope and returns -EINVAL/-EPERM.
 */
int ws_accept(struct http_request *, const struct ws_config *,
    const struct ws_callbacks *, void *arg, struct ws_conn **ret_conn);
/*
 * Queues one unfragmented message or control frame; never blocks.  -EPIPE
 * once the connection is closing; -ENOBUFS when the peer has let more than
 * max_pending bytes pile up (the connection is then closed with 1008).
 */
int ws_send(struct ws_conn *, int opcode, const void *, size_t);
int ws_send_text(struct ws_conn *, const char *);
/* Starts the closing handshake; on_close follows from the event loop (never
 * from inside this call), when the peer answered or after a few seconds.
 * Once the loop has been told to exit (a daemon stopping), no loop would
 * finish the handshake: then it acts as ws_abort(). */
void ws_close(struct ws_conn *, int code, const char *reason);
/* Closes now, for a daemon that is stopping: one non-blocking attempt to
 * send a close frame, then on_close runs before this returns (from inside
 * the conn's own callbacks: right after they return). */
void ws_abort(struct ws_conn *, int code, const char *reason);
const char *ws_origin(const struct ws_conn *); /* NULL if none sent */
const char *ws_peer(const struct ws_conn *);   /* "c12", for logs */
size_t ws_pending(const struct ws_conn *);     /* unsent bytes */

#endif
