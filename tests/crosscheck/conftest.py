"""Cross-checks: each kata's reference against the field's own library, on the same randomised
inputs (issues 14 and 15). The libraries are the `crosscheck` extra of pyproject.toml; the
hidden suites never need them."""

import importlib.util
import sys
from pathlib import Path

import pytest

from graders import paths


@pytest.fixture(scope="session")
def reference_module():
    """``reference_module("kata_id", "module")``: a reference module, imported from
    reference/ID under a private name."""
    loaded = {}

    def load(kata_id: str, name: str):
        key = (kata_id, name)
        if key not in loaded:
            path = Path(paths.reference_dir()) / kata_id / f"{name}.py"
            spec = importlib.util.spec_from_file_location(f"_reference_{kata_id}_{name}", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            loaded[key] = module
        return loaded[key]

    return load
