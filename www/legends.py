#!/usr/bin/env python3
"""legends.py -- www/legends.json, the legends of the on-screen keyboard
(www/js/osk.js): for every layout and variant the system's XKB data lists
(rules/evdev.lst, the list hidd's GET /layouts serves), what each key of
the main block types on the target, compiled with libxkbcommon exactly as
hidd's paste compiles it (rules evdev, model pc105, first group).

    www/legends.py            rewrites www/legends.json
    www/legends.py --check    exits 1 when www/legends.json differs from
                              what this machine's XKB data gives (test
                              www-legends)

The page shows a key's legend and sends the key's KeyboardEvent.code: the
physical key that types that character on the target's layout.  Levels
are as hidd's paste uses them: plain, Shift, level 3 (the key holding
ISO_Level3_Shift, AltGr: AltRight when it is one) and level 3 + Shift.  A
level that types the same as a lower one is a space; a dead key is its
combining mark (dead_acute: U+0301), which the page draws on a dotted
circle.  libxkbcommon is called through ctypes: no build step, nothing
but the library hidd already links.
"""

import ctypes
import ctypes.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "legends.json")

# KeyboardEvent.code and the evdev code the kernel gives it (hidd/keymap.c).
KEYS = [
    ("Backquote", 41), ("Digit1", 2), ("Digit2", 3), ("Digit3", 4),
    ("Digit4", 5), ("Digit5", 6), ("Digit6", 7), ("Digit7", 8),
    ("Digit8", 9), ("Digit9", 10), ("Digit0", 11), ("Minus", 12),
    ("Equal", 13), ("IntlYen", 124),
    ("KeyQ", 16), ("KeyW", 17), ("KeyE", 18), ("KeyR", 19), ("KeyT", 20),
    ("KeyY", 21), ("KeyU", 22), ("KeyI", 23), ("KeyO", 24), ("KeyP", 25),
    ("BracketLeft", 26), ("BracketRight", 27), ("Backslash", 43),
    ("KeyA", 30), ("KeyS", 31), ("KeyD", 32), ("KeyF", 33), ("KeyG", 34),
    ("KeyH", 35), ("KeyJ", 36), ("KeyK", 37), ("KeyL", 38),
    ("Semicolon", 39), ("Quote", 40),
    ("IntlBackslash", 86), ("KeyZ", 44), ("KeyX", 45), ("KeyC", 46),
    ("KeyV", 47), ("KeyB", 48), ("KeyN", 49), ("KeyM", 50),
    ("Comma", 51), ("Period", 52), ("Slash", 53), ("IntlRo", 89),
]
# Where the physical rows end (indexes into KEYS, exclusive).
ROWS = [14, 27, 38, 50]
EVDEV_ALTRIGHT = 100
XKB_KEY_ISO_Level3_Shift = 0xfe03

# Dead keysyms (xkbcommon-keysyms.h) as the combining marks they add.
DEAD = {
    0xfe50: 0x300, 0xfe51: 0x301, 0xfe52: 0x302, 0xfe53: 0x303,
    0xfe54: 0x304, 0xfe55: 0x306, 0xfe56: 0x307, 0xfe57: 0x308,
    0xfe58: 0x30a, 0xfe59: 0x30b, 0xfe5a: 0x30c, 0xfe5b: 0x327,
    0xfe5c: 0x328, 0xfe5d: 0x345, 0xfe5e: 0x3099, 0xfe5f: 0x309a,
    0xfe60: 0x323, 0xfe61: 0x309, 0xfe62: 0x31b, 0xfe63: 0x338,
    0xfe64: 0x313, 0xfe65: 0x314, 0xfe6a: 0x326, 0xfe6b: 0x32d,
    0xfe6c: 0x324, 0xfe6d: 0x325, 0xfe6e: 0x326, 0xfe6f: 0x32e,
    0xfe70: 0x331, 0xfe71: 0x32f, 0xfe72: 0x332,
}


class RuleNames(ctypes.Structure):
    _fields_ = [(n, ctypes.c_char_p)
                for n in ("rules", "model", "layout", "variant", "options")]


def load():
    name = ctypes.util.find_library("xkbcommon") or "libxkbcommon.so.0"
    x = ctypes.CDLL(name)
    x.xkb_context_new.restype = ctypes.c_void_p
    x.xkb_context_new.argtypes = [ctypes.c_int]
    x.xkb_context_set_log_level.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x.xkb_context_include_path_get.restype = ctypes.c_char_p
    x.xkb_context_include_path_get.argtypes = [ctypes.c_void_p,
                                               ctypes.c_uint]
    x.xkb_context_num_include_paths.argtypes = [ctypes.c_void_p]
    x.xkb_keymap_new_from_names.restype = ctypes.c_void_p
    x.xkb_keymap_new_from_names.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(RuleNames), ctypes.c_int]
    x.xkb_keymap_unref.argtypes = [ctypes.c_void_p]
    x.xkb_state_new.restype = ctypes.c_void_p
    x.xkb_state_new.argtypes = [ctypes.c_void_p]
    x.xkb_state_unref.argtypes = [ctypes.c_void_p]
    x.xkb_state_update_key.argtypes = [ctypes.c_void_p, ctypes.c_uint,
                                       ctypes.c_int]
    x.xkb_state_key_get_one_sym.restype = ctypes.c_uint32
    x.xkb_state_key_get_one_sym.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    x.xkb_state_key_get_level.restype = ctypes.c_uint32
    x.xkb_state_key_get_level.argtypes = [ctypes.c_void_p, ctypes.c_uint,
                                          ctypes.c_uint]
    x.xkb_keysym_to_utf32.restype = ctypes.c_uint32
    x.xkb_keysym_to_utf32.argtypes = [ctypes.c_uint32]
    return x


def layout_names(x, ctx):
    """The names hidd's paste_list_layouts() gives, in its order."""
    f = None
    for i in range(x.xkb_context_num_include_paths(ctx)):
        p = os.path.join(x.xkb_context_include_path_get(ctx, i).decode(),
                         "rules", "evdev.lst")
        if os.path.exists(p):
            f = p
            break
    if f is None:
        sys.exit("legends.py: no rules/evdev.lst in the XKB include path "
                 "(apt-get install xkb-data)")
    names, section = [], None
    with open(f, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("!"):
                section = line[1:].strip()
                continue
            parts = line.split(None, 1)
            if not parts:
                continue
            if section == "layout":
                names.append(parts[0])
            elif section == "variant" and len(parts) == 2 and \
                    ":" in parts[1]:
                names.append("%s(%s)" % (parts[1].split(":")[0], parts[0]))
    return names, f


def legend(x, st, kc):
    sym = x.xkb_state_key_get_one_sym(st, kc)
    if sym in DEAD:
        return chr(DEAD[sym])
    cp = x.xkb_keysym_to_utf32(sym)
    if cp < 0x20 or cp == 0x7f or 0x80 <= cp < 0xa0:
        return " "
    return chr(cp)


def compile_layout(x, ctx, name):
    layout, _, variant = name.partition("(")
    rmlvo = RuleNames(b"evdev", b"pc105", layout.encode(),
                      variant.rstrip(")").encode(), b"")
    km = x.xkb_keymap_new_from_names(ctx, ctypes.byref(rmlvo), 0)
    if not km:
        return None
    # Four states: plain, Shift, level 3, level 3 + Shift, made by pressing
    # the keys themselves, as the target's XKB sees them.
    shift_kc, l3_kc = 42 + 8, EVDEV_ALTRIGHT + 8
    probe = x.xkb_state_new(km)
    altgr = x.xkb_state_key_get_one_sym(probe, l3_kc) == \
        XKB_KEY_ISO_Level3_Shift
    x.xkb_state_unref(probe)
    states = []
    for keys in ([], [shift_kc], [l3_kc], [l3_kc, shift_kc]):
        st = x.xkb_state_new(km)
        for k in keys:
            x.xkb_state_update_key(st, k, 1)
        states.append(st)
    levels = ["", "", "", ""]
    for _, ev in KEYS:
        kc = ev + 8
        seen = set()
        for i, st in enumerate(states):
            if i >= 2 and not altgr:
                levels[i] += " "
                continue
            lv = x.xkb_state_key_get_level(st, kc, 0)
            if lv in seen:
                levels[i] += " "
                continue
            seen.add(lv)
            levels[i] += legend(x, st, kc)
    for st in states:
        x.xkb_state_unref(st)
    x.xkb_keymap_unref(km)
    while levels and levels[-1].strip() == "":
        levels.pop()
    return {"altgr": altgr, "levels": levels}


def build():
    x = load()
    ctx = x.xkb_context_new(2)  # XKB_CONTEXT_NO_ENVIRONMENT_NAMES
    if not ctx:
        sys.exit("legends.py: cannot create an xkb context")
    x.xkb_context_set_log_level(ctx, 10)  # critical only
    names, lst = layout_names(x, ctx)
    layouts = {}
    for n in names:
        c = compile_layout(x, ctx, n)
        if c is not None:
            layouts[n] = c
    return {
        "about": "Generated by www/legends.py from the XKB data's "
                 "rules/evdev.lst; do not edit. levels[i][k] is what "
                 "codes[k] types at level i (plain, Shift, AltGr, "
                 "AltGr+Shift); a space: nothing new at that level.",
        "codes": [c for c, _ in KEYS],
        "rows": ROWS,
        "layouts": layouts,
    }


def render(data):
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=False) + "\n"


def main():
    text = render(build())
    if sys.argv[1:] == ["--check"]:
        with open(OUT, encoding="utf-8") as f:
            old = f.read()
        if old != text:
            print("www/legends.json differs from what this machine's XKB "
                  "data gives: run www/legends.py and commit the result "
                  "(or the XKB data here is another version than the one "
                  "it was made from)")
            return 1
        print("www/legends.json matches the XKB data")
        return 0
    if sys.argv[1:]:
        print("usage: legends.py [--check]")
        return 2
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s (%d layouts, %d bytes)"
          % (OUT, len(json.loads(text)["layouts"]), len(text.encode())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
