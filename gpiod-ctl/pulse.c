/*
 * pulse.c -- timed pulses on output lines.
 *
 * One slot per configured line, indexed like lines.c.  The length is
 * measured from the moment the line went active to the moment it went
 * inactive again, on the monotonic clock, and reported back: a loaded
 * machine stretches a pulse by the loop's latency, never shortens it.
 */
#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>

#include "error.h"
#include "lines.h"
#include "log.h"
#include "pulse.h"
#include "xmalloc.h"

#define RETRY_MS 100

static const struct timeval retry_tv = {0, RETRY_MS * 1000};

struct pulse_slot {
	struct pulse *p;
	struct line *line;
	struct event *ev;
	int active;
	int stuck; /* the release failed: retried every RETRY_MS */
	long long ms;
	double start_ms;
	double lockout_until;
	uint64_t count;
	double last_held_ms;
	pulse_done_cb *cb;
	void *arg;
};

struct pulse {
	struct lines *ls;
	struct pulse_slot *slots;
	size_t n;
	long long lockout_ms;
};

/* Ends a pulse: line inactive, lockout starts, the caller is told. */
static void
slot_end(struct pulse_slot *s, int cancelled)
{
	pulse_done_cb *cb = s->cb;
	void *arg = s->arg;
	double now;
	int r;

	r = lines_set(s->line, 0);
	if (r < 0) {
		log_warnx("%s: %s; retrying every %d ms",
		    lines_spec(s->line)->name,
		    error_get() ? error_get() : "cannot release", RETRY_MS);
		s->stuck = 1;
		evtimer_add(s->ev, &retry_tv);
	}
	now = lines_now_ms();
	s->active = 0;
	s->last_held_ms = now - s->start_ms;
	s->lockout_until = now + (double)s->p->lockout_ms;
	s->count++;
	s->cb = NULL;
	s->arg = NULL;
	if (cb != NULL)
		cb(r < 0	    ? r
			: cancelled ? -ECANCELED
				    : 0,
		    s->last_held_ms, arg);
}

/* The pulse's timer ran out.  libevent measures from the time it cached
 * at the top of the loop, so a timer may fire a little early: wait out the
 * rest, however small, rather than cut short a press the target may need
 * whole. */
static void
slot_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pulse_slot *s = arg;
	struct timeval tv;
	double left;

	if (s->stuck) {
		if (lines_set(s->line, 0) < 0) {
			evtimer_add(s->ev, &retry_tv);
			return;
		}
		s->stuck = 0;
		log_info("%s released", lines_spec(s->line)->name);
		return;
	}
	left = s->start_ms + (double)s->ms - lines_now_ms();
	if (left > 0) {
		tv.tv_sec = 0;
		tv.tv_usec = (suseconds_t)(left * 1000) + 1;
		if (tv.tv_usec >= 1000000) {
			tv.tv_sec = tv.tv_usec / 1000000;
			tv.tv_usec %= 1000000;
		}
		evtimer_add(s->ev, &tv);
		return;
	}
	slot_end(s, 0);
}

/* Creates a slot per line of ls. */
struct pulse *
pulse_new(struct event_base *base, struct lines *ls, long long lockout_ms)
{
	struct pulse *p;
	size_t i;

	p = xcalloc(1, sizeof(*p));
	p->ls = ls;
	p->lockout_ms = lockout_ms;
	p->n = lines_count(ls);
	p->slots = xcalloc(p->n ? p->n : 1, sizeof(*p->slots));
	for (i = 0; i < p->n; i++) {
		p->slots[i].p = p;
		p->slots[i].line = lines_at(ls, i);
		p->slots[i].last_held_ms = -1;
		p->slots[i].lockout_until = -1e18;
		p->slots[i].ev = evtimer_new(base, slot_timer_cb, &p->slots[i]);
		if (p->slots[i].ev == NULL)
			fatalx("evtimer_new failed");
	}
	return p;
}

/* Cancels running pulses and frees the slots. */
void
pulse_free(struct pulse *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		evtimer_del(p->slots[i].ev);
		if (p->slots[i].active)
			slot_end(&p->slots[i], 1);
		event_free(p->slots[i].ev);
	}
	free(p->slots);
	free(p);
}

/* Says whether a line can take a pulse now. */
int
pulse_check(const struct pulse *p, const struct line *line)
{
	const struct pulse_slot *s;
	const char *name = lines_spec(line)->name;
	double now = lines_now_ms();

	if (lines_spec(line)->dir != LINESPEC_OUTPUT)
		return error_set(-EINVAL,
		    "%s is an input; only output lines can be pulsed", name);
	s = &p->slots[lines_index(line)];
	if (s->stuck)
		return error_set(-EIO,
		    "%s could not be released after its last pulse and may still be active; gpiod-ctl keeps retrying (see its log)",
		    name);
	if (s->active)
		return error_set(-EBUSY,
		    "%s is busy: a %lld ms pulse is running for another %.0f ms; one action at a time",
		    name, s->ms, s->start_ms + (double)s->ms - now);
	if (now < s->lockout_until)
		return error_set(-EBUSY,
		    "%s was released %.0f ms ago; wait %.0f ms more (lockout after each action)",
		    name, now - (s->lockout_until - (double)p->lockout_ms),
		    s->lockout_until - now);
	return 0;
}

/* Starts a pulse of ms on an output line. */
int
pulse_start(struct pulse *p, struct line *line, long long ms, pulse_done_cb *cb,
    void *arg)
{
	struct pulse_slot *s;
	struct timeval tv;
	int r;

	if ((r = pulse_check(p, line)) < 0)
		return r;
	if (ms <= 0)
		return error_set(-EINVAL, "a pulse lasts at least 1 ms");
	s = &p->slots[lines_index(line)];
	if ((r = lines_set(line, 1)) < 0) {
		lines_set(line, 0);
		return r;
	}
	s->start_ms = lines_now_ms();
	s->active = 1;
	s->ms = ms;
	s->cb = cb;
	s->arg = arg;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(s->ev, &tv);
	return 0;
}

/* Describes a line's pulse state. */
void
pulse_get_info(
    const struct pulse *p, const struct line *line, struct pulse_info *ret)
{
	const struct pulse_slot *s = &p->slots[lines_index(line)];
	double now = lines_now_ms();

	ret->active = s->active;
	ret->stuck = s->stuck;
	ret->ms = s->active ? s->ms : 0;
	ret->remaining_ms = s->active ? s->start_ms + (double)s->ms - now : 0;
	if (ret->remaining_ms < 0)
		ret->remaining_ms = 0;
	ret->lockout_ms =
	    !s->active && now < s->lockout_until ? s->lockout_until - now : 0;
	ret->count = s->count;
	ret->last_held_ms = s->last_held_ms;
}
