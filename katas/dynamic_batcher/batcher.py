"""Dynamic request batching for an asyncio model server.

Fill in :class:`DynamicBatcher`. Read README.md first: it states the exact dispatch rule, the
clock to use, what happens on errors, cancellation and close, and the performance targets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class DynamicBatcher:
    """Collect concurrent ``submit`` calls into batches for one synchronous ``model_fn``.

    A batch is dispatched, while the model is idle, as soon as ``max_batch_size`` requests are
    queued or the oldest queued request has waited ``max_wait_ms`` on the event loop's clock
    (``loop.time()``). ``model_fn`` runs in a worker thread (``loop.run_in_executor`` or
    ``asyncio.to_thread``), at most one call at a time. See Triton's dynamic batcher
    (``max_queue_delay_microseconds``) and TorchServe's ``maxBatchDelay`` for the same policy.
    """

    def __init__(
        self, model_fn: Callable[[list], Sequence], max_batch_size: int, max_wait_ms: float
    ) -> None:
        """Create a batcher; no task is started until the first ``submit``.

        Args:
            model_fn: ``model_fn(inputs: list) -> outputs`` where ``len(outputs) ==
                len(inputs)`` and ``outputs[i]`` answers ``inputs[i]`` (a list, a tuple, a
                tensor or an array). Synchronous, blocking and not thread-safe.
            max_batch_size: the largest batch, an int >= 1.
            max_wait_ms: the longest a request may wait in the queue while the model is idle,
                in milliseconds, finite and >= 0.

        Raises:
            ValueError: max_batch_size is not an int >= 1 (bool excluded), or max_wait_ms is
                not a finite number >= 0 (negative, infinite, NaN or a bool).
        """
        raise NotImplementedError

    async def submit(self, x: Any) -> Any:
        """Queue one input and wait for its output.

        Returns:
            ``model_fn(batch)[i]``, where ``batch[i] is x``.

        Raises:
            RuntimeError: the batcher is closed (``aclose`` was called).
            Exception: the exception ``model_fn`` raised for this request's batch (the same
                object), or ValueError when ``model_fn`` returned the wrong number of outputs.
            asyncio.CancelledError: the caller was cancelled (the request is dropped).
        """
        raise NotImplementedError

    async def aclose(self) -> None:
        """Stop accepting requests, dispatch every queued request without waiting for
        max_wait_ms, and return once every batch has finished. Calling it again starts
        nothing (while the first call still drains, it returns once that drain is over)."""
        raise NotImplementedError

    async def __aenter__(self) -> DynamicBatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
