/*
 * report.h -- the HID reports hidd writes, and the report descriptors they
 * belong to.
 *
 * The gadget setup program (gadget/kaputtkvm-gadget) writes these
 * descriptors into configfs; report_desc_*() are the reference and a unit
 * test checks that each descriptor's input report has exactly the length
 * encoded here.  Layouts (no report IDs):
 *
 *   keyboard (/dev/hidg0, protocol 1, subclass 1, report_length 8):
 *	[0] modifiers (bit 0 LCtrl .. bit 7 RMeta)  [1] 0  [2..7] usages
 *	    0x00..0xff (so F13-F24, Intl*, Lang*, keyboard-page volume keys
 *	    are carried); all six 0x01 (ErrorRollOver) while more than six
 *	    keys are held.
 *	output report, 1 byte: bit 0 Num Lock, bit 1 Caps Lock, bit 2 Scroll
 *	    Lock (bits 3, 4 Compose, Kana).
 *   absolute mouse (/dev/hidg1, protocol 2, subclass 0, report_length 7):
 *	[0] buttons bit 0 left, 1 right, 2 middle, 3 back, 4 forward
 *	[1..2] X, [3..4] Y: little-endian, 0..32767
 *	[5] vertical wheel, int8 (-127..127; positive = away from the user)
 *	[6] horizontal wheel (AC Pan), int8 (positive = right)
 *   relative boot mouse (/dev/hidg2, protocol 2, subclass 1,
 *	report_length 4): [0] buttons as above, [1] dx, [2] dy, [3] wheel,
 *	all int8 -127..127 (boot hosts read only the first three bytes).
 */
#ifndef HIDD_REPORT_H
#define HIDD_REPORT_H

#include <stddef.h>
#include <stdint.h>

#define REPORT_KBD_LEN	    8
#define REPORT_ABS_LEN	    7
#define REPORT_REL_LEN	    4
#define REPORT_ABS_MAX	    32767
#define REPORT_KBD_SLOTS    6
#define REPORT_KBD_MAX_HELD 32	 /* keys (not modifiers) at once */
#define REPORT_ROLLOVER	    0x01 /* ErrorRollOver */

#define REPORT_BTN_LEFT	   0x01
#define REPORT_BTN_RIGHT   0x02
#define REPORT_BTN_MIDDLE  0x04
#define REPORT_BTN_BACK	   0x08
#define REPORT_BTN_FORWARD 0x10
#define REPORT_BTN_ALL	   0x1f

#define REPORT_LED_NUM	  0x01
#define REPORT_LED_CAPS	  0x02
#define REPORT_LED_SCROLL 0x04

/* The keyboard's state: held keys in press order plus modifier bits. */
struct report_kbd {
	uint8_t mods;
	uint8_t n;
	uint8_t keys[REPORT_KBD_MAX_HELD];
};

/*
 * Press or release a usage (modifiers 0xe0..0xe7 go to the bit field).
 * Returns 1 when the state changed, 0 when it did not (a repeated press,
 * a release of a key not held), -EINVAL (error_set) for usage 0..3 and
 * -ENOSPC when REPORT_KBD_MAX_HELD keys are already held.
 */
int report_kbd_key(struct report_kbd *, uint8_t usage, int down);
void report_kbd_clear(struct report_kbd *);
int report_kbd_is_held(const struct report_kbd *, uint8_t usage);
/* The 8-byte boot report for the state. */
void report_kbd_encode(const struct report_kbd *, uint8_t out[REPORT_KBD_LEN]);

struct report_mouse {
	uint8_t buttons;
	uint16_t x, y; /* 0..REPORT_ABS_MAX */
};

void report_abs_encode(const struct report_mouse *, int wheel, int hwheel,
    uint8_t out[REPORT_ABS_LEN]);
/* dx, dy, wheel are clamped to -127..127. */
void report_rel_encode(
    uint8_t buttons, int dx, int dy, int wheel, uint8_t out[REPORT_REL_LEN]);

/* A readable line for --log-reports: "kbd mods=02 keys=04,05". */
void report_format(
    char *buf, size_t len, const char *what, const uint8_t *report, size_t n);

/* The report descriptors (see above). */
const uint8_t *report_desc_keyboard(size_t *ret_len);
const uint8_t *report_desc_abs_mouse(size_t *ret_len);
const uint8_t *report_desc_rel_mouse(size_t *ret_len);
/*
 * Sizes of the input and output reports a descriptor declares, in bytes
 * (a small item parser, for tests and for checking a gadget's descriptor
 * at start).  -EINVAL for a malformed descriptor or one with report IDs.
 */
int report_desc_sizes(
    const uint8_t *desc, size_t len, size_t *ret_in, size_t *ret_out);

#endif
