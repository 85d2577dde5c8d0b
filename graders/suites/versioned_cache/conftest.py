"""Fixtures and helpers of the versioned_cache hidden suite: a versioned test model whose
loader records every call, and an exact single-threaded oracle of the README's LRU/TTL rules."""

from __future__ import annotations

import threading
from collections import OrderedDict
from types import SimpleNamespace

import pytest


class LoadError(Exception):
    """What the test loader raises for a poison key."""


class VersionedModel:
    """A thread-safe test loader: ``predict(key) -> (key, version)`` with the version live at
    the call; records calls; ``gates[key]`` (an Event) blocks that key's next load until set;
    ``poison`` keys raise LoadError."""

    def __init__(self) -> None:
        self.version = 0
        self.calls: list = []
        self.gates: dict = {}
        self.entered: dict = {}
        self.poison: set = set()
        self.lock = threading.Lock()

    def predict(self, key):
        with self.lock:
            version = self.version
            self.calls.append(key)
            gate = self.gates.pop(key, None)
            entered = self.entered.get(key)
        if entered is not None:
            entered.set()
        if gate is not None:
            gate.wait(10)
        if key in self.poison:
            raise LoadError(f"cannot predict {key!r}")
        return (key, version)


class Oracle:
    """The README's cache, single-threaded, without invalidation races: which gets load."""

    def __init__(self, capacity: int, ttl: float) -> None:
        self.capacity, self.ttl = capacity, ttl
        self.gen = 0
        self.entries: OrderedDict = OrderedDict()

    def get(self, key, now) -> bool:
        """Whether get(key) at ``now`` calls the loader."""
        entry = self.entries.get(key)
        if entry is not None:
            gen, t = entry
            if gen == self.gen and now - t < self.ttl:
                self.entries.move_to_end(key)
                return False
            del self.entries[key]
        self.entries[key] = (self.gen, now)
        self.entries.move_to_end(key)
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)
        return True


@pytest.fixture(scope="session")
def vk():
    """The suite's helpers (hidden tests may not import conftest)."""
    return SimpleNamespace(LoadError=LoadError, VersionedModel=VersionedModel, Oracle=Oracle)
