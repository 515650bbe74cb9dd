/*
 * wsframe.h -- the WebSocket (RFC 6455) frame codec and message reader.
 *
 * Pure code, no I/O (fuzzed): it parses one frame header at a time from
 * bytes a peer sent, builds frame headers, and reassembles messages.  The
 * connection layer on top of it is ws.h.
 */
#ifndef KVM_WSFRAME_H
#define KVM_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

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

#endif
