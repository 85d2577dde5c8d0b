"""Hidden tests of SlidingWindowLimiter against the exact oracle conftest.OracleWindow, on a
ManualClock moved by exact dyadic steps."""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.clocks import ManualClock


@pytest.mark.rules("R8")
def test_no_double_burst_at_window_boundary(sol, tk, rng):
    """`limit` requests just before a window boundary and `limit` just after: the sliding
    estimate still counts the first burst, so almost nothing of the second is admitted."""
    limit = int(rng.integers(5, 50))
    window_ticks = int(rng.integers(512, 4096))
    window = window_ticks * tk.TICK
    k = int(rng.integers(10, 1000))
    before = int(rng.integers(1, 4))  # ticks before the boundary
    clock = ManualClock(float(k * window - before * tk.TICK))
    limiter = sol.SlidingWindowLimiter(limit, window, clock)
    oracle = tk.OracleWindow(limit, window)
    first = [limiter.try_acquire() for _ in range(limit)]
    assert all(first), f"the first {limit} requests of an empty limiter were not all admitted"
    for _ in range(limit):
        oracle.try_acquire(clock())
    clock.advance(float(2 * before * tk.TICK))
    second = sum(limiter.try_acquire() for _ in range(limit))
    want = sum(oracle.try_acquire(clock()) for _ in range(limit))
    assert second == want, (
        f"SlidingWindowLimiter({limit}, {float(window)} s): {limit} requests {before} tick(s) "
        f"before a window boundary, then {limit} requests {before} tick(s) after it: the second "
        f"burst got {second} admitted, the sliding estimate prev * (1 - f) + current allows "
        f"{want} (R8). A fixed-window counter resets at the boundary and lets 2x limit "
        f"through in an instant."
    )


@pytest.mark.rules("R9")
def test_previous_window_forgotten_after_idle(sol, tk, rng):
    """After a full window and then a whole window (or more) without traffic, the limiter
    admits a full `limit` again; one window later it still counts part of the old burst."""
    limit = int(rng.integers(4, 40))
    window = int(rng.integers(512, 4096)) * tk.TICK
    k = int(rng.integers(10, 1000))
    clock = ManualClock(float(k * window + tk.TICK))
    limiter = sol.SlidingWindowLimiter(limit, window, clock)
    assert sum(limiter.try_acquire() for _ in range(limit)) == limit
    # two windows later, a quarter in: windows k+1 (empty) and k+2
    clock.advance(float(2 * window + window / 4))
    got = sum(limiter.try_acquire() for _ in range(limit))
    assert got == limit, (
        f"SlidingWindowLimiter({limit}, {float(window)} s): a full window, then a whole empty "
        f"window, then {limit} requests: {got} admitted, expected {limit}. R9: the previous "
        f"window saw no call, so its count is 0"
    )
    # one window later, half-way: previous window k+2 had `limit` units
    clock.advance(float(window))
    got = sum(limiter.try_acquire() for _ in range(limit))
    # estimate = limit * (1 - 1/4)... at position k+3 + 1/4 + TICK/window
    oracle = tk.OracleWindow(limit, window)
    base = k * window + tk.TICK
    for _ in range(limit):
        oracle.try_acquire(base)
    for _ in range(limit):
        oracle.try_acquire(base + 2 * window + window / 4)
    want = sum(oracle.try_acquire(base + 3 * window + window / 4) for _ in range(limit))
    assert got == want, (
        f"SlidingWindowLimiter({limit}, {float(window)} s): one window after a full window, a "
        f"quarter in, {got} of {limit} requests were admitted; the estimate allows {want} (R8)"
    )


@pytest.mark.rules("R8", "R9", "R10")
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_trace_matches_exact_oracle(sol, tk, data):
    """Property: any trace of exact clock advances and requests of n units gives the same
    admissions as the sliding-window definition computed in Fractions."""
    limit = data.draw(st.integers(1, 30), label="limit")
    window_ticks = data.draw(st.integers(64, 4096), label="window ticks")
    window = window_ticks * tk.TICK
    clock = ManualClock(float(data.draw(st.integers(0, 2**30), label="origin") * tk.TICK))
    limiter = sol.SlidingWindowLimiter(limit, window, clock)
    oracle = tk.OracleWindow(limit, window)
    ops = data.draw(
        st.lists(st.tuples(st.integers(0, 3 * window_ticks), st.integers(1, limit)), max_size=60),
        label="(advance ticks, n)",
    )
    for i, (ticks, n) in enumerate(ops):
        clock.advance(float(ticks * tk.TICK))
        want = oracle.try_acquire(clock(), n)
        got = limiter.try_acquire(n)
        assert got == want, (
            f"SlidingWindowLimiter({limit}, {float(window)} s): request #{i} (n={n}) at "
            f"t={clock()} returned {got}; the sliding-window estimate gives {want} (R8-R10)"
        )


@pytest.mark.rules("R10")
def test_window_accepts_exact_boundary(sol, tk):
    """`estimate + n <= limit` is inclusive: exactly `limit` units fit in an empty window,
    and a Fraction window length is used exactly."""
    clock = ManualClock(0.0)
    limiter = sol.SlidingWindowLimiter(6, Fraction(1, 3), clock)
    assert limiter.try_acquire(6) is True, "R10: 6 units fit in an empty window of limit 6"
    assert limiter.try_acquire(1) is False, "R10: a 7th unit was admitted in a window of limit 6"
    clock.advance(0.5)  # 1.5 windows later: window 1, half-way; previous (0) had 6
    assert limiter.try_acquire(3) is True, "R10: 6 * (1 - 1/2) + 0 + 3 = 6 <= 6 must be admitted"
    assert limiter.try_acquire(1) is False, "R10: a unit was admitted over the limit"


@pytest.mark.rules("R11")
def test_window_thread_safe(sol, inside, tk, rng):
    """8 threads share a fresh limiter inside one window, 300 times over: exactly `limit`
    units are admitted each time."""
    limit = int(rng.integers(15, 30))
    origin = float(int(rng.integers(10, 1000)) * 64 + tk.TICK)
    totals = inside(sol).window_threads(limit, 64, origin, 8, limit // 4 + 1, 300)
    over = [t for t in totals if t != limit]
    assert not over, (
        f"SlidingWindowLimiter({limit}, 64 s) shared by 8 threads within one window admitted "
        f"{over[0]} units in total, exactly {limit} expected ({len(over)} of {len(totals)} "
        f"rounds wrong; R11: thread-safe)"
    )


@pytest.mark.rules("R7")
@pytest.mark.parametrize(
    ("limit", "window"),
    [(0, 1), (2.5, 1), (True, 1), (5, 0), (5, -1), (5, float("inf")), (5, float("nan"))],
    ids=["limit0", "limitfloat", "limitbool", "win0", "winneg", "wininf", "winnan"],
)
def test_window_bad_arguments(sol, limit, window):
    """limit must be an int >= 1 and window_s a finite number > 0 (ValueError)."""
    with pytest.raises(ValueError):
        sol.SlidingWindowLimiter(limit, window, ManualClock())
        pytest.fail(f"SlidingWindowLimiter({limit!r}, {window!r}) did not raise ValueError (R7)")
    limiter = sol.SlidingWindowLimiter(3, 1, ManualClock())
    for n in (0, 4, 1.0):
        with pytest.raises(ValueError):
            limiter.try_acquire(n)
            pytest.fail(f"try_acquire({n!r}) with limit 3 did not raise ValueError (R7)")
