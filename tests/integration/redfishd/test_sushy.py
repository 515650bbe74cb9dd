"""redfishd driven by sushy (OpenStack Ironic's Redfish library, Debian's
python3-sushy), not by our own client: get_system, the power state from
the power LED of gpiod-ctl's test backend (a stand-in for the GPIO chip),
reset_system pressing the buttons (the backend's history; PowerCycle's
two presses), set_system_boot_options PATCHing Boot with If-Match, and
Ironic's virtual media boot: insert_media from a loopback HTTP server's
URL, the boot override, power on -- with the image on the LUN (mediad's
directory stand-in for the gadget's lun.0) by the time insert_media
returns --, then eject_media.  sushy speaks only http(s)://, so
kvmtest.forward's loopback TCP port stands in for nginx in front of
redfishd's UNIX socket (no TLS, no authentication)."""

import time
import unittest

from kvmtest.sushyclient import sushy  # first: it may exec the system Python
import kvmtest
from kvmtest.forward import TcpToUnix
from test_redfish import led_after_off_hard, start_daemons, stop_daemons
from vmstack import IMAGE_SHA, Stack


@unittest.skipIf(sushy is None, "python3-sushy is not installed")
class SushyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # short holds and lockouts: the test backend, no real machine
        cls.gpiod, cls.d = start_daemons("hold-ms = 1000\nlockout-ms = 200\n")
        cls.fwd = TcpToUnix(cls.d.socket)
        # No password file here: sushy's session login gets a 503 and it
        # falls back to basic auth, which redfishd leaves to nginx (the
        # sessions through nginx: test_nginx.py).
        cls.root = sushy.Sushy(cls.fwd.url + "/redfish/v1",
                               username="admin", password="admin")

    @classmethod
    def tearDownClass(cls):
        cls.fwd.close()
        stop_daemons(cls.d, cls.gpiod)

    def led(self, value):
        self.gpiod.ok("POST", "/test/input", {"line": "power-led",
                                              "value": value})

    def system_after(self, want):
        """The system (fresh from redfishd) once its power state is want."""
        deadline = time.monotonic() + 3
        while True:
            system = self.root.get_system("/redfish/v1/Systems/1")
            if system.power_state == want or time.monotonic() > deadline:
                return system
            time.sleep(0.02)

    def last_action(self):
        return self.gpiod.ok("GET", "/state")["atx"]["last_action"]

    def test_get_system_and_power_state(self):
        self.led(1)
        system = self.system_after(sushy.PowerState.ON)
        self.assertEqual(system.power_state, sushy.PowerState.ON)
        self.assertEqual(system.identity, "1")
        self.led(0)
        self.assertEqual(self.system_after(sushy.PowerState.OFF).power_state,
                         sushy.PowerState.OFF)

    def test_reset_on_and_force_off(self):
        self.led(0)
        system = self.system_after(sushy.PowerState.OFF)
        self.assertIn(sushy.ResetType.ON,
                      system.get_allowed_reset_system_values())
        system.reset_system(sushy.ResetType.ON)
        self.assertEqual(self.last_action()["action"], "on")
        self.led(1)
        system = self.system_after(sushy.PowerState.ON)
        time.sleep(0.3)  # past gpiod-ctl's lockout-ms after an action
        system.reset_system(sushy.ResetType.FORCE_OFF)
        self.assertEqual(self.last_action()["action"], "off-hard")
        self.led(0)

    def test_boot_options(self):
        system = self.root.get_system("/redfish/v1/Systems/1")
        self.assertIn(sushy.BootSource.CD,
                      system.get_allowed_system_boot_source_values())
        system.set_system_boot_options(
            sushy.BootSource.CD, enabled=sushy.BootSourceOverrideEnabled.ONCE)
        system = self.root.get_system("/redfish/v1/Systems/1")
        self.assertEqual(system.boot.target, sushy.BootSource.CD)
        self.assertEqual(system.boot.enabled,
                         sushy.BootSourceOverrideEnabled.ONCE)
        # A target redfishd does not offer is refused by sushy itself.
        with self.assertRaises(sushy.exceptions.InvalidParameterValueError):
            system.set_system_boot_options(sushy.BootSource.PXE)


@unittest.skipIf(sushy is None, "python3-sushy is not installed")
class SushyVirtualMediaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack("hold-ms = 1000\nlockout-ms = 200\n")
        cls.fwd = TcpToUnix(cls.s.d.socket)
        cls.root = sushy.Sushy(cls.fwd.url + "/redfish/v1",
                               username="admin", password="admin")

    @classmethod
    def tearDownClass(cls):
        cls.fwd.close()
        cls.s.stop()

    def drive(self):
        manager = self.root.get_manager("/redfish/v1/Managers/1")
        members = manager.virtual_media.get_members()
        self.assertEqual(len(members), 1)
        return members[0]

    def wait_power(self, want):
        deadline = time.monotonic() + 3
        while self.root.get_system("/redfish/v1/Systems/1").power_state \
                != want and time.monotonic() < deadline:
            time.sleep(0.02)

    def test_virtual_media_boot(self):
        """Ironic's order: insert, boot override, power on at once."""
        self.s.led(0)
        self.wait_power(sushy.PowerState.OFF)
        time.sleep(0.3)  # past gpiod-ctl's lockout
        url = self.s.url("/img.iso")
        drive = self.drive()
        self.assertIn(sushy.VirtualMediaType.CD, drive.media_types)
        self.assertFalse(drive.inserted)
        drive.insert_media(url)
        # no wait: the medium is there when insert_media returns
        self.assertEqual(self.s.lun_sha256(), IMAGE_SHA)
        self.assertEqual(self.s.lun()[1:], ("1", "1"))  # read-only CD
        system = self.root.get_system("/redfish/v1/Systems/1")
        system.set_system_boot_options(
            sushy.BootSource.CD, enabled=sushy.BootSourceOverrideEnabled.ONCE)
        system.reset_system(sushy.ResetType.ON)
        self.assertEqual(self.s.last_action()["action"], "on")
        drive = self.drive()
        self.assertTrue(drive.inserted)
        self.assertEqual(drive.image, url)
        self.assertEqual(drive.connected_via, sushy.ConnectedVia.URI)
        drive.eject_media()
        self.assertEqual(self.s.lun()[0], "")
        self.assertEqual(self.s.store(), [])
        self.assertFalse(self.drive().inserted)

    def test_insert_refused(self):
        drive = self.drive()
        with self.assertRaises(sushy.exceptions.BadRequestError) as cm:
            drive.insert_media("file:///etc/passwd")
        self.assertIn("file://", str(cm.exception))
        with self.assertRaises(sushy.exceptions.HTTPError) as cm:
            drive.insert_media(self.s.url("/nope.iso"))
        self.assertIn("404", str(cm.exception))
        self.assertEqual(self.s.lun()[0], "")
        self.assertEqual(self.s.store(), [])

    def test_power_cycle(self):
        self.s.led(1)
        self.wait_power(sushy.PowerState.ON)
        time.sleep(0.3)
        system = self.root.get_system("/redfish/v1/Systems/1")
        self.assertIn(sushy.ResetType.POWER_CYCLE,
                      system.get_allowed_reset_system_values())
        since = self.s.gpiod.ok("GET", "/test/history?line=power-button")[
            "now_ms"]
        watcher = led_after_off_hard(self.s.gpiod, 0)
        system.reset_system(sushy.ResetType.POWER_CYCLE)
        watcher.join()
        self.assertEqual(self.s.last_action()["action"], "on")
        presses = [x for x in self.s.history() if x["t_ms"] > since and
                   x["value"] == 1]
        self.assertEqual(len(presses), 2)


if __name__ == "__main__":
    kvmtest.main()
