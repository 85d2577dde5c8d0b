# kills: test_correctness.py::test_full_batch_dispatched_immediately, test_correctness.py::test_model_error_reaches_exactly_its_batch, test_correctness.py::test_cancelled_request_is_dropped_not_its_batch, test_correctness.py::test_model_runs_in_a_worker_thread
# public: fails
"""Mutant: the seed's RequestBatcher sketch, adapted to this API: it always sleeps max_wait_ms
before taking a batch (even a full one, and from the start of processing, not from the oldest
request), runs the model on the event loop's thread, lets a model exception kill the batch task
(its callers wait forever: the public error example fails), and calls set_result on cancelled
futures."""

import asyncio
import math


class DynamicBatcher:
    def __init__(self, model_fn, max_batch_size, max_wait_ms):
        if isinstance(max_batch_size, bool) or not isinstance(max_batch_size, int):
            raise ValueError("max_batch_size must be an int")
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be >= 1")
        if not math.isfinite(max_wait_ms) or max_wait_ms < 0:
            raise ValueError("max_wait_ms must be >= 0")
        self.model_fn = model_fn
        self.max_batch_size = max_batch_size
        self.max_wait_ms = max_wait_ms
        self.queue = []
        self.processing = False
        self.closed = False

    async def submit(self, x):
        if self.closed:
            raise RuntimeError("closed")
        future = asyncio.get_running_loop().create_future()
        await self.add_request(x, future)
        return await future

    async def add_request(self, features, future):
        """Add request to batch queue"""
        self.queue.append((features, future))

        # Start batch processing if not already running
        if not self.processing:
            asyncio.create_task(self._process_batch())

        # Or if queue is full
        if len(self.queue) >= self.max_batch_size:
            asyncio.create_task(self._process_batch())

    async def _process_batch(self):
        """Process accumulated requests as batch"""
        if self.processing or len(self.queue) == 0:
            return

        self.processing = True

        # Wait for more requests (up to max_wait_ms)
        await asyncio.sleep(self.max_wait_ms / 1000)

        # Get batch
        batch_size = min(len(self.queue), self.max_batch_size)
        batch = self.queue[:batch_size]
        self.queue = self.queue[batch_size:]

        features_list = [item[0] for item in batch]
        futures = [item[1] for item in batch]

        # Run inference
        predictions = self.model_fn(features_list)

        # Return results to individual futures
        for i, future in enumerate(futures):
            future.set_result(predictions[i])

        self.processing = False

        # Process remaining queue if any
        if len(self.queue) > 0:
            asyncio.create_task(self._process_batch())

    async def aclose(self):
        self.closed = True
        while self.queue or self.processing:
            await asyncio.sleep(self.max_wait_ms / 1000 + 0.001)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await self.aclose()
