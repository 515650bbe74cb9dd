/*
 * keymap.h -- browser KeyboardEvent.code names, USB HID keyboard usages,
 * Linux evdev key codes and the serial HID firmware's key index.
 *
 * The browser names a key by its physical position ("KeyA" is the key right
 * of Caps Lock whatever it prints); the target's own layout decides the
 * character.  Pure code: no I/O, no state.
 */
#ifndef HIDD_KEYMAP_H
#define HIDD_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

/* Usages 0xe0..0xe7 are the modifiers (a bit each in report byte 0). */
#define KEYMAP_USAGE_MOD_FIRST 0xe0
#define KEYMAP_USAGE_MOD_LAST  0xe7
#define KEYMAP_IS_MODIFIER(u)                                                  \
	((u) >= KEYMAP_USAGE_MOD_FIRST && (u) <= KEYMAP_USAGE_MOD_LAST)
#define KEYMAP_MOD_BIT(u) (1u << ((u)-KEYMAP_USAGE_MOD_FIRST))

/* Modifier bits of the boot report's first byte. */
#define KEYMAP_MOD_LCTRL  0x01
#define KEYMAP_MOD_LSHIFT 0x02
#define KEYMAP_MOD_LALT	  0x04
#define KEYMAP_MOD_LMETA  0x08
#define KEYMAP_MOD_RCTRL  0x10
#define KEYMAP_MOD_RSHIFT 0x20
#define KEYMAP_MOD_RALT	  0x40
#define KEYMAP_MOD_RMETA  0x80

struct keymap_entry {
	const char *code; /* KeyboardEvent.code */
	uint16_t usage;	  /* keyboard page (0x07) usage; 0: none */
	uint16_t evdev;	  /* Linux KEY_*; 0: none */
	uint8_t mcu;	  /* serial firmware key index; 0: none */
	/* Consumer-page keys: named so the error can say why they are
	 * refused (the boot keyboard descriptor does not carry them). */
	uint16_t consumer;
};

/*
 * The HID usage for a KeyboardEvent.code.  -EINVAL with error_set() naming
 * the code when it is unknown or its key is not carried by the keyboard's
 * report descriptor.
 */
int keymap_usage(const char *code, uint8_t *ret_usage);
/* The entry for a usage; NULL when none. */
const struct keymap_entry *keymap_by_usage(unsigned int usage);
/* The usage of a Linux evdev key code; 0 when none. */
uint8_t keymap_usage_from_evdev(unsigned int evdev);
/* The serial firmware's index of a usage; 0 when it has none. */
uint8_t keymap_mcu_code(unsigned int usage);
/* The whole table, for tests and GET /layouts. */
const struct keymap_entry *keymap_table(size_t *ret_n);

#endif
