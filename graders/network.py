"""How a grading child is kept off the network.

Preferred: a fresh network namespace (``unshare --net``, with a user namespace when not root),
in which not even 127.0.0.1 is reachable. A Unix socket still works across it, so a real Redis
reached by ``unix://`` keeps the namespace. Where the OS refuses namespaces, or the run must
reach a TCP service (``--redis-url redis://host:port``), the child runs without one and the
in-process socket guard (:mod:`graders.harness.guard`) allows that address alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlparse


@dataclass(frozen=True)
class NetworkPlan:
    """Command prefix and socket-guard allowlist for one grading child."""

    mode: str  # "namespace" or "guard"
    prefix: tuple[str, ...]
    allow: tuple[str, ...]  # socket-guard allowlist: "host:port" or "unix:/path"


@cache
def namespace_prefix() -> tuple[str, ...] | None:
    """``unshare`` arguments that give a child its own empty network namespace, or ``None``
    when the OS does not allow it here (checked once per process)."""
    exe = shutil.which("unshare")
    if exe is None:
        return None
    options = [("--net",)] if os.geteuid() == 0 else []
    options.append(("--map-root-user", "--net"))
    for opts in options:
        try:
            done = subprocess.run([exe, *opts, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return (exe, *opts)
    return None


def service_addresses(url: str | None) -> tuple[str, ...]:
    """Socket-guard entries for a service URL (``redis://h:p/0`` or ``unix:///path``)."""
    if not url:
        return ()
    parsed = urlparse(url)
    if parsed.scheme == "unix":
        return (f"unix:{parsed.path}",)
    host = parsed.hostname or "localhost"
    port = parsed.port or 6379
    hosts = {host}
    if host == "localhost":
        hosts |= {"127.0.0.1", "::1"}
    return tuple(f"{h}:{port}" for h in sorted(hosts))


def plan_network(service_urls: list[str] | tuple[str, ...] = ()) -> NetworkPlan:
    """Choose the isolation for a child that may reach only ``service_urls``.

    ``KATA_NETNS=off`` in the environment forces the socket guard alone (for machines where
    namespaces misbehave, and for testing the guard).
    """
    allow = tuple(a for url in service_urls for a in service_addresses(url))
    needs_tcp = any(not a.startswith("unix:") for a in allow)
    forced_off = os.environ.get("KATA_NETNS", "").lower() == "off"
    prefix = None if needs_tcp or forced_off else namespace_prefix()
    if prefix is None:
        return NetworkPlan("guard", (), allow)
    return NetworkPlan("namespace", prefix, allow)
