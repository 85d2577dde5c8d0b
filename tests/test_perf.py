"""The timing methodology (graders.perf) tells ratios apart while another core is busy."""

import math
import time

import pytest

import graders.perf as perf_module
from graders.perf import (
    CpuClock,
    Inconclusive,
    Perf,
    _clear_of,
    gate,
    measure_ratio,
    median_interval,
)


def work(n: int) -> int:
    """Pure-Python work proportional to n (about 1 ms for n = 20 000).

    Every step costs the same: the operands stay below 2**30, one CPython int digit. (An
    earlier ``acc + i * i`` was not linear: past i = 32 768, i * i takes two digits, and
    work(60 000) measured 3.2-3.5x work(20 000), not 3x.)"""
    acc = 0
    for _ in range(n):
        acc = (acc * 31 + 7) % 1_000_003
    return acc


def no_args() -> tuple:
    return ()


def settles(measure, low: float, high: float, tries: int = 3):
    """The first of up to ``tries`` measurements whose ratio lies in [low, high] (the last one
    otherwise): a busy machine may disturb one measurement, as it may a gate's, which is why a
    gate measures twice before it fails."""
    m = None
    for _ in range(tries):
        m = measure()
        if low <= m.ratio <= high:
            break
    return m


@pytest.mark.load
@pytest.mark.parametrize("attempt", range(3))
def test_tells_3x_slower_from_equal_under_load(busy_core, attempt):
    """With the other core busy: a 3x slower function fails a 2x gate (confirmed by a second
    measurement) and an equal one passes a 1.3x gate; measured to full precision (no early
    stop), the ratios come out within 2.5x-3.5x and within 15% of 1."""
    slow = gate(lambda: work(60_000), no_args, lambda: work(20_000), no_args, bound=2.0, what="3x")
    assert not slow.passed and slow.confirmed
    equal = gate(lambda: work(20_000), no_args, lambda: work(20_000), no_args, bound=1.3, what="1x")
    assert equal.passed
    precise = {"margin": math.inf}
    three = settles(lambda: measure_ratio(lambda: work(60_000), no_args, lambda: work(20_000),
                                          no_args, **precise), 2.4, 3.75)  # fmt: skip
    assert 2.4 <= three.ratio <= 3.75, three
    one = settles(lambda: measure_ratio(lambda: work(20_000), no_args, lambda: work(20_000),
                                        no_args, **precise), 0.8, 1.25)  # fmt: skip
    assert 0.8 <= one.ratio <= 1.25, one


def test_scaling_separates_constant_from_linear():
    """Time at 16n over time at n: about 16 for an O(n) function, about 1 for an O(1) one."""
    linear = settles(lambda: measure_ratio(lambda n: work(n), lambda: (32_000,),
                                           lambda n: work(n), lambda: (2_000,)), 11, 22)  # fmt: skip
    assert 11 <= linear.ratio <= 22, linear
    constant = settles(lambda: measure_ratio(lambda n: work(2_000), lambda: (32_000,),
                                             lambda n: work(2_000), lambda: (2_000,)), 0.75, 1.33)  # fmt: skip
    assert 0.75 <= constant.ratio <= 1.33, constant


def test_rounds_last_at_least_10ms_and_inputs_are_fresh():
    """Each round's block of calls lasts >= 10 ms, and every timed call gets new inputs."""
    made = []

    def make():
        made.append(object())
        return (made[-1],)

    seen = []
    m = measure_ratio(lambda x: (seen.append(x), work(500)), make, lambda x: work(500), make)
    assert m.shortest_block_s >= CpuClock.min_round_s == 0.010, m
    assert len(seen) == len({id(x) for x in seen}), "an input object was timed twice"
    assert m.rounds >= 3


def test_a_round_shorter_than_10ms_is_set_aside_and_resized(monkeypatch):
    """Sized far too small (one call a block), the first round comes out short: it does not
    count, the blocks grow, and every counted round lasts >= 10 ms."""
    monkeypatch.setattr(perf_module, "_reps", lambda *args, **kwargs: 1)
    m = measure_ratio(lambda: work(500), no_args, lambda: work(500), no_args)
    assert m.resized >= 1 and m.reps_a > 1 and m.reps_b > 1, m
    assert m.shortest_block_s >= CpuClock.min_round_s, m


def test_hopelessly_slow_fails_without_rounds():
    """Each call of a far beyond the bound: judged from two warm-up calls, quickly."""
    start = time.monotonic()
    result = gate(lambda: time.sleep(0.3), no_args, lambda: None, no_args, bound=2.0, what="sleep")
    assert not result.passed and result.confirmed and result.measurements[0].decisive
    assert time.monotonic() - start < 15


def test_fewer_than_three_rounds_is_inconclusive():
    """The helper refuses to judge on fewer than 3 rounds."""
    with pytest.raises(Inconclusive):
        measure_ratio(lambda: work(100), no_args, lambda: work(100), no_args, max_rounds=2)


def test_perf_fixture_checks_results_before_timing():
    """A wrong answer fails the gate's check before anything is timed; the figures are
    recorded for the result."""
    recorded = {}
    perf = Perf("cpu", record=lambda k, v: recorded.__setitem__(k, v))

    def check(got, want, args):
        assert got == want, f"got {got}, want {want}"

    with pytest.raises(AssertionError, match="got 1, want 2"):
        perf.compare(lambda: 1, lambda: 2, no_args, bound=5, what="wrong", check=check)
    assert recorded == {}
    perf.compare(lambda: work(2000), lambda: work(2000), no_args, bound=3, what="same")
    assert recorded["perf"]["bound"] == 3 and 0.5 < recorded["perf"]["ratio"] < 2
    with pytest.raises(AssertionError, match=r"^slow: ratio .*\. trap explained$"):
        perf.compare(lambda: work(20_000), lambda: work(1_000), no_args, bound=2, what="slow",
                     hint="trap explained")  # fmt: skip


def test_median_interval_matches_the_binomial_order_statistics():
    """[x_(k), x_(n+1-k)] with the largest k whose coverage 1 - 2 P(Binomial(n, 1/2) < k)
    is at least 15/16 (scipy.stats.binom as the oracle); k = 1 when no k reaches it."""
    from scipy.stats import binom

    for n in range(1, 41):
        values = [float(v) for v in range(n, 0, -1)]  # unsorted on purpose
        k = 1
        while k + 1 <= (n + 1) // 2 and 1 - 2 * binom.cdf(k, n, 0.5) >= 0.9375:
            k += 1
        assert median_interval(values) == (k, n + 1 - k), n
    with pytest.raises(ValueError, match="at least one"):
        median_interval([])
    with pytest.raises(ValueError, match="confidence"):
        median_interval([1.0], confidence=1.0)


def test_clear_of_tolerates_one_disturbed_round_but_not_a_borderline_median():
    """Nine rounds near 1.0 with one disturbed round at 1.8 are clear of a 1.5 bound; rounds
    whose median sits near the bound are not, on either side."""
    calm = [0.95, 1.0, 1.02, 0.98, 1.05, 1.8, 0.97, 1.01, 0.99]
    assert _clear_of(calm, 1.5, 1.1, 0.9375)
    assert not _clear_of(calm[:5] + [1.8], 1.5, 1.1, 0.9375)  # 6 rounds: min and max both count
    near = [1.4, 1.45, 1.5, 1.55, 1.6, 1.42, 1.58, 1.5, 1.47]
    assert not _clear_of(near, 1.5, 1.1, 0.9375)
    slow = [3.0, 3.1, 2.9, 3.2, 0.9, 3.05, 2.95, 3.0, 3.1]
    assert _clear_of(slow, 1.5, 1.1, 0.9375)
    assert not _clear_of(calm, math.inf, 1.1, 0.9375)
