"""Feature selection under an inference latency SLA, with crosses that share the cost of their
base features, and hashed crosses of fixed memory.

Fill in the two functions below. Read README.md first: it states the cost model, the input
limits, the hash, the errors to raise and the performance target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class Selection(NamedTuple):
    """The chosen features, their summed gain and their total latency."""

    bases: np.ndarray  # int64, ascending indices of the computed base features
    crosses: np.ndarray  # int64, ascending indices of the selected crosses
    gain: float
    cost: int


def select_features(base_cost, base_gain, cross_cost, cross_gain, cross_parents,
                    budget: int) -> Selection:  # fmt: skip
    """The feature set of maximal total gain whose total latency is <= ``budget``.

    Args:
        base_cost: int (B,), latency of each base feature (0.1 ms units), B <= 10.
        base_gain: float (B,), offline gain of each base feature.
        cross_cost: int (C,), latency of each cross, C <= 200.
        cross_gain: float (C,), offline gain of each cross.
        cross_parents: int (C, 2), the two distinct base features each cross needs.
        budget: the SLA, an int in [0, 1000].

    Returns:
        ``Selection(bases, crosses, gain, cost)``; a base feature's cost counts once however
        many selected crosses use it.

    Raises:
        ValueError: see README.md.
    """
    raise NotImplementedError


def hash_cross(a_values: Sequence[str], b_values: Sequence[str], table_size: int) -> np.ndarray:
    """Bucket of each (a, b) pair in a table of ``table_size`` rows (int64 array).

    BLAKE2b with an 8-byte digest of ``(a + "\\x1f" + b).encode("utf-8")``, little-endian,
    modulo ``table_size``: the same in every process.

    Raises:
        ValueError: lengths differ, a value is not a str, or table_size is not an int >= 1.
    """
    raise NotImplementedError
