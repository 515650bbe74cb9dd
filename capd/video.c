/*
 * video.c -- wiring the source, the encoder and the clients together.
 *
 * Frames flow: pattern timer or device fd -> raw frame (pooled) ->
 * encoder workers -> JPEG frame -> stream clients and snapshot waiters; an
 * MJPEG device skips the encoder.  A one-second timer does the slow work:
 * fps figures, reopening a lost device, signal checks, the "no signal"
 * frame and the capture-reset request.
 *
 * Opening and negotiating a device runs on a thread of its own: a wedged
 * USB grabber can take seconds per ioctl (UVC's control timeouts), and the
 * loop must keep serving the "no signal" frame, /state and the watchdog
 * meanwhile.  Only POST /params reopens on the loop thread: its reply
 * depends on the result.
 */
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "capture.h"
#include "edid.h"
#include "edidjob.h"
#include "api.h"
#include "client.h"
#include "encoder.h"
#include "error.h"
#include "frame.h"
#include "h264ws.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "nosignal.h"
#include "pattern.h"
#include "planes.h"
#include "stream.h"
#include "video.h"
#include "xmalloc.h"
#include "utf8.h"

#define STALL_US	2000000 /* no frame for this long: offline */
#define VIDEO_RESET_MS	500	/* capture-reset held active this long */
#define ENCODE_GRACE_US 500000	/* snapshot: encode time allowance */

struct video_waiter {
	TAILQ_ENTRY(video_waiter) entry;
	struct video *v;
	struct http_request *req;
	struct event *timer;
};
TAILQ_HEAD(video_waiters, video_waiter);

/* A device being opened in the background. */
struct video_opener {
	pthread_mutex_t lock;
	int abandoned;	       /* the video is gone: the thread cleans up */
	int done;	       /* the thread has finished */
	struct event *done_ev; /* v's, fired when done */
	struct capture_config cc;
	char *device, *format, *standard;
	struct capture *cap; /* the result */
	int r;
	char why[256];
	uint8_t edid[EDID_MAX_BLOCKS * EDID_BLOCK]; /* cc.edid's copy */
};

/* The GET or POST /edid under way. */
struct video_edid_call {
	struct http_request *req;
	int set;
	uint8_t edid[EDID_MAX_BLOCKS * EDID_BLOCK]; /* the one loaded */
	size_t len;
	video_edid_fn *cb;
	void *arg;
};

struct video {
	struct event_base *base;
	struct video_config cfg; /* strings are ours */
	int is_pattern, pattern_static;
	unsigned int width, height; /* current (or last known) */
	const char *format;

	struct pattern *pattern;
	struct event *pattern_ev;
	struct capture *cap;
	struct event *cap_ev;
	struct video_opener *opener; /* an open in progress */
	struct event *open_ev;
	struct event *tick_ev;
	struct log_once cap_log;

	struct frame_pool *raw_pool, *jpeg_pool;
	struct encoder *enc;
	struct stream *stream;
	struct nosignal *ns;
	struct video_waiters waiters;
	unsigned int nwaiters;

	struct frame *last; /* last published */
	uint64_t last_hash;
	uint64_t seq;
	int online;
	char reason[256];
	int64_t last_frame_us; /* mono, last good picture */
	int64_t last_reset_us;
	unsigned int reset_streak; /* pulses since the last picture */
	int reset_disabled;	   /* gpiod-ctl has no capture-reset line */
	int reset_busy;
	uint64_t resets, reset_failures;

	/* counters and per-second rates */
	uint64_t captured, published, dropped_same;
	uint64_t dropped_bad;
	uint64_t raw_lent, raw_copied; /* of devices closed since */
	uint64_t win_captured, win_published, win_encoded;
	int64_t win_start_us;
	double captured_fps, published_fps, encoded_fps;
	uint64_t encoded_mark;
	struct h264ws *h264ws; /* H.264 clients and their encoder */
	uint8_t edid[EDID_MAX_BLOCKS * EDID_BLOCK]; /* cfg.edid, when set */
	struct edidjob *edid_job;		    /* of edid_call */
	struct video_edid_call edid_call;
};

static void video_update_running(struct video *);

/* "1280x720" */
int
video_parse_resolution(const char *s, unsigned int *ret_w, unsigned int *ret_h)
{
	unsigned int w, h;
	char tail, q[40];

	if (s == NULL || sscanf(s, "%5ux%5u%c", &w, &h, &tail) != 2 || w < 16 ||
	    h < 16 || w > 8192 || h > 8192)
		return error_set(-EINVAL,
		    "resolution \"%s\" is not WIDTHxHEIGHT (16x16 to 8192x8192), like 1280x720",
		    s ? utf8_quote(s, strlen(s), q, sizeof(q)) : "");
	*ret_w = w;
	*ret_h = h;
	return 0;
}

/* Pattern sizes have limits of their own. */
static int
video_check_pattern_size(unsigned int w, unsigned int h)
{
	struct pattern_layout l;

	if (pattern_layout_for(w, h, &l) < 0)
		return error_set(-EINVAL,
		    "unsupported resolution %ux%u: the test pattern takes an even width, %ux%u to %ux%u",
		    w, h, PATTERN_MIN_WIDTH, PATTERN_MIN_HEIGHT,
		    PATTERN_MAX_WIDTH, PATTERN_MAX_HEIGHT);
	return 0;
}

/* Check what can be checked without a device. */
int
video_check_config(const struct video_config *cfg)
{
	int r;

	if (cfg->source == NULL || *cfg->source == '\0')
		return error_set(-EINVAL,
		    "--source is empty: give a device like /dev/video0 or 'pattern'");
	if (strncmp(cfg->source, "pattern", 7) == 0 && cfg->width > 0 &&
	    (r = video_check_pattern_size(cfg->width, cfg->height)) < 0)
		return r;
	if ((r = capture_check_format(cfg->format)) < 0 ||
	    (r = capture_check_standard(cfg->standard)) < 0)
		return r;
	if (cfg->quality < 1 || cfg->quality > 100)
		return error_set(-EINVAL, "quality must be 1 to 100");
	if (cfg->fps < 1 || cfg->fps > 120)
		return error_set(-EINVAL, "fps must be 1 to 120");
	return video_check_subsampling(cfg->subsampling);
}

/* 4:2:2 or 4:2:0, nothing else. */
int
video_check_subsampling(int s)
{
	if (s != 422 && s != 420)
		return error_set(-EINVAL,
		    "subsampling must be 422 (chroma halved across) or 420 (halved across and down)");
	return 0;
}

/* A pattern mode by name. */
int
video_check_pattern_mode(const char *name, int *ret_mode)
{
	char q[40];

	if (pattern_mode_parse(name, ret_mode) < 0)
		return error_set(-EINVAL,
		    "pattern \"%s\" is not one capd draws: bars (colour bars) or console (a text console and a setup menu)",
		    name ? utf8_quote(name, strlen(name), q, sizeof(q)) : "");
	return 0;
}

/* The pattern shows that from the next frame on. */
void
video_set_pattern_mode(struct video *v, int mode)
{
	v->cfg.pattern_mode = mode;
	if (v->pattern != NULL)
		pattern_set_mode(v->pattern, mode);
}

/* The encoder compresses packed frames in that subsampling from now on. */
void
video_set_subsampling(struct video *v, int s)
{
	v->cfg.subsampling = s;
	encoder_set_subsamp(v->enc, s == 420 ? PLANES_420 : PLANES_422);
}

/* Stream clients plus snapshot waiters. */
static unsigned int
video_watchers(const struct video *v)
{
	return stream_clients(v->stream) + v->nwaiters +
	    h264ws_clients(v->h264ws);
}

/* evbuffer cleanup: a snapshot has been sent. */
static void
video_unref_cb(const void *data, size_t len, void *arg)
{
	frame_unref(arg);
}

/* Reply to a snapshot with frame f, by reference. */
static void
video_reply_frame(struct http_request *req, struct frame *f)
{
	char ts[32];

	snprintf(ts, sizeof(ts), "%lld.%06lld", (long long)(f->ts_us / 1000000),
	    (long long)(f->ts_us % 1000000));
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_header(req, "X-Timestamp", ts);
	http_reply_start(req, 200, "image/jpeg", (int64_t)f->len);
	http_reply_write_ref(
	    req, f->data, f->len, video_unref_cb, frame_ref(f));
	http_reply_end(req);
}

/* Forget a waiter. */
static void
video_waiter_free(struct video_waiter *w)
{
	TAILQ_REMOVE(&w->v->waiters, w, entry);
	w->v->nwaiters--;
	event_free(w->timer);
	free(w);
}

/* A new frame for everybody. */
static void
video_publish(struct video *v, struct frame *f)
{
	struct video_waiter *w;

	frame_unref(v->last);
	v->last = frame_ref(f);
	v->published++;
	v->win_published++;
	stream_publish(v->stream, f);
	while ((w = TAILQ_FIRST(&v->waiters)) != NULL) {
		video_reply_frame(w->req, f);
		video_waiter_free(w);
	}
	video_update_running(v);
}

/* A frame that is a real picture (not "no signal"). */
static void
video_publish_good(struct video *v, struct frame *jpeg)
{
	if (!v->online) {
		log_info("picture back: %ux%u %s", jpeg->width, jpeg->height,
		    v->format ? v->format : "");
		log_once_reset(&v->cap_log);
	}
	v->online = 1;
	v->reason[0] = '\0';
	v->width = jpeg->width;
	v->height = jpeg->height;
	video_publish(v, jpeg);
}

/* The encoder is done with a frame (loop thread). */
static void
video_encoded_cb(struct frame *jpeg, void *arg)
{
	struct video *v = arg;

	video_publish_good(v, jpeg);
	frame_unref(jpeg);
}

/* --drop-same-frames: is f the same picture as the last one? */
static int
video_same(struct video *v, struct frame *f)
{
	uint64_t h;

	if (!v->cfg.drop_same)
		return 0;
	h = frame_hash(f);
	if (h == v->last_hash) {
		v->dropped_same++;
		return 1;
	}
	v->last_hash = h;
	return 0;
}

/* A captured frame (raw or JPEG); takes the reference. */
static void
video_captured(struct video *v, struct frame *f)
{
	v->last_frame_us = frame_mono_us();
	f->seq = ++v->seq;
	if (video_same(v, f)) {
		frame_unref(f);
		return;
	}
	h264ws_frame(v->h264ws, f); /* raw ones, while H.264 clients watch */
	if (f->format == FRAME_JPEG)
		video_publish_good(v, f);
	else
		encoder_submit(v->enc, f, v->cfg.quality);
	frame_unref(f);
}

/* The pattern's frame timer. */
static void
video_pattern_cb(evutil_socket_t fd, short what, void *arg)
{
	struct video *v = arg;
	const struct pattern_layout *l = pattern_layout(v->pattern);
	struct frame *f;

	v->captured++;
	v->win_captured++;
	f = frame_pool_get(v->raw_pool, (size_t)l->width * l->height * 2);
	f->format = FRAME_YUYV;
	f->width = l->width;
	f->height = l->height;
	f->stride = l->width * 2;
	f->len = (size_t)f->stride * l->height;
	f->mono_us = frame_mono_us();
	f->ts_us = frame_now_us();
	/* pattern:static is a still picture (for --drop-same-frames) */
	pattern_render(v->pattern, v->pattern_static ? 0 : v->seq + 1,
	    v->pattern_static ? 0 : f->ts_us, f->data, f->stride);
	video_captured(v, f);
}

/* Run the pattern timer only while somebody watches. */
static void
video_update_running(struct video *v)
{
	struct timeval tv;

	if (!v->is_pattern || v->pattern_ev == NULL)
		return;
	if (video_watchers(v) > 0 &&
	    !event_pending(v->pattern_ev, EV_TIMEOUT, NULL)) {
		tv.tv_sec = 0;
		tv.tv_usec = 1000000 / v->cfg.fps;
		if (v->cfg.fps == 1) {
			tv.tv_sec = 1;
			tv.tv_usec = 0;
		}
		event_add(v->pattern_ev, &tv);
		event_active(v->pattern_ev, EV_TIMEOUT, 0);
	} else if (video_watchers(v) == 0)
		event_del(v->pattern_ev);
}

/* H.264 clients came or went. */
static void
video_h264_clients_cb(void *arg)
{
	video_update_running(arg);
}

/* Stream clients came or went. */
static void
video_clients_cb(unsigned int n, void *arg)
{
	video_update_running(arg);
}

/* Go offline with a reason, publishing the "no signal" frame. */
static void
video_offline(struct video *v, const char *reason)
{
	struct frame *f;

	if (v->online || strcmp(v->reason, reason) != 0)
		log_once_warnx(&v->cap_log, "%s: %s", v->cfg.source, reason);
	v->online = 0;
	if (reason != v->reason) /* the tick passes v->reason itself */
		utf8_format(v->reason, sizeof(v->reason), "%s", reason);
	if (video_watchers(v) == 0)
		return;
	if (nosignal_frame(v->ns, v->width, v->height, v->reason, &f) < 0)
		return;
	f->seq = ++v->seq;
	video_publish(v, f);
	frame_unref(f);
}

/* Raw frames lent by the devices and copied from them, all opens. */
static void
video_raw_counts(struct video *v, uint64_t *lent, uint64_t *copied)
{
	uint64_t l = 0, c = 0;

	if (v->cap != NULL)
		capture_get_counts(v->cap, &l, &c);
	*lent = v->raw_lent + l;
	*copied = v->raw_copied + c;
}

/* Close the device. */
static void
video_close_device(struct video *v)
{
	if (v->cap_ev != NULL) {
		event_free(v->cap_ev);
		v->cap_ev = NULL;
	}
	video_raw_counts(v, &v->raw_lent, &v->raw_copied);
	capture_close(v->cap);
	v->cap = NULL;
}

/* The device has something. */
static void
video_device_cb(evutil_socket_t fd, short what, void *arg)
{
	struct video *v = arg;
	struct frame *f = NULL;
	int want = video_watchers(v) > 0, r;

	r = capture_grab(v->cap, v->raw_pool, want, &f);
	if (r == -EAGAIN)
		return;
	if (r == -ENODEV || r == -EIO) {
		video_close_device(v);
		video_offline(v, error_get() ? error_get() : "device error");
		return;
	}
	v->captured++;
	v->win_captured++;
	if (r < 0) {
		v->dropped_bad++;
		return;
	}
	if (!v->online && v->reason[0] != '\0' &&
	    strncmp(v->reason, "no frames", 9) != 0)
		return; /* no signal: what comes is noise */
	if (!want) {
		v->last_frame_us = frame_mono_us();
		v->online = 1;
		v->reason[0] = '\0';
		return;
	}
	video_captured(v, f);
}

/* The capture settings for an open. */
static void
video_capture_config(struct video *v, struct capture_config *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->device = v->cfg.source;
	cc->width = v->cfg.width;
	cc->height = v->cfg.height;
	cc->fps = v->cfg.fps;
	cc->format = v->cfg.format;
	cc->input = v->cfg.input;
	cc->standard = v->cfg.standard;
	cc->edid = v->cfg.edid;
	cc->edid_len = v->cfg.edid_len;
	cc->edid_fill = v->cfg.edid_fill;
}

/* The device is open: watch it. */
static void
video_device_opened(struct video *v, struct capture *cap)
{
	struct capture_info info;

	v->cap = cap;
	capture_get_info(v->cap, &info);
	v->width = info.width;
	v->height = info.height;
	v->format = info.format;
	log_info("%s: %s (%s), %ux%u %s at %.2f fps", v->cfg.source, info.card,
	    info.driver, info.width, info.height, info.format, info.fps);
	v->cap_ev = event_new(v->base, capture_fd(v->cap), EV_READ | EV_PERSIST,
	    video_device_cb, v);
	event_add(v->cap_ev, NULL);
	v->last_frame_us = frame_mono_us();
}

/* Open the device now, on the loop thread (POST /params). */
static int
video_open_device(struct video *v)
{
	struct capture_config cc;
	struct capture *cap;
	int r;

	video_capture_config(v, &cc);
	error_clear();
	if ((r = capture_open(&cc, &cap)) < 0) {
		video_offline(v, error_get() ? error_get() : "cannot open");
		return r;
	}
	video_device_opened(v, cap);
	return 0;
}

/* Free an opener (its result included). */
static void
video_opener_free(struct video_opener *o)
{
	capture_close(o->cap);
	pthread_mutex_destroy(&o->lock);
	free(o->device);
	free(o->format);
	free(o->standard);
	free(o);
}

/* The opener thread. */
static void *
video_opener_main(void *arg)
{
	struct video_opener *o = arg;
	int abandoned;

	error_clear();
	o->r = capture_open(&o->cc, &o->cap);
	if (o->r < 0)
		utf8_format(o->why, sizeof(o->why), "%s",
		    error_get() ? error_get() : "cannot open");
	pthread_mutex_lock(&o->lock);
	abandoned = o->abandoned;
	o->done = 1;
	if (!abandoned)
		event_active(o->done_ev, EV_TIMEOUT, 0);
	pthread_mutex_unlock(&o->lock);
	if (abandoned)
		video_opener_free(o);
	return NULL;
}

/* The opener is done (loop thread). */
static void
video_open_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct video *v = arg;
	struct video_opener *o = v->opener;

	int done = 0;

	(void)fd;
	(void)what;
	if (o != NULL) {
		pthread_mutex_lock(&o->lock);
		done = o->done;
		pthread_mutex_unlock(&o->lock);
	}
	/* not done: the event is an abandoned opener's, fired before
	 * video_open_abandon() (video_edid()) and this one started.  The
	 * lock also waits for the thread, which fires this holding it, to let
	 * go before o is freed. */
	if (!done)
		return;
	v->opener = NULL;
	if (o->r < 0)
		video_offline(v, o->why);
	else {
		video_device_opened(v, o->cap);
		o->cap = NULL;
	}
	video_opener_free(o);
}

/* Start opening the device in the background, unless that runs already. */
static void
video_open_device_async(struct video *v)
{
	struct video_opener *o;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (v->opener != NULL || v->cap != NULL)
		return;
	o = xcalloc(1, sizeof(*o));
	pthread_mutex_init(&o->lock, NULL);
	o->done_ev = v->open_ev;
	video_capture_config(v, &o->cc);
	o->cc.device = o->device = xstrdup(v->cfg.source);
	o->cc.format = o->format = xstrdup(v->cfg.format);
	if (v->cfg.standard != NULL)
		o->cc.standard = o->standard = xstrdup(v->cfg.standard);
	if (v->cfg.edid != NULL) /* POST /edid may change v's meanwhile */
		o->cc.edid = memcpy(o->edid, v->cfg.edid, v->cfg.edid_len);
	v->opener = o;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, video_opener_main, o);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		v->opener = NULL;
		video_opener_free(o);
		log_warnx(
		    "cannot start the device opener: %s; opening on the loop thread",
		    strerror(r));
		(void)video_open_device(v);
	}
}

/* Forget an open in progress: its thread closes what it opened. */
static void
video_open_abandon(struct video *v)
{
	struct video_opener *o = v->opener;
	int done;

	if (o == NULL)
		return;
	v->opener = NULL;
	pthread_mutex_lock(&o->lock);
	o->abandoned = 1;
	done = o->done;
	pthread_mutex_unlock(&o->lock);
	if (done) /* its event fired or is pending: v's, freed by v */
		video_opener_free(o);
	/* else the thread frees o when it ends */
}

/* gpiod-ctl answered the capture-reset request. */
static void
video_reset_cb(int result, struct client_reply *reply, void *arg)
{
	struct video *v = arg;
	json_t *msg = NULL;

	v->reset_busy = 0;
	if (result >= 0 && reply != NULL && reply->status == 200) {
		log_info("capture-reset pulsed");
		return;
	}
	v->reset_failures++;
	if (reply != NULL && reply->json != NULL)
		msg = json_object_get(
		    json_object_get(reply->json, "error"), "message");
	log_warnx("capture-reset via %s failed: %s", v->cfg.gpiod_socket,
	    result < 0		      ? strerror(-result)
		: json_is_string(msg) ? json_string_value(msg)
				      : "no JSON reply");
	/* gpiod-ctl's contract: 400 means this installation has no such
	 * line; stop asking (409 busy and 5xx are retried with the backoff) */
	if (result >= 0 && reply != NULL && reply->status == 400) {
		v->reset_disabled = 1;
		log_warnx(
		    "capture-reset: not asking again until capd restarts");
	}
}

/*
 * No picture for --reset-after seconds: ask gpiod-ctl for a pulse.  While
 * the picture stays away (the target may simply be off) the pulses back
 * off: after N, 2N, 4N ... seconds, at most an hour apart.
 */
static void
video_maybe_reset(struct video *v, int64_t now)
{
	int64_t after = (int64_t)v->cfg.reset_after * 1000000, wait;
	json_t *body;
	int r;

	if (after == 0 || v->is_pattern || v->reset_busy || v->reset_disabled ||
	    now - v->last_frame_us < after)
		return;
	if (v->last_reset_us < v->last_frame_us)
		v->reset_streak = 0; /* the picture came back meanwhile */
	wait = after << (v->reset_streak < 12 ? v->reset_streak : 12);
	if (wait > 3600 * (int64_t)1000000)
		wait = 3600 * (int64_t)1000000;
	if (v->reset_streak > 0 && now - v->last_reset_us < wait)
		return;
	v->last_reset_us = now;
	v->reset_streak++;
	v->resets++;
	log_warnx(
	    "no picture for %u s: asking gpiod-ctl to pulse capture-reset",
	    v->cfg.reset_after);
	body = json_pack(
	    "{s:s, s:i}", "line", "capture-reset", "ms", VIDEO_RESET_MS);
	r = client_call_async(v->base, v->cfg.gpiod_socket, "POST", "/pulse",
	    body, VIDEO_RESET_MS + 2500, video_reset_cb, v);
	json_decref(body);
	if (r < 0) {
		v->reset_failures++;
		log_warnx("capture-reset: %s",
		    error_get() ? error_get() : strerror(-r));
	} else
		v->reset_busy = 1;
}

/* Once a second. */
static void
video_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct video *v = arg;
	struct encoder_stats st;
	int64_t now = frame_mono_us(), dt;
	int r;

	dt = now - v->win_start_us;
	if (dt > 0) {
		encoder_get_stats(v->enc, &st);
		v->captured_fps = (double)v->win_captured * 1e6 / (double)dt;
		v->published_fps = (double)v->win_published * 1e6 / (double)dt;
		v->encoded_fps =
		    (double)(st.encoded - v->encoded_mark) * 1e6 / (double)dt;
		v->encoded_mark = st.encoded;
		v->win_captured = v->win_published = 0;
		v->win_start_us = now;
	}
	if (v->is_pattern)
		return;
	if (v->edid_job != NULL)
		; /* no open while an EDID loads (video_edid()) */
	else if (v->cap == NULL)
		video_open_device_async(v);
	else {
		error_clear();
		r = capture_check(v->cap);
		if (r == -ERESTART || r == -ENODEV) {
			log_info("%s: %s", v->cfg.source, error_get());
			video_close_device(v);
			if (r == -ENODEV)
				video_offline(v, error_get());
			else
				video_open_device_async(v);
		} else if (r < 0)
			video_offline(v, error_get());
		else if (now - v->last_frame_us > STALL_US)
			video_offline(v, "no frames from the device");
		else if (!v->online && v->reason[0] != '\0' &&
		    strncmp(v->reason, "no frames", 9) != 0) {
			/* the signal is back; frames will follow */
			v->reason[0] = '\0';
			snprintf(v->reason, sizeof(v->reason), "no frames yet");
		}
	}
	if (!v->online)
		video_offline(v, v->reason[0] ? v->reason : "no signal");
	video_maybe_reset(v, now);
}

/* The H.264 encoder, by probing. */
static void
video_choose_h264(struct video *v, const struct video_config *cfg)
{
	struct h264_choice c;

	h264_choose_probe(cfg->h264_encoder, cfg->m2m_coded, &c);
	log_info("H.264 encoder %s: %s", c.be->name, c.reason);
	h264ws_set_encoder(v->h264ws, &c);
}

/* Build the core and start the source. */
int
video_new(
    struct event_base *base, const struct video_config *cfg, struct video **ret)
{
	struct video *v;
	struct timeval tv = {1, 0};
	int r;

	if ((r = video_check_config(cfg)) < 0)
		return r;
	v = xcalloc(1, sizeof(*v));
	v->base = base;
	v->cfg = *cfg;
	v->cfg.source = xstrdup(cfg->source);
	v->cfg.format = xstrdup(cfg->format ? cfg->format : "auto");
	v->cfg.standard = cfg->standard ? xstrdup(cfg->standard) : NULL;
	if (cfg->edid != NULL && cfg->edid_len <= sizeof(v->edid))
		v->cfg.edid = memcpy(v->edid, cfg->edid, cfg->edid_len);
	v->cfg.gpiod_socket =
	    xstrdup(cfg->gpiod_socket ? cfg->gpiod_socket
				      : "/run/kaputtkvm/gpiod-ctl.sock");
	TAILQ_INIT(&v->waiters);
	v->is_pattern = strcmp(cfg->source, "pattern") == 0 ||
	    strcmp(cfg->source, "pattern:static") == 0;
	v->pattern_static = strcmp(cfg->source, "pattern:static") == 0;
	v->width = cfg->width ? cfg->width : VIDEO_DEFAULT_WIDTH;
	v->height = cfg->height ? cfg->height : VIDEO_DEFAULT_HEIGHT;
	v->raw_pool = frame_pool_new(4);
	v->stream = stream_new(base, video_clients_cb, v);
	v->h264ws = h264ws_new(base,
	    &(struct h264_params){VIDEO_H264_BITRATE, VIDEO_H264_KEYINT,
		cfg->fps > H264_FPS_MAX ? H264_FPS_MAX : cfg->fps},
	    video_h264_clients_cb, v);
	video_choose_h264(v, cfg);
	v->win_start_us = v->last_frame_us = frame_mono_us();
	v->last_reset_us = v->last_frame_us;
	if ((r = nosignal_new(&v->ns)) < 0 ||
	    (r = encoder_new(
		 base, cfg->workers, video_encoded_cb, v, &v->enc)) < 0)
		goto fail;
	video_set_subsampling(v, cfg->subsampling);
	v->tick_ev = event_new(base, -1, EV_PERSIST, video_tick_cb, v);
	event_add(v->tick_ev, &tv);
	if (v->is_pattern) {
		if ((r = pattern_new(v->width, v->height, &v->pattern)) < 0) {
			r = video_check_pattern_size(v->width, v->height);
			goto fail;
		}
		pattern_set_mode(v->pattern, cfg->pattern_mode);
		v->format = "YUYV (pattern)";
		v->online = 1;
		v->pattern_ev =
		    event_new(base, -1, EV_PERSIST, video_pattern_cb, v);
	} else {
		v->open_ev = event_new(base, -1, 0, video_open_done_cb, v);
		video_open_device_async(v); /* offline until it works */
	}
	*ret = v;
	return 0;
fail:
	video_free(v);
	return r;
}

/* Stop everything. */
void
video_free(struct video *v)
{
	struct video_waiter *w;

	if (v == NULL)
		return;
	while ((w = TAILQ_FIRST(&v->waiters)) != NULL) {
		api_reply_error(w->req, -ESHUTDOWN, "capd is stopping");
		video_waiter_free(w);
	}
	h264ws_free(v->h264ws);
	stream_free(v->stream);
	if (v->pattern_ev != NULL)
		event_free(v->pattern_ev);
	if (v->tick_ev != NULL)
		event_free(v->tick_ev);
	video_open_abandon(v);
	if (v->edid_job != NULL) {
		edidjob_abandon(v->edid_job);
		api_reply_error(
		    v->edid_call.req, -ESHUTDOWN, "capd is stopping");
	}
	if (v->open_ev != NULL)
		event_free(v->open_ev);
	video_close_device(v);
	encoder_free(v->enc);
	nosignal_free(v->ns);
	pattern_free(v->pattern);
	frame_unref(v->last);
	frame_pool_free(v->raw_pool);
	free((char *)v->cfg.source);
	free((char *)v->cfg.format);
	free((char *)v->cfg.standard);
	free((char *)v->cfg.gpiod_socket);
	free(v);
}

/* A new H.264 client (GET /h264, a WebSocket). */
void
video_h264(struct video *v, struct http_request *req)
{
	h264ws_accept(v->h264ws, req);
	video_update_running(v);
}

/* H.264 parameters for POST /params. */
struct h264ws *
video_h264ws(struct video *v)
{
	return v->h264ws;
}

/* A new stream client. */
void
video_stream(struct video *v, struct http_request *req, unsigned int fps_cap)
{
	stream_add(v->stream, req, fps_cap);
	video_update_running(v);
}

/* The snapshot waited long enough: the last frame, or 503. */
static void
video_waiter_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct video_waiter *w = arg;
	struct video *v = w->v;

	if (v->last != NULL)
		video_reply_frame(w->req, v->last);
	else
		api_reply_error(
		    w->req, -EAGAIN, "no frame yet: try again in a moment");
	video_waiter_free(w);
	video_update_running(v);
}

/* One fresh JPEG. */
void
video_snapshot(struct video *v, struct http_request *req)
{
	struct video_waiter *w;
	struct timeval tv;
	int64_t wait_us;

	struct frame *f;

	if (!v->online && v->reason[0] != '\0') {
		/* no picture: say why at once */
		if (nosignal_frame(v->ns, v->width, v->height, v->reason, &f) <
		    0) {
			api_reply_error(req, -EAGAIN,
			    "no picture and no \"no signal\" frame either: try again");
			return;
		}
		video_reply_frame(req, f);
		frame_unref(f);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->v = v;
	w->req = req;
	w->timer = evtimer_new(v->base, video_waiter_timeout_cb, w);
	wait_us = 1000000 / v->cfg.fps + ENCODE_GRACE_US;
	if (!v->is_pattern && v->cap != NULL && video_watchers(v) == 0)
		wait_us += 1000000 / v->cfg.fps; /* device runs already */
	if (v->last == NULL && wait_us < 3000000)
		wait_us = 3000000; /* nothing to fall back on: wait longer */
	tv.tv_sec = wait_us / 1000000;
	tv.tv_usec = wait_us % 1000000;
	evtimer_add(w->timer, &tv);
	TAILQ_INSERT_TAIL(&v->waiters, w, entry);
	v->nwaiters++;
	video_update_running(v);
}

/* Everything observable. */
json_t *
video_state(struct video *v)
{
	struct encoder_stats st;
	uint64_t lent, copied;
	char res[32];
	json_t *o;

	encoder_get_stats(v->enc, &st);
	snprintf(res, sizeof(res), "%ux%u", v->width, v->height);
	o = json_pack("{s:s, s:b, s:o, s:s, s:i, s:i, s:s, s:i, s:f, s:f, "
		      "s:f, s:i, s:b}",
	    "source", v->cfg.source, "online", v->online, "reason",
	    v->online ? json_null() : json_string(v->reason), "resolution", res,
	    "width", (int)v->width, "height", (int)v->height, "format",
	    v->format ? v->format : "none", "fps", (int)v->cfg.fps,
	    "captured_fps", v->captured_fps, "encoded_fps", v->encoded_fps,
	    "published_fps", v->published_fps, "quality", v->cfg.quality,
	    "drop_same_frames", v->cfg.drop_same);
	json_object_set_new(o, "subsampling", json_integer(v->cfg.subsampling));
	json_object_set_new(
	    o, "pattern", json_string(pattern_mode_name(v->cfg.pattern_mode)));
	json_object_set_new(o, "encoder",
	    json_pack("{s:s, s:i, s:I, s:I, "
		      "s:I, s:I, s:I, s:f}",
		"library", "libjpeg-turbo", "workers", (int)st.workers,
		"submitted", (json_int_t)st.submitted, "encoded",
		(json_int_t)st.encoded, "dropped_busy",
		(json_int_t)st.dropped_busy, "dropped_stale",
		(json_int_t)st.dropped_stale, "errors", (json_int_t)st.errors,
		"avg_encode_ms",
		st.encoded + st.dropped_stale ? (double)st.encode_us / 1000.0 /
			(double)(st.encoded + st.dropped_stale)
					      : 0.0));
	json_object_set_new(o, "clients", stream_state(v->stream));
	json_object_set_new(o, "h264", h264ws_state(v->h264ws));
	json_object_set_new(o, "send_latency", stream_send_latency());
	video_raw_counts(v, &lent, &copied);
	json_object_set_new(o, "frames",
	    json_pack("{s:I, s:I, s:I, s:I, "
		      "s:I, s:I, s:I}",
		"captured", (json_int_t)v->captured, "published",
		(json_int_t)v->published, "sent",
		(json_int_t)stream_frames_sent(v->stream), "dropped_same",
		(json_int_t)v->dropped_same, "dropped_broken",
		(json_int_t)(v->dropped_bad +
		    (v->cap ? capture_dropped(v->cap) : 0)),
		"raw_lent", (json_int_t)lent, "raw_copied",
		(json_int_t)copied));
	json_object_set_new(o, "dropped_frames",
	    json_integer((json_int_t)(st.dropped_busy + st.dropped_stale +
		v->dropped_same + v->dropped_bad)));
	json_object_set_new(o, "capture_resets",
	    json_pack("{s:I, s:I, s:i, s:b}", "requested",
		(json_int_t)v->resets, "failed", (json_int_t)v->reset_failures,
		"after_seconds", (int)v->cfg.reset_after, "disabled",
		v->reset_disabled));
	return o;
}

/* The same for Prometheus. */
void
video_metrics(struct video *v, struct metrics *m)
{
	struct encoder_stats st;

	encoder_get_stats(v->enc, &st);
	metrics_gauge(m, "online", "1 while a picture comes in.", v->online);
	metrics_gauge(m, "width", "Picture width.", v->width);
	metrics_gauge(m, "height", "Picture height.", v->height);
	metrics_gauge(m, "quality", "JPEG quality.", v->cfg.quality);
	metrics_gauge(
	    m, "captured_fps", "Frames captured per second.", v->captured_fps);
	metrics_gauge(
	    m, "encoded_fps", "Frames encoded per second.", v->encoded_fps);
	metrics_counter(m, "frames_captured_total", "Frames captured.",
	    (double)v->captured);
	metrics_counter(
	    m, "frames_encoded_total", "Frames encoded.", (double)st.encoded);
	metrics_counter(m, "frames_dropped_total",
	    "Frames dropped (busy, stale, same, broken).",
	    (double)(st.dropped_busy + st.dropped_stale + v->dropped_same +
		v->dropped_bad));
	metrics_counter(m, "encode_seconds_total", "CPU time spent encoding.",
	    (double)st.encode_us / 1e6);
	metrics_counter(m, "capture_resets_total",
	    "capture-reset pulses requested.", (double)v->resets);
	stream_metrics(v->stream, m);
	h264ws_metrics(v->h264ws, m);
}

/* The pattern's new settings, already checked (p: its new size, or NULL). */
static void
video_set_pattern_params(struct video *v, int quality, int fps,
    struct pattern *p, unsigned int w, unsigned int h)
{
	if (quality != -1)
		v->cfg.quality = quality;
	if (p != NULL) {
		pattern_free(v->pattern);
		v->pattern = p;
		pattern_set_mode(p, v->cfg.pattern_mode);
		v->width = v->cfg.width = w;
		v->height = v->cfg.height = h;
	}
	if (fps != -1 && (unsigned int)fps != v->cfg.fps) {
		v->cfg.fps = (unsigned int)fps;
		event_del(v->pattern_ev);
		video_update_running(v);
	}
}

/* Reopens the device with a new rate and size; when it refuses, reopens it
 * with the old ones, which stay. */
static int
video_reopen_with(
    struct video *v, unsigned int fps, unsigned int w, unsigned int h)
{
	unsigned int old_fps = v->cfg.fps, old_w = v->cfg.width;
	unsigned int old_h = v->cfg.height;
	int r, r2;

	v->cfg.fps = fps;
	v->cfg.width = w;
	v->cfg.height = h;
	video_close_device(v);
	if ((r = video_open_device(v)) >= 0)
		return 0;
	v->cfg.fps = old_fps;
	v->cfg.width = old_w;
	v->cfg.height = old_h;
	error_clear();
	if ((r2 = video_open_device(v)) < 0)
		return error_set(r == -EINVAL ? -EIO : r,
		    "the device refused the change, and reopening it with the old settings failed too: %s",
		    error_get() ? error_get() : strerror(-r2));
	return error_set(r == -ENODEV || r == -EBUSY ? r : -EINVAL,
	    "the device refused the change; the old settings stay");
}

/* Change quality, fps and resolution: all checked first. */
int
video_set_params(struct video *v, int quality, int fps, const char *resolution)
{
	unsigned int w = v->width, h = v->height;
	struct pattern *p = NULL;
	int r, change_size = 0;

	if (quality != -1 && (quality < 1 || quality > 100))
		return error_set(-EINVAL, "quality must be 1 to 100");
	if (fps != -1 && (fps < 1 || fps > 120))
		return error_set(-EINVAL, "fps must be 1 to 120");
	if (resolution != NULL) {
		if ((r = video_parse_resolution(resolution, &w, &h)) < 0)
			return r;
		change_size = w != v->width || h != v->height;
	}
	if (change_size && v->is_pattern && (r = pattern_new(w, h, &p)) < 0)
		return video_check_pattern_size(w, h);
	if (!v->is_pattern &&
	    (change_size || (fps != -1 && (unsigned int)fps != v->cfg.fps))) {
		/* these need the device, and never wait for it to open */
		if (v->opener != NULL)
			return error_set(-EBUSY,
			    "the device is being opened; try again in a moment");
		if (v->cap == NULL)
			return error_set(-ENODEV,
			    "the device is not open (%s); try again when it is",
			    v->reason);
	}
	if (change_size && !v->is_pattern) {
		if ((r = capture_check_size(v->cap, w, h)) < 0)
			return r;
	}
	/* from here on nothing can fail for the pattern */
	if (v->is_pattern) {
		video_set_pattern_params(v, quality, fps, p, w, h);
		return 0;
	}
	if (!change_size && (fps == -1 || (unsigned int)fps == v->cfg.fps)) {
		if (quality != -1)
			v->cfg.quality = quality;
		return 0;
	}
	if ((r = video_reopen_with(v,
		 fps != -1 ? (unsigned int)fps : v->cfg.fps,
		 change_size ? w : v->cfg.width,
		 change_size ? h : v->cfg.height)) < 0)
		return r; /* nothing changed, quality included */
	if (quality != -1)
		v->cfg.quality = quality;
	return 0;
}

/* The device's input, or -EOPNOTSUPP for the pattern. */
static int
video_edid_device(struct video *v, int *ret_input)
{
	struct capture_info info;

	if (v->is_pattern)
		return error_set(-EOPNOTSUPP,
		    "the source is the test pattern: it has no EDID (start capd with --source DEVICE)");
	*ret_input = v->cfg.input;
	if (v->cap != NULL) {
		capture_get_info(v->cap, &info);
		*ret_input = info.input;
	}
	return 0;
}

/* The job is done: keep a loaded EDID, follow the source, answer. */
static void
video_edid_done(
    int r, const uint8_t *edid, size_t len, const char *why, void *arg)
{
	struct video *v = arg;
	struct video_edid_call call = v->edid_call;

	v->edid_job = NULL;
	if (r >= 0 && call.set) {
		/* kept for the opens to come, which would load the old one */
		v->cfg.edid = memcpy(v->edid, call.edid, call.len);
		v->cfg.edid_len = call.len;
		log_info("%s: EDID loaded (%zu blocks)", v->cfg.source,
		    call.len / EDID_BLOCK);
	}
	if (call.set) /* at the source's timings, new or not */
		video_open_device_async(v);
	if (r < 0)
		error_set(r, "%s", why);
	call.cb(call.req, r, edid, len, call.arg);
}

void
video_edid(struct video *v, struct http_request *req, const uint8_t *set,
    size_t len, video_edid_fn *cb, void *arg)
{
	int input = -1, r;

	if ((r = video_edid_device(v, &input)) < 0 ||
	    (v->edid_job != NULL &&
		(r = error_set(-EBUSY,
		     "another EDID request is under way; try again")) < 0)) {
		cb(req, r, NULL, 0, arg);
		return;
	}
	v->edid_call =
	    (struct video_edid_call){req, set != NULL, {0}, len, cb, arg};
	if (set != NULL) {
		memcpy(v->edid_call.edid, set, len);
		/* a streaming device refuses a new EDID (vivid: EBUSY): close
		 * it; no open until the job is done */
		video_open_abandon(v);
		if (v->cap != NULL)
			video_close_device(v);
		video_offline(v, "loading an EDID");
	}
	if ((r = edidjob_start(v->base, v->cfg.source, input, set, len,
		 video_edid_done, v, &v->edid_job)) < 0) {
		v->edid_job = NULL;
		if (set != NULL)
			video_open_device_async(v);
		cb(req, r, NULL, 0, arg);
	}
}
