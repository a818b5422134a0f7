"""Check passes over facts and conditions (codes ``WZ5xx``): facts the engine does not know (with
"did you mean"), facts used outside their scope, comparisons of values of different types, bare
non-boolean conditions, and target metrics. The language stage (parse → load → **check** →
lower). The vocabulary is :mod:`wenze.dsl.facts`, shared with the engine.
"""

from __future__ import annotations

from enum import Enum

from wenze.dsl import ast as A
from wenze.dsl import facts as F
from wenze.dsl.checks.common import did_you_mean, error, label, msg, suggest, warning
from wenze.dsl.diagnostics import Diagnostic

SCOPE_WORDS = {
    A.Scope.CASE: ("案件", "case"),
    A.Scope.STEP: ("环节", "step"),
    A.Scope.COUNTERSIGN: ("会签", "countersign"),
    A.Scope.TARGET: ("目标", "target"),
}


class _T(Enum):
    """The type of an expression as far as the checks need it."""

    BOOL = "bool"
    DAYS = "days"
    COUNT = "count"
    PERCENT = "percent"
    TEXT = "text"
    NUMBER = "number"  # a number literal
    DURATION = "duration"  # a duration literal
    UNKNOWN = "unknown"  # an unknown fact: already reported


_FACT_TYPES = {
    F.FactType.BOOL: _T.BOOL,
    F.FactType.DAYS: _T.DAYS,
    F.FactType.COUNT: _T.COUNT,
    F.FactType.PERCENT: _T.PERCENT,
    F.FactType.TEXT: _T.TEXT,
}

_TYPE_WORDS = {
    _T.BOOL: ("是/否", "a yes/no value"),
    _T.DAYS: ("天数", "a number of days"),
    _T.COUNT: ("次数", "a count"),
    _T.PERCENT: ("百分比", "a percentage"),
    _T.TEXT: ("文本", "text"),
    _T.NUMBER: ("数字", "a number"),
    _T.DURATION: ("期限", "a duration"),
    _T.UNKNOWN: ("未知", "unknown"),
}

# which right-hand types each left-hand type may be compared with (symmetric closure below)
_COMPATIBLE: set[frozenset[_T]] = {
    frozenset({_T.BOOL}),
    frozenset({_T.DAYS}),
    frozenset({_T.DAYS, _T.NUMBER}),
    frozenset({_T.DAYS, _T.DURATION}),
    frozenset({_T.COUNT}),
    frozenset({_T.COUNT, _T.NUMBER}),
    frozenset({_T.PERCENT}),
    frozenset({_T.TEXT}),
    frozenset({_T.NUMBER}),
    frozenset({_T.DURATION}),
}
_ORDERED = {_T.DAYS, _T.COUNT, _T.PERCENT, _T.NUMBER, _T.DURATION}
_EQUALITY = {A.CompareOp.EQ, A.CompareOp.NE}


class _Typer:
    def __init__(self, violation: A.ViolationDecl, lang: str = "zh"):
        self.violation = violation
        self.lang = lang
        self.scope = violation.scope
        self.out: list[Diagnostic] = []

    def type_of(self, expr: A.Expr | None) -> _T:
        if isinstance(expr, A.FactRef):
            return self.fact(expr)
        if isinstance(expr, A.BoolLit):
            return _T.BOOL
        if isinstance(expr, A.NumberLit):
            return _T.NUMBER
        if isinstance(expr, A.PercentLit):
            return _T.PERCENT
        if isinstance(expr, A.DurationLit):
            return _T.DURATION
        if isinstance(expr, A.StringLit):
            return _T.TEXT
        if isinstance(expr, A.Compare):
            self.compare(expr)
            return _T.BOOL
        if isinstance(expr, A.And | A.Or):
            for operand in expr.operands or ():
                self.condition(operand)
            return _T.BOOL
        if isinstance(expr, A.Not):
            self.condition(expr.operand)
            return _T.BOOL
        return _T.UNKNOWN

    def show(self, expr: A.Expr) -> str:
        return _show(expr, self.lang)

    def fact(self, ref: A.FactRef) -> _T:
        name = ref.name.text
        fact = F.lookup(name)
        if fact is None:
            visible = [k for k, f in F.BY_NAME.items() if self.scope in f.scopes]
            suggestions = suggest(name, visible) or suggest(name, F.BY_NAME)
            self.out.append(error(
                "WZ501",
                msg(f"未知的事实 `{name}`", f"unknown fact `{name}`"),
                ref.span,
                help=did_you_mean(suggestions) or msg(
                    "条件只能引用 wenze.dsl.facts 中列出的事实",
                    "conditions may only name the facts listed in wenze.dsl.facts"),
                suggestions=suggestions,
            ))
            return _T.UNKNOWN
        if self.scope not in fact.scopes:
            szh, sen = SCOPE_WORDS[self.scope]
            where = sorted(fact.scopes, key=list(A.Scope).index)
            wzh = "、".join(SCOPE_WORDS[s][0] for s in where)
            wen = ", ".join(SCOPE_WORDS[s][1] for s in where)
            self.out.append(error(
                "WZ502",
                msg(f"事实 `{name}` 只在{wzh}中存在，不能用于针对{szh}的违规",
                    f"fact `{name}` exists per {wen}, not in a violation on `{sen}`"),
                ref.span,
                labels=[label(self.violation.name.span, f"此违规针对{szh}",
                              f"this violation is on `{sen}`")],
                help=msg(f"把 `针对` 改为 {wzh}，或换一个{szh}的事实",
                         f"change `on` to {wen}, or use a fact that exists per {sen}"),
            ))
        return _FACT_TYPES.get(fact.type, _T.UNKNOWN)

    def compare(self, cmp: A.Compare) -> None:
        left, right = self.type_of(cmp.left), self.type_of(cmp.right)
        if _T.UNKNOWN in (left, right):
            return
        op = cmp.op.value
        if frozenset({left, right}) not in _COMPATIBLE:
            lzh, len_ = _TYPE_WORDS[left]
            rzh, ren = _TYPE_WORDS[right]
            help_ = None
            if {left, right} == {_T.PERCENT, _T.NUMBER}:
                help_ = msg("百分比要写 `%`，例如 `99%`", "write percentages with `%`, e.g. `99%`")
            elif _T.BOOL in (left, right):
                help_ = msg("是/否的事实直接作条件，或写 `非 事实`",
                            "use a yes/no fact on its own, or `not FACT`")
            self.out.append(error(
                "WZ503",
                msg(f"不能比较{lzh}与{rzh}：`{self.show(cmp.left)} {op} {self.show(cmp.right)}`",
                    f"cannot compare {len_} with {ren}: "
                    f"`{self.show(cmp.left)} {op} {self.show(cmp.right)}`"),
                cmp.span,
                labels=[label(cmp.left.span, lzh, len_), label(cmp.right.span, rzh, ren)],
                help=help_,
            ))
            return
        if cmp.op not in _EQUALITY and left not in _ORDERED:
            lzh, len_ = _TYPE_WORDS[left]
            self.out.append(error(
                "WZ503",
                msg(f"{lzh}不能用 `{op}` 比较大小", f"{len_} cannot be ordered with `{op}`"),
                cmp.span,
                help=msg("只能用 `==` 或 `!=`", "only `==` and `!=` apply"),
            ))
            return
        literal_types = (A.NumberLit, A.PercentLit, A.DurationLit, A.BoolLit, A.StringLit)
        if isinstance(cmp.left, literal_types) and isinstance(cmp.right, literal_types):
            self.out.append(warning(
                "WZ508",
                msg(f"比较两个常量 `{self.show(cmp.left)} {op} {self.show(cmp.right)}`，结果恒定",
                    f"`{self.show(cmp.left)} {op} {self.show(cmp.right)}` compares two constants"),
                cmp.span,
            ))
            return
        for side in (cmp.left, cmp.right):
            if (isinstance(side, A.DurationLit)
                    and side.duration.unit is A.DayKind.NATURAL and _T.DAYS in (left, right)):
                self.out.append(warning(
                    "WZ507",
                    msg(f"天数事实按工作日计，却与自然日 `{self.show(side)}` 比较",
                        f"day facts count working days but are compared with natural days "
                        f"`{self.show(side)}`"),
                    side.span,
                    help=msg("写 `N 工作日`", "write `N workdays`"),
                ))

    def condition(self, expr: A.Expr | None) -> None:
        """An expression that must be yes/no (the whole condition, or an operand of and/or/not)."""
        kind = self.type_of(expr)
        if kind in (_T.BOOL, _T.UNKNOWN) or expr is None:
            return
        zh, en = _TYPE_WORDS[kind]
        self.out.append(error(
            "WZ504",
            msg(f"条件 `{self.show(expr)}` 是{zh}，不是是/否",
                f"condition `{self.show(expr)}` is {en}, not a yes/no value"),
            expr.span,
            help=msg(f"与一个值比较，例如 `{self.show(expr)} > 0`",
                     f"compare it with a value, e.g. `{self.show(expr)} > 0`"),
        ))


def _show(expr: A.Expr, lang: str = "zh") -> str:
    """The expression as the author would write it, in the keyword set of the file."""
    zh = lang == "zh"
    if isinstance(expr, A.FactRef):
        return expr.name.text
    if isinstance(expr, A.NumberLit | A.BoolLit):
        return str(expr.value).lower() if isinstance(expr, A.BoolLit) else str(expr.value)
    if isinstance(expr, A.PercentLit):
        return f"{expr.value}%"
    if isinstance(expr, A.DurationLit):
        working = expr.duration.unit is A.DayKind.WORKING
        word = ("工作日" if working else "自然日") if zh else ("workdays" if working else "days")
        return f"{expr.duration.amount} {word}"
    if isinstance(expr, A.StringLit):
        return f'"{expr.value}"'
    if isinstance(expr, A.Compare):
        return f"{_show(expr.left, lang)} {expr.op.value} {_show(expr.right, lang)}"
    if isinstance(expr, A.Not):
        return f"{'非' if zh else 'not'} {_show(expr.operand, lang)}"
    if isinstance(expr, A.And | A.Or):
        is_and = isinstance(expr, A.And)
        word = (" 且 " if is_and else " 或 ") if zh else (" and " if is_and else " or ")
        return word.join(_show(o, lang) for o in expr.operands)
    return "?"


def check_conditions(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ501–WZ504, WZ507, WZ508 over every violation's condition."""
    out: list[Diagnostic] = []
    for violation in rulebook.decls:
        if isinstance(violation, A.ViolationDecl) and violation.condition is not None:
            typer = _Typer(violation, rulebook.lang)
            typer.condition(violation.condition)
            out += typer.out
    return out


def check_targets(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ505: a target whose metric is not a percentage fact (WZ501 when it is no fact at all);
    WZ506: a threshold outside (0%, 100%]."""
    out: list[Diagnostic] = []
    for target in rulebook.decls:
        if not isinstance(target, A.TargetDecl):
            continue
        metric = target.metric
        if metric is None:
            out.append(error(
                "WZ505",
                msg(f"目标 `{target.name.text}` 没有 `指标`", f"target `{target.name.text}` has no "
                    "`metric`"),
                target.name.span,
                help=msg("写 `指标 「按时办结率」 >= 99%`", "write `metric on_time_rate >= 99%`"),
            ))
        else:
            fact = F.lookup(metric.text)
            metrics = [k for k, f in F.BY_NAME.items() if f.type is F.FactType.PERCENT]
            if fact is None:
                suggestions = suggest(metric.text, metrics)
                out.append(error(
                    "WZ501",
                    msg(f"未知的指标 `{metric.text}`", f"unknown metric `{metric.text}`"),
                    metric.span,
                    help=did_you_mean(suggestions) or msg(
                        "可用的指标：" + "、".join(f"`{m}`" for m in sorted(metrics)),
                        "known metrics: " + ", ".join(f"`{m}`" for m in sorted(metrics))),
                    suggestions=suggestions,
                ))
            elif fact.type is not F.FactType.PERCENT:
                out.append(error(
                    "WZ505",
                    msg(f"指标 `{metric.text}` 不是百分比", f"metric `{metric.text}` is not a "
                        "percentage"),
                    metric.span,
                    help=msg("可用的指标：" + "、".join(f"`{m}`" for m in sorted(metrics)),
                             "known metrics: " + ", ".join(f"`{m}`" for m in sorted(metrics))),
                ))
        threshold = target.threshold
        if threshold is not None and not (0 < threshold.value <= 100):
            out.append(error(
                "WZ506",
                msg(f"目标 `{target.name.text}` 的阈值 `{threshold.value}%` 不在 (0%, 100%] 之内",
                    f"threshold `{threshold.value}%` of target `{target.name.text}` is outside "
                    "(0%, 100%]"),
                threshold.span,
            ))
    return out


def check_violation_reach(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ509 (warning): a violation on steps (or countersigns) that names only items without a
    process (or whose processes have no countersign), so it can never apply."""
    items = rulebook.named(A.ItemDecl)
    processes = rulebook.named(A.ProcessDecl)
    out: list[Diagnostic] = []
    for v in rulebook.decls:
        if not isinstance(v, A.ViolationDecl) or not v.items:
            continue
        if v.scope not in (A.Scope.STEP, A.Scope.COUNTERSIGN):
            continue
        wanted = A.StepDecl if v.scope is A.Scope.STEP else A.CountersignDecl
        known = [items[n.text] for n in v.items if n.text in items]
        if len(known) != len(v.items):
            continue  # an undefined item is reported elsewhere
        reachable = False
        for item in known:
            assert isinstance(item, A.ItemDecl)
            process = processes.get(item.process.text) if item.process is not None else None
            if process is None and item.process is not None:
                reachable = True  # undefined process: reported elsewhere, stay quiet
            if isinstance(process, A.ProcessDecl) and any(
                    isinstance(n, wanted) for n in process.steps or ()):
                reachable = True
        if reachable:
            continue
        szh, sen = SCOPE_WORDS[v.scope]
        names = "、".join(f"`{n.text}`" for n in v.items)
        names_en = ", ".join(f"`{n.text}`" for n in v.items)
        out.append(warning(
            "WZ509",
            msg(f"违规 `{v.name.text}` 针对{szh}，但事项 {names} 的流程中没有{szh}",
                f"violation `{v.name.text}` is on `{sen}` but the processes of {names_en} have "
                f"no {sen}, so it can never apply"),
            v.name.span,
            labels=[label(n.span, "事项", "item") for n in v.items],
            help=msg("给事项指定含有该环节的 `流程`，或改变 `针对`",
                     "give the items a `process` with such steps, or change `on`"),
        ))
    return out
