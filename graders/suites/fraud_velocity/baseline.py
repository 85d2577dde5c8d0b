"""The bar of fraud_velocity's throughput gate (baseline sandbox only): a plain, well-written
record_transaction. One MULTI/EXEC round trip: ZADD the member, trim below t - 25 h, read the
24 h window with scores; every feature computed from that reply in one Python pass.
"""

from __future__ import annotations

import math
from collections import namedtuple

from inside import drive

Transaction = namedtuple("Transaction", "txn_id user_id merchant_id amount timestamp lat lon")
Features = namedtuple(
    "Features",
    "txn_count_5m txn_count_30m txn_count_1h amount_1h avg_amount_1h unique_merchants_24h "
    "distance_from_last_km hours_since_last impossible_travel",
)


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def record_transaction(client, prefix, txn):
    t = float(txn.timestamp)
    key = f"{prefix}txn:{txn.user_id}"
    member = (f"{txn.txn_id}|{txn.merchant_id}|{float(txn.amount)!r}|{float(txn.lat)!r}|"
              f"{float(txn.lon)!r}")  # fmt: skip
    pipe = client.pipeline(transaction=True)
    pipe.zadd(key, {member: t})
    pipe.zremrangebyscore(key, "-inf", f"({t - 90000.0!r}")
    pipe.zrangebyscore(key, t - 86400.0, t, withscores=True)
    window = pipe.execute()[2]
    c5 = c30 = c1h = 0
    amount = 0.0
    merchants = set()
    prev = None
    for raw, score in window:
        _, merchant, amt, lat, lon = raw.split("|")
        merchants.add(merchant)
        age = t - score
        if age <= 3600.0:
            c1h += 1
            amount += float(amt)
            c30 += age <= 1800.0
            c5 += age <= 300.0
        if score < t and (prev is None or score > prev[0]):
            prev = (score, float(lat), float(lon))
    if prev is None:
        dist = hours = math.nan
        impossible = False
    else:
        dist = haversine_km(prev[1], prev[2], txn.lat, txn.lon)
        hours = (t - prev[0]) / 3600.0
        impossible = dist > 1000.0 and hours < 2.0
    return Features(c5, c30, c1h, amount, amount / max(c1h, 1), len(merchants), dist, hours,
                    impossible)  # fmt: skip


def record_stream(client, prefix, rows, mark=None):
    """The gate's timed call on this plain solution."""
    return drive(record_transaction, Transaction, client, prefix, rows, mark)
