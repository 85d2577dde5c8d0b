"""Sandbox-side drivers of the shadow_traffic hidden suite (they hold no solution).

asyncio does not cross the bridge, so each scenario runs here, next to the submitted router, on
:class:`graders.virtual_clock_loop.VirtualClockLoop` (a virtual clock: latencies and timeouts
are exact whatever the machine's load). A driver only plays the script the judge sends (when
each request arrives, what each model answers and how long it takes) and reports, as plain data,
what it saw: when each call started, ended or was cancelled, what ``handle`` returned or raised,
the router's counters, what reached the logger. The judge computes what should have happened
and compares.
"""

from __future__ import annotations

import asyncio
import logging
import time

from graders.virtual_clock_loop import VirtualTimeout, run_virtual

HANG = "hang"
LOGGER = "shadow_traffic"
STAT_FIELDS = ("mirrored", "dropped", "completed", "errors", "timeouts", "agreed", "disagreed",
               "latency_delta_sum_s", "compared", "disagreement_rate", "mean_latency_delta_s")  # fmt: skip


class ModelError(Exception):
    """What a scripted model (or compare) raises."""


def _module():
    import shadow  # the submitted module, next to this file in the sandbox

    return shadow


def _key(request):
    return request["id"] if isinstance(request, dict) else request


class Scripted:
    """An async model playing ``plan[key(request)] = [cost_s or "hang", output, fails]``: it
    takes ``cost_s`` on the loop clock (or hangs), then raises :class:`ModelError` when
    ``fails``, else returns a fresh copy of ``output`` (kept, so identity can be checked).
    Records each call's request, start, end and cancellation times."""

    def __init__(self, plan: dict) -> None:
        self.plan = {int(k): v for k, v in plan.items()}
        self.calls: list[dict] = []
        self.outputs: dict[int, object] = {}
        self.errors: dict[int, BaseException] = {}
        self.running = 0
        self.max_running = 0

    async def __call__(self, request):
        loop = asyncio.get_running_loop()
        key = int(_key(request))
        cost, output, fails = self.plan[key]
        call = {"key": key, "start": loop.time(), "end": None, "cancelled": None}
        self.calls.append(call)
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if cost == HANG:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(cost)
        except asyncio.CancelledError:
            call["cancelled"] = loop.time()
            raise
        finally:
            self.running -= 1
        call["end"] = loop.time()
        if fails:
            error = ModelError(f"model failed on request {key}")
            self.errors[key] = error
            raise error
        result = _fresh(output)
        self.outputs[key] = result
        return result


def _fresh(value):
    """A new object equal to ``value`` (lists come back from the judge; tuples are rebuilt)."""
    if isinstance(value, list):
        return tuple(_fresh(v) for v in value)
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


def _compare_raising(on: set[int]):
    """operator.eq, except that it raises :class:`ModelError` for the keys in ``on``."""

    def compare(primary_response, shadow_response):
        key = primary_response[1] if isinstance(primary_response, tuple) else None
        if key in on:
            raise ModelError(f"compare failed on request {key}")
        return primary_response == shadow_response

    return compare


def _stats(router) -> dict:
    stats = router.stats
    return {name: getattr(stats, name, None) for name in STAT_FIELDS}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.seen: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        self.seen.append({
            "level": record.levelno,
            "exc_type": None if exc is None else type(exc).__name__,
            "exc_text": None if exc is None else str(exc),
        })  # fmt: skip


def play(script: dict) -> dict:
    """Play ``script`` on a virtual clock and report what happened.

    ``script``: ``router`` (the keyword arguments: ``timeout_s``, ``max_in_flight``, and
    ``compare_raises_on``: keys for which compare raises), ``primary`` and ``shadow`` (plans of
    :class:`Scripted`), ``requests`` (``[[at_s, request], ...]``), ``snapshots``
    (``[[at_s, label], ...]``), ``drain_at`` (when to call ``drain()``, after which the scenario
    ends), ``limit_s`` (virtual time limit).

    Returns: ``handled`` (per request: key, start, end, outcome ``ok``/``raised``, the value or
    the exception's type and text, whether it is the primary's own object), ``primary_calls``
    and ``shadow_calls`` (key, start, end, cancelled per call), ``snapshots`` (label: stats,
    in_flight, shadow calls running), ``max_shadow_running``, ``drain_returned``,
    ``stats`` (after drain), ``first_snapshot_after`` (the first snapshot object re-read at the
    end), ``log`` (records of the 'shadow_traffic' logger), ``hung`` (a message, or None).
    """
    shadow_mod = _module()
    cfg = dict(script["router"])
    raises_on = set(cfg.pop("compare_raises_on", []) or [])
    primary, shadow = Scripted(script["primary"]), Scripted(script["shadow"])

    out: dict = {"handled": [], "snapshots": {}, "hung": None}
    kept: dict = {}

    async def main():
        kwargs = dict(cfg)
        if raises_on:
            kwargs["compare"] = _compare_raising(raises_on)
        router = shadow_mod.ShadowRouter(primary, shadow, **kwargs)
        loop = asyncio.get_running_loop()

        async def one(at, request):
            await asyncio.sleep(at)
            key = int(_key(request))
            start = loop.time()
            try:
                value = await router.handle(request)
            except BaseException as exc:  # noqa: BLE001 - reported to the judge
                out["handled"].append({
                    "key": key, "start": start, "end": loop.time(), "outcome": "raised",
                    "exc_type": type(exc).__name__, "exc_text": str(exc),
                    "own": exc is primary.errors.get(key),
                })  # fmt: skip
                return
            out["handled"].append({
                "key": key, "start": start, "end": loop.time(), "outcome": "ok", "value": value,
                "own": key in primary.outputs and value is primary.outputs[key],
            })  # fmt: skip

        async def snap(at, label):
            await asyncio.sleep(at)
            out["snapshots"][label] = {
                "stats": _stats(router), "in_flight": router.in_flight,
                "shadow_running": shadow.running,
            }  # fmt: skip
            if "first" not in kept:
                kept["first"] = router.stats

        tasks = [asyncio.ensure_future(one(at, r)) for at, r in script["requests"]]
        tasks += [
            asyncio.ensure_future(snap(at, label)) for at, label in script.get("snapshots", [])
        ]
        await asyncio.sleep(script["drain_at"])
        await router.drain()
        out["drain_returned"] = loop.time()
        out["stats_at_drain"] = _stats(router)
        await asyncio.gather(*tasks)
        out["stats"] = _stats(router)
        out["in_flight_end"] = router.in_flight

    records = _Records()
    log = logging.getLogger(LOGGER)
    old_level, old_disabled = log.level, log.disabled
    log.addHandler(records)
    log.setLevel(logging.DEBUG)
    log.disabled = False
    try:
        run_virtual(main, limit_s=script.get("limit_s", 120.0), what="the scenario")
    except VirtualTimeout as exc:
        out["hung"] = str(exc)
    finally:
        log.removeHandler(records)
        log.setLevel(old_level)
        log.disabled = old_disabled
    out["primary_calls"] = primary.calls
    out["shadow_calls"] = shadow.calls
    out["max_shadow_running"] = shadow.max_running
    out["log"] = records.seen
    if "first" in kept:
        first = kept["first"]
        out["first_snapshot_after"] = {n: getattr(first, n, None) for n in STAT_FIELDS}
    return out


def meddling(features: list, user: str) -> dict:
    """A shadow that changes its request (appends to a nested list, rewrites a nested dict
    value) and a primary that answers from the request it sees. Returns the primary's answer,
    the caller's request after the call, and whether the shadow ran."""
    shadow_mod = _module()
    out: dict = {"shadow_ran": False}

    async def primary(request):
        await asyncio.sleep(0.005)
        return {"total": sum(request["features"]), "user": request["meta"]["user"]}

    async def shadow(request):
        request["features"].append(1000)
        request["meta"]["user"] = "mallory"
        out["shadow_ran"] = True
        await asyncio.sleep(0.001)
        return None

    async def main():
        router = shadow_mod.ShadowRouter(primary, shadow, timeout_s=1.0, max_in_flight=10)
        request = {"features": list(features), "meta": {"user": user}}
        out["response"] = await router.handle(request)
        await router.drain()
        out["request"] = request

    run_virtual(main, what="a meddling shadow")
    return out


def new_router(timeout_s, max_in_flight) -> str:
    """Build a router with these arguments; ``"ok"`` or the exception's type name."""
    shadow_mod = _module()

    async def model(request):
        return request

    try:
        shadow_mod.ShadowRouter(model, model, timeout_s=timeout_s, max_in_flight=max_in_flight)
    except Exception as exc:  # noqa: BLE001 - reported to the judge
        return type(exc).__name__
    return "ok"


def p99_run(n_each: int, clients: int) -> dict:
    """In real time on a real event loop: ``clients`` concurrent clients alternate between
    calling the primary (2 ms) directly and through a router whose shadow sleeps 20 ms or hangs
    (``timeout_s=0.05``). Returns the latencies of both kinds (perf_counter seconds), the
    requests whose response was wrong, and the router's counters."""
    shadow_mod = _module()

    async def primary(request):
        await asyncio.sleep(0.002)
        return ("answer", request)

    async def shadow(request):
        if request % 2:
            await asyncio.sleep(0.02)  # slow
        else:
            await asyncio.Event().wait()  # hangs: cancelled by the router's timeout
        return ("answer", request)

    async def main():
        router = shadow_mod.ShadowRouter(primary, shadow, timeout_s=0.05, max_in_flight=64)
        direct, routed, wrong = [], [], []
        per_client = n_each * 2 // clients

        async def client(c):
            for k in range(per_client):
                request = c * per_client + k
                through_router = (k + c) % 2 == 0
                start = time.perf_counter()
                if through_router:
                    got = await router.handle(request)
                else:
                    got = await primary(request)
                elapsed = time.perf_counter() - start
                (routed if through_router else direct).append(elapsed)
                if got != ("answer", request):
                    wrong.append(request)

        await asyncio.gather(*(client(c) for c in range(clients)))
        await asyncio.wait_for(router.drain(), 30)
        return {"direct": direct, "routed": routed, "wrong": wrong[:5], "stats": _stats(router)}

    log = logging.getLogger(LOGGER)
    old = log.disabled
    log.disabled = True
    try:
        return asyncio.run(main())
    finally:
        log.disabled = old
