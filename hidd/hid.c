/*
 * hid.c -- the core: held keys with their owners, the mouse, the safety
 * releases, and the paste job (see hid.h).
 *
 * Every input call changes the state first, then hands the change to the
 * backend.  A backend error (target not attached) is returned so the HTTP
 * API can say the input was dropped; the state still follows the user, and
 * a release sends it back to all-up.  A paste is typed one report per
 * timer tick, and only when the backend has nothing pending, so a slow
 * host delays the paste instead of losing keystrokes.  A macro is the same
 * job with a list of operations instead of keystrokes (macro.h), so a
 * paste and a macro never run together and both refuse live keys.
 *
 * The jiggler is a timer that runs while it is enabled: each tick (a
 * quarter second) it nudges the mouse when nothing arrived for the
 * interval, no job runs and nothing is held, so a nudge never lands in
 * the middle of the user's own input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "backend.h"
#include "error.h"
#include "hid.h"
#include "keymap.h"
#include "log.h"
#include "macro.h"
#include "paste.h"
#include "report.h"
#include "xmalloc.h"
#include "utf8.h"

#define HID_MAX_OWNED	 (REPORT_KBD_MAX_HELD + 8)
#define HID_LAT_N	 4096
#define HID_CLIENT_PASTE ((unsigned int)-1)

struct hid_owned {
	uint8_t usage;
	unsigned int client;
	uint64_t refreshed; /* ns, last event of its client */
};

enum hid_job_kind {
	HID_JOB_PASTE,
	HID_JOB_MACRO,
};

struct hid_paste_job {
	int active;
	enum hid_job_kind kind;
	struct paste_stroke *strokes;
	size_t n, chars;
	struct paste_cursor cur;
	unsigned int delay_ms;
	char layout[PASTE_LAYOUT_MAX];
	struct event *timer;
	uint64_t last_push;
	/* The last paste's outcome, for /state. */
	const char *result; /* "done", "cancelled", ... */
	char error[160];
	/* A macro: its operations, and the last one's outcome. */
	struct macro_op *ops;
	size_t nops, op_i;
	char name[MACRO_NAME_MAX + 1];
	const char *macro_result;
	char macro_error[160];
};

struct hid_jiggler {
	int enabled;
	unsigned int interval; /* seconds */
	uint64_t last_input;   /* ns */
	uint64_t nudges;
	struct event *timer;
};

struct hid {
	struct event_base *base;
	struct backend *b;
	struct paste *p;
	struct hid_config cfg;
	char *default_layout;
	struct report_kbd kbd;
	struct hid_owned owned[HID_MAX_OWNED];
	size_t nowned;
	struct report_mouse mouse;
	enum backend_mouse_kind mouse_kind;
	unsigned int clients, next_client;
	int was_online;
	struct event *stuck_timer;
	struct hid_paste_job job;
	struct hid_jiggler jig;
	void (*on_change)(struct hid *, void *);
	void *on_change_arg;
	uint32_t lat[HID_LAT_N]; /* ns, saturated */
	size_t lat_n, lat_i;
	uint64_t n_keys, n_mouse, n_dropped, n_stuck;
	uint64_t n_pastes, n_paste_chars, n_releases;
};

static int hid_send_kbd(struct hid *, const struct report_kbd *);
static void hid_job_keys_up(struct hid *);

/* Monotonic nanoseconds. */
uint64_t
hid_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Tells the listener (the WebSocket pushes). */
static void
hid_changed(struct hid *hd)
{
	if (hd->on_change != NULL)
		hd->on_change(hd, hd->on_change_arg);
}

/* The backend saw online or LEDs change. */
static void
hid_backend_changed(struct backend *b, void *arg)
{
	struct hid *hd = arg;
	struct backend_status st;

	b->ops->status(b, &st);
	log_info("target %s%s%s; LEDs 0x%02x", st.online ? "online" : "offline",
	    st.reason ? ": " : "", st.reason ? st.reason : "", st.leds);
	/* Back: the target gets the current state (presses made while it
	 * was away were dropped, releases were kept). */
	if (st.online && hd->was_online == 0) {
		struct report_kbd old = hd->kbd;

		hd->was_online = 1;
		hid_send_kbd(hd, &old);
	}
	hd->was_online = st.online;
	hid_changed(hd);
}

/* Counts a backend failure; passes the error on. */
static int
hid_backend_result(struct hid *hd, int r)
{
	if (r < 0)
		hd->n_dropped++;
	return r;
}

/* Sends the keyboard state after a change from old. */
static int
hid_send_kbd(struct hid *hd, const struct report_kbd *old)
{
	return hid_backend_result(
	    hd, hd->b->ops->keyboard(hd->b, old, &hd->kbd));
}

/* Sends a mouse event of the current kind. */
static int
hid_send_mouse(struct hid *hd, enum backend_mouse_kind kind, uint8_t changed,
    int dx, int dy, int wheel, int hwheel)
{
	struct backend_mouse m;

	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.buttons = hd->mouse.buttons;
	m.changed = changed;
	m.x = hd->mouse.x;
	m.y = hd->mouse.y;
	m.dx = dx;
	m.dy = dy;
	m.wheel = wheel;
	m.hwheel = hwheel;
	return hid_backend_result(hd, hd->b->ops->mouse(hd->b, &m));
}

/* Any event from a client keeps its held keys alive. */
static void
hid_refresh(struct hid *hd, unsigned int client)
{
	uint64_t now = hid_now_ns();
	size_t i;

	hd->jig.last_input = now;
	for (i = 0; i < hd->nowned; i++)
		if (hd->owned[i].client == client)
			hd->owned[i].refreshed = now;
}

/* Records or forgets who holds a key. */
static void
hid_own(struct hid *hd, uint8_t usage, unsigned int client, int down)
{
	size_t i;

	for (i = 0; i < hd->nowned; i++)
		if (hd->owned[i].usage == usage)
			break;
	if (!down) {
		if (i < hd->nowned)
			hd->owned[i] = hd->owned[--hd->nowned];
		return;
	}
	if (i == hd->nowned) {
		if (hd->nowned == HID_MAX_OWNED)
			return;
		hd->nowned++;
	}
	hd->owned[i].usage = usage;
	hd->owned[i].client = client;
	hd->owned[i].refreshed = hid_now_ns();
}

/* A key change without the paste check. */
static int
hid_key_apply(struct hid *hd, unsigned int client, uint8_t usage, int down)
{
	struct report_kbd old = hd->kbd;
	int r;

	if ((r = report_kbd_key(&hd->kbd, usage, down)) < 0)
		return r;
	hid_refresh(hd, client);
	if (r == 0)
		return 0; /* a repeat, or up of a key not held */
	hid_own(hd, usage, client, down);
	hd->n_keys++;
	if ((r = hid_send_kbd(hd, &old)) < 0 && down) {
		/* Refused or dropped: the key must not appear held later.  A release
		 * is kept, so nothing can stick. */
		struct report_kbd with = hd->kbd;

		report_kbd_key(&hd->kbd, usage, 0);
		hid_own(hd, usage, client, 0);
		/* The backend keeps its own copy (for a resync): tell it. */
		hd->b->ops->keyboard(hd->b, &with, &hd->kbd);
	}
	return r;
}

/* -EBUSY saying which job runs, or 0. */
static int
hid_job_busy(struct hid *hd)
{
	if (hd->job.active && hd->job.kind == HID_JOB_MACRO)
		return error_set(-EBUSY,
		    "the macro \"%s\" is being played: wait for it or POST /macro/cancel",
		    hd->job.name);
	if (hd->job.active)
		return error_set(-EBUSY,
		    "a paste is being typed: wait for it or POST /paste/cancel");
	return 0;
}

/* A live key event. */
int
hid_key(struct hid *hd, unsigned int client, uint8_t usage, int down)
{
	int r;

	if ((r = hid_job_busy(hd)) < 0)
		return r;
	return hid_key_apply(hd, client, usage, down);
}

/* A live key event by KeyboardEvent.code. */
int
hid_key_code(struct hid *hd, unsigned int client, const char *code, int down)
{
	uint8_t usage;
	int r;

	if ((r = keymap_usage(code, &usage)) < 0)
		return r;
	return hid_key(hd, client, usage, down);
}

/* Absolute move. */
int
hid_mouse_abs(struct hid *hd, unsigned int client, long long x, long long y)
{
	if (x < 0 || x > REPORT_ABS_MAX || y < 0 || y > REPORT_ABS_MAX)
		return error_set(-EINVAL,
		    "absolute position (%lld, %lld) is outside 0..%d", x, y,
		    REPORT_ABS_MAX);
	hid_refresh(hd, client);
	hd->mouse.x = (uint16_t)x;
	hd->mouse.y = (uint16_t)y;
	hd->mouse_kind = BACKEND_MOUSE_ABS;
	hd->n_mouse++;
	return hid_send_mouse(hd, BACKEND_MOUSE_ABS, 0, 0, 0, 0, 0);
}

/* Relative move, in steps of at most 127. */
int
hid_mouse_rel(struct hid *hd, unsigned int client, long long dx, long long dy)
{
	int r = 0, sx, sy;

	if (dx < -32767 || dx > 32767 || dy < -32767 || dy > 32767)
		return error_set(-EINVAL,
		    "relative move (%lld, %lld) is outside -32767..32767", dx,
		    dy);
	hid_refresh(hd, client);
	hd->mouse_kind = BACKEND_MOUSE_REL;
	hd->n_mouse++;
	do {
		sx = dx < -127 ? -127 : dx > 127 ? 127 : (int)dx;
		sy = dy < -127 ? -127 : dy > 127 ? 127 : (int)dy;
		if ((r = hid_send_mouse(
			 hd, BACKEND_MOUSE_REL, 0, sx, sy, 0, 0)) < 0)
			return r;
		dx -= sx;
		dy -= sy;
	} while (dx != 0 || dy != 0);
	return r;
}

/* Button names of the API. */
int
hid_button_bit(const char *name, uint8_t *ret_bit)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} names[] = {
	    {"left", REPORT_BTN_LEFT},
	    {"right", REPORT_BTN_RIGHT},
	    {"middle", REPORT_BTN_MIDDLE},
	    {"back", REPORT_BTN_BACK},
	    {"forward", REPORT_BTN_FORWARD},
	};
	char q[40];
	size_t i;

	for (i = 0; name != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0) {
			*ret_bit = names[i].bit;
			return 0;
		}
	return error_set(-EINVAL,
	    "unknown mouse button \"%s\": use left, right, middle, back or forward",
	    name ? utf8_quote(name, strlen(name), q, sizeof(q)) : "");
}

/* A button on the pointer last moved (absolute by default). */
int
hid_mouse_button(struct hid *hd, unsigned int client, uint8_t button, int down)
{
	uint8_t old = hd->mouse.buttons;
	int r;

	if (button == 0 || (button & ~REPORT_BTN_ALL) ||
	    (button & (button - 1)))
		return error_set(
		    -EINVAL, "bad mouse button bit 0x%02x", button);
	hid_refresh(hd, client);
	hd->mouse.buttons =
	    down ? (uint8_t)(old | button) : (uint8_t)(old & ~button);
	if (hd->mouse.buttons == old)
		return 0;
	hd->n_mouse++;
	r = hid_send_mouse(hd, hd->mouse_kind, button, 0, 0, 0, 0);
	if (r < 0 && down) {
		/* Dropped, so not held later (the backend hears it too). */
		hd->mouse.buttons = old;
		hid_send_mouse(hd, hd->mouse_kind, button, 0, 0, 0, 0);
	}
	return r;
}

/* Wheel: dy > 0 scrolls down, dx > 0 right (the browser's sense). */
int
hid_mouse_wheel(struct hid *hd, unsigned int client, long long dx, long long dy)
{
	if (dx < -127 || dx > 127 || dy < -127 || dy > 127)
		return error_set(-EINVAL,
		    "wheel (%lld, %lld) is outside -127..127 notches", dx, dy);
	hid_refresh(hd, client);
	if (dx == 0 && dy == 0)
		return 0;
	hd->n_mouse++;
	return hid_send_mouse(hd, hd->mouse_kind, 0, 0, 0, (int)-dy, (int)dx);
}

/* Empty keyboard report; mouse buttons up on both pointers. */
static int
hid_all_up(struct hid *hd)
{
	struct report_kbd old = hd->kbd;
	uint8_t buttons = hd->mouse.buttons;
	int r, ret = 0;

	report_kbd_clear(&hd->kbd);
	hd->nowned = 0;
	hd->mouse.buttons = 0;
	if ((r = hid_send_kbd(hd, &old)) < 0 && r != -EOPNOTSUPP)
		ret = r;
	if ((r = hid_send_mouse(hd, BACKEND_MOUSE_ABS, buttons, 0, 0, 0, 0)) <
		0 &&
	    r != -EOPNOTSUPP && ret == 0)
		ret = r;
	if ((r = hid_send_mouse(hd, BACKEND_MOUSE_REL, buttons, 0, 0, 0, 0)) <
		0 &&
	    r != -EOPNOTSUPP && ret == 0)
		ret = r;
	if (hd->b->ops->release != NULL &&
	    (r = hd->b->ops->release(hd->b)) < 0 && ret == 0)
		ret = r;
	return ret;
}

/* Ends the paste job, recording how. */
static void
hid_paste_end(struct hid *hd, const char *result, const char *error)
{
	struct hid_paste_job *j = &hd->job;

	if (!j->active)
		return;
	j->active = 0;
	event_del(j->timer);
	hd->jig.last_input = hid_now_ns();
	if (j->kind == HID_JOB_MACRO) {
		free(j->ops);
		j->ops = NULL;
		j->macro_result = result;
		utf8_format(j->macro_error, sizeof(j->macro_error), "%s",
		    error ? error : "");
		log_info("macro \"%s\" %s after %zu of %zu steps%s%s", j->name,
		    result, j->op_i, j->nops, error ? ": " : "",
		    error ? error : "");
		hid_changed(hd);
		return;
	}
	free(j->strokes);
	j->strokes = NULL;
	j->result = result;
	utf8_format(j->error, sizeof(j->error), "%s", error ? error : "");
	log_info("paste %s after %zu of %zu keystrokes%s%s", result, j->cur.i,
	    j->n, error ? ": " : "", error ? error : "");
	hid_changed(hd);
}

/* Everything up; a running paste is cancelled. */
int
hid_release(struct hid *hd, const char *why)
{
	hid_paste_end(hd, "cancelled", why);
	hd->n_releases++;
	log_debug("release all: %s", why);
	return hid_all_up(hd);
}

/* Keys whose client went quiet for too long are released. */
static void
hid_stuck_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hid *hd = arg;
	uint64_t now = hid_now_ns(), limit;
	size_t i;

	if (hd->cfg.stuck_key_timeout == 0 || hd->job.active)
		return;
	limit = (uint64_t)hd->cfg.stuck_key_timeout * 1000000000u;
	for (i = 0; i < hd->nowned;) {
		const struct hid_owned *o = &hd->owned[i];
		const struct keymap_entry *e = keymap_by_usage(o->usage);

		if (now - o->refreshed < limit) {
			i++;
			continue;
		}
		log_warnx("releasing %s: no event from its client for %u s",
		    e ? e->code : "a key", hd->cfg.stuck_key_timeout);
		hd->n_stuck++;
		/* hid_own() moves the last entry here: do not advance. */
		hid_key_apply(hd, o->client, o->usage, 0);
	}
}

/* New client id. */
unsigned int
hid_client_new(struct hid *hd)
{
	hd->clients++;
	if (++hd->next_client == HID_CLIENT_PASTE)
		hd->next_client = 1;
	return hd->next_client;
}

/* A client left: its keys go up; all go up if it was the last. */
void
hid_client_gone(struct hid *hd, unsigned int client)
{
	size_t i;

	if (hd->clients > 0)
		hd->clients--;
	if (hd->clients == 0) {
		hid_release(hd, "the last client left");
		return;
	}
	for (i = 0; i < hd->nowned;) {
		if (hd->owned[i].client == client)
			hid_key_apply(hd, client, hd->owned[i].usage, 0);
		else
			i++;
	}
}

/* Connected WebSocket clients. */
unsigned int
hid_clients(const struct hid *hd)
{
	return hd->clients;
}

/* Schedules the job's next tick in ms. */
static void
hid_job_next(struct hid *hd, unsigned int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(hd->job.timer, &tv);
}

/* One macro operation that changes the keyboard, or a pause; operations
 * that change nothing (a key already up) are skipped at once. */
static void
hid_macro_tick(struct hid *hd)
{
	struct hid_paste_job *j = &hd->job;
	struct report_kbd old = hd->kbd;
	const struct macro_op *op;
	int changed = 0;

	while (!changed && j->op_i < j->nops) {
		op = &j->ops[j->op_i++];
		if (op->kind == MACRO_OP_DELAY) {
			hid_job_next(hd, op->ms);
			return;
		}
		if (op->kind == MACRO_OP_KEY)
			changed = report_kbd_key(
				      &hd->kbd, op->usage, op->down_mods) > 0;
		else {
			report_kbd_clear(&hd->kbd);
			hd->kbd.mods = op->down_mods;
			if (op->usage != 0)
				report_kbd_key(&hd->kbd, op->usage, 1);
			changed = old.mods != hd->kbd.mods ||
			    old.n != hd->kbd.n ||
			    memcmp(old.keys, hd->kbd.keys, old.n) != 0;
		}
	}
	if (!changed && (hd->kbd.n != 0 || hd->kbd.mods != 0)) {
		report_kbd_clear(&hd->kbd); /* the end: nothing stays held */
		changed = 1;
	}
	if (!changed) {
		hid_paste_end(hd, "done", NULL);
		return;
	}
	if (hid_send_kbd(hd, &old) < 0) {
		report_kbd_clear(&hd->kbd);
		hid_paste_end(hd, "failed", error_get());
		return;
	}
	if (hid_now_ns() - j->last_push > 250000000u) {
		j->last_push = hid_now_ns();
		hid_changed(hd);
	}
	hid_job_next(hd, j->delay_ms);
}

/* One paste report per tick, once the backend has taken the last. */
static void
hid_paste_tick(evutil_socket_t fd, short what, void *arg)
{
	struct hid *hd = arg;
	struct hid_paste_job *j = &hd->job;
	struct report_kbd old = hd->kbd;
	struct timeval tv = {0, 0};
	uint8_t r[8];
	uint64_t now;
	int res;

	if (!j->active)
		return;
	if (hd->b->ops->pending != NULL && hd->b->ops->pending(hd->b) > 0) {
		tv.tv_usec = 2000;
		event_add(j->timer, &tv);
		return;
	}
	if (j->kind == HID_JOB_MACRO) {
		hid_macro_tick(hd);
		return;
	}
	if (!paste_next_report(j->strokes, j->n, &j->cur, r)) {
		hd->n_paste_chars += j->chars;
		hid_paste_end(hd, "done", NULL);
		return;
	}
	report_kbd_clear(&hd->kbd);
	hd->kbd.mods = r[0];
	if (r[2] != 0)
		report_kbd_key(&hd->kbd, r[2], 1);
	if ((res = hid_send_kbd(hd, &old)) < 0) {
		report_kbd_clear(&hd->kbd);
		hid_paste_end(hd, "failed", error_get());
		return;
	}
	now = hid_now_ns();
	if (now - j->last_push > 250000000u) {
		j->last_push = now;
		hid_changed(hd);
	}
	tv.tv_sec = j->delay_ms / 1000;
	tv.tv_usec = (j->delay_ms % 1000) * 1000;
	event_add(j->timer, &tv);
}

/* Counts UTF-8 characters (the text is valid: paste_map checked it). */
static size_t
hid_utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Maps the text (refusing it whole), releases live keys, starts typing. */
int
hid_paste(struct hid *hd, const char *text, size_t len, const char *layout,
    long long delay_ms)
{
	struct hid_paste_job *j = &hd->job;
	const struct paste_layout *l;
	struct paste_stroke *s;
	size_t n, chars;
	struct timeval now = {0, 0};
	struct backend_status bst;
	int r;

	if ((r = hid_job_busy(hd)) < 0)
		return r;
	if (hd->p == NULL)
		return error_set(
		    -EOPNOTSUPP, "paste is not available (no xkb context)");
	if (layout == NULL)
		layout = hd->default_layout;
	if (delay_ms < 0)
		delay_ms = hd->cfg.paste_delay_ms;
	if (delay_ms > 1000)
		return error_set(
		    -EINVAL, "delay_ms %lld is above 1000", delay_ms);
	if ((r = paste_layout(hd->p, layout, &l)) < 0)
		return r;
	if ((r = paste_map(l, text, len, &s, &n)) < 0)
		return r;
	/* Caps Lock on would invert every letter: switch it off for the
	 * paste and back on afterwards. */
	hd->b->ops->status(hd->b, &bst);
	if (bst.leds_known && (bst.leds & REPORT_LED_CAPS) && n > 0) {
		s = xreallocarray(s, n + 2, sizeof(*s));
		memmove(s + 1, s, n * sizeof(*s));
		s[0].mods = 0;
		s[0].usage = 0x39;
		s[n + 1] = s[0];
		n += 2;
	}
	chars = hid_utf8_chars(text, len);
	if (chars > hd->cfg.paste_max_chars) {
		free(s);
		return error_set(-EMSGSIZE,
		    "text has %zu characters, more than the %zu one paste may type",
		    chars, hd->cfg.paste_max_chars);
	}
	hid_job_keys_up(hd);
	memset(&j->cur, 0, sizeof(j->cur));
	j->strokes = s;
	j->n = n;
	j->chars = chars;
	j->delay_ms = (unsigned int)delay_ms;
	snprintf(j->layout, sizeof(j->layout), "%s", layout);
	j->kind = HID_JOB_PASTE;
	j->active = 1;
	j->result = "typing";
	j->error[0] = '\0';
	j->last_push = hid_now_ns();
	hd->n_pastes++;
	log_info("paste: %zu characters, %zu keystrokes, layout %s, %lld ms",
	    chars, n, layout, delay_ms);
	event_add(j->timer, &now);
	hid_changed(hd);
	return 0;
}

/* Stops typing; returns 1 if a paste was running, 0 if not. */
int
hid_paste_cancel(struct hid *hd)
{
	struct report_kbd old = hd->kbd;

	if (!hd->job.active)
		return 0;
	hid_paste_end(hd, "cancelled", "cancelled by request");
	report_kbd_clear(&hd->kbd);
	hid_send_kbd(hd, &old);
	return 1;
}

/* Live keys up for a job; the mouse is left alone. */
static void
hid_job_keys_up(struct hid *hd)
{
	struct report_kbd old = hd->kbd;

	report_kbd_clear(&hd->kbd);
	hd->nowned = 0;
	if (old.mods != 0 || old.n != 0)
		hid_send_kbd(hd, &old);
}

/* Starts playing a macro; see hid.h. */
int
hid_macro_run(struct hid *hd, const char *name, struct macro_op *ops, size_t n,
    long long delay_ms)
{
	struct hid_paste_job *j = &hd->job;
	struct backend_status bst;
	int r;

	if (delay_ms < 0)
		delay_ms = hd->cfg.paste_delay_ms;
	if (delay_ms > 1000)
		r = error_set(-EINVAL, "delay_ms %lld is above 1000", delay_ms);
	else
		r = hid_job_busy(hd);
	if (r < 0) {
		free(ops);
		return r;
	}
	/* Caps Lock on would invert letters: off for the macro, on after. */
	hd->b->ops->status(hd->b, &bst);
	if (bst.leds_known && (bst.leds & REPORT_LED_CAPS) && n > 0) {
		ops = xreallocarray(ops, n + 4, sizeof(*ops));
		memmove(ops + 2, ops, n * sizeof(*ops));
		memset(ops, 0, 2 * sizeof(*ops));
		ops[0].usage = ops[1].usage = 0x39;
		ops[0].down_mods = 1;
		ops[n + 2] = ops[0];
		ops[n + 3] = ops[1];
		n += 4;
	}
	hid_job_keys_up(hd);
	j->ops = ops;
	j->nops = n;
	j->op_i = 0;
	j->delay_ms = (unsigned int)delay_ms;
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->kind = HID_JOB_MACRO;
	j->active = 1;
	j->macro_result = "playing";
	j->macro_error[0] = '\0';
	j->last_push = hid_now_ns();
	log_info("macro \"%s\": %zu steps, %lld ms", name, n, delay_ms);
	hid_job_next(hd, 0);
	hid_changed(hd);
	return 0;
}

/* Stops a macro, not a paste. */
int
hid_macro_cancel(struct hid *hd)
{
	if (!hd->job.active || hd->job.kind != HID_JOB_MACRO)
		return 0;
	return hid_paste_cancel(hd);
}

/* One unit out and back on the relative mouse, else the absolute one. */
static void
hid_jiggle(struct hid *hd)
{
	uint16_t x = hd->mouse.x;
	int r;

	hd->jig.nudges++;
	if ((r = hid_send_mouse(hd, BACKEND_MOUSE_REL, 0, 1, 0, 0, 0)) !=
	    -EOPNOTSUPP) {
		if (r == 0)
			hid_send_mouse(hd, BACKEND_MOUSE_REL, 0, -1, 0, 0, 0);
		return;
	}
	hd->mouse.x = x < REPORT_ABS_MAX ? x + 1 : x - 1;
	r = hid_send_mouse(hd, BACKEND_MOUSE_ABS, 0, 0, 0, 0, 0);
	hd->mouse.x = x;
	if (r == 0)
		hid_send_mouse(hd, BACKEND_MOUSE_ABS, 0, 0, 0, 0, 0);
}

/* The jiggler's tick: a nudge only after a quiet interval with nothing
 * held and no job running. */
static void
hid_jiggler_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hid *hd = arg;
	uint64_t now = hid_now_ns();

	if (!hd->jig.enabled || hd->job.active || hd->kbd.n != 0 ||
	    hd->kbd.mods != 0 || hd->mouse.buttons != 0 ||
	    now - hd->jig.last_input < hd->jig.interval * 1000000000ull)
		return;
	hid_jiggle(hd);
	hd->jig.last_input = now;
}

/* Switches the jiggler on or off, sets its interval. */
int
hid_jiggler_set(struct hid *hd, int enabled, long long interval)
{
	struct timeval tick = {0, 250000};

	if (interval != 0 &&
	    (interval < HID_JIGGLER_MIN || interval > HID_JIGGLER_MAX))
		return error_set(-EINVAL,
		    "the jiggler's interval %lld s is outside %d..%d", interval,
		    HID_JIGGLER_MIN, HID_JIGGLER_MAX);
	if (interval != 0)
		hd->jig.interval = (unsigned int)interval;
	if (enabled >= 0 && enabled != hd->jig.enabled) {
		hd->jig.enabled = enabled;
		/* the interval counts from now */
		hd->jig.last_input = hid_now_ns();
		if (enabled)
			event_add(hd->jig.timer, &tick);
		else
			event_del(hd->jig.timer);
		log_info("jiggler %s, every %u s without input",
		    enabled ? "on" : "off", hd->jig.interval);
	}
	hid_changed(hd);
	return 0;
}

/* The jiggler for /state and pushes. */
static json_t *
hid_jiggler_json(struct hid *hd)
{
	return json_pack("{s:b, s:i, s:I}", "enabled", hd->jig.enabled,
	    "interval", (int)hd->jig.interval, "nudges",
	    (json_int_t)hd->jig.nudges);
}

/* Macro progress for /state and pushes. */
static json_t *
hid_macro_json(struct hid *hd)
{
	struct hid_paste_job *j = &hd->job;
	int active = j->active && j->kind == HID_JOB_MACRO;
	json_t *o;

	o = json_pack(
	    "{s:b, s:s?}", "active", active, "result", j->macro_result);
	if (j->macro_result != NULL) {
		json_object_set_new(o, "name", json_string(j->name));
		json_object_set_new(
		    o, "steps", json_integer((json_int_t)j->nops));
		json_object_set_new(
		    o, "done", json_integer((json_int_t)j->op_i));
	}
	if (j->macro_error[0] != '\0')
		json_object_set_new(o, "error", json_string(j->macro_error));
	return o;
}

/* Paste progress for /state and pushes. */
static json_t *
hid_paste_json(struct hid *hd)
{
	struct hid_paste_job *j = &hd->job;
	json_t *o;

	o = json_pack("{s:b, s:s?}", "active",
	    j->active && j->kind == HID_JOB_PASTE, "result", j->result);
	if ((j->active && j->kind == HID_JOB_PASTE) || j->result != NULL) {
		json_object_set_new(o, "layout", json_string(j->layout));
		json_object_set_new(
		    o, "keystrokes", json_integer((json_int_t)j->n));
		json_object_set_new(o, "done",
		    json_integer(
			(json_int_t)(j->cur.i > j->n ? j->n : j->cur.i)));
		json_object_set_new(
		    o, "characters", json_integer((json_int_t)j->chars));
		json_object_set_new(o, "progress",
		    json_real(j->n ? (double)j->cur.i / (double)j->n : 1.0));
	}
	if (j->error[0] != '\0')
		json_object_set_new(o, "error", json_string(j->error));
	return o;
}

/* LED object. */
static json_t *
hid_leds_json(const struct backend_status *st)
{
	return json_pack("{s:b, s:b, s:b, s:b}", "known", st->leds_known, "num",
	    (st->leds & REPORT_LED_NUM) != 0, "caps",
	    (st->leds & REPORT_LED_CAPS) != 0, "scroll",
	    (st->leds & REPORT_LED_SCROLL) != 0);
}

/* What the page gets pushed. */
json_t *
hid_push_state(struct hid *hd)
{
	struct backend_status st;

	hd->b->ops->status(hd->b, &st);
	return json_pack("{s:s, s:b, s:s?, s:o, s:o, s:o, s:o}", "t", "state",
	    "online", st.online, "reason", st.reason, "leds",
	    hid_leds_json(&st), "paste", hid_paste_json(hd), "macro",
	    hid_macro_json(hd), "jiggler", hid_jiggler_json(hd));
}

/* Everything for GET /state. */
json_t *
hid_state(struct hid *hd)
{
	struct backend_status st;
	const struct keymap_entry *e;
	json_t *keys = json_array(), *mods = json_array();
	json_t *buttons = json_array();
	static const char *const bnames[] = {
	    "left", "right", "middle", "back", "forward"};
	size_t i;

	hd->b->ops->status(hd->b, &st);
	for (i = 0; i < 8; i++)
		if (hd->kbd.mods & (1u << i)) {
			e = keymap_by_usage(KEYMAP_USAGE_MOD_FIRST + i);
			json_array_append_new(mods, json_string(e->code));
		}
	for (i = 0; i < hd->kbd.n; i++) {
		e = keymap_by_usage(hd->kbd.keys[i]);
		json_array_append_new(keys,
		    e ? json_string(e->code) : json_integer(hd->kbd.keys[i]));
	}
	for (i = 0; i < 5; i++)
		if (hd->mouse.buttons & (1u << i))
			json_array_append_new(buttons, json_string(bnames[i]));
	return json_pack("{s:s, s:b, s:s?, s:o, s:{s:o, s:o, s:b}, "
			 "s:{s:s, s:i, s:i, s:o}, s:o, s:{s:s, s:o}, s:i, s:i, "
			 "s:o, s:o, s:o, s:o}",
	    "backend", hd->b->ops->name, "online", st.online, "reason",
	    st.reason, "leds", hid_leds_json(&st), "held", "keys", keys,
	    "modifiers", mods, "rollover", hd->kbd.n > REPORT_KBD_SLOTS,
	    "mouse", "mode",
	    hd->mouse_kind == BACKEND_MOUSE_ABS ? "absolute" : "relative", "x",
	    hd->mouse.x, "y", hd->mouse.y, "buttons", buttons, "paste",
	    hid_paste_json(hd), "layouts", "default", hd->default_layout,
	    "used", hd->p ? paste_cached_layouts(hd->p) : json_array(),
	    "clients", (int)hd->clients, "stuck_key_timeout",
	    (int)hd->cfg.stuck_key_timeout, "devices",
	    hd->b->ops->details ? hd->b->ops->details(hd->b) : json_object(),
	    "counters", hid_counters(hd), "macro", hid_macro_json(hd),
	    "jiggler", hid_jiggler_json(hd));
}

/* Counters for /state and /metrics. */
json_t *
hid_counters(const struct hid *hd)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "key_events",
	    (json_int_t)hd->n_keys, "mouse_events", (json_int_t)hd->n_mouse,
	    "dropped", (json_int_t)hd->n_dropped, "stuck_releases",
	    (json_int_t)hd->n_stuck, "pastes", (json_int_t)hd->n_pastes,
	    "pasted_characters", (json_int_t)hd->n_paste_chars, "releases",
	    (json_int_t)hd->n_releases);
}

/* Sets the change listener. */
void
hid_on_change(struct hid *hd, void (*cb)(struct hid *, void *), void *arg)
{
	hd->on_change = cb;
	hd->on_change_arg = arg;
}

/* Records one event's in-daemon latency. */
void
hid_latency_add(struct hid *hd, uint64_t ns)
{
	hd->lat[hd->lat_i] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
	hd->lat_i = (hd->lat_i + 1) % HID_LAT_N;
	if (hd->lat_n < HID_LAT_N)
		hd->lat_n++;
}

/* Orders samples. */
static int
hid_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A latency quantile in ns over the recent samples; 0 with none. */
double
hid_latency_quantile(const struct hid *hd, double q)
{
	uint32_t *s;
	size_t i;
	double v;

	if (hd->lat_n == 0)
		return 0;
	s = xreallocarray(NULL, hd->lat_n, sizeof(*s));
	memcpy(s, hd->lat, hd->lat_n * sizeof(*s));
	qsort(s, hd->lat_n, sizeof(*s), hid_cmp_u32);
	i = (size_t)(q * (double)(hd->lat_n - 1) + 0.5);
	v = s[i < hd->lat_n ? i : hd->lat_n - 1];
	free(s);
	return v;
}

/* Sets up the core and releases everything once. */
int
hid_new(struct event_base *base, struct backend *b, struct paste *p,
    const struct hid_config *cfg, struct hid **ret)
{
	struct hid *hd = xcalloc(1, sizeof(*hd));
	struct timeval sec = {1, 0};

	hd->base = base;
	hd->b = b;
	hd->p = p;
	hd->cfg = *cfg;
	hd->default_layout =
	    xstrdup(cfg->default_layout ? cfg->default_layout : "us");
	hd->mouse.x = hd->mouse.y = (REPORT_ABS_MAX + 1) / 2;
	hd->mouse_kind = BACKEND_MOUSE_ABS;
	b->changed = hid_backend_changed;
	b->changed_arg = hd;
	hd->job.timer = evtimer_new(base, hid_paste_tick, hd);
	hd->stuck_timer = event_new(base, -1, EV_PERSIST, hid_stuck_cb, hd);
	hd->jig.timer = event_new(base, -1, EV_PERSIST, hid_jiggler_cb, hd);
	hd->jig.interval = cfg->jiggler_interval ? cfg->jiggler_interval : 60;
	if (cfg->stuck_key_timeout > 0)
		event_add(hd->stuck_timer, &sec);
	{
		struct backend_status st;

		b->ops->status(b, &st);
		hd->was_online = st.online;
	}
	if (hid_all_up(hd) < 0)
		log_warnx("release at start: %s", error_get());
	*ret = hd;
	return 0;
}

/* Releases everything and frees; NULL is fine. */
void
hid_free(struct hid *hd)
{
	if (hd == NULL)
		return;
	hid_paste_end(hd, "cancelled", "hidd is stopping");
	if (hid_all_up(hd) < 0)
		log_warnx("release at stop: %s", error_get());
	event_free(hd->job.timer);
	event_free(hd->stuck_timer);
	event_free(hd->jig.timer);
	hd->b->ops->free(hd->b);
	free(hd->default_layout);
	free(hd);
}
