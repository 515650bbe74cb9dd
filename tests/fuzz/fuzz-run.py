#!/usr/bin/env python3
"""Runs one libFuzzer binary for a bounded time (suite fuzz-run, built with
-Dfuzzing=true):

    fuzz-run.py FUZZER CORPUS ARTIFACTS [SECONDS]

The fuzzer starts from a copy of CORPUS (the source tree is left alone;
new inputs are thrown away), for SECONDS (default 20, or $KVM_FUZZ_SECONDS).
Any crash, sanitizer report, leak, timeout or exit of the target fails the
test; the input that did it is kept in ARTIFACTS and named on the last
line, with the command that replays it.  Copy it into the corpus as a
regression input once the bug is fixed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    fuzzer, corpus, artifacts = sys.argv[1:4]
    seconds = int(os.environ.get("KVM_FUZZ_SECONDS") or
                  (sys.argv[4] if len(sys.argv) == 5 else 20))
    os.makedirs(artifacts, exist_ok=True)
    env = dict(os.environ)
    # the sanitizers stop at the first report, with a stack
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    with tempfile.TemporaryDirectory(prefix="kvm-fuzz-run-") as tmp:
        work = os.path.join(tmp, "corpus")
        shutil.copytree(corpus, work)
        cmd = [fuzzer, "-max_total_time=%d" % seconds, "-timeout=10",
               "-rss_limit_mb=2048", "-max_len=65536",
               "-print_final_stats=1",
               "-artifact_prefix=" + os.path.join(artifacts, ""), work]
        print(" ".join(cmd), flush=True)
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           errors="replace")
    out = p.stdout
    # the daemons' own log lines are many; keep libFuzzer's and reports
    daemon_line = re.compile(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+\[\d+\]: ")
    keep = [ln for ln in out.splitlines() if not daemon_line.match(ln)]
    print("\n".join(keep[-200:]))
    if p.returncode != 0:
        m = re.findall(r"Test unit written to (\S+)", out)
        if m:
            print("fuzz-run: %s failed on %s; replay it with: %s %s"
                  % (os.path.basename(fuzzer), m[-1], fuzzer, m[-1]))
        else:
            print("fuzz-run: %s exited with %d"
                  % (os.path.basename(fuzzer), p.returncode))
        sys.exit(1)
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", out, re.M))
    print("fuzz-run: %s: %s runs in %s s, no crash"
          % (os.path.basename(fuzzer), stats.get("number_of_executed_units",
                                                 "?"), seconds))


if __name__ == "__main__":
    main()
