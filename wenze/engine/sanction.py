"""The reference judge: offences → decisions, through the rulebook's ladders.

evaluate (offences) → **sanction** (ladders, per person, in time order) → decisions → output.

Offences are grouped by ladder and handed to :func:`wenze.engine.ladder.apply_ladder` with the
prior sanctions; each outcome becomes one :class:`~wenze.engine.decisions.Decision` with the
ladder's reasoning. An offence whose violation names no ladder becomes a decision without a
sanction (the finding stands; the rulebook says nothing about the sanction).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from wenze.dsl import ast as A
from wenze.engine.decisions import Decision, LadderInfo, stable_key
from wenze.engine.lower import Program, bases_of


def make_decision(off: Any, as_of: dt.date, sanction: str | None, ladder: LadderInfo | None,
              person: str | None = None, post: str | None = None, unit: str | None = None,
              role: Any = None, key: str | None = None, clear_person: bool = False) -> Decision:
    if clear_person:  # a joint decision: the leader, not the offender
        return Decision(
            key=key or off.key, case=off.case, item=off.item, violation=off.violation.name,
            scope=off.violation.scope.value, subject=off.subject, person=person, post=post,
            unit=unit, role=role, sanction=sanction, ladder=ladder, basis=off.violation.basis,
            condition=off.violation.source, facts=off.facts, dates=off.dates,
            established=off.established, as_of=as_of)
    return Decision(
        key=key or off.key,
        case=off.case,
        item=off.item,
        violation=off.violation.name,
        scope=off.violation.scope.value,
        subject=off.subject,
        person=person if person is not None else off.person,
        post=post if post is not None else off.post,
        unit=unit if unit is not None else off.unit,
        role=role or off.role,
        sanction=sanction,
        ladder=ladder,
        basis=off.violation.basis,
        condition=off.violation.source,
        facts=off.facts,
        dates=off.dates,
        established=off.established,
        as_of=as_of,
    )


def sanction(program: Program, offences: Sequence[Any], prior: Sequence[Any],
             as_of: dt.date, holder: Callable[[str, dt.date], str | None] | None = None
             ) -> list[Decision]:
    """Offences (time-ordered) → decisions. ``prior`` holds :class:`~wenze.engine.ladder.
    PriorSanction` records or dicts ``{person, unit, on, sanction, source[, ladder]}`` (those
    with a ``ladder`` go to that ladder only). ``holder(post, day)`` names the person in a post."""
    from wenze.engine import ladder as L

    priors = [prior_of(L, p) for p in prior]
    decisions: list[Decision] = []
    by_ladder: dict[str, list[Any]] = defaultdict(list)
    for off in offences:
        if off.violation.ladder and off.violation.ladder in program.ladders:
            by_ladder[off.violation.ladder].append(off)
        else:
            decisions.append(make_decision(off, as_of, None, None))
    for name in sorted(by_ladder):
        mine = [p for ladder, p in priors if ladder in (None, name)]
        decisions += apply_ladder(L, program, name, by_ladder[name], mine, as_of, holder)
    return decisions


def prior_of(L: Any, p: Any) -> tuple[str | None, Any]:
    if isinstance(p, L.PriorSanction):
        return None, p
    on = p["on"] if isinstance(p["on"], dt.date) else dt.date.fromisoformat(str(p["on"]))
    return p.get("ladder"), L.PriorSanction(
        person=p["person"], unit=p.get("unit"), on=on, sanction=p["sanction"],
        source=p.get("source", "prior"))


def apply_ladder(L: Any, program: Program, name: str, offences: list[Any], prior: Sequence[Any],
           as_of: dt.date, holder: Callable[[str, dt.date], str | None] | None) -> list[Decision]:
    ladder = program.ladders[name]
    by_key = {}
    inputs = []
    for off in offences:
        key = off.key
        by_key[key] = off
        inputs.append(L.Offence(key=key, person=off.person_key, unit=off.unit, post=off.post,
                                role=off.role, violation=off.violation.name, case=off.case,
                                on=off.established, circumstances=frozenset(off.circumstances),
                                order=off.ladder_order))
    leaders = {u.name: {r: p for r, p in ((A.Role.CHIEF_LEADER, u.chief_leader),
                                          (A.Role.DEPUTY_LEADER, u.deputy_leader)) if p}
               for u in program.units.values()}
    outcome = L.apply_ladder(ladder, inputs, prior, leaders)
    window = ladder.window
    joint_basis = bases_of(name, ladder.basis, program.documents) if outcome.joint else ()
    decisions = []
    for s in outcome.sanctions:
        off = by_key[s.offence.key]
        info = LadderInfo(
            name=name, step=s.step, count_in_window=s.count_in_window,
            window=s.window_text.zh,
            reasons=tuple((r.zh, r.en) for r in s.reasons),
            adjustments=tuple(adjustment_text(a) for a in s.adjustments),
            exempt_by=s.exempt_by, consequences=tuple(s.consequences))
        decisions.append(make_decision(off, as_of, s.level, info))
    seen = {(d.case, d.subject, d.violation, d.post or d.person) for d in decisions}
    for j in outcome.joint:
        trigger = by_key[j.triggered_by[-1]] if j.triggered_by else None
        post = j.person  # unit_leaders holds the leader posts
        if trigger is None or post is None:
            continue  # the unit has no such leader: nobody to decide on (the ladder says so)
        if (trigger.case, trigger.subject, trigger.violation.name, post) in seen:
            continue  # the leader already answers for this very offence: once is enough
        decisions.append(joint_decision(trigger, j, name, window, post, as_of, holder,
                                        joint_basis))
    return decisions


def joint_decision(trigger: Any, j: Any, name: str, window: A.CountWindow | None, post: str,
                   as_of: dt.date, holder: Callable[[str, dt.date], str | None] | None,
                   joint_basis: tuple[Any, ...]) -> Decision:
    """The decision on the leader in ``post`` for a :class:`~wenze.engine.ladder.JointSanction`
    ``j`` of ladder ``name``, about the offence that triggered it."""
    person = holder(post, j.on) if (holder and post) else None
    # The sanction is the one the 连带 rule names, not a step of the leader's own ladder: no
    # escalation row is used (step None); count_in_window is the unit's count.
    fixed = (f"连带责任的处理由阶梯「{name}」的连带规定直接指定为「{j.sanction}」，不按本人"
             f"问责次数升级，也不计入本人及单位的问责次数",
             f"the sanction is the one the joint-liability rule of ladder 「{name}」 names "
             f"(「{j.sanction}」), not a step of the leader's own ladder; it counts neither "
             f"toward the leader's own count nor toward the unit's")
    info = LadderInfo(
        name=name, step=None, count_in_window=j.count,
        window=_window(window, j.window),
        reasons=(*((r.zh, r.en) for r in j.reasons), fixed),
        adjustments=(), exempt_by=None, consequences=(), joint=True)
    key = stable_key("joint", name, j.unit, j.role.value, j.on.isoformat(), str(j.count))
    joint = make_decision(trigger, as_of, j.sanction, info, person=person, post=post,
                          unit=j.unit, role=A.Responsibility.of_role(j.role), key=key,
                          clear_person=True)
    return dataclasses.replace(joint, basis=joint.basis + joint_basis)


def adjustment_text(a: Any) -> str:
    kind = "从重" if a.direction == "aggravating" else "从轻"
    limited = "（已到边界）" if a.limited else ""
    return f"{kind}「{a.circumstance}」: {a.before} → {a.after}{limited}"


def _window(window: A.CountWindow | None, span: tuple[dt.date | None, dt.date]) -> str:
    first, last = span
    return f"{first or '…'} 至 {last}"
