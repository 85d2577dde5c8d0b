"""Every kata passes `kata verify`: reference 100 % (performance gates 10 times out of 10 with
the other core busy), stub 0 on correctness, every mutant caught by the test it names."""

import os

import pytest

from graders.catalog import get_kata, kata_ids
from graders.grade import GradeOptions
from graders.verify import verify_kata

STRESS_RUNS = int(os.environ.get("KATA_STRESS_RUNS", "10"))


@pytest.mark.slow
@pytest.mark.parametrize("kata_id", kata_ids())
def test_verify(kata_id):
    """kata verify passes for this kata on CPU."""
    verdict = verify_kata(get_kata(kata_id), GradeOptions(redis_url=os.environ.get("KATA_REDIS_URL")),
                          stress_runs=STRESS_RUNS)  # fmt: skip
    assert verdict.ok, verdict.summary() + "\n" + "\n".join(verdict.failures())
