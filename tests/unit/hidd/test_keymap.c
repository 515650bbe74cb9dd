/*
 * test_keymap.c -- every KeyboardEvent.code name maps to its HID usage.
 */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "keymap.h"
#include "tap.h"

/* Independent expectations from the HID Usage Tables (page 0x07). */
static const struct {
	const char *code;
	unsigned int usage;
} want[] = {
    {"KeyA", 0x04},
    {"KeyM", 0x10},
    {"KeyZ", 0x1d},
    {"Digit1", 0x1e},
    {"Digit9", 0x26},
    {"Digit0", 0x27},
    {"Enter", 0x28},
    {"Escape", 0x29},
    {"Backspace", 0x2a},
    {"Tab", 0x2b},
    {"Space", 0x2c},
    {"Minus", 0x2d},
    {"Equal", 0x2e},
    {"BracketLeft", 0x2f},
    {"BracketRight", 0x30},
    {"Backslash", 0x31},
    {"Semicolon", 0x33},
    {"Quote", 0x34},
    {"Backquote", 0x35},
    {"Comma", 0x36},
    {"Period", 0x37},
    {"Slash", 0x38},
    {"CapsLock", 0x39},
    {"F1", 0x3a},
    {"F12", 0x45},
    {"PrintScreen", 0x46},
    {"ScrollLock", 0x47},
    {"Pause", 0x48},
    {"Insert", 0x49},
    {"Home", 0x4a},
    {"PageUp", 0x4b},
    {"Delete", 0x4c},
    {"End", 0x4d},
    {"PageDown", 0x4e},
    {"ArrowRight", 0x4f},
    {"ArrowLeft", 0x50},
    {"ArrowDown", 0x51},
    {"ArrowUp", 0x52},
    {"NumLock", 0x53},
    {"NumpadDivide", 0x54},
    {"NumpadMultiply", 0x55},
    {"NumpadSubtract", 0x56},
    {"NumpadAdd", 0x57},
    {"NumpadEnter", 0x58},
    {"Numpad1", 0x59},
    {"Numpad9", 0x61},
    {"Numpad0", 0x62},
    {"NumpadDecimal", 0x63},
    {"IntlBackslash", 0x64},
    {"ContextMenu", 0x65},
    {"Power", 0x66},
    {"NumpadEqual", 0x67},
    {"F13", 0x68},
    {"F24", 0x73},
    {"AudioVolumeMute", 0x7f},
    {"AudioVolumeUp", 0x80},
    {"AudioVolumeDown", 0x81},
    {"NumpadComma", 0x85},
    {"IntlRo", 0x87},
    {"KanaMode", 0x88},
    {"IntlYen", 0x89},
    {"Convert", 0x8a},
    {"NonConvert", 0x8b},
    {"Lang1", 0x90},
    {"Lang2", 0x91},
    {"Lang3", 0x92},
    {"Lang4", 0x93},
    {"Lang5", 0x94},
    {"ControlLeft", 0xe0},
    {"ShiftLeft", 0xe1},
    {"AltLeft", 0xe2},
    {"MetaLeft", 0xe3},
    {"ControlRight", 0xe4},
    {"ShiftRight", 0xe5},
    {"AltRight", 0xe6},
    {"MetaRight", 0xe7},
    {"OSLeft", 0xe3},
    {"VolumeUp", 0x80},
};

/* The codes a browser sends for the common keys. */
static void
test_known_codes(void)
{
	size_t i;
	uint8_t u;
	int r;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		u = 0;
		r = keymap_usage(want[i].code, &u);
		ok(r == 0 && u == want[i].usage,
		    "%s -> 0x%02x (got %d, 0x%02x)", want[i].code,
		    want[i].usage, r, u);
	}
}

/*
 * Every row of the table: a carried key resolves to its usage, and the
 * canonical row of a usage round-trips through evdev; F1-F24, KeyA-KeyZ.
 */
static void
test_table(void)
{
	const struct keymap_entry *t;
	size_t n;
	size_t i;
	size_t j;
	uint8_t u;
	int allok;
	int r;
	char name[8];

	t = keymap_table(&n);
	ok(n > 150, "table has %zu rows", n);
	allok = 1;
	for (i = 0; i < n; i++) {
		r = keymap_usage(t[i].code, &u);
		if (t[i].usage != 0 && (r != 0 || u != t[i].usage)) {
			diag("%s: %d 0x%02x", t[i].code, r, u);
			allok = 0;
		}
		if (t[i].usage == 0 && r != -EINVAL) {
			diag("%s should be refused", t[i].code);
			allok = 0;
		}
		for (j = 0; j < i; j++)
			if (strcmp(t[i].code, t[j].code) == 0) {
				diag("%s twice", t[i].code);
				allok = 0;
			}
	}
	ok(allok, "every name resolves, no name twice");
	allok = 1;
	for (i = 0; i < n; i++) {
		if (t[i].usage == 0 || t[i].evdev == 0 ||
		    keymap_by_usage(t[i].usage) != &t[i])
			continue;
		if (keymap_usage_from_evdev(t[i].evdev) != t[i].usage) {
			diag("%s evdev %u", t[i].code, t[i].evdev);
			allok = 0;
		}
	}
	ok(allok, "evdev codes round-trip to usages");
	for (i = 1; i <= 24; i++) {
		snprintf(name, sizeof(name), "F%zu", i);
		ok(keymap_usage(name, &u) == 0 &&
			u == (i <= 12 ? 0x3a + i - 1 : 0x68 + i - 13),
		    "%s", name);
	}
	for (i = 0; i < 26; i++) {
		snprintf(name, sizeof(name), "Key%c", (char)('A' + i));
		ok(keymap_usage(name, &u) == 0 && u == 4 + i, "%s", name);
	}
}

/* Refusals name the code. */
static void
test_refusals(void)
{
	uint8_t u;
	int r;

	r = keymap_usage("KeyÄ", &u);
	ok(r == -EINVAL && strstr(error_get(), "Key") != NULL,
	    "unknown name refused: %s", error_get());
	r = keymap_usage("keya", &u);
	ok(r == -EINVAL && strstr(error_get(), "\"keya\"") != NULL,
	    "names are case-sensitive");
	r = keymap_usage("", &u);
	ok(r == -EINVAL, "empty name refused");
	r = keymap_usage("MediaPlayPause", &u);
	ok(r == -EINVAL && strstr(error_get(), "MediaPlayPause") &&
		strstr(error_get(), "descriptor"),
	    "consumer key refused with reason: %s", error_get());
}

/* Serial firmware indices. */
static void
test_mcu_codes(void)
{
	is_int(keymap_mcu_code(0x04), 1, "mcu index of KeyA");
	is_int(keymap_mcu_code(0x28), 37, "mcu index of Enter");
	is_int(keymap_mcu_code(0xe1), 78, "mcu index of ShiftLeft");
	is_int(keymap_mcu_code(0x64), 106, "mcu index of IntlBackslash");
	is_int(keymap_mcu_code(0x90), 0, "Lang1 has no mcu index");
}

int
main(void)
{
	test_known_codes();
	test_table();
	test_refusals();
	test_mcu_codes();
	return tap_done();
}
