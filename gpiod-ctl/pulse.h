/*
 * pulse.h -- timed pulses on output lines, one at a time per line.
 *
 * A pulse drives a line active, and a libevent timer drives it inactive
 * again after ms: nothing sleeps, so the loop keeps serving /state and other
 * lines during a 5-second hold.  While a pulse runs, and for lockout_ms after
 * it ended, the line refuses another one (-EBUSY, saying how long to wait).
 */
#ifndef GPIOD_CTL_PULSE_H
#define GPIOD_CTL_PULSE_H

#include <stdint.h>

struct event_base;
struct lines;
struct line;
struct pulse;

/* result is 0, -ECANCELED when the daemon stopped first, or -errno when
 * the line could not be released; held_ms is the measured length. */
typedef void pulse_done_cb(int result, double held_ms, void *arg);

struct pulse_info {
	int active;	     /* a pulse is running */
	int stuck;	     /* the release failed; being retried */
	long long ms;	     /* its length */
	double remaining_ms; /* until it ends */
	double lockout_ms;   /* left after the last one */
	uint64_t count;	     /* pulses finished */
	double last_held_ms; /* measured, -1 before the first */
};

struct pulse *pulse_new(
    struct event_base *, struct lines *, long long lockout_ms);
/* Ends running pulses (line inactive, callbacks get -ECANCELED). */
void pulse_free(struct pulse *);
/* Starts a pulse; cb (may be NULL) runs when it ends.  -EINVAL for an
 * input, -EBUSY while busy or locked out, -EIO while a failed release is
 * being retried. */
int pulse_start(
    struct pulse *, struct line *, long long ms, pulse_done_cb *cb, void *arg);
void pulse_get_info(
    const struct pulse *, const struct line *, struct pulse_info *ret);
/* -EBUSY with the reason when a pulse could not start now, else 0. */
int pulse_check(const struct pulse *, const struct line *);

#endif
