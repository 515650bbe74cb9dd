/*
 * xkbdecode.h -- the target side of a keyboard, for tests: boot keyboard
 * reports become key events the way Linux's HID driver emits them
 * (modifier bits first, then releases, then presses), go through
 * libxkbcommon with a layout and the en_US.UTF-8 compose table, and come
 * out as text (Enter is "\n", Tab "\t").
 */
#ifndef TEST_XKBDECODE_H
#define TEST_XKBDECODE_H

#include <stddef.h>
#include <stdint.h>

struct xkbdecode;

struct xkbdecode *xkbdecode_new(const char *layout, const char *variant);
void xkbdecode_free(struct xkbdecode *);
/* Feeds one 8-byte report. */
void xkbdecode_report(struct xkbdecode *, const uint8_t r[8]);
/* Feeds one key event as the target's evdev reports it (KEY_* code, 1
 * press, 0 release). */
void xkbdecode_evdev(struct xkbdecode *, unsigned int code, int down);
/* Text so far (NUL-terminated, owned by the decoder). */
const char *xkbdecode_text(const struct xkbdecode *, size_t *ret_len);

#endif
