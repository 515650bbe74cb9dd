/*
 * h264ws.c -- H.264 clients on WebSockets, fed by the H.264 stage.
 *
 * Each access unit is sent to every client as one message: the header is
 * written into the frame's headroom, just before the Annex-B bytes, so the
 * message is built once for all clients.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annexb.h"
#include "api.h"
#include "error.h"
#include "frame.h"
#include "h264ws.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "ws.h"
#include "xmalloc.h"

struct h264ws_client {
	struct h264ws_client *next;
	struct h264ws *hw;
	struct ws_conn *conn;
	int waiting; /* for a keyframe */
	uint64_t sent, skipped, bytes;
};

struct h264ws {
	struct event_base *base;
	struct h264_params params;
	void (*clients_cb)(void *);
	void *arg;
	struct h264 *stage; /* while there are clients */
	struct h264ws_client *clients;
	unsigned int nclients;
	struct ws_config ws;
	/* since start, over all stages */
	uint64_t aus, keyframes, bytes, skipped, key_requests;
	struct h264_stats last; /* of the last stage, once it stopped */
	unsigned int width, height;
	struct h264_choice choice; /* the backend each stage starts with */
};

/* The slow-client rule. */
enum h264ws_action
h264ws_decide(size_t pending, size_t max_pending, int keyframe, int *waiting)
{
	if (pending > max_pending) {
		*waiting = 1;
		return H264WS_SKIP_KEY;
	}
	if (*waiting && !keyframe)
		return H264WS_SKIP;
	*waiting = 0;
	return H264WS_SEND;
}

/* One access unit for one client. */
static void
h264ws_offer(
    struct h264ws_client *c, const uint8_t *msg, size_t len, int keyframe)
{
	switch (h264ws_decide(
	    ws_pending(c->conn), H264WS_MAX_PENDING, keyframe, &c->waiting)) {
	case H264WS_SKIP_KEY:
		c->hw->key_requests++;
		h264_force_keyframe(c->hw->stage);
		/* FALLTHROUGH */
	case H264WS_SKIP:
		c->skipped++;
		c->hw->skipped++;
		return;
	case H264WS_SEND:
		break;
	}
	if (ws_send(c->conn, WS_OP_BINARY, msg, len) == 0) {
		c->sent++;
		c->bytes += len;
	}
}

/* An access unit from the stage, to every client. */
static void
h264ws_au_cb(struct frame *au, void *arg)
{
	struct h264ws *hw = arg;
	struct annexb_msg m = {.version = ANNEXB_MSG_VERSION};
	struct h264ws_client *c, *next;
	uint8_t *msg = au->data - ANNEXB_MSG_HEADER;

	m.flags = au->keyframe ? ANNEXB_MSG_KEYFRAME : 0;
	m.width = au->width;
	m.height = au->height;
	m.seq = (uint32_t)au->seq;
	m.ts_us = (uint64_t)au->ts_us;
	annexb_msg_pack(&m, msg);
	hw->aus++;
	hw->keyframes += au->keyframe != 0;
	hw->bytes += au->len;
	hw->width = au->width;
	hw->height = au->height;
	for (c = hw->clients; c != NULL; c = next) {
		next = c->next;
		h264ws_offer(c, msg, au->len + ANNEXB_MSG_HEADER, au->keyframe);
	}
	frame_unref(au);
}

/* A client went: unlink it; the stage stops after the last. */
static void
h264ws_close_cb(struct ws_conn *conn, int code, void *arg)
{
	struct h264ws_client *c = arg, **pp;
	struct h264ws *hw = c->hw;

	for (pp = &hw->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	hw->nclients--;
	log_info("H.264 client %s gone (%d): %llu sent, %llu skipped; %u left",
	    ws_peer(conn), code, (unsigned long long)c->sent,
	    (unsigned long long)c->skipped, hw->nclients);
	free(c);
	if (hw->nclients == 0 && hw->stage != NULL) {
		h264_get_stats(hw->stage, &hw->last);
		h264_free(hw->stage);
		hw->stage = NULL;
	}
	if (hw->clients_cb != NULL)
		hw->clients_cb(hw->arg);
}

/* Clients send nothing we need: pings are answered by ws.c. */
static void
h264ws_message_cb(
    struct ws_conn *conn, int opcode, const uint8_t *buf, size_t len, void *arg)
{
	(void)opcode;
	(void)buf;
	(void)len;
	(void)arg;
	ws_close(conn, WS_CLOSE_POLICY, "this stream takes no messages");
}

static const struct ws_callbacks h264ws_callbacks = {
    h264ws_message_cb, h264ws_close_cb};

/* A new client: the stage starts if it is the first, a keyframe comes. */
void
h264ws_accept(struct h264ws *hw, struct http_request *req)
{
	struct h264ws_client *c;
	struct ws_conn *conn;
	int r;

	if (hw->stage == NULL &&
	    (r = h264_new(hw->base, hw->choice.be, &hw->params, h264ws_au_cb,
		 hw, &hw->stage)) < 0) {
		api_reply_error(req, r, NULL);
		return;
	}
	if (hw->choice.be != &h264_openh264)
		h264_set_fallback(hw->stage, &h264_openh264);
	c = xcalloc(1, sizeof(*c));
	c->hw = hw;
	c->waiting = 1;
	if (ws_accept(req, &hw->ws, &h264ws_callbacks, c, &conn) < 0) {
		free(c); /* ws_accept replied 400/403 */
		if (hw->nclients == 0) {
			h264_free(hw->stage);
			hw->stage = NULL;
		}
		return;
	}
	c->conn = conn;
	c->next = hw->clients;
	hw->clients = c;
	hw->nclients++;
	h264_force_keyframe(hw->stage);
	log_info("H.264 client %s connected; %u connected", ws_peer(conn),
	    hw->nclients);
	if (hw->clients_cb != NULL)
		hw->clients_cb(hw->arg);
}

/* Start idle. */
struct h264ws *
h264ws_new(struct event_base *base, const struct h264_params *p,
    void (*clients_cb)(void *), void *arg)
{
	struct h264ws *hw = xcalloc(1, sizeof(*hw));

	hw->base = base;
	hw->params = *p;
	hw->clients_cb = clients_cb;
	hw->arg = arg;
	hw->choice.be = &h264_openh264;
	snprintf(hw->choice.reason, sizeof(hw->choice.reason), "the default");
	hw->ws.max_message = 1024;
	/* ws.c's own bound stays above ours: our rule acts first */
	hw->ws.max_pending = H264WS_MAX_PENDING * 8;
	return hw;
}

/* The backend the next stage starts with. */
void
h264ws_set_encoder(struct h264ws *hw, const struct h264_choice *c)
{
	hw->choice = *c;
}

/* Close every client, stop the stage. */
void
h264ws_free(struct h264ws *hw)
{
	if (hw == NULL)
		return;
	hw->clients_cb = NULL;
	while (hw->clients != NULL)
		ws_abort(hw->clients->conn, WS_CLOSE_GOING_AWAY, "capd stops");
	h264_free(hw->stage);
	free(hw);
}

/* Encode raw while anybody watches. */
void
h264ws_frame(struct h264ws *hw, struct frame *raw)
{
	if (hw->stage != NULL && raw->format != FRAME_JPEG)
		h264_submit(hw->stage, raw);
}

/* Connected clients. */
unsigned int
h264ws_clients(const struct h264ws *hw)
{
	return hw->nclients;
}

/* New parameters, for the running stage too. */
int
h264ws_set_params(struct h264ws *hw, const struct h264_params *p)
{
	int r;

	if ((r = h264_params_check(p)) < 0)
		return r;
	if (hw->stage != NULL && (r = h264_set_params(hw->stage, p)) < 0)
		return r;
	hw->params = *p;
	return 0;
}

/* The parameters in use. */
void
h264ws_get_params(const struct h264ws *hw, struct h264_params *ret)
{
	*ret = hw->params;
}

/* The stage's counters, or the last stage's. */
static void
h264ws_stats(struct h264ws *hw, struct h264_stats *st)
{
	if (hw->stage != NULL)
		h264_get_stats(hw->stage, st);
	else
		*st = hw->last;
}

/* For /state. */
json_t *
h264ws_state(struct h264ws *hw)
{
	struct h264_stats st;
	json_t *clients = json_array();
	struct h264ws_client *c;

	h264ws_stats(hw, &st);
	for (c = hw->clients; c != NULL; c = c->next)
		json_array_append_new(clients,
		    json_pack("{s:s, s:I, s:I, s:I, s:b, s:I}", "peer",
			ws_peer(c->conn), "sent", (json_int_t)c->sent,
			"skipped", (json_int_t)c->skipped, "bytes",
			(json_int_t)c->bytes, "waiting_keyframe", c->waiting,
			"pending_bytes", (json_int_t)ws_pending(c->conn)));
	return json_pack(
	    "{s:s, s:s, s:s, s:b, s:b, s:b, s:i, s:i, s:i, s:I, s:I, s:I, "
	    "s:f, s:f, s:o}",
	    "encoder", st.backend ? st.backend : hw->choice.be->name,
	    "encoder_device", st.fell_back ? "" : hw->choice.device,
	    "encoder_reason",
	    st.fell_back ? st.fallback_reason : hw->choice.reason,
	    "encoder_fallback", st.fell_back, "encoder_dmabuf", st.dmabuf,
	    "running", hw->stage != NULL, "bitrate_kbps",
	    (int)hw->params.bitrate_kbps, "keyint", (int)hw->params.keyint,
	    "fps", (int)hw->params.fps, "access_units", (json_int_t)hw->aus,
	    "keyframes", (json_int_t)hw->keyframes, "bytes",
	    (json_int_t)hw->bytes, "encode_ms_last", st.last_encode_us / 1000.0,
	    "encode_ms_max", st.max_encode_us / 1000.0, "clients", clients);
}

/* For /metrics. */
void
h264ws_metrics(struct h264ws *hw, struct metrics *m)
{
	struct h264_stats st;

	h264ws_stats(hw, &st);
	metrics_gauge(
	    m, "h264_clients", "Connected H.264 clients.", hw->nclients);
	metrics_gauge(m, "h264_bitrate_kbps", "H.264 target bitrate.",
	    hw->params.bitrate_kbps);
	metrics_counter(m, "h264_access_units_total",
	    "H.264 access units encoded.", (double)hw->aus);
	metrics_counter(m, "h264_keyframes_total", "H.264 keyframes encoded.",
	    (double)hw->keyframes);
	metrics_counter(
	    m, "h264_bytes_total", "H.264 bytes encoded.", (double)hw->bytes);
	metrics_counter(m, "h264_skipped_total",
	    "H.264 access units a slow client skipped.", (double)hw->skipped);
	metrics_counter(m, "h264_encode_seconds_total",
	    "CPU time of the running H.264 encoder.", st.encode_us / 1e6);
	metrics_gauge(m, "h264_encode_seconds_max",
	    "Longest H.264 encode of the running encoder.",
	    st.max_encode_us / 1e6);
}
