"""kvmtest.sushyclient -- sushy (OpenStack Ironic's Redfish library,
Debian's python3-sushy) for the Redfish tests.

    from kvmtest.sushyclient import sushy   # None when not installed

python3-sushy is installed for the system's Python (/usr/bin/python3);
meson may run the tests with another.  Importing this module then execs
the test again with the system's Python (once), which has it."""

import os
import sys

SYSTEM_PYTHON = "/usr/bin/python3"

try:
    import sushy
except ImportError:
    sushy = None
    if os.access(SYSTEM_PYTHON, os.X_OK) and \
            os.path.realpath(sys.executable) != SYSTEM_PYTHON and \
            "KVMTEST_REEXEC" not in os.environ:
        os.environ["KVMTEST_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
