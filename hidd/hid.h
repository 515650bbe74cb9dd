/*
 * hid.h -- the keyboard and mouse as the target should see them.
 *
 * The core keeps the held keys (with the client that pressed each), the
 * mouse position and buttons, and a running paste; every change goes to
 * the backend at once.  Safety: everything is released on start, on stop,
 * when the last WebSocket client leaves, and a key whose client has sent
 * nothing for stuck_key_timeout seconds is released.  While a paste is
 * typed, live key events are refused (-EBUSY); mouse events still pass.
 */
#ifndef HIDD_HID_H
#define HIDD_HID_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct event_base;
struct backend;
struct macro_op;
struct paste;
struct hid;

struct hid_config {
	unsigned int stuck_key_timeout; /* seconds; 0: never */
	unsigned int paste_delay_ms;	/* default between reports */
	size_t paste_max_chars;
	const char *default_layout;
	unsigned int jiggler_interval; /* seconds, HID_JIGGLER_MIN..MAX */
};

#define HID_JIGGLER_MIN 1
#define HID_JIGGLER_MAX 3600

/* A client owns the keys it pressed: HID_CLIENT_HTTP for the HTTP API,
 * hid_client_new() for each WebSocket. */
#define HID_CLIENT_HTTP 0

/* Takes ownership of the backend; releases everything at once. */
int hid_new(struct event_base *, struct backend *, struct paste *,
    const struct hid_config *, struct hid **ret);
/* Releases everything, then frees. */
void hid_free(struct hid *);

unsigned int hid_client_new(struct hid *);
/* Releases the client's keys; all of them when it was the last one. */
void hid_client_gone(struct hid *, unsigned int client);
unsigned int hid_clients(const struct hid *);

int hid_key(struct hid *, unsigned int client, uint8_t usage, int down);
/* By KeyboardEvent.code; -EINVAL naming an unknown code. */
int hid_key_code(struct hid *, unsigned int client, const char *code, int down);
int hid_mouse_abs(struct hid *, unsigned int client, long long x, long long y);
int hid_mouse_rel(
    struct hid *, unsigned int client, long long dx, long long dy);
/* button: a REPORT_BTN_* bit. */
int hid_mouse_button(
    struct hid *, unsigned int client, uint8_t button, int down);
int hid_mouse_wheel(
    struct hid *, unsigned int client, long long dx, long long dy);
/* A button name ("left", "right", "middle", "back", "forward") to its
 * bit; -EINVAL naming it. */
int hid_button_bit(const char *name, uint8_t *ret_bit);
/* Everything up (a running paste is cancelled). why is for the log. */
int hid_release(struct hid *, const char *why);

/* Maps the whole text first (refusing it whole), then types it. */
int hid_paste(struct hid *, const char *text, size_t len, const char *layout,
    long long delay_ms);
/* Stops the paste or macro running: 1 if one ran, 0 if not. */
int hid_paste_cancel(struct hid *);

/*
 * Plays a compiled macro (macro.h) through the paste job: refused -EBUSY
 * while a paste or macro runs; live keys are let up first.  Takes ops
 * (xmalloc'ed) in every case.  delay_ms < 0: the configured paste delay,
 * between reports.
 */
int hid_macro_run(struct hid *, const char *name, struct macro_op *ops,
    size_t n, long long delay_ms);
/* Stops a running macro only: 1 if one ran. */
int hid_macro_cancel(struct hid *);

/* The jiggler: enabled (0/1, -1 unchanged), interval in seconds (0
 * unchanged; else HID_JIGGLER_MIN..MAX, -EINVAL otherwise). */
int hid_jiggler_set(struct hid *, int enabled, long long interval);

/* The whole observable state, and the parts the page wants pushed. */
json_t *hid_state(struct hid *);
json_t *hid_push_state(struct hid *);
/* Called when online, LEDs or paste progress changed. */
void hid_on_change(struct hid *, void (*cb)(struct hid *, void *), void *arg);
/* Time from an event's arrival to its report written, for /metrics and
 * the benchmark: nanoseconds at quantile q (0..1) over recent events. */
double hid_latency_quantile(const struct hid *, double q);
void hid_latency_add(struct hid *, uint64_t ns);
uint64_t hid_now_ns(void);
json_t *hid_counters(const struct hid *);

#endif
