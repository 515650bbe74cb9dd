/*
 * test_atx.c -- the ATX rules and pulses on the test backend: what the power
 * LED allows, one action at a time, the lockout, press lengths measured on
 * the backend's output history, and that a refused action presses nothing.
 */
#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "atx.h"
#include "error.h"
#include "lines.h"
#include "pulse.h"
#include "tap.h"
#include "testbackend.h"

#define PRESS	30
#define HOLD	120
#define LOCKOUT 300
#define SLACK	100 /* ms a busy machine may add to a pulse */

static const struct lines_config cfg = {
    .backend = "test",
    .debounce_ms = 0,
    .poll_ms = 10,
    .consumer = "test",
};

static const struct atx_config acfg = {PRESS, HOLD, LOCKOUT};

struct done {
	int n, result;
	double held_ms;
};

/* Records the end of a press. */
static void
done_cb(int result, double held_ms, void *arg)
{
	struct done *d = arg;

	d->n++;
	d->result = result;
	d->held_ms = held_ms;
}

/* Runs the loop for ms milliseconds. */
static void
run_ms(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* How many samples a line's history holds. */
static size_t
hist_n(struct lines_backend *be, unsigned int offset)
{
	const struct testbackend_sample *h;
	size_t n = 0;

	testbackend_history(be, "gpiochip0", offset, &h, &n);
	return n;
}

/* Checks the last press on a line: active then inactive, for about ms. */
static void
check_press(struct lines_backend *be, unsigned int offset, int active_level,
    int ms, const char *what)
{
	const struct testbackend_sample *h;
	size_t n;
	double len;

	testbackend_history(be, "gpiochip0", offset, &h, &n);
	if (!ok(n >= 2, "%s: history has the press", what))
		return;
	is_int(h[n - 2].value, 1, "  pressed (value 1)");
	is_int(h[n - 2].level, active_level, "  at level %d", active_level);
	is_int(h[n - 1].value, 0, "  released");
	len = h[n - 1].t_ms - h[n - 2].t_ms;
	ok(len >= ms - 1 && len <= ms + SLACK, "  lasted %.1f ms (want %d)",
	    len, ms);
}

/* Expects atx_start() to be refused with err and a message holding want,
 * pressing nothing. */
static void
refused(struct atx *a, struct lines_backend *be, enum atx_action act, int err,
    const char *want)
{
	size_t n0 = hist_n(be, 0), n1 = hist_n(be, 1);
	struct done d = {0};
	const char *msg;

	error_clear();
	is_int(atx_start(a, act, done_cb, &d), err, "%s refused (%d)",
	    atx_action_name(act), err);
	msg = error_get();
	ok(msg != NULL && strstr(msg, want) != NULL, "  because \"%s\"", want);
	if (msg != NULL && strstr(msg, want) == NULL)
		diag("  message: %s", msg);
	ok(hist_n(be, 0) == n0 && hist_n(be, 1) == n1, "  and nothing pressed");
	is_int(d.n, 0, "  no callback");
}

/* The action names: one parsed, an unknown one refused with the list. */
static void
test_action_parse(void)
{
	enum atx_action act;

	is_int(atx_action_parse("off-hard", &act), 0, "off-hard parses");
	is_int(act, ATX_OFF_HARD, "  as ATX_OFF_HARD");
	is_int(atx_action_parse("shutdown", &act), -EINVAL,
	    "an unknown action is refused");
	ok(strstr(error_get(), "on, off, off-hard or reset") != NULL,
	    "  listing the actions");
}

/* The target is off: only "on" is allowed; other lines pulse meanwhile. */
static void
test_on_while_off(struct event_base *base, struct lines *ls,
    struct lines_backend *be, struct pulse *p, struct atx *a)
{
	struct done d = {0};
	struct done d2 = {0};

	is_int(atx_power(a), 0, "the LED says off");
	refused(a, be, ATX_OFF, -EBUSY, "the target is off");
	refused(a, be, ATX_OFF_HARD, -EBUSY, "the target is off");
	refused(a, be, ATX_RESET, -EBUSY, "the target is off");
	is_int(atx_start(a, ATX_ON, done_cb, &d), 0, "on while off starts");
	is_int(atx_busy(a), 1, "  busy while pressing");
	refused(a, be, ATX_ON, -EBUSY, "busy");
	is_int(pulse_start(p, lines_find(ls, "power-button"), 10, NULL, NULL),
	    -EBUSY, "a pulse on the pressed button is refused");
	ok(strstr(error_get(), "busy") != NULL, "  as busy");
	is_int(pulse_start(p, lines_find(ls, "user"), 10, done_cb, &d2), 0,
	    "another line can pulse meanwhile");
	run_ms(base, PRESS + SLACK + 10);
	is_int(d.n, 1, "the on press ended");
	is_int(d.result, 0, "  successfully");
	ok(d.held_ms >= PRESS && d.held_ms <= PRESS + SLACK, "  held %.1f ms",
	    d.held_ms);
	check_press(be, 0, 1, PRESS, "on");
	is_int(d2.n, 1, "the other line's pulse ended too");
	is_int(atx_busy(a), 0, "not busy after the press");
}

/* Lockout after a press, then the LED comes on. */
static void
test_lockout(struct event_base *base, struct lines_backend *be, struct atx *a)
{
	json_t *st;

	testbackend_drive(be, "gpiochip0", 2, 1);
	run_ms(base, 2);
	is_int(atx_power(a), 1, "the LED says on");
	refused(a, be, ATX_RESET, -EBUSY, "lockout");
	st = atx_state(a);
	ok(json_real_value(json_object_get(st, "lockout_ms")) > 0,
	    "/state shows the lockout");
	json_decref(st);
	run_ms(base, LOCKOUT);
	refused(a, be, ATX_ON, -EBUSY, "already on");
}

/* Reset (active-low) and off-hard while on; /state and the counters. */
static void
test_reset_and_off_hard(struct event_base *base, struct lines *ls,
    struct lines_backend *be, struct pulse *p, struct atx *a)
{
	struct done d = {0};
	struct pulse_info pi;
	json_t *st;

	memset(&d, 0, sizeof(d));
	is_int(atx_start(a, ATX_RESET, done_cb, &d), 0, "reset while on");
	run_ms(base, PRESS + SLACK + 10);
	is_int(d.n, 1, "reset ended");
	check_press(be, 1, 0, PRESS, "reset");
	run_ms(base, LOCKOUT + 5);

	memset(&d, 0, sizeof(d));
	is_int(atx_start(a, ATX_OFF_HARD, done_cb, &d), 0, "off-hard while on");
	pulse_get_info(p, lines_find(ls, "power-button"), &pi);
	is_int(pi.active, 1, "  the pulse is active");
	is_int(pi.ms, HOLD, "  for the hold time");
	run_ms(base, HOLD / 2);
	st = atx_state(a);
	ok(json_is_true(json_object_get(st, "busy")), "  busy mid-hold");
	json_decref(st);
	is_int(d.n, 0, "  not done at half time");
	run_ms(base, HOLD / 2 + SLACK + 10);
	is_int(d.n, 1, "off-hard ended");
	check_press(be, 0, 1, HOLD, "off-hard");
	st = atx_state(a);
	is_str(json_string_value(json_object_get(st, "power")), "on",
	    "/state power from the LED");
	is_str(json_string_value(json_object_get(
		   json_object_get(st, "last_action"), "action")),
	    "off-hard", "/state last action");
	is_str(json_string_value(json_object_get(
		   json_object_get(st, "last_action"), "result")),
	    "done", "/state last result");
	json_decref(st);
	is_int(atx_count(a, ATX_ON), 1, "one on counted");
	ok(atx_refused(a) == 6, "six refusals counted (%llu)",
	    (unsigned long long)atx_refused(a));
}

/* A release that fails is retried until it works. */
static void
test_release_retried(struct event_base *base, struct lines *ls,
    struct lines_backend *be, struct pulse *p)
{
	struct done d = {0};
	struct pulse_info pi;

	memset(&d, 0, sizeof(d));
	is_int(pulse_start(p, lines_find(ls, "user"), 20, done_cb, &d), 0,
	    "a pulse whose release will fail");
	testbackend_fail_sets(be, "gpiochip0", 3, 3);
	run_ms(base, 20 + SLACK);
	is_int(d.n, 1, "  its end is reported");
	is_int(d.result, -EIO, "  as the failure");
	is_int(
	    lines_value(lines_find(ls, "user")), 1, "  the line is still on");
	pulse_get_info(p, lines_find(ls, "user"), &pi);
	is_int(pi.stuck, 1, "  /state says the release failed");
	is_int(pulse_check(p, lines_find(ls, "user")), -EIO,
	    "  no new pulse meanwhile");
	run_ms(base, 600);
	is_int(lines_value(lines_find(ls, "user")), 0, "  released on retry");
	pulse_get_info(p, lines_find(ls, "user"), &pi);
	is_int(pi.stuck, 0, "  and no longer stuck");
	run_ms(base, LOCKOUT);
}

/* Pulses: inputs refused; stopping mid-pulse releases the line. */
static void
test_stop_mid_pulse(
    struct event_base *base, struct lines *ls, struct pulse *p, struct atx *a)
{
	struct done d = {0};

	is_int(pulse_start(p, lines_find(ls, "power-led"), 10, NULL, NULL),
	    -EINVAL, "an input cannot be pulsed");
	memset(&d, 0, sizeof(d));
	is_int(pulse_start(p, lines_find(ls, "user"), 5000, done_cb, &d), 0,
	    "a long pulse starts");
	run_ms(base, 5);
	atx_free(a);
	pulse_free(p);
	is_int(d.n, 1, "stopping ends it");
	is_int(d.result, -ECANCELED, "  as cancelled");
	is_int(
	    lines_value(lines_find(ls, "user")), 0, "  with the line inactive");
}

/* Without a power LED, ATX refuses to guess. */
static void
test_no_power_led(struct event_base *base)
{
	json_t *st;
	struct lines *bare;
	struct pulse *bp;
	struct atx *ba;

	bare = lines_new();
	lines_add(bare, "power-button", "gpiochip0:0");
	lines_open(bare, base, &cfg);
	bp = pulse_new(base, bare, LOCKOUT);
	ba = atx_new(bare, bp, &acfg);
	is_int(atx_start(ba, ATX_ON, NULL, NULL), -ENOENT,
	    "on without power-led is refused");
	ok(strstr(error_get(), "power-led") != NULL, "  naming power-led");
	is_int(atx_start(ba, ATX_RESET, NULL, NULL), -ENOENT,
	    "reset without reset-button is refused");
	ok(strstr(error_get(), "reset-button") != NULL, "  naming it");
	st = atx_state(ba);
	is_str(json_string_value(json_object_get(st, "power")), "unknown",
	    "power unknown without an LED");
	json_decref(st);
	atx_free(ba);
	pulse_free(bp);
	lines_free(bare);
}

int
main(void)
{
	static const char *kv[] = {"power-button", "gpiochip0:0",
	    "reset-button", "gpiochip0:1 active-low", "power-led",
	    "gpiochip0:2", "line.user", "gpiochip0:3 output", NULL};
	struct event_base *base = event_base_new();
	struct lines *ls = lines_new();
	struct lines_backend *be;
	struct pulse *p;
	struct atx *a;
	size_t i;

	for (i = 0; kv[i] != NULL; i += 2)
		lines_add(ls, kv[i], kv[i + 1]);
	if (lines_open(ls, base, &cfg) < 0) {
		ok(0, "open: %s", error_get());
		return tap_done();
	}
	be = lines_backend(ls);
	p = pulse_new(base, ls, LOCKOUT);
	a = atx_new(ls, p, &acfg);
	test_action_parse();
	test_on_while_off(base, ls, be, p, a);
	test_lockout(base, be, a);
	test_reset_and_off_hard(base, ls, be, p, a);
	test_release_retried(base, ls, be, p);
	test_stop_mid_pulse(base, ls, p, a);
	test_no_power_led(base);
	lines_free(ls);
	event_base_free(base);
	return tap_done();
}
