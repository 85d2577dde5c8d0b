"""Hidden suite of the toy kata."""

import pytest


@pytest.fixture(scope="module")
def sol(candidate):
    return candidate("toy")


@pytest.fixture(scope="module")
def ref(reference):
    return reference("toy")


@pytest.mark.rules("R1")
@pytest.mark.parametrize("a", [0, 5, -3])
def test_add(sol, rng, a):
    """add(a, b) == a + b."""
    b = int(rng.integers(-100, 100))
    assert sol.add(a, b) == a + b, f"add({a}, {b}) returned {sol.add(a, b)!r}"


@pytest.mark.rules("R2")
@pytest.mark.weight(2)
def test_total(sol, rng):
    """total(xs) == sum(xs)."""
    xs = [int(x) for x in rng.integers(1, 10, size=20)]  # no zeros: dropping one must show
    assert sol.total(xs) == sum(xs)


@pytest.mark.rules("R1")
@pytest.mark.gpu
def test_gpu_only(sol):
    """Only graded on CUDA."""
    assert sol.add(1, 1) == 2


@pytest.mark.rules("R3")
@pytest.mark.perf
def test_total_speed(sol, ref, perf):
    """total is within 3x of the reference."""
    import random

    pool = [random.random() for _ in range(50_000)]

    def make():  # a fresh list for every call, cheap to make
        start = random.randrange(0, 40_000)
        return (pool[start : start + 5000],)

    perf.compare(sol.total, ref.total, make, bound=3.0, what="total(5000 floats) vs reference")
