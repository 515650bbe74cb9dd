"""gpiovm -- gpiod-ctl checks inside the VM, against gpio-sim's sysfs.

Called by the gpiod-ctl scenarios (shell) for what a shell does badly:
timing a line's level with millisecond resolution and reading JSON.

  gpiovm.py state PATH            print a value of GET /state (dotted path)
  gpiovm.py call METHOD URL [JSON] print "STATUS BODY"
  gpiovm.py press URL JSON OFFSET LEVEL MS TOL [--state]
        POST JSON to URL (with "wait": false), watch sim line OFFSET go to
        LEVEL and back, and check it stayed there MS (-80..+TOL ms: the
        first sight may lag; under TCG on a busy host the daemon itself
        may run late) and that gpiod-ctl's own measurement agrees;
        --state also checks GET /state answers within 1 s throughout.
  gpiovm.py steady OFFSET LEVEL SECONDS
        check line OFFSET stays at LEVEL for SECONDS.

Environment: VM_RUN (socket dir), VM_GPIOSIM (the sim chip's sysfs dir).
Exit 1 with a message on any failed check.
"""

import json
import os
import sys
import time

from kvmtest.http import UnixHTTPConnection

SOCK = os.path.join(os.environ.get("VM_RUN", "/run/vm"), "gpiod-ctl.sock")
SIM = os.environ.get("VM_GPIOSIM", "")


def Conn(timeout=10):
    """http.client on gpiod-ctl's socket (kvmtest.http)."""
    return UnixHTTPConnection(SOCK, timeout=timeout, host="kvm")


def call(method, url, body=None, timeout=10):
    c = Conn(timeout)
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, url, body=body, headers=hdrs)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data else None


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def level(offset):
    with open(os.path.join(SIM, "sim_gpio%d" % offset, "value")) as f:
        return int(f.read().strip())


def dig(obj, path):
    for part in path.split("."):
        obj = obj[part]
    return obj


def cmd_press(url, body, offset, want, ms, tol, check_state):
    rest = 1 - want
    if level(offset) != rest:
        fail("line %d is at %d before the press, not %d"
             % (offset, level(offset), rest))
    req = json.loads(body)
    req["wait"] = False
    # Send, then watch the line before reading the reply: the press starts
    # before the reply is written.
    conn = Conn(10)
    conn.request("POST", url, body=json.dumps(req),
                 headers={"Content-Type": "application/json"})
    t_post = time.monotonic()
    while level(offset) != want:
        if time.monotonic() - t_post > 2:
            fail("line %d never went to %d" % (offset, want))
        time.sleep(0.0005)  # leave the CPU to the daemon (TCG is slow)
    t0 = time.monotonic()
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status != 200:
        fail("POST %s %s -> %d %s" % (url, body, r.status, data))
    worst = 0.0
    next_state = t0 + 0.2
    while level(offset) == want:
        now = time.monotonic()
        if now - t0 > (ms + tol + 2000) / 1000:
            fail("line %d still at %d after %.0f ms"
                 % (offset, want, (now - t0) * 1000))
        if check_state and now >= next_state:
            s0 = time.monotonic()
            status, st = call("GET", "/state", timeout=2)
            took = time.monotonic() - s0
            worst = max(worst, took)
            if status != 200:
                fail("/state -> %d during the press" % status)
            next_state = time.monotonic() + 0.2
        time.sleep(0.0005)
    t1 = time.monotonic()
    held = (t1 - t0) * 1000
    status, st = call("GET", "/state")
    line = [n for n, l in st["result"]["lines"].items()
            if l.get("offset") == offset][0]
    daemon_ms = st["result"]["lines"][line]["last_held_ms"]
    print("gpiod-ctl measured %.1f ms for %s" % (daemon_ms, line))
    if daemon_ms < ms:
        fail("gpiod-ctl cut the press short: %.1f ms < %d" % (daemon_ms, ms))
    if abs(daemon_ms - held) > 80:
        fail("gpiod-ctl says %.1f ms, the sim line showed %.1f ms"
             % (daemon_ms, held))
    # The first sight of the level is at most one poll late (the reply came
    # after the line was set), so the measured time may be a little short.
    print("line %d held at %d for %.1f ms (want %d, +%d)%s"
          % (offset, want, held, ms, tol,
             " ; worst /state %.0f ms" % (worst * 1000) if check_state
             else ""))
    if held < ms - 80 or held > ms + tol:
        fail("line %d held %.1f ms, want %d (-80/+%d)"
             % (offset, held, ms, tol))
    if check_state and worst > 1.0:
        fail("/state took %.0f ms during the press" % (worst * 1000))


def cmd_steady(offset, want, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = level(offset)
        if v != want:
            fail("line %d went to %d; it must stay at %d" % (offset, v,
                                                             want))
        time.sleep(0.002)
    print("line %d stayed at %d for %.1f s" % (offset, want, seconds))


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    if argv[1] == "state":
        status, st = call("GET", "/state")
        if status != 200:
            fail("/state -> %d" % status)
        v = dig(st["result"], argv[2])
        print(json.dumps(v) if not isinstance(v, str) else v)
    elif argv[1] == "call":
        status, reply = call(argv[2], argv[3],
                             argv[4] if len(argv) > 4 else None, timeout=30)
        print(status, json.dumps(reply))
    elif argv[1] == "press":
        cmd_press(argv[2], argv[3], int(argv[4]), int(argv[5]),
                  int(argv[6]), int(argv[7]), "--state" in argv[8:])
    elif argv[1] == "steady":
        cmd_steady(int(argv[2]), int(argv[3]), float(argv[4]))
    else:
        fail("unknown command " + argv[1])


if __name__ == "__main__":
    main(sys.argv)
