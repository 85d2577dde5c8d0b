"""Public examples for versioned_cache: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import pytest
from predcache import PredictionCache


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Model:
    """A toy model whose version changes on deployment; counts loader calls."""

    def __init__(self) -> None:
        self.version = "v1"
        self.calls = 0

    def predict(self, key):
        self.calls += 1
        return f"{self.version}:{key}"


def test_hits_skip_the_loader():
    """A second get of a key is served from the cache."""
    model = Model()
    cache = PredictionCache(model.predict, capacity=100, ttl_s=60.0, clock=FakeClock())
    assert cache.get("user42") == "v1:user42"
    assert cache.get("user42") == "v1:user42"
    assert model.calls == 1


def test_invalidate_on_deploy():
    """After invalidate(), predictions come from the new model."""
    model = Model()
    cache = PredictionCache(model.predict, capacity=100, ttl_s=60.0, clock=FakeClock())
    cache.get("a")
    assert cache.generation == 0
    model.version = "v2"
    assert cache.invalidate() == 1
    assert cache.generation == 1
    assert cache.get("a") == "v2:a"


def test_ttl():
    """An entry is reloaded once its TTL has passed."""
    model = Model()
    clock = FakeClock(10.0)
    cache = PredictionCache(model.predict, capacity=100, ttl_s=5.0, clock=clock)
    cache.get("k")
    clock.t += 30.0
    cache.get("k")
    assert model.calls == 2


def test_bad_capacity():
    """capacity must be an int >= 1."""
    with pytest.raises(ValueError):
        PredictionCache(Model().predict, capacity=0, ttl_s=5.0)
