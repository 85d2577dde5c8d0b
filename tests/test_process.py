"""The judge child's limits: wall clock, memory watchdog, process-group cleanup."""

import sys
import time

import psutil

from graders.process import child_env, run_child


def run(code: str, tmp_path, **kw):
    return run_child(["python", "-c", code], cwd=tmp_path, env=child_env(tmp_path), **kw)


def test_normal_exit_and_output(tmp_path):
    """Exit code and the tail of the output come back."""
    out = run("print('hello'); raise SystemExit(3)", tmp_path, timeout_s=30, memory_mb=None)
    assert (out.returncode, out.timed_out, out.oom) == (3, False, False)
    assert "hello" in out.output


def test_wall_clock_kills_the_whole_group(tmp_path):
    """At the timeout the child and its own children are killed."""
    code = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    start = time.monotonic()
    out = run(code, tmp_path, timeout_s=2, memory_mb=None)
    assert out.timed_out and time.monotonic() - start < 10
    grandchild = int(out.output.split()[0])
    time.sleep(0.2)
    assert not psutil.pid_exists(grandchild) or psutil.Process(grandchild).status() == "zombie"


def test_memory_watchdog_kills_at_the_limit(tmp_path):
    """Resident memory above the limit (data-segment limit off, as on CUDA) ends as oom."""
    code = "x = bytearray(400 * 2**20)\nimport time\ntime.sleep(30)\n"
    out = run(code, tmp_path, timeout_s=20, memory_mb=200, rlimit_data=False)
    assert out.oom and not out.timed_out


def test_data_limit_refuses_big_allocations(tmp_path):
    """With the data-segment limit, a big allocation fails inside the child (MemoryError)."""
    code = "try:\n    x = bytearray(2 * 2**30)\nexcept MemoryError:\n    print('refused')\n"
    out = run(code, tmp_path, timeout_s=20, memory_mb=512)
    assert "refused" in out.output


def test_environment_is_scrubbed(tmp_path, monkeypatch):
    """Secrets in the parent's environment do not reach the child; BLAS pools get one thread."""
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    env = child_env(tmp_path)
    assert "SECRET_TOKEN" not in env and env["OMP_NUM_THREADS"] == "1"
    assert env["HOME"] == str(tmp_path)


def test_interpreter_is_isolated(tmp_path):
    """The child runs `python -I`: PYTHONPATH and the folder's sitecustomize are ignored."""
    (tmp_path / "sitecustomize.py").write_text("print('SITECUSTOMIZE RAN')\n")
    env = child_env(tmp_path, {"PYTHONPATH": str(tmp_path)})
    out = run_child(["python", "-I", "-c", "import sys; print(sys.flags.isolated)"], cwd=tmp_path,
                    env=env, timeout_s=30, memory_mb=None)  # fmt: skip
    assert "SITECUSTOMIZE RAN" not in out.output and out.output.strip().endswith("1")
    assert sys.executable  # the child used this interpreter
