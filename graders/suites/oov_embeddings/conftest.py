"""Fixtures of the oov_embeddings hidden suite: the modules, random item ids, and a runner that
computes buckets and embeddings in a separate Python process with a chosen PYTHONHASHSEED."""

import json
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest

import graders


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


CHILD = r"""
import json, sys
kit, workdir, module = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, workdir)
sys.path.append(kit)
from graders.harness import guard
guard.install([])
import torch
mod = __import__(module)
job = json.loads(sys.stdin.read())
if job.get("traffic"):
    mod.bucket_ids(job["traffic"], job["num_buckets"], seed=job["seed"])
if job.get("reverse"):
    buckets = mod.bucket_ids(job["ids"][::-1], job["num_buckets"], seed=job["seed"]).tolist()[::-1]
else:
    buckets = mod.bucket_ids(job["ids"], job["num_buckets"], seed=job["seed"]).tolist()
torch.manual_seed(job["torch_seed"])
emb = mod.OOVEmbedding(*job["tables"], seed=job["seed"])
with torch.no_grad():
    out = emb.embed(job["ids"], torch.tensor(job["categories"]), torch.tensor(job["in_window"]))
print(json.dumps({"buckets": buckets, "embed": out.tolist()}))
"""


@pytest.fixture
def run_in_process(sol):
    """``run_in_process(job, hash_seeds)``: start one Python process per PYTHONHASHSEED (``job``
    one dict for all, or a list with one per process), each importing the submitted module from
    the working folder, and return their JSON results: the buckets of ``job["ids"]`` (after
    hashing ``job["traffic"]`` first, in reverse order if ``job["reverse"]``) and embed()."""
    workdir = str(Path(sol.__file__).resolve().parent)
    kit = str(Path(graders.__file__).resolve().parent.parent)

    def run(job: dict | list[dict], hash_seeds: list[int]) -> list[dict]:
        jobs = job if isinstance(job, list) else [job] * len(hash_seeds)
        procs = []
        for hs in hash_seeds:
            env = dict(os.environ, PYTHONHASHSEED=str(hs))
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", CHILD, kit, workdir, sol.__name__],
                    cwd=workdir,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )  # fmt: skip
            )
        results = []
        for hs, proc, one in zip(hash_seeds, procs, jobs, strict=True):
            out, err = proc.communicate(json.dumps(one), timeout=150)
            if proc.returncode != 0:
                raise AssertionError(
                    f"the submitted module failed in a fresh process (PYTHONHASHSEED={hs}): "
                    f"{err.strip()[-1500:]}"
                )
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results

    return run
