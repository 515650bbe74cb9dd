#!/usr/bin/env python3
"""appliance_target.py -- the browser scenarios against the booted
appliance (run by the appliance suite, tests/appliance/checks.py, once,
after its other checks and before the purge).

The scenarios (scenarios.mjs, unchanged) drive Debian's Chromium through
the appliance's own nginx on the forwarded loopback port (TLS, basic auth
with the password the install printed).  What they assert on is the demo
stack's state directory ($KVM_STATE): hidd's logged HID reports, the LED
FIFO, mediad's store and LUN files, pids.json.  On the appliance this
module answers the same questions from the target side of the VM:

  - the HID reports: the guest records every report the target's kernel
    receives from the gadget's keyboard and mice (their /dev/hidraw*,
    guest.sh hid-record) into $KVM_STATE/logs/hid-reports.log on the 9p
    share, in the demo's format, so the scenarios read it as they read the
    demo's;
  - the rest through the guest agent, when the scenario asks:
    appliance-target.cjs (node --require) routes the scenarios' fs calls
    under $KVM_STATE and process.kill of the pids it was given to the
    Target server here, one request per call on a UNIX socket:
      pids.json            kaputtkvm-<daemon>.service's MainPIDs
      media/images/NAME    /var/lib/kaputtkvm/images/NAME (copied to the
                           share), and whether it exists
      media/lun.N/FILE     the gadget's mass_storage LUN in configfs
      hid/leds (written)   the target sets its keyboard LEDs (EV_LED on
                           its input device; its kernel sends the output
                           report to the gadget, as a real host does)
      kill PID SIGNAL      kill in the guest, only a daemon's MainPID.

Scenarios that cannot apply are skipped with the reason (SKIP).  Each
scenario is one TAP line of the appliance suite.  `appliance_target.py
--ask SOCK JSON` is the client appliance-target.cjs runs.
"""

import json
import os
import re
import shutil
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Scenarios that assert on something the appliance does not have.
SKIP = {
    "power": "drives the power LED and reads the button through gpiod-ctl's "
             "test backend (/api/gpio/test/*), which the appliance's gpiod "
             "backend on gpio-sim does not have; the appliance's ATX check "
             "presses the real line",
    "ocr": "reads the word FRAME that capd's test pattern draws; the "
           "appliance's picture is vivid's colour bars, which have no text",
    "ocr-touch": "reads the word FRAME that capd's test pattern draws; the "
                 "appliance's picture is vivid's colour bars, which have no "
                 "text",
}
DAEMONS = ["capd", "hidd", "mediad", "gpiod-ctl"]
GUEST = "sh /mnt/kvmtest/guest.sh"
LUN = "/sys/kernel/config/usb_gadget/*/functions/mass_storage.*/lun.%d/%s"


def scenario_names():
    """The scenarios scenarios.mjs defines, in its order."""
    src = open(os.path.join(HERE, "scenarios.mjs")).read()
    return re.findall(r"^scenarios\['([\w-]+)'\] = ", src, re.M)


class Refused(Exception):
    """A request the appliance has no answer for; code: as errno's."""

    def __init__(self, msg, code=None):
        super().__init__(msg)
        self.code = code


class Target:
    """The UNIX socket server appliance-target.cjs asks; answers through
    the guest agent.  run: a host directory of this test (files handed to
    node go there or to the share)."""

    def __init__(self, agent, share, run):
        self.agent, self.share, self.run = agent, share, run
        self.sock_path = os.path.join(run, "target.sock")
        self.xfer = os.path.join(share, "xfer")
        os.makedirs(self.xfer, exist_ok=True)
        self.pids = set()
        self.n = 0
        self.log = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.sock_path)
        self.srv.listen(4)
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self):
        self.srv.close()

    def _serve(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            with c:
                f = c.makefile("rwb")
                try:
                    req = json.loads(f.readline())
                    rep = {"result": self.answer(req)}
                except Refused as e:
                    rep = {"error": str(e), "code": e.code}
                except Exception as e:   # noqa: BLE001 (told to node)
                    rep = {"error": "%s: %s" % (type(e).__name__, e)}
                self.log.append((req.get("op"), req.get("path") or
                                 req.get("pid"), "error" not in rep))
                f.write(json.dumps(rep).encode() + b"\n")
                f.flush()

    def _file(self, data):
        """A host file with these bytes, for node to read."""
        self.n += 1
        p = os.path.join(self.run, "answer-%d" % self.n)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def guest(self, shell, timeout=60):
        rc, out, err = self.agent.run(shell, timeout)
        if rc != 0:
            raise Refused("in the VM, `%s` exited %d: %s" %
                          (shell, rc, (err or out).strip()[-500:]))
        return out

    def main_pids(self):
        out = self.guest("systemctl show -p Id,MainPID " + " ".join(
            "kaputtkvm-%s.service" % d for d in DAEMONS))
        pids = {}
        for block in out.strip().split("\n\n"):
            kv = dict(x.split("=", 1) for x in block.splitlines() if "=" in x)
            name = kv["Id"][len("kaputtkvm-"):-len(".service")]
            if kv.get("MainPID", "0") != "0":
                pids[name] = int(kv["MainPID"])
        return pids

    def answer(self, req):
        op, rel = req.get("op"), req.get("path", "")
        m_img = re.match(r"media/images/([^/]+)$", rel)
        m_lun = re.match(r"media/lun\.(\d+)/(file|cdrom|ro|removable)$", rel)
        if op == "read" and rel == "pids.json":
            pids = self.main_pids()
            self.pids |= set(pids.values())
            return self._file(json.dumps(pids).encode())
        if op in ("read", "exists") and m_img:
            name = m_img.group(1)
            if name.startswith("."):
                raise Refused("no image name: %r" % name)
            src = "/var/lib/kaputtkvm/images/" + name
            rc = self.agent.run("test -e '%s'" % src)[0]
            if op == "exists":
                return rc == 0
            if rc != 0:
                raise Refused("ENOENT: %s is not in the appliance's store" %
                              src, "ENOENT")
            dst = os.path.join(self.xfer, name)
            self.guest("cp '%s' '/mnt/kvmtest/xfer/%s'" % (src, name), 120)
            return dst
        if op == "read" and m_lun:
            out = self.guest("cat " + LUN % (int(m_lun.group(1)),
                                             m_lun.group(2)))
            return self._file(out.encode())
        if op == "write" and rel == "hid/leds":
            data = bytes.fromhex(req.get("hex", ""))
            if not data:
                raise Refused("an LED report of no bytes")
            kbd = self.guest(GUEST + " input-find keyboard 60").strip()
            self.guest("%s leds %s %d" % (GUEST, kbd, data[-1]))
            return len(data)
        if op == "kill":
            pid, sig = int(req.get("pid")), str(req.get("signal"))
            if pid not in self.pids or pid not in self.main_pids().values():
                raise Refused("pid %d is not one of the daemons' main "
                              "processes" % pid)
            if not re.match(r"SIG[A-Z0-9]+$", sig):
                raise Refused("signal %r" % sig)
            self.guest("kill -s %s %d" % (sig[3:], pid))
            return True
        raise Refused("the appliance has no answer for %s %s" % (op, rel))


def ask(sock, req):
    """The client: one request, the answer's JSON line to stdout."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    with s:
        f = s.makefile("rwb")
        f.write(req.encode() + b"\n")
        f.flush()
        sys.stdout.write(f.readline().decode())
    return 0


def prepare(agent, front):
    """The appliance as the scenarios expect a fresh stack: nothing
    mounted, no test.iso in the store (the media scenario uploads one),
    and capd capturing 1280x720 (the demo pattern's size, which the video
    scenario reads back; vivid's webcam input offers it)."""
    from checks import CheckFailed, wait_for
    front.request("POST", "/api/media/eject", {"force": True})
    luns = front.json("GET", "/api/media/state").get("luns") or []
    if any(lun.get("mounted") for lun in luns):
        raise CheckFailed("still mounted after a forced eject: %s" % luns)
    s, _, body = front.request("DELETE", "/api/media/images/test.iso")
    if s not in (200, 204, 404):
        raise CheckFailed("DELETE test.iso: HTTP %d: %s" % (s, body[:300]))
    conf = agent.run("cat /etc/kaputtkvm/kaputtkvm.conf")[1]
    keep, sec = [], None
    for line in conf.splitlines():
        t = line.split("#", 1)[0].strip()
        if t.startswith("["):
            sec = t.strip("[]").strip()
        if sec == "capd" and re.match(r"resolution\s*=", t):
            continue
        keep.append(line)
        if t == "[capd]":
            keep.append("resolution = 1280x720")
    if "[capd]" not in (x.strip() for x in keep):
        keep += ["", "[capd]", "resolution = 1280x720"]
    rc, out, err = agent.run(
        "cat >/etc/kaputtkvm/kaputtkvm.conf <<'EOF'\n%s\nEOF\n"
        "systemctl restart kaputtkvm-capd" % "\n".join(keep), 120)
    if rc != 0:
        raise CheckFailed("capd at 1280x720: %s" % (err or out))

    def hd():
        st = front.json("GET", "/api/video/state")
        return st.get("online") and (st.get("width"), st.get("height")) == \
            (1280, 720)
    wait_for("capd capturing 1280x720", 90, hd)


def boot_id(agent):
    return agent.ok("cat /proc/sys/kernel/random/boot_id").strip()


def same_boot(agent, boot):
    """The VM is its own target: Ctrl+Alt+Del of keyboard-combo and osk
    reach this same kernel, and must not reboot it under the scenarios."""
    from checks import CheckFailed
    now = boot_id(agent)
    if now != boot:
        raise CheckFailed("the VM rebooted during the scenarios (boot id %s, "
                          "then %s): a key the scenarios sent acted on the "
                          "VM itself" % (boot, now))


def run(suite, agent, front, port, st, share, build):
    """The scenarios as TAP lines of the appliance suite; returns the wall
    time of the browser part (None when it could not run)."""
    import run as browser   # tests/browser/run.py
    from checks import CheckFailed
    why = browser.missing_tools()
    names = scenario_names()
    if why:
        for name in names:
            suite.skip("browser: " + name, why)
        return None
    t0 = time.monotonic()

    def npm():
        try:
            browser.npm_ci()
        except SystemExit:
            raise CheckFailed("npm ci failed (its output above)")
    if not suite.check("browser: playwright-core installed", npm):
        return None
    if not suite.check("browser: the appliance as a fresh stack (nothing "
                       "mounted, capd at 1280x720)", prepare, agent, front):
        return None
    state = os.path.join(share, "state")
    os.makedirs(os.path.join(state, "logs"), exist_ok=True)

    def record():
        agent.ok(GUEST + " hid-record /mnt/kvmtest/state/logs/"
                 "hid-reports.log")
    if not suite.check("browser: the target's HID reports recorded "
                       "(/dev/hidraw*)", record):
        return None
    artifacts = os.path.join(build, "tests", "browser", "artifacts",
                             "appliance")
    os.makedirs(artifacts, exist_ok=True)
    runs = os.path.join(share, "..", "browser")
    os.makedirs(runs, exist_ok=True)
    target = Target(agent, share, runs)
    env = browser.scenario_env("https://127.0.0.1:%d/" % port, st.user,
                               st.password, state, artifacts)
    env["KVM_TARGET_SOCK"] = target.sock_path
    # the picture is vivid's, not capd's pattern: 75 % colour bars
    env["KVM_BARS"] = "vivid-75"
    preload = os.path.join(HERE, "appliance-target.cjs")
    boot = boot_id(agent)

    def one(name):
        try:
            r = browser.node_scenario(name, env, preload, timeout=240,
                                      stdout=browser.subprocess.PIPE,
                                      stderr=browser.subprocess.STDOUT,
                                      text=True)
        except browser.subprocess.TimeoutExpired as e:
            raise CheckFailed("still running after %d s: %s" %
                              (e.timeout, (e.output or "")[-2500:]))
        if r.returncode != 0:
            # Which side lost a report: hidd's counters (written, dropped,
            # stalled: the host did not poll within write-timeout-ms).
            try:
                hid = front.json("GET", "/api/hid/state").get("devices")
            except Exception as e:   # noqa: BLE001 (only told)
                hid = "not answered: %s" % e
            raise CheckFailed("%s (exit %d); screenshot %s/%s-failure.png; "
                              "hidd's devices then: %s"
                              % (r.stdout.strip()[-2500:], r.returncode,
                                 artifacts, name, json.dumps(hid)))
    # KAPUTTKVM_APPLIANCE_SCENARIOS=a,b runs only those, skipped ones too
    # (to look into one without the whole pass)
    only = [n for n in os.environ.get("KAPUTTKVM_APPLIANCE_SCENARIOS",
                                      "").split(",") if n]
    try:
        for name in names:
            if only and name not in only:
                suite.skip("browser: " + name, "not asked for "
                           "(KAPUTTKVM_APPLIANCE_SCENARIOS)")
            elif name in SKIP and not only:
                suite.skip("browser: " + name, SKIP[name])
            else:
                suite.check("browser: " + name, one, name)
        suite.check("browser: the keys did not reboot the VM (the same "
                    "boot id after the scenarios)", same_boot, agent, boot)
    finally:
        target.close()
        agent.run(GUEST + " record-stop hid")
        shutil.rmtree(os.path.join(share, "xfer"), ignore_errors=True)
    return time.monotonic() - t0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--ask":
        sys.exit(ask(sys.argv[2], sys.argv[3]))
    print("usage: appliance_target.py --ask SOCK JSON (the client "
          "appliance-target.cjs runs); the scenarios run from the "
          "appliance suite")
    sys.exit(2)
