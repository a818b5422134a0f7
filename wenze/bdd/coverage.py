"""Acceptance scenarios: which rules of the shipped rulebooks no scenario exercises.

A violation is covered when some scenario's evaluation issued a decision for it; a ladder step
(``第 N 次`` row) is covered when some decision was sanctioned through that row. Rules are counted
where they are declared (an inherited violation exercised through a county rulebook covers the
base's declaration). ``wenze features --coverage`` and the pytest option ``--wenze-coverage`` print
the report; CI fails when a shipped rule is uncovered. They also list the clauses of the seed
documents whose judged rules no scenario quotes (:func:`uncovered_clauses`), which fail the run too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wenze.dsl import ast as A


@dataclass(frozen=True, order=True)
class RuleId:
    file: str  # the file name of the declaring rulebook, e.g. statutory_base.wz
    kind: str  # "violation" or "ladder step"
    name: str  # violation name, or "ladder 第 N 次"

    def __str__(self) -> str:
        return f"{self.file}: {self.kind} 「{self.name}」"


def _file(span: A.Span) -> str:
    return Path(span.file).name


def declared_rules(rulebook: A.Rulebook) -> set[RuleId]:
    """Every violation and ladder row of a (merged) rulebook, by declaring file."""
    rules: set[RuleId] = set()
    for decl in rulebook.decls:
        if isinstance(decl, A.ViolationDecl):
            rules.add(RuleId(_file(decl.span), "violation", decl.name.text))
        elif isinstance(decl, A.LadderDecl):
            for esc in decl.escalations:
                rules.add(RuleId(_file(esc.span), "ladder step",
                                 f"{decl.name.text} 第 {esc.count} 次"))
    return rules


@dataclass
class Coverage:
    exercised: set[RuleId] = field(default_factory=set)

    _asts: dict[Path, dict[str | None, A.Rulebook]] = field(default_factory=dict)

    def _ast(self, path: Path) -> dict[str | None, A.Rulebook]:
        """The rulebook at ``path`` (key None), or each version of a family by its label."""
        from wenze.dsl.family import load_family
        from wenze.dsl.loader import load_rulebook
        from wenze.dsl.parser import is_family

        if path not in self._asts:
            if is_family(path.read_text(encoding="utf-8")):
                family = load_family(path)
                assert family.ok, f"{path} does not load"
                self._asts[path] = {v.label: v.rulebook for v in family.versions}
            else:
                loaded = load_rulebook(path)
                assert loaded.rulebook is not None, f"{path} does not load"
                self._asts[path] = {None: loaded.rulebook}
        return self._asts[path]

    def record(self, path: Path, result: Any) -> None:
        """Note the rules that an evaluation's decisions went through (for a family, the rules
        of the version that judged each decision)."""
        asts = self._ast(Path(path))
        for decision in result.decisions:
            d = decision.to_json()
            ast = asts.get(d.get("version")) or next(iter(asts.values()))
            violations = {v.name.text: v for v in ast.decls if isinstance(v, A.ViolationDecl)}
            ladders = {v.name.text: v for v in ast.decls if isinstance(v, A.LadderDecl)}
            decl = violations.get(d["violation"])
            if decl is not None:
                self.exercised.add(RuleId(_file(decl.span), "violation", decl.name.text))
            ladder = d.get("ladder") or {}
            ladder_decl = ladders.get(ladder.get("name") or "")
            step = ladder.get("step")
            if ladder_decl is None or step is None:
                continue
            for esc in ladder_decl.escalations:
                if esc.count == step:
                    self.exercised.add(RuleId(_file(esc.span), "ladder step",
                                              f"{ladder_decl.name.text} 第 {esc.count} 次"))

    def uncovered(self, rules_dir: Path) -> list[RuleId]:
        from wenze.dsl.loader import load_rulebook

        declared: set[RuleId] = set()
        for path in sorted(rules_dir.glob("*.wz")):
            loaded = load_rulebook(path)
            if loaded.rulebook is not None:
                declared |= declared_rules(loaded.rulebook)
        return sorted(declared - self.exercised)


def uncovered_clauses(root: Path) -> list[str]:
    """The judged rules of the seed inventories (``rules/sources/*.rules.toml``) that no scenario
    quotes (``# 条款 二、（四）3：“…”`` above the scenario; ``wenze.dsl.traceability``)."""
    from wenze.dsl.traceability import inventories, trace

    out: list[str] = []
    for inventory in inventories(root):
        t = trace(inventory, root)
        out += [f"{t.name}: {r.clause} “{r.text}”" for r in t.judged if not r.scenarios]
    return out


COVERAGE = Coverage()
