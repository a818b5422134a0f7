"""Check passes over names and structure (codes ``WZ1xx``): undefined and duplicate names, item
inheritance cycles, declarations without a legal basis, violations missing a part, and effective
periods that end before they start. The language stage (parse → load → **check** → lower).
"""

from __future__ import annotations

from collections.abc import Iterator

from wenze.dsl import ast as A
from wenze.dsl.checks.common import (
    decl_citations,
    did_you_mean,
    error,
    first_declared_here,
    kind_words,
    label,
    msg,
    suggest,
    warning,
)
from wenze.dsl.diagnostics import Diagnostic

# --------------------------------------------------------------------------- undefined names


def _references(rulebook: A.Rulebook) -> Iterator[tuple[type, A.Name, str, str]]:
    """Every name that must refer to a declaration: (kind, name, zh role, en role)."""
    for cite in rulebook.header.basis or ():
        yield A.DocumentDecl, cite.document, "依据", "basis"
    if rulebook.header.default_basis is not None:
        yield A.DocumentDecl, rulebook.header.default_basis.document, "默认依据", "default basis"
    for decl in rulebook.decls:
        for cite in decl_citations(decl):
            yield A.DocumentDecl, cite.document, "依据", "basis"
        if isinstance(decl, A.UnitDecl):
            if decl.parent is not None:
                yield A.UnitDecl, decl.parent, "上级", "parent"
            if decl.chief_leader is not None:
                yield A.PostDecl, decl.chief_leader, "主要领导", "chief leader"
            if decl.deputy_leader is not None:
                yield A.PostDecl, decl.deputy_leader, "分管领导", "deputy leader"
        elif isinstance(decl, A.PostDecl):
            if decl.unit is not None:
                yield A.UnitDecl, decl.unit, "属于", "belongs to"
            for power in decl.powers or ():
                yield A.PowerDecl, power, "拥有", "holds"
            if decl.deputy_leader is not None:
                yield A.PostDecl, decl.deputy_leader, "分管领导", "deputy leader"
            if decl.covers is not None:
                yield A.PostDecl, decl.covers.principal, "代理", "covers"
                for power in decl.covers.powers or ():
                    yield A.PowerDecl, power, "代理", "covers"
        elif isinstance(decl, A.ItemDecl):
            if decl.base is not None:
                yield A.ItemDecl, decl.base, "继承", "extends"
            if decl.unit is not None:
                yield A.UnitDecl, decl.unit, "单位", "unit"
            if decl.calendar is not None:
                yield A.CalendarDecl, decl.calendar, "日历", "calendar"
            if decl.process is not None:
                yield A.ProcessDecl, decl.process, "流程", "process"
            if decl.extension is not None:
                yield A.PowerDecl, decl.extension.approved_by, "延期批准", "extension approved by"
        elif isinstance(decl, A.ProcessDecl):
            if decl.calendar is not None:
                yield A.CalendarDecl, decl.calendar, "日历", "calendar"
            if decl.extension is not None:
                yield A.PowerDecl, decl.extension.approved_by, "延期批准", "extension approved by"
            for node in decl.steps or ():
                for unit in node.units or ():
                    yield A.UnitDecl, unit, "单位", "unit"
                if isinstance(node, A.StepDecl) and node.post is not None:
                    yield A.PostDecl, node.post, "岗位", "post"
        elif isinstance(decl, A.ViolationDecl):
            if decl.target is not None:
                yield A.TargetDecl, decl.target, "针对", "on"
            for item in decl.items or ():
                yield A.ItemDecl, item, "事项", "item"
            if decl.ladder is not None:
                yield A.LadderDecl, decl.ladder, "阶梯", "ladder"
        elif isinstance(decl, A.TargetDecl):
            for unit in decl.units or ():
                yield A.UnitDecl, unit, "单位", "unit"


def check_undefined_names(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ101: a name that refers to a declaration that does not exist (with "did you mean");
    WZ102 for a ``前置`` naming no step of its process."""
    out: list[Diagnostic] = []
    declared: dict[type, set[str]] = {}
    for decl in rulebook.decls:
        declared.setdefault(type(decl), set()).add(decl.name.text)
    for kind, name, role_zh, role_en in _references(rulebook):
        if name.text in declared.get(kind, set()):
            continue
        zh, en = kind_words(kind)
        suggestions = suggest(name.text, declared.get(kind, set()))
        elsewhere = [k for k, names in declared.items() if k is not kind and name.text in names]
        help_ = did_you_mean(suggestions)
        if help_ is None and elsewhere:
            ozh, oen = kind_words(elsewhere[0])
            help_ = msg(f"`{name.text}` 是{ozh}，不是{zh}", f"`{name.text}` is a {oen}, not a {en}")
        if help_ is None:
            help_ = msg(f"请先声明 `{zh} 「{name.text}」 {{ … }}`",
                        f"declare it first: `{en} {name.text} {{ … }}`")
        out.append(error(
            "WZ101",
            msg(f"未声明的{zh} `{name.text}`（{role_zh}）",
                f"undefined {en} `{name.text}` (in `{role_en}`)"),
            name.span,
            help=help_,
            suggestions=suggestions,
        ))
    for process in rulebook.decls:
        if not isinstance(process, A.ProcessDecl):
            continue
        steps = {n.name.text for n in process.steps or ()}
        for node in process.steps or ():
            for dep in node.after or ():
                if dep.text in steps:
                    continue
                suggestions = suggest(dep.text, steps)
                out.append(error(
                    "WZ102",
                    msg(f"流程 `{process.name.text}` 中没有环节 `{dep.text}`",
                        f"process `{process.name.text}` has no step `{dep.text}`"),
                    dep.span,
                    labels=[label(node.name.span, f"`{node.name.text}` 的前置",
                                  f"required before `{node.name.text}`")],
                    help=did_you_mean(suggestions) or msg(
                        "前置只能引用同一流程中的环节或会签",
                        "`after` may only name steps and countersigns of the same process"),
                    suggestions=suggestions,
                ))
    return out


# --------------------------------------------------------------------------- duplicates


def check_duplicates(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ103: two declarations of the same kind and name; WZ103 also for two steps (or
    countersigns) of one process with the same name, and a name listed twice in one list."""
    out: list[Diagnostic] = []
    first: dict[tuple[type, str], A.Decl] = {}
    for decl in rulebook.decls:
        key = (type(decl), decl.name.text)
        if key in first:
            zh, en = kind_words(type(decl))
            out.append(error(
                "WZ103",
                msg(f"{zh} `{decl.name.text}` 重复声明", f"duplicate {en} `{decl.name.text}`"),
                decl.name.span,
                labels=[first_declared_here(first[key].name.span)],
                help=msg("删除其中一个，或改名", "remove one of them, or rename one"),
            ))
        else:
            first[key] = decl
        if isinstance(decl, A.ProcessDecl):
            out += _duplicate_steps(decl)
    return out


def _duplicate_steps(process: A.ProcessDecl) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: dict[str, A.ProcessNode] = {}
    for node in process.steps or ():
        prior = seen.get(node.name.text)
        if prior is None:
            seen[node.name.text] = node
            continue
        out.append(error(
            "WZ103",
            msg(f"流程 `{process.name.text}` 中环节 `{node.name.text}` 重复",
                f"duplicate step `{node.name.text}` in process `{process.name.text}`"),
            node.name.span,
            labels=[first_declared_here(prior.name.span)],
            help=msg("环节与会签在同一流程中必须各有不同的名称",
                     "steps and countersigns of one process need distinct names"),
        ))
    return out


# --------------------------------------------------------------------------- item inheritance


def check_item_inheritance(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ108: items that inherit from each other in a cycle (every edge labelled)."""
    items = rulebook.named(A.ItemDecl)
    out: list[Diagnostic] = []
    walked: set[int] = set()  # items whose chain was followed already (linear in all)
    for start in items.values():
        path: list[A.ItemDecl] = []
        on_path: dict[int, int] = {}
        current: A.Decl | None = start
        while (isinstance(current, A.ItemDecl) and id(current) not in on_path
               and id(current) not in walked):
            on_path[id(current)] = len(path)
            path.append(current)
            current = items.get(current.base.text) if current.base is not None else None
        walked.update(on_path)
        if not isinstance(current, A.ItemDecl) or id(current) not in on_path:
            continue  # the chain ends, or joins one already followed (and reported)
        cycle = path[on_path[id(current)]:]
        cycle.sort(key=lambda i: (i.span.file, i.span.start))  # report at the first in the file
        chain = " → ".join(f"`{i.name.text}`" for i in [*cycle, cycle[0]])
        head = cycle[0]
        assert head.base is not None
        out.append(error(
            "WZ108",
            msg(f"事项循环继承：{chain}", f"items inherit from each other in a cycle: {chain}"),
            head.base.span,
            labels=[label(i.base.span, f"`{i.name.text}` 在此继承 `{i.base.text}`",
                          f"`{i.name.text}` extends `{i.base.text}` here")
                    for i in cycle[1:] if i.base is not None],
            help=msg("去掉其中一个 `继承`", "remove one of the `extends`"),
        ))
    return out


# --------------------------------------------------------------------------- legal basis

# a holiday schedule without basis is an error of its own (WZ117, checks/holidays.py)
_EXEMPT_FROM_BASIS = (A.DocumentDecl, A.UnitDecl, A.PostDecl, A.CalendarDecl,
                      A.HolidayScheduleDecl)


def check_basis(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ110: a violation without ``依据`` (an error: a sanction needs a legal basis); WZ109: any
    other rule without one (a warning; documents, units, posts and calendars are exempt). A
    rulebook whose header names a ``默认依据`` gives it to every declaration that cites none:
    nothing is reported then, and a violation's decisions cite the default basis."""
    out: list[Diagnostic] = []
    if rulebook.header.default_basis is not None:
        return out
    for decl in rulebook.decls:
        if isinstance(decl, _EXEMPT_FROM_BASIS) or any(True for _ in decl_citations(decl)):
            continue
        zh, en = kind_words(type(decl))
        make, code = (error, "WZ110") if isinstance(decl, A.ViolationDecl) else (warning, "WZ109")
        out.append(make(
            code,
            msg(f"{zh} `{decl.name.text}` 没有 `依据`", f"{en} `{decl.name.text}` has no `basis`"),
            decl.name.span,
            help=msg("在名称后写 `依据 「文件」 \"条款\"`",
                     "write `basis DOCUMENT \"clause\"` after the name"),
        ))
    return out


# --------------------------------------------------------------------------- violations


PARTY_ZH = {
    A.PartyBase.DIRECT: "直接责任人", A.PartyBase.REVIEWER: "审核人",
    A.PartyBase.RECEIVER: "收件人", A.PartyBase.ACCEPTOR: "受理人",
    A.PartyBase.CORRECTION_NOTIFIER: "补正告知人", A.PartyBase.SUSPENDER: "中止人",
    A.PartyBase.EXTENSION_APPROVER: "延期批准人", A.PartyBase.DECIDER: "决定人",
    A.PartyBase.DELIVERER: "送达人", A.PartyBase.REFERRER: "转办人",
    A.PartyBase.STEP_HANDLER: "环节承办人", A.PartyBase.COUNTERSIGN_UNIT: "会签单位",
    A.PartyBase.COUNTERSIGN_REQUESTER: "会签发起人", A.PartyBase.COMPLAINED_OF: "被投诉人",
}
SCOPE_ZH = {A.Scope.CASE: "案件", A.Scope.STEP: "环节", A.Scope.COUNTERSIGN: "会签",
            A.Scope.TARGET: "目标"}


def impossible_party(base: A.PartyBase, scope: A.Scope) -> tuple[str, str] | None:
    """Why a party can never exist in a violation's scope (the table of parties in
    docs/language.md §9), or None when it can: a step's handler only on a step, a countersigning
    unit or its requester only on a countersign, and on a target (a unit and period, no case)
    only the direct party (the unit's chief leader) and its leaders."""
    if base is A.PartyBase.STEP_HANDLER and scope is not A.Scope.STEP:
        return "只有针对环节的违规才有环节承办人", "only a violation on a step has a step handler"
    if base in (A.PartyBase.COUNTERSIGN_UNIT, A.PartyBase.COUNTERSIGN_REQUESTER) and (
            scope is not A.Scope.COUNTERSIGN):
        return "只有针对会签的违规才有会签单位和会签发起人", \
            "only a violation on a countersign has a countersigning unit and requester"
    if scope is A.Scope.TARGET and base is not A.PartyBase.DIRECT:
        return "目标针对单位和周期，没有案件中的行为", \
            "a target is about a unit and a period, with no act of a case"
    return None


def check_violation_parts(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ111: a violation with no condition; WZ112: no ladder; WZ113: no responsible role;
    WZ114: ``针对 目标`` without a target name; WZ118: a party that cannot exist in the scope."""
    out: list[Diagnostic] = []
    for v in rulebook.decls:
        if not isinstance(v, A.ViolationDecl):
            continue
        name = v.name.text
        if v.condition is None:
            out.append(error(
                "WZ111", msg(f"违规 `{name}` 没有条件 `当`", f"violation `{name}` has no `when`"),
                v.name.span,
                help=msg("写 `当 条件` 说明何时构成违规",
                         "write `when CONDITION` to say when it applies")))
        if v.ladder is None:
            out.append(error(
                "WZ112", msg(f"违规 `{name}` 没有 `阶梯`", f"violation `{name}` has no `ladder`"),
                v.name.span,
                help=msg("写 `阶梯 「名称」` 指明处理的梯度",
                         "write `ladder NAME` to say how it is sanctioned")))
        if not v.responsible:
            out.append(error(
                "WZ113",
                msg(f"违规 `{name}` 没有 `责任` 人",
                    f"violation `{name}` names no `responsible` role"),
                v.name.span,
                help=msg("写 `责任 直接责任人、分管领导` 等",
                         "write e.g. `responsible direct, deputy leader`")))
        for r in v.responsible:
            why = impossible_party(r.party.base, v.scope)
            if why is not None:
                out.append(error(
                    "WZ118",
                    msg(f"违规 `{name}` 的责任方 `{PARTY_ZH[r.party.base]}` 在"
                        f"「{SCOPE_ZH[v.scope]}」范围内不可能存在：{why[0]}",
                        f"violation `{name}`: party `{r.party.base.value}` "
                        f"({PARTY_ZH[r.party.base]}) cannot exist on "
                        f"`{v.scope.value}`: {why[1]}"),
                    v.span_of("responsible"),
                    help=msg("改用该范围内存在的责任方（见 docs/language.md §9 责任方表）",
                             "name a party that exists in this scope (docs/language.md §9)")))
        if v.scope is A.Scope.TARGET and v.target is None:
            out.append(error(
                "WZ114", msg(f"违规 `{name}` 针对目标但未指明目标",
                             f"violation `{name}` is on a target but names none"),
                v.name.span))
    return out


# --------------------------------------------------------------------------- header


def check_effective_period(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ115: an effective period that ends before it starts."""
    h = rulebook.header
    if h.effective_from is None or h.effective_until is None:
        return []
    if h.effective_until >= h.effective_from:
        return []
    return [error(
        "WZ115",
        msg(f"生效期间的结束日 `{h.effective_until}` 早于开始日 `{h.effective_from}`",
            f"effective period ends `{h.effective_until}` before it starts `{h.effective_from}`"),
        h.span_of("effective_until"),
        labels=[label(h.span_of("effective_from"), "开始日", "the start")],
        help=msg("检查 `生效 开始 至 结束` 的顺序", "check the order in `effective FROM until TO`"),
    )]


# --------------------------------------------------------------------------- units


def check_unit_hierarchy(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ116: units that are each other's ``上级`` in a cycle."""
    units = rulebook.named(A.UnitDecl)
    out: list[Diagnostic] = []
    walked: set[int] = set()  # units whose chain was followed already (linear in all)
    for start in units.values():
        path: list[A.UnitDecl] = []
        on_path: dict[int, int] = {}
        current: A.Decl | None = start
        while (isinstance(current, A.UnitDecl) and id(current) not in on_path
               and id(current) not in walked):
            on_path[id(current)] = len(path)
            path.append(current)
            current = units.get(current.parent.text) if current.parent is not None else None
        walked.update(on_path)
        if not isinstance(current, A.UnitDecl) or id(current) not in on_path:
            continue  # the chain ends, or joins one already followed (and reported)
        found = path[on_path[id(current)]:]
        cycle = sorted(found, key=lambda u: (u.span.file, u.span.start))
        head = cycle[0]
        assert head.parent is not None
        chain = " → ".join(f"`{u.name.text}`" for u in [*found, current])
        out.append(error(
            "WZ116",
            msg(f"单位的上级关系构成循环：{chain}", f"units are each other's parents: {chain}"),
            head.parent.span,
            labels=[label(u.parent.span, f"`{u.name.text}` 的上级", f"parent of `{u.name.text}`")
                    for u in cycle[1:] if u.parent is not None],
        ))
    return out


LEADER_WORDS: dict[A.Leader, tuple[str, str, str]] = {
    # leader → (zh word, en word, the keyword that names it in a unit or post)
    A.Leader.DEPUTY: ("分管领导", "deputy leader", "分管领导"),
    A.Leader.CHIEF: ("主要领导", "chief leader", "主要领导"),
}


def check_named_leaders(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ120: a violation holds a unit's 分管领导 or 主要领导 to account, and a declared unit
    names no such leader (for 分管领导: nor do all of its posts). The engine still decides — the
    decision names the unit with no person and says what is missing (docs/semantics.md §8) — so
    this is a warning: the rulebook should say who that leader is, or say why it cannot."""
    wanted: dict[A.Leader, list[str]] = {}
    for v in rulebook.decls:
        if isinstance(v, A.ViolationDecl):
            for r in v.responsible:
                # on a target, the unit's 主要领导 answers for the direct party (§8)
                leader = A.Leader.CHIEF if (v.scope is A.Scope.TARGET and r.party.leader is None
                                            and r.party.base is A.PartyBase.DIRECT) \
                    else r.party.leader
                if leader in LEADER_WORDS and v.name.text not in wanted.get(leader, []):
                    wanted.setdefault(leader, []).append(v.name.text)
    if not wanted:
        return []
    posts_of: dict[str, list[A.PostDecl]] = {}
    for p in rulebook.decls:
        if isinstance(p, A.PostDecl) and p.unit is not None:
            posts_of.setdefault(p.unit.text, []).append(p)
    # a leader's own leader is not asked for: a post that is some unit's or post's leader
    leaders = {n.text for d in rulebook.decls if isinstance(d, A.UnitDecl | A.PostDecl)
               for n in (getattr(d, "chief_leader", None), d.deputy_leader) if n is not None}
    out: list[Diagnostic] = []
    for u in rulebook.decls:
        if not isinstance(u, A.UnitDecl):
            continue
        for leader, violations in wanted.items():
            zh, en, keyword = LEADER_WORDS[leader]
            if leader is A.Leader.DEPUTY:
                if u.deputy_leader is not None:
                    continue
                posts = posts_of.get(u.name.text, [])
                lacking = [p.name.text for p in posts
                           if p.deputy_leader is None and p.name.text not in leaders]
                if not lacking:
                    continue  # every post of the unit that is not a leader's names one
                where_zh = "及其岗位" + "".join(f"「{p}」" for p in lacking)
                where_en = " and its posts " + ", ".join(f"`{p}`" for p in lacking)
                whose_zh, whose_en = "这些岗位的人员", "these posts' staff"
            else:
                if u.chief_leader is not None or u.name.text not in posts_of:
                    continue
                where_zh = where_en = ""
                whose_zh, whose_en = "该单位人员", "the unit's staff"
            more = len(violations) - 3
            named_zh = "".join(f"「{v}」" for v in violations[:3]) + (
                f"等 {len(violations)} 项违规" if more > 0 else "")
            named_en = ", ".join(f"`{v}`" for v in violations[:3]) + (
                f" and {more} more" if more > 0 else "")
            out.append(warning(
                "WZ120",
                msg(f"单位「{u.name.text}」{where_zh}未指明{zh}，而违规{named_zh}追究{zh}："
                    f"{whose_zh}违规时，决定只能指明单位，不能指明{zh}本人",
                    f"unit `{u.name.text}`{where_en} name{'' if where_en else 's'} no {en}, "
                    f"yet {named_en} hold "
                    f"the {en} to account: for an offence by {whose_en} the decision can name "
                    f"the unit, not the {en}"),
                u.name.span,
                help=msg(f"在单位中写 `{keyword} 「岗位」` 指明{zh}；确无此领导的，"
                         f"改写违规的 `责任`",
                         f"write `{keyword} POST` in the unit to name its {en}; where there "
                         f"is none, change the violation's `responsible`")))
    return out
