"""Shadow traffic for a model rollout: serve from the primary, mirror to the shadow.

Fill in :class:`ShadowRouter`. Read README.md first: it states what the shadow may and may not
do to a request, the bounds on shadow calls, the statistics and the performance target.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("shadow_traffic")


@dataclass
class ShadowStats:
    """Counters of a ShadowRouter (a snapshot)."""

    mirrored: int = 0
    dropped: int = 0
    completed: int = 0
    errors: int = 0
    timeouts: int = 0
    agreed: int = 0
    disagreed: int = 0
    latency_delta_sum_s: float = 0.0

    @property
    def compared(self) -> int:
        """Requests whose two responses were compared."""
        return self.agreed + self.disagreed

    @property
    def disagreement_rate(self) -> float:
        """disagreed / compared (0.0 before any comparison)."""
        return self.disagreed / self.compared if self.compared else 0.0

    @property
    def mean_latency_delta_s(self) -> float | None:
        """Mean of (shadow latency - primary latency) over compared requests, or None."""
        return self.latency_delta_sum_s / self.compared if self.compared else None


class ShadowRouter:
    """Serve every request from the primary model and mirror it to the shadow model, which
    must never delay or change the primary's response (asyncio; one event loop)."""

    def __init__(
        self,
        primary: Callable[[Any], Awaitable[Any]],
        shadow: Callable[[Any], Awaitable[Any]],
        *,
        timeout_s: float,
        max_in_flight: int,
        compare: Callable[[Any, Any], bool] = operator.eq,
    ) -> None:
        """Args:
            primary: ``async primary(request) -> response``: the production model.
            shadow: ``async shadow(request) -> response``: the candidate model; it may be
                slow, hang, raise, or modify the request it gets.
            timeout_s: a shadow call still running after this many seconds (loop clock) is
                cancelled, > 0.
            max_in_flight: the most shadow calls running at once, an int >= 1.
            compare: ``compare(primary_response, shadow_response) -> bool`` (agree?).

        Raises:
            ValueError: timeout_s is not a number > 0, or max_in_flight not an int >= 1.
        """
        raise NotImplementedError

    @property
    def stats(self) -> ShadowStats:
        """A snapshot (a copy) of the counters."""
        raise NotImplementedError

    @property
    def in_flight(self) -> int:
        """Shadow calls running now."""
        raise NotImplementedError

    async def handle(self, request: Any) -> Any:
        """Return the primary's response to ``request`` (or raise its exception), exactly as
        if there were no shadow; mirror the request to the shadow in the background."""
        raise NotImplementedError

    async def drain(self) -> None:
        """Wait until every shadow call started so far has finished and been recorded."""
        raise NotImplementedError
