"""The contestant process: serves the judge's calls into the candidate's modules.

Started inside the sandbox (see :mod:`graders.sandbox`) as::

    python -I -S -c "import sys; sys.path.insert(0, RT); from kata_bridge.serve import main; main()" FD CONFIG

``FD`` is this end of the socket pair; ``CONFIG`` a JSON object:

- ``path``: folders put first on ``sys.path`` (the submitted files, the suite's ``inside.py``,
  the allowed packages);
- ``modules``: the module names the judge may import here (the kata's files, ``inside``);
- ``limits``: resource limits set before any candidate code runs (``data``, ``as``,
  ``fsize``, ``nofile`` in bytes or counts; the sandbox drops the capability to raise them);
- ``preload``: packages imported before serving (the kata's heavy imports);
- ``forbidden``: dotted names replaced with a callable that raises (a library shortcut the
  kata forbids).

Nothing here trusts the candidate's code, and nothing the judge relies on is computed here:
the judge times calls with its own clock and checks every value it receives.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import socket
import sys
import threading
from typing import Any

_LIMITS = {
    "data": resource.RLIMIT_DATA,
    "as": resource.RLIMIT_AS,
    "fsize": resource.RLIMIT_FSIZE,
    "nofile": resource.RLIMIT_NOFILE,
    "core": resource.RLIMIT_CORE,
}


class Root:
    """What the judge may call at handle 0."""

    def __init__(self, modules: list[str]) -> None:
        self._modules = frozenset(modules)

    def import_module(self, name: str) -> Any:
        """Import one of the kata's modules (or the suite's ``inside``)."""
        if name not in self._modules:
            raise ImportError(f"{name!r} is not a module of this grading run")
        return importlib.import_module(name)

    def ping(self) -> str:
        """Liveness check."""
        return "pong"

    def pid(self) -> int:
        """This process's id as the sandbox sees it."""
        return os.getpid()

    def run_pytest(self, args: list[str]) -> dict:
        """Run pytest here (the public tests, for ``kata verify``): the exit code and each
        test's outcome. Informational only: nothing computed here decides a grade."""
        import pytest

        outcomes: dict[str, str] = {}

        class Collector:
            def pytest_runtest_logreport(self, report: Any) -> None:
                if report.when == "call" or report.outcome != "passed":
                    outcomes.setdefault(report.nodeid, report.outcome)

        code = pytest.main([str(a) for a in args], plugins=[Collector()])
        return {"exit": int(code), "tests": outcomes}


def _apply_limits(limits: dict) -> None:
    for name, value in limits.items():
        if name in _LIMITS and value is not None:
            value = int(value)
            soft, hard = resource.getrlimit(_LIMITS[name])
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(_LIMITS[name], (value, value))


def _forbid(dotted: str) -> None:
    """Replace ``dotted`` (``torch.optim.AdamW``) with a callable that raises, so a solution
    that delegates the kata to the library fails loudly."""
    module_name, _, attr = dotted.rpartition(".")
    try:
        owner = importlib.import_module(module_name)
    except ImportError:
        return

    def blocked(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            f"{dotted} is not allowed in this kata: it asks you to write it yourself"
        )

    blocked.__name__ = attr
    if hasattr(owner, attr):
        setattr(owner, attr, blocked)


def _service_decoder(config: dict):
    clients: dict[str, Any] = {}
    lock = threading.Lock()

    def decode(spec: list) -> Any:
        kind = spec[0]
        if kind == "redis":
            options = dict(spec[1])
            with lock:
                name = str(options.get("name", ""))
                if name not in clients:
                    from .redis_tunnel import make_client

                    clients[name] = make_client(spec[2], options)
                return clients[name]
        raise RuntimeError(f"unknown service {kind!r}")

    return decode


def main() -> None:
    """Serve until the judge closes the connection (``FD CONFIG`` on the command line)."""
    run(int(sys.argv[1]), json.loads(sys.argv[2]))


def run(fd: int, config: dict) -> None:
    """Serve the judge on socket ``fd`` with ``config`` (see the module docstring), then exit."""
    sys.dont_write_bytecode = True  # python -I ignores PYTHONDONTWRITEBYTECODE
    for entry in reversed(config.get("path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    if config.get("cwd"):
        os.chdir(config["cwd"])
    _apply_limits(config.get("limits", {}))
    for name in config.get("preload", []):  # the kata's heavy imports, before any candidate code
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 - imported again (and reported) when used
                continue
    for dotted in config.get("forbidden", []):
        _forbid(dotted)
    sys.setswitchinterval(float(config.get("switch_interval", 0.0005)))
    sock = socket.socket(fileno=fd)
    from .endpoint import Endpoint

    endpoint = Endpoint(
        sock, role="contestant", root=Root(config.get("modules", [])), name="judge",
        max_bytes=int(config.get("max_bytes", 2**31)), service_decoder=_service_decoder(config),
    )  # fmt: skip
    endpoint.wait_closed()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no atexit handlers, no waiting for the candidate's threads
