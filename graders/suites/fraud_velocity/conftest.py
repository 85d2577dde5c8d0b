"""Fixtures of the fraud_velocity hidden suite: the modules, random transaction streams
(in order, or arriving up to 1 h late), and brute-force oracles for the features."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

T0 = 1_750_000_000.0
CITIES = {
    "NYC": (40.7128, -74.0060), "LA": (34.0522, -118.2437), "CHI": (41.8781, -87.6298),
    "LON": (51.5074, -0.1278), "PAR": (48.8566, 2.3522), "TYO": (35.6762, 139.6503),
    "SYD": (-33.8688, 151.2093), "SAO": (-23.5505, -46.6333), "BOS": (42.3601, -71.0589),
    "PHL": (39.9526, -75.1652),
}  # fmt: skip
AMOUNTS = (9.99, 20.0, 49.5, 100.0, 250.0)  # few distinct amounts: equal amounts are common


@dataclass(frozen=True)
class Txn:
    """A transaction before it is built with a module's Transaction class."""

    txn_id: str
    user_id: str
    merchant_id: str
    amount: float
    timestamp: float
    lat: float
    lon: float

    def row(self) -> tuple:
        """The transaction as plain data (the sandbox's drivers build it there)."""
        return (self.txn_id, self.user_id, self.merchant_id, self.amount, self.timestamp,
                self.lat, self.lon)  # fmt: skip

    def build(self, module):
        """This transaction as ``module.Transaction``."""
        return module.Transaction(self.txn_id, self.user_id, self.merchant_id, self.amount,
                                  self.timestamp, self.lat, self.lon)  # fmt: skip

    def member(self) -> str:
        """The statement's sorted-set member."""
        return (f"{self.txn_id}|{self.merchant_id}|{float(self.amount)!r}|{float(self.lat)!r}|"
                f"{float(self.lon)!r}")  # fmt: skip


def quarter(x: float) -> float:
    """Round to the 0.25 s grid (exact in float64, so window edges are exact)."""
    return round(x * 4.0) / 4.0


def chord_km(lat1, lon1, lat2, lon2, radius=6371.0) -> float:
    """Great-circle distance from the chord between unit vectors: 2 R asin(|p - q| / 2), an
    oracle independent of the haversine formula."""

    def unit(lat, lon):
        a, b = math.radians(lat), math.radians(lon)
        return np.array([math.cos(a) * math.cos(b), math.cos(a) * math.sin(b), math.sin(a)])

    chord = float(np.linalg.norm(unit(lat1, lon1) - unit(lat2, lon2)))
    return 2.0 * radius * math.asin(min(1.0, chord / 2.0))


def make_events(rng, *, users=8, per_user=40, span_s=6 * 3600.0, merchants=6, prefix="t",
                start=T0, travel=0.15) -> list[Txn]:  # fmt: skip
    """Random transactions in event-time order: unique quarter-second timestamps per user,
    merchants from a small pool, amounts from a small set, mostly at the user's home city,
    sometimes far away."""
    events = []
    city_names = list(CITIES)
    for u in range(users):
        user = f"u{u}_{int(rng.integers(10**6))}"
        home = CITIES[city_names[int(rng.integers(len(city_names)))]]
        offsets = np.sort(rng.choice(int(span_s * 4), size=per_user, replace=False)) / 4.0
        for k, off in enumerate(offsets):
            where = home
            if rng.random() < travel:
                where = CITIES[city_names[int(rng.integers(len(city_names)))]]
            lat = round(where[0] + rng.normal(0, 0.05), 6)
            lon = round(where[1] + rng.normal(0, 0.05), 6)
            events.append(Txn(f"{prefix}{u}_{k}", user, f"m{int(rng.integers(merchants))}",
                              float(AMOUNTS[int(rng.integers(len(AMOUNTS)))]),
                              quarter(start + float(off)), lat, lon))  # fmt: skip
    events.sort(key=lambda e: e.timestamp)
    return events


def arrival_order(rng, events: list[Txn], lateness_s: float = 3600.0) -> list[Txn]:
    """The events in arrival order: each arrives up to ``lateness_s`` after it happened."""
    arrival = [e.timestamp + float(rng.uniform(0, lateness_s)) for e in events]
    return [events[i] for i in np.argsort(arrival, kind="stable")]


def oracle(recorded: list[Txn], txn: Txn) -> dict:
    """Brute-force features of ``txn`` given every transaction recorded so far (itself
    included), by the statement's rules."""
    t = txn.timestamp
    mine = {e.txn_id: e for e in recorded if e.user_id == txn.user_id}.values()

    def within(w):
        return [e for e in mine if t - w <= e.timestamp <= t]

    h1 = within(3600.0)
    amount = math.fsum(e.amount for e in h1)
    before = [e for e in within(86400.0) if e.timestamp < t]
    if before:
        prev = max(before, key=lambda e: e.timestamp)
        dist = chord_km(prev.lat, prev.lon, txn.lat, txn.lon)
        hours = (t - prev.timestamp) / 3600.0
        impossible = dist > 1000.0 and hours < 2.0
    else:
        dist, hours, impossible = math.nan, math.nan, False
    return {
        "txn_count_5m": len(within(300.0)),
        "txn_count_30m": len(within(1800.0)),
        "txn_count_1h": len(h1),
        "amount_1h": amount,
        "avg_amount_1h": amount / max(len(h1), 1),
        "unique_merchants_24h": len({e.merchant_id for e in within(86400.0)}),
        "distance_from_last_km": dist,
        "hours_since_last": hours,
        "impossible_travel": impossible,
    }


def _same(got, want, rtol: float) -> bool:
    if isinstance(want, bool):
        return type(got) in (bool, np.bool_) and bool(got) == want
    if isinstance(want, int):
        return isinstance(got, int | np.integer) and not isinstance(got, bool) and got == want
    if math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    return isinstance(got, float) and abs(got - want) <= rtol * max(1.0, abs(want))


FIELDS = ("txn_count_5m", "txn_count_30m", "txn_count_1h", "amount_1h", "avg_amount_1h",
          "unique_merchants_24h", "distance_from_last_km", "hours_since_last",
          "impossible_travel")  # fmt: skip
RULE_OF = {"txn_count_5m": "R3", "txn_count_30m": "R3", "txn_count_1h": "R3",
           "amount_1h": "R4", "avg_amount_1h": "R4", "unique_merchants_24h": "R5",
           "distance_from_last_km": "R6", "hours_since_last": "R6",
           "impossible_travel": "R7"}  # fmt: skip


def check_features(got, want: dict, txn: Txn, what: str, hint: str = "", rtol=1e-9) -> None:
    """``got`` (the tuple a driver returned, in FIELDS order, or an error) has exactly the
    oracle's fields: ints, floats within ``rtol`` (1e-6 for distances), NaN where expected,
    bools."""
    call = f"record_transaction({txn.txn_id}, user {txn.user_id}, t={txn.timestamp!r})"
    if got is None:
        raise AssertionError(f"{what}: {call} was never made (an earlier call raised)")
    if len(got) == 3 and got[0] == "error":
        raise AssertionError(f"{what}: {call} raised {got[1]}: {got[2]}")
    got = dict(zip(FIELDS, got, strict=True))
    for name, value in want.items():
        g = got.get(name, "<missing>")
        tol = 1e-6 if name == "distance_from_last_km" else rtol
        if not _same(g, value, tol):
            raise AssertionError(
                f"{what}: {call} returned {name}={g!r}, expected {value!r}"
                + (f". {hint}" if hint else f" ({RULE_OF[name]})")
            )


@pytest.fixture(scope="session")
def fv():
    """The suite's helpers (test files cannot import conftest under --import-mode=importlib)."""
    return SimpleNamespace(
        T0=T0, CITIES=CITIES, Txn=Txn, quarter=quarter, chord_km=chord_km,
        make_events=make_events, arrival_order=arrival_order, oracle=oracle,
        check_features=check_features, FIELDS=FIELDS,
    )  # fmt: skip
