"""Random rulebooks for the formatter's round-trip tests and the parse benchmark.

``random_rulebook(rng, size, wild=False)`` builds an AST directly. With ``wild=False`` the names
are consistent (every reference declared, facts known, ladders ordered, powers held) so that the
rulebook is meant to check clean; with ``wild=True`` names, expressions and strings are drawn
freely (reserved English words, quotes, escapes, nested and/or/not) to exercise the printer.
``rulebook_text(lines, seed, lang)`` formats a consistent rulebook of at least ``lines`` lines.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from wenze.dsl import ast as A
from wenze.dsl.formatter import format_rulebook

N = A.Name
WD = A.DayKind.WORKING
ND = A.DayKind.NATURAL

_CHARS = "局科窗口岗审批核准规划国土环保住建发改财政中心服务所站办公室长副主任"
_WILD_NAMES = ("case", "on", "step", "to", "unit", "x", "_a1", "Item", "abc_def", "YES",
               "land_bureau", "a b", "名·称", '带"引号', "2024", "中 文", "k")
_CASE_BOOLS = ("超承诺时限", "超法定时限", "已延期", "送达逾期", "中止事由不合法", "延期越权",
               "决定越权", "A岗在岗代理", "补正告知逾期", "不予许可未说明理由", "推诿")
_CASE_DAYS = ("用时", "超承诺天数", "超法定天数", "中止天数")
_CASE_COUNTS = ("补正告知次数", "投诉次数")


def _zh_name(rng: random.Random, prefix: str, i: int) -> A.Name:
    return N(prefix + "".join(rng.choice(_CHARS) for _ in range(rng.randint(1, 3))) + str(i))


def _d(amount: int, unit: A.DayKind = WD) -> A.Duration:
    return A.Duration(amount, unit)


# --------------------------------------------------------------------------- wild pieces


def _wild_name(rng: random.Random) -> A.Name:
    if rng.random() < 0.5:
        return N(rng.choice(_WILD_NAMES))
    return N("".join(rng.choice(_CHARS + "abcXYZ_1") for _ in range(rng.randint(1, 6))))


def _wild_string(rng: random.Random) -> str:
    pieces = ["规", "定", "a", " ", '"', "\\", "\n", "\t", "“", "」", "#", "//", "x"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))


def random_responsibilities(rng: random.Random) -> tuple[A.Responsibility, ...]:
    """Up to three entries of a 责任 list: role words, or any party (an act's actor or a leader
    of one) with any degree."""
    out = []
    for _ in range(rng.randint(0, 3)):
        if rng.random() < 0.4:
            r = A.Responsibility.of_role(rng.choice(list(A.Role)))
        else:
            party = A.Party(rng.choice(list(A.PartyBase)),
                            rng.choice([None, *A.Leader]))
            r = A.Responsibility(party, rng.choice(list(A.Degree)))
        if r not in out:
            out.append(r)
    return tuple(out)


def random_expr(rng: random.Random, depth: int = 3) -> A.Expr:
    """Any expression the grammar can write (the shapes the parser builds: flat and/or)."""
    if depth <= 0 or rng.random() < 0.3:
        kind = rng.randrange(6)
        if kind == 0:
            return A.FactRef(_wild_name(rng))
        if kind == 1:
            return A.NumberLit(Decimal(rng.choice(["0", "7", "12", "3.5", "0.25"])))
        if kind == 2:
            return A.PercentLit(Decimal(rng.choice(["99", "90", "12.5"])))
        if kind == 3:
            return A.DurationLit(_d(rng.randint(0, 30), rng.choice((WD, ND))))
        if kind == 4:
            return A.BoolLit(rng.random() < 0.5)
        return A.StringLit(_wild_string(rng))
    kind = rng.randrange(4)
    if kind == 0:
        op = rng.choice(list(A.CompareOp))
        return A.Compare(op, random_expr(rng, depth - 1), random_expr(rng, depth - 1))
    if kind == 1:
        return A.Not(random_expr(rng, depth - 1))
    cls = A.And if kind == 2 else A.Or
    operands = [random_expr(rng, depth - 1) for _ in range(rng.randint(2, 3))]
    if isinstance(operands[0], cls):  # the parser flattens a leading operand of the same kind
        operands[0] = A.Not(operands[0])
    return cls(tuple(operands))


def _wild_citations(rng: random.Random) -> tuple[A.Citation, ...]:
    return tuple(A.Citation(_wild_name(rng), _wild_string(rng)) for _ in range(rng.randint(0, 2)))


def _wild_decl(rng: random.Random) -> A.Decl:
    name = _wild_name(rng)
    basis = _wild_citations(rng)
    override = rng.random() < 0.2
    names = tuple(_wild_name(rng) for _ in range(rng.randint(1, 3)))
    kind = rng.randrange(11)
    maybe = rng.random() < 0.5
    if kind == 0:
        return A.DocumentDecl(name, _wild_string(rng) if maybe else None, _wild_string(rng),
                              override=override)
    if kind == 1:
        days = tuple(A.CalendarDay(dt.date(2025, rng.randint(1, 12), rng.randint(1, 28)),
                                   _wild_string(rng) if maybe else None) for _ in range(2))
        return A.CalendarDecl(name, rng.choice(list(A.CalendarBase)), days[:1], days[1:], basis,
                              override=override)
    if kind == 2:
        return A.PowerDecl(name, _wild_string(rng) if maybe else None, basis, override=override)
    if kind == 3:
        return A.UnitDecl(name, names[0], names[-1] if maybe else None, None, basis,
                          override=override)
    if kind == 4:
        cover = A.Cover(names[0], names[1:]) if maybe else None
        return A.PostDecl(name, names[0], names, None if maybe else names[-1], cover, basis,
                          override=override)
    if kind == 5:
        warnings = (
            A.WarningRule(A.WarningLevel.NOTICE, A.TriggerKind.BEFORE, duration=_d(1)),
            A.WarningRule(A.WarningLevel.YELLOW, A.TriggerKind.AT_PERCENT,
                          percent=Decimal("80"), basis=basis),
            A.WarningRule(A.WarningLevel.RED, A.TriggerKind.OVERDUE,
                          duration=_d(3) if maybe else None),
        )
        return A.ItemDecl(
            name, names[0] if maybe else None, names[-1], None, names[0],
            A.Limit(_d(20), basis), A.Limit(_d(rng.randint(0, 20), ND)),
            A.Extension(_d(10), names[0], basis), A.CorrectionRule(_d(5), maybe, basis),
            A.SuspensionRule(names, basis), warnings[: rng.randint(0, 3)], basis,
            override=override)
    if kind == 6:
        steps: list[A.ProcessNode] = [
            A.StepDecl(_wild_name(rng), names, names[0] if maybe else None, A.Limit(_d(5)),
                       names[1:], basis),
            A.CountersignDecl(_wild_name(rng), names, A.Limit(_d(7), basis),
                              rng.choice(list(A.Silence)), names[:1]),
        ]
        return A.ProcessDecl(name, A.Limit(_d(60)), None if maybe else A.Extension(_d(5), name),
                             names[0] if maybe else None, tuple(steps), basis, override=override)
    if kind == 7:
        scope = rng.choice(list(A.Scope))
        return A.ViolationDecl(
            name, scope, names[0] if scope is A.Scope.TARGET else None,
            names if maybe else (), random_expr(rng),
            random_responsibilities(rng), names[0] if maybe else None,
            basis, override=override)
    if kind == 8:
        window = (A.CountWindow(A.WindowKind.ROLLING_MONTHS, rng.randint(1, 24)) if maybe
                  else A.CountWindow(A.WindowKind.CALENDAR_YEAR))
        return A.LadderDecl(
            name, window, names,
            (A.Escalation(1, False, names[0]), A.Escalation(2, True, names[-1])),
            (A.Circumstance(_wild_name(rng), A.AdjustKind.UP, 1),
             A.Circumstance(_wild_name(rng), A.AdjustKind.TO, 0, names[-1])),
            (A.Circumstance(_wild_name(rng), A.AdjustKind.DOWN, 2),),
            names[:2],
            (A.Consequence(names[0], _wild_string(rng), rng.randint(1, 3)),),
            (A.JointLiability(3, (A.Role.DEPUTY_LEADER, A.Role.CHIEF_LEADER), names[0]),),
            basis, override=override)
    if kind == 10:  # a holiday schedule (fictional dates; only the layout matters here)
        year = rng.randint(2000, 2099)
        days = tuple(
            A.ScheduleDays(dt.date(year, m, d), dt.date(year, m, d + 2) if rng.random() < 0.5
                           else None, _wild_string(rng) if maybe else None)
            for m, d in ((rng.randint(1, 12), rng.randint(1, 26)) for _ in range(3)))
        return A.HolidayScheduleDecl(A.Name(str(year)), year, days[:2], days[2:], basis,
                                     override=override)
    metric = (names[0], rng.choice(list(A.CompareOp)), A.PercentLit(Decimal("99.5")))
    return A.TargetDecl(name, *(metric if maybe else (None, A.CompareOp.GE, None)),
                        rng.choice(list(A.Period)), names if maybe else (), basis,
                        override=override)


# --------------------------------------------------------------------------- consistent rulebooks


def _condition(rng: random.Random, depth: int = 2) -> A.Expr:
    if depth <= 0 or rng.random() < 0.4:
        kind = rng.randrange(3)
        if kind == 0:
            return A.FactRef(N(rng.choice(_CASE_BOOLS)))
        if kind == 1:
            return A.Compare(rng.choice((A.CompareOp.GT, A.CompareOp.GE)),
                             A.FactRef(N(rng.choice(_CASE_DAYS))),
                             A.NumberLit(Decimal(rng.randint(0, 10))))
        return A.Compare(A.CompareOp.GE, A.FactRef(N(rng.choice(_CASE_COUNTS))),
                         A.NumberLit(Decimal(rng.randint(1, 3))))
    kind = rng.randrange(3)
    if kind == 0:
        return A.Not(_condition(rng, depth - 1))
    first = _condition(rng, depth - 1)
    cls = A.And if kind == 1 else A.Or
    if isinstance(first, cls):
        first = A.Not(first)
    return cls((first, _condition(rng, depth - 1)))


def random_rulebook(rng: random.Random, size: int = 10, wild: bool = False,
                    lang: str = "zh") -> A.Rulebook:
    """A rulebook of roughly ``size`` groups of declarations (a unit with its posts, an item, a
    process, a ladder, a violation, a target each)."""
    header = A.Header(N(f"生成规则集{size}"), version="1.0", effective_from=dt.date(2024, 1, 1),
                      effective_until=dt.date(2030, 12, 31) if rng.random() < 0.5 else None,
                      jurisdiction="某县")
    if wild:
        decls = tuple(_wild_decl(rng) for _ in range(size))
        return A.Rulebook(header, decls, lang=lang)
    doc = N("法")
    decls: list[A.Decl] = [
        A.DocumentDecl(doc, "某发[2024]1号", "某县行政效能规定"),
        A.CalendarDecl(N("县日历"), A.CalendarBase.STATUTORY,
                       (A.CalendarDay(dt.date(2025, 3, 3), "县庆"),), (),
                       (A.Citation(doc, "第一条"),)),
        A.PowerDecl(N("审批决定权"), "作出审批决定", (A.Citation(doc, "第二条"),)),
        A.PowerDecl(N("延期批准权"), "批准延长期限", (A.Citation(doc, "第二条"),)),
    ]
    cite = (A.Citation(doc, "第三条"),)
    levels = tuple(N(s) for s in ("效能告诫", "通报批评", "诫勉谈话", "党纪政纪处分"))
    units: list[A.Name] = []
    for g in range(size):
        unit, chief, deputy, clerk, clerk_b = (
            _zh_name(rng, "局", g), N(f"局长{g}"), N(f"副局长{g}"), N(f"窗口{g}"),
            N(f"窗口B{g}"))
        parent = rng.choice(units) if units and rng.random() < 0.5 else None
        units.append(unit)
        decls.append(A.UnitDecl(unit, parent, chief, deputy, cite))
        decls.append(A.PostDecl(chief, unit, (N("审批决定权"), N("延期批准权")), None, None, cite))
        decls.append(A.PostDecl(deputy, unit, (N("审批决定权"),), None, None, cite))
        decls.append(A.PostDecl(clerk, unit, (N("审批决定权"),), deputy, None, cite))
        decls.append(A.PostDecl(clerk_b, unit, (), deputy, A.Cover(clerk, (N("审批决定权"),)),
                                cite))
        statutory = rng.randint(10, 30)
        steps = []
        total = 0
        for s in range(rng.randint(1, 4)):
            limit = rng.randint(2, 8)
            total += limit
            after = tuple(N(f"环节{g}_{t}") for t in range(s) if rng.random() < 0.6)
            steps.append(A.StepDecl(N(f"环节{g}_{s}"), (unit,), clerk, A.Limit(_d(limit)), after))
        steps.append(A.CountersignDecl(N(f"会签{g}"), (unit,), A.Limit(_d(5)),
                                       rng.choice(list(A.Silence)), (steps[0].name,)))
        process = N(f"流程{g}")
        decls.append(A.ProcessDecl(process, A.Limit(_d(total + 5 + 10)),
                                   A.Extension(_d(5), N("延期批准权")), N("县日历"),
                                   tuple(steps), cite))
        item = N(f"事项{g}")
        decls.append(A.ItemDecl(
            item, None, unit, N("县日历"), None,
            A.Limit(_d(statutory), cite), A.Limit(_d(rng.randint(1, statutory))),
            A.Extension(_d(10), N("延期批准权"), cite), A.CorrectionRule(_d(5), True, cite),
            A.SuspensionRule((N("听证"), N("专家评审")), cite),
            (A.WarningRule(A.WarningLevel.NOTICE, A.TriggerKind.BEFORE, duration=_d(1)),
             A.WarningRule(A.WarningLevel.YELLOW, A.TriggerKind.OVERDUE),
             A.WarningRule(A.WarningLevel.RED, A.TriggerKind.OVERDUE, duration=_d(3))),
            cite))
        ladder = N(f"阶梯{g}")
        decls.append(A.LadderDecl(
            ladder, A.CountWindow(A.WindowKind.ROLLING_MONTHS, 12), levels,
            (A.Escalation(1, False, levels[0]), A.Escalation(2, False, levels[1]),
             A.Escalation(3, False, levels[2]), A.Escalation(4, True, levels[3])),
            (A.Circumstance(N("阻碍调查"), A.AdjustKind.UP, 1),), (), (N("不可抗力"),),
            (A.Consequence(levels[0], "当年不得评为优秀"),), (), cite))
        decls.append(A.ViolationDecl(
            N(f"违规{g}"), A.Scope.CASE, None, (item,), _condition(rng),
            (A.Responsibility.of_role(A.Role.DIRECT),
             A.Responsibility.of_role(A.Role.DEPUTY_LEADER)), ladder, cite))
        decls.append(A.TargetDecl(N(f"目标{g}"), N("按时办结率"), A.CompareOp.GE,
                                  A.PercentLit(Decimal(rng.choice(["90", "99", "99.5"]))),
                                  A.Period.QUARTER, (unit,), cite))
    return A.Rulebook(header, tuple(decls), lang=lang)


def rulebook_text(lines: int = 10_000, seed: int = 0, lang: str = "zh") -> str:
    """A consistent rulebook in the canonical layout with at least ``lines`` lines."""
    rng = random.Random(seed)
    probe = format_rulebook(random_rulebook(random.Random(seed), 4, lang=lang)).count("\n")
    size = max(1, lines * 4 // max(1, probe))
    while True:
        text = format_rulebook(random_rulebook(rng, size, lang=lang), lang)
        if text.count("\n") >= lines:
            return text
        size += max(1, size // 20)
