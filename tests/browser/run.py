#!/usr/bin/env python3
"""run.py SCENARIO -- one browser test: the demo stack (scripts/demo
--background, through tests/lib/kvmtest/demostack.py) on a free port, then
`node scenarios.mjs SCENARIO`, which drives Debian's Chromium with
playwright-core against the console page through nginx (TLS, basic auth).

Skips (exit 77, saying why) when node or /usr/bin/chromium is missing or
the daemons are not built.  Installs playwright-core from package-lock.json
into tests/browser/node_modules (npm ci) when it is not there yet; never
downloads a browser.  Screenshots go to $KVM_BROWSER_ARTIFACTS.

The appliance suite runs the same scenarios against the booted appliance
with appliance_target.py, which uses the helpers here (missing_tools,
npm_ci, scenario_env, node_scenario).
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile

from kvmtest import demostack

HERE = os.path.dirname(os.path.abspath(__file__))

CHROMIUM = os.environ.get("KVM_CHROMIUM", "/usr/bin/chromium")


def missing_tools():
    """Why the scenarios cannot run here, or None."""
    if shutil.which("node") is None:
        return ("node is not installed (apt-get install nodejs; "
                "scripts/packages/browser.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        return ("%s is missing (apt-get install chromium; "
                "scripts/packages/browser.txt)" % CHROMIUM)
    if shutil.which("npm") is None and not os.path.isdir(
            os.path.join(HERE, "node_modules", "playwright-core")):
        return ("npm is missing and playwright-core is not installed in "
                "tests/browser/node_modules")
    return None


def need_tools():
    why = missing_tools()
    if why:
        demostack.skip(why)


def npm_ci():
    """npm ci once, even when several tests start at the same time.
    Exits 1 when it fails."""
    marker = os.path.join(HERE, "node_modules", "playwright-core",
                          "package.json")
    lock = open(os.path.join(tempfile.gettempdir(),
                             "kaputtkvm-npm-ci.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(marker):
            return
        # on stderr, npm's output too: the appliance suite's stdout is TAP
        print("installing playwright-core (npm ci) into %s/node_modules"
              % HERE, file=sys.stderr, flush=True)
        env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"],
                           cwd=HERE, env=env, stdout=sys.stderr)
        if r.returncode != 0 or not os.path.exists(marker):
            print("npm ci failed (status %d): playwright-core is needed from "
                  "the npm registry" % r.returncode, file=sys.stderr)
            sys.exit(1)
    finally:
        lock.close()


def scenario_env(url, user, password, state, artifacts):
    """The environment scenarios.mjs reads (see its header)."""
    return dict(os.environ, KVM_URL=url, KVM_USER=user,
                KVM_PASSWORD=password, KVM_STATE=state,
                KVM_ARTIFACTS=artifacts, KVM_CHROMIUM=CHROMIUM)


def node_scenario(scenario, env, preload=None, timeout=150, **kw):
    """node [--require PRELOAD] scenarios.mjs SCENARIO: its exit status
    (subprocess.run's other keywords pass through)."""
    cmd = ["node"] + (["--require", preload] if preload else []) + \
        [os.path.join(HERE, "scenarios.mjs"), scenario]
    return subprocess.run(cmd, env=env, timeout=timeout, **kw)


def main():
    if len(sys.argv) != 2:
        print("usage: run.py SCENARIO")
        return 2
    scenario = sys.argv[1]
    need_tools()
    demostack.require_stack()
    npm_ci()
    artifacts = os.environ.get("KVM_BROWSER_ARTIFACTS",
                               os.path.join(HERE, "artifacts"))
    os.makedirs(artifacts, exist_ok=True)
    stack = demostack.Stack()
    status = 1
    try:
        stack.start()
        env = scenario_env(stack.info["url"], stack.info["user"],
                           stack.info["password"], stack.state, artifacts)
        status = node_scenario(scenario, env).returncode
        if status != 0:
            stack.failed = True
            stack.dump_logs()
    finally:
        try:
            stack.stop()
        finally:
            stack.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())
