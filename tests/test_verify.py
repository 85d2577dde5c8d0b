"""Every kata passes `kata verify --stressed` (reference and independent solutions 100 %, stub 0
on correctness, every mutant caught by the test it names, performance mutants failing their
gates, every rule covered; the reference's gates timed live unless the stress record is fresh,
the solutions' gates taken from the record), and its stress record is fresh with every gate
passing every run under load, or reported stale (a skip naming `kata stress ID`; re-stressed
here with KATA_RESTRESS=1). Redis katas are verified against the real server this run starts
(and fakeredis where none).

Each kata's verification time goes to the budget table printed at the end of the run
(tests/conftest.py).
"""

import os
import time

import pytest

from graders.catalog import get_kata, kata_ids
from graders.grade import GradeOptions
from graders.stress import record_status, stress_kata
from graders.verify import verify_kata

#: Runs of a stale kata's re-stress in CI (``kata stress`` writes records with 10 by default).
STRESS_RUNS = int(os.environ.get("KATA_STRESS_RUNS", "1"))
#: Whether a stale kata's re-stress covers the independent solutions too (their gates were just
#: timed live by test_verify, beside the other worker's load); KATA_STRESS_SOLUTIONS=1 for both.
STRESS_SOLUTIONS = os.environ.get("KATA_STRESS_SOLUTIONS", "0") == "1"
#: Whether a stale record is re-stressed here (1) or reported as a skip naming the command that
#: refreshes it (0, CI's default: a re-stress of every stale kata does not fit CI's time).
RESTRESS = os.environ.get("KATA_RESTRESS", "0") == "1"


@pytest.mark.slow
@pytest.mark.parametrize("kata_id", kata_ids())
def test_verify(kata_id, verify_budget):
    """kata verify --stressed passes for this kata on CPU."""
    start = time.monotonic()
    verdict = verify_kata(get_kata(kata_id), GradeOptions(), stressed=True)
    verify_budget(kata_id, time.monotonic() - start, verdict.phases)
    assert verdict.ok, verdict.summary() + "\n" + "\n".join(verdict.failures())


@pytest.mark.slow
@pytest.mark.parametrize("kata_id", [k for k in kata_ids() if get_kata(k).meta.has_perf])
def test_stress_record(kata_id):
    """The kata's stress record matches its content and every gate passed every run; a stale
    record is a skip naming the command that refreshes it, or (KATA_RESTRESS=1) is stressed
    again here and must pass every run."""
    kata = get_kata(kata_id)
    fresh, why = record_status(kata, solutions=set(kata.solutions()))
    if fresh:
        return
    if not RESTRESS:
        pytest.skip(f"{why}: `kata stress {kata_id}` writes a fresh record (KATA_RESTRESS=1 here)")
    results = stress_kata(kata, runs=STRESS_RUNS, load=1, solutions=STRESS_SOLUTIONS)
    bad = [f"{label}: {g.summary()}" for label, gates in results.items() for g in gates if not g.ok]
    assert not bad, f"stale record ({why}), and stressing again failed:\n" + "\n".join(bad)
