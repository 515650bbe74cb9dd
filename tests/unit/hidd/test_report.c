/*
 * test_report.c -- keyboard and mouse report encoding, rollover, and that
 * the descriptors declare exactly the reports we encode.
 */
#include <errno.h>
#include <string.h>

#include "report.h"
#include "tap.h"

static void
enc(const struct report_kbd *k, uint8_t *out)
{
	report_kbd_encode(k, out);
}

/* The keyboard report: modifiers, keys in press order, refusals. */
static void
test_keyboard(void)
{
	struct report_kbd k;
	uint8_t r[8];

	report_kbd_clear(&k);
	enc(&k, r);
	is_mem(r, "\0\0\0\0\0\0\0\0", 8, "empty report");
	is_int(report_kbd_key(&k, 0xe1, 1), 1, "shift down changes");
	is_int(report_kbd_key(&k, 0x04, 1), 1, "A down changes");
	is_int(report_kbd_key(&k, 0x04, 1), 0, "A down again: no change");
	enc(&k, r);
	is_mem(r, "\x02\0\x04\0\0\0\0\0", 8, "Shift+A");
	report_kbd_key(&k, 0xe6, 1);
	report_kbd_key(&k, 0x05, 1);
	enc(&k, r);
	is_mem(r, "\x42\0\x04\x05\0\0\0\0", 8, "Shift+AltGr+A+B in order");
	is_int(report_kbd_key(&k, 0x04, 0), 1, "A up");
	enc(&k, r);
	is_mem(r, "\x42\0\x05\0\0\0\0\0", 8, "B moves to the first slot");
	is_int(report_kbd_key(&k, 0x09, 0), 0, "release of an unheld key");
	is_int(report_kbd_key(&k, 0, 1), -EINVAL, "usage 0 refused");
	is_int(report_kbd_key(&k, 1, 1), -EINVAL, "usage 1 refused");
	ok(report_kbd_is_held(&k, 0xe6) && report_kbd_is_held(&k, 0x05) &&
		!report_kbd_is_held(&k, 0x04),
	    "is_held");
}

/* Rollover: 7 keys -> ErrorRollOver, then back in press order. */
static void
test_rollover(void)
{
	struct report_kbd k;
	uint8_t r[8] = {0};
	int i;

	report_kbd_clear(&k);
	report_kbd_key(&k, 0xe0, 1);
	for (i = 0; i < 6; i++)
		report_kbd_key(&k, (uint8_t)(0x04 + i), 1);
	enc(&k, r);
	is_mem(r, "\x01\0\x04\x05\x06\x07\x08\x09", 8, "six keys fit");
	report_kbd_key(&k, 0x0a, 1);
	enc(&k, r);
	is_mem(r, "\x01\0\x01\x01\x01\x01\x01\x01", 8,
	    "seventh key: ErrorRollOver, modifiers kept");
	report_kbd_key(&k, 0x0b, 1);
	enc(&k, r);
	is_mem(r, "\x01\0\x01\x01\x01\x01\x01\x01", 8, "eighth key too");
	report_kbd_key(&k, 0x05, 0);
	report_kbd_key(&k, 0x04, 0);
	enc(&k, r);
	is_mem(r, "\x01\0\x06\x07\x08\x09\x0a\x0b", 8,
	    "back to six: the held ones in press order");
	report_kbd_key(&k, 0x08, 0);
	enc(&k, r);
	is_mem(r, "\x01\0\x06\x07\x09\x0a\x0b\0", 8, "release order kept");
	report_kbd_clear(&k);
	for (i = 0; i < REPORT_KBD_MAX_HELD; i++)
		report_kbd_key(&k, (uint8_t)(0x04 + i), 1);
	is_int(report_kbd_key(&k, 0x70, 1), -ENOSPC, "cap on held keys");
}

/* The absolute and the relative mouse reports, clamped. */
static void
test_mice(void)
{
	struct report_mouse m;
	uint8_t a[REPORT_ABS_LEN];
	uint8_t rel[REPORT_REL_LEN];

	/* Absolute mouse. */
	memset(&m, 0, sizeof(m));
	m.buttons = REPORT_BTN_LEFT | REPORT_BTN_FORWARD;
	m.x = 32767;
	m.y = 0x1234;
	report_abs_encode(&m, -1, 200, a);
	is_mem(a, "\x11\xff\x7f\x34\x12\xff\x7f", 7, "absolute report");
	m.x = 40000;
	m.buttons = 0xff;
	report_abs_encode(&m, 0, 0, a);
	is_mem(a, "\x1f\xff\x7f\x34\x12\0\0", 7, "x clamped, buttons masked");

	/* Relative mouse. */
	report_rel_encode(REPORT_BTN_RIGHT, -5, 300, -300, rel);
	is_mem(rel, "\x02\xfb\x7f\x81", 4, "relative report, clamped");
}

/* Descriptors declare what we encode. */
static void
test_descriptors(void)
{
	const uint8_t *d;
	size_t len;
	/* zero: the first message may read them before the call sets them */
	size_t in = 0, out = 0;

	d = report_desc_keyboard(&len);
	ok(report_desc_sizes(d, len, &in, &out) == 0 && in == REPORT_KBD_LEN &&
		out == 1,
	    "keyboard descriptor: 8 in, 1 out (%zu, %zu)", in, out);
	d = report_desc_abs_mouse(&len);
	ok(report_desc_sizes(d, len, &in, &out) == 0 && in == REPORT_ABS_LEN &&
		out == 0,
	    "absolute mouse descriptor: 7 in (%zu)", in);
	d = report_desc_rel_mouse(&len);
	ok(report_desc_sizes(d, len, &in, &out) == 0 && in == REPORT_REL_LEN &&
		out == 0,
	    "relative mouse descriptor: 4 in (%zu)", in);
	ok(report_desc_sizes((const uint8_t *)"\x85\x01", 2, &in, &out) ==
		-EINVAL,
	    "report IDs refused");
	ok(report_desc_sizes((const uint8_t *)"\x75", 1, &in, &out) == -EINVAL,
	    "truncated item refused");
}

/* Readable lines for --log-reports. */
static void
test_format(void)
{
	uint8_t r[8] = {0};
	char line[256];

	report_format(line, sizeof(line), "keyboard",
	    (const uint8_t *)"\x42\0\x04\x05\0\0\0\0", 8);
	is_str(line,
	    "keyboard 42 00 04 05 00 00 00 00 "
	    "(ShiftLeft+AltRight+KeyA+KeyB)",
	    "keyboard line");
	report_format(line, sizeof(line), "mouse-abs",
	    (const uint8_t *)"\x01\xff\x7f\x00\x00\xff\x00", 7);
	is_str(line,
	    "mouse-abs 01 ff 7f 00 00 ff 00 (buttons=1 x=32767 y=0 "
	    "wheel=-1 hwheel=0)",
	    "mouse line");
	report_format(line, 10, "keyboard", r, 8);
	ok(strlen(line) == 9, "line truncated safely");
}

int
main(void)
{
	test_keyboard();
	test_rollover();
	test_mice();
	test_descriptors();
	test_format();
	return tap_done();
}
