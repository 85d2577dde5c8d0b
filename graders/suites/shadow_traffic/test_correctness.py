"""Hidden correctness tests of shadow_traffic on a virtual event-loop clock: exact latencies,
timeouts, bounds and statistics, whatever the machine's load.

Each scenario is played in the sandbox (``inside.play``); the expected outcome is computed here
from the script alone.
"""

import math

import pytest

TOL = 1e-6  # s: virtual-clock float rounding only


@pytest.mark.rules("R1")
def test_primary_never_waits_for_shadow(drive, sk, rng):
    """With a shadow 50-200 ms slower, every handle returns exactly when the primary answers,
    with the primary's own response object."""
    n = 30
    p_cost = {i: sk.ms(rng, 2, 11) for i in range(n)}
    s_cost = {i: p_cost[i] + sk.ms(rng, 50, 201) for i in range(n)}
    script = {
        "router": {"timeout_s": 1.0, "max_in_flight": 100},
        "primary": {i: [p_cost[i], {"id": i, "score": float(rng.random())}, False] for i in range(n)},
        "shadow": {i: [s_cost[i], {"id": i}, False] for i in range(n)},
        "requests": [[sk.ms(rng, 0, 50), {"id": i}] for i in range(n)],
        "drain_at": 0.3,
    }  # fmt: skip
    report = drive.play(script)
    sk.not_hung(report, "30 requests with a slow shadow", "R1, R10")
    handled = sk.by_key(report)
    for i in range(n):
        h = handled.get(i)
        assert h is not None and h["outcome"] == "ok", (
            f"handle({{'id': {i}}}) {'never returned' if h is None else 'raised ' + h['exc_type']}"
            f" with a primary that answers; R1"
        )
        assert h["own"] and h["value"] == script["primary"][i][1], (
            f"handle({{'id': {i}}}) returned {h['value']!r}, not the primary's own response "
            f"object; R1"
        )
        latency = h["end"] - h["start"]
        assert abs(latency - p_cost[i]) < TOL, (
            f"handle({{'id': {i}}}) took {latency * 1e3:.3f} ms (loop clock) for a primary that "
            f"answers in {p_cost[i] * 1e3:.3f} ms, with a shadow taking "
            f"{s_cost[i] * 1e3:.0f} ms; R1: the caller never waits for the shadow"
        )


@pytest.mark.rules("R2")
def test_primary_error_propagates_unchanged(drive, sk, rng):
    """When the primary raises, handle raises that very exception, after the primary's time
    and not the shadow's; the shadow call still runs but nothing is compared."""
    p_cost, s_cost = sk.ms(rng, 2, 9), sk.ms(rng, 30, 80)
    script = {
        "router": {"timeout_s": 1.0, "max_in_flight": 10},
        "primary": {0: [p_cost, None, True], 1: [p_cost, ["y", 1], False]},
        "shadow": {0: [s_cost, ["y", 0], False], 1: [s_cost, ["y", 1], False]},
        "requests": [[0.0, 0], [0.5, 1]],
        "drain_at": 1.0,
    }
    report = drive.play(script)
    sk.not_hung(report, "a failing primary", "R2, R10")
    h = sk.by_key(report)[0]
    assert h["outcome"] == "raised" and h["own"], (
        "handle(0) with a primary that raises ModelError "
        + (f"returned {h['value']!r}" if h["outcome"] == "ok" else
           f"raised {h['exc_type']}: {h['exc_text']}, not the primary's own exception object")
        + "; R2"
    )  # fmt: skip
    assert abs(h["end"] - h["start"] - p_cost) < TOL, (
        f"handle(0) raised the primary's error after {(h['end'] - h['start']) * 1e3:.3f} ms; the "
        f"primary failed after {p_cost * 1e3:.3f} ms and the shadow takes {s_cost * 1e3:.0f} ms; "
        f"R2: the error comes back when the primary fails"
    )
    calls = [c for c in report["shadow_calls"] if c["key"] == 0]
    stats = report["stats"]
    assert calls and calls[0]["end"] is not None, (
        "the shadow call of a request whose primary failed did not run to its end; R2: the "
        "shadow still runs"
    )
    assert (stats["mirrored"], stats["completed"], stats["compared"]) == (2, 2, 1), (
        f"one request whose primary failed and one that succeeded, both shadows returned: "
        f"mirrored={stats['mirrored']}, completed={stats['completed']}, "
        f"compared={stats['compared']}; R2: nothing is compared when the primary failed"
    )


@pytest.mark.rules("R3")
def test_shadow_gets_a_deep_copy(drive, rng):
    """A shadow that modifies its request (nested lists and dicts) changes neither what the
    primary sees nor the caller's request."""
    features = [int(x) for x in rng.integers(1, 50, size=4)]
    out = drive.meddling(features, "alice")
    assert out["shadow_ran"], "the shadow was never called; R3 needs it to run"
    want = {"total": sum(features), "user": "alice"}
    assert out["response"] == want, (
        f"the primary answered {out['response']!r} instead of {want!r}: a shadow that modifies "
        f"its request changed what the primary saw; R3: the shadow gets a deep copy"
    )
    assert out["request"] == {"features": features, "meta": {"user": "alice"}}, (
        f"after handle, the caller's request is {out['request']!r}: the shadow modified it; R3"
    )


@pytest.mark.rules("R4")
def test_in_flight_bound_drops_and_counts(drive, sk, rng):
    """With max_in_flight=M and 5M simultaneous requests whose shadows take 5 s, exactly M
    shadow calls run and 4M are dropped; once they have returned, new requests are mirrored
    again."""
    m = int(rng.integers(2, 9))
    first, second = list(range(5 * m)), list(range(100, 100 + m))
    script = {
        "router": {"timeout_s": 10.0, "max_in_flight": m},
        "primary": {i: [0.001, ["y", i], False] for i in first + second},
        "shadow": {i: [5.0, ["y", i], False] for i in first + second},
        "requests": [[0.0, i] for i in first] + [[6.0, i] for i in second],
        "snapshots": [[0.01, "first"], [6.01, "second"]],
        "drain_at": 6.02,
    }  # fmt: skip
    report = drive.play(script)
    sk.not_hung(report, "bounded shadow calls", "R4, R10")
    snap = report["snapshots"]["first"]
    got = (report["max_shadow_running"], snap["stats"]["mirrored"], snap["stats"]["dropped"])
    assert got == (m, m, 4 * m) and snap["in_flight"] == m, (
        f"ShadowRouter(max_in_flight={m}), {5 * m} simultaneous requests, shadows taking 5 s: "
        f"{got[0]} shadow calls ran at once, stats mirrored={got[1]}, dropped={got[2]}, "
        f"in_flight={snap['in_flight']}; R4: at most max_in_flight shadow calls, the rest "
        f"dropped and counted"
    )
    snap2 = report["snapshots"]["second"]["stats"]
    assert (snap2["mirrored"], snap2["dropped"]) == (2 * m, 4 * m), (
        f"after the first {m} shadow calls returned, {snap2['mirrored'] - m} of {m} new "
        f"requests were mirrored ({snap2['dropped'] - 4 * m} dropped); R4: a finished shadow "
        f"call frees its slot"
    )


@pytest.mark.rules("R5")
def test_shadow_timeout_cancels_and_counts(drive, sk, rng):
    """A hanging shadow call is cancelled exactly timeout_s after handle started and counted
    in timeouts; its slot is freed, so later requests are mirrored again."""
    timeout = sk.ms(rng, 10, 100)
    n = int(rng.integers(3, 10))
    later = timeout + 0.5
    keys = list(range(2 * n))
    script = {
        "router": {"timeout_s": timeout, "max_in_flight": n},
        "primary": {i: [0.002, ["y", i], False] for i in keys},
        "shadow": {i: [sk.HANG, None, False] for i in keys},
        "requests": [[sk.ms(rng, 0, 5), i] for i in range(n)]
        + [[later, i] for i in range(n, 2 * n)],
        "snapshots": [[later - 0.1, "after_timeouts"], [later + 0.001, "second"]],
        "drain_at": later + 0.01,
    }  # fmt: skip
    report = drive.play(script)
    sk.not_hung(report, "requests with a hanging shadow", "R5, R10")
    started = {k: h["start"] for k, h in sk.by_key(report).items()}
    for call in report["shadow_calls"]:
        cancelled = call["cancelled"]
        assert cancelled is not None and abs(cancelled - started[call["key"]] - timeout) < TOL, (
            f"with timeout_s={timeout}, a hanging shadow call of a request handled at "
            f"{started[call['key']] * 1e3:.3f} ms was "
            + ("never cancelled" if cancelled is None else
               f"cancelled at {cancelled * 1e3:.3f} ms")
            + "; R5: cancelled timeout_s after handle started (loop clock)"
        )  # fmt: skip
    mid = report["snapshots"]["after_timeouts"]
    assert (mid["stats"]["timeouts"], mid["stats"]["completed"], mid["in_flight"]) == (n, 0, 0), (
        f"after {n} hanging shadow calls timed out: timeouts={mid['stats']['timeouts']}, "
        f"completed={mid['stats']['completed']}, in_flight={mid['in_flight']}; R5: each "
        f"counts in timeouts and frees its slot"
    )
    second = report["snapshots"]["second"]["stats"]
    assert (second["mirrored"], second["dropped"]) == (2 * n, 0), (
        f"ShadowRouter(max_in_flight={n}): after {n} shadow calls timed out, "
        f"{second['mirrored'] - n} of {n} new requests were mirrored; R5: a timed-out call "
        f"frees its slot"
    )


@pytest.mark.rules("R6")
def test_shadow_errors_logged_not_raised(drive, sk, rng):
    """A shadow exception never reaches the caller: it is logged on 'shadow_traffic' (WARNING
    or higher, with the exception) and counted in errors."""
    n = 12
    bad = {int(i) for i in rng.choice(n, size=4, replace=False)}
    script = {
        "router": {"timeout_s": 1.0, "max_in_flight": 100},
        "primary": {i: [0.003, ["ok", i], False] for i in range(n)},
        "shadow": {i: [0.001, ["ok", i], i in bad] for i in range(n)},
        "requests": [[sk.ms(rng, 0, 20), i] for i in range(n)],
        "drain_at": 0.1,
    }
    report = drive.play(script)
    sk.not_hung(report, "requests with a failing shadow", "R6, R10")
    handled = sk.by_key(report)
    wrong = {k: h["outcome"] for k, h in handled.items() if h["outcome"] != "ok"}
    assert not wrong and len(handled) == n, (
        f"with a shadow that raises on {len(bad)} of {n} requests, handle raised on "
        f"{sorted(wrong)} (or never returned); R6: shadow errors never reach the caller"
    )
    assert report["stats"]["errors"] == len(bad), (
        f"stats.errors = {report['stats']['errors']} after {len(bad)} shadow calls raised; R6"
    )
    logged = [
        r for r in report["log"]
        if r["level"] >= 30 and r["exc_type"] == "ModelError"
        and r["exc_text"].startswith("model failed")
    ]  # fmt: skip
    assert len(logged) >= len(bad), (
        f"{len(bad)} shadow calls raised but {len(logged)} WARNING+ records carrying the "
        f"exception (exc_info) reached the 'shadow_traffic' logger; R6: log each one"
    )


@pytest.mark.rules("R7")
def test_comparisons(drive, sk, rng):
    """A random mix of outcomes: agreed and disagreed count the compared pairs; a compare that
    raises is logged and counted in errors, neither agreed nor disagreed."""
    script, plan = sk.mix_script(rng)
    report = drive.play(script)
    sk.not_hung(report, "a mix of shadow outcomes", "R7, R10")
    kinds = [v[0] for v in plan.values()]
    stats = report["stats"]
    want = {"agreed": kinds.count("agree"), "disagreed": kinds.count("disagree"),
            "errors": kinds.count("error") + kinds.count("compare_error")}  # fmt: skip
    got = {k: stats[k] for k in want}
    assert got == want, (
        f"{len(plan)} requests (each outcome at least once: agreeing and disagreeing shadows, "
        f"failing shadows, timeouts, failing primaries, a compare that raises): counters {got}, "
        f"expected {want}; R7"
    )
    logged = [r for r in report["log"] if r["level"] >= 30 and r["exc_type"] == "ModelError"
              and r["exc_text"].startswith("compare failed")]  # fmt: skip
    assert len(logged) >= kinds.count("compare_error"), (
        f"compare raised {kinds.count('compare_error')} times; {len(logged)} WARNING+ records "
        f"with that exception reached the 'shadow_traffic' logger; R7: logged"
    )


@pytest.mark.rules("R8")
def test_latency_delta(drive, sk, rng):
    """latency_delta_sum_s is the sum over compared requests of shadow latency - primary
    latency, both on the loop clock from handle's start (shadows faster and slower than the
    primary)."""
    script, plan = sk.mix_script(rng)
    report = drive.play(script)
    sk.not_hung(report, "a mix of shadow outcomes", "R8, R10")
    stats = report["stats"]
    compared = [k for k, v in plan.items() if v[0] in ("agree", "disagree")]
    delta = sum(plan[k][2] - plan[k][1] for k in compared)
    got = stats["latency_delta_sum_s"]
    assert isinstance(got, float) and abs(got - delta) < TOL * len(plan), (
        f"{len(compared)} compared requests (shadows from 1 to 59 ms, primaries from 1 to "
        f"39 ms): latency_delta_sum_s = {got!r}, off by {got - delta:+.6f} s; R8: each adds "
        f"shadow latency - primary latency, measured on the loop clock from handle's start"
    )
    mean = stats["mean_latency_delta_s"]
    assert mean is not None and abs(mean - delta / len(compared)) < TOL, (
        f"mean_latency_delta_s = {mean!r} with latency_delta_sum_s = {got!r} over "
        f"{len(compared)} compared requests; R8"
    )


@pytest.mark.rules("R9")
def test_counters_and_snapshots(drive, sk, rng):
    """mirrored, dropped, completed, errors, timeouts and the derived values match the script;
    stats is a snapshot that later requests do not change; in_flight ends at 0."""
    script, plan = sk.mix_script(rng)
    report = drive.play(script)
    sk.not_hung(report, "a mix of shadow outcomes", "R9, R10")
    kinds = [v[0] for v in plan.values()]
    n = len(plan)
    stats = report["stats"]
    want = {
        "mirrored": n, "dropped": 0, "timeouts": kinds.count("timeout"),
        "completed": n - kinds.count("error") - kinds.count("timeout"),
        "compared": kinds.count("agree") + kinds.count("disagree"),
    }  # fmt: skip
    got = {k: stats[k] for k in want}
    assert got == want, (
        f"{n} requests, each outcome at least once (a shadow that returns counts in completed "
        f"even when its primary failed or compare raised): counters {got}, expected {want}; R9"
    )
    rate = stats["disagreement_rate"]
    assert rate is not None and abs(rate - kinds.count("disagree") / want["compared"]) < 1e-12, (
        f"disagreement_rate = {rate!r} with {stats['disagreed']} disagreed of "
        f"{want['compared']} compared; R9"
    )
    assert report["in_flight_end"] == 0, (
        f"in_flight = {report['in_flight_end']} after drain(); R9: no shadow call is running"
    )
    taken, later = report["snapshots"]["mid"]["stats"], report["first_snapshot_after"]
    assert taken == later, (
        f"a stats snapshot taken at 50.5 ms changed afterwards (then "
        f"mirrored={taken['mirrored']}, completed={taken['completed']}; at the end "
        f"mirrored={later['mirrored']}, completed={later['completed']}); R9: stats is a copy"
    )


@pytest.mark.rules("R10")
def test_drain_waits_for_every_shadow(drive, sk, rng):
    """drain(), called while shadow calls are still running, returns once every one of them
    has finished and been recorded, and not later than the last one."""
    n = 10
    # shadows ending before or after the 300 ms timeout, never at it
    s_cost = {i: sk.ms(rng, 100, 280) if rng.random() < 0.7 else sk.ms(rng, 320, 400)
              for i in range(n)}  # fmt: skip
    script = {
        "router": {"timeout_s": 0.3, "max_in_flight": 100},
        "primary": {i: [0.002, ["y", i], False] for i in range(n)},
        "shadow": {i: [s_cost[i], ["y", i], False] for i in range(n)},
        "requests": [[0.001 * i, i] for i in range(n)],
        "drain_at": 0.05,
    }
    report = drive.play(script)
    sk.not_hung(report, "drain() with shadows running", "R10")
    last = max(max(c["end"] or 0.0, c["cancelled"] or 0.0) for c in report["shadow_calls"])
    returned = report["drain_returned"]
    timeouts = sum(s > 0.3 for s in s_cost.values())
    at_drain = report["stats_at_drain"]
    assert returned >= last - TOL and at_drain["completed"] + at_drain["timeouts"] == n, (
        f"drain(), called at 50 ms with {n} shadow calls running (the last ends at "
        f"{last * 1e3:.0f} ms), returned at {returned * 1e3:.3f} ms with "
        f"completed={at_drain['completed']}, timeouts={at_drain['timeouts']}; R10: drain "
        f"returns once every shadow call started so far has finished and been recorded"
    )
    assert at_drain["timeouts"] == timeouts and returned <= last + 0.1, (
        f"drain() returned at {returned * 1e3:.3f} ms, the last shadow call ended at "
        f"{last * 1e3:.0f} ms (timeouts={at_drain['timeouts']}, expected {timeouts}); R10"
    )


BAD_ARGUMENTS = [(0, 4), (-1.0, 4), (math.nan, 4), ("1", 4), (True, 4), (1.0, 0), (1.0, 2.5),
                 (1.0, True), (1.0, -3)]  # fmt: skip


@pytest.mark.rules("R11")
def test_bad_arguments(drive):
    """timeout_s must be a real number > 0 and max_in_flight an int >= 1 (ValueError)."""
    for timeout, bound in BAD_ARGUMENTS:
        got = drive.new_router(timeout, bound)
        assert got == "ValueError", (
            f"ShadowRouter(timeout_s={timeout!r}, max_in_flight={bound!r}) "
            + ("returned a router" if got == "ok" else f"raised {got}")
            + "; R11: ValueError"
        )


@pytest.mark.rules("R11")
def test_good_arguments_accepted(drive):
    """An int timeout_s and a large max_in_flight are valid."""
    for timeout, bound in ((1, 1), (0.001, 10_000), (2.5, 3)):
        got = drive.new_router(timeout, bound)
        assert got == "ok", (
            f"ShadowRouter(timeout_s={timeout!r}, max_in_flight={bound!r}) raised {got}; R11: "
            f"valid arguments"
        )
