/*
 * gadget.h -- the USB gadget backend: /dev/hidg0 (keyboard), /dev/hidg1
 * (absolute mouse), /dev/hidg2 (relative boot mouse).
 *
 * Paths are options, so tests point them at FIFOs or regular files.  Writes
 * are non-blocking.  On EAGAIN (the host has not polled yet) reports wait
 * in a short queue for POLLOUT, at most write_timeout_ms; past that the
 * host is taken as not reading (target off, asleep, no driver) and only the
 * newest report of each device is kept, so the target converges to the
 * current state without a backlog of stale input.  ESHUTDOWN and a UDC
 * state other than "configured" mean "not attached": input is dropped, not
 * queued.  The keyboard's LED output report is read from the keyboard
 * device (or from leds_path, a FIFO, in tests).
 */
#ifndef HIDD_GADGET_H
#define HIDD_GADGET_H

struct event_base;
struct backend;

struct gadget_config {
	const char *keyboard; /* NULL or "": no keyboard */
	const char *mouse;    /* absolute */
	const char *mouse_rel;
	const char *leds;      /* NULL: the keyboard device if it is a
					 * character device */
	const char *udc_state; /* NULL: /sys/class/udc/<only>/state
					 * when there is one; "": none */
	unsigned int write_timeout_ms;
	const char *leds_state; /* NULL or "": LEDs not kept across restarts */
};

/* Opens what it can now; missing devices are retried every second. */
int gadget_open(
    struct event_base *, const struct gadget_config *, struct backend **ret);

#endif
