"""redfishd's VirtualMedia with our own HTTP client, on the hardware-free
stack (vmstack: gpiod-ctl's test backend, mediad on a directory LUN -- a
stand-in for the gadget's configfs lun.0 --, fetchd, a loopback HTTP
server).  Each insert is checked where it lands: the LUN's file, ro and
cdrom, the store, the SHA-256 of the bytes the LUN holds; each refused
request changes none of them."""

import json
import os
import threading
import time
import unittest

import kvmtest
from kvmtest.http import request
from vmstack import (AUTH_PASSWORD, AUTH_USER, IMAGE, IMAGE_SHA,
                     ImageHandler, Stack)

VM = "/redfish/v1/Managers/1/VirtualMedia"
MEMBER = VM + "/0"
INSERT = MEMBER + "/Actions/VirtualMedia.InsertMedia"
EJECT = MEMBER + "/Actions/VirtualMedia.EjectMedia"


class VirtualMediaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def tearDown(self):
        request(self.s.d.socket, "POST", EJECT, {})
        self.s.mediad.reset_lun()

    def call(self, method, path, body=None, headers=None):
        """A request as Redfish clients send it: a POST or PATCH with a
        JSON body ({} when none is given) and its Content-Type."""
        if method in ("POST", "PATCH"):
            headers = dict(headers or {}, **{
                "Content-Type": "application/json"})
            if body is None:
                body = {}
        status, hdrs, reply = request(self.s.d.socket, method, path, body,
                                      headers, timeout=30)
        return status, hdrs, json.loads(reply) if reply else None

    def member(self):
        status, headers, body = self.call("GET", MEMBER)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["etag"], body["@odata.etag"])
        return body, headers["etag"]

    def insert(self, body):
        return self.call("POST", INSERT, body)

    def assert_redfish_error(self, body, message_id, text=None):
        err = body["error"]
        self.assertEqual(err["code"], "Base.1.8." + message_id, body)
        info = err["@Message.ExtendedInfo"][0]
        self.assertEqual(info["MessageId"], err["code"])
        self.assertTrue(info["Resolution"])
        if text is not None:
            self.assertIn(text, err["message"])

    def assert_inserted(self, url, cdrom=True):
        file, ro, cd = self.s.lun()
        self.assertTrue(file.endswith("/redfish-lun0-" + url.rsplit(
            "/", 1)[1]), file)
        self.assertEqual((ro, cd), ("1", "1") if cdrom else ("0", "0"))
        self.assertEqual(self.s.lun_sha256(), IMAGE_SHA)
        body, _ = self.member()
        self.assertEqual((body["Inserted"], body["Image"],
                          body["ConnectedVia"], body["TransferMethod"]),
                         (True, url, "URI", "Upload"))
        self.assertEqual(body["ImageName"], file.rsplit("/", 1)[1])
        self.assertEqual(body["WriteProtected"], cdrom)

    def assert_untouched(self):
        """Nothing mounted, nothing in the store, the member empty."""
        time.sleep(0.1)  # mediad drops an aborted upload on its loop
        self.assertEqual(self.s.lun()[0], "")  # ro, cdrom stay as they were
        self.assertEqual(self.s.store(), [])
        body, _ = self.member()
        self.assertEqual((body["Inserted"], body["Image"],
                          body["ImageName"], body["ConnectedVia"]),
                         (False, None, None, "NotConnected"))

    def test_collection_and_links(self):
        status, _, manager = self.call("GET", "/redfish/v1/Managers/1")
        self.assertEqual(manager["VirtualMedia"], {"@odata.id": VM})
        status, headers, coll = self.call("GET", VM)
        self.assertEqual(status, 200)
        self.assertTrue(coll["@odata.type"].startswith(
            "#VirtualMediaCollection."))
        self.assertEqual(coll["Members"], [{"@odata.id": MEMBER}])
        self.assertEqual(coll["Members@odata.count"], 1)
        body, _ = self.member()
        self.assertTrue(body["@odata.type"].startswith("#VirtualMedia."))
        self.assertEqual(body["MediaTypes"], ["CD", "DVD", "USBStick"])
        self.assertEqual(body["Actions"]["#VirtualMedia.InsertMedia"][
            "target"], INSERT)
        self.assertEqual(body["Actions"]["#VirtualMedia.EjectMedia"][
            "target"], EJECT)
        self.assertIsNone(body["Password"])
        # $metadata declares the two new types
        status, _, xml = request(self.s.d.socket, "GET",
                                 "/redfish/v1/$metadata")
        for ns in (b'"VirtualMedia.v1_5_0"', b'"VirtualMediaCollection"'):
            self.assertIn(ns, xml)
        # a LUN mediad does not have
        for path in (VM + "/1", VM + "/01", VM + "/x", VM + "/1" + INSERT[
                len(MEMBER):]):
            status, _, body = self.call("GET" if "Actions" not in path
                                        else "POST", path)
            self.assertEqual(status, 404, path)
            self.assert_redfish_error(body, "ResourceMissingAtURI")
        status, headers, _ = self.call("DELETE", MEMBER)
        self.assertEqual((status, headers["allow"]),
                         (405, "GET, HEAD, PATCH"))

    def test_insert_cd_and_eject(self):
        url = self.s.url("/img.iso")
        started = time.monotonic()
        status, _, body = self.insert({"Image": url})
        took = time.monotonic() - started
        self.assertEqual(status, 204, body)
        # the reply came when the medium was in: a boot may follow at once
        self.assert_inserted(url)
        self.assertEqual(self.member()[0]["TransferProtocolType"], "HTTP")
        print("InsertMedia of %d bytes: %.3f s" % (len(IMAGE), took))
        status, _, body = self.call("POST", EJECT)
        self.assertEqual(status, 204, body)
        self.assert_untouched()
        # ejecting an empty drive changes nothing and is no error
        self.assertEqual(self.call("POST", EJECT, {})[0], 204)
        self.assert_untouched()

    def test_insert_usb_stick_writable(self):
        url = self.s.url("/img2.iso")
        status, _, body = self.insert({
            "Image": url, "WriteProtected": False, "Inserted": True,
            "TransferProtocolType": "HTTP", "TransferMethod": "Upload"})
        self.assertEqual(status, 204, body)
        self.assert_inserted(url, cdrom=False)

    def test_basic_auth(self):
        url = self.s.url("/private/img.iso")
        ImageHandler.auth_seen = []
        status, _, body = self.insert({"Image": url})
        self.assertEqual(status, 502, body)
        self.assert_redfish_error(body, "GeneralError", "401")
        self.assert_untouched()
        status, _, body = self.insert({
            "Image": url, "UserName": AUTH_USER, "Password": AUTH_PASSWORD})
        self.assertEqual(status, 204, body)
        self.assert_inserted(url)
        self.assertEqual(self.member()[0]["UserName"], AUTH_USER)
        self.assertIsNotNone(ImageHandler.auth_seen[-1])
        # the password is shown nowhere
        _, _, raw = request(self.s.d.socket, "GET", MEMBER)
        self.assertNotIn(AUTH_PASSWORD.encode(), raw)
        self.assertNotIn(AUTH_PASSWORD, self.s.d.log())

    def test_patch_form(self):
        url = self.s.url("/img.iso")
        _, etag = self.member()
        status, _, body = self.call(
            "PATCH", MEMBER, {"Image": url, "Inserted": True,
                              "WriteProtected": True}, {"If-Match": etag})
        self.assertEqual(status, 204, body)
        self.assert_inserted(url)
        # an ETag read before the insert is stale now
        status, _, body = self.call("PATCH", MEMBER, {
            "Image": None, "Inserted": False}, {"If-Match": etag})
        self.assertEqual(status, 412, body)
        self.assert_redfish_error(body, "PreconditionFailed")
        self.assert_inserted(url)
        status, _, body = self.call("PATCH", MEMBER, {
            "Image": None, "Inserted": False},
            {"If-Match": self.member()[1]})
        self.assertEqual(status, 204, body)
        self.assert_untouched()

    def test_refused_changes_nothing(self):
        url = self.s.url("/img.iso")
        for method, path, body, status, message_id, text in (
                ("POST", INSERT, {"Image": "file:///etc/passwd"}, 400,
                 "ActionParameterValueFormatError", "file://"),
                ("POST", INSERT, {"Image": "not a url"}, 400,
                 "ActionParameterValueFormatError", "not a URL"),
                ("POST", INSERT, {"Image": "http://"}, 400,
                 "ActionParameterValueFormatError", None),
                ("POST", INSERT, {"Image": self.s.url("/nope.iso")}, 502,
                 "GeneralError", "404"),
                ("POST", INSERT, {"Image": self.s.url("/tiny.iso")}, 400,
                 "PropertyValueConflict", "too small for CD"),
                ("POST", INSERT, {"Image": "https://127.0.0.1:1/a.iso"},
                 502, "GeneralError", "127.0.0.1:1"),
                ("POST", INSERT, {}, 400, "ActionParameterMissing",
                 "Image"),
                ("POST", INSERT, "{", 400, "MalformedJSON", None),
                ("POST", INSERT, {"Image": url, "Colour": "red"}, 400,
                 "ActionParameterUnknown", "Colour"),
                ("POST", INSERT, {"Image": 7}, 400,
                 "ActionParameterValueTypeError", "Image"),
                ("POST", INSERT, {"Image": url, "TransferMethod": "Stream"},
                 400, "ActionParameterValueNotInList", "Upload"),
                ("POST", INSERT, {"Image": url,
                                  "TransferProtocolType": "NFS"}, 400,
                 "ActionParameterValueNotInList", None),
                ("POST", INSERT, {"Image": url,
                                  "TransferProtocolType": "HTTPS"}, 400,
                 "ActionParameterValueConflict", "scheme"),
                ("POST", INSERT, {"Image": url, "MediaType": "CD",
                                  "WriteProtected": False}, 400,
                 "ActionParameterValueConflict", "read-only"),
                ("POST", INSERT, {"Image": url, "Inserted": False}, 400,
                 "ActionParameterNotSupported", None),
                ("POST", EJECT, {"Force": True}, 400,
                 "ActionParameterUnknown", None),
                ("PATCH", MEMBER, {"ImageName": "x.iso"}, 400,
                 "PropertyNotWritable", "ImageName"),
                ("PATCH", MEMBER, {"Image": url, "MediaTypes": ["CD"]},
                 400, "PropertyNotWritable", "MediaTypes"),
                ("PATCH", MEMBER, {"Image": url, "Inserted": False}, 400,
                 "PropertyValueConflict", None),
                ("PATCH", MEMBER, {"WriteProtected": False}, 400,
                 "PropertyMissing", "Image"),
                ("PATCH", MEMBER, {"Image": url, "Speed": 1}, 400,
                 "PropertyUnknown", "Speed")):
            with self.subTest(body=body):
                got, _, reply = self.call(method, path, body)
                self.assertEqual(got, status, reply)
                self.assert_redfish_error(reply, message_id, text)
                self.assert_untouched()

    def test_insert_into_full_drive_refused(self):
        url = self.s.url("/img.iso")
        self.assertEqual(self.insert({"Image": url})[0], 204)
        before = (self.s.lun(), self.s.store())
        status, _, body = self.insert({"Image": self.s.url("/img2.iso")})
        self.assertEqual(status, 409, body)
        self.assert_redfish_error(body, "ResourceInUse", "eject it first")
        self.assertEqual((self.s.lun(), self.s.store()), before)

    def test_loop_not_blocked_and_one_insert_at_a_time(self):
        """While a slow image arrives, other requests are answered at
        once, and a second insert into the drive is refused."""
        result = {}

        def slow():
            result["insert"] = self.insert({"Image": self.s.url(
                "/slow.iso")})
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.3)
        started = time.monotonic()
        status, _, _ = self.call("GET", "/redfish/v1/Systems/1")
        self.assertEqual(status, 200)
        self.assertLess(time.monotonic() - started, 0.5)
        status, _, body = self.insert({"Image": self.s.url("/img.iso")})
        self.assertEqual(status, 409, body)
        self.assert_redfish_error(body, "ResourceInUse", "still running")
        t.join(30)
        self.assertEqual(result["insert"][0], 204, result)
        self.assert_inserted(self.s.url("/slow.iso"))

    def test_insert_timeout(self):
        """An image that does not arrive in --insert-timeout: 504, the
        fetch cancelled, nothing kept."""
        with kvmtest.Daemon("redfishd", [
                "--gpiod-socket", self.s.gpiod.socket,
                "--mediad-socket", self.s.mediad.socket,
                "--fetchd-socket", self.s.fetchd.socket,
                "--insert-timeout", "1"]) as d:
            status, _, reply = request(d.socket, "POST", INSERT, {
                "Image": self.s.url("/slow.iso")}, timeout=30)
            self.assertEqual(status, 504, reply)
            self.assert_redfish_error(json.loads(reply), "GeneralError",
                                      "insert-timeout")
            self.assert_untouched()
            fetches = self.s.fetchd.ok("GET", "/state")["fetches"]
            self.assertEqual(fetches[-1]["state"], "cancelled")

    def test_image_mounted_elsewhere(self):
        """An image the web page mounted (through mediad): shown with its
        name, no URL; ejected through Redfish, it stays in the store."""
        with open(os.path.join(self.s.mediad.images, "web.iso"), "wb") as f:
            f.write(IMAGE)
        self.s.mediad.ok("POST", "/mount", {"image": "web.iso"})
        body, _ = self.member()
        self.assertEqual((body["Inserted"], body["ImageName"], body["Image"],
                          body["ConnectedVia"]),
                         (True, "web.iso", None, "Applet"))
        status, _, body = self.insert({"Image": self.s.url("/img.iso")})
        self.assertEqual(status, 409, body)
        self.assertEqual(self.call("POST", EJECT)[0], 204)
        self.assertEqual(self.s.lun()[0], "")
        self.assertEqual(self.s.store(), ["web.iso"])
        os.unlink(os.path.join(self.s.mediad.images, "web.iso"))

    def test_restarted_redfishd_recalls_the_url(self):
        """A redfishd that did not insert the medium (restarted since)
        finds its URL in fetchd's /state: Image and ConnectedVia as
        before, so that a client ejects it by URL (ansible does)."""
        url = self.s.url("/img.iso")
        self.assertEqual(self.insert({"Image": url})[0], 204)
        with kvmtest.Daemon("redfishd", [
                "--gpiod-socket", self.s.gpiod.socket,
                "--mediad-socket", self.s.mediad.socket,
                "--fetchd-socket", self.s.fetchd.socket]) as d:
            status, _, body = request(d.socket, "GET", MEMBER)
            body = json.loads(body)
            self.assertEqual((body["Image"], body["ConnectedVia"],
                              body["TransferProtocolType"]),
                             (url, "URI", "HTTP"))
            status, _, _ = request(d.socket, "POST", EJECT, {})
            self.assertEqual(status, 204)
        self.assert_untouched()

    def test_without_fetchd(self):
        with kvmtest.Daemon("redfishd", [
                "--mediad-socket", self.s.mediad.socket,
                "--fetchd-socket", "/nonexistent/fetchd.sock"]) as d:
            status, _, reply = request(d.socket, "POST", INSERT, {
                "Image": self.s.url("/img.iso")})
            self.assertEqual(status, 503, reply)
            self.assert_redfish_error(json.loads(reply), "GeneralError",
                                      "fetchd does not answer")
            self.assert_untouched()

    def test_without_mediad(self):
        with kvmtest.Daemon("redfishd", [
                "--mediad-socket", "/nonexistent/mediad.sock"]) as d:
            for method, path in (("GET", VM), ("GET", MEMBER),
                                 ("POST", INSERT)):
                status, _, reply = request(d.socket, method, path,
                                           {"Image": "http://h/a.iso"})
                self.assertEqual(status, 503, reply)
                self.assert_redfish_error(json.loads(reply), "GeneralError",
                                          "mediad")


class TwoDrivesTest(unittest.TestCase):
    """mediad with two LUNs: two members, a CD in one and a writable USB
    stick in the other, each on its own LUN."""

    @classmethod
    def setUpClass(cls):
        cls.s = Stack(luns=2)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_cd_and_usb_stick(self):
        _, _, body = request(self.s.d.socket, "GET", VM)
        self.assertEqual([m["@odata.id"] for m in json.loads(body)[
            "Members"]], [VM + "/0", VM + "/1"])
        for n, extra in ((0, {}), (1, {"MediaType": "USBStick",
                                       "WriteProtected": False})):
            status, _, reply = request(
                self.s.d.socket, "POST",
                "%s/%d/Actions/VirtualMedia.InsertMedia" % (VM, n),
                dict(Image=self.s.url("/img.iso"), **extra), timeout=30)
            self.assertEqual(status, 204, reply)
        self.assertEqual(self.s.lun(0)[1:], ("1", "1"))
        self.assertEqual(self.s.lun(1)[1:], ("0", "0"))
        self.assertEqual(self.s.lun_sha256(0), IMAGE_SHA)
        self.assertEqual(self.s.lun_sha256(1), IMAGE_SHA)
        self.assertEqual(self.s.store(), ["redfish-lun0-img.iso",
                                          "redfish-lun1-img.iso"])
        status, _, _ = request(self.s.d.socket, "POST",
                               VM + "/1/Actions/VirtualMedia.EjectMedia", {})
        self.assertEqual(status, 204)
        self.assertEqual(self.s.lun(1)[0], "")
        self.assertEqual(self.s.lun_sha256(0), IMAGE_SHA)  # untouched
        self.assertEqual(self.s.store(), ["redfish-lun0-img.iso"])


if __name__ == "__main__":
    kvmtest.main()
