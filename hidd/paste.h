/*
 * paste.h -- text to keystrokes for a target whose keyboard layout is any
 * XKB layout, computed with libxkbcommon from the system's xkb data.
 *
 * For a layout string ("us", "de", "ch(fr)", "us(intl)") the keymap is
 * compiled once and every character it can type is listed with the key
 * (HID usage) and modifiers (Shift, AltGr for level 3, both for level 4)
 * that type it, or with a dead key followed by a base key (the sequences of
 * the en_US.UTF-8 compose table, as the target's own input method composes
 * them).  Keypad keys are never used (they depend on Num Lock).  Newline
 * is Enter, tab is Tab.  A text containing anything the layout cannot type
 * is refused whole, naming each character and its position.  Pure code:
 * no event loop.
 */
#ifndef HIDD_PASTE_H
#define HIDD_PASTE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct paste;
struct paste_layout;

struct paste_stroke {
	uint8_t mods; /* KEYMAP_MOD_* */
	uint8_t usage;
};

#define PASTE_LAYOUT_MAX 64 /* bytes of a layout string */
#define PASTE_MAX_CACHED 16

/* The xkb context and compose table; layouts are compiled on demand. */
int paste_new(struct paste **ret);
void paste_free(struct paste *);
/*
 * The compiled layout (cached; owned by paste).  -EINVAL with error_set()
 * for a malformed string or a layout/variant the xkb data does not have.
 */
int paste_layout(
    struct paste *, const char *name, const struct paste_layout **ret);
const char *paste_layout_name(const struct paste_layout *);
/* How many characters the layout can type (for GET /layouts). */
size_t paste_layout_size(const struct paste_layout *);
/* The strokes for one code point: 1 or 2 (dead key first); 0 if none. */
int paste_lookup(
    const struct paste_layout *, uint32_t cp, struct paste_stroke out[2]);
/*
 * All strokes for text (UTF-8, len bytes).  "\r\n", "\r" and "\n" are
 * Enter.  -EINVAL with error_set() listing every character the layout
 * cannot type ("position" counts characters from 1) or naming the byte
 * where the text stops being UTF-8.  *ret_strokes is xmalloc'ed.
 */
int paste_map(const struct paste_layout *, const char *text, size_t len,
    struct paste_stroke **ret_strokes, size_t *ret_n);
/*
 * Walks strokes as keyboard reports: for each stroke the modifiers alone
 * (when they change), then modifiers + key, then the key up; after the last
 * one an empty report if a modifier is still down.  Returns 1 with out
 * filled, 0 when done.  Start with a zeroed cursor.
 */
struct paste_cursor {
	size_t i; /* strokes done */
	int phase;
	uint8_t mods;
};
int paste_next_report(const struct paste_stroke *, size_t n,
    struct paste_cursor *, uint8_t out[8]);
/*
 * Every layout and variant the system's xkb data lists (rules/evdev.lst),
 * as [{"name": "us(intl)", "description": "..."}, ...]; a new reference.
 * An empty array when the list cannot be read.
 */
json_t *paste_list_layouts(struct paste *);
/* The layouts compiled so far (most recently used first), a new
 * reference. */
json_t *paste_cached_layouts(const struct paste *);
/* Decodes one UTF-8 code point at s; returns its length, -1 if invalid. */
int paste_utf8_decode(const uint8_t *s, size_t len, uint32_t *ret_cp);

#endif
