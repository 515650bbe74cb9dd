"""redfishd: the Redfish resources served so far (service root, $metadata,
OData service document, Systems, Managers, Chassis), Redfish's error format,
404 and 405 with Allow, weak ETags that match @odata.etag, and PowerState
from the power LED of gpiod-ctl's test backend (a stand-in for the GPIO
chip: the LED's level is set through its /test/input)."""

import json
import os
import threading
import time
import unittest
import xml.etree.ElementTree as ET

import kvmtest
from kvmtest.http import request

ROOT = "/redfish/v1"
RESOURCES = {
    ROOT: "#ServiceRoot.",
    ROOT + "/Systems": "#ComputerSystemCollection.",
    ROOT + "/Systems/1": "#ComputerSystem.",
    ROOT + "/Managers": "#ManagerCollection.",
    ROOT + "/Managers/1": "#Manager.",
    ROOT + "/Chassis": "#ChassisCollection.",
    ROOT + "/Chassis/1": "#Chassis.",
}


# Every POST and PATCH says it is JSON (redfishd refuses others: 415).
JSON = {"Content-Type": "application/json"}

GPIOD_CONFIG = """[gpiod-ctl]
backend = test
power-button = gpiochip0:0
reset-button = gpiochip0:1
power-led = gpiochip0:2
"""


def start_daemons(gpiod_options="", redfishd_args=()):
    """gpiod-ctl on its test backend (more options in gpiod_options) and
    redfishd on it; stop_daemons() ends them."""
    gpiod = kvmtest.Daemon("gpiod-ctl",
                           config=GPIOD_CONFIG + gpiod_options).start()
    return gpiod, kvmtest.Daemon("redfishd", args=[
        "--gpiod-socket", gpiod.socket] + list(redfishd_args)).start()


def led_after_off_hard(gpiod, value, timeout=10):
    """Sets the power LED to value once gpiod-ctl has pressed the power
    button after now and its last ATX action is an off-hard that has
    ended: a target that went off (a thread, for a PowerCycle running
    meanwhile)."""
    since = gpiod.ok("GET", "/test/history?line=power-button")["now_ms"]

    def watch():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = gpiod.ok("GET", "/state")["atx"]["last_action"]
            pressed = [x for x in gpiod.ok(
                "GET", "/test/history?line=power-button")["samples"]
                if x["t_ms"] > since]
            if last and last["action"] == "off-hard" and \
                    last["result"] == "done" and pressed:
                gpiod.ok("POST", "/test/input", {"line": "power-led",
                                                 "value": value})
                return
            time.sleep(0.02)
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def stop_daemons(*daemons):
    for d in daemons:
        d.stop()
        d.cleanup()


class RedfishTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gpiod, cls.d = start_daemons()

    @classmethod
    def tearDownClass(cls):
        stop_daemons(cls.d, cls.gpiod)

    def power_state_after(self, led):
        """PowerState once gpiod-ctl has seen the LED at led (0/1)."""
        self.gpiod.ok("POST", "/test/input", {"line": "power-led",
                                              "value": led})
        want = "On" if led else "Off"
        deadline = time.monotonic() + 3
        while True:
            got = self.get(ROOT + "/Systems/1")[2]["PowerState"]
            if got == want or time.monotonic() > deadline:
                return got
            time.sleep(0.02)

    def test_power_state_from_led(self):
        self.assertEqual(self.power_state_after(1), "On")
        self.assertEqual(self.power_state_after(0), "Off")
        self.assertEqual(self.power_state_after(1), "On")

    def reset(self, body):
        return request(self.d.socket, "POST",
                       ROOT + "/Systems/1/Actions/ComputerSystem.Reset",
                       body, JSON)

    def presses(self):
        """Samples of the power button's line in gpiod-ctl's history."""
        return len(self.gpiod.ok(
            "GET", "/test/history?line=power-button")["samples"])

    def test_reset_allowable_values(self):
        action = self.get(ROOT + "/Systems/1")[2]["Actions"][
            "#ComputerSystem.Reset"]
        self.assertEqual(action["target"],
                         ROOT + "/Systems/1/Actions/ComputerSystem.Reset")
        self.assertEqual(action["ResetType@Redfish.AllowableValues"],
                         ["On", "ForceOff", "GracefulShutdown",
                          "ForceRestart", "PowerCycle", "PushPowerButton"])

    def test_reset_on_presses_power(self):
        self.assertEqual(self.power_state_after(0), "Off")
        before = self.presses()
        status, _, body = self.reset({"ResetType": "On"})
        self.assertEqual(status, 204, body)
        self.assertGreater(self.presses(), before)
        last = self.gpiod.ok("GET", "/state")["atx"]["last_action"]
        self.assertEqual(last["action"], "on")

    def test_reset_refused_by_led(self):
        """ForceOff while the LED is off: gpiod-ctl refuses, nothing
        pressed, 409 with gpiod-ctl's reason in the Redfish error."""
        self.assertEqual(self.power_state_after(0), "Off")
        time.sleep(0.7)  # past gpiod-ctl's lockout after a press
        before = self.presses()
        status, _, body = self.reset({"ResetType": "ForceOff"})
        self.assertEqual(status, 409, body)
        self.assert_redfish_error(json.loads(body), "GeneralError")
        self.assertEqual(self.presses(), before)

    def test_reset_bad_input(self):
        before = self.presses()
        for body, message_id in (
                ({"ResetType": "Explode"}, "PropertyValueNotInList"),
                ({"ResetType": 3}, "ActionParameterMissing"),
                ({}, "ActionParameterMissing"),
                ("not json", "MalformedJSON"),
                ("[1]", "MalformedJSON")):
            with self.subTest(body=body):
                status, _, reply = self.reset(body)
                self.assertEqual(status, 400)
                self.assert_redfish_error(json.loads(reply), message_id)
        self.assertEqual(self.presses(), before)

    def test_power_state_unknown_without_gpiod(self):
        """gpiod-ctl not there: PowerState null, the resource still 200."""
        with kvmtest.Daemon("redfishd", args=[
                "--gpiod-socket",
                os.path.join(self.d.tmp, "nobody.sock")]) as d:
            status, _, body = request(d.socket, "GET", ROOT + "/Systems/1")
            self.assertEqual(status, 200)
            self.assertIsNone(json.loads(body)["PowerState"])

    def get(self, path, method="GET"):
        status, headers, body = request(self.d.socket, method, path,
                                        headers=JSON)
        return status, headers, json.loads(body) if body else None

    def assert_redfish_error(self, body, message_id):
        err = body["error"]
        self.assertEqual(err["code"], "Base.1.8." + message_id)
        info = err["@Message.ExtendedInfo"]
        self.assertEqual(info[0]["MessageId"], "Base.1.8." + message_id)
        self.assertTrue(info[0]["Message"])

    def test_resources(self):
        for path, odata_type in RESOURCES.items():
            with self.subTest(path=path):
                status, headers, body = self.get(path)
                self.assertEqual(status, 200)
                self.assertEqual(body["@odata.id"], path)
                self.assertTrue(body["@odata.type"].startswith(odata_type))
                self.assertEqual(headers["etag"], body["@odata.etag"])
                self.assertTrue(headers["etag"].startswith('W/"'))
                self.assertEqual(headers["odata-version"], "4.0")

    def test_members_resolve(self):
        """Every link in a collection or in Links is served."""
        for coll in ("/Systems", "/Managers", "/Chassis"):
            _, _, body = self.get(ROOT + coll)
            self.assertEqual(body["Members@odata.count"],
                             len(body["Members"]))
            for m in body["Members"]:
                self.assertEqual(self.get(m["@odata.id"])[0], 200)
        _, _, system = self.get(ROOT + "/Systems/1")
        self.assertEqual(system["Links"]["ManagedBy"],
                         [{"@odata.id": ROOT + "/Managers/1"}])

    def test_trailing_slash_and_version_root(self):
        self.assertEqual(self.get(ROOT + "/")[2]["@odata.id"], ROOT)
        self.assertEqual(self.get("/redfish")[2]["v1"], ROOT + "/")

    def test_odata_service_document(self):
        status, _, body = self.get(ROOT + "/odata")
        self.assertEqual(status, 200)
        urls = [v["url"] for v in body["value"]]
        self.assertIn(ROOT + "/Systems", urls)

    def test_metadata(self):
        """$metadata is CSDL XML that declares every @odata.type served."""
        status, headers, body = request(self.d.socket, "GET",
                                        ROOT + "/$metadata")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/xml"))
        edmx = "{http://docs.oasis-open.org/odata/ns/edmx}"
        doc = ET.fromstring(body)
        self.assertEqual(doc.tag, edmx + "Edmx")
        declared = {i.get("Namespace")
                    for i in doc.iter(edmx + "Include")}
        for path in RESOURCES:
            odata_type = self.get(path)[2]["@odata.type"]
            ns = odata_type[1:].rsplit(".", 1)[0]
            self.assertIn(ns, declared, path)

    def test_not_found(self):
        for path in (ROOT + "/Systems/2", ROOT + "/Nope", "/redfish/v2"):
            status, _, body = self.get(path)
            self.assertEqual(status, 404, path)
            self.assert_redfish_error(body, "ResourceMissingAtURI")

    def test_method_not_allowed(self):
        for method in ("POST", "DELETE", "PUT"):
            status, headers, body = self.get(ROOT + "/Systems/1", method)
            self.assertEqual(status, 405, method)
            self.assertEqual(headers["allow"], "GET, HEAD, PATCH")
            self.assert_redfish_error(body, "GeneralError")
        status, headers, _ = self.get(ROOT + "/Managers/1", "PATCH")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")

    def patch(self, body, etag=None):
        headers = dict(JSON, **{"If-Match": etag} if etag else {})
        status, headers, reply = request(self.d.socket, "PATCH",
                                         ROOT + "/Systems/1", body, headers)
        return status, headers, json.loads(reply) if reply else None

    def boot(self):
        """Systems/1's Boot and ETag."""
        _, headers, body = self.get(ROOT + "/Systems/1")
        return body["Boot"], headers["etag"]

    def test_boot_allowable_values(self):
        boot = self.boot()[0]
        self.assertEqual(
            boot["BootSourceOverrideTarget@Redfish.AllowableValues"],
            ["None", "Cd", "Usb"])
        self.assertEqual(
            boot["BootSourceOverrideEnabled@Redfish.AllowableValues"],
            ["Disabled", "Once", "Continuous"])
        self.assertIn(boot["BootSourceOverrideMode"], ("UEFI", "Legacy"))

    def test_patch_boot(self):
        """A good PATCH with the resource's ETag: 200, the resource with
        the change, a new ETag that a GET then gives too."""
        for target, enabled in (("Cd", "Once"), ("Usb", "Continuous"),
                                ("None", "Disabled")):
            with self.subTest(target=target):
                _, etag = self.boot()
                status, headers, body = self.patch(
                    {"Boot": {"BootSourceOverrideTarget": target,
                              "BootSourceOverrideEnabled": enabled}}, etag)
                self.assertEqual(status, 200, body)
                self.assertEqual(body["Boot"]["BootSourceOverrideTarget"],
                                 target)
                self.assertNotEqual(headers["etag"], etag)
                self.assertEqual(headers["etag"], body["@odata.etag"])
                boot, now = self.boot()
                self.assertEqual(now, headers["etag"])
                self.assertEqual(boot["BootSourceOverrideEnabled"], enabled)

    def test_patch_without_if_match_and_star(self):
        for etag in (None, "*"):
            status, _, body = self.patch(
                {"Boot": {"BootSourceOverrideMode": "Legacy"}}, etag)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["Boot"]["BootSourceOverrideMode"],
                             "Legacy")
            self.patch({"Boot": {"BootSourceOverrideMode": "UEFI"}})

    def test_patch_refused_changes_nothing(self):
        before, etag = self.boot()
        change = {"BootSourceOverrideTarget": "Usb"}
        for body, message_id, status, tag in (
                ({"Boot": change}, "PreconditionFailed", 412,
                 'W/"00000000"'),
                ({"Boot": dict(change, **{
                    "BootSourceOverrideTarget@Redfish.AllowableValues":
                        ["Pxe"]})}, "PropertyNotWritable", 400, etag),
                ({"Boot": change, "PowerState": "Off"},
                 "PropertyNotWritable", 400, etag),
                ({"Boot": {"BootSourceOverrideTarget": "Pxe"}},
                 "PropertyValueNotInList", 400, etag),
                ({"Boot": {"BootSourceOverrideEnabled": 1}},
                 "PropertyValueTypeError", 400, etag),
                ({"Boot": dict(change, Colour="red")}, "PropertyUnknown",
                 400, etag),
                ({"Boot": change, "Colour": "red"}, "PropertyUnknown",
                 400, etag),
                ({"Boot": "Usb"}, "PropertyValueTypeError", 400, etag),
                ('{"Boot": {', "MalformedJSON", 400, etag),
                ("[1]", "MalformedJSON", 400, etag)):
            with self.subTest(body=body):
                got, headers, reply = self.patch(body, tag)
                self.assertEqual(got, status, reply)
                self.assert_redfish_error(reply, message_id)
                self.assertNotIn("etag", headers)
                self.assertEqual(self.boot(), (before, etag))


class PowerCycleTest(unittest.TestCase):
    """PowerCycle: off-hard, the LED dark, then on (gpiod-ctl's history
    and last action); an LED that stays lit stops it before on."""

    @classmethod
    def setUpClass(cls):
        cls.gpiod, cls.d = start_daemons(
            "hold-ms = 1000\nlockout-ms = 200\n",
            ["--power-cycle-wait", "1500"])

    @classmethod
    def tearDownClass(cls):
        stop_daemons(cls.d, cls.gpiod)

    def led(self, value):
        self.gpiod.ok("POST", "/test/input", {"line": "power-led",
                                              "value": value})
        time.sleep(0.3)  # seen by gpiod-ctl, past its lockout

    def cycle(self):
        status, _, body = request(
            self.d.socket, "POST",
            ROOT + "/Systems/1/Actions/ComputerSystem.Reset",
            {"ResetType": "PowerCycle"}, timeout=30)
        return status, json.loads(body) if body else None

    def actions(self, since):
        """The ATX actions pressed since the history's time since."""
        samples = self.gpiod.ok(
            "GET", "/test/history?line=power-button")["samples"]
        return [s for s in samples if s["t_ms"] > since]

    def now_ms(self):
        return self.gpiod.ok("GET", "/test/history?line=power-button")[
            "now_ms"]

    def test_power_cycle(self):
        self.led(1)
        since = self.now_ms()
        watcher = led_after_off_hard(self.gpiod, 0)
        started = time.monotonic()
        status, body = self.cycle()
        watcher.join()
        self.assertEqual(status, 204, body)
        self.assertEqual(self.gpiod.ok("GET", "/state")["atx"][
            "last_action"]["action"], "on")
        # two presses: the held one (about hold-ms) and the short one
        presses = [s for s in self.actions(since) if s["value"] == 1]
        self.assertEqual(len(presses), 2, self.actions(since))
        self.assertGreater(time.monotonic() - started, 1.0)

    def test_led_stays_lit(self):
        self.led(1)
        since = self.now_ms()
        status, body = self.cycle()
        self.assertEqual(status, 504, body)
        self.assertEqual(body["error"]["code"], "Base.1.8.GeneralError")
        self.assertIn("did not go dark", body["error"]["message"])
        last = self.gpiod.ok("GET", "/state")["atx"]["last_action"]
        self.assertEqual(last["action"], "off-hard")
        presses = [s for s in self.actions(since) if s["value"] == 1]
        self.assertEqual(len(presses), 1)

    def test_off_refused(self):
        """The LED dark already: gpiod-ctl refuses the forced off (409)
        and nothing is pressed."""
        self.led(0)
        since = self.now_ms()
        status, body = self.cycle()
        self.assertEqual(status, 409, body)
        self.assertIn("off", body["error"]["message"])
        self.assertEqual(self.actions(since), [])


if __name__ == "__main__":
    kvmtest.main()
