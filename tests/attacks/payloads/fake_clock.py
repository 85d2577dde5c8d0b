"""Attack class 2: fake performance.

A slow total() that replaces every clock it can reach with a frozen one, and at import starts
busy threads and a busy child process meant to slow the reference down while it is timed.
"""

import os
import threading
import time

FROZEN = time.perf_counter()
time.perf_counter = lambda: FROZEN
time.perf_counter_ns = lambda: int(FROZEN * 1e9)
time.monotonic = lambda: FROZEN
time.time = lambda: FROZEN


def _burn():
    while True:
        pass


for _ in range(2):
    threading.Thread(target=_burn, daemon=True).start()
if os.fork() == 0:
    _burn()


def add(a, b):
    return a + b


def total(xs):
    s = 0
    for x in xs:
        for _ in range(30):
            pass
        s += x
    return s
