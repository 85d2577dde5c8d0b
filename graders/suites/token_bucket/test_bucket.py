"""Hidden tests of the in-memory TokenBucket: exact arithmetic on an injected ManualClock,
compared with an exact Fraction oracle (conftest.OracleBucket), and thread safety."""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.clocks import ManualClock

DRIFT_HINT = (
    "Token counts must be exact: a running float sum of elapsed * rate rounds a little at "
    "every call, and over a long run the bucket admits at the wrong instants."
)


def _origin(rng):
    """A large, exact clock origin (about 10^6 s), where floats have lost their low bits."""
    return float(10**6 + Fraction(int(rng.integers(0, 2**20)), 1024))


@pytest.mark.rules("R1", "R2")
def test_burst_then_steady_rate(sol, tk, rng):
    """A full bucket grants exactly `capacity` back-to-back requests, then exactly one more
    per 1/rate seconds."""
    capacity = int(rng.integers(3, 40))
    per_token_ticks = int(rng.integers(2, 200))  # 1/rate = per_token_ticks / 1024 s
    rate = 1 / (per_token_ticks * tk.TICK)
    clock = ManualClock(_origin(rng))
    bucket = sol.TokenBucket(capacity, rate, clock)
    call = f"TokenBucket({capacity}, Fraction({rate}), clock)"
    burst = [bucket.try_acquire() for _ in range(capacity + 5)]
    assert burst == [True] * capacity + [False] * 5, (
        f"{call}: {capacity + 5} back-to-back acquires gave {burst.count(True)} grants, "
        f"expected exactly {capacity} (R1: the bucket starts full)"
    )
    for k in range(20):
        clock.advance(float((per_token_ticks - 1) * tk.TICK))
        early = bucket.try_acquire()
        clock.advance(float(tk.TICK))
        on_time = bucket.try_acquire()
        again = bucket.try_acquire()
        assert (early, on_time, again) == (False, True, False), (
            f"{call}: token #{k + 1} after the burst: acquire 1 tick early / exactly at 1/rate "
            f"/ right after gave {(early, on_time, again)}, expected (False, True, False) "
            f"(R1, R2: a token every 1/rate s, granted when the bucket holds >= 1)"
        )


@pytest.mark.rules("R4")
def test_fractional_refill_is_kept(sol, inside, tk, rng):
    """Partial tokens accumulate across calls made less than a millisecond apart: with a rate
    of 1/q token/s, a token is granted exactly when the exact sum reaches 1, and tokens() is
    exact after every step."""
    q = int(rng.choice([2, 3, 5]))
    per_s = 2048  # steps of 1/2048 s (0.49 ms), each adding 1/(2048 q) token
    got = inside(sol).fractional_refill(q, _origin(rng), per_s)
    call = f"TokenBucket(1, Fraction(1, {q})) emptied, then advanced in steps of 1/{per_s} s"
    assert got["first"] is True, f"{call}: the first acquire of a full bucket was refused"
    for i, tokens in got["readings"]:
        want = Fraction(i, per_s * q)
        if tokens != want:
            raise AssertionError(
                f"{call}: after {i} steps tokens() returned {tokens!r}, {want!r} expected; "
                f"R4: every fraction of a second (and of a token) must be kept. {DRIFT_HINT}"
            )
    early = [i + 1 for i, g in enumerate(got["grants"]) if g]
    assert not early, (
        f"{call}: acquire after step {early[0]} was granted with only "
        f"{Fraction(early[0], per_s * q)} token (R1: granted only when the bucket holds >= n)"
    )
    assert got["final"] is True, (
        f"{call}: after {q} s (exactly one token) acquire was refused; R4: the partial refills "
        f"were lost"
    )
    assert got["final_tokens"] == 0, f"{call}: tokens() = {got['final_tokens']!r} at the end"


@pytest.mark.rules("R4", "R5")
def test_long_run_exact_no_drift(sol, inside, tk, rng):
    """10^5 refills at a large clock origin with a rate like 2/7 token/s: every grant happens
    at exactly the tick the exact token count reaches 1, and tokens() is exact at the end."""
    p, q = [(1, 3), (2, 7), (5, 12), (3, 11), (4, 13), (7, 10)][int(rng.integers(6))]
    m = int(rng.integers(1, 3))  # each step is m ticks of 1/1024 s
    capacity = int(rng.integers(1, 4))
    steps = 100_000
    got = inside(sol).long_run(capacity, p, q, float(m * tk.TICK), _origin(rng), steps)
    # the oracle in integers: tokens in units of 1 / (q * 1024)
    unit = q * 1024
    level, full, inc = capacity * unit, capacity * unit, p * m
    call = f"TokenBucket({capacity}, Fraction({p}, {q})) on a clock at ~1e6 s stepping {m}/1024 s"
    grants = got["grants"]
    assert len(grants) == steps
    for i in range(steps):
        level = min(full, level + inc)
        want = level >= unit
        if want:
            level -= unit
        if grants[i] != want:
            raise AssertionError(
                f"{call}: at step {i} (after {i + 1} refills) acquire returned {grants[i]}, "
                f"the exact token count ({Fraction(level + (unit if want else 0), unit)}) "
                f"gives {want}. R4: {DRIFT_HINT}"
            )
    assert got["tokens"] == Fraction(level, unit), (
        f"{call}: after {steps} refills tokens() is {got['tokens']!r}, exactly "
        f"{Fraction(level, unit)!r} expected. R4: {DRIFT_HINT}"
    )


@pytest.mark.rules("R1", "R2", "R4")
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_trace_matches_exact_oracle(sol, tk, data):
    """Property: any sequence of exact clock advances and multi-token requests gives the same
    grants and token counts as the exact Fraction oracle."""
    capacity = data.draw(st.integers(1, 20), label="capacity")
    num = data.draw(st.integers(1, 50), label="rate numerator")
    den = data.draw(st.sampled_from([1, 2, 3, 7, 10, 1024]), label="rate denominator")
    rate = Fraction(num, den)
    clock = ManualClock(float(data.draw(st.integers(0, 2**30), label="origin") * tk.TICK))
    bucket = sol.TokenBucket(capacity, rate, clock)
    oracle = tk.OracleBucket(capacity, rate, clock())
    ops = data.draw(
        st.lists(st.tuples(st.integers(0, 3000), st.integers(1, capacity)), max_size=40),
        label="(advance ticks, n)",
    )
    for ticks, n in ops:
        clock.advance(float(ticks * tk.TICK))
        want = oracle.try_acquire(clock(), n)
        got = bucket.try_acquire(n)
        assert got == want, (
            f"TokenBucket({capacity}, {rate}): acquire({n}) returned {got}, the exact bucket "
            f"gives {want} (R1, R2, R4)"
        )
        assert bucket.tokens() == oracle.level, (
            f"TokenBucket({capacity}, {rate}): tokens() = {bucket.tokens()!r}, not the exact "
            f"count (R2, R4)"
        )


@pytest.mark.rules("R5")
def test_int_float_and_fraction_rates(sol, rng):
    """refill_rate may be an int, a float or a Fraction; its exact value is the rate."""
    for rate in (3, 0.75, Fraction(3, 4), 0.1):
        clock = ManualClock(100.0)
        bucket = sol.TokenBucket(10, rate, clock)
        for _ in range(10):
            bucket.try_acquire()
        clock.advance(2.5)
        want = min(Fraction(10), Fraction(rate) * Fraction(2.5))
        got = bucket.tokens()
        assert isinstance(got, Fraction) and got == want, (
            f"TokenBucket(10, {rate!r}): 2.5 s after emptying, tokens() = {got!r}; the exact "
            f"value differs (R5: the rate is exactly Fraction({rate!r}))"
        )


@pytest.mark.rules("R2", "R3")
def test_never_above_capacity_and_clock_going_back(sol):
    """Refill stops at capacity, and a clock reading earlier than the last one refills
    nothing."""
    clock = ManualClock(50.0)
    bucket = sol.TokenBucket(5, 2, clock)
    clock.advance(1000.0)
    assert bucket.tokens() == 5, (
        f"TokenBucket(5, 2): after a long idle time tokens() = {bucket.tokens()!r}, not 5 (R2: "
        f"never above capacity)"
    )
    for _ in range(5):
        assert bucket.try_acquire()

    class SetClock:
        t = 60.0

        def __call__(self):
            return self.t

    jumpy = SetClock()
    b2 = sol.TokenBucket(4, 1, jumpy)  # full at t=60
    got = []
    for t, n in ((58.0, 2), (59.0, 2), (60.5, 1)):
        jumpy.t = t
        got.append(b2.try_acquire(n))
    assert got == [True, True, False], (
        f"TokenBucket(4, 1) full at t=60, then acquire(2) at t=58, acquire(2) at t=59, "
        f"acquire(1) at t=60.5 gave {got}; expected [True, True, False]: R3, a reading earlier "
        f"than the last one refills nothing and does not move the refill point back"
    )


@pytest.mark.rules("R7")
@pytest.mark.parametrize(
    ("capacity", "rate"),
    [(0, 1), (-1, 1), (2.0, 1), (True, 1), (5, 0), (5, -1), (5, float("inf")), (5, float("nan"))],
    ids=["cap0", "capneg", "capfloat", "capbool", "rate0", "rateneg", "rateinf", "ratenan"],
)
def test_bad_construction_raises(sol, capacity, rate):
    """capacity must be an int >= 1 and refill_rate a finite number > 0 (ValueError)."""
    with pytest.raises(ValueError):
        sol.TokenBucket(capacity, rate, ManualClock())
        pytest.fail(f"TokenBucket({capacity!r}, {rate!r}) did not raise ValueError (R7)")


@pytest.mark.rules("R7")
def test_bad_n_raises(sol):
    """try_acquire(n) raises ValueError for n < 1, a non-int n, and n > capacity."""
    bucket = sol.TokenBucket(5, 1, ManualClock())
    for n in (0, -2, 6, 1.0, True):
        with pytest.raises(ValueError):
            bucket.try_acquire(n)
            pytest.fail(f"try_acquire({n!r}) on a capacity-5 bucket did not raise ValueError (R7)")
    assert bucket.try_acquire(5) is True


@pytest.mark.rules("R6")
def test_threads_never_exceed_capacity_plus_rate(sol, inside, tk, rng):
    """8 threads hammer one bucket (its clock moves at every reading): in total they get
    exactly capacity + floor(rate * elapsed) tokens (never more: no double spend; never
    fewer)."""
    rate = Fraction(int(rng.integers(20, 81)))
    n_threads, attempts = 8, 10_000
    step_ticks = int(rng.integers(1, 4))
    # more capacity than the whole run refills, so the cap never binds after the drain
    capacity = int(rate * n_threads * attempts * 4 * step_ticks * tk.TICK) + 10
    start = float(int(rng.integers(0, 2**20)) * tk.TICK)
    got = inside(sol).threads_total(
        capacity, rate, start, float(step_ticks * tk.TICK), n_threads, attempts
    )
    assert not got["hung"], f"{n_threads} threads calling try_acquire did not finish in 60 s"
    elapsed = Fraction(got["final"]) - Fraction(got["t0"])
    expected = capacity + int(rate * elapsed)
    total = got["before"] + sum(got["counts"]) + got["after"]
    assert total == expected, (
        f"TokenBucket({capacity}, {rate}) shared by {n_threads} threads over "
        f"{float(elapsed):.4f} s of its clock: {total} grants in total, exactly capacity + "
        f"floor(rate * elapsed) = {expected} expected (R6)"
        + (
            " (more: two threads spent the same tokens or refilled the same interval twice)"
            if total > expected
            else " (fewer: a refill or a grant was lost between threads)"
        )
    )
