/*
 * atx.c -- power and reset buttons, guarded by the power LED.
 *
 * The LED is the only thing that tells whether the target is on, so every
 * action looks at it first: pressing power on a running machine asks its OS
 * to shut down, the opposite of what "on" means.  The rules follow the field
 * notes (short press 100-200 ms, hold 5-6 s, a lockout of about a second).
 * The lockout spans both buttons: a reset right after a power press would
 * land in the middle of the target's power sequencing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atx.h"
#include "error.h"
#include "lines.h"
#include "log.h"
#include "xmalloc.h"
#include "utf8.h"

struct atx {
	struct lines *ls;
	struct pulse *pulse;
	struct atx_config cfg;
	int running;
	enum atx_action last;
	int have_last;
	const char *last_result; /* running, done, failed */
	time_t last_time;
	double last_mono;
	double last_end; /* monotonic, for the lockout */
	double last_held_ms;
	pulse_done_cb *cb;
	void *arg;
	uint64_t counts[ATX_NACTIONS];
	uint64_t refused;
};

static const char *const action_names[ATX_NACTIONS] = {
    [ATX_ON] = "on",
    [ATX_OFF] = "off",
    [ATX_OFF_HARD] = "off-hard",
    [ATX_RESET] = "reset",
};

/* Creates the ATX logic over the lines' buttons and LED. */
struct atx *
atx_new(struct lines *ls, struct pulse *pulse, const struct atx_config *cfg)
{
	struct atx *a;

	a = xcalloc(1, sizeof(*a));
	a->ls = ls;
	a->pulse = pulse;
	a->cfg = *cfg;
	a->last_end = -1e18;
	return a;
}

/* Frees the ATX logic: after pulse_free(), which ends a running press
 * and calls back. */
void
atx_free(struct atx *a)
{
	free(a);
}

/* The action's name in the API. */
const char *
atx_action_name(enum atx_action action)
{
	return (unsigned int)action < ATX_NACTIONS ? action_names[action] : "?";
}

/* Parses an action name. */
int
atx_action_parse(const char *s, enum atx_action *ret)
{
	unsigned int i;
	char q[48];

	for (i = 0; i < ATX_NACTIONS; i++) {
		if (strcmp(s, action_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	return error_set(-EINVAL,
	    "unknown ATX action \"%s\"; use on, off, off-hard or reset",
	    utf8_quote(s, strlen(s), q, sizeof(q)));
}

/* The target's power state from its LED. */
int
atx_power(struct atx *a)
{
	struct line *led = lines_role(a->ls, LINESPEC_POWER_LED);

	if (led == NULL)
		return -1;
	return lines_value(led);
}

/* Whether an ATX press is running. */
int
atx_busy(const struct atx *a)
{
	return a->running;
}

/* The press ended. */
static void
atx_done(int result, double held_ms, void *arg)
{
	struct atx *a = arg;
	pulse_done_cb *cb = a->cb;
	void *cbarg = a->arg;

	a->running = 0;
	a->last_result = result == 0 ? "done" : "failed";
	a->last_end = lines_now_ms();
	a->last_held_ms = held_ms;
	a->cb = NULL;
	a->arg = NULL;
	log_info("atx %s: %s after %.0f ms", action_names[a->last],
	    a->last_result, held_ms);
	if (cb != NULL)
		cb(result, held_ms, cbarg);
}

/* Checks everything an action needs; -errno with the reason if refused. */
static int
atx_check(struct atx *a, enum atx_action action, struct line **ret_button)
{
	enum linespec_role role;
	struct line *button, *other;
	double now = lines_now_ms();
	int power, r;

	role =
	    action == ATX_RESET ? LINESPEC_RESET_BUTTON : LINESPEC_POWER_BUTTON;
	if ((button = lines_role(a->ls, role)) == NULL)
		return error_set(-ENOENT,
		    "no %s line is configured; add %s = CHIP:OFFSET to [gpiod-ctl]",
		    linespec_role_name(role), linespec_role_name(role));
	if (lines_role(a->ls, LINESPEC_POWER_LED) == NULL)
		return error_set(-ENOENT,
		    "no power-led line is configured; ATX actions look at the power LED first: add power-led = CHIP:OFFSET");
	if (a->running)
		return error_set(-EBUSY,
		    "busy: ATX action \"%s\" is still running; one action at a time",
		    action_names[a->last]);
	if (now < a->last_end + (double)a->cfg.lockout_ms)
		return error_set(-EBUSY,
		    "busy: the last ATX action ended %.0f ms ago; wait %.0f ms more (lockout after each action)",
		    now - a->last_end,
		    a->last_end + (double)a->cfg.lockout_ms - now);
	other = lines_role(a->ls,
	    action == ATX_RESET ? LINESPEC_POWER_BUTTON
				: LINESPEC_RESET_BUTTON);
	if ((r = pulse_check(a->pulse, button)) < 0)
		return r;
	if (other != NULL && (r = pulse_check(a->pulse, other)) < 0)
		return r;
	if ((power = atx_power(a)) < 0)
		return error_set(
		    -EAGAIN, "the power LED has not been read yet; try again");
	if (action == ATX_ON && power)
		return error_set(-EBUSY,
		    "the target is already on (power LED lit); \"on\" presses power only when it is off");
	if (action != ATX_ON && !power)
		return error_set(-EBUSY,
		    "the target is off (power LED dark); \"%s\" acts only on a running target",
		    action_names[action]);
	*ret_button = button;
	return 0;
}

/* Starts an ATX action after checking the LED. */
int
atx_start(struct atx *a, enum atx_action action, pulse_done_cb *cb, void *arg)
{
	struct line *button = NULL;
	long long ms;
	int r;

	if ((unsigned int)action >= ATX_NACTIONS)
		return error_set(-EINVAL, "unknown ATX action");
	if ((r = atx_check(a, action, &button)) < 0) {
		a->refused++;
		return r;
	}
	ms = action == ATX_OFF_HARD ? a->cfg.hold_ms : a->cfg.press_ms;
	if ((r = pulse_start(a->pulse, button, ms, atx_done, a)) < 0)
		return r;
	a->running = 1;
	a->have_last = 1;
	a->last = action;
	a->last_result = "running";
	a->last_time = time(NULL);
	a->last_mono = lines_now_ms();
	a->last_held_ms = -1;
	a->cb = cb;
	a->arg = arg;
	a->counts[action]++;
	log_info("atx %s: pressing %s for %lld ms", action_names[action],
	    lines_spec(button)->name, ms);
	return 0;
}

/* The "atx" object of /state. */
json_t *
atx_state(struct atx *a)
{
	json_t *o, *last = json_null();
	struct tm tm;
	char when[32];
	double now = lines_now_ms(), lock;
	int power = atx_power(a);

	if (a->have_last) {
		gmtime_r(&a->last_time, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		last = json_pack("{s:s, s:s, s:s, s:f, s:f}", "action",
		    action_names[a->last], "result", a->last_result, "time",
		    when, "age_s", (now - a->last_mono) / 1e3, "held_ms",
		    a->last_held_ms);
	}
	lock = a->running ? 0 : a->last_end + (double)a->cfg.lockout_ms - now;
	o = json_pack("{s:s, s:b, s:f, s:o, s:I, s:I, s:I}", "power",
	    power < 0	? "unknown"
		: power ? "on"
			: "off",
	    "busy", a->running, "lockout_ms", lock > 0 ? lock : 0.0,
	    "last_action", last, "press_ms", (json_int_t)a->cfg.press_ms,
	    "hold_ms", (json_int_t)a->cfg.hold_ms, "lockout_after_ms",
	    (json_int_t)a->cfg.lockout_ms);
	if (o == NULL)
		fatalx("atx_state: json_pack failed");
	return o;
}

/* How many times an action was started. */
uint64_t
atx_count(const struct atx *a, enum atx_action action)
{
	return (unsigned int)action < ATX_NACTIONS ? a->counts[action] : 0;
}

/* How many actions were refused. */
uint64_t
atx_refused(const struct atx *a)
{
	return a->refused;
}
