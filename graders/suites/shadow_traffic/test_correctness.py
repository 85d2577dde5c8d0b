"""Hidden correctness tests of shadow_traffic on a virtual event-loop clock: exact latencies,
timeouts, bounds and statistics, whatever the machine's load."""

import asyncio
import logging

import pytest

from graders.virtual_clock_loop import run_virtual


def _router(sol, primary, shadow, **kw):
    kw.setdefault("timeout_s", 1.0)
    kw.setdefault("max_in_flight", 100)
    return sol.ShadowRouter(primary, shadow, **kw)


def test_primary_never_waits_for_shadow(sol, sk, rng):
    """With a shadow 50-200 ms slower, every handle returns exactly when the primary answers,
    with the primary's own response object."""
    n = 30
    p_cost = {i: float(rng.integers(2, 11)) / 1000 for i in range(n)}
    s_cost = {i: p_cost[i] + float(rng.integers(50, 201)) / 1000 for i in range(n)}
    outputs = {i: {"id": i, "score": float(rng.random())} for i in range(n)}
    primary = sk.Scripted(lambda r: (p_cost[r["id"]], outputs[r["id"]]))
    shadow = sk.Scripted(lambda r: (s_cost[r["id"]], {"id": r["id"]}))
    timing = {}

    async def main():
        router = _router(sol, primary, shadow)
        loop = asyncio.get_running_loop()

        async def one(i, delay):
            await asyncio.sleep(delay)
            start = loop.time()
            got = await router.handle({"id": i})
            timing[i] = (loop.time() - start, got)

        await asyncio.gather(*(one(i, float(rng.integers(0, 50)) / 1000) for i in range(n)))
        await router.drain()
        return router.stats

    stats = run_virtual(main, what="30 requests with a slow shadow")
    for i in range(n):
        latency, got = timing[i]
        assert got is outputs[i], (
            f"handle({{'id': {i}}}) returned {got!r}, not the primary's response object"
        )
        assert abs(latency - p_cost[i]) < 1e-6, (
            f"handle took {latency * 1e3:.3f} ms (loop clock) for a primary that answers in "
            f"{p_cost[i] * 1e3:.3f} ms, with a shadow taking {s_cost[i] * 1e3:.0f} ms: the "
            f"caller must never wait for the shadow (start it as a background task and return "
            f"when the primary answers)"
        )
    assert stats.mirrored == n and stats.completed == n, f"stats after drain(): {stats}"


def test_shadow_timeout_cancels_and_counts(sol, sk, rng):
    """A hanging shadow call is cancelled exactly timeout_s after it started and counted in
    timeouts; its slot is freed."""
    timeout = float(rng.integers(10, 100)) / 1000
    n = int(rng.integers(3, 10))
    primary = sk.Scripted(lambda r: (0.002, r))
    shadow = sk.Scripted(lambda r: (sk.HANG, None))

    async def main():
        router = _router(sol, primary, shadow, timeout_s=timeout, max_in_flight=n)
        await asyncio.gather(*(router.handle(i) for i in range(n)))
        await router.drain()
        return router.stats, router.in_flight

    stats, in_flight = run_virtual(main, what="requests with a hanging shadow")
    for call in shadow.calls:
        cancelled = call["cancelled"]
        assert cancelled is not None and abs(cancelled - call["start"] - timeout) < 1e-6, (
            f"a hanging shadow call started at {call['start'] * 1e3:.3f} ms was "
            f"{'never cancelled' if cancelled is None else f'cancelled at {cancelled * 1e3:.3f} ms'}"
            f"; with timeout_s={timeout} it must be cancelled {timeout * 1e3:.0f} ms after it "
            f"started, or hung shadow calls pile up"
        )
    assert stats.timeouts == n and stats.completed == 0 and in_flight == 0, (
        f"after {n} timed-out shadow calls: stats {stats}, in_flight {in_flight}; expected "
        f"timeouts={n}, completed=0, in_flight=0"
    )


def test_shadow_errors_logged_not_raised(sol, sk, rng):
    """A shadow exception never reaches the caller: it is logged on 'shadow_traffic' (WARNING
    or higher, with the exception) and counted in errors."""
    n = 12
    bad = {int(i) for i in rng.choice(n, size=4, replace=False)}
    primary = sk.Scripted(lambda r: (0.003, ("ok", r)))
    shadow = sk.Scripted(
        lambda r: (0.001, sk.ModelError(f"shadow failed on {r}") if r in bad else ("ok", r))
    )
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    log = logging.getLogger("shadow_traffic")
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    outcomes = {}

    async def main():
        router = _router(sol, primary, shadow)

        async def one(i):
            try:
                outcomes[i] = ("ok", await router.handle(i))
            except BaseException as exc:  # noqa: BLE001
                outcomes[i] = ("raised", exc)

        await asyncio.gather(*(one(i) for i in range(n)))
        await router.drain()
        return router.stats

    try:
        stats = run_virtual(main, what="requests with a failing shadow")
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    raised = {i: o for i, o in outcomes.items() if o[0] != "ok" or o[1] != ("ok", i)}
    assert not raised, (
        f"handle() outcomes with a failing shadow: {dict(list(raised.items())[:3])}; the "
        f"primary's response must come back whatever the shadow does"
    )
    assert stats.errors == len(bad), f"stats.errors = {stats.errors}, {len(bad)} shadows raised"
    logged = [
        r for r in records
        if r.levelno >= logging.WARNING and r.exc_info and isinstance(r.exc_info[1], sk.ModelError)
    ]  # fmt: skip
    assert len(logged) >= len(bad), (
        f"{len(bad)} shadow calls raised but {len(logged)} WARNING+ records with the exception "
        f"(exc_info) reached the 'shadow_traffic' logger; log each one (logger.warning(..., "
        f"exc_info=True)), do not let it vanish as an unretrieved task exception"
    )


def test_in_flight_bound_drops_and_counts(sol, sk, rng):
    """With max_in_flight=M and 5M simultaneous requests whose shadows hang, exactly M shadow
    calls run and 4M are dropped; once they time out, new requests are mirrored again."""
    m = int(rng.integers(2, 9))
    timeout = 10.0
    primary = sk.Scripted(lambda r: (0.001, r))
    shadow = sk.Scripted(lambda r: (sk.HANG, None))
    seen = {}

    async def main():
        router = _router(sol, primary, shadow, timeout_s=timeout, max_in_flight=m)
        await asyncio.gather(*(router.handle(i) for i in range(5 * m)))
        await asyncio.sleep(0.01)
        seen["running"] = shadow.running
        seen["first"] = router.stats
        await asyncio.sleep(timeout + 1)  # every shadow call has timed out
        seen["in_flight_after"] = router.in_flight
        await asyncio.gather(*(router.handle(100 + i) for i in range(m)))
        await asyncio.sleep(0.01)
        seen["second"] = router.stats
        await router.drain()

    run_virtual(main, limit_s=120, what="bounded shadow calls")
    first = seen["first"]
    assert shadow.max_running == m and first.mirrored == m and first.dropped == 4 * m, (
        f"max_in_flight={m}, {5 * m} simultaneous requests, hanging shadows: {shadow.max_running}"
        f" shadow calls ran at once, stats mirrored={first.mirrored} dropped={first.dropped}; "
        f"expected {m}, {m}, {4 * m}. Unbounded background tasks pile up without limit when "
        f"the shadow hangs: count the running shadow calls and drop (and count) beyond the bound"
    )
    second = seen["second"]
    assert seen["in_flight_after"] == 0 and second.mirrored == 2 * m, (
        f"after the first {m} shadow calls timed out, in_flight = {seen['in_flight_after']} and "
        f"{second.mirrored - m} of {m} new requests were mirrored; a timed-out call must free "
        f"its slot"
    )


def test_stats_match_exact_oracle(sol, sk, rng):
    """Random mixes of agreeing, disagreeing, failing, timing-out shadows and failing
    primaries: every counter and the latency-delta sum match the exact values."""
    n = 60
    timeout = 0.08
    plan = {}
    for i in range(n):
        p_cost = float(rng.integers(1, 40)) / 1000
        kind = ["agree", "disagree", "error", "timeout", "primary_error"][int(rng.integers(5))]
        s_cost = float(rng.integers(1, 60)) / 1000 if kind != "timeout" else 0.2
        plan[i] = (kind, p_cost, s_cost)
    for i, kind in enumerate(["agree", "disagree", "error", "timeout", "primary_error"]):
        plan[i] = (kind, plan[i][1], 0.2 if kind == "timeout" else 0.03)  # each kind, always

    def primary_plan(r):
        kind, p_cost, _ = plan[r]
        return p_cost, sk.ModelError("primary down") if kind == "primary_error" else ("y", r)

    def shadow_plan(r):
        kind, _, s_cost = plan[r]
        if kind == "error":
            return s_cost, sk.ModelError("shadow down")
        return s_cost, ("y", r) if kind != "disagree" else ("y", -r - 1)

    primary, shadow = sk.Scripted(primary_plan), sk.Scripted(shadow_plan)
    log = logging.getLogger("shadow_traffic")
    old_disabled = log.disabled
    log.disabled = True

    async def main():
        router = _router(sol, primary, shadow, timeout_s=timeout, max_in_flight=1000)

        async def one(i):
            await asyncio.sleep(float(rng.integers(0, 100)) / 1000)
            try:
                await router.handle(i)
            except sk.ModelError:
                pass

        await asyncio.gather(*(one(i) for i in range(n)))
        await router.drain()
        return router.stats

    try:
        stats = run_virtual(main, what="a mix of shadow outcomes")
    finally:
        log.disabled = old_disabled
    kinds = [plan[i][0] for i in range(n)]
    compared = [i for i in range(n) if plan[i][0] in ("agree", "disagree")]
    want = {
        "mirrored": n, "dropped": 0, "errors": kinds.count("error"),
        "timeouts": kinds.count("timeout"),
        "completed": n - kinds.count("error") - kinds.count("timeout"),
        "agreed": kinds.count("agree"), "disagreed": kinds.count("disagree"),
    }  # fmt: skip
    got = {k: getattr(stats, k) for k in want}
    assert got == want, f"ShadowStats counters {got}, expected {want}"
    delta = sum(plan[i][2] - plan[i][1] for i in compared)
    assert abs(stats.latency_delta_sum_s - delta) < 1e-6, (
        f"latency_delta_sum_s = {stats.latency_delta_sum_s:.6f} s; the sum over compared "
        f"requests of (shadow latency - primary latency) is {delta:.6f} s"
    )
    assert abs(stats.mean_latency_delta_s - delta / len(compared)) < 1e-6
    assert abs(stats.disagreement_rate - want["disagreed"] / len(compared)) < 1e-12


def test_shadow_gets_a_deep_copy(sol, sk):
    """A shadow that modifies its request (nested lists and dicts) changes neither what the
    primary sees nor the caller's request."""

    async def primary(request):
        await asyncio.sleep(0.005)
        return {"total": sum(request["features"]), "user": request["meta"]["user"]}

    async def meddling_shadow(request):
        request["features"].append(1000)
        request["meta"]["user"] = "mallory"
        await asyncio.sleep(0.001)
        return None

    out = {}

    async def main():
        router = _router(sol, primary, meddling_shadow)
        request = {"features": [1, 2, 3], "meta": {"user": "alice"}}
        out["response"] = await router.handle(request)
        out["request"] = request
        await router.drain()

    run_virtual(main, what="a meddling shadow")
    assert out["response"] == {"total": 6, "user": "alice"}, (
        f"the primary answered {out['response']!r} because the shadow modified the request it "
        f"shares with the primary; give the shadow a deep copy (copy.deepcopy)"
    )
    assert out["request"] == {"features": [1, 2, 3], "meta": {"user": "alice"}}


def test_primary_error_propagates_unchanged(sol, sk):
    """When the primary raises, handle raises that very exception (after the primary's
    time, not the shadow's); the shadow call still runs but nothing is compared."""
    boom = sk.ModelError("primary down")
    primary = sk.Scripted(lambda r: (0.004, boom))
    shadow = sk.Scripted(lambda r: (0.05, "fine"))
    out = {}

    async def main():
        router = _router(sol, primary, shadow)
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            await router.handle("q")
        except BaseException as exc:  # noqa: BLE001
            out["exc"], out["after"] = exc, loop.time() - start
        await router.drain()
        out["stats"] = router.stats

    run_virtual(main, what="a failing primary")
    assert out.get("exc") is boom, f"handle raised {out.get('exc')!r}, not the primary's error"
    assert abs(out["after"] - 0.004) < 1e-6, "the primary's error waited for the shadow"
    s = out["stats"]
    assert (s.mirrored, s.completed, s.compared) == (1, 1, 0), f"stats {s}"


@pytest.mark.parametrize(
    ("timeout", "bound"),
    [(0, 4), (-1.0, 4), (float("nan"), 4), (1.0, 0), (1.0, 2.5), (1.0, True)],
    ids=["t0", "tneg", "tnan", "m0", "mfloat", "mbool"],
)
def test_bad_arguments(sol, sk, timeout, bound):
    """timeout_s must be a number > 0 and max_in_flight an int >= 1 (ValueError)."""

    async def model(r):
        return r

    with pytest.raises(ValueError):
        sol.ShadowRouter(model, model, timeout_s=timeout, max_in_flight=bound)
        pytest.fail(f"ShadowRouter(timeout_s={timeout!r}, max_in_flight={bound!r}) did not raise")
