"""checks.py -- what the appliance suite checks, in order (see README.md).

Each check is a function run by Suite.check(): it returns on success and
raises CheckFailed with what it saw otherwise.  Later checks go on after a
failure where they can (the report then names every broken thing at once);
the state they need (the password, the mounted image) is kept in `st`.
"""

import functools
import http.server
import json
import subprocess
import os
import re
import shutil
import tempfile
import threading
import time

from appliance import BARS, DAEMONS, CheckFailed, say

# The units that must be there and active; any other kaputtkvm* unit the
# package brings (its own nginx, ...) is checked as well (units()).
UNITS = ["kaputtkvm.target", "kaputtkvm-gadget.service"] + \
    ["kaputtkvm-%s.socket" % d for d in DAEMONS] + \
    ["kaputtkvm-%s.service" % d for d in DAEMONS]
GUEST = "sh /mnt/kvmtest/guest.sh"
SHARE_MOUNT = ("mkdir -p /mnt/kvmtest; mountpoint -q /mnt/kvmtest || "
               "mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 "
               "kvmtest /mnt/kvmtest")


class State:
    """What the checks learn and later checks need."""
    password = None
    user = "admin"
    iso_sha = None
    lines = {}          # role -> (offset, active_low)
    pids = {}


def wait_for(what, timeout, fn, interval=0.5):
    """Poll fn() until it returns a true value; CheckFailed on timeout."""
    end = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except (CheckFailed, OSError) as e:
            last = e
        if time.monotonic() > end:
            raise CheckFailed("timed out after %ds waiting for %s%s" %
                              (timeout, what,
                               ": %s" % last if last else ""))
        time.sleep(interval)


def boot(vm, agent, budget=300):
    """budget: seconds for the agent to answer, and again for systemd to
    finish starting."""
    if not agent.sync(budget):
        raise CheckFailed("the guest agent did not answer within %d s of "
                          "QEMU's start; console:\n%s" %
                          (budget, vm.console_tail()))
    out = agent.run("systemctl is-system-running --wait", budget)[1].strip()
    agent.ok(SHARE_MOUNT)
    if out not in ("running", "degraded"):
        raise CheckFailed("systemd says the system is %r" % out)
    return time.monotonic() - vm.t0


def parse_install(log, st):
    """The user and one-time password the install printed."""
    m = re.search(r"KaputtKVM password: (\S+)", log)
    u = re.search(r"KaputtKVM user: (\S+)", log)
    if u:
        st.user = u.group(1)
    if m:
        st.password = m.group(1)
    return bool(m)


def units(agent):
    """UNITS plus every other kaputtkvm* unit the target pulls in."""
    out = agent.run("systemctl list-dependencies --plain --no-legend "
                    "kaputtkvm.target")[1]
    found = [w.strip(" ●*") for w in out.split()]
    return UNITS + sorted(u for u in found if u.startswith("kaputtkvm")
                          and u not in UNITS)


def units_active(agent):
    out = agent.run("systemctl show -p Id,ActiveState,SubState " +
                    " ".join(units(agent)))[1]
    bad = []
    for block in out.strip().split("\n\n"):
        kv = dict(line.split("=", 1) for line in block.splitlines()
                  if "=" in line)
        if kv.get("ActiveState") != "active":
            bad.append("%s is %s (%s)" % (kv.get("Id"), kv.get(
                "ActiveState"), kv.get("SubState")))
    if bad:
        raise CheckFailed("; ".join(bad))


def no_errors(agent, since):
    """journalctl -p err for our units since a boot-time mark: empty."""
    args = " ".join("-u " + u for u in units(agent))
    out = agent.run("journalctl -q -o short-monotonic -p err --no-pager "
                    "%s %s" % (args, since))[1].strip()
    if out:
        raise CheckFailed("errors logged by our units:\n" + out[-3000:])


def auth(front, st):
    s, _, body = front.request("GET", "/api/video/state", auth=False)
    if s != 401:
        raise CheckFailed("without credentials: HTTP %d, not 401" % s)
    s, _, body = front.request("GET", "/api/video/state")
    if s != 200:
        raise CheckFailed("with the printed password: HTTP %d: %s" %
                          (s, body[:300]))
    s, _, body = front.request("GET", "/")
    if s != 200 or b"<html" not in body.lower():
        raise CheckFailed("GET / with the password: HTTP %d, %r" %
                          (s, body[:100]))


def decode(jpeg):
    """A JPEG as (width, height, RGB bytes), decoded by libjpeg-turbo's
    djpeg into a binary PPM."""
    r = subprocess.run(["djpeg", "-pnm"], input=jpeg, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise CheckFailed("djpeg cannot decode the snapshot: %s" %
                          r.stderr.decode("utf-8", "replace").strip())
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", r.stdout)
    if not m:
        raise CheckFailed("djpeg made no 8-bit colour PPM (%r)" %
                          r.stdout[:20])
    return int(m.group(1)), int(m.group(2)), r.stdout[m.end():]


def snapshot_bars(front):
    """A JPEG through nginx whose 8 bars are vivid's 75% colour bars."""
    s, h, body = front.request("GET", "/api/video/snapshot")
    if s != 200:
        raise CheckFailed("snapshot: HTTP %d: %r" % (s, body[:300]))
    if not body.startswith(b"\xff\xd8"):
        raise CheckFailed("snapshot is not a JPEG (%r...)" % body[:16])
    w, hgt, rgb = decode(body)
    bad = []
    for i, (name, want) in enumerate(BARS):
        x0 = int((i + 0.5) * w / 8)
        y0 = int(hgt * 0.75)
        px = [rgb[(y * w + x) * 3:(y * w + x) * 3 + 3]
              for x in range(x0 - 2, x0 + 3) for y in range(y0 - 2, y0 + 3)]
        got = tuple(sum(p[c] for p in px) // len(px) for c in range(3))
        if any(abs(got[c] - want[c]) > 48 for c in range(3)):
            bad.append("bar %d: wanted %s %s, got %s" %
                       (i + 1, name, want, got))
    if bad:
        raise CheckFailed("%dx%d snapshot: %s" % (w, hgt, "; ".join(bad)))
    return "%dx%d" % (w, hgt)


def redfish(front, st):
    """Redfish through the board's nginx: the service root without a
    password, Systems/1 refused without one, a session login with the
    printed password, Systems/1 (PowerState from gpiod-ctl) with its
    token alone, the logout, and the token refused after it."""
    s, _, body = front.request("GET", "/redfish/v1", auth=False)
    if s != 200 or b"ServiceRoot" not in body:
        raise CheckFailed("GET /redfish/v1 without login: HTTP %d: %r" %
                          (s, body[:200]))
    s, _, _ = front.request("GET", "/redfish/v1/Systems/1", auth=False)
    if s != 401:
        raise CheckFailed("Systems/1 without login: HTTP %d, not 401" % s)
    s, h, body = front.request(
        "POST", "/redfish/v1/SessionService/Sessions",
        {"UserName": st.user, "Password": st.password}, auth=False)
    hdr = {k.lower(): v for k, v in h.items()}
    token = hdr.get("x-auth-token")
    if s != 201 or not token or not hdr.get("location"):
        raise CheckFailed("session login: HTTP %d, X-Auth-Token %r, "
                          "Location %r: %r" % (s, token, hdr.get("location"),
                                               body[:300]))
    s, _, body = front.request("GET", "/redfish/v1/Systems/1", auth=False,
                               headers={"X-Auth-Token": token})
    if s != 200:
        raise CheckFailed("Systems/1 with the token: HTTP %d: %r" %
                          (s, body[:300]))
    power = json.loads(body).get("PowerState")
    if power not in ("On", "Off"):
        raise CheckFailed("Systems/1's PowerState is %r: gpiod-ctl not "
                          "reached?" % power)
    path = hdr["location"].split("://", 1)[-1]
    path = path[path.index("/"):] if "://" in hdr["location"] else path
    s, _, body = front.request("DELETE", path, auth=False,
                               headers={"X-Auth-Token": token})
    if s not in (200, 204):
        raise CheckFailed("logout DELETE %s: HTTP %d: %r" %
                          (path, s, body[:300]))
    s, _, _ = front.request("GET", "/redfish/v1/Systems/1", auth=False,
                            headers={"X-Auth-Token": token})
    if s != 401:
        raise CheckFailed("the token after the logout: HTTP %d, not 401" % s)
    return "PowerState %s" % power


class ImageServer:
    """Plain HTTP on the host's loopback, serving one directory; the guest
    reaches it at 10.0.2.2, QEMU's user network's address for the host."""

    class _Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    def __init__(self, directory):
        h = functools.partial(self._Quiet, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def url(self, name):
        return "http://10.0.2.2:%d/%s" % (self.httpd.server_port, name)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


REDFISH_CD = "/redfish/v1/Managers/1/VirtualMedia/0"


def redfish_insert(front, agent, suite, url, sha):
    """Redfish InsertMedia of an image URL (a 100 MiB ISO on the host)
    through nginx, as Ironic sends it: the reply comes once the image is
    fetched and mounted, so /dev/sr0 on the target must read it at once,
    whole and with the source's SHA-256; EjectMedia empties the LUN."""
    t0 = time.monotonic()
    s, _, body = front.request(
        "POST", REDFISH_CD + "/Actions/VirtualMedia.InsertMedia",
        {"Image": url, "Inserted": True, "WriteProtected": True,
         "TransferProtocolType": "HTTP", "TransferMethod": "Upload"},
        timeout=600)
    t_reply = time.monotonic() - t0
    if s not in (200, 204):
        raise CheckFailed("InsertMedia %s: HTTP %d: %r" % (
            url, s, body[:400]))
    dev = agent.ok(GUEST + " cdrom 60").strip()
    wait_for("%s readable" % dev, 60, lambda: agent.run(
        "dd if=%s of=/dev/null bs=2048 count=1" % dev, 30)[0] == 0,
        interval=0.2)
    t_readable = time.monotonic() - t0
    t1 = time.monotonic()
    got = agent.ok("%s sr-sha %s 60" % (GUEST, dev), 600).strip()
    t_sha = time.monotonic() - t1
    if got != sha:
        raise CheckFailed("%s reads sha256 %s, the image at %s is %s" %
                          (dev, got, url, sha))
    suite.figure("Redfish InsertMedia of 100 MiB from a URL: the reply",
                 "%.1f s" % t_reply)
    suite.figure("Redfish InsertMedia of 100 MiB: until the target reads "
                 "its first sector", "%.1f s" % t_readable)
    suite.figure("the target reads the 100 MiB medium whole (sha256sum)",
                 "%.1f s" % t_sha)
    s, _, body = front.request("GET", REDFISH_CD)
    member = json.loads(body) if s == 200 else {}
    if not member.get("Inserted") or member.get("Image") != url:
        raise CheckFailed("VirtualMedia/0 after the insert: HTTP %d, "
                          "Inserted %r, Image %r" % (
                              s, member.get("Inserted"),
                              member.get("Image")))
    s, _, body = front.request(
        "POST", REDFISH_CD + "/Actions/VirtualMedia.EjectMedia", {})
    if s not in (200, 204):
        raise CheckFailed("EjectMedia: HTTP %d: %r" % (s, body[:400]))
    lun = (front.json("GET", "/api/media/state").get("luns") or [{}])[0]
    if lun.get("image"):
        raise CheckFailed("after EjectMedia mediad's LUN 0 still holds %r"
                          % lun.get("image"))
    return "%s: reply %.1f s, readable %.1f s, whole %.1f s" % (
        dev, t_reply, t_readable, t_sha)


def key_and_mouse(front, agent, x=1000, y=30000):
    """x, y: where the absolute mouse goes.  The target's input layer
    reports only changed values: a check on the same gadget as an earlier
    one (no new enumeration since) must move it elsewhere."""
    kbd = agent.ok(GUEST + " input-find keyboard 90").strip()
    mouse = agent.ok(GUEST + " input-find mouse-abs 90").strip()
    agent.ok("%s record %s keys && %s record %s abs" %
             (GUEST, kbd, GUEST, mouse))
    try:
        front.json("POST", "/api/hid/key", {"code": "KeyA", "down": True})
        front.json("POST", "/api/hid/key", {"code": "KeyA", "down": False})
        agent.ok(GUEST + " expect keys 'EV_KEY KEY_A 1' 30")
        agent.ok(GUEST + " expect keys 'EV_KEY KEY_A 0' 30")
        front.json("POST", "/api/hid/mouse", {"x": x, "y": y})
        agent.ok(GUEST + " expect abs 'EV_ABS ABS_X %d' 30" % x)
        agent.ok(GUEST + " expect abs 'EV_ABS ABS_Y %d' 30" % y)
        front.json("POST", "/api/hid/mouse", {"button": "left"})
        agent.ok(GUEST + " expect abs 'EV_KEY BTN_LEFT 1' 30")
        front.json("POST", "/api/hid/mouse", {"button": "left",
                                              "down": False})
        agent.ok(GUEST + " expect abs 'EV_KEY BTN_LEFT 0' 30")
    finally:
        agent.run("%s record-stop keys; %s record-stop abs" %
                  (GUEST, GUEST))


def caps_led(front, agent, on):
    """The target sets Caps Lock; hidd's /state through nginx shows it."""
    kbd = agent.ok(GUEST + " input-find keyboard 90").strip()
    agent.ok("%s led %s %d" % (GUEST, kbd, 1 if on else 0))

    def shown():
        leds = front.json("GET", "/api/hid/state").get("leds") or {}
        return leds.get("known") and bool(leds.get("caps")) == on
    wait_for("Caps Lock %s in hidd's /state" % ("on" if on else "off"), 60,
             shown)


def leds_kept(front, on):
    leds = front.json("GET", "/api/hid/state").get("leds") or {}
    if not leds.get("known") or bool(leds.get("caps")) != on:
        raise CheckFailed("hidd's LEDs now %s (Caps Lock should be %s)" %
                          (leds, "on" if on else "off"))


def upload_mount(front, agent, st, iso):
    data = open(iso, "rb").read()
    s, _, body = front.request("PUT", "/api/media/images/test.iso", data,
                               timeout=300,
                               headers={"Content-Type":
                                        "application/octet-stream"})
    if s not in (200, 201):
        raise CheckFailed("upload: HTTP %d: %s" % (s, body[:300]))
    front.json("POST", "/api/media/mount", {"image": "test.iso",
                                            "cdrom": True})
    return sr0_matches(agent, st)


def sr0_matches(agent, st):
    dev = agent.ok(GUEST + " cdrom 60").strip()
    got = agent.ok("%s sr-sha %s 60" % (GUEST, dev), 180).strip()
    if got != st.iso_sha:
        raise CheckFailed("%s reads sha256 %s, the upload was %s" %
                          (dev, got, st.iso_sha))
    return dev


def mount_kept(front, agent, st):
    m = front.json("GET", "/api/media/state")
    lun = (m.get("luns") or [{}])[0]
    if lun.get("image") != "test.iso":
        raise CheckFailed("mediad's /state says LUN 0 holds %r, not "
                          "test.iso: %s" % (lun.get("image"), lun))
    sr0_matches(agent, st)


def read_lines(agent, st):
    """Which gpio-sim offsets the installed config gives the ATX roles."""
    conf = agent.run("cat /etc/kaputtkvm/kaputtkvm.conf")[1]
    sec = None
    for line in conf.splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if line.startswith("["):
            sec = line.strip("[]").strip()
            continue
        if sec != "gpiod-ctl" or "=" not in line:
            continue
        k, _, v = (x.strip() for x in line.partition("="))
        m = re.match(r"(\w+):(\d+)(.*)", v)
        if m and k in ("power-button", "reset-button", "power-led"):
            st.lines[k] = (int(m.group(2)), "active-low" in m.group(3))


def configure_lines(agent, st):
    """The package names no lines: give gpiod-ctl the gpio-sim chip's
    first four, as a user edits /etc/kaputtkvm/kaputtkvm.conf."""
    conf = agent.run("cat /etc/kaputtkvm/kaputtkvm.conf 2>/dev/null")[1]
    keep, sec = [], None
    for line in conf.splitlines():
        s = line.strip()
        if s.startswith("["):
            sec = s.strip("[]").strip()
        if sec != "gpiod-ctl":
            keep.append(line)
    keep += ["", "[gpiod-ctl]", "backend = gpiod",
             "power-button = gpiochip0:0", "reset-button = gpiochip0:1",
             "power-led = gpiochip0:2 active-low", "hdd-led = gpiochip0:3"]
    text = "\n".join(keep) + "\n"
    agent.ok("mkdir -p /etc/kaputtkvm && cat >/etc/kaputtkvm/kaputtkvm.conf "
             "<<'EOF'\n%sEOF\nsystemctl restart kaputtkvm-gpiod-ctl" % text)
    st.lines = {"power-button": (0, False), "reset-button": (1, False),
                "power-led": (2, True)}


def set_power_led(agent, st, lit):
    off, low = st.lines["power-led"]
    pull = "down" if (lit == low) else "up"
    agent.ok("%s gpio-pull %d %s" % (GUEST, off, pull))


def power_is(front, want):
    def ok():
        a = front.json("GET", "/api/gpio/state").get("atx") or {}
        return a.get("power") == want
    wait_for("gpiod-ctl to report power %s" % want, 30, ok)


def atx(front, agent, st):
    """Power off (LED dark) -> on presses the power button on gpio-sim."""
    btn = st.lines["power-button"][0]
    set_power_led(agent, st, False)
    power_is(front, "off")
    agent.ok("%s gpio-watch %d btn" % (GUEST, btn))
    try:
        front.json("POST", "/api/gpio/atx", {"action": "on", "wait": True},
                   timeout=60)
        time.sleep(0.5)
    finally:
        agent.run(GUEST + " record-stop btn")
    seen = agent.ok("cat /run/kvmtest/btn.gpio").split()
    if seen[:3] != ["0", "1", "0"]:
        raise CheckFailed("the power button line went %s, wanted a press "
                          "0 1 0" % " ".join(seen))
    set_power_led(agent, st, True)
    power_is(front, "on")
    s, _, body = front.request("POST", "/api/gpio/atx", {"action": "on"})
    if s != 409:
        raise CheckFailed("'on' while the LED is lit: HTTP %d, not 409: %s"
                          % (s, body[:200]))


def lines_kept(front, agent, st):
    a = front.json("GET", "/api/gpio/state").get("atx") or {}
    if a.get("power") != "on":
        raise CheckFailed("gpiod-ctl now says power %r (LED lit: on)" %
                          a.get("power"))
    for role in ("power-button", "reset-button"):
        v = agent.ok("%s gpio-value %d" % (GUEST, st.lines[role][0])).strip()
        if v != "0":
            raise CheckFailed("%s is driven to %s after the restart" %
                              (role, v))


def main_pids(agent, units=None):
    units = units or ["kaputtkvm-%s.service" % d for d in DAEMONS]
    out = agent.run("systemctl show -p Id,MainPID " + " ".join(units))[1]
    pids = {}
    for block in out.strip().split("\n\n"):
        kv = dict(line.split("=", 1) for line in block.splitlines()
                  if "=" in line)
        pids[kv.get("Id")] = kv.get("MainPID")
    return pids


class Traffic:
    """Requests through nginx in a loop on two threads, each result kept
    (time, path, status or the exception, seconds taken)."""

    PATHS = {"capd": ["/api/video/state", "/api/video/snapshot"],
             "hidd": ["/api/hid/state", "/api/hid/key"],
             "mediad": ["/api/media/state", "/api/media/images"],
             "gpiod-ctl": ["/api/gpio/state"]}

    def __init__(self, front, daemons):
        self.front = front
        self.paths = [p for d in daemons for p in self.PATHS[d]]
        self.results = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(i,))
                        for i in range(2)]

    def loop(self, i):
        n = i
        while not self.stop.is_set():
            path = self.paths[n % len(self.paths)]
            n += 1
            t0 = time.monotonic()
            try:
                if path == "/api/hid/key":
                    s, _, b = self.front.request(
                        "POST", path, {"code": "ShiftLeft",
                                       "down": n % 4 < 2}, timeout=30)
                else:
                    s, _, b = self.front.request("GET", path, timeout=30)
                err = None if s == 200 else "HTTP %d %s" % (
                    s, b[:160].decode("utf-8", "replace"))
            except OSError as e:
                err = "%s: %s" % (type(e).__name__, e)
            self.results.append((t0, path, err, time.monotonic() - t0))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *a):
        self.stop.set()
        for t in self.threads:
            t.join()


def restart(front, agent, st, suite, unit, daemons):
    """systemctl restart UNIT under continuous traffic: no failed request,
    the other daemons' pids kept; the slowest request is a figure."""
    before = main_pids(agent)
    with Traffic(front, daemons) as tr:
        time.sleep(2)
        t0 = time.monotonic()
        rc, out, err = agent.run("systemctl restart %s" % unit, 120)
        took = time.monotonic() - t0
        time.sleep(3)
    front.request("POST", "/api/hid/release", {})
    if rc != 0:
        raise CheckFailed("systemctl restart %s: exit %d: %s" %
                          (unit, rc, err.strip()))
    # The requests that overlapped the restart (systemctl's start to end).
    during = [r for r in tr.results if r[0] <= t0 + took and
              r[0] + r[3] >= t0]
    bad = [r for r in tr.results if r[2]]
    slow = max(during, key=lambda r: r[3]) if during else None
    suite.figure("slowest of %d requests during `systemctl restart %s` "
                 "(%.1f s)" % (len(during), unit, took),
                 "%.2f s (%s)" % (slow[3], slow[1]) if slow else "-")
    if not during:
        raise CheckFailed("no request completed while %s restarted" % unit)
    after = main_pids(agent)
    # A daemon's restart touches no other daemon; the gadget's restart
    # may restart hidd and mediad (they follow the rebuilt gadget).
    moved = [] if unit == "kaputtkvm-gadget.service" else \
        [u for u in before if u != unit and before[u] != after.get(u)]
    problems = []
    if bad:
        problems.append("%d of %d requests failed:" %
                        (len(bad), len(tr.results)))
        problems += ["  %s %s (%.2f s)" % (r[1], r[2], r[3])
                     for r in bad[:10]]
    if unit != "kaputtkvm-gadget.service" and before.get(unit) == \
            after.get(unit):
        problems.append("%s kept its pid %s: it did not restart" %
                        (unit, before.get(unit)))
    if moved:
        problems.append("restarting %s restarted %s too" %
                        (unit, ", ".join(moved)))
    if problems:
        raise CheckFailed("\n".join(problems))


def reboot(vm, agent, front, suite):
    old = agent.ok("cat /proc/sys/kernel/random/boot_id").strip()
    try:
        rc, out, err = agent.run("systemctl --no-block reboot", 30)
        if rc != 0:
            raise CheckFailed("systemctl reboot exited %d: %s" %
                              (rc, (out + err).strip()))
    except (TimeoutError, ConnectionError, RuntimeError):
        pass    # the agent may stop before it answers
    t0 = time.monotonic()
    # Wait until the old system is gone: its agent stops answering, or
    # (should the down time fall between two polls) a new boot id
    # answers.  While the old one still answers after a minute, what it
    # is doing goes into the failure (its jobs, the journal's end).
    seen = {"lingering": None}

    def gone():
        if not agent.sync(2):
            return True
        try:
            rc, out, _ = agent.run("cat /proc/sys/kernel/random/boot_id; "
                                   "systemctl list-jobs --no-pager "
                                   "2>&1 | head -20; journalctl -b "
                                   "--no-pager -n 30 2>&1", 10)
        except (TimeoutError, ConnectionError, RuntimeError):
            return True     # going down under our feet
        if out.split("\n", 1)[0].strip() != old:
            return True
        if time.monotonic() - t0 > 60:
            seen["lingering"] = out
        return False
    # An agent stopped in the middle of a command leaves it unanswered:
    # a short reply timeout here, so that costs seconds, not half a minute.
    reply, agent.reply = agent.reply, 5
    try:
        wait_for("the old system to stop", 180, gone, interval=1)
    except CheckFailed as e:
        raise CheckFailed("%s; the old system then:\n%s" %
                          (e, seen["lingering"] or "(no answer)"))
    finally:
        agent.reply = reply
    # ... and back (the console shows the new kernel's first line), then
    # the first JPEG through nginx.
    suite.figure("reboot: shutdown", "%.1f s" % (time.monotonic() - t0))
    if not agent.sync(300):
        raise CheckFailed("the guest agent did not come back within 300 s "
                          "of the reboot; console:\n" + vm.console_tail())

    def jpeg():
        s, _, b = front.request("GET", "/api/video/snapshot", timeout=20)
        return s == 200 and b.startswith(b"\xff\xd8")
    t1 = time.monotonic()
    wait_for("a JPEG through nginx after the reboot", 240, jpeg)
    suite.figure("reboot: agent back to the first JPEG",
                 "%.1f s" % (time.monotonic() - t1))
    suite.figure("reboot to the first JPEG through nginx",
                 "%.1f s" % (time.monotonic() - t0))
    agent.ok(SHARE_MOUNT)
    agent.run("systemctl is-system-running --wait", 300)


def purge(agent):
    """apt purge kaputtkvm: no file, user, group, unit or state left."""
    files = agent.ok("dpkg-query -L kaputtkvm").split("\n")
    agent.ok("apt purge -y kaputtkvm >/mnt/kvmtest/purge.log 2>&1", 600)
    left = []
    paths = [f for f in files if f.strip() and f not in ("/.",)]
    rc, out, _ = agent.run(
        "for f in %s; do [ -e \"$f\" ] && [ ! -d \"$f\" ] && echo \"$f\"; "
        "done; :" % " ".join("'%s'" % p for p in paths if "'" not in p))
    left += ["file " + x for x in out.split()]
    out = agent.run(
        "getent passwd | grep -i kaputtkvm; getent group | "
        "grep -i kaputtkvm; ls -d /etc/kaputtkvm /var/lib/kaputtkvm "
        "/run/kaputtkvm /var/log/kaputtkvm /var/cache/kaputtkvm "
        "/sys/kernel/config/usb_gadget/kaputtkvm 2>/dev/null; "
        "find /etc /usr/lib/systemd /usr/lib/udev /usr/lib/tmpfiles.d "
        "/usr/lib/sysusers.d /var/lib/systemd -iname '*kaputtkvm*' "
        "2>/dev/null; systemctl list-units --all --plain --no-legend "
        "'kaputtkvm*' 2>/dev/null | grep -v not-found; :")[1]
    left += [x for x in out.splitlines() if x.strip()]
    if left:
        raise CheckFailed("left behind after apt purge:\n  " +
                          "\n  ".join(left[:40]))


def install_devices(agent):
    """Issue #15's third breakage: right after the first install (no
    reboot), the udev rules gave the gpio-sim chip and /dev/hidg* the
    daemons' groups, and gpiod-ctl never had to restart."""
    chip = agent.ok(GUEST + " gpiosim-dev").strip()
    rc, hidg, _ = agent.run("ls /dev/hidg* 2>/dev/null")
    hidg = hidg.split()
    if not hidg:
        raise CheckFailed("no /dev/hidg* after the install (is the gadget "
                          "up?)")
    want = dict([(chip, "kaputtkvm-gpiod-ctl")] +
                [(h, "kaputtkvm-hidd") for h in hidg])
    out = agent.ok("stat -c '%%n %%U:%%G %%a' %s" % " ".join(sorted(want)))
    bad = []
    for line in out.splitlines():
        name, owner, mode = line.split()
        if owner.split(":")[1] != want[name] or mode != "660":
            bad.append("%s is %s %s, wanted group %s mode 660" %
                       (name, owner, mode, want[name]))
    kv = dict(line.split("=", 1) for line in agent.ok(
        "systemctl show -p NRestarts,ActiveState,SubState "
        "kaputtkvm-gpiod-ctl.service").splitlines() if "=" in line)
    if kv.get("NRestarts") != "0" or kv.get("ActiveState") != "active":
        bad.append("kaputtkvm-gpiod-ctl.service: %s, restarted %s times" %
                   (kv.get("SubState"), kv.get("NRestarts")))
    if bad:
        raise CheckFailed("\n".join(bad))


def kept_state(front, agent):
    """What an upgrade must not touch, as seen now."""
    k = {}
    k["gadget"] = agent.ok("systemctl show -p InvocationID,"
                           "ActiveEnterTimestampMonotonic "
                           "kaputtkvm-gadget.service").strip()
    k["usb"] = agent.ok(GUEST + " usb-target").strip()
    k["store"] = agent.ok("sha256sum /var/lib/kaputtkvm/images/test.iso"
                          ).split()[0]
    # Password, certificate and key, the cookie secret, the config the
    # user edited (a conffile): every file of /etc/kaputtkvm.
    k["etc"] = agent.ok("cd /etc/kaputtkvm && find . -type f | sort | "
                        "xargs sha256sum").strip()
    k["pids"] = main_pids(agent)
    k["pids"].update(main_pids(agent, ["kaputtkvm-nginx.service"]))
    front.request("GET", "/api/video/state")
    k["cookie"] = front.cookie
    return k


def do_upgrade(agent, upgrade, share, st, suite):
    path = upgrade.wait()
    if upgrade.took:
        suite.figure("upgrade package build (while the VM ran)",
                     "%.0f s" % upgrade.took)
    name = os.path.basename(path)
    if not os.path.exists(os.path.join(share, name)):
        import shutil
        shutil.copy(path, share)
    t0 = time.monotonic()
    rc, _, _ = agent.run(
        "cp /mnt/kvmtest/%s /root/ && cd /root && "
        "{ apt install -y ./%s 2>&1; echo \"apt-exit $?\"; } | "
        "while IFS= read -r l; do read -r up _ </proc/uptime; "
        "echo \"[$up] $l\"; done >/mnt/kvmtest/upgrade.log; "
        "grep -q '] apt-exit 0$' /mnt/kvmtest/upgrade.log" % (name, name),
        900)
    suite.figure("upgrade (apt install of %s)" % upgrade.version,
                 "%.1f s" % (time.monotonic() - t0))
    try:
        for line in open(os.path.join(share, "upgrade.log"),
                         errors="replace").read().splitlines():
            print("#   | " + line)
    except OSError:
        pass
    if rc != 0:
        raise CheckFailed("apt install of %s exited %d (its output above)"
                          % (name, rc))


def upgraded_programs(agent, before, version):
    """dpkg has the new version; each daemon (and nginx) was restarted
    onto the new programs: a new pid, whose executable is not the old,
    replaced (deleted) one."""
    got = agent.ok("dpkg-query -W -f '${Version}' kaputtkvm").strip()
    bad = [] if got == version else \
        ["dpkg says kaputtkvm %s, not %s" % (got, version)]
    now = main_pids(agent)
    now.update(main_pids(agent, ["kaputtkvm-nginx.service"]))
    for unit, pid in sorted(now.items()):
        if pid in (None, "0"):
            bad.append("%s has no main process" % unit)
            continue
        if pid == before.get(unit):
            bad.append("%s kept its pid %s: it still runs the old program"
                       % (unit, pid))
        exe = agent.run("readlink /proc/%s/exe" % pid)[1].strip()
        if exe.endswith("(deleted)"):
            bad.append("%s (pid %s) runs a replaced file: %s" %
                       (unit, pid, exe))
    if bad:
        raise CheckFailed("\n".join(bad))


def same(what, before, now):
    if before != now:
        raise CheckFailed("%s changed:\n  before: %s\n  after:  %s" %
                          (what, before.replace("\n", "\n          "),
                           now.replace("\n", "\n          ")))


def gadget_kept(agent, before):
    same("kaputtkvm-gadget.service's invocation", before["gadget"],
         agent.ok("systemctl show -p InvocationID,"
                  "ActiveEnterTimestampMonotonic "
                  "kaputtkvm-gadget.service").strip())
    same("the target's USB device (bus, devnum: a new number is a new "
         "enumeration)", before["usb"],
         agent.ok(GUEST + " usb-target").strip())


def secrets_kept(front, st, before):
    """The same password gives 200; the login cookie from before the
    upgrade still carries the current secret (nginx hands out the same
    one, so the rate limit still exempts this client)."""
    auth(front, st)
    if not before["cookie"]:
        raise CheckFailed("nginx set no login cookie before the upgrade")
    if front.cookie != before["cookie"]:
        raise CheckFailed("the login cookie changed: the upgrade renewed "
                          "the secret (%s -> %s)" %
                          (before["cookie"][:20], (front.cookie or "")[:20]))


def none_failed(agent):
    units_active(agent)
    out = agent.run("systemctl list-units --failed --plain --no-legend")[
        1].strip()
    if out:
        raise CheckFailed("failed units:\n" + out)


def run(suite, vm, agent, front, deb, share, src, upgrade=None):
    """All checks; the exit status (0: ran, failures are in suite)."""
    from appliance import make_iso
    st = State()
    st.iso_sha = make_iso(os.path.join(share, "test.iso"))
    t = suite.check("boots Debian 12 with systemd as PID 1 (agent up, "
                    "system running)", boot, vm, agent)
    if not t:
        return 1
    suite.figure("QEMU start to a running system", "%.1f s" % t)

    t_inst = time.monotonic()
    rc = suite.check("apt install ./%s" % os.path.basename(deb),
                     lambda: _install(agent, deb))
    log = ""
    try:
        log = open(os.path.join(share, "install.log"),
                   errors="replace").read()
    except OSError:
        pass
    for line in log.splitlines():
        print("#   | " + line)
    if not rc:
        return 1
    if not suite.check("the install printed the one-time password",
                       parse_install, log, st) or not st.password:
        st.password = "appliance-test-%d" % os.getpid()
        st.user = "admin"
        agent.ok("printf '%%s\\n' %s | kaputtkvm-passwd --stdin" %
                 st.password)
        say("set a password with kaputtkvm-passwd --stdin to go on")
    suite.check("right after the install: the gpio-sim chip and /dev/hidg* "
                "have the daemons' groups, gpiod-ctl never restarted",
                install_devices, agent)
    import base64
    front.auth = base64.b64encode(("%s:%s" % (st.user, st.password))
                                  .encode()).decode()
    suite.check("kaputtkvm.target active after the install",
                lambda: agent.ok("systemctl is-active kaputtkvm.target"))

    read_lines(agent, st)
    if "power-button" not in st.lines or "power-led" not in st.lines:
        say("the installed config names no ATX lines: configuring "
            "gpio-sim's in /etc/kaputtkvm/kaputtkvm.conf")
        suite.check("configure gpiod-ctl's lines (kaputtkvm.conf)",
                    configure_lines, agent, st)

    def first_jpeg():
        def j():
            s, _, b = front.request("GET", "/api/video/snapshot", timeout=20)
            return s == 200 and b.startswith(b"\xff\xd8")
        wait_for("the first JPEG through nginx", 120, j)
        suite.figure("install start to the first JPEG through nginx",
                     "%.1f s" % (time.monotonic() - t_inst))
    suite.check("a JPEG through nginx after the install", first_jpeg)

    suite.check("every kaputtkvm unit active", units_active, agent)
    suite.check("no error logged by our units (journalctl -p err)",
                no_errors, agent, "-b")
    suite.check("401 without credentials, 200 with the printed password",
                auth, front, st)
    suite.check("snapshot shows vivid's colour bars in the right colours",
                snapshot_bars, front)
    suite.check("Redfish through nginx: the root without login, a "
                "session, Systems/1, the logout", redfish, front, st)
    suite.check("a key and the absolute mouse reach the target's input "
                "devices", key_and_mouse, front, agent)
    suite.check("Caps Lock from the target shows in hidd's LEDs",
                caps_led, front, agent, True)
    served = tempfile.mkdtemp(prefix="kaputtkvm-served-")
    big_sha = make_iso(os.path.join(served, "redfish.iso"), 100 << 20)
    server = ImageServer(served)
    try:
        suite.check("Redfish InsertMedia of a 100 MiB image URL through "
                    "nginx: /dev/sr0 reads it at once, EjectMedia",
                    redfish_insert, front, agent, suite,
                    server.url("redfish.iso"), big_sha)
    finally:
        server.close()
        shutil.rmtree(served)
    iso_ok = suite.check("upload an ISO, mount it as CD, /dev/sr0's "
                         "SHA-256 is the upload's", upload_mount, front,
                         agent, st, os.path.join(share, "test.iso"))
    atx_ok = suite.check("ATX power on presses the gpio-sim power button",
                         atx, front, agent, st) if st.lines else None

    mark = agent.run("date +@%s")[1].strip()
    for d in DAEMONS:
        unit = "kaputtkvm-%s.service" % d
        suite.check("`systemctl restart %s` under traffic: no failed "
                    "request" % unit, restart, front, agent, st, suite,
                    unit, DAEMONS)
        if d == "mediad" and iso_ok:
            suite.check("mount kept across the mediad restart",
                        mount_kept, front, agent, st)
        if d == "hidd":
            # The target sends its LEDs only when they change: a hidd that
            # starts anew cannot know them unless it keeps them itself.
            suite.check("Caps Lock LED kept across the hidd restart",
                        leds_kept, front, True)
        if d == "gpiod-ctl" and atx_ok:
            suite.check("lines kept across the gpiod-ctl restart",
                        lines_kept, front, agent, st)
    suite.check("`systemctl restart kaputtkvm-gadget.service` under "
                "traffic: no failed request", restart, front, agent, st,
                suite, "kaputtkvm-gadget.service", ["hidd", "mediad"])
    suite.check("after the gadget restart: keys reach the target",
                key_and_mouse, front, agent)
    if iso_ok:
        suite.check("after the gadget restart: the CD is still mounted",
                    mount_kept, front, agent, st)
    suite.check("every unit active after the restarts", units_active,
                agent)
    suite.check("no error logged during the restarts", no_errors, agent,
                "--since " + mark)

    if suite.check("reboot: first JPEG through nginx", reboot, vm, agent,
                   front, suite):
        suite.check("after the reboot: every unit active", units_active,
                    agent)
        if iso_ok:
            suite.check("after the reboot: the CD is mounted again",
                        mount_kept, front, agent, st)
        suite.check("after the reboot: keys reach the target",
                    key_and_mouse, front, agent)
        suite.check("after the reboot: no error logged", no_errors, agent,
                    "-b")
    if upgrade is not None:
        before = suite.check("before the upgrade: what it must keep",
                             kept_state, front, agent) if iso_ok else None
        mark = agent.run("date +@%s")[1].strip()
        if before and suite.check("upgrade: apt install of the next "
                                  "version over the first", do_upgrade,
                                  agent, upgrade, share, st, suite):
            suite.check("upgrade: dpkg has the new version, the daemons "
                        "and nginx run the new programs", upgraded_programs,
                        agent, before["pids"], upgrade.version)
            suite.check("upgrade: the gadget was not rebuilt, the target "
                        "kept its USB device", gadget_kept, agent, before)
            suite.check("upgrade: the image is in the store with the same "
                        "SHA-256", lambda: same(
                            "test.iso's SHA-256 in the store",
                            before["store"], agent.ok(
                                "sha256sum /var/lib/kaputtkvm/images/"
                                "test.iso").split()[0]))
            suite.check("upgrade: the CD is still mounted, /dev/sr0 reads "
                        "the same SHA-256", mount_kept, front, agent, st)
            suite.check("upgrade: /etc/kaputtkvm kept (password, "
                        "certificate, cookie secret, edited config)",
                        lambda: same("/etc/kaputtkvm", before["etc"],
                                     agent.ok(
                                         "cd /etc/kaputtkvm && find . -type "
                                         "f | sort | xargs sha256sum"
                                     ).strip()))
            suite.check("upgrade: the same password gives 200, the login "
                        "cookie's secret is unchanged", secrets_kept, front,
                        st, before)
            # The same gadget as after the reboot: the mouse must move.
            suite.check("upgrade: keys reach the target", key_and_mouse,
                        front, agent, 2000, 20000)
            suite.check("upgrade: every unit active, no failed unit",
                        none_failed, agent)
            suite.check("upgrade: no error logged", no_errors, agent,
                        "--since " + mark)
    if os.environ.get("KAPUTTKVM_APPLIANCE_BROWSER") == "0":
        suite.skip("browser: the browser suite against the appliance",
                   "turned off (KAPUTTKVM_APPLIANCE_BROWSER=0)")
    else:
        browser(suite, agent, front, st, share)
    suite.check("apt purge kaputtkvm leaves nothing behind", purge, agent)
    return 0


def browser(suite, agent, front, st, share):
    """The browser suite's scenarios against the appliance, once
    (tests/browser/appliance_target.py): Chromium through nginx, the
    target side of the VM answering what the scenarios ask.  On by
    default; KAPUTTKVM_APPLIANCE_BROWSER=0 turns it off: see README.md."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", "browser"))
    import appliance_target
    took = appliance_target.run(suite, agent, front, front.port, st, share,
                                os.path.abspath(suite.args.build_dir))
    if took is not None:
        suite.figure("browser scenarios (one run, Chromium through nginx)",
                     "%.0f s" % took)


def _install(agent, deb):
    name = os.path.basename(deb)
    # Each line of what apt printed gets the guest's uptime in front
    # (shell builtins only), so a slow step shows in the log.
    rc, out, err = agent.run(
        "cp /mnt/kvmtest/%s /root/ && cd /root && "
        "{ apt install -y ./%s 2>&1; echo \"apt-exit $?\"; } | "
        "while IFS= read -r l; do read -r up _ </proc/uptime; "
        "echo \"[$up] $l\"; done >/mnt/kvmtest/install.log; "
        "grep -q '] apt-exit 0$' /mnt/kvmtest/install.log" % (name, name),
        900)
    if rc != 0:
        raise CheckFailed("apt install exited %d (its output below)" % rc)
