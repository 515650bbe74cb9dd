#!/usr/bin/env python3
"""evdev.py -- decode a Linux input device's events, one line each.

Usage: evdev.py /dev/input/eventN
Prints '# ready' once the device is open, then lines like 'EV_KEY KEY_A 1'
(type, code, value; SYN_REPORT left out), flushed at once, until killed.
Names come from the host's linux/input-event-codes.h, numbers when absent.
"""

import os
import re
import struct
import sys

EVENT = struct.Struct("llHHi")  # struct input_event on 64-bit Linux
PREFIXES = {"EV_KEY": ("KEY_", "BTN_"), "EV_REL": ("REL_",),
            "EV_ABS": ("ABS_",), "EV_MSC": ("MSC_",), "EV_LED": ("LED_",),
            "EV_SYN": ("SYN_",), "EV_REP": ("REP_",), "EV_SW": ("SW_",)}


def load_names():
    """Event type names and, per type, code names (the last numeric one)."""
    types, codes = {}, {}
    try:
        text = open("/usr/include/linux/input-event-codes.h").read()
    except OSError:
        return types, codes
    defs = re.findall(r"^#define\s+([A-Z0-9_]+)\s+(0x[0-9a-fA-F]+|\d+)\b",
                      text, re.M)
    for name, val in defs:
        if name.endswith(("_MAX", "_CNT")):
            continue
        val = int(val, 0)
        if name.startswith("EV_"):
            types.setdefault(val, name)
    for tval, tname in types.items():
        table = {}
        for name, val in defs:
            if name.startswith(PREFIXES.get(tname, ("-",))) and \
                    not name.endswith(("_MAX", "_CNT")):
                table[int(val, 0)] = name
        codes[tval] = table
    return types, codes


def main():
    """Open the device, then decode until killed."""
    types, codes = load_names()
    fd = os.open(sys.argv[1], os.O_RDONLY)
    print("# ready", flush=True)
    buf = b""
    while True:
        chunk = os.read(fd, EVENT.size * 64)
        if not chunk:
            return 1
        buf += chunk
        while len(buf) >= EVENT.size:
            _, _, typ, code, value = EVENT.unpack_from(buf)
            buf = buf[EVENT.size:]
            if typ == 0 and code == 0:
                continue
            tname = types.get(typ, str(typ))
            cname = codes.get(typ, {}).get(code, str(code))
            print("%s %s %d" % (tname, cname, value), flush=True)


if __name__ == "__main__":
    sys.exit(main())
