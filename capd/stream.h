/*
 * stream.h -- multipart/x-mixed-replace MJPEG to any number of clients.
 *
 * Every client always gets the newest frame: a frame is queued on a
 * connection only once the previous one has reached the socket, so a slow
 * client skips frames, holds at most one frame (shared, never copied) and
 * never delays anyone else.  ?fps=N caps one client.  A screen that does
 * not change is sent again about once a second, so proxies and browsers
 * keep the connection (and Safari shows the last frame).  Loop thread only.
 */
#ifndef CAPD_STREAM_H
#define CAPD_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define STREAM_BOUNDARY "kaputtkvm-frame"
#define STREAM_CONTENT_TYPE                                                    \
	"multipart/x-mixed-replace;boundary=" STREAM_BOUNDARY
#define STREAM_RESEND_US 1000000

struct event_base;
struct frame;
struct http_request;
struct metrics;
struct stream;

/* cb runs when the number of clients changes. */
struct stream *stream_new(
    struct event_base *, void (*cb)(unsigned int nclients, void *), void *arg);
void stream_free(struct stream *); /* ends every stream; NULL ok */
/* Start a stream on req; fps_cap 0 means none.  The newest frame, when
 * there is one, goes out at once. */
void stream_add(struct stream *, struct http_request *, unsigned int fps_cap);
/* A new frame for everybody (JPEG, not modified after this). */
void stream_publish(struct stream *, struct frame *);
unsigned int stream_clients(const struct stream *);
uint64_t stream_frames_sent(const struct stream *);
json_t *stream_state(struct stream *); /* a JSON array */
/* Capture to a part leaving capd for a client's socket, over the last few
 * thousand parts: {"samples", "p50_ms", "p99_ms", "max_ms"}. */
json_t *stream_send_latency(void);
void stream_metrics(struct stream *, struct metrics *);

/*
 * Write the part headers before a JPEG frame's data and the next boundary
 * after it (in the frame's head- and tailroom) and set part_off/part_len.
 * Done once per frame; returns the part's length.
 */
size_t stream_part_prepare(struct frame *);
/* What a stream starts with, before the first part. */
const char *stream_preamble(size_t *ret_len);

#endif
