"""Fixtures of the oov_embeddings hidden suite: random item ids, and further contestant
sandboxes started with a chosen PYTHONHASHSEED (each a fresh Python process running the
submitted module)."""

import string

import pytest


@pytest.fixture
def random_ids(rng):
    """``random_ids(n)``: n distinct ids like 'sku-x8Qz3-17' (mixed alphabet, random length)."""
    alphabet = list(string.ascii_letters + string.digits + "-_:")

    def make(n: int) -> list[str]:
        out: set[str] = set()
        while len(out) < n:
            size = int(rng.integers(4, 20))
            out.add("sku-" + "".join(rng.choice(alphabet, size=size)))
        return sorted(out, key=lambda _: rng.random())

    return make


@pytest.fixture
def fresh_processes(kata_session, sol):
    """``fresh_processes(hash_seeds)``: one new contestant sandbox per PYTHONHASHSEED, started
    together; returns ``[(module, inside), ...]`` (the submitted module and the suite's drivers
    in that process). They are stopped when the test ends."""
    boxes = []

    def start(hash_seeds: list[int]) -> list[tuple]:
        new = [kata_session.spawn(env={"PYTHONHASHSEED": str(hs)}) for hs in hash_seeds]
        boxes.extend(new)
        out = []
        for hs, box in zip(hash_seeds, new, strict=True):
            try:
                module = box.endpoint.root(sol.__name__)
            except Exception as exc:  # noqa: BLE001 - reported as the test's failure
                raise AssertionError(
                    f"importing the submitted module failed in a fresh process "
                    f"(PYTHONHASHSEED={hs}): {type(exc).__name__}: {exc}"
                ) from None
            out.append((module, box.endpoint.root("inside")))
        return out

    yield start
    for box in boxes:
        box.stop()
