"""kata-kit: ML-systems coding katas and the engine that grades them.

The engine is a set of small modules, one job each:

- ``paths``: where katas, references and hidden suites live.
- ``metadata``: the typed, validated ``kata.toml`` schema.
- ``catalog``: finding and loading katas by id.
- ``submission``: reading a submission's allowlisted files.
- ``policy``: the static (AST) policy check of submitted files.
- ``workdir``: assembling the fresh working folder for one grading run.
- ``judge``: running the judge (pytest on the hidden suite) for one run.
- ``process``: the judge's child process: wall clock, memory, process group.
- ``forkserver``: a warm judge process that forks one judge per grade.
- ``bridge``: the channel between the judge and the contestant (by-value codec, handles).
- ``sandbox``: the bubblewrap sandbox candidate code runs in, and its zygote.
- ``sitepackages``: which installed packages a sandbox may see.
- ``services``: the Redis a sandbox reaches, through a tunnel that counts round trips.
- ``warm``: warm judge and zygote processes shared by many grades.
- ``public``: the public tests, run against a submission in a sandbox.
- ``collect``: the expected test ids, collected without candidate code.
- ``scoring``: weighted scores from per-test outcomes.
- ``result``: the versioned JSON result.
- ``grade``: one submission, end to end.
- ``verify``: reference and solutions 100 %, stub 0, every mutant caught, rules covered.
- ``rules``: the statement's numbered rules, traced to tests and mutants.
- ``mutants``: known-wrong submissions (diffs against the reference, or whole files).
- ``stress``: performance gates under load, and their records cached by content.
- ``perf``: the ratio timing used by every performance test.
- ``checks``: assertion helpers shared by hidden suites.
- ``harness``: the judge's pytest plugin and its sandbox session.
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
