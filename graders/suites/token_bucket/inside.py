"""Drivers of the token_bucket hidden suite, run in the sandbox next to the code they call.

Each driver runs a whole scenario (a long run of refills, threads hammering one limiter, a
clock that moves at every reading) in one call and returns what the limiter answered, raw: the
judge computes what it should have answered and compares. Nothing here knows the answers.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
import time
from fractions import Fraction

from graders.clocks import ManualClock


def _module():
    import ratelimit  # the submitted module, next to this file in the sandbox

    return ratelimit


class SteppingClock:
    """A lock-free clock: while running it moves ``step`` forward at every reading
    (``itertools.count`` is atomic under the GIL, so reading it never hands the GIL over);
    stopped, it returns a fixed value."""

    def __init__(self, start: float, step: float) -> None:
        self._start, self._step = start, step
        self._count = itertools.count(1)
        self.value = start
        self.running = False

    def __call__(self) -> float:
        if not self.running:
            return self.value
        return self._start + next(self._count) * self._step

    def stop(self) -> float:
        self.running = False
        self.value = self._start + next(self._count) * self._step
        return self.value


@contextlib.contextmanager
def _switching(interval: float = 1e-6):
    old = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


# -- TokenBucket --------------------------------------------------------------------------------


def fractional_refill(q: int, origin: float, per_s: int) -> dict:
    """TokenBucket(1, Fraction(1, q)) emptied, then advanced by 1/per_s s per step for q s:
    tokens() every 64 steps (and at the last), try_acquire() at every step but the last."""
    bucket = _module().TokenBucket(1, Fraction(1, q), clock := ManualClock(origin))
    first = bucket.try_acquire()
    readings, grants = [], []
    last = per_s * q
    for i in range(1, last + 1):
        clock.advance(1 / per_s)
        if i % 64 == 0 or i == last:
            readings.append((i, bucket.tokens()))
        if i < last:
            grants.append(bucket.try_acquire())
    final = bucket.try_acquire()
    return {"first": first, "readings": readings, "grants": grants, "final": final,
            "final_tokens": bucket.tokens()}  # fmt: skip


def long_run(capacity: int, p: int, q: int, dt: float, origin: float, steps: int) -> dict:
    """TokenBucket(capacity, Fraction(p, q)) on a clock advanced by ``dt`` before each of
    ``steps`` try_acquire() calls; then tokens()."""
    bucket = _module().TokenBucket(capacity, Fraction(p, q), clock := ManualClock(origin))
    grants = []
    for _ in range(steps):
        clock.advance(dt)
        grants.append(bucket.try_acquire())
    return {"grants": grants, "tokens": bucket.tokens()}


def threads_total(capacity: int, rate, start: float, step: float, n_threads: int,
                  attempts: int) -> dict:  # fmt: skip
    """A bucket drained with its clock stopped, then ``n_threads`` threads each making
    ``attempts`` try_acquire() calls while the clock moves ``step`` at every reading, then
    drained again with the clock stopped. Returns the grants and the clock's first and last
    readings."""
    with _switching():
        clock = SteppingClock(start, step)
        bucket = _module().TokenBucket(capacity, rate, clock)
        t0 = clock()
        before = sum(bool(bucket.try_acquire()) for _ in range(capacity))
        counts = [0] * n_threads
        barrier = threading.Barrier(n_threads)

        def work(idx: int) -> None:
            barrier.wait()
            counts[idx] = sum(bool(bucket.try_acquire()) for _ in range(attempts))

        workers = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
        clock.running = True
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        final = clock.stop()
        after = 0
        while bucket.try_acquire() and after <= capacity:
            after += 1
    return {"before": before, "counts": counts, "after": after, "t0": t0, "final": final,
            "hung": any(w.is_alive() for w in workers)}  # fmt: skip


def drive_throughput(cls, capacity: int, rate, origin: float, n_calls: int, step: float) -> int:
    """The timed loop of the performance gate: ``n_calls`` try_acquire() on one bucket whose
    clock moves ``step`` at every reading; the number granted."""
    ticks = itertools.count(1)
    bucket = cls(capacity, rate, lambda: origin + next(ticks) * step)
    acquire = bucket.try_acquire
    return sum(1 for _ in range(n_calls) if acquire())


def throughput(capacity: int, rate, origin: float, n_calls: int, step: float) -> int:
    """:func:`drive_throughput` on the submitted TokenBucket."""
    return drive_throughput(_module().TokenBucket, capacity, rate, origin, n_calls, step)


# -- SlidingWindowLimiter -----------------------------------------------------------------------


def window_threads(limit: int, window, origin: float, n_threads: int, attempts: int,
                   rounds: int) -> list:  # fmt: skip
    """``rounds`` times: a fresh limiter whose clock stands still inside one window, and
    ``n_threads`` threads each making ``attempts`` try_acquire() calls on it at once. Returns
    the units admitted in each round."""
    clock = ManualClock(origin)
    totals = []
    with _switching():
        for _ in range(rounds):
            limiter = _module().SlidingWindowLimiter(limit, window, clock)
            counts = [0] * n_threads
            barrier = threading.Barrier(n_threads)

            def work(idx: int, limiter=limiter, counts=counts, barrier=barrier) -> None:
                barrier.wait()
                counts[idx] = sum(bool(limiter.try_acquire()) for _ in range(attempts))

            workers = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(60)
            totals.append(sum(counts))
    return totals


# -- RedisTokenBucket ---------------------------------------------------------------------------


def hammer(client, prefix: str, capacity: int, rate: float, user: str, attempts: int) -> int:
    """A process of the API: its own client and RedisTokenBucket, ``attempts`` acquires on one
    user; the number granted."""
    mod = _module()
    bucket = mod.RedisTokenBucket(client, prefix, {"t": mod.Tier(capacity, rate)})
    return sum(1 for _ in range(attempts) if bucket.acquire(user, "t") is True)


_CLOCKS = ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
           "clock_gettime", "clock_gettime_ns")  # fmt: skip


@contextlib.contextmanager
def _client_clock_ahead(offset_s: float):
    """This process's clocks (the ``time`` module, and the submitted module's own references
    to its functions) read ``offset_s`` seconds ahead: a client machine whose clock is off."""
    originals = {name: getattr(time, name) for name in _CLOCKS}
    ns = int(offset_s * 1e9)
    fakes = {
        "time": lambda: originals["time"]() + offset_s,
        "time_ns": lambda: originals["time_ns"]() + ns,
        "monotonic": lambda: originals["monotonic"]() + offset_s,
        "monotonic_ns": lambda: originals["monotonic_ns"]() + ns,
        "perf_counter": lambda: originals["perf_counter"]() + offset_s,
        "perf_counter_ns": lambda: originals["perf_counter_ns"]() + ns,
        "clock_gettime": lambda clk: originals["clock_gettime"](clk) + offset_s,
        "clock_gettime_ns": lambda clk: originals["clock_gettime_ns"](clk) + ns,
    }
    mod = _module()
    patched = [(time, name, fakes[name]) for name in _CLOCKS]
    by_id = {id(f): name for name, f in originals.items()}
    for attr, value in list(vars(mod).items()):
        if id(value) in by_id:
            patched.append((mod, attr, fakes[by_id[id(value)]]))
    saved = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in patched]
    try:
        for obj, attr, fake in patched:
            setattr(obj, attr, fake)
        yield
    finally:
        for obj, attr, value in saved:
            setattr(obj, attr, value)


def skewed_clients(client_a, client_b, prefix: str, capacity: int, rate: float, user: str,
                   offset_s: float) -> dict:  # fmt: skip
    """Client A (a machine whose clock is right) drains ``user``'s bucket; then client B, on a
    machine whose clock is ``offset_s`` ahead, asks for as many tokens again."""
    mod = _module()
    tiers = {"t": mod.Tier(capacity, rate)}
    a = mod.RedisTokenBucket(client_a, prefix, tiers)
    drained = [a.acquire(user, "t") for _ in range(capacity)]
    b = mod.RedisTokenBucket(client_b, prefix, tiers)
    with _client_clock_ahead(offset_s):
        ahead = [b.acquire(user, "t") for _ in range(capacity)]
    return {"drained": drained, "ahead": ahead}
