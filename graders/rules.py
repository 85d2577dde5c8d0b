"""The numbered rules of a statement, and how the hidden suite and the mutants cover them.

A statement (``katas/ID/README.md``) states every rule a hidden test checks, numbered::

    - **R1** `q_sample` returns a tensor of x0's shape, dtype and device.
    - **R2** (performance) ...

Each hidden test names the rules it checks with ``@pytest.mark.rules("R1", "R4")``, and each
mutant names the one rule it breaks (``# breaks: R4``, see :mod:`graders.mutants`). A kata is
covered when every rule is checked by at least one test and killed by at least one mutant that
breaks that rule alone, and no test or mutant names a rule the statement does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .catalog import Kata

_RULE = re.compile(r"^\s*[-*]\s+\*\*(?P<id>R\d+)\*\*[.:]?\s*(?P<text>.*)$")


def statement_rules(kata: Kata) -> dict[str, str]:
    """``{"R1": "first line of the rule", ...}`` in the order the statement lists them."""
    rules: dict[str, str] = {}
    for line in kata.statement.read_text(encoding="utf-8").splitlines():
        match = _RULE.match(line)
        if match and match["id"] not in rules:
            rules[match["id"]] = match["text"].strip()
    return rules


def rule_sort_key(rule: str) -> int:
    return int(rule[1:]) if rule[1:].isdigit() else 10**9


@dataclass
class Coverage:
    """Which rules the suite checks and the mutants kill."""

    rules: dict[str, str]
    checked_by: dict[str, list[str]] = field(default_factory=dict)  # rule -> tests
    killed_by: dict[str, list[str]] = field(default_factory=dict)  # rule -> caught mutants
    untraced_tests: list[str] = field(default_factory=list)  # tests naming no rule
    unknown: list[str] = field(default_factory=list)  # "test x names R9" ...

    @property
    def unchecked(self) -> list[str]:
        return [r for r in self.rules if not self.checked_by.get(r)]

    @property
    def unkilled(self) -> list[str]:
        return [r for r in self.rules if not self.killed_by.get(r)]

    @property
    def ok(self) -> bool:
        return bool(self.rules) and not (
            self.unchecked or self.unkilled or self.untraced_tests or self.unknown
        )

    def problems(self) -> list[str]:
        """One line per gap, empty when covered."""
        out = []
        if not self.rules:
            out.append("the statement lists no numbered rules (- **R1** ...)")
        if self.unchecked:
            out.append(f"rules no hidden test checks: {', '.join(self.unchecked)}")
        if self.unkilled:
            out.append(f"rules no caught mutant breaks alone: {', '.join(self.unkilled)}")
        if self.untraced_tests:
            out.append(f"tests that name no rule: {', '.join(self.untraced_tests[:5])}")
        out += self.unknown
        return out

    def summary(self) -> str:
        return (
            f"{len(self.rules)} rules, {len(self.rules) - len(self.unchecked)} checked, "
            f"{len(self.rules) - len(self.unkilled)} killed"
        )


def coverage(kata: Kata, tests: list, caught: list) -> Coverage:
    """Coverage of ``kata``'s rules by ``tests`` (:class:`graders.collect.ExpectedTest`) and
    the ``caught`` mutants (:class:`graders.mutants.Mutant` that verify saw fail)."""
    cov = Coverage(statement_rules(kata))
    seen_tests = set()
    for test in tests:
        base = test.name.split("[")[0]
        if base in seen_tests:
            continue
        seen_tests.add(base)
        if not test.rules:
            cov.untraced_tests.append(base)
        for rule in test.rules:
            if rule not in cov.rules:
                cov.unknown.append(f"{base} names {rule}, which the statement does not have")
            cov.checked_by.setdefault(rule, []).append(base)
    for mutant in caught:
        for rule in mutant.breaks:
            if rule not in cov.rules:
                cov.unknown.append(
                    f"mutant {mutant.name} breaks {rule}, which the statement does not have"
                )
        if len(mutant.breaks) == 1:
            cov.killed_by.setdefault(mutant.breaks[0], []).append(mutant.name)
    return cov
