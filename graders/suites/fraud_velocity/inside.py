"""Drivers of the fraud_velocity hidden suite, run in the sandbox next to the submission.

A stream of transactions is recorded here in one call (the channel to the sandbox costs a
round trip per call; a stream of thousands would spend its time there), and what every call
returned comes back as plain data for the judge to compare with its oracle. Nothing here knows
the answers.
"""

from __future__ import annotations

FIELDS = ("txn_count_5m", "txn_count_30m", "txn_count_1h", "amount_1h", "avg_amount_1h",
          "unique_merchants_24h", "distance_from_last_km", "hours_since_last",
          "impossible_travel")  # fmt: skip


def _module():
    import velocity  # the submitted module, next to this file in the sandbox

    return velocity


def drive(record, transaction, client, prefix: str, rows: list, mark=None) -> list:
    """Record each row ``(txn_id, user_id, merchant_id, amount, timestamp, lat, lon)`` in
    order with ``record(client, prefix, transaction(*row))``; after each, call ``mark(i)``
    if given. Returns per row the features as a tuple in :data:`FIELDS` order, or
    ``("error", type name, message)`` for a call that raised (the stream stops there)."""
    out = []
    for i, row in enumerate(rows):
        try:
            got = record(client, prefix, transaction(*row))
        except Exception as exc:  # noqa: BLE001 - reported to the judge
            out.append(("error", type(exc).__name__, str(exc)[:300]))
            break
        out.append(tuple(getattr(got, f, None) for f in FIELDS))
        if mark is not None:
            mark(i)
    return out


def record_stream(client, prefix: str, rows: list, mark=None) -> list:
    """:func:`drive` on the submitted record_transaction."""
    mod = _module()
    return drive(mod.record_transaction, mod.Transaction, client, prefix, rows, mark)


def decide_cases(cases: list) -> list:
    """Per case ``(txn row, (txn_count_5m, impossible_travel), ml, dl, rules kwargs)``: the
    submitted decide(...) as ``(action, reason, score)`` (or an error)."""
    mod = _module()
    out = []
    for row, (count, impossible), ml, dl, rules in cases:
        txn = mod.Transaction(*row)
        feats = mod.VelocityFeatures(count, count, count, 10.0, 10.0, 1, 5.0, 1.0, impossible)
        kwargs = {k: (frozenset(v) if k.startswith("blocked") else v) for k, v in rules.items()}
        try:
            got = mod.decide(txn, feats, ml, dl, mod.Rules(**kwargs))
        except Exception as exc:  # noqa: BLE001 - reported to the judge
            out.append(("error", type(exc).__name__, str(exc)[:300]))
            continue
        out.append((getattr(got, "action", None), getattr(got, "reason", None),
                    getattr(got, "score", None)))  # fmt: skip
    return out
