#!/usr/bin/env python3
"""Writes the hand-made seeds of the route targets (<daemon>-routes):
every route of each daemon, good and bad requests, pipelined requests,
and for hidd a WebSocket session.  Each seed is what one client sends on
one connection.  Inputs the fuzzers found are kept beside these (named by
their hash); rerunning this rewrites only the hand-made ones.

    tests/fuzz/route-seeds.py [tests/fuzz/corpus]
"""
import os
import struct
import sys


def req(method, path, body=None, headers=(), chunked=False,
        ctype="application/json"):
    head = "%s %s HTTP/1.1\r\nHost: localhost\r\n" % (method, path)
    for h in headers:
        head += h + "\r\n"
    data = b""
    if body is not None:
        body = body.encode() if isinstance(body, str) else body
        if ctype:
            head += "Content-Type: %s\r\n" % ctype
        if chunked:
            head += "Transfer-Encoding: chunked\r\n"
            data = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        else:
            head += "Content-Length: %d\r\n" % len(body)
            data = body
    return (head + "\r\n").encode() + data


def post(path, body, **kw):
    return req("POST", path, body, **kw)


def ws_frame(payload, opcode=1, fin=True):
    payload = payload.encode() if isinstance(payload, str) else payload
    mask = b"\x11\x22\x33\x44"
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


WS_HELLO = req("GET", "/ws", headers=[
    "Upgrade: websocket", "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13", "Origin: http://localhost"])

COMMON = {
    "state": req("GET", "/state"),
    "state-head": req("HEAD", "/state"),
    "metrics": req("GET", "/metrics"),
    "metrics-head": req("HEAD", "/metrics"),
    "state-post": post("/state", "{}"),
    "not-found": req("GET", "/nope?x=%41"),
    "dotdot": req("GET", "/a/../state"),
    "options": req("OPTIONS", "/state"),
    "http10": b"GET /state HTTP/1.0\r\n\r\n",
    "garbage": b"\x00\x01\x02 / HTTP/9\r\n\r\n",
    "bad-escape": req("GET", "/st%zzate"),
}

SEEDS = {
    "capd": {
        "snapshot": req("GET", "/snapshot"),
        "snapshot-head": req("HEAD", "/snapshot"),
        "stream": req("GET", "/stream"),
        "stream-fps": req("GET", "/stream?fps=5"),
        "stream-fps-0": req("GET", "/stream?fps=0"),
        "stream-fps-word": req("GET", "/stream?fps=ten&x=1"),
        "stream-fps-big": req("GET", "/stream?fps=99999999999999999999"),
        "params-quality": post("/params", '{"quality": 50}'),
        "params-all": post("/params",
                           '{"quality": 90, "fps": 15, '
                           '"resolution": "320x240"}'),
        "params-res-odd": post("/params", '{"resolution": "161x120"}'),
        "params-res-bad": post("/params", '{"resolution": "big"}'),
        "params-res-type": post("/params", '{"resolution": 640}'),
        "params-quality-0": post("/params", '{"quality": 0}'),
        "params-fps-float": post("/params", '{"fps": 2.5}'),
        "params-unknown": post("/params", '{"brightness": 3}'),
        "params-not-json": post("/params", "quality=50", ctype=None),
        "params-array": post("/params", "[1,2]"),
        "params-empty": post("/params", ""),
        "params-dup": post("/params", '{"fps": 5, "fps": 6}'),
        "params-chunked": post("/params", '{"fps": 20}', chunked=True),
        "params-continue": post("/params", '{"quality": 40}',
                                headers=["Expect: 100-continue"]),
        "params-get": req("GET", "/params"),
        "edid": req("GET", "/edid"),
        "edid-preset": post("/edid", '{"preset": "default"}'),
        "edid-hex-bad": post("/edid", '{"hex": "%s"}' % ("00ff" * 64)),
        "edid-both": post("/edid", '{"preset": "x", "hex": ""}'),
        "pipelined": req("GET", "/state") + post("/params", '{"quality": 30}')
        + req("HEAD", "/snapshot") + req("GET", "/metrics")
        + req("GET", "/snapshot"),
        "pipelined-stream-last": req("GET", "/state")
        + req("GET", "/stream?fps=120"),
        # issue 14: messages that carried invalid UTF-8
        "utf8-stream-fps": req("GET", "/stream?fps=%ED%A0%80"),
        "utf8-params-resolution": post("/params", '{"resolution": "%s"}'
                                       % ("x" + "\u00e9" * 40)),
        # issue 17: H.264 over a WebSocket, its parameters
        "h264": WS_HELLO.replace(b"GET /ws ", b"GET /h264 "),
        "h264-message": WS_HELLO.replace(b"GET /ws ", b"GET /h264 ")
        + ws_frame('{"t":"ping"}'),
        "h264-no-upgrade": req("GET", "/h264"),
        "params-h264": post("/params", '{"h264_bitrate": 500, '
                            '"h264_keyint": 30, "h264_fps": 25}'),
        "params-h264-bad": post("/params", '{"h264_bitrate": 99}'),
    },
    "hidd": {
        "layouts": req("GET", "/layouts"),
        "key": post("/key", '{"code": "KeyA", "down": true}'),
        "key-up": post("/key", '{"code": "ShiftLeft", "down": false}'),
        "key-unknown": post("/key", '{"code": "Keya"}'),
        "key-type": post("/key", '{"code": 4}'),
        "key-missing": post("/key", '{}'),
        "mouse-abs": post("/mouse", '{"x": 100, "y": 32767}'),
        "mouse-rel": post("/mouse", '{"dx": -300, "dy": 5}'),
        "mouse-button": post("/mouse", '{"button": "left", "down": true}'),
        "mouse-button-bad": post("/mouse", '{"button": "fourth"}'),
        "mouse-wheel": post("/mouse", '{"wheel_dx": 1, "wheel_dy": -127}'),
        "mouse-range": post("/mouse", '{"x": 40000}'),
        "mouse-all": post("/mouse", '{"x": 1, "y": 2, "button": "right", '
                          '"down": false, "wheel_dy": 3}'),
        "release": post("/release", ""),
        "release-body": post("/release", '{"x": 1}'),
        "paste": post("/paste", '{"text": "Hello, world!\\n", "delay_ms": 0}'),
        "paste-de": post("/paste",
                         '{"text": "Gr\\u00fc\\u00dfe", "layout": "de"}'),
        "paste-intl": post("/paste", '{"text": "d\\u00e9j\\u00e0", '
                           '"layout": "us(intl)"}'),
        "paste-untypable": post("/paste", '{"text": "\\u2603 snow", '
                                '"layout": "us"}'),
        "paste-bad-layout": post("/paste", '{"text": "x", "layout": "zz"}'),
        "paste-delay-big": post("/paste", '{"text": "x", "delay_ms": 5000}'),
        "paste-cancel": post("/paste", '{"text": "abcdefghijklmnop", '
                             '"delay_ms": 5}') + post("/paste/cancel", ""),
        "paste-twice": post("/paste", '{"text": "abc"}')
        + post("/paste", '{"text": "def"}'),
        # issue 19: macros (the fuzzer's hidd keeps none: parsing and the
        # checks run, the store says so) and the jiggler
        "macros": req("GET", "/macros"),
        "macro-put": req("PUT", "/macros/cad", b'{"steps": [{"keys": '
                         b'["ControlLeft", "AltLeft", "Delete"]}, {"text": '
                         b'"Hi"}, {"delay_ms": 5}, {"key": "KeyA", '
                         b'"down": true}]}'),
        "macro-put-bad": req("PUT", "/macros/x",
                             b'{"steps": [{"key": "Nope"}]}'),
        "macro-get": req("GET", "/macros/cad"),
        "macro-delete": req("DELETE", "/macros/cad"),
        "macro-run": post("/macro/run", '{"name": "cad", "delay_ms": 0}'),
        "macro-cancel": post("/macro/cancel", ""),
        "jiggler": post("/jiggler", '{"enabled": true, "interval": 1}'),
        "jiggler-empty": post("/jiggler", '{}'),
        "key-get": req("GET", "/key"),
        # issue 14: messages that carried invalid UTF-8
        "utf8-paste-layout": post("/paste",
                                  '{"text": "x", "layout": "\u00e9"}'),
        "utf8-mouse-button": post("/mouse", '{"button": "%s"}'
                                  % ("x" + "\u00e9" * 20)),
        "utf8-key-code": post("/key",
                              '{"code": "%s"}' % ("x" + "\u00e9" * 20)),
        "ws": WS_HELLO + ws_frame(
            '{"t":"key","code":"KeyA","down":true,"id":1}')
        + ws_frame('{"t":"abs","x":16384,"y":16384}')
        + ws_frame('{"t":"rel","dx":-3,"dy":5}')
        + ws_frame('{"t":"button","button":"left","down":true}')
        + ws_frame('{"t":"wheel","wheel_dx":0,"wheel_dy":1}')
        + ws_frame('{"t":"ping"}') + ws_frame('{"t":"release"}')
        + ws_frame(b"\x03\xe8", opcode=8),
        "ws-bad": WS_HELLO + ws_frame('{"t":"nope"}') + ws_frame("not json")
        + ws_frame('{"t":"key","code":"Keyb"}') + ws_frame(b"\xff", opcode=2)
        + ws_frame("ping", opcode=9),
        "ws-fragments": WS_HELLO
        + ws_frame('{"t":"key",', fin=False)
        + ws_frame('"code":"KeyB"}', opcode=0),
        "ws-no-key": req("GET", "/ws", headers=[
            "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Version: 13"]),
        "ws-foreign-origin": req("GET", "/ws", headers=[
            "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13", "Origin: https://evil.example"]),
        "pipelined": post("/key", '{"code": "KeyA"}') + req("GET", "/state")
        + post("/release", "") + req("GET", "/metrics"),
    },
    "mediad": {
        "images": req("GET", "/images"),
        "images-head": req("HEAD", "/images"),
        "download": req("GET", "/images/debian.iso"),
        "download-head": req("HEAD", "/images/flash.img"),
        "download-range": req("GET", "/images/debian.iso",
                              headers=["Range: bytes=100-199"]),
        "download-range-suffix": req("GET", "/images/debian.iso",
                                     headers=["Range: bytes=-10"]),
        "download-range-bad": req("GET", "/images/debian.iso",
                                  headers=["Range: bytes=70000-"]),
        "download-missing": req("GET", "/images/none.iso"),
        "download-badname": req("GET", "/images/..%2fetc"),
        "upload": req("PUT", "/images/new.img", b"x" * 4096,
                      ctype="application/octet-stream"),
        "upload-overwrite": req("PUT", "/images/flash.img?overwrite=1",
                                b"y" * 1000, ctype="application/octet-stream"),
        "upload-exists": req("PUT", "/images/flash.img", b"y" * 10,
                             ctype="application/octet-stream"),
        "upload-chunked": req("PUT", "/images/c.img", b"z" * 300,
                              ctype="application/octet-stream", chunked=True),
        "upload-short": b"PUT /images/short.img HTTP/1.1\r\nHost: l\r\n"
        b"Content-Length: 100000\r\n\r\nonly this",
        "upload-huge": b"PUT /images/huge.img HTTP/1.1\r\nHost: l\r\n"
        b"Content-Length: 99999999999999999\r\n\r\n",
        "upload-no-length": b"PUT /images/n.img HTTP/1.1\r\nHost: l\r\n\r\n",
        "upload-continue": req("PUT", "/images/e.img", b"q" * 10,
                               ctype=None, headers=["Expect: 100-continue"]),
        "upload-badname": req("PUT", "/images/.hidden", b"q", ctype=None),
        "delete": req("DELETE", "/images/flash.img"),
        "delete-missing": req("DELETE", "/images/none.img"),
        "mount-cd": post("/mount", '{"image": "debian.iso", "cdrom": true}'),
        "mount-flash": post("/mount", '{"image": "flash.img", "cdrom": false, '
                            '"readonly": false}'),
        "mount-bad": post("/mount", '{"image": "flash.img", "cdrom": true, '
                          '"readonly": false}'),
        "mount-missing": post("/mount", '{"image": "none.iso"}'),
        "mount-lun": post("/mount", '{"image": "flash.img", "lun": 3}'),
        "mount-type": post("/mount", '{"image": ["x"]}'),
        "eject": post("/eject", "{}"),
        "eject-force": post("/eject", '{"force": true}'),
        "eject-empty": post("/eject", ""),
        "eject-lun-range": post("/eject", '{"lun": 64}')
        + post("/eject", '{"lun": -1, "force": 1}'),
        "mount-unknown": post("/mount", '{"image": "flash.img", "imag": 1}')
        + post("/mount", '{"cdrom": false}') + post("/mount", "[]"),
        "upload-overwrite-bad": req(
            "PUT", "/images/flash.img?overwrite=maybe", b"y" * 10, ctype=None)
        + req("PUT", "/images/flash.img?overwrite=true", b"y" * 10,
              ctype=None),
        "image-post": post("/images/flash.img", "{}")
        + req("OPTIONS", "/images/flash.img"),
        "mount-delete-eject": post(
            "/mount", '{"image": "flash.img", "cdrom": false}')
        + req("DELETE", "/images/flash.img") + post("/eject", "{}")
        + req("DELETE", "/images/flash.img") + req("GET", "/state"),
        "upload-then-mount": req("PUT", "/images/u.iso", b"\0" * 8192,
                                 ctype=None)
        + post("/mount", '{"image": "u.iso", "cdrom": true}')
        + req("GET", "/images"),
        "pipelined": req("GET", "/images") + req("HEAD", "/images/debian.iso")
        + req("GET", "/images/flash.img", headers=["Range: bytes=0-0"])
        + req("GET", "/metrics"),
    },
    "fetchd": {
        "state": req("GET", "/state"),
        "fetch": post("/fetch", '{"url": "http://127.0.0.1:9/a.iso", '
                      '"name": "a.iso"}'),
        "fetch-all": post("/fetch", '{"url": "https://u:p@127.0.0.1:9/a%%20b'
                          '.iso?x=1", "name": "b.iso", "sha256": "%s", '
                          '"overwrite": true}' % ("ab" * 32)),
        "fetch-file": post("/fetch", '{"url": "file:///etc/passwd", '
                           '"name": "p"}'),
        "fetch-gopher": post("/fetch", '{"url": "gopher://127.0.0.1/1", '
                             '"name": "g"}'),
        "fetch-noname": post("/fetch", '{"url": "http://127.0.0.1:9/"}'),
        "fetch-badname": post("/fetch", '{"url": "http://127.0.0.1:9/x", '
                              '"name": "../x"}'),
        "fetch-badsha": post("/fetch", '{"url": "http://127.0.0.1:9/x", '
                             '"name": "x", "sha256": "%s"}' % ("z" * 64)),
        "fetch-then-cancel": post("/fetch", '{"url": "http://127.0.0.1:9/'
                                  'x", "name": "x"}')
        + post("/cancel", '{"name": "x"}') + req("GET", "/state"),
        "cancel-none": post("/cancel", '{"name": "none"}'),
        "many": b"".join(post("/fetch", '{"url": "http://127.0.0.1:9/%d", '
                              '"name": "n%d"}' % (i, i)) for i in range(6))
        + req("GET", "/state"),
    },
    "ocrd": {
        "state": req("GET", "/state"),
        "read": post("/read", '{"x": 0, "y": 0, "w": 10, "h": 10}'),
        "read-lang": post("/read", '{"x": 1, "y": 2, "w": 3, "h": 4, '
                          '"lang": "deu"}'),
        "read-badlang": post("/read", '{"x": 0, "y": 0, "w": 1, "h": 1, '
                             '"lang": "../eng"}'),
        "read-zero": post("/read", '{"x": 0, "y": 0, "w": 0, "h": 0}'),
        "read-huge": post("/read", '{"x": 8191, "y": 8191, "w": 8192, '
                          '"h": 8192}'),
        "read-missing": post("/read", '{"x": 0}'),
        "busy": post("/read", '{"x": 0, "y": 0, "w": 5, "h": 5}')
        + post("/read", '{"x": 0, "y": 0, "w": 5, "h": 5}')
        + req("GET", "/state"),
    },
    "gpiod-ctl": {
        "test-history": req("GET", "/test/history?line=power-button"),
        "test-history-no-line": req("GET", "/test/history"),
        "pulse": post("/pulse", '{"line": "capture-reset"}'),
        "pulse-wait": post("/pulse", '{"line": "hid-reset", "ms": 20, '
                           '"wait": true}'),
        "pulse-long": post("/pulse", '{"line": "hid-reset", "ms": 5000}'),
        "pulse-input": post("/pulse", '{"line": "power-led"}'),
        "pulse-unknown": post("/pulse", '{"line": "nope"}'),
        "pulse-busy": post("/pulse", '{"line": "capture-reset"}')
        + post("/pulse", '{"line": "capture-reset"}'),
        "atx-on": post("/atx", '{"action": "on"}'),
        "atx-on-wait": post("/atx", '{"action": "on", "wait": true}'),
        "atx-off-led": post("/test/input", '{"line": "power-led", "value": 1}')
        + post("/atx", '{"action": "off", "wait": true}'),
        "atx-off-hard": post("/test/input",
                             '{"line": "power-led", "level": 0}')
        + post("/atx", '{"action": "off-hard", "wait": true}'),
        # a request read only once main() stops (after the held press)
        "atx-stop-then-state": post("/test/input", '{"line": "power-led", '
                                    '"level": 0}')
        + post("/atx", '{"action": "off-hard", "wait": true}')
        + req("GET", "/state") + req("GET", "/metrics"),
        "atx-reset": post("/atx", '{"action": "reset"}'),
        "atx-bad": post("/atx", '{"action": "explode"}'),
        "atx-type": post("/atx", '{"action": true}'),
        # issue 14: a message that carried invalid UTF-8
        "utf8-atx-action": post(
            "/atx", '{"action": "%s"}' % ("x" + "\u00e9" * 40)),
        "input": post("/test/input", '{"line": "hdd-led", "value": 1}'),
        "input-output": post("/test/input", '{"line": "power-button", '
                             '"value": 1}'),
        "input-both": post("/test/input", '{"line": "hdd-led", "value": 1, '
                           '"level": 0}'),
        "pipelined": post("/atx", '{"action": "reset", "wait": true}')
        + req("GET", "/state") + req("GET", "/test/history")
        + req("GET", "/metrics"),
    },
    "redfishd": {
        "version": req("GET", "/redfish"),
        "root": req("GET", "/redfish/v1"),
        "root-slash": req("GET", "/redfish/v1/"),
        "root-head": req("HEAD", "/redfish/v1"),
        "root-post": post("/redfish/v1", "{}"),
        "metadata": req("GET", "/redfish/v1/$metadata"),
        "metadata-head": req("HEAD", "/redfish/v1/$metadata"),
        "odata": req("GET", "/redfish/v1/odata"),
        "collections": req("GET", "/redfish/v1/Systems")
        + req("GET", "/redfish/v1/Managers")
        + req("GET", "/redfish/v1/Chassis")
        + req("GET", "/redfish/v1/Managers/1")
        + req("GET", "/redfish/v1/Chassis/1"),
        "system": req("GET", "/redfish/v1/Systems/1"),
        "system-delete": req("DELETE", "/redfish/v1/Systems/1"),
        "patch-boot": req("PATCH", "/redfish/v1/Systems/1",
                          '{"Boot": {"BootSourceOverrideTarget": "Cd", '
                          '"BootSourceOverrideEnabled": "Once", '
                          '"BootSourceOverrideMode": "Legacy"}}')
        + req("GET", "/redfish/v1/Systems/1"),
        "patch-if-match-star": req("PATCH", "/redfish/v1/Systems/1",
                                   '{"Boot": {"BootSourceOverrideTarget": '
                                   '"Usb"}}', headers=["If-Match: *"]),
        "patch-if-match-old": req("PATCH", "/redfish/v1/Systems/1",
                                  '{"Boot": {"BootSourceOverrideTarget": '
                                  '"None"}}',
                                  headers=['If-Match: W/"00000000", '
                                           '"12345678"']),
        "patch-bad": req("PATCH", "/redfish/v1/Systems/1",
                         '{"Boot": {"BootSourceOverrideTarget": "Floppy"}, '
                         '"PowerState": "On"}'),
        "patch-not-json": req("PATCH", "/redfish/v1/Systems/1", '{"Boot": ',
                              ctype="text/plain"),
        "patch-bad-json": req("PATCH", "/redfish/v1/Systems/1", '{"Boot": '),
        "reset-types": b"".join(
            post("/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
                 '{"ResetType": "%s"}' % t)
            for t in ("On", "ForceOff", "GracefulShutdown", "ForceRestart",
                      "PowerCycle", "PushPowerButton")),
        "reset-bad": post("/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
                          '{"ResetType": "Explode"}'),
        "reset-empty": post(
            "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", ""),
        "reset-get": req("GET",
                         "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset"),
        "reset-cross-site": post(
            "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
            '{"ResetType": "On"}', headers=["Origin: https://evil.example"]),
        "vmedia": req("GET", "/redfish/v1/Managers/1/VirtualMedia")
        + req("GET", "/redfish/v1/Managers/1/VirtualMedia/0")
        + req("GET", "/redfish/v1/Managers/1/VirtualMedia/1")
        + req("GET", "/redfish/v1/Managers/1/VirtualMedia/7"),
        "vmedia-insert": post(
            "/redfish/v1/Managers/1/VirtualMedia/0/Actions/"
            "VirtualMedia.InsertMedia",
            '{"Image": "http://127.0.0.1:9/boot.iso", "Inserted": true, '
            '"WriteProtected": true, "TransferProtocolType": "HTTP", '
            '"UserName": "u", "Password": "p"}'),
        "vmedia-insert-full": post(
            "/redfish/v1/Managers/1/VirtualMedia/1/Actions/"
            "VirtualMedia.InsertMedia",
            '{"Image": "https://127.0.0.1:9/a.img"}'),
        "vmedia-insert-bad": post(
            "/redfish/v1/Managers/1/VirtualMedia/0/Actions/"
            "VirtualMedia.InsertMedia", '{"Image": "ftp://x", "Nope": 1}'),
        "vmedia-eject": post(
            "/redfish/v1/Managers/1/VirtualMedia/1/Actions/"
            "VirtualMedia.EjectMedia", "{}")
        + post("/redfish/v1/Managers/1/VirtualMedia/0/Actions/"
               "VirtualMedia.EjectMedia", ""),
        "vmedia-patch": req("PATCH", "/redfish/v1/Managers/1/VirtualMedia/0",
                            '{"Image": "http://127.0.0.1:9/x.iso", '
                            '"Inserted": true}', headers=["If-Match: *"])
        + req("PATCH", "/redfish/v1/Managers/1/VirtualMedia/1",
              '{"Image": null}'),
        "vmedia-bad-member": req("GET",
                                 "/redfish/v1/Managers/1/VirtualMedia/01")
        + req("GET", "/redfish/v1/Managers/1/VirtualMedia/-1"),
        "sessions": req("GET", "/redfish/v1/SessionService")
        + req("GET", "/redfish/v1/SessionService/Sessions"),
        "login": post("/redfish/v1/SessionService/Sessions",
                      '{"UserName": "admin", "Password": "kaputt"}')
        + req("GET", "/redfish/v1/SessionService/Sessions")
        + req("GET", "/state"),
        "login-wrong": post("/redfish/v1/SessionService/Sessions",
                            '{"UserName": "admin", "Password": "wrong"}')
        + post("/redfish/v1/SessionService/Sessions",
               '{"UserName": "nobody", "Password": "kaputt"}'),
        "login-limit": b"".join(
            post("/redfish/v1/SessionService/Sessions",
                 '{"UserName": "admin", "Password": "kaputt"}')
            for _ in range(5)) + req("GET", "/metrics"),
        "login-not-json": post("/redfish/v1/SessionService/Sessions",
                               "UserName=admin&Password=kaputt",
                               ctype="application/x-www-form-urlencoded"),
        "login-bad-json": post("/redfish/v1/SessionService/Sessions",
                               '{"UserName": "admin", "Password": }'),
        "login-extra": post("/redfish/v1/SessionService/Sessions",
                            '{"UserName": "admin", "Password": "kaputt", '
                            '"Oem": {}}'),
        "session-delete": req("DELETE",
                              "/redfish/v1/SessionService/Sessions/"
                              "0123456789abcdef")
        + req("GET", "/redfish/v1/SessionService/Sessions/nope"),
        "token": req("GET", "/auth/token", headers=[
            "X-Auth-Token: " + "0" * 64])
        + req("GET", "/auth/token")
        + req("GET", "/redfish/v1/Systems/1", headers=[
            "X-Auth-Token: " + "a" * 64]),
        "basic-auth": req("GET", "/redfish/v1/Managers/1", headers=[
            "Authorization: Basic YWRtaW46a2FwdXR0"]),
        "unknown": req("GET", "/redfish/v1/Nope")
        + req("GET", "/redfish/v2") + req("GET", "/redfishx"),
        "method-unknown": b"BREW /redfish/v1 HTTP/1.1\r\n\r\n",
        "options-redfish": req("OPTIONS", "/redfish/v1/Systems/1"),
        "put": req("PUT", "/redfish/v1/Systems/1", "{}"),
        "nul-path": b"GET /redfish/v1/Sys\x00tems HTTP/1.1\r\n\r\n",
        "nul-body": post("/redfish/v1/SessionService/Sessions",
                         b'{"UserName": "ad\x00min", "Password": "k"}'),
        "chunked-login": post("/redfish/v1/SessionService/Sessions",
                              '{"UserName": "admin", "Password": "kaputt"}',
                              chunked=True),
        "escaped-path": req("GET", "/redfish/v1/Systems/%31")
        + req("GET", "/redfish/v1/%24metadata"),
    },
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    for daemon, seeds in SEEDS.items():
        d = os.path.join(root, daemon + "-routes")
        os.makedirs(d, exist_ok=True)
        for name, data in {**COMMON, **seeds}.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
