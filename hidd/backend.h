/*
 * backend.h -- where keyboard and mouse reports go: the USB gadget's
 * /dev/hidgN (gadget.c) or a microcontroller on a serial line (uart.c).
 *
 * The core (hid.c) keeps the keyboard and mouse state and hands every
 * change to the backend; a backend never blocks the event loop and never
 * queues input for a target that is not attached (it drops it and says
 * so in its state).  It reports LED and online changes through the
 * changed() callback.
 */
#ifndef HIDD_BACKEND_H
#define HIDD_BACKEND_H

#include <stdint.h>
#include <jansson.h>

#include "report.h"

struct backend;

enum backend_mouse_kind {
	BACKEND_MOUSE_ABS, /* x, y */
	BACKEND_MOUSE_REL, /* dx, dy */
};

struct backend_mouse {
	enum backend_mouse_kind kind;
	uint8_t buttons;   /* now */
	uint8_t changed;   /* buttons that changed */
	unsigned int x, y; /* 0..REPORT_ABS_MAX */
	int dx, dy;	   /* -127..127 */
	int wheel, hwheel; /* -127..127 */
};

struct backend_status {
	int online;	    /* target attached and listening */
	const char *reason; /* why not, for a person; NULL if online */
	uint8_t leds;	    /* REPORT_LED_* */
	int leds_known;
};

struct backend_ops {
	const char *name; /* "gadget", "uart" */
	/* The keyboard state changed from old to now. */
	int (*keyboard)(struct backend *, const struct report_kbd *old,
	    const struct report_kbd *now);
	int (*mouse)(struct backend *, const struct backend_mouse *);
	/* Optional: anything beyond the core's empty reports (a serial
	 * firmware's "clear" command).  NULL: nothing. */
	int (*release)(struct backend *);
	void (*status)(struct backend *, struct backend_status *);
	/* Reports or frames written but not yet taken by the device; paste
	 * waits for 0 before the next keystroke so nothing is coalesced. */
	unsigned int (*pending)(struct backend *);
	/* Backend-specific details for GET /state (a new reference). */
	json_t *(*details)(struct backend *);
	void (*free)(struct backend *);
};

struct backend {
	const struct backend_ops *ops;
	/* Called (from the loop) when online or LEDs change. */
	void (*changed)(struct backend *, void *arg);
	void *changed_arg;
	int log_reports; /* log each report written */
};

#endif
