/*
 * keymap.c -- the table behind keymap.h.
 *
 * One row per KeyboardEvent.code value of the W3C "UI Events KeyboardEvent
 * code Values" list that a 104/105/106/107-key keyboard (and its
 * keyboard-page extras) can produce, with its USB HID usage (HID Usage
 * Tables, page 0x07), the Linux evdev code the kernel's HID driver turns
 * that usage into, and the key index the widely used serial HID firmware
 * expects in its "key" command.  Legacy names some browsers still send
 * (OSLeft, VolumeUp, ...) follow their canonical row.  Consumer-page keys
 * (media transport, browser keys) are listed so that a refusal can say why.
 */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "keymap.h"

#define K(code, usage, evdev, mcu)                                             \
	{                                                                      \
		code, usage, evdev, mcu, 0                                     \
	}
#define C(code, consumer)                                                      \
	{                                                                      \
		code, 0, 0, 0, consumer                                        \
	}

static const struct keymap_entry keymap[] = {
    /* Writing system keys. */
    K("KeyA", 0x04, 30, 1),
    K("KeyB", 0x05, 48, 2),
    K("KeyC", 0x06, 46, 3),
    K("KeyD", 0x07, 32, 4),
    K("KeyE", 0x08, 18, 5),
    K("KeyF", 0x09, 33, 6),
    K("KeyG", 0x0a, 34, 7),
    K("KeyH", 0x0b, 35, 8),
    K("KeyI", 0x0c, 23, 9),
    K("KeyJ", 0x0d, 36, 10),
    K("KeyK", 0x0e, 37, 11),
    K("KeyL", 0x0f, 38, 12),
    K("KeyM", 0x10, 50, 13),
    K("KeyN", 0x11, 49, 14),
    K("KeyO", 0x12, 24, 15),
    K("KeyP", 0x13, 25, 16),
    K("KeyQ", 0x14, 16, 17),
    K("KeyR", 0x15, 19, 18),
    K("KeyS", 0x16, 31, 19),
    K("KeyT", 0x17, 20, 20),
    K("KeyU", 0x18, 22, 21),
    K("KeyV", 0x19, 47, 22),
    K("KeyW", 0x1a, 17, 23),
    K("KeyX", 0x1b, 45, 24),
    K("KeyY", 0x1c, 21, 25),
    K("KeyZ", 0x1d, 44, 26),
    K("Digit1", 0x1e, 2, 27),
    K("Digit2", 0x1f, 3, 28),
    K("Digit3", 0x20, 4, 29),
    K("Digit4", 0x21, 5, 30),
    K("Digit5", 0x22, 6, 31),
    K("Digit6", 0x23, 7, 32),
    K("Digit7", 0x24, 8, 33),
    K("Digit8", 0x25, 9, 34),
    K("Digit9", 0x26, 10, 35),
    K("Digit0", 0x27, 11, 36),
    K("Enter", 0x28, 28, 37),
    K("Escape", 0x29, 1, 38),
    K("Backspace", 0x2a, 14, 39),
    K("Tab", 0x2b, 15, 40),
    K("Space", 0x2c, 57, 41),
    K("Minus", 0x2d, 12, 42),
    K("Equal", 0x2e, 13, 43),
    K("BracketLeft", 0x2f, 26, 44),
    K("BracketRight", 0x30, 27, 45),
    /* Also the ISO key left of Enter (usage 0x32): browsers name both
	 * "Backslash" and Linux maps both to KEY_BACKSLASH. */
    K("Backslash", 0x31, 43, 46),
    K("Semicolon", 0x33, 39, 47),
    K("Quote", 0x34, 40, 48),
    K("Backquote", 0x35, 41, 49),
    K("Comma", 0x36, 51, 50),
    K("Period", 0x37, 52, 51),
    K("Slash", 0x38, 53, 52),
    K("CapsLock", 0x39, 58, 53),
    K("IntlBackslash", 0x64, 86, 106),
    K("IntlRo", 0x87, 89, 108),
    K("IntlYen", 0x89, 124, 107),
    /* Function keys. */
    K("F1", 0x3a, 59, 54),
    K("F2", 0x3b, 60, 55),
    K("F3", 0x3c, 61, 56),
    K("F4", 0x3d, 62, 57),
    K("F5", 0x3e, 63, 58),
    K("F6", 0x3f, 64, 59),
    K("F7", 0x40, 65, 60),
    K("F8", 0x41, 66, 61),
    K("F9", 0x42, 67, 62),
    K("F10", 0x43, 68, 63),
    K("F11", 0x44, 87, 64),
    K("F12", 0x45, 88, 65),
    K("F13", 0x68, 183, 120),
    K("F14", 0x69, 184, 121),
    K("F15", 0x6a, 185, 122),
    K("F16", 0x6b, 186, 123),
    K("F17", 0x6c, 187, 124),
    K("F18", 0x6d, 188, 125),
    K("F19", 0x6e, 189, 126),
    K("F20", 0x6f, 190, 115),
    K("F21", 0x70, 191, 116),
    K("F22", 0x71, 192, 117),
    K("F23", 0x72, 193, 118),
    K("F24", 0x73, 194, 119),
    K("PrintScreen", 0x46, 99, 66),
    K("ScrollLock", 0x47, 70, 86),
    K("Pause", 0x48, 119, 85),
    /* Control pad and arrows. */
    K("Insert", 0x49, 110, 67),
    K("Home", 0x4a, 102, 68),
    K("PageUp", 0x4b, 104, 69),
    K("Delete", 0x4c, 111, 70),
    K("End", 0x4d, 107, 71),
    K("PageDown", 0x4e, 109, 72),
    K("ArrowRight", 0x4f, 106, 73),
    K("ArrowLeft", 0x50, 105, 74),
    K("ArrowDown", 0x51, 108, 75),
    K("ArrowUp", 0x52, 103, 76),
    /* Numeric keypad. */
    K("NumLock", 0x53, 69, 87),
    K("NumpadDivide", 0x54, 98, 89),
    K("NumpadMultiply", 0x55, 55, 90),
    K("NumpadSubtract", 0x56, 74, 91),
    K("NumpadAdd", 0x57, 78, 92),
    K("NumpadEnter", 0x58, 96, 93),
    K("Numpad1", 0x59, 79, 94),
    K("Numpad2", 0x5a, 80, 95),
    K("Numpad3", 0x5b, 81, 96),
    K("Numpad4", 0x5c, 75, 97),
    K("Numpad5", 0x5d, 76, 98),
    K("Numpad6", 0x5e, 77, 99),
    K("Numpad7", 0x5f, 71, 100),
    K("Numpad8", 0x60, 72, 101),
    K("Numpad9", 0x61, 73, 102),
    K("Numpad0", 0x62, 82, 103),
    K("NumpadDecimal", 0x63, 83, 104),
    K("NumpadEqual", 0x67, 117, 0),
    K("NumpadComma", 0x85, 121, 0),
    K("NumpadParenLeft", 0xb6, 179, 0),
    K("NumpadParenRight", 0xb7, 180, 0),
    /* Modifiers and the rest of the functional keys. */
    K("ControlLeft", 0xe0, 29, 77),
    K("ShiftLeft", 0xe1, 42, 78),
    K("AltLeft", 0xe2, 56, 79),
    K("MetaLeft", 0xe3, 125, 80),
    K("ControlRight", 0xe4, 97, 81),
    K("ShiftRight", 0xe5, 54, 82),
    K("AltRight", 0xe6, 100, 83),
    K("MetaRight", 0xe7, 126, 84),
    K("ContextMenu", 0x65, 127, 88),
    K("Power", 0x66, 116, 105),
    K("KanaMode", 0x88, 93, 109),
    K("Convert", 0x8a, 92, 110),
    K("NonConvert", 0x8b, 94, 111),
    K("Lang1", 0x90, 122, 0),
    K("Lang2", 0x91, 123, 0),
    K("Lang3", 0x92, 90, 0),
    K("Lang4", 0x93, 91, 0),
    K("Lang5", 0x94, 85, 0),
    /* Keyboard-page editing and media keys. */
    K("Open", 0x74, 134, 0),
    K("Help", 0x75, 138, 0),
    K("Props", 0x76, 130, 0),
    K("Select", 0x77, 132, 0),
    K("Again", 0x79, 129, 0),
    K("Undo", 0x7a, 131, 0),
    K("Cut", 0x7b, 137, 0),
    K("Copy", 0x7c, 133, 0),
    K("Paste", 0x7d, 135, 0),
    K("Find", 0x7e, 136, 0),
    K("AudioVolumeMute", 0x7f, 113, 112),
    K("AudioVolumeUp", 0x80, 115, 113),
    K("AudioVolumeDown", 0x81, 114, 114),
    /* Legacy names (older Firefox, Chrome on some systems). */
    K("OSLeft", 0xe3, 125, 80),
    K("OSRight", 0xe7, 126, 84),
    K("VolumeMute", 0x7f, 113, 112),
    K("VolumeUp", 0x80, 115, 113),
    K("VolumeDown", 0x81, 114, 114),
    K("Katakana", 0x92, 90, 0),
    K("Hiragana", 0x93, 91, 0),
    /* Consumer page: not in the boot keyboard's descriptor. */
    C("MediaPlayPause", 0xcd),
    C("MediaStop", 0xb7),
    C("MediaTrackNext", 0xb5),
    C("MediaTrackPrevious", 0xb6),
    C("MediaSelect", 0x183),
    C("LaunchMail", 0x18a),
    C("LaunchApp1", 0x194),
    C("LaunchApp2", 0x192),
    C("BrowserBack", 0x224),
    C("BrowserForward", 0x225),
    C("BrowserRefresh", 0x227),
    C("BrowserStop", 0x226),
    C("BrowserSearch", 0x221),
    C("BrowserFavorites", 0x22a),
    C("BrowserHome", 0x223),
    C("Eject", 0xb8),
    C("Sleep", 0x32),
    C("WakeUp", 0x33),
};

#define KEYMAP_N (sizeof(keymap) / sizeof(keymap[0]))

/* The row named code, or NULL. */
static const struct keymap_entry *
keymap_find(const char *code)
{
	size_t i;

	for (i = 0; i < KEYMAP_N; i++)
		if (strcmp(keymap[i].code, code) == 0)
			return &keymap[i];
	return NULL;
}

/* Looks a KeyboardEvent.code up; refuses unknown and uncarried keys. */
int
keymap_usage(const char *code, uint8_t *ret_usage)
{
	const struct keymap_entry *e;
	char shown[64];
	size_t i;

	if (code == NULL)
		return error_set(-EINVAL, "a key code is required");
	if ((e = keymap_find(code)) == NULL) {
		/* Echo at most a short printable prefix of what was sent. */
		for (i = 0; code[i] != '\0' && i < sizeof(shown) - 4; i++)
			shown[i] =
			    code[i] >= 0x20 && code[i] < 0x7f ? code[i] : '?';
		strcpy(shown + i, code[i] != '\0' ? "..." : "");
		return error_set(-EINVAL,
		    "unknown key code \"%s\": use a KeyboardEvent.code name such as \"KeyA\", \"ShiftLeft\" or \"IntlBackslash\"",
		    shown);
	}
	if (e->usage == 0)
		return error_set(-EINVAL,
		    "key \"%s\" is a consumer-control key (usage 0x%x) that the keyboard's report descriptor does not carry",
		    e->code, e->consumer);
	*ret_usage = (uint8_t)e->usage;
	return 0;
}

/* The canonical (first) row of a usage. */
const struct keymap_entry *
keymap_by_usage(unsigned int usage)
{
	size_t i;

	if (usage == 0)
		return NULL;
	for (i = 0; i < KEYMAP_N; i++)
		if (keymap[i].usage == usage)
			return &keymap[i];
	return NULL;
}

/* Inverse of the kernel's usage -> evdev mapping for the keys we know. */
uint8_t
keymap_usage_from_evdev(unsigned int evdev)
{
	size_t i;

	if (evdev == 0)
		return 0;
	for (i = 0; i < KEYMAP_N; i++)
		if (keymap[i].evdev == evdev)
			return (uint8_t)keymap[i].usage;
	return 0;
}

/* The serial firmware's key index for a usage, 0 when it has none. */
uint8_t
keymap_mcu_code(unsigned int usage)
{
	const struct keymap_entry *e = keymap_by_usage(usage);

	return e != NULL ? e->mcu : 0;
}

/* The whole table. */
const struct keymap_entry *
keymap_table(size_t *ret_n)
{
	*ret_n = KEYMAP_N;
	return keymap;
}
