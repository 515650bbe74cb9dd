/*
 * atx.h -- the target's power and reset buttons, guarded by its power LED.
 *
 * "on" presses power only when the LED says off, "off" (a short press) and
 * "off-hard" (the button held, 5.5 s by default) only when it says on,
 * "reset" presses reset only when on.  One ATX action at a time, and a
 * lockout after each one; a refused action changes nothing and says why.
 */
#ifndef GPIOD_CTL_ATX_H
#define GPIOD_CTL_ATX_H

#include <jansson.h>
#include <stdint.h>

#include "pulse.h"

struct lines;
struct atx;

enum atx_action {
	ATX_ON,
	ATX_OFF,
	ATX_OFF_HARD,
	ATX_RESET,
	ATX_NACTIONS,
};

struct atx_config {
	long long press_ms;   /* short press: 150 */
	long long hold_ms;    /* off-hard: 5500 */
	long long lockout_ms; /* after each action: 1000 */
};

struct atx *atx_new(struct lines *, struct pulse *, const struct atx_config *);
void atx_free(struct atx *); /* NULL ok */
/* "on", "off", "off-hard", "reset"; -EINVAL naming the choices. */
int atx_action_parse(const char *, enum atx_action *ret);
const char *atx_action_name(enum atx_action);
/* Starts an action; cb (may be NULL) runs when its press has ended.
 * -ENOENT when a needed line is not configured, -EAGAIN when the LED has
 * not been read, -EBUSY when busy, locked out or the power state does not
 * allow it. */
int atx_start(struct atx *, enum atx_action, pulse_done_cb *cb, void *arg);
/* 1 on, 0 off, -1 unknown (no power-led, or not read yet). */
int atx_power(struct atx *);
int atx_busy(const struct atx *);
/* The "atx" object of /state. */
json_t *atx_state(struct atx *);
/* Counters for /metrics. */
uint64_t atx_count(const struct atx *, enum atx_action);
uint64_t atx_refused(const struct atx *);

#endif
