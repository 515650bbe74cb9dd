/*
 * stream.c -- the MJPEG stream clients.
 *
 * A part is written as one shared region of the frame's buffer: headers
 * (in the headroom), the JPEG, then "\r\n--boundary\r\n" (in the tailroom).
 * Ending each part with the next boundary matters: Chrome shows a part only
 * once the following boundary has arrived.  Each client keeps a reference
 * to the frame it is sending and nothing else.
 */
#include <sys/queue.h>

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "frame.h"
#include "http.h"
#include "metrics.h"
#include "stream.h"
#include "xmalloc.h"

#define TRAILER	 "\r\n--" STREAM_BOUNDARY "\r\n"
#define PREAMBLE "--" STREAM_BOUNDARY "\r\n"
#define TICK_US	 100000
/* a capped client may get a frame this early, so that a cap equal to the
 * source rate is not halved by jitter */
#define CAP_SLACK_US 4000

struct stream_client {
	TAILQ_ENTRY(stream_client) entry;
	struct stream *s;
	struct http_request *req;
	char peer[16];
	int64_t interval_us; /* 0: no cap */
	int64_t next_due_us;
	int64_t last_sent_us;
	uint64_t last_seq;
	int sent_any;
	uint64_t sent, sent_new, offered;
	uint64_t window_sent; /* for the fps estimate */
	double fps;
};
TAILQ_HEAD(stream_clients, stream_client);

struct stream {
	struct event_base *base;
	struct stream_clients clients;
	unsigned int nclients;
	struct frame *newest;
	struct event *tick;
	int64_t window_start_us;
	uint64_t sent;
	void (*cb)(unsigned int, void *);
	void *arg;
};

/*
 * The last LAT_SAMPLES times from capture to a part leaving our buffer for
 * a client's socket (loop thread only: evbuffer cleanups run there).
 */
#define LAT_SAMPLES 4096
static float lat_ring[LAT_SAMPLES];
static uint64_t lat_n;

/* For qsort. */
static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* Percentiles of the recent send latencies. */
json_t *
stream_send_latency(void)
{
	size_t n = lat_n < LAT_SAMPLES ? (size_t)lat_n : LAT_SAMPLES;
	float *v;
	json_t *o;

	if (n == 0)
		return json_pack("{s:i}", "samples", 0);
	v = xreallocarray(NULL, n, sizeof(*v));
	memcpy(v, lat_ring, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_float);
	o = json_pack("{s:i, s:f, s:f, s:f}", "samples", (int)n, "p50_ms",
	    (double)v[n / 2], "p99_ms", (double)v[n * 99 / 100], "max_ms",
	    (double)v[n - 1]);
	free(v);
	return o;
}

/* The preamble. */
const char *
stream_preamble(size_t *ret_len)
{
	*ret_len = sizeof(PREAMBLE) - 1;
	return PREAMBLE;
}

/* Frame the JPEG as a multipart part, in place. */
size_t
stream_part_prepare(struct frame *f)
{
	char hdr[FRAME_HEADROOM];
	int n;

	if (f->part_len != 0)
		return f->part_len;
	n = snprintf(hdr, sizeof(hdr),
	    "Content-Type: image/jpeg\r\n"
	    "Content-Length: %zu\r\n"
	    "X-Timestamp: %" PRId64 ".%06" PRId64 "\r\n"
	    "\r\n",
	    f->len, f->ts_us / 1000000, f->ts_us % 1000000);
	assert(n > 0 && (size_t)n < sizeof(hdr));
	memcpy(f->data - n, hdr, (size_t)n);
	memcpy(f->data + f->len, TRAILER, sizeof(TRAILER) - 1);
	f->part_off = FRAME_HEADROOM - (size_t)n;
	f->part_len = (size_t)n + f->len + sizeof(TRAILER) - 1;
	return f->part_len;
}

/* evbuffer cleanup: the part has been sent or dropped. */
static void
stream_unref_cb(const void *data, size_t len, void *arg)
{
	struct frame *f = arg;

	/* the part has left our buffer for the socket: capture to kernel */
	lat_ring[lat_n++ % LAT_SAMPLES] =
	    (float)(frame_mono_us() - f->mono_us) / 1000.0f;
	frame_unref(f);
}

/* Queue the newest frame on c if it is free and due. */
static void
stream_try_send(struct stream_client *c, int64_t now, int resend)
{
	struct stream *s = c->s;
	struct frame *f = s->newest;

	if (f == NULL || http_reply_pending(c->req) > 0)
		return;
	if (c->sent_any && f->seq == c->last_seq && !resend)
		return;
	if (c->interval_us > 0 && c->sent_any &&
	    now < c->next_due_us - CAP_SLACK_US)
		return;
	if (!c->sent_any || f->seq != c->last_seq)
		c->sent_new++;
	if (c->interval_us > 0) {
		c->next_due_us += c->interval_us;
		if (c->next_due_us < now - c->interval_us || !c->sent_any)
			c->next_due_us = now + c->interval_us;
	}
	c->sent_any = 1;
	c->last_seq = f->seq;
	c->last_sent_us = now;
	c->sent++;
	c->window_sent++;
	s->sent++;
	http_reply_write_ref(c->req, f->buf + f->part_off, f->part_len,
	    stream_unref_cb, frame_ref(f));
}

/* The client's previous frame has reached the socket. */
static void
stream_drain_cb(struct http_request *req, void *arg)
{
	struct stream_client *c = arg;

	stream_try_send(c, frame_mono_us(), 0);
}

/* Forget a client. */
static void
stream_client_free(struct stream_client *c)
{
	struct stream *s = c->s;

	TAILQ_REMOVE(&s->clients, c, entry);
	s->nclients--;
	free(c);
	if (s->cb != NULL)
		s->cb(s->nclients, s->arg);
}

/* The client went away. */
static void
stream_close_cb(struct http_request *req, void *arg)
{
	stream_client_free(arg);
}

/* Every 100 ms: capped clients that are due, resends, fps estimates. */
static void
stream_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;
	struct stream_client *c;
	int64_t now = frame_mono_us(), dt;

	dt = now - s->window_start_us;
	TAILQ_FOREACH(c, &s->clients, entry)
	{
		stream_try_send(
		    c, now, now - c->last_sent_us >= STREAM_RESEND_US);
		if (dt >= 1000000) {
			c->fps = (double)c->window_sent * 1e6 / (double)dt;
			c->window_sent = 0;
		}
	}
	if (dt >= 1000000)
		s->window_start_us = now;
}

/* A stream hub. */
struct stream *
stream_new(struct event_base *base, void (*cb)(unsigned int, void *), void *arg)
{
	struct stream *s = xcalloc(1, sizeof(*s));
	struct timeval tv = {0, TICK_US};

	s->base = base;
	s->cb = cb;
	s->arg = arg;
	TAILQ_INIT(&s->clients);
	s->tick = event_new(base, -1, EV_PERSIST, stream_tick_cb, s);
	event_add(s->tick, &tv);
	s->window_start_us = frame_mono_us();
	return s;
}

/* End every stream and free. */
void
stream_free(struct stream *s)
{
	struct stream_client *c;

	if (s == NULL)
		return;
	s->cb = NULL;
	while ((c = TAILQ_FIRST(&s->clients)) != NULL) {
		http_reply_set_callbacks(c->req, NULL, NULL, NULL);
		http_reply_end(c->req);
		stream_client_free(c);
	}
	event_free(s->tick);
	frame_unref(s->newest);
	free(s);
}

/* A new client. */
void
stream_add(struct stream *s, struct http_request *req, unsigned int fps_cap)
{
	struct stream_client *c = xcalloc(1, sizeof(*c));
	size_t n;
	const char *pre = stream_preamble(&n);

	/* after a quiet spell the last frame is old news: wait for a new one */
	if (s->nclients == 0 && s->newest != NULL &&
	    frame_mono_us() - s->newest->mono_us > 2 * STREAM_RESEND_US) {
		frame_unref(s->newest);
		s->newest = NULL;
	}
	c->s = s;
	c->req = req;
	snprintf(c->peer, sizeof(c->peer), "%s", http_request_peer(req));
	c->interval_us = fps_cap > 0 ? 1000000 / fps_cap : 0;
	c->last_sent_us = frame_mono_us();
	TAILQ_INSERT_TAIL(&s->clients, c, entry);
	s->nclients++;
	http_reply_header(
	    req, "Cache-Control", "no-store, no-cache, must-revalidate");
	http_reply_header(req, "Pragma", "no-cache");
	http_reply_header(req, "X-Accel-Buffering", "no");
	http_reply_start(req, 200, STREAM_CONTENT_TYPE, -1);
	http_reply_set_callbacks(req, stream_drain_cb, stream_close_cb, c);
	http_reply_write(req, pre, n);
	if (s->cb != NULL)
		s->cb(s->nclients, s->arg);
	stream_try_send(c, frame_mono_us(), 0);
}

/* Offer a new frame to every client. */
void
stream_publish(struct stream *s, struct frame *f)
{
	struct stream_client *c;
	int64_t now = frame_mono_us();

	stream_part_prepare(f);
	frame_ref(f);
	frame_unref(s->newest);
	s->newest = f;
	TAILQ_FOREACH(c, &s->clients, entry)
	{
		c->offered++;
		stream_try_send(c, now, 0);
	}
}

/* How many clients. */
unsigned int
stream_clients(const struct stream *s)
{
	return s->nclients;
}

/* Frames sent in all. */
uint64_t
stream_frames_sent(const struct stream *s)
{
	return s->sent;
}

/* The clients for /state. */
json_t *
stream_state(struct stream *s)
{
	struct stream_client *c;
	json_t *a = json_array();

	TAILQ_FOREACH(c, &s->clients, entry)
	json_array_append_new(a,
	    json_pack("{s:s, s:f, s:i, s:I, s:I, "
		      "s:I}",
		"id", c->peer, "fps", c->fps, "fps_cap",
		c->interval_us ? (int)(1000000 / c->interval_us) : 0, "sent",
		(json_int_t)c->sent, "skipped",
		(json_int_t)(c->offered > c->sent_new ? c->offered - c->sent_new
						      : 0),
		"pending_bytes", (json_int_t)http_reply_pending(c->req)));
	return a;
}

/* The clients for /metrics. */
void
stream_metrics(struct stream *s, struct metrics *m)
{
	struct stream_client *c;
	char label[64];

	metrics_gauge(m, "clients", "Connected stream clients.", s->nclients);
	metrics_counter(m, "frames_sent_total",
	    "Frames sent to stream clients.", (double)s->sent);
	metrics_declare(
	    m, "client_fps", "gauge", "Frames per second sent to a client.");
	TAILQ_FOREACH(c, &s->clients, entry)
	metrics_sample(m, "client_fps",
	    metrics_label(label, sizeof(label), "client", c->peer), c->fps);
}
