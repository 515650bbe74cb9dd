"""kvmtest.standins -- the daemons' command lines without hardware.

One function, hardware_free_args(), used by the tests and by the demo
(scripts/demo.py), so both run the daemons the same way.  Its stand-ins
live in one directory, laid out as the demo's state directory:

  hid/hidg0..2           FIFOs for hidd's /dev/hidgN (keyboard, absolute
                         and relative mouse); whoever runs hidd reads them
  media/images           mediad's image directory
  media/lun.0/           a plain directory with files named like the mass-
                         storage LUN's attributes (file, cdrom, ro, removable)
  media/mediad-state.json

capd draws its test pattern, gpiod-ctl uses its test-only backend.  What
is wiring rather than hardware (which gpiod-ctl socket, hidd's LED FIFO,
--log-reports) the caller adds.  ACTIVATE_SHIM stands in for systemd's
socket activation.  Standard library only: the demo imports
this module on its own.
"""

import os

# Socket activation by hand (systemd's part, in the demo and the tests):
# the listening socket (fd argv[1]) becomes fd 3, LISTEN_PID is this very
# process (exec keeps the pid).
ACTIVATE_SHIM = (
    "import os, sys\n"
    "fd = int(sys.argv[1])\n"
    "if fd != 3:\n"
    "    os.dup2(fd, 3)\n"
    "    os.close(fd)\n"
    "os.set_inheritable(3, True)\n"
    "os.environ['LISTEN_FDS'] = '1'\n"
    "os.environ['LISTEN_PID'] = str(os.getpid())\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n")

# hidd's three gadget functions, as kaputtkvm-gadget creates them:
# (FIFO name, what, report length)
HID_FUNCTIONS = [("hidg0", "keyboard", 8), ("hidg1", "mouse", 7),
                 ("hidg2", "relmouse", 4)]
LUN_ATTRIBUTES = (("file", ""), ("cdrom", "0"), ("ro", "0"),
                  ("removable", "1"))


def standin(root, *parts):
    """Path of a stand-in under root ("hid", "hidg0")."""
    return os.path.join(root, *parts)


def make_fifo(path):
    if not os.path.exists(path):
        os.mkfifo(path, 0o600)


def make_lun(root):
    """The LUN directory with its attribute files (kept if present)."""
    lun = standin(root, "media", "lun.0")
    os.makedirs(lun, exist_ok=True)
    for attr, value in LUN_ATTRIBUTES:
        path = os.path.join(lun, attr)
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(value + "\n")
    return lun


def hardware_free_args(name, root, light=False):
    """Command-line arguments (beyond --socket and --config) that run the
    daemon name without hardware, on stand-ins made in root if missing.
    light=True: capd at 640x360, 10 fps (what the tests need, at a
    fraction of the CPU)."""
    if name == "capd":
        args = ["--source", "pattern"]
        if light:
            args += ["--resolution", "640x360", "--fps", "10"]
        return args
    if name == "hidd":
        os.makedirs(standin(root, "hid"), exist_ok=True)
        args = ["--backend", "gadget"]
        for (fifo, _, _), opt in zip(HID_FUNCTIONS, ("--keyboard", "--mouse",
                                                     "--mouse-rel")):
            make_fifo(standin(root, "hid", fifo))
            args += [opt, standin(root, "hid", fifo)]
        return args
    if name == "mediad":
        os.makedirs(standin(root, "media", "images"), exist_ok=True)
        return ["--images", standin(root, "media", "images"),
                "--lun", make_lun(root),
                "--state-file", standin(root, "media", "mediad-state.json")]
    if name == "gpiod-ctl":
        return ["--backend", "test"]
    if name == "fetchd":
        return []  # no hardware: it needs only mediad's socket
    if name == "ocrd":
        return []  # no hardware: it needs only capd's socket
    if name == "redfishd":
        return []  # no hardware: it needs gpiod-ctl's socket
    raise ValueError(name)
