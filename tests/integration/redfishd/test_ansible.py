"""redfishd driven by ansible's own Redfish modules (Debian's ansible,
collection community.general: redfish_command, redfish_info,
redfish_config), run as `ansible localhost -m ...` the way a playbook's
task runs them: power on, force off, one-time boot to Cd, VirtualMedia
insert and eject from a loopback HTTP server's URL.  Each effect is
checked where it lands: gpiod-ctl's test backend (a stand-in for the GPIO
chip), mediad's directory LUN (a stand-in for the gadget's lun.0), the
SHA-256 of the bytes the LUN holds.  The modules speak only https://, so
kvmtest.forward with a throwaway self-signed certificate stands in for
nginx (no authentication; the modules do not check certificates)."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import kvmtest
from kvmtest.forward import TcpToUnix, self_signed_context
from kvmtest.http import request
from vmstack import IMAGE_SHA, Stack

ANSIBLE = shutil.which("ansible")


@unittest.skipIf(ANSIBLE is None, "ansible is not installed (Debian's "
                 "ansible, with community.general)")
class AnsibleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack("hold-ms = 1000\nlockout-ms = 200\n")
        cls.tmp = tempfile.mkdtemp(prefix="kvmtest-ansible-")
        cls.fwd = TcpToUnix(cls.s.d.socket, self_signed_context(cls.tmp))
        cls.env = dict(
            os.environ, ANSIBLE_HOME=cls.tmp,
            ANSIBLE_LOCAL_TEMP=os.path.join(cls.tmp, "local"),
            ANSIBLE_REMOTE_TEMP=os.path.join(cls.tmp, "remote"),
            ANSIBLE_STDOUT_CALLBACK="json",
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3")
        cls.env.pop("PYTHONPATH", None)  # ansible's modules, not ours

    @classmethod
    def tearDownClass(cls):
        cls.fwd.close()
        cls.s.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def module(self, name, **args):
        """One module run on localhost: its result (changed, failed, msg,
        ...)."""
        args.update(baseuri="127.0.0.1:%d" % self.fwd.port,
                    username="admin", password="admin")
        p = subprocess.run(
            [ANSIBLE, "localhost", "-m", "community.general." + name,
             "-a", json.dumps(args)],
            env=self.env, capture_output=True, text=True, timeout=120)
        try:
            out = json.loads(p.stdout)
        except ValueError:
            self.fail("ansible's output is not JSON (%d): %s %s" % (
                p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
        return out["plays"][0]["tasks"][0]["hosts"]["localhost"]

    def command(self, category, command, **args):
        return self.module("redfish_command", category=category,
                           command=command, **args)

    def power_is(self, want):
        deadline = time.monotonic() + 3
        while True:
            _, _, body = request(self.s.d.socket, "GET",
                                 "/redfish/v1/Systems/1")
            if json.loads(body)["PowerState"] == want or \
                    time.monotonic() > deadline:
                return json.loads(body)["PowerState"]
            time.sleep(0.02)

    def test_1_power_on_and_force_off(self):
        self.s.led(0)
        self.assertEqual(self.power_is("Off"), "Off")
        time.sleep(0.3)  # past gpiod-ctl's lockout
        r = self.command("Systems", "PowerOn")
        self.assertFalse(r.get("failed"), r)
        self.assertTrue(r["changed"])
        self.assertEqual(self.s.last_action()["action"], "on")
        self.s.led(1)
        self.assertEqual(self.power_is("On"), "On")
        # already on: the module sees it and presses nothing
        r = self.command("Systems", "PowerOn")
        self.assertFalse(r["changed"], r)
        time.sleep(0.3)
        r = self.command("Systems", "PowerForceOff")
        self.assertFalse(r.get("failed"), r)
        self.assertEqual(self.s.last_action()["action"], "off-hard")
        self.s.led(0)

    def test_2_one_time_boot_to_cd(self):
        r = self.command("Systems", "SetOneTimeBoot", bootdevice="Cd")
        self.assertFalse(r.get("failed"), r)
        _, _, body = request(self.s.d.socket, "GET", "/redfish/v1/Systems/1")
        boot = json.loads(body)["Boot"]
        self.assertEqual((boot["BootSourceOverrideTarget"],
                          boot["BootSourceOverrideEnabled"]), ("Cd", "Once"))
        # a device the service does not offer: refused, nothing changed
        r = self.command("Systems", "SetOneTimeBoot", bootdevice="Pxe")
        self.assertTrue(r.get("failed"), r)
        self.assertIn("allowable values", r["msg"])
        _, _, body = request(self.s.d.socket, "GET", "/redfish/v1/Systems/1")
        self.assertEqual(json.loads(body)["Boot"]["BootSourceOverrideTarget"],
                         "Cd")

    def test_3_virtual_media_insert_info_eject(self):
        url = self.s.url("/img.iso")
        media = {"image_url": url, "media_types": ["CD", "DVD"]}
        r = self.command("Manager", "VirtualMediaInsert",
                         virtual_media=media)
        self.assertFalse(r.get("failed"), r)
        self.assertTrue(r["changed"])
        # the module returned: the medium is on the LUN already
        self.assertEqual(self.s.lun_sha256(), IMAGE_SHA)
        self.assertEqual(self.s.lun()[1:], ("1", "1"))
        r = self.command("Manager", "VirtualMediaInsert",
                         virtual_media=media)
        self.assertFalse(r["changed"], r)  # "already inserted"
        info = self.module("redfish_info", category="Manager",
                           command="GetVirtualMedia")
        self.assertFalse(info.get("failed"), info)
        entries = info["redfish_facts"]["virtual_media"]["entries"][0][1]
        self.assertEqual(entries[0]["Image"], url)
        self.assertEqual(entries[0]["ImageName"], "redfish-lun0-img.iso")
        self.assertEqual(entries[0]["TransferMethod"], "Upload")
        r = self.command("Manager", "VirtualMediaEject",
                         virtual_media={"image_url": url})
        self.assertFalse(r.get("failed"), r)
        self.assertTrue(r["changed"])
        self.assertEqual(self.s.lun()[0], "")
        self.assertEqual(self.s.store(), [])

    def test_4_virtual_media_refused(self):
        r = self.command("Manager", "VirtualMediaInsert", virtual_media={
            "image_url": "file:///etc/passwd", "media_types": ["CD"]})
        self.assertTrue(r.get("failed"), r)
        self.assertIn("HTTP Error 400", r["msg"])
        self.assertIn("file://", r["msg"])
        r = self.command("Manager", "VirtualMediaInsert", virtual_media={
            "image_url": self.s.url("/nope.iso"), "media_types": ["CD"]})
        self.assertTrue(r.get("failed"), r)
        self.assertIn("404", r["msg"])
        self.assertEqual(self.s.lun()[0], "")
        self.assertEqual(self.s.store(), [])

    def test_5_redfish_config_has_nothing_to_set(self):
        """redfish_config sets BIOS attributes, boot order, NICs, which an
        IP-KVM outside the target does not have: a clear failure, and
        Systems/1 as it was."""
        _, _, before = request(self.s.d.socket, "GET", "/redfish/v1/Systems/1")
        r = self.module("redfish_config", category="Systems",
                        command="SetBootOrder", boot_order=["Cd"])
        self.assertTrue(r.get("failed"), r)
        self.assertIn("BootOrder", r["msg"])
        _, _, after = request(self.s.d.socket, "GET", "/redfish/v1/Systems/1")
        self.assertEqual(json.loads(before)["Boot"], json.loads(after)["Boot"])


if __name__ == "__main__":
    kvmtest.main()
