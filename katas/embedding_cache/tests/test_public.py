"""Public examples for embedding_cache: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import pytest
from embedcache import EmbeddingCache


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class ToyModel:
    """A toy embedding model that counts the texts it embeds."""

    def __init__(self) -> None:
        self.seen = []

    def __call__(self, texts):
        self.seen.extend(texts)
        return [[float(len(t)), float(t.count("a"))] for t in texts]


def test_vectors_in_order_and_cached():
    """get_many returns each text's vector in order; a second request is served from cache."""
    model = ToyModel()
    cache = EmbeddingCache(model, capacity=10, ttl_s=60.0, clock=FakeClock())
    assert cache.get_many(["banana", "kiwi"]) == [[6.0, 3.0], [4.0, 0.0]]
    assert cache.get("banana") == [6.0, 3.0]
    assert model.seen == ["banana", "kiwi"]


def test_entries_expire():
    """An entry is recomputed once its TTL has passed."""
    model = ToyModel()
    clock = FakeClock(100.0)
    cache = EmbeddingCache(model, capacity=10, ttl_s=5.0, clock=clock)
    cache.get("apple")
    clock.t += 2.0
    cache.get("apple")
    clock.t += 10.0
    cache.get("apple")
    assert model.seen == ["apple", "apple"]


def test_model_errors_reach_the_caller():
    """An exception from the model is raised by get_many."""

    def broken(texts):
        raise RuntimeError("GPU fell off the bus")

    cache = EmbeddingCache(broken, capacity=10, ttl_s=5.0, clock=FakeClock())
    with pytest.raises(RuntimeError):
        cache.get("x")


def test_bad_capacity():
    """capacity must be an int >= 1."""
    with pytest.raises(ValueError):
        EmbeddingCache(ToyModel(), capacity=0, ttl_s=5.0)
