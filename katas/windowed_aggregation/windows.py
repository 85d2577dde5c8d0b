"""Event-time windowed aggregation: tumbling, sliding and session windows with watermarks,
allowed lateness, a late side output and de-duplication (see README.md).

Semantics of Apache Flink's event-time windows (``BoundedOutOfOrdernessWatermarks``,
``EventTimeTrigger``, ``allowedLateness``, ``sideOutputLateData``) and Apache Beam's
accumulating panes. Times are integer milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Fire(NamedTuple):
    """One emitted record: ``kind`` is ``"on_time"``, ``"late"`` or ``"retract"``; the window
    is ``[start, end)`` of ``key``; ``count``, ``total`` and ``maximum`` are its aggregates."""

    kind: str
    key: int
    start: int
    end: int
    count: int
    total: float
    maximum: float


class Late(NamedTuple):
    """An event of the late side output (no window accepted it)."""

    time: int
    key: int
    value: float
    id: int


class Output(NamedTuple):
    """What one call produced: the emitted records and the late events, each in order."""

    fires: list[Fire]
    late: list[Late]


class WindowedAggregator:
    """Keyed event-time windows: count, total and maximum of the values per key and window.

    Args:
        kind: ``"tumbling"`` (needs ``size``), ``"sliding"`` (``size`` and ``slide``) or
            ``"session"`` (``gap``).
        size, slide, gap: window length, hop and session gap, positive int milliseconds.
        out_of_orderness: the watermark lags the largest event time by this much (ms, >= 0).
        allowed_lateness: a window accepts events until the watermark reaches
            ``end + allowed_lateness`` (ms, >= 0).
        dedup_horizon: an event id is remembered until the watermark reaches its event's
            time plus this (ms, >= 0); ``None``: no de-duplication.

    Raises:
        ValueError: an unknown kind, a missing, non-positive, negative, non-int or bool
            parameter, a parameter of another kind, a slide for tumbling windows other than
            ``size``, ``slide > size``.
    """

    def __init__(
        self,
        kind: str,
        *,
        size: int | None = None,
        slide: int | None = None,
        gap: int | None = None,
        out_of_orderness: int = 0,
        allowed_lateness: int = 0,
        dedup_horizon: int | None = None,
    ) -> None:
        raise NotImplementedError

    @property
    def watermark(self) -> float:
        """The watermark: the largest event time processed so far minus ``out_of_orderness``
        (``-inf`` before the first event, ``inf`` after ``close``)."""
        raise NotImplementedError

    def process(
        self,
        times: Sequence[int],
        keys: Sequence[int],
        values: Sequence[float],
        ids: Sequence[int],
    ) -> Output:
        """Process the events one at a time in the order given (their arrival order).

        Args:
            times: event times, int milliseconds >= 0.
            keys: int keys; windows are per key.
            values: float values.
            ids: int event ids (de-duplication).

        Returns:
            ``Output(fires, late)``: the records emitted, in the order emitted, and the late
            events (side output), in arrival order.

        Raises:
            ValueError: the four sequences differ in length.
            RuntimeError: the stream is closed.
        """
        raise NotImplementedError

    def close(self) -> Output:
        """End the stream: the watermark becomes ``inf``, every window not fired yet fires
        (``"on_time"``, in order of ``(end, start, key)``); returns ``Output(fires, [])``.

        Raises:
            RuntimeError: the stream is closed already.
        """
        raise NotImplementedError
