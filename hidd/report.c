/*
 * report.c -- keyboard and mouse report encoding, and the descriptors.
 *
 * The keyboard keeps every held key in press order; the boot report shows
 * the first six, and while more than six are held it reports ErrorRollOver
 * in all six slots (what the HID spec asks of a real keyboard), so the host
 * neither sees phantom releases nor misses one: as soon as at most six are
 * held again the report lists exactly those, in their press order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "keymap.h"
#include "report.h"

/* Presses or releases usage; see report.h. */
int
report_kbd_key(struct report_kbd *k, uint8_t usage, int down)
{
	unsigned int i;

	if (usage <= 3)
		return error_set(-EINVAL, "usage 0x%02x is not a key", usage);
	if (KEYMAP_IS_MODIFIER(usage)) {
		uint8_t bit = (uint8_t)KEYMAP_MOD_BIT(usage);
		uint8_t old = k->mods;

		k->mods =
		    down ? (uint8_t)(k->mods | bit) : (uint8_t)(k->mods & ~bit);
		return old != k->mods;
	}
	for (i = 0; i < k->n; i++)
		if (k->keys[i] == usage)
			break;
	if (down) {
		if (i < k->n)
			return 0;
		if (k->n == REPORT_KBD_MAX_HELD)
			return error_set(-ENOSPC,
			    "%d keys are already held: release some first",
			    REPORT_KBD_MAX_HELD);
		k->keys[k->n++] = usage;
		return 1;
	}
	if (i == k->n)
		return 0;
	memmove(&k->keys[i], &k->keys[i + 1], k->n - i - 1);
	k->n--;
	return 1;
}

/* Everything up. */
void
report_kbd_clear(struct report_kbd *k)
{
	memset(k, 0, sizeof(*k));
}

/* 1 when usage (a key or a modifier) is held. */
int
report_kbd_is_held(const struct report_kbd *k, uint8_t usage)
{
	unsigned int i;

	if (KEYMAP_IS_MODIFIER(usage))
		return (k->mods & KEYMAP_MOD_BIT(usage)) != 0;
	for (i = 0; i < k->n; i++)
		if (k->keys[i] == usage)
			return 1;
	return 0;
}

/* The boot report: modifiers, reserved, six slots or rollover. */
void
report_kbd_encode(const struct report_kbd *k, uint8_t out[REPORT_KBD_LEN])
{
	memset(out, 0, REPORT_KBD_LEN);
	out[0] = k->mods;
	if (k->n > REPORT_KBD_SLOTS)
		memset(out + 2, REPORT_ROLLOVER, REPORT_KBD_SLOTS);
	else
		memcpy(out + 2, k->keys, k->n);
}

/* Clamps v to -127..127. */
static int
report_clamp8(int v)
{
	return v < -127 ? -127 : v > 127 ? 127 : v;
}

/* The absolute mouse report. */
void
report_abs_encode(const struct report_mouse *m, int wheel, int hwheel,
    uint8_t out[REPORT_ABS_LEN])
{
	unsigned int x = m->x > REPORT_ABS_MAX ? REPORT_ABS_MAX : m->x;
	unsigned int y = m->y > REPORT_ABS_MAX ? REPORT_ABS_MAX : m->y;

	out[0] = m->buttons & REPORT_BTN_ALL;
	out[1] = x & 0xff;
	out[2] = x >> 8;
	out[3] = y & 0xff;
	out[4] = y >> 8;
	out[5] = (uint8_t)(int8_t)report_clamp8(wheel);
	out[6] = (uint8_t)(int8_t)report_clamp8(hwheel);
}

/* The relative boot mouse report. */
void
report_rel_encode(
    uint8_t buttons, int dx, int dy, int wheel, uint8_t out[REPORT_REL_LEN])
{
	out[0] = buttons & REPORT_BTN_ALL;
	out[1] = (uint8_t)(int8_t)report_clamp8(dx);
	out[2] = (uint8_t)(int8_t)report_clamp8(dy);
	out[3] = (uint8_t)(int8_t)report_clamp8(wheel);
}

/*
 * Appends to buf at *off, never past len.  One printf-style helper for
 * strings and numbers alike: a helper taking "either a string or an int"
 * leaves GCC at -O3 a path with a null "%s" argument to warn about.
 */
static void __attribute__((format(printf, 4, 5)))
report_append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

/* A readable line for the demo log: the bytes, then what they mean. */
void
report_format(
    char *buf, size_t len, const char *what, const uint8_t *r, size_t n)
{
	const struct keymap_entry *e;
	size_t off = 0, i;
	const char *sep = "";

	if (len == 0)
		return;
	buf[0] = '\0';
	report_append(buf, len, &off, "%s", what);
	for (i = 0; i < n; i++)
		report_append(buf, len, &off, " %02x", r[i]);
	if (strcmp(what, "keyboard") == 0 && n == REPORT_KBD_LEN) {
		report_append(buf, len, &off, "%s", " (");
		for (i = 0; i < 8; i++) {
			if (!(r[0] & (1u << i)))
				continue;
			e = keymap_by_usage(KEYMAP_USAGE_MOD_FIRST + i);
			report_append(buf, len, &off, "%s", sep);
			report_append(buf, len, &off, "%s", e->code);
			sep = "+";
		}
		for (i = 2; i < n; i++) {
			if (r[i] == 0)
				continue;
			report_append(buf, len, &off, "%s", sep);
			sep = "+";
			if (r[i] == REPORT_ROLLOVER)
				report_append(buf, len, &off, "%s", "Rollover");
			else if ((e = keymap_by_usage(r[i])) != NULL)
				report_append(buf, len, &off, "%s", e->code);
			else
				report_append(buf, len, &off, "0x%02x", r[i]);
		}
		report_append(
		    buf, len, &off, "%s", *sep == '\0' ? "none)" : ")");
	} else if (strcmp(what, "mouse-abs") == 0 && n == REPORT_ABS_LEN) {
		report_append(buf, len, &off, " (buttons=%u", r[0]);
		report_append(buf, len, &off, " x=%u", r[1] | r[2] << 8);
		report_append(buf, len, &off, " y=%u", r[3] | r[4] << 8);
		report_append(buf, len, &off, " wheel=%d", (int8_t)r[5]);
		report_append(buf, len, &off, " hwheel=%d)", (int8_t)r[6]);
	} else if (strcmp(what, "mouse-rel") == 0 && n == REPORT_REL_LEN) {
		report_append(buf, len, &off, " (buttons=%u", r[0]);
		report_append(buf, len, &off, " dx=%d", (int8_t)r[1]);
		report_append(buf, len, &off, " dy=%d", (int8_t)r[2]);
		report_append(buf, len, &off, " wheel=%d)", (int8_t)r[3]);
	}
}

/* Boot keyboard: 8 modifier bits, a reserved byte, 5 LED bits out, six
 * array slots over the whole keyboard page (0..255). */
/* One HID item per row. */
/* clang-format off */
static const uint8_t desc_keyboard[] = {
	0x05, 0x01,
	0x09, 0x06,
	0xa1, 0x01,
	0x05, 0x07,
	0x19, 0xe0,
	0x29, 0xe7,
	0x15, 0x00,
	0x25, 0x01,
	0x75, 0x01,
	0x95, 0x08,
	0x81, 0x02,
	0x95, 0x01,
	0x75, 0x08,
	0x81, 0x01,
	0x95, 0x05,
	0x75, 0x01,
	0x05, 0x08,
	0x19, 0x01,
	0x29, 0x05,
	0x91, 0x02,
	0x95, 0x01,
	0x75, 0x03,
	0x91, 0x01,
	0x95, 0x06,
	0x75, 0x08,
	0x15, 0x00,
	0x26, 0xff, 0x00,
	0x05, 0x07,
	0x19, 0x00,
	0x2a, 0xff, 0x00,
	0x81, 0x00,
	0xc0,
};
/* clang-format on */

/* Absolute mouse with Pointer and Physical collections (Apple firmware
 * wants them): 5 buttons, X/Y 0..32767, wheel, AC Pan. */
/* One HID item per row. */
/* clang-format off */
static const uint8_t desc_abs_mouse[] = {
	0x05, 0x01,
	0x09, 0x02,
	0xa1, 0x01,
	0x09, 0x01,
	0xa1, 0x00,
	0x05, 0x09,
	0x19, 0x01,
	0x29, 0x05,
	0x15, 0x00,
	0x25, 0x01,
	0x95, 0x05,
	0x75, 0x01,
	0x81, 0x02,
	0x95, 0x01,
	0x75, 0x03,
	0x81, 0x01,
	0x05, 0x01,
	0x09, 0x30,
	0x09, 0x31,
	0x15, 0x00,
	0x26, 0xff, 0x7f,
	0x75, 0x10,
	0x95, 0x02,
	0x81, 0x02,
	0x09, 0x38,
	0x15, 0x81,
	0x25, 0x7f,
	0x75, 0x08,
	0x95, 0x01,
	0x81, 0x06,
	0x05, 0x0c,
	0x0a, 0x38, 0x02,
	0x95, 0x01,
	0x81, 0x06,
	0xc0,
	0xc0,
};
/* clang-format on */

/* Boot-protocol relative mouse: 5 buttons, dx, dy, wheel. */
/* One HID item per row. */
/* clang-format off */
static const uint8_t desc_rel_mouse[] = {
	0x05, 0x01,
	0x09, 0x02,
	0xa1, 0x01,
	0x09, 0x01,
	0xa1, 0x00,
	0x05, 0x09,
	0x19, 0x01,
	0x29, 0x05,
	0x15, 0x00,
	0x25, 0x01,
	0x95, 0x05,
	0x75, 0x01,
	0x81, 0x02,
	0x95, 0x01,
	0x75, 0x03,
	0x81, 0x01,
	0x05, 0x01,
	0x09, 0x30,
	0x09, 0x31,
	0x09, 0x38,
	0x15, 0x81,
	0x25, 0x7f,
	0x75, 0x08,
	0x95, 0x03,
	0x81, 0x06,
	0xc0,
	0xc0,
};
/* clang-format on */

/* The keyboard descriptor. */
const uint8_t *
report_desc_keyboard(size_t *ret_len)
{
	*ret_len = sizeof(desc_keyboard);
	return desc_keyboard;
}

/* The absolute mouse descriptor. */
const uint8_t *
report_desc_abs_mouse(size_t *ret_len)
{
	*ret_len = sizeof(desc_abs_mouse);
	return desc_abs_mouse;
}

/* The relative mouse descriptor. */
const uint8_t *
report_desc_rel_mouse(size_t *ret_len)
{
	*ret_len = sizeof(desc_rel_mouse);
	return desc_rel_mouse;
}

/* Sums Input and Output main items' bits; see report.h. */
int
report_desc_sizes(const uint8_t *d, size_t len, size_t *ret_in, size_t *ret_out)
{
	unsigned long size = 0, count = 0, in = 0, out = 0;
	unsigned long stack[4][2];
	unsigned int sp = 0;
	size_t i = 0, n;
	unsigned long v;
	unsigned int type, tag, j;

	while (i < len) {
		if (d[i] == 0xfe) { /* long item */
			if (i + 2 >= len)
				goto bad;
			i += 3 + d[i + 1];
			continue;
		}
		n = d[i] & 3;
		n = n == 3 ? 4 : n;
		type = (d[i] >> 2) & 3;
		tag = d[i] >> 4;
		if (i + 1 + n > len)
			goto bad;
		for (v = 0, j = 0; j < n; j++)
			v |= (unsigned long)d[i + 1 + j] << (8 * j);
		if (type == 1 && tag == 7)
			size = v;
		else if (type == 1 && tag == 9)
			count = v;
		else if (type == 1 && tag == 8)
			return error_set(-EINVAL, "descriptor uses report IDs");
		else if (type == 1 && tag == 10) {
			if (sp == 4)
				goto bad;
			stack[sp][0] = size;
			stack[sp++][1] = count;
		} else if (type == 1 && tag == 11) {
			if (sp == 0)
				goto bad;
			size = stack[--sp][0];
			count = stack[sp][1];
		} else if (type == 0 && tag == 8)
			in += size * count;
		else if (type == 0 && tag == 9)
			out += size * count;
		if (size > 4096 || count > 4096 || in > 65536 || out > 65536)
			goto bad;
		i += 1 + n;
	}
	*ret_in = (in + 7) / 8;
	*ret_out = (out + 7) / 8;
	return 0;
bad:
	return error_set(-EINVAL, "malformed report descriptor at byte %zu", i);
}
