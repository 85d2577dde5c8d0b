"""kata-kit: ML-systems coding katas and the engine that grades them.

The engine is a set of small modules, one job each:

- ``paths``: where katas, references and hidden suites live.
- ``metadata``: the typed, validated ``kata.toml`` schema.
- ``catalog``: finding and loading katas by id.
- ``submission``: reading a submission's allowlisted files.
- ``policy``: the static (AST) policy check of submitted files.
- ``workdir``: assembling the fresh working folder for one grading run.
- ``network``: choosing network isolation (namespace or socket guard).
- ``sandbox``: running pytest in a child process with limits.
- ``collect``: the expected test ids, collected without candidate code.
- ``scoring``: weighted scores from per-test outcomes.
- ``result``: the versioned JSON result.
- ``grade``: one submission, end to end.
- ``verify``: reference 100 %, stub 0, every mutant caught.
- ``perf``: same-process ratio timing used by every performance test.
- ``checks``: assertion helpers shared by hidden suites.
- ``harness``: the pytest plugin loaded in the grading child.
- ``exports``: Gradescope, JUnit XML and CSV outputs.
- ``display``: terminal tables.
- ``cli``: the ``kata`` command.
"""

from functools import cache


@cache
def kit_version() -> str:
    """The installed kit's version (``0.0.0+source`` in a source tree that is not installed).
    Read on first use: ``importlib.metadata`` costs a noticeable part of a second to import."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kata-kit")
    except PackageNotFoundError:
        return "0.0.0+source"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return kit_version()
    raise AttributeError(name)
