"""Style B: a single threading.Condition (waiters of a load sleep on it, notify_all on
completion), an epoch *token object* per generation, and a hand-made doubly linked LRU list."""

from __future__ import annotations

import numbers
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

_PENDING, _OK, _FAILED = 0, 1, 2


class _Node:
    __slots__ = ("key", "value", "epoch", "stored", "prev", "next")

    def __init__(self, key: Any = None, value: Any = None, epoch: Any = None, stored: float = 0.0):
        self.key = key
        self.value = value
        self.epoch = epoch
        self.stored = stored
        self.prev: _Node = self
        self.next: _Node = self


class _Load:
    __slots__ = ("epoch", "state", "result")

    def __init__(self, epoch: object) -> None:
        self.epoch = epoch
        self.state = _PENDING
        self.result: Any = None


class PredictionCache:
    """LRU + TTL cache of model predictions with invalidation by model version and
    single-flight loading. Thread-safe.
    """

    def __init__(
        self,
        loader: Callable[[Hashable], Any],
        capacity: int,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if type(capacity) is bool or not isinstance(capacity, int) or capacity < 1:
            raise ValueError("capacity must be an int >= 1")
        if type(ttl_s) is bool or not isinstance(ttl_s, numbers.Real) or not (ttl_s > 0):
            raise ValueError("ttl_s must be a number > 0")
        self._loader = loader
        self._capacity = capacity
        self._ttl = ttl_s
        self._clock = clock
        self._cond = threading.Condition(threading.Lock())
        self._generation = 0
        self._epoch = object()  # identity token of the live generation
        self._map: dict[Hashable, _Node] = {}
        self._head = _Node()  # sentinel: head.next is the LRU, head.prev the MRU
        self._loads: dict[Hashable, _Load] = {}

    # -- linked list helpers (call with the condition held) ------------------------------
    def _unlink(self, node: _Node) -> None:
        node.prev.next = node.next
        node.next.prev = node.prev

    def _push_mru(self, node: _Node) -> None:
        last = self._head.prev
        node.prev = last
        node.next = self._head
        last.next = node
        self._head.prev = node

    @property
    def generation(self) -> int:
        with self._cond:
            return self._generation

    def invalidate(self) -> int:
        """Constant time: swap the epoch token; older entries and loads no longer match."""
        with self._cond:
            self._generation += 1
            self._epoch = object()
            return self._generation

    def get(self, key: Hashable) -> Any:
        with self._cond:
            epoch = self._epoch
            node = self._map.get(key)
            if node is not None:
                if node.epoch is epoch and self._clock() < node.stored + self._ttl:
                    self._unlink(node)
                    self._push_mru(node)
                    return node.value
                self._unlink(node)
                del self._map[key]
            load = self._loads.get(key)
            if load is not None and load.epoch is epoch:
                while load.state == _PENDING:
                    self._cond.wait()
                if load.state == _FAILED:
                    raise load.result
                return load.result
            load = _Load(epoch)
            self._loads[key] = load

        try:
            value = self._loader(key)
        except BaseException as exc:
            with self._cond:
                if self._loads.get(key) is load:
                    del self._loads[key]
                load.state, load.result = _FAILED, exc
                self._cond.notify_all()
            raise

        stored = self._clock()
        with self._cond:
            if self._loads.get(key) is load:
                del self._loads[key]
            if load.epoch is self._epoch:
                old = self._map.pop(key, None)
                if old is not None:
                    self._unlink(old)
                node = _Node(key, value, load.epoch, stored)
                self._map[key] = node
                self._push_mru(node)
                while len(self._map) > self._capacity:
                    lru = self._head.next
                    self._unlink(lru)
                    del self._map[lru.key]
            load.state, load.result = _OK, value
            self._cond.notify_all()
        return value
