"""nox sessions of kata-kit.

- ``tests``: the kit's own tests, including ``kata verify`` of every kata and the check of
  every kata's stress record (a stale one is stressed again), on CPU.
- ``stress``: ``kata stress`` of every kata (reference and solutions, 10 runs with a busy
  core), rewriting their stress records.
- ``grade``: ``kata grade`` with the session's arguments (``nox -s grade -- ID DIR``).
- ``demo``: grades the reference and the mutants of a kata and prints the scorecard.
- ``gpu``: ``kata verify --device cuda``; skips with a reason where CUDA is absent. Works with
  ``nox --no-venv -s gpu`` on a machine whose Python already has CUDA PyTorch.
- ``lint``: ruff.

CPU sessions pin ``torch==2.13.0``: a plain ``torch`` requirement pulls several GB of CUDA
packages on a CPU machine.
"""

import os
import shutil

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True

TORCH_CPU = "torch==2.13.0"
ROOT = os.path.dirname(os.path.abspath(__file__))


def _install(session: nox.Session) -> None:
    """torch (CPU) and the kit. torch is about 200 MB of wheels: the first run of a session
    takes several minutes; later runs reuse the environment and skip it."""
    probe = session.run(
        "python", "-c", "import torch; print(torch.__version__)",
        silent=True, success_codes=[0, 1], log=False,
    )  # fmt: skip
    if probe and probe.strip().startswith(TORCH_CPU.split("==")[1]):
        session.log(f"reusing {TORCH_CPU} already in this environment")
    else:
        session.log(f"installing {TORCH_CPU} (CPU build; the first time takes a few minutes)")
        session.install(TORCH_CPU)
    session.log("installing the kit with its test, kata and cross-check dependencies")
    session.install("-e", ".[dev,katas,crosscheck]")


@nox.session
def tests(session: nox.Session) -> None:
    """The kit's own tests (engine, every kata's verify and stress record), on CPU, on two
    workers: katas are verified two at a time, each gate with the other core busy."""
    _install(session)
    if session.posargs:
        session.run("pytest", *session.posargs)
        return
    workers = ["-n", os.environ.get("KATA_TEST_WORKERS", "2")]
    session.run("pytest", *workers, "-m", "not alone")
    # speed-up gates (cohort --jobs 2 against single grades) need both cores to themselves
    session.run("pytest", "-m", "alone")


@nox.session
def stress(session: nox.Session) -> None:
    """kata stress of every kata (or the ids given after --), rewriting the stress records."""
    _install(session)
    session.run("kata", "stress", *session.posargs)


@nox.session
def grade(session: nox.Session) -> None:
    """kata grade ID DIR [options]: nox -s grade -- diffusion_q_sample ./my-solution"""
    if not session.posargs:
        session.error("usage: nox -s grade -- KATA DIR [--json F] [--perf off] ...")
    _install(session)
    session.run("kata", "grade", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Grade the reference and every mutant of a kata (default diffusion_q_sample)."""
    _install(session)
    session.run("kata", "demo", *session.posargs)


@nox.session
def gpu(session: nox.Session) -> None:
    """kata verify --device cuda (all katas, or the ids given after --)."""
    no_venv = session.venv_backend == "none"
    if not (shutil.which("nvidia-smi") or os.path.exists("/dev/nvidia0")):
        session.skip("no NVIDIA GPU on this machine (no nvidia-smi, no /dev/nvidia0)")
    if not no_venv:
        session.install("torch")  # the index's default Linux build, with CUDA
        session.install("-e", ".[dev,katas]")
    probe = session.run(
        "python", "-c",
        "import torch; print('cuda' if torch.cuda.is_available() else 'none')",
        silent=True, success_codes=[0, 1],
    )  # fmt: skip
    if not probe or "cuda" not in probe.split():
        session.skip(f"CUDA is not available here (torch says: {(probe or 'no torch').strip()})")
    env = {"PYTHONPATH": ROOT} if no_venv else {}
    session.run(
        "python", "-m", "graders.cli", "verify", "--device", "cuda", *session.posargs, env=env
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
