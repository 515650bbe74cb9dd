"""kvmtest.paths -- where the sources and the built programs are.

meson sets $KVM_BUILD_ROOT and $KVM_SOURCE_ROOT for every test; run by
hand, the defaults are this checkout and its build/ directory.
"""

import os

SOURCE_ROOT = os.environ.get(
    "KVM_SOURCE_ROOT",
    os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "..", "..", "..")))
BUILD_ROOT = os.environ.get("KVM_BUILD_ROOT",
                            os.path.join(SOURCE_ROOT, "build"))

BINARIES = {
    "capd": "capd/capd",
    "hidd": "hidd/hidd",
    "mediad": "mediad/mediad",
    "gpiod-ctl": "gpiod-ctl/gpiod-ctl",
    "fetchd": "fetchd/fetchd",
    "ocrd": "ocrd/ocrd",
    "redfishd": "redfishd/redfishd",
    "capctl": "capd/capctl",
    "hidctl": "hidd/hidctl",
    "mediactl": "mediad/mediactl",
    "gpioctl": "gpiod-ctl/gpioctl",
}


def binary(name):
    """Path of a built program by its name ("capd", "hidctl")."""
    return os.path.join(BUILD_ROOT, BINARIES.get(name, name))
