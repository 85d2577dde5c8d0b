"""Fixtures and oracles of the embedding_cache hidden suite.

The oracle is the README's rules written out with an OrderedDict, independently of any
submission; time comes from graders.clocks.ManualClock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from types import SimpleNamespace

import pytest


class EmbedError(Exception):
    """What the test model raises for a batch holding a poison text."""


def vector(text: str) -> tuple:
    """The test model's embedding of a text (deterministic, unique per text)."""
    return ("emb", text, len(text))


class RecordingEmbed:
    """A thread-safe test embed_fn that records every call's texts.

    ``gate``: an Event the first call waits on (up to 10 s) before returning; ``entered``:
    set when a call starts; ``poison``: texts that make the call raise EmbedError;
    ``short``: texts that make it return one vector too few; ``delay_s``: sleep per call.
    """

    def __init__(self, poison=(), short=(), delay_s: float = 0.0, gate=None) -> None:
        self.calls: list[list[str]] = []
        self.poison = set(poison)
        self.short = set(short)
        self.delay_s = delay_s
        self.gate = gate
        self.entered = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, texts):
        texts = list(texts)
        with self.lock:
            self.calls.append(texts)
            first = len(self.calls) == 1
        self.entered.set()
        if self.gate is not None and first:
            self.gate.wait(10)
        if self.delay_s:
            import time

            time.sleep(self.delay_s)
        bad = [t for t in texts if t in self.poison]
        if bad:
            raise EmbedError(f"cannot embed {bad[0]!r}")
        out = [vector(t) for t in texts]
        if any(t in self.short for t in texts):
            out = out[:-1]
        return out


class OracleCache:
    """The README's cache, single-threaded: returns the embed_fn batches each call makes."""

    def __init__(self, capacity: int, ttl_s: float, max_batch: int) -> None:
        self.capacity, self.ttl, self.max_batch = capacity, ttl_s, max_batch
        self.entries: OrderedDict = OrderedDict()

    def get_many(self, texts, now: float) -> list[list[str]]:
        misses = []
        for text in dict.fromkeys(texts):
            if text in self.entries:
                if now - self.entries[text] < self.ttl:
                    self.entries.move_to_end(text)
                    continue
                del self.entries[text]
            misses.append(text)
        batches = [misses[i : i + self.max_batch] for i in range(0, len(misses), self.max_batch)]
        for batch in batches:
            for text in batch:
                self.entries[text] = now
                self.entries.move_to_end(text)
                while len(self.entries) > self.capacity:
                    self.entries.popitem(last=False)
        return batches


@pytest.fixture(scope="session")
def ek():
    """The suite's helpers (hidden tests may not import conftest)."""
    return SimpleNamespace(
        EmbedError=EmbedError, RecordingEmbed=RecordingEmbed, OracleCache=OracleCache,
        vector=vector,
    )  # fmt: skip
