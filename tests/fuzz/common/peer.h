/*
 * peer.h -- the client side of the route fuzz targets (fuzz-<daemon>-routes).
 *
 * A target sets its daemon up as main() does, on a socket in a private
 * directory, and hands each input to peer_run(): the bytes go to the daemon
 * on one connection, as they are (so one input may carry several requests,
 * any method, path, query, headers and body), the daemon's loop runs until
 * it has said what it will say, bounded in time, and every reply is checked
 * against the documented envelope.  A reply that is not an HTTP/1.1 reply,
 * or an error that is not {"ok": false, "error": {"code", "message"}} with
 * the code that goes with its status, or JSON that does not parse (invalid
 * UTF-8 included), aborts with the reason on stderr: libFuzzer counts it as
 * a crash like a sanitizer report or an exit.  redfishd's Redfish replies
 * (those with OData-Version) are checked against Redfish's format instead
 * (PEER_ENVELOPE_REDFISH).
 */
#ifndef FUZZ_PEER_H
#define FUZZ_PEER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* What the daemon's replies are checked against. */
enum peer_envelope {
	/* {"ok": true, "result"} / {"ok": false, "error": {code, message}} */
	PEER_ENVELOPE_KVM,
	/* a reply with OData-Version is a Redfish one: a resource object
	 * with @odata.id, an error {"error": {code, message,
	 * @Message.ExtendedInfo}}, $metadata's XML; the others (the server's
	 * own errors, /state, /metrics, /auth/token) as PEER_ENVELOPE_KVM */
	PEER_ENVELOPE_REDFISH,
};

/* The daemon under test, and how long to wait for it. */
struct peer_daemon {
	struct event_base *base; /* the daemon's loop */
	const char *path;	 /* its socket */
	unsigned int settle_ms;	 /* no reply byte for this long: done */
	unsigned int max_ms;	 /* per phase, whatever happens (streams) */
	/* 1 while the daemon has work in flight that ends in a reply (a
	 * pulse someone waits for): settle_ms does not count then; NULL: 0 */
	int (*busy)(void *arg);
	/* What the daemon's main() does at a stop before it stops serving
	 * (gpiod-ctl answers the waiting requests): run with the connection
	 * still open, then the replies settle once more; NULL: none */
	void (*stop)(void *arg);
	void *arg;
	enum peer_envelope envelope; /* 0: PEER_ENVELOPE_KVM */
};

/* Sends data on a new connection to the daemon, runs its loop until the
 * replies settle, stops (if stop is set) and runs until they settle,
 * half-closes and runs until they settle again, closes; then checks the
 * replies (abort() on a bad one). */
void peer_run(const struct peer_daemon *, const uint8_t *data, size_t size);

/* A private directory for this process, removed with all it holds at exit. */
const char *peer_tmpdir(void);
/* Empties a directory (files and subdirectories), keeping it. */
void peer_empty_dir(const char *path);
/* Writes a file (abort() on failure). */
void peer_write_file(const char *path, const void *data, size_t len);

#endif
