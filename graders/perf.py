"""Performance gates as same-process ratios (KATA_SPEC section 3).

Absolute times mean nothing on shared machines, so every gate is a ratio of two functions timed
in one process, interleaved:

1. **Warm-up**, time-based: both functions are called alternately for at least ``warmup_s``
   (and at least twice each); the warm-up calls also size the rounds.
2. **Rounds**: each round times ``reps_a`` calls of ``a`` and ``reps_b`` calls of ``b``, the
   repetitions chosen so each side's block lasts at least ``min_round_s`` (10 ms on CPU,
   1 ms on CUDA): a first guess from the warm-up calls is checked by timing whole blocks
   (as :meth:`timeit.Timer.autorange` does) and resized for ``ROUND_HEADROOM`` x
   ``min_round_s``, since single warm-up calls run slower than calls in a warm block. A round
   whose block still comes out shorter than ``min_round_s`` is set aside and the block resized.
   The order alternates (A B, then B A) to cancel drift. Inputs are made fresh
   for every call by ``make_args``, outside the timed region, so nothing can be cached across
   calls; the garbage collector is off inside a round.
3. **Stopping**: the ratio of a round is mean-call-time(a) / mean-call-time(b); measurement stops
   when at least ``min_rounds`` ratios have an IQR/median spread under ``target_spread``, or
   when the distribution-free confidence interval of their median (order statistics, at least
   ``confidence``; Hollander & Wolfe, *Nonparametric Statistical Methods*, 3.6) lies wholly
   ``margin`` times clear of the bound on one side (more rounds would not change the verdict),
   or the time budget is spent; fewer than 3 rounds is :class:`Inconclusive`, never a verdict.
   The interval tolerates the odd round disturbed by other work on the machine (a cohort
   grading two submissions at once), where a rule asking every round to be clear would go on
   measuring to the cap.
4. **Verdict**: the median of the round ratios against the bound. A gate fails only when a
   second, independent measurement (new warm-up, new sizing) confirms it. A function so slow
   that each of its calls exceeds the whole bound many times over (every warm-up call over
   ``decisive_s`` and ``decisive_factor`` x bound x the slowest baseline call) fails without
   rounds: two such calls are two independent confirmations.

**Across the sandbox.** Candidate code runs in a sandboxed process (:mod:`graders.sandbox`),
never in the process that times it. :class:`CpuClock` times a call into a sandbox with the
judge's own clock, from the moment the arguments (already shipped and decoded on the other
side) are released until the reply's header arrives: only the other side's work is timed, never
the transfer of inputs, and a reply announces a digest of its value, so a result cannot be
reported before it exists (see :mod:`graders.bridge.endpoint`). While one side's block is timed,
every sandbox the other side uses is frozen (SIGSTOP), so a submission cannot slow the baseline
down with background work. For every candidate block, one call chosen at random has its output
checked in full (``check``), against the baseline's output on the same input.

On CUDA the sandbox synchronizes the device before it replies, and copying the result back is
part of the timed call on both sides.

Scaling checks (time at a large size against a small size, KATA_SPEC "complexity by scaling")
are the same measurement with the same function and two input makers.

Sources: the interleaving and median-of-ratios design follows the practice of pyperf and
Google Benchmark's repetitions; CUDA timing with events and an L2 flush follows NVIDIA's
"How to Implement Performance Metrics in CUDA C/C++" and Triton's ``do_bench``.
"""

from __future__ import annotations

import contextlib
import gc
import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

ArgsMaker = Callable[[], tuple]


class Inconclusive(RuntimeError):
    """Fewer than 3 rounds could be measured in the budget: no verdict either way."""


@dataclass(frozen=True)
class Measurement:
    """One interleaved measurement of time(a) / time(b)."""

    ratio: float  # median of the per-round ratios
    spread: float  # IQR / median of the per-round ratios
    rounds: int
    reps_a: int
    reps_b: int
    call_a_s: float  # median per-call time of a over the rounds
    call_b_s: float
    decisive: bool = False  # judged from warm-up calls alone (a hopelessly slow a)
    shortest_block_s: float = 0.0  # the shortest block of calls timed in a counted round
    resized: int = 0  # rounds set aside because a block came out under min_round_s


@dataclass(frozen=True)
class GateResult:
    """A gate's verdict and the measurements behind it."""

    passed: bool
    ratio: float
    bound: float
    what: str
    measurements: tuple[Measurement, ...]

    @property
    def confirmed(self) -> bool:
        """True when the verdict rests on two measurements (or a decisive one)."""
        return len(self.measurements) > 1 or self.measurements[0].decisive

    def describe(self) -> str:
        """One sentence for a failure message: what was timed, the ratio, the bound."""
        m = self.measurements[-1]
        detail = (
            "every call far beyond the bound"
            if m.decisive
            else f"median of {m.rounds} interleaved rounds, spread {m.spread:.0%}"
        )
        again = (
            f"; a second measurement gave {self.measurements[0].ratio:.2f}x"
            if len(self.measurements) > 1
            else ""
        )
        return (
            f"{self.what}: ratio {self.ratio:.2f}x, bound {self.bound:.2f}x ({detail}{again}; "
            f"{m.call_a_s * 1e3:.3f} ms vs {m.call_b_s * 1e3:.3f} ms per call)"
        )

    def as_record(self) -> dict[str, Any]:
        """The dict stored as the test's ``perf`` property (see :class:`graders.result.PerfFigure`)."""
        m = self.measurements[-1]
        return {
            "ratio": round(self.ratio, 4),
            "bound": self.bound,
            "what": self.what,
            "rounds": m.rounds,
            "spread": round(m.spread, 4),
            "confirmed": self.confirmed,
            "measurements": [asdict(x) for x in self.measurements],
        }


class CpuClock:
    """The judge's clock: the time a call spends on the other side of the channel.

    A call of ``fn`` that makes calls into sandboxes is timed as the sum of those calls' timed
    intervals (:func:`graders.bridge.endpoint.timing`); a purely local ``fn`` is timed with
    :func:`time.perf_counter`. :attr:`last_endpoints` holds the channels the last call used.
    """

    min_round_s = 0.010

    def __init__(self) -> None:
        self.last_endpoints: frozenset = frozenset()
        self.last_output: Any = None

    def time_call(self, fn: Callable, args: tuple) -> float:
        from .bridge.endpoint import timing

        with timing() as scope:
            start = time.perf_counter()
            self.last_output = fn(*args)
            wall = time.perf_counter() - start
        self.last_endpoints = frozenset(scope.endpoints)
        return scope.elapsed if scope.calls else wall


class CudaClock(CpuClock):
    """The judge's clock for calls into a sandbox that computes on CUDA: the sandbox
    synchronizes the device before it replies, and the result's copy to the host is part of
    the call; rounds are sized for 1 ms."""

    min_round_s = 0.001


def _spread(values: list[float]) -> float:
    if len(values) < 4:
        return math.inf
    q1, _, q3 = statistics.quantiles(values, n=4)
    med = statistics.median(values)
    return (q3 - q1) / med if med > 0 else math.inf


def median_interval(values: list[float], confidence: float = 0.9375) -> tuple[float, float]:
    """Distribution-free confidence interval of the median of ``values``.

    The interval is [x_(k), x_(n+1-k)] of the sorted values, with the largest k for which
    2 * P(Binomial(n, 1/2) < k) <= 1 - ``confidence`` (Hollander & Wolfe, *Nonparametric
    Statistical Methods*, section 3.6). With the default, 5 values give [min, max] (coverage
    15/16), 9 values drop one value at each end, 12 values two.

    Raises:
        ValueError: no values, or ``confidence`` outside (0, 1).
    """
    if not values:
        raise ValueError("median_interval needs at least one value")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    xs = sorted(values)
    n = len(xs)
    k, tail = 1, 1 / 2**n  # tail: P(Binomial(n, 1/2) < k + 1), the miss of order k + 1
    while k < (n + 1) // 2:
        tail += math.comb(n, k) / 2**n
        if 2 * tail > 1 - confidence:
            break
        k += 1
    return xs[k - 1], xs[n - k]


def _clear_of(ratios: list[float], bound: float, margin: float, confidence: float) -> bool:
    """The median's confidence interval lies ``margin`` times below, or above, the bound."""
    if not math.isfinite(bound):
        return False
    low, high = median_interval(ratios, confidence)
    return high * margin <= bound or low >= bound * margin


def _block(clock, fn: Callable, make: ArgsMaker, reps: int, keep: int = -1) -> float:
    """Mean time of ``reps`` calls on fresh inputs; the inputs and output of call ``keep`` are
    left in ``clock.kept``."""
    total = 0.0
    for i in range(reps):
        args = make()
        total += clock.time_call(fn, args)
        if i == keep:
            clock.kept = (args, clock.last_output)
        clock.last_output = None
    return total / reps


ROUND_HEADROOM = 1.2  # blocks are sized for 1.2 x min_round_s, so drift keeps them >= it


def _reps_for(clock, per_call_s: float, max_reps: int) -> int:
    """Calls of ``per_call_s`` seconds that fill ``ROUND_HEADROOM`` x ``clock.min_round_s``."""
    target = ROUND_HEADROOM * clock.min_round_s
    return min(max_reps, max(1, math.ceil(target / max(per_call_s, 1e-12))))


def _reps(clock, fn: Callable, make: ArgsMaker, estimate_s: float, max_reps: int) -> int:
    """Calls per block so that a block lasts >= ``clock.min_round_s``.

    ``estimate_s`` (seconds per call, from single warm-up calls) gives a first guess; unless one
    call already lasts twice the round, two blocks of that size are timed and the count resized
    from the faster one's mean call time, with ``ROUND_HEADROOM``.
    """
    reps = _reps_for(clock, estimate_s, max_reps)
    if estimate_s >= 2 * clock.min_round_s:
        return reps
    gc.collect()
    gc.disable()  # as in the rounds
    try:  # the faster of two blocks: a disturbance only ever slows one down
        per_call = min(_block(clock, fn, make, reps) for _ in range(2))
    finally:
        gc.enable()
    return _reps_for(clock, per_call, max_reps)


def measure_ratio(
    a: Callable,
    make_a: ArgsMaker,
    b: Callable,
    make_b: ArgsMaker,
    *,
    bound: float = math.inf,
    clock: CpuClock | CudaClock | None = None,
    warmup_s: float = 0.2,
    min_rounds: int = 5,
    max_rounds: int = 25,
    target_spread: float = 0.10,
    budget_s: float = 10.0,
    decisive_s: float = 0.25,
    decisive_factor: float = 20.0,
    margin: float = 1.1,
    confidence: float = 0.9375,
    max_reps: int = 100_000,
    around: Callable[[str], Any] | None = None,
    check_a: Callable[[tuple, Any], None] | None = None,
    rng: random.Random | None = None,
) -> Measurement:
    """Measure median time(a(*make_a())) / time(b(*make_b())) with the protocol above.

    ``around(side)`` (``"a"`` or ``"b"``) returns a context manager entered around every block
    of that side (the sandbox freezing of :class:`Perf`); ``check_a(args, out)`` checks the
    output of one call of every ``a`` block, chosen at random with ``rng``.

    Raises:
        Inconclusive: fewer than 3 rounds fitted in ``budget_s``.
        AssertionError: ``check_a`` rejected an output.
    """
    clock = clock or CpuClock()
    rng = rng or random.Random(0)
    around = around or (lambda side: contextlib.nullcontext())
    t0 = time.monotonic()
    warm_a: list[float] = []
    warm_b: list[float] = []
    while True:
        with around("a"):
            warm_a.append(clock.time_call(a, make_a()))
        with around("b"):
            warm_b.append(clock.time_call(b, make_b()))
        if len(warm_a) >= 2 and time.monotonic() - t0 >= warmup_s:
            break
    slowest_b = max(warm_b)
    if min(warm_a) > decisive_s and min(warm_a) > decisive_factor * bound * slowest_b:
        if check_a is not None:
            args = make_a()
            check_a(args, a(*args))
        ratio = statistics.median(warm_a) / statistics.median(warm_b)
        return Measurement(ratio, 0.0, len(warm_a), 1, 1, statistics.median(warm_a),
                           statistics.median(warm_b), decisive=True)  # fmt: skip
    est_a = statistics.median(warm_a[-3:])
    est_b = statistics.median(warm_b[-3:])
    with around("a"):
        reps_a = _reps(clock, a, make_a, est_a, max_reps)
    with around("b"):
        reps_b = _reps(clock, b, make_b, est_b, max_reps)
    ratios: list[float] = []
    times_a: list[float] = []
    times_b: list[float] = []
    shortest, resized = math.inf, 0
    for rnd in range(max_rounds):
        gc.collect()
        gc.disable()
        keep = rng.randrange(reps_a) if check_a is not None else -1
        clock.kept = None
        try:
            if rnd % 2 == 0:
                with around("a"):
                    ta = _block(clock, a, make_a, reps_a, keep)
                with around("b"):
                    tb = _block(clock, b, make_b, reps_b)
            else:
                with around("b"):
                    tb = _block(clock, b, make_b, reps_b)
                with around("a"):
                    ta = _block(clock, a, make_a, reps_a, keep)
        finally:
            gc.enable()
        if check_a is not None and clock.kept is not None:
            check_a(*clock.kept)
            clock.kept = None
        short_a = reps_a * ta < clock.min_round_s and reps_a < max_reps
        short_b = reps_b * tb < clock.min_round_s and reps_b < max_reps
        if short_a or short_b:  # the calls sped up since sizing: resize, and time it again
            if short_a:
                reps_a = max(reps_a + 1, _reps_for(clock, ta, max_reps))
            if short_b:
                reps_b = max(reps_b + 1, _reps_for(clock, tb, max_reps))
            resized += 1
            continue
        shortest = min(shortest, reps_a * ta, reps_b * tb)
        times_a.append(ta)
        times_b.append(tb)
        ratios.append(ta / tb if tb > 0 else math.inf)
        if len(ratios) >= min_rounds and (
            _spread(ratios) <= target_spread or _clear_of(ratios, bound, margin, confidence)
        ):
            break
        if len(ratios) >= 3 and time.monotonic() - t0 > budget_s:
            break
    if len(ratios) < 3:
        raise Inconclusive(f"only {len(ratios)} rounds fitted in {budget_s} s")
    return Measurement(
        ratio=statistics.median(ratios), spread=_spread(ratios), rounds=len(ratios),
        reps_a=reps_a, reps_b=reps_b, call_a_s=statistics.median(times_a),
        call_b_s=statistics.median(times_b), shortest_block_s=shortest, resized=resized,
    )  # fmt: skip


def gate(
    a: Callable,
    make_a: ArgsMaker,
    b: Callable,
    make_b: ArgsMaker,
    *,
    bound: float,
    what: str,
    clock: CpuClock | CudaClock | None = None,
    **kwargs: Any,
) -> GateResult:
    """time(a) / time(b) <= ``bound``? Fails only when a second measurement agrees."""
    first = measure_ratio(a, make_a, b, make_b, bound=bound, clock=clock, **kwargs)
    if first.ratio <= bound:
        return GateResult(True, first.ratio, bound, what, (first,))
    if first.decisive:
        return GateResult(False, first.ratio, bound, what, (first,))
    second = measure_ratio(a, make_a, b, make_b, bound=bound, clock=clock, **kwargs)
    passed = second.ratio <= bound
    ratio = second.ratio if passed else min(first.ratio, second.ratio)
    return GateResult(passed, ratio, bound, what, (first, second))


class Perf:
    """The ``perf`` fixture of hidden suites: gates that assert, check results and record.

    Args:
        device: ``"cpu"`` or ``"cuda"`` (chooses the clock).
        record: pytest's ``record_property``; the gate's figures are stored as ``perf``.
        sandboxes: returns the running sandboxes (:class:`graders.sandbox.Sandbox`); while one
            side of a gate is timed, every sandbox the other side uses (and that this side does
            not) is frozen.
    """

    def __init__(
        self,
        device: str = "cpu",
        record: Callable[[str, Any], None] | None = None,
        sandboxes: Callable[[], list] | None = None,
    ):
        self.device = device
        self._record = record
        self._sandboxes = sandboxes or (lambda: [])
        self._clock: CpuClock | CudaClock | None = None
        self._sides: dict[str, frozenset] = {}

    def _around(self, side: str):
        """A context manager for one block of ``side``: freeze the sandboxes this side does
        not use (learnt from its calls so far)."""

        @contextlib.contextmanager
        def block():
            mine = self._sides.get(side)
            others = (
                set().union(*(v for k, v in self._sides.items() if k != side))
                if mine is not None
                else set()
            )
            frozen = [
                b for b in self._sandboxes() if b.endpoint in others and b.endpoint not in mine
            ]
            for box in frozen:
                box.freeze()
            try:
                yield
            finally:
                for box in frozen:
                    box.thaw()
                used = self.clock.last_endpoints
                self._sides[side] = self._sides.get(side, frozenset()) | used

        return block()

    @property
    def clock(self) -> CpuClock | CudaClock:
        if self._clock is None:
            self._clock = CudaClock() if self.device == "cuda" else CpuClock()
        return self._clock

    def _finish(self, result: GateResult, hint: str) -> GateResult:
        if self._record is not None:
            self._record("perf", result.as_record())
        if not result.passed:
            raise AssertionError(result.describe() + (f". {hint}" if hint else ""))
        return result

    def compare(
        self,
        candidate: Callable,
        baseline: Callable,
        make_args: ArgsMaker,
        *,
        bound: float,
        what: str,
        check: Callable[[Any, Any, tuple], None] | None = None,
        hint: str = "",
        **kwargs: Any,
    ) -> GateResult:
        """Assert time(candidate) / time(baseline) <= ``bound`` on fresh inputs.

        ``check(candidate_out, baseline_out, args)`` runs first, on one fresh input, so a fast
        wrong answer fails before anything is timed. ``hint`` is appended to a failure message
        (the trap's explanation).
        """
        check_a = None
        if check is not None:
            args = make_args()
            check(candidate(*args), baseline(*args), args)

            def check_a(args: tuple, out: Any) -> None:
                check(out, baseline(*args), args)

        self._sides = {}
        result = gate(candidate, make_args, baseline, make_args, bound=bound, what=what,
                      clock=self.clock, around=self._around, check_a=check_a, **kwargs)  # fmt: skip
        return self._finish(result, hint)

    def scaling(
        self,
        fn: Callable,
        make_small: ArgsMaker,
        make_large: ArgsMaker,
        *,
        bound: float,
        what: str,
        hint: str = "",
        **kwargs: Any,
    ) -> GateResult:
        """Assert time(fn on a large input) / time(fn on a small input) <= ``bound``.

        ``check(args, out)`` (a keyword argument), if given, checks one output of every block
        of the large input.
        """
        check = kwargs.pop("check", None)
        self._sides = {}
        result = gate(fn, make_large, fn, make_small, bound=bound, what=what, clock=self.clock,
                      around=self._around, check_a=check, **kwargs)  # fmt: skip
        return self._finish(result, hint)
