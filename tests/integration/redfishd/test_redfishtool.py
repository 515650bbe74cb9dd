"""redfishd driven by DMTF's own client, redfishtool (Debian's
redfishtool): Systems get, reset On / ForceOff / PowerCycle (gpiod-ctl's
test backend, a stand-in for the GPIO chip: its last action and the power
button's history), setBootOverride, a PATCH of a read-only property and a
PATCH with a stale ETag (refused, nothing changed), and VirtualMedia
insert and eject with its raw subcommand (this redfishtool has no
VirtualMedia operations): the LUN (mediad's directory stand-in for the
gadget's lun.0) holds the image's bytes when the POST returns.
kvmtest.forward's loopback TCP port stands in for nginx (no TLS, no
authentication: redfishtool -A None)."""

import json
import shutil
import subprocess
import time
import unittest

import kvmtest
from kvmtest.forward import TcpToUnix
from kvmtest.http import request
from test_redfish import led_after_off_hard
from vmstack import IMAGE_SHA, Stack

REDFISHTOOL = shutil.which("redfishtool")
VM = "/redfish/v1/Managers/1/VirtualMedia/0"


@unittest.skipIf(REDFISHTOOL is None, "redfishtool is not installed")
class RedfishtoolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack("hold-ms = 1000\nlockout-ms = 200\n")
        cls.fwd = TcpToUnix(cls.s.d.socket)

    @classmethod
    def tearDownClass(cls):
        cls.fwd.close()
        cls.s.stop()

    def rt(self, *args):
        """redfishtool's exit status and output (plus the HTTP status of
        each request: -s)."""
        p = subprocess.run(
            [REDFISHTOOL, "-r", "127.0.0.1:%d" % self.fwd.port, "-A",
             "None", "-S", "IfSendingCredentials", "-T", "30"] +
            list(args), capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout + p.stderr

    def system(self):
        _, headers, body = request(self.s.d.socket, "GET",
                                   "/redfish/v1/Systems/1")
        return json.loads(body), headers["etag"]

    def led(self, value):
        self.s.led(value)
        deadline = time.monotonic() + 3
        want = "On" if value else "Off"
        while self.system()[0]["PowerState"] != want and \
                time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # past gpiod-ctl's lockout

    def presses_since(self, since):
        return [x for x in self.s.history() if x["t_ms"] > since and
                x["value"] == 1]

    def now_ms(self):
        return self.s.gpiod.ok("GET", "/test/history?line=power-button")[
            "now_ms"]

    def test_systems_get(self):
        self.led(1)
        rc, out = self.rt("Systems", "-1", "get")
        self.assertEqual(rc, 0, out)
        body = json.loads(out)
        self.assertEqual(body["PowerState"], "On")
        self.assertIn("PowerCycle", body["Actions"]["#ComputerSystem.Reset"][
            "ResetType@Redfish.AllowableValues"])
        rc, out = self.rt("Systems", "-1", "-P", "PowerState", "get")
        self.assertEqual((rc, json.loads(out)), (0, {"PowerState": "On"}))

    def test_reset_on_force_off_power_cycle(self):
        self.led(0)
        rc, out = self.rt("Systems", "-1", "reset", "On")
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.s.last_action()["action"], "on")
        self.led(1)
        rc, out = self.rt("Systems", "-1", "reset", "ForceOff")
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.s.last_action()["action"], "off-hard")
        # the LED stayed lit (the stand-in's target did not go off)
        time.sleep(0.3)
        since = self.now_ms()
        watcher = led_after_off_hard(self.s.gpiod, 0)
        rc, out = self.rt("Systems", "-1", "reset", "PowerCycle")
        watcher.join()
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.s.last_action()["action"], "on")
        self.assertEqual(len(self.presses_since(since)), 2)
        # the LED is dark: ForceOff is refused (409) and nothing pressed
        self.led(0)
        since = self.now_ms()
        rc, out = self.rt("Systems", "-1", "reset", "ForceOff")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("409", out)
        self.assertEqual(self.presses_since(since), [])

    def test_boot_override_and_refused_patches(self):
        rc, out = self.rt("Systems", "-1", "setBootOverride", "Once", "Cd")
        self.assertEqual(rc, 0, out)
        boot = self.system()[0]["Boot"]
        self.assertEqual((boot["BootSourceOverrideEnabled"],
                          boot["BootSourceOverrideTarget"]), ("Once", "Cd"))
        before = self.system()
        for args, status in (
                (["Systems", "-1", "patch", '{"PowerState": "Off"}'], "400"),
                # redfishtool reads the allowable values and refuses
                (["Systems", "-1", "setBootOverride", "Once", "Pxe"],
                 "AllowableValues"),
                (["raw", "PATCH", "/redfish/v1/Systems/1", "-d",
                  '{"Boot": {"BootSourceOverrideTarget": "Usb"}}', "-H",
                  '{"If-Match": "W/\\"00000000\\""}'], "412")):
            with self.subTest(args=args):
                rc, out = self.rt(*args)
                self.assertNotEqual(rc, 0, out)
                self.assertIn(status, out)
                self.assertEqual(self.system(), before)

    def test_virtual_media_insert_eject(self):
        url = self.s.url("/img.iso")
        rc, out = self.rt("raw", "POST",
                          VM + "/Actions/VirtualMedia.InsertMedia", "-d",
                          json.dumps({"Image": url}))
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.s.lun_sha256(), IMAGE_SHA)
        rc, out = self.rt("raw", "GET", VM)
        self.assertEqual(rc, 0, out)
        member = json.loads(out)
        self.assertEqual((member["Inserted"], member["Image"]), (True, url))
        # a stale ETag: the PATCH form refuses, the medium stays
        rc, out = self.rt("raw", "PATCH", VM, "-d", '{"Image": null}', "-H",
                          '{"If-Match": "W/\\"00000000\\""}')
        self.assertNotEqual(rc, 0, out)
        self.assertIn("412", out)
        self.assertEqual(self.s.lun_sha256(), IMAGE_SHA)
        rc, out = self.rt("raw", "POST",
                          VM + "/Actions/VirtualMedia.EjectMedia", "-d", "{}")
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.s.lun()[0], "")
        self.assertEqual(self.s.store(), [])
        # a malformed URL: 400, nothing fetched or mounted
        rc, out = self.rt("raw", "POST",
                          VM + "/Actions/VirtualMedia.InsertMedia", "-d",
                          json.dumps({"Image": "http//x"}))
        self.assertNotEqual(rc, 0, out)
        self.assertIn("400", out)
        self.assertEqual((self.s.lun()[0], self.s.store()), ("", []))


if __name__ == "__main__":
    kvmtest.main()
