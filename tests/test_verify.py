"""Every kata passes `kata verify`: reference 100 % (performance gates 10 times out of 10 with
the other core busy), stub 0 on correctness, every mutant caught by the test it names. Redis
katas are verified twice: on fakeredis and on a real server."""

import os

import pytest

from graders.catalog import get_kata, kata_ids
from graders.grade import GradeOptions
from graders.verify import verify_kata

STRESS_RUNS = int(os.environ.get("KATA_STRESS_RUNS", "10"))


def _cases():
    for kata_id in kata_ids():
        if "redis" in get_kata(kata_id).meta.services:
            yield pytest.param(kata_id, "fakeredis", id=f"{kata_id}-fakeredis")
            yield pytest.param(kata_id, "real", id=f"{kata_id}-real-redis")
        else:
            yield pytest.param(kata_id, None, id=kata_id)


@pytest.mark.slow
@pytest.mark.parametrize(("kata_id", "redis_mode"), list(_cases()))
def test_verify(kata_id, redis_mode, request):
    """kata verify passes for this kata on CPU (and on both Redis backends)."""
    url = request.getfixturevalue("real_redis_url") if redis_mode == "real" else None
    verdict = verify_kata(get_kata(kata_id), GradeOptions(redis_url=url), stress_runs=STRESS_RUNS)
    assert verdict.ok, verdict.summary() + "\n" + "\n".join(verdict.failures())
