"""Hidden correctness tests of dynamic_batcher, on a virtual event-loop clock.

Every scenario runs on graders.virtual_clock_loop.VirtualClockLoop: requests arrive at exact
virtual times, a model call takes a fixed virtual time, and the dispatch times are compared with
``conftest.simulate``, an independent simulation of the README's rule. The results are the same
on any machine under any load.
"""

from collections import Counter

import pytest

OLDEST_HINT = (
    "R4: the deadline belongs to the oldest queued request, counted from its submit; a "
    "request that queued while the model was busy has already been waiting."
)
FULL_HINT = (
    "R3: a full batch goes out the moment max_batch_size requests are queued (and the model "
    "is idle), without waiting for any deadline."
)
RULE_HINT = (
    "R3-R5: while the model is idle, a batch goes out as soon as max_batch_size requests are "
    "queued or the oldest queued request has waited max_wait_ms (a fixed deadline); it holds "
    "the queued requests, oldest first, up to max_batch_size."
)


def _ids(rng, n):
    """n distinct request inputs, in random order."""
    return [int(v) for v in rng.choice(10**7, size=n, replace=False)]


def _scenario(bk, rng, build, tries=100):
    """Draw scenarios with ``build(rng) -> (arrivals, model, B, W_ms)`` until one has no
    near-tie; return it with its simulated calls."""
    for _ in range(tries):
        arrivals, model, batch, wait_ms = build(rng)
        expected = bk.simulate(arrivals, batch, wait_ms / 1e3, model.cost_of)
        if expected is not None:
            return arrivals, model, batch, wait_ms, expected
    raise RuntimeError("could not draw a scenario without near-ties")  # pragma: no cover


def _check_outputs(bk, outcome, xs, what):
    bk.check_all_answered(outcome, what)
    for x in xs:
        got = outcome.results.get(x)
        if got != ("ok", ("out", x)):
            raise AssertionError(
                f"{what}: submit({x}) gave {_shown(got)}; R1: model_fn's output for its own "
                f"input is {('out', x)!r}"
            )


@pytest.mark.rules("R3", "R5")
def test_full_batch_dispatched_immediately(sol, inside, bk, rng):
    """A full batch goes to the model at once: k*B simultaneous requests give k calls back to
    back, and B requests trickling in within max_wait_ms go out when the B-th arrives."""

    def build(rng):
        batch = int(rng.integers(4, 17))
        k = int(rng.integers(2, 5))
        cost = float(rng.uniform(1, 4)) / 1e3
        wait_ms = float(rng.uniform(k * cost * 1e3 + 10, 80))
        xs = _ids(rng, (k + 1) * batch)
        arrivals = [(0.0, x) for x in xs[: k * batch]]
        gaps = rng.uniform(0.2, 0.8, batch) * (wait_ms / 1e3 / batch)
        times = 1.0 + gaps.cumsum() - gaps[0]
        arrivals += [(float(t), x) for t, x in zip(times, xs[k * batch :], strict=True)]
        return arrivals, bk.Model(cost_s=cost), batch, wait_ms

    arrivals, model, batch, wait_ms, expected = _scenario(bk, rng, build)
    outcome = bk.run(inside(sol), model, batch, wait_ms, arrivals)
    what = f"DynamicBatcher(max_batch_size={batch}, max_wait_ms={wait_ms:.2f})"
    bk.check_all_answered(outcome, what)
    bk.check_schedule(outcome, expected, FULL_HINT, what)


@pytest.mark.rules("R4")
def test_deadline_counts_from_oldest_request(sol, inside, bk, rng):
    """A queued request is dispatched max_wait_ms after ITS arrival (or as soon as the model
    frees up, if that is later): alone, after queuing during a model call, as the overflow of
    a burst, and when its deadline passed while the model was busy."""

    def build(rng):
        batch = int(rng.integers(4, 12))
        cost = float(rng.uniform(2, 6)) / 1e3
        wait_ms = float(rng.uniform(cost * 1e3 + 3, 40))
        slow_cost = wait_ms / 1e3 + float(rng.uniform(5, 20)) / 1e3
        xs = iter(_ids(rng, 4 * batch + 8))
        arrivals = [(0.0, next(xs))]  # alone
        burst = [next(xs) for _ in range(batch)]  # a request arrives during a model call
        arrivals += [(1.0, x) for x in burst]
        arrivals.append((1.0 + float(rng.uniform(0.2, 0.8)) * cost, next(xs)))
        extra = int(rng.integers(1, batch))  # the overflow of a burst
        arrivals += [(2.0, next(xs)) for _ in range(batch + extra)]
        slow_burst = [next(xs) for _ in range(batch)]  # deadline passes during a slow call
        arrivals += [(3.0, x) for x in slow_burst]
        delta = float(rng.uniform(0.1, 0.9)) * (slow_cost - wait_ms / 1e3)
        arrivals.append((3.0 + delta, next(xs)))
        model = bk.Model(cost_s=cost, slow_cost_s=slow_cost, slow={slow_burst[0]})
        return arrivals, model, batch, wait_ms

    arrivals, model, batch, wait_ms, expected = _scenario(bk, rng, build)
    outcome = bk.run(inside(sol), model, batch, wait_ms, arrivals)
    what = (
        f"DynamicBatcher(max_batch_size={batch}, max_wait_ms={wait_ms:.2f}), model call "
        f"{bk.fmt_ms(model.cost_s)} ({bk.fmt_ms(model.slow_cost_s)} for a slow batch)"
    )
    bk.check_all_answered(outcome, what)
    bk.check_schedule(outcome, expected, OLDEST_HINT, what)


@pytest.mark.rules("R3", "R4", "R5")
def test_batches_follow_the_dispatch_rule(sol, inside, bk, rng):
    """Random bursty traffic, including a trickle of requests closer together than
    max_wait_ms: every model call happens exactly when the rule says, with the right inputs."""

    def build(rng):
        batch = int(rng.integers(4, 10))
        wait_ms = float(rng.uniform(5, 30))
        cost = float(rng.uniform(0.5, 0.8 * wait_ms)) / 1e3
        n = 300
        xs = _ids(rng, n + batch)
        arrivals, t = [], 0.0
        i = 0
        while i < n:
            t += float(rng.exponential(wait_ms / 1e3 / batch * 2))
            size = int(rng.integers(1, 2 * batch)) if rng.random() < 0.1 else 1
            for _ in range(min(size, n - i)):
                arrivals.append((t, xs[i]))
                i += 1
        t += 1.0  # a trickle: every gap shorter than max_wait_ms, fewer than B requests
        for x in xs[n : n + batch - 1]:
            arrivals.append((t, x))
            t += float(rng.uniform(0.3, 0.9)) * wait_ms / 1e3 / (batch - 1)
        return arrivals, bk.Model(cost_s=cost), batch, wait_ms

    arrivals, model, batch, wait_ms, expected = _scenario(bk, rng, build)
    outcome = bk.run(inside(sol), model, batch, wait_ms, arrivals)
    what = (
        f"DynamicBatcher(max_batch_size={batch}, max_wait_ms={wait_ms:.2f}) on "
        f"{len(arrivals)} requests, model call {bk.fmt_ms(model.cost_s)}"
    )
    bk.check_all_answered(outcome, what)
    bk.check_schedule(outcome, expected, RULE_HINT, what)


@pytest.mark.rules("R1")
def test_no_response_lost_or_duplicated(sol, inside, bk, rng):
    """10^4 requests in random bursts larger than max_batch_size: every caller gets exactly its
    own output, and the model sees every input exactly once, in batches of <= max_batch_size."""
    batch = int(rng.integers(16, 65))
    wait_ms = float(rng.uniform(2, 10))
    n = 10_000
    xs = _ids(rng, n)
    arrivals, t, i = [], 0.0, 0
    while i < n:
        t += float(rng.exponential(0.004))
        size = int(rng.integers(1, 3 * batch))
        for _ in range(min(size, n - i)):
            arrivals.append((t, xs[i]))
            i += 1
    model = bk.Model(cost_s=0.0005)
    outcome = bk.run(inside(sol), model, batch, wait_ms, arrivals, limit_s=600.0)
    what = f"DynamicBatcher(max_batch_size={batch}, max_wait_ms={wait_ms:.2f}) on 10^4 requests"
    bk.check_all_answered(outcome, what)
    seen = Counter(x for call in outcome.calls for x in call["inputs"])
    twice = [x for x, c in seen.items() if c > 1]
    if twice:
        raise AssertionError(f"{what}: the model saw {len(twice)} input(s) more than once, "
                             f"e.g. {bk.short(twice, 5)} (R1)")  # fmt: skip
    never = [x for x in xs if x not in seen]
    if never:
        raise AssertionError(f"{what}: {len(never)} input(s) never reached the model, e.g. "
                             f"{bk.short(never, 5)} (R1)")  # fmt: skip
    big = [len(c["inputs"]) for c in outcome.calls if len(c["inputs"]) > batch]
    assert not big, f"{what}: model_fn got batches of {sorted(set(big))} > max_batch_size (R1)"
    _check_outputs(bk, outcome, xs, what)


@pytest.mark.rules("R8")
def test_model_error_reaches_exactly_its_batch(sol, inside, bk, rng):
    """An exception from model_fn is raised by submit, as that same exception object, for
    every request of that batch and no other; the batcher keeps serving the following
    batches."""
    batch = int(rng.integers(4, 9))
    xs = _ids(rng, 6 * batch)
    bursts = [xs[k * batch : (k + 1) * batch] for k in range(6)]
    poison = {bursts[1][int(rng.integers(batch))], bursts[4][int(rng.integers(batch))]}
    arrivals = [(0.1 * k, x) for k, burst in enumerate(bursts) for x in burst]
    model = bk.Model(cost_s=0.002, poison=poison)
    outcome = bk.run(inside(sol), model, batch, 10.0, arrivals)
    what = f"DynamicBatcher(max_batch_size={batch}) with model_fn raising for bursts 1 and 4"
    bk.check_all_answered(outcome, what)
    raised_by = {}  # input -> index of the model call that raised for its batch
    for k, call in enumerate(outcome.calls):
        if poison & set(call["inputs"]):
            raised_by.update(dict.fromkeys(call["inputs"], k))
    for k, burst in enumerate(bursts):
        failing = k in (1, 4)
        for x in burst:
            got = outcome.results[x]
            if not failing and got != ("ok", ("out", x)):
                raise AssertionError(
                    f"{what}: request {x} of a healthy batch got {_shown(got)}, expected its "
                    f"output; R8: one batch's error reaches that batch only"
                )
            if failing and not (got[0] == "err" and got[5]):
                raise AssertionError(
                    f"{what}: request {x} of the failing batch got {_shown(got)}; R8: its "
                    f"submit must raise the exception model_fn raised (never a result, never a "
                    f"hang)"
                )
            if failing and got[3] != raised_by.get(x, -2):
                raise AssertionError(
                    f"{what}: request {x} of the failing batch raised {got[1]}({got[2]!r}), but "
                    f"not the very exception object model_fn raised for its batch (a copy, or "
                    f"another call's); R8: every caller of the batch gets that same object"
                )


@pytest.mark.rules("R9")
def test_wrong_output_count_is_an_error(sol, inside, bk, rng):
    """When model_fn returns fewer outputs than inputs, every request of that batch raises
    ValueError (none hangs, none gets a neighbour's output); other batches are unaffected."""
    batch = int(rng.integers(4, 9))
    xs = _ids(rng, 3 * batch)
    bursts = [xs[k * batch : (k + 1) * batch] for k in range(3)]
    model = bk.Model(cost_s=0.001, short={bursts[1][int(rng.integers(batch))]})
    arrivals = [(0.1 * k, x) for k, burst in enumerate(bursts) for x in burst]
    outcome = bk.run(inside(sol), model, batch, 10.0, arrivals)
    what = f"DynamicBatcher(max_batch_size={batch}), model_fn returning {batch - 1} outputs"
    bk.check_all_answered(outcome, what)
    for x in bursts[1]:
        got = outcome.results[x]
        assert got[0] == "err" and got[4], (
            f"{what}: request {x} got {_shown(got)}; R9: a result of the wrong length raises "
            f"ValueError for every request of the batch"
        )
    _check_outputs(bk, outcome, bursts[0] + bursts[2], what)


@pytest.mark.rules("R10", "R11")
def test_cancelled_request_is_dropped_not_its_batch(sol, inside, bk, rng):
    """A caller cancelled while queued never reaches the model; one cancelled during its
    batch's model call is skipped; every other request of both batches gets its output."""
    batch = 8
    xs = _ids(rng, 5 + batch + 4)
    queued, busy, later = xs[:5], xs[5 : 5 + batch], xs[5 + batch :]
    arrivals = [(0.0, x) for x in queued] + [(1.0, x) for x in busy]
    arrivals += [(2.0, x) for x in later]
    drop_queued = [queued[i] for i in rng.choice(5, size=2, replace=False)]
    drop_busy = [busy[i] for i in rng.choice(batch, size=3, replace=False)]
    cancels = [(0.004, x) for x in drop_queued] + [(1.002, x) for x in drop_busy]
    model = bk.Model(cost_s=0.005)
    outcome = bk.run(inside(sol), model, batch, 10.0, arrivals, cancels=cancels)
    what = "DynamicBatcher(max_batch_size=8, max_wait_ms=10), model call 5 ms"
    bk.check_all_answered(outcome, what)
    seen = {x for call in outcome.calls for x in call["inputs"]}
    reached = [x for x in drop_queued if x in seen]
    assert not reached, (
        f"{what}: requests {reached} were cancelled while queued (at 4 ms, before their "
        f"deadline) but still reached model_fn (R10)"
    )
    for x in drop_queued + drop_busy:
        assert outcome.results.get(x) == ("cancelled",), (
            f"{what}: cancelled request {x} ended with {_shown(outcome.results.get(x))} "
            f"(R10, R11: a cancelled caller gets no result)"
        )
    keep = [x for x in xs if x not in drop_queued and x not in drop_busy]
    _check_outputs(bk, outcome, keep, what + " (after cancellations; R11)")


@pytest.mark.rules("R12")
def test_aclose_drains_queue_and_rejects_new_work(sol, inside, bk, rng):
    """aclose() dispatches every queued request at once (without waiting for max_wait_ms),
    returns after the last batch, and submit raises RuntimeError from then on; a second
    aclose() while the first drains returns only once the drain is over."""
    batch = int(rng.integers(8, 17))
    extra = int(rng.integers(1, batch))
    xs = _ids(rng, 2 * batch + extra)
    arrivals = [(0.0, x) for x in xs]
    model = bk.Model(cost_s=0.002)
    outcome = bk.run(inside(sol), model, batch, 1000.0, arrivals, close_at=0.010,
                     after_close=True)  # fmt: skip
    what = f"DynamicBatcher(max_batch_size={batch}, max_wait_ms=1000), aclose() at 10 ms"
    bk.check_all_answered(outcome, what)
    _check_outputs(bk, outcome, xs, what)
    last = outcome.calls[-1] if outcome.calls else None
    assert last is not None and abs(last["at"] - 0.010) < 1e-6, (
        f"{what}: the last {extra} queued requests reached the model at "
        f"{bk.fmt_ms(last['at']) if last else 'never'}; R12: aclose() dispatches what is "
        f"queued right away, not at its max_wait_ms deadline (1000 ms)"
    )
    late = outcome.closed.get("late")
    assert late is not None and late[0] == "err" and late[1] == "RuntimeError", (
        f"{what}: submit() while aclose() was draining gave {_shown(late)}; R12: it raises "
        f"RuntimeError (a closing batcher accepts no new work)"
    )
    done_at = last["at"] + model.cost_s
    second = outcome.closed.get("second_at")
    assert second is not None and second >= done_at - 1e-6, (
        f"{what}: a second aclose() called while the first was draining returned at "
        f"{bk.fmt_ms(second) if second is not None else 'never'}, before the last batch "
        f"finished ({bk.fmt_ms(done_at)}); R12: it returns once every caller has its answer"
    )


@pytest.mark.rules("R12")
def test_aclose_twice_and_submit_after(sol, inside):
    """aclose() on an unused batcher and a second aclose() are no-ops; submit after close
    raises RuntimeError; `async with` closes on exit."""
    seen = inside(sol).aclose_twice()
    for step in ("unused_close_1", "unused_close_2", "used_close_1", "used_close_2"):
        assert seen.get(step) == ("ok", None), (
            f"aclose() ({step.replace('_', ' ')}) gave {_shown(seen.get(step))}; R12: "
            f"aclose() of an unused or closed batcher is a no-op"
        )
    assert seen.get("used_submit") == ("ok", ("out", 7)) and seen.get("ctx_submit") == (
        "ok", ("out", 9)), f"submit before aclose() gave {_shown(seen.get('used_submit'))}"  # fmt: skip
    for step in ("unused_submit", "used_submit_after", "ctx_submit_after"):
        got = seen.get(step)
        assert got is not None and got[0] == "err" and got[1] == "RuntimeError", (
            f"submit() after aclose() ({step.replace('_', ' ')}) gave {_shown(got)}; R12: it "
            f"raises RuntimeError"
        )


@pytest.mark.rules("R7")
def test_model_runs_in_a_worker_thread(sol, inside, bk, rng):
    """model_fn is never called on the event loop's thread (the loop keeps serving while the
    model computes)."""
    xs = _ids(rng, 40)
    arrivals = [(0.001 * i, x) for i, x in enumerate(xs)]
    model = bk.Model(cost_s=0.003)
    outcome = bk.run(inside(sol), model, 8, 2.0, arrivals)
    what = "DynamicBatcher(max_batch_size=8, max_wait_ms=2)"
    bk.check_all_answered(outcome, what)
    bk.check_no_loop_thread(outcome, what)
    _check_outputs(bk, outcome, xs, what)


@pytest.mark.rules("R2")
def test_one_model_call_at_a_time(sol, inside, bk, rng):
    """model_fn is never called while a previous call is still running (it is not
    thread-safe), even under heavy traffic."""
    xs = _ids(rng, 600)
    arrivals = [(float(t), x) for t, x in zip(rng.uniform(0, 0.2, 600).cumsum() / 100, xs,
                                              strict=True)]  # fmt: skip
    arrivals.sort(key=lambda a: a[0])
    model = bk.Model(cost_s=0.004)
    outcome = bk.run(inside(sol), model, 16, 1.0, arrivals)
    what = "DynamicBatcher(max_batch_size=16, max_wait_ms=1) under heavy traffic"
    bk.check_all_answered(outcome, what)
    assert outcome.max_active <= 1, (
        f"{what}: up to {outcome.max_active} model_fn calls ran at the same time; R2: at most "
        f"one model_fn call at a time"
    )
    _check_outputs(bk, outcome, xs, what)


@pytest.mark.rules("R13")
@pytest.mark.parametrize(
    "args",
    [(0, 5.0), (-3, 5.0), (2.5, 5.0), (True, 5.0), (4, -0.1), (4, float("nan")), (4, float("inf")),
     (4, True)],
    ids=["B0", "Bneg", "Bfloat", "Bbool", "Wneg", "Wnan", "Winf", "Wbool"],
)  # fmt: skip
def test_bad_arguments_raise(sol, args):
    """max_batch_size must be an int >= 1 and max_wait_ms a finite number >= 0 (ValueError)."""
    with pytest.raises(ValueError):
        sol.DynamicBatcher(lambda xs: xs, *args)
        pytest.fail(
            f"DynamicBatcher(model, {args[0]!r}, {args[1]!r}) did not raise ValueError (R13)"
        )


@pytest.mark.rules("R3", "R4", "R5")
def test_same_instant_requests_share_a_batch(sol, inside, bk, rng):
    """With max_wait_ms=0, requests submitted at the same instant go out together (up to
    max_batch_size, the overflow as soon as the model is free); max_batch_size=1 sends every
    request alone."""
    batch, cost = int(rng.integers(3, 7)), 0.001
    sizes = [int(rng.integers(1, batch)) for _ in range(4)] + [batch, 2 * batch + 1, 1]
    xs = iter(_ids(rng, sum(sizes)))
    arrivals, expected = [], []
    for k, size in enumerate(sizes):
        t = 0.01 * (k + 1)
        burst = [next(xs) for _ in range(size)]
        arrivals += [(t, x) for x in burst]
        for j in range(0, size, batch):
            expected.append((t + cost * (j // batch), burst[j : j + batch]))
    outcome = bk.run(inside(sol), bk.Model(cost_s=cost), batch, 0.0, arrivals)
    what = f"DynamicBatcher(max_batch_size={batch}, max_wait_ms=0), bursts of {sizes}"
    bk.check_all_answered(outcome, what)
    bk.check_schedule(outcome, expected, RULE_HINT + " Requests submitted at the same instant "
                      "are queued together before a batch is formed (R5).", what)  # fmt: skip
    _check_outputs(bk, outcome, [x for _, x in arrivals], what)
    ones = _ids(rng, 12)
    arrivals = sorted((float(t), x) for t, x in zip(rng.uniform(0, 0.05, 12), ones, strict=True))
    outcome = bk.run(inside(sol), bk.Model(cost_s=cost), 1, 5.0, arrivals)
    what = "DynamicBatcher(max_batch_size=1, max_wait_ms=5)"
    _check_outputs(bk, outcome, ones, what)
    assert all(len(c["inputs"]) == 1 for c in outcome.calls), f"{what}: a batch > 1 (R1)"


@pytest.mark.rules("R6")
def test_deadlines_use_the_loop_clock(sol, inside, bk, rng):
    """With time.time()/time.monotonic() standing still and only the event loop's clock
    moving, a lone request, a partial burst and the overflow of a full one all go out at the
    times the rule gives on the loop's clock."""
    batch = int(rng.integers(4, 9))
    wait_ms = float(rng.uniform(5, 20))
    cost = 0.002
    xs = iter(_ids(rng, 3 * batch + 4))
    arrivals = [(0.0, next(xs))]
    arrivals += [(0.5, next(xs)) for _ in range(batch // 2)]
    arrivals += [(1.0, next(xs)) for _ in range(batch + 2)]
    model = bk.Model(cost_s=cost)
    expected = bk.simulate(arrivals, batch, wait_ms / 1e3, model.cost_of)
    outcome = bk.run(inside(sol), model, batch, wait_ms, arrivals, wall_clock="frozen")
    what = (
        f"DynamicBatcher(max_batch_size={batch}, max_wait_ms={wait_ms:.2f}) on an event loop "
        f"whose clock moves while time.time()/time.monotonic() stand still"
    )
    if outcome.hung or outcome.pending:
        raise AssertionError(
            f"{what}: requests were never dispatched (the loop's clock moved on for "
            f"{60 + 30} s); R6: every time is the event loop's clock (loop.time(), asyncio "
            f"timers), never the wall clock"
        )
    bk.check_schedule(outcome, expected, "R6: every time is the event loop's clock, never the "
                      "wall clock.", what)  # fmt: skip
    _check_outputs(bk, outcome, [x for _, x in arrivals], what)


def _shown(got) -> str:
    """A caller's outcome for a message (an error as its type and message)."""
    if got is None:
        return "nothing (it never finished)"
    if got[0] == "err":
        return f"{got[1]}({got[2]!r})"
    if got[0] == "ok":
        return f"the result {got[1]!r}"
    return "a cancellation"
