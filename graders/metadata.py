"""The typed, validated schema of ``katas/ID/kata.toml`` (KATA_SPEC section 2).

Unknown keys are errors, so a typo ("timeout" for "timeout_s") never passes silently.
Parsed with :mod:`tomllib`, validated with pydantic v2.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import MetadataError

#: File names a submission may never provide: each would change how pytest or Python starts.
FORBIDDEN_FILES = frozenset(
    {"conftest.py", "sitecustomize.py", "usercustomize.py", "pytest.ini", "setup.py", "__init__.py",
     # names the sandbox uses itself: the suite's driver and baselines, the kit, the bridge
     "inside.py", "baseline.py", "graders.py", "kata_bridge.py"}
)  # fmt: skip
_MODULE_FILE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where the kata comes from: a seed file under ``shared/seeds`` and its section heading."""

    seed: str = Field(pattern=r"^\d{3}_[0-9a-f]{16}\.txt$")
    section: str = Field(min_length=3)


class Weights(_Strict):
    """Points of the correctness and performance parts; they add up to 100."""

    correctness: int = Field(ge=0, le=100)
    performance: int = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _sum_100(self) -> Weights:
        if self.correctness + self.performance != 100:
            raise ValueError(
                f"weights must add up to 100, got {self.correctness} + {self.performance}"
            )
        return self


class KataMeta(_Strict):
    """One kata's metadata, as read from ``kata.toml``."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1, description="bumped whenever the hidden suite changes")
    title: str = Field(min_length=3)
    source: Source
    difficulty: Literal["easy", "medium", "hard"]
    tags: list[str] = Field(min_length=1)
    files: list[str] = Field(min_length=1, description="candidate-editable files (allowlist)")
    imports: list[str] = Field(description="top-level modules a solution may import")
    requires: list[str] = Field(default_factory=list, description="import names the kata needs")
    sandbox_packages: list[str] = Field(
        default_factory=list,
        description="import names made visible in the sandboxes besides imports (what an "
        "allowed library needs at run time, or what the suite's inside.py uses)",
    )
    forbidden: list[str] = Field(
        default_factory=list,
        description="dotted names a solution may not use although their module is allowed "
        "(torch.optim.AdamW in a kata that asks for an AdamW): flagged by the policy check, and "
        "made to raise inside the contestant's sandbox",
    )
    services: list[Literal["redis"]] = Field(default_factory=list)
    allow: list[Literal["file", "network", "process", "threads"]] = Field(
        default_factory=list, description="policy rule families this kata lets solutions use"
    )
    gpu: bool = False
    timeout_s: int = Field(default=600, ge=10, le=3600, description="wall clock, whole run")
    test_timeout_s: int = Field(default=120, ge=1, le=1800, description="per test")
    memory_mb: int = Field(default=4096, ge=256)
    weights: Weights

    @field_validator("files")
    @classmethod
    def _files_ok(cls, files: list[str]) -> list[str]:
        for name in files:
            if not _MODULE_FILE.match(name):
                raise ValueError(f"{name!r} is not a plain Python module file name")
            if name in FORBIDDEN_FILES or name.startswith("test_") or name.endswith("_test.py"):
                raise ValueError(f"{name!r} may not be a candidate file (pytest would load it)")
        if len(set(files)) != len(files):
            raise ValueError("files lists a name twice")
        return files

    @field_validator("imports", "requires", "sandbox_packages", "forbidden")
    @classmethod
    def _modules_ok(cls, names: list[str]) -> list[str]:
        for name in names:
            if not _MODULE_NAME.match(name):
                raise ValueError(f"{name!r} is not a module name")
        return names

    @field_validator("imports")
    @classmethod
    def _no_escape_hatches(cls, names: list[str]) -> list[str]:
        from .policy import NEVER_ALLOWED_MODULES

        bad = sorted({n.split(".")[0] for n in names} & NEVER_ALLOWED_MODULES)
        if bad:
            raise ValueError(f"{', '.join(bad)} can reach the test harness and is never allowed")
        return names

    @property
    def modules(self) -> list[str]:
        """Module names of the candidate files (``files`` without ``.py``)."""
        return [f[:-3] for f in self.files]

    @property
    def has_perf(self) -> bool:
        """Whether the kata grades performance at all."""
        return self.weights.performance > 0


def load_meta(path: Path) -> KataMeta:
    """Read and validate one ``kata.toml``.

    Raises:
        MetadataError: the file is missing, is not TOML, or breaks the schema; the message
            names the file and every offending key.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MetadataError(f"{path}: missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise MetadataError(f"{path}: not valid TOML: {exc}") from None
    try:
        meta = KataMeta.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise MetadataError(f"{path}: {problems}") from None
    if meta.id != path.parent.name:
        raise MetadataError(
            f"{path}: id {meta.id!r} does not match its folder {path.parent.name!r}"
        )
    return meta
