"""Per-entity sliding-window features: count, sum, mean and max over ``(t - window, t]``, with
O(1) amortised updates and one code path for batch backfill and online serving (see
README.md). Times and the window are integer milliseconds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class Features(NamedTuple):
    """The features of one entity at one time (an empty window: 0, 0.0, nan, nan)."""

    count: int
    sum: float
    mean: float
    max: float


class FeatureColumns(NamedTuple):
    """The features of every backfilled row, in input row order: ``count`` int64, the others
    float64, each of the input's length."""

    count: np.ndarray
    sum: np.ndarray
    mean: np.ndarray
    max: np.ndarray


class SlidingWindowFeatures:
    """count, sum, mean and max of each entity's values over ``(t - window, t]``.

    Args:
        window: the window length, a positive int (milliseconds).

    Raises:
        ValueError: ``window`` is not a positive int (a bool is not).
    """

    def __init__(self, window: int) -> None:
        raise NotImplementedError

    @property
    def window(self) -> int:
        """The window length (ms)."""
        raise NotImplementedError

    def update(self, entity: int, t: int, value: float) -> Features:
        """Add the event ``(t, value)`` of ``entity``; return its features at ``t``, this event
        and every earlier one still in the window included.

        Raises:
            ValueError: ``t`` is before the latest time given for ``entity``.
        """
        raise NotImplementedError

    def query(self, entity: int, t: int) -> Features:
        """The features of ``entity`` at ``t``, adding nothing (empty for an unknown entity).

        Raises:
            ValueError: ``t`` is before the latest time given for ``entity``.
        """
        raise NotImplementedError

    def backfill(
        self, entities: Sequence[int], times: Sequence[int], values: Sequence[float]
    ) -> FeatureColumns:
        """Process the rows as ``update`` would, in time order (equal times in input order);
        return each row's features in input row order. The instance keeps the state.

        Raises:
            ValueError: the sequences differ in length, or a row's time is before the latest
                time already given for its entity.
        """
        raise NotImplementedError
