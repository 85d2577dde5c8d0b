"""Drivers of the embedding_cache hidden suite, run in the sandbox next to the cache.

An exception cannot cross the sandbox's boundary as the same object, so the scenario that
checks "the same exception" runs here: the test model raises one exception object, and the
driver reports, for each caller, whether it got that very object.
"""

from __future__ import annotations

import threading
import time

from graders.clocks import ManualClock


class EmbedError(Exception):
    """What the test model raises for a batch holding a poison text."""


def _module():
    import embedcache  # the submitted module, next to this file in the sandbox

    return embedcache


def shared_error(good: str, bad: str) -> dict:
    """Call A = get_many([good, bad]) with max_batch_size 1, whose second batch (bad) raises,
    while call B = get_many([bad]) waits for A's bad; then get_many([good]) and
    get_many([bad]) again (the model no longer failing). Reports what each call got and the
    model's calls."""
    gate, entered = threading.Event(), threading.Event()
    raised: list = []
    calls: list = []
    failing = [True]

    def embed(texts):
        texts = list(texts)
        calls.append(texts)
        entered.set()
        gate.wait(10)
        if bad in texts and failing[0]:
            exc = EmbedError(f"cannot embed {bad!r}")
            raised.append(exc)
            raise exc
        return [("emb", t) for t in texts]

    cache = _module().EmbeddingCache(embed, 100, 60.0, 1, ManualClock())
    out: dict = {}

    def call(name, texts):
        try:
            out[name] = ("ok", cache.get_many(texts))
        except BaseException as exc:  # noqa: BLE001 - described below
            out[name] = ("err", exc)

    a = threading.Thread(target=call, args=("A", [good, bad]), daemon=True)
    a.start()
    entered.wait(10)
    b = threading.Thread(target=call, args=("B", [bad]), daemon=True)
    b.start()
    time.sleep(0.2)  # B looks its text up while A's first batch is in the model
    gate.set()
    a.join(10)
    b.join(10)
    hung = [n for n, t in (("A", a), ("B", b)) if t.is_alive()]
    failing[0] = False
    before = len(calls)
    again = {}
    for name, texts in (("good_again", [good]), ("bad_again", [bad])):
        try:
            again[name] = ("ok", cache.get_many(texts))
        except BaseException as exc:  # noqa: BLE001
            again[name] = ("err", type(exc).__name__)

    def describe(result):
        if result is None:
            return None
        if result[0] == "ok":
            return result
        exc = result[1]
        return ("err", type(exc).__name__, str(exc)[:200], any(exc is r for r in raised))

    return {"A": describe(out.get("A")), "B": describe(out.get("B")), "hung": hung,
            "raised": len(raised), "calls": calls[:before], "again": again,
            "calls_again": calls[before:]}  # fmt: skip
