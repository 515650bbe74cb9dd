/*
 * ws.h -- WebSocket (RFC 6455) server side, for any daemon on http.h.
 *
 * Two layers.  The frame codec (wsframe.h) is pure code (fuzzed): it parses
 * one frame header at a time from bytes a peer sent and builds frame
 * headers.  The connection layer here takes an upgraded HTTP connection,
 * checks the handshake, reassembles fragmented messages up to a size limit,
 * answers pings, and closes with the right code on protocol errors.
 */
#ifndef KVM_WS_H
#define KVM_WS_H

#include <stddef.h>
#include <stdint.h>

#include "wsframe.h"

struct http_request;
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
