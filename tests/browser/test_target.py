#!/usr/bin/env python3
"""test_target.py -- appliance_target.py and appliance-target.cjs without a
VM: node, with the preload, makes the calls scenarios.mjs makes on the
demo's state directory; a recording stand-in for the guest agent answers
as the appliance's systemctl and configfs would.  Checks that each call
reaches the right guest command (or the real fs for the report log), that
the answers come back as fs would give them (strings, Buffers, ENOENT),
and that the server refuses what it must: a pid that is no daemon's main
process, a path it has no answer for, an image name that leaves the store.
Exit 77 (SKIP) without node.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import appliance_target  # beside this file: on sys.path as the script's own

HERE = os.path.dirname(os.path.abspath(__file__))


class FakeAgent:
    """Stands in for the guest agent: records each shell command and
    answers the few the Target sends."""

    def __init__(self, hidd_pid, images):
        self.cmds = []
        self.hidd_pid = hidd_pid
        self.images = images

    def run(self, shell, timeout=60):
        self.cmds.append(shell)
        if shell.startswith("systemctl show -p Id,MainPID"):
            return 0, ("Id=kaputtkvm-capd.service\nMainPID=0\n\n"
                       "Id=kaputtkvm-hidd.service\nMainPID=%d\n\n"
                       "Id=kaputtkvm-mediad.service\nMainPID=4243\n"
                       % self.hidd_pid), ""
        if shell.startswith("cat /sys/kernel/config/"):
            return 0, "/var/lib/kaputtkvm/images/test.iso\n", ""
        if shell.startswith("test -e "):
            name = shell.split("/")[-1].rstrip("'")
            return (0 if name in self.images else 1), "", ""
        if shell.startswith("cp "):
            name = shell.split("/")[-1].rstrip("'")
            with open(os.path.join(self.share, "xfer", name), "wb") as f:
                f.write(self.images[name])
            return 0, "", ""
        if "input-find keyboard" in shell:
            return 0, "/dev/input/event3\n", ""
        return 0, "", ""


SCRIPT = r"""
import fs from 'node:fs';
const S = process.env.KVM_STATE;
const out = {};
out.log = fs.readFileSync(S + '/logs/hid-reports.log', 'utf8');
out.pids = JSON.parse(fs.readFileSync(S + '/pids.json', 'utf8'));
out.lun = fs.readFileSync(S + '/media/lun.0/file', 'utf8');
out.exists = fs.existsSync(S + '/media/images/test.iso');
out.missing = fs.existsSync(S + '/media/images/gone.iso');
out.image = [...fs.readFileSync(S + '/media/images/test.iso')];
try { fs.readFileSync(S + '/media/images/gone.iso'); }
catch (e) { out.enoent = e.code; }
try { fs.readFileSync(S + '/media/images/..'); }
catch (e) { out.dots = e.message; }
try { fs.readFileSync(S + '/etc/passwd'); }
catch (e) { out.other = e.message; }
fs.writeFileSync(S + '/hid/leds', Buffer.from([0x05]));
out.kill = process.kill(out.pids.hidd, 'SIGKILL');
try { process.kill(2147483000, 0); } catch (e) { out.unread = e.message; }
out.local = fs.existsSync(process.env.LOCAL_FILE);
console.log(JSON.stringify(out));
"""


def main():
    if shutil.which("node") is None:
        print("SKIP: node is not installed (scripts/packages/browser.txt)")
        return 77
    tmp = tempfile.mkdtemp(prefix="kvm-target-test-")
    failed = []

    def want(what, got, expected):
        if got != expected:
            failed.append("%s: got %r, wanted %r" % (what, got, expected))
    try:
        share = os.path.join(tmp, "share")
        os.makedirs(os.path.join(share, "state", "logs"))
        log = "1.5 hidg0 keyboard: 02 00 0b 00 00 00 00 00\n"
        with open(os.path.join(share, "state", "logs", "hid-reports.log"),
                  "w") as f:
            f.write(log)
        agent = FakeAgent(424242, {"test.iso": b"\x01\x02\xff"})
        agent.share = share
        target = appliance_target.Target(agent, share, tmp)
        script = os.path.join(tmp, "calls.mjs")
        with open(script, "w") as f:
            f.write(SCRIPT)
        env = dict(os.environ, KVM_STATE=os.path.join(share, "state"),
                   KVM_TARGET_SOCK=target.sock_path, LOCAL_FILE=script)
        r = subprocess.run(["node", "--require",
                            os.path.join(HERE, "appliance-target.cjs"),
                            script], env=env, stdout=subprocess.PIPE,
                           text=True, timeout=120)
        target.close()
        if r.returncode != 0:
            print("node exited %d: %s" % (r.returncode, r.stdout))
            return 1
        out = json.loads(r.stdout.strip().splitlines()[-1])
        want("the report log (read from the share itself)", out["log"], log)
        want("pids.json", out["pids"], {"hidd": 424242, "mediad": 4243})
        want("the LUN's file", out["lun"],
             "/var/lib/kaputtkvm/images/test.iso\n")
        want("existsSync of a stored image", out["exists"], True)
        want("existsSync of a missing image", out["missing"], False)
        want("the stored image's bytes", out["image"], [1, 2, 255])
        want("a missing image's error code", out.get("enoent"), "ENOENT")
        want("'..' as an image name refused", "no answer" in
             out.get("dots", "") or "no image name" in out.get("dots", ""),
             True)
        want("a path with no answer refused", "has no answer for read "
             "etc/passwd" in out.get("other", ""), True)
        want("process.kill of hidd's pid", out["kill"], True)
        want("a pid never read from pids.json goes to the real kill",
             "ESRCH" in out.get("unread", "") or
             "EPERM" in out.get("unread", ""), True)
        want("a file outside the state directory", out["local"], True)
        for cmd in ("sh /mnt/kvmtest/guest.sh leds /dev/input/event3 5",
                    "kill -s KILL 424242",
                    "cat /sys/kernel/config/usb_gadget/*/functions/"
                    "mass_storage.*/lun.0/file"):
            want("guest command %r sent" % cmd, cmd in agent.cmds, True)
        # The server alone: a pid that is not a daemon's main process.
        os.makedirs(os.path.join(tmp, "t2"))
        target2 = appliance_target.Target(agent, share,
                                          os.path.join(tmp, "t2"))
        try:
            target2.pids.add(1)
            target2.answer({"op": "kill", "pid": 1, "signal": "SIGKILL"})
            failed.append("kill of pid 1 (no daemon's) was not refused")
        except appliance_target.Refused:
            pass
        finally:
            target2.close()
        want("no kill of pid 1 sent", "kill -s KILL 1" in agent.cmds, False)
        names = appliance_target.scenario_names()
        want("scenarios.mjs's scenarios found", len(names) > 10 and
             "keyboard-type" in names and "power" in names, True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        print("FAIL: " + f)
    if not failed:
        print("ok: every call routed and answered")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
