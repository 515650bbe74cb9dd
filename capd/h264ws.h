/*
 * h264ws.h -- the H.264 WebSocket: clients, the stage while they watch.
 *
 * Each client gets binary messages of one access unit each (annexb.h's
 * header, then Annex-B; capd/PROTOCOL.md).  The stage (h264.h) runs from
 * the first client to the last.  A new client waits for a keyframe and
 * asks for one at once.  The slow-client rule: when a client's unsent
 * bytes pass H264WS_MAX_PENDING it gets nothing more until the next
 * keyframe, and one is asked for it; nobody else waits, and no client's
 * buffer grows past the bound plus one access unit.  Loop thread only.
 */
#ifndef CAPD_H264WS_H
#define CAPD_H264WS_H

#include <stddef.h>

#include <jansson.h>

#include "h264.h"

struct event_base;
struct frame;
struct http_request;
struct metrics;
struct h264ws;

#define H264WS_MAX_PENDING (512 * 1024)

/* What to do with an access unit for one client. */
enum h264ws_action {
	H264WS_SEND,
	H264WS_SKIP,	 /* waiting for a keyframe */
	H264WS_SKIP_KEY, /* too far behind: skip, and ask for a keyframe */
};

/*
 * The slow-client rule for one client with pending unsent bytes: *waiting
 * is its "wait for a keyframe" state, updated.
 */
enum h264ws_action h264ws_decide(
    size_t pending, size_t max_pending, int keyframe, int *waiting);

/* clients_cb runs when the number of clients changes. */
struct h264ws *h264ws_new(struct event_base *, const struct h264_params *,
    void (*clients_cb)(void *), void *arg);
void h264ws_free(struct h264ws *); /* NULL ok; closes the clients */
/* The backend each stage starts with (default openh264); one other than
 * openh264 falls back to it. */
void h264ws_set_encoder(struct h264ws *, const struct h264_choice *);
/* GET /h264: take the upgrade, or reply 400/403/503. */
void h264ws_accept(struct h264ws *, struct http_request *);
/* A raw frame captured; encoded only while there are clients. */
void h264ws_frame(struct h264ws *, struct frame *raw);
unsigned int h264ws_clients(const struct h264ws *);
/* -EINVAL (error_set()) for a value out of range, nothing changed. */
int h264ws_set_params(struct h264ws *, const struct h264_params *);
void h264ws_get_params(const struct h264ws *, struct h264_params *);
json_t *h264ws_state(struct h264ws *);
void h264ws_metrics(struct h264ws *, struct metrics *);

#endif
