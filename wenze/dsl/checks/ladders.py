"""Check passes over penalty ladders (codes ``WZ3xx``): escalations out of order, sanctions that
are not levels of the ladder, levels that can never be reached, a missing counting window or
first offence. The language stage (parse → load → **check** → lower).

A ladder's ``等级`` lists its sanctions from the mildest to the gravest. Escalations (``第 N 次``)
must count upwards and never choose a milder sanction than an earlier count.
"""

from __future__ import annotations

from wenze.dsl import ast as A
from wenze.dsl.checks.common import (
    did_you_mean,
    error,
    first_declared_here,
    label,
    msg,
    suggest,
    warning,
)
from wenze.dsl.diagnostics import Diagnostic


def check_ladders(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ301–WZ310 for every ladder."""
    out: list[Diagnostic] = []
    for ladder in rulebook.decls:
        if isinstance(ladder, A.LadderDecl):
            out += _check_ladder(ladder)
    return out


def _check_ladder(ladder: A.LadderDecl) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    name = ladder.name.text
    levels: dict[str, int] = {}
    first_level: dict[str, A.Name] = {}
    for level in ladder.levels or ():
        if level.text in levels:
            out.append(error(
                "WZ308",
                msg(f"阶梯 `{name}` 的等级 `{level.text}` 重复",
                    f"level `{level.text}` is listed twice in ladder `{name}`"),
                level.span,
                labels=[first_declared_here(first_level[level.text].span)],
            ))
            continue
        levels[level.text] = len(levels)
        first_level[level.text] = level
    if not ladder.levels:
        out.append(error(
            "WZ307",
            msg(f"阶梯 `{name}` 没有 `等级`", f"ladder `{name}` lists no `levels`"),
            ladder.name.span,
            help=msg("写 `等级 「效能告诫」、「通报批评」、…`，从轻到重",
                     "write `levels A, B, …` from the mildest to the gravest sanction"),
        ))
    if ladder.window is None:
        out.append(error(
            "WZ305",
            msg(f"阶梯 `{name}` 没有 `计次期间`", f"ladder `{name}` has no counting window"),
            ladder.name.span,
            help=msg("写 `计次期间 滚动 12 个月` 或 `计次期间 自然年`",
                     "write `window rolling 12 months` or `window calendar year`"),
        ))
    elif ladder.window.kind is A.WindowKind.ROLLING_MONTHS and not (ladder.window.months or 0) > 0:
        out.append(error(
            "WZ305",
            msg(f"阶梯 `{name}` 的计次期间为 0 个月", f"ladder `{name}` counts within 0 months"),
            ladder.window.span,
        ))

    # ---- sanctions that must be levels
    def unknown(sanction: A.Name | None, where_zh: str, where_en: str) -> None:
        if sanction is None or not levels or sanction.text in levels:
            return
        suggestions = suggest(sanction.text, levels)
        out.append(error(
            "WZ303",
            msg(f"`{sanction.text}` 不是阶梯 `{name}` 的等级（{where_zh}）",
                f"`{sanction.text}` is not a level of ladder `{name}` (in `{where_en}`)"),
            sanction.span,
            labels=[label(ladder.levels[0].span, "等级列于此", "levels are listed here")],
            help=did_you_mean(suggestions) or msg("先把它加入 `等级`", "add it to `levels` first"),
            suggestions=suggestions,
        ))

    for esc in ladder.escalations or ():
        unknown(esc.sanction, "第 N 次", "upon N offences")
    for c in (*(ladder.aggravating or ()), *(ladder.mitigating or ())):
        if c.kind is A.AdjustKind.TO:
            unknown(c.sanction, "从重/从轻", "aggravating/mitigating")
        elif c.steps <= 0:
            out.append(warning(
                "WZ310",
                msg(f"`{c.name.text}` 调整 0 级，不起作用",
                    f"`{c.name.text}` moves the sanction by 0 levels and has no effect"),
                c.span,
            ))
    for cons in ladder.consequences or ():
        unknown(cons.sanction, "后果", "consequence")
        if cons.cumulative < 1:
            out.append(error(
                "WZ311",
                msg(f"后果 `{cons.sanction.text}` 的累计次数 `{cons.cumulative}` 须至少为 1",
                    f"consequence of `{cons.sanction.text}` needs a count of at least 1, not "
                    f"`{cons.cumulative}`"),
                cons.span,
            ))
    for joint in ladder.joint or ():
        unknown(joint.sanction, "连带", "joint")
        if joint.count < 1:
            out.append(error(
                "WZ311",
                msg(f"连带责任的次数 `{joint.count}` 须至少为 1",
                    f"joint liability needs a count of at least 1, not `{joint.count}`"),
                joint.span,
            ))

    # ---- escalations: from the first offence, counting upwards, never milder
    escalations = list(ladder.escalations or ())
    if escalations and escalations[0].count < 1:
        out.append(error(
            "WZ311",
            msg(f"`第 {escalations[0].count} 次` 须至少为 1",
                f"`upon {escalations[0].count} offences` needs a count of at least 1"),
            escalations[0].span,
        ))
    if not any(e.count == 1 or (e.or_more and e.count <= 1) for e in escalations):
        out.append(error(
            "WZ306",
            msg(f"阶梯 `{name}` 没有 `第 1 次` 的处理", f"ladder `{name}` has no `upon 1 offence`"),
            escalations[0].span if escalations else ladder.name.span,
            help=msg("首次违规也须有处理：写 `第 1 次 「效能告诫」`",
                     "the first offence needs a sanction too: write `upon 1 offence SANCTION`"),
        ))
    previous: A.Escalation | None = None
    for esc in escalations:
        if previous is not None:
            if esc.count <= previous.count:
                out.append(error(
                    "WZ301",
                    msg(f"阶梯 `{name}` 的 `第 {esc.count} 次` 排在 `第 {previous.count} 次` 之后，"
                        "次数须递增",
                        f"`upon {esc.count}` comes after `upon {previous.count}` in ladder "
                        f"`{name}`; counts must increase"),
                    esc.span,
                    labels=[label(previous.span, "前一条在此", "the previous one is here")],
                    help=msg("按次数从小到大排列，每个次数只写一次",
                             "list the counts in increasing order, each once"),
                ))
            elif previous.or_more:
                out.append(warning(
                    "WZ309",
                    msg(f"`第 {previous.count} 次及以上` 已包括 `第 {esc.count} 次`",
                        f"`upon {previous.count} or more` already covers `upon {esc.count}`"),
                    esc.span,
                    labels=[label(previous.span, "及以上在此", "`or more` is here")],
                    help=msg("`及以上` 只用于最后一条", "use `or more` on the last one only"),
                ))
            prev_level = levels.get(previous.sanction.text)
            level = levels.get(esc.sanction.text)
            if prev_level is not None and level is not None and level < prev_level:
                out.append(error(
                    "WZ302",
                    msg(f"`第 {esc.count} 次` 的 `{esc.sanction.text}` 轻于 `第 {previous.count} "
                        f"次` 的 `{previous.sanction.text}`",
                        f"`{esc.sanction.text}` upon {esc.count} offences is milder than "
                        f"`{previous.sanction.text}` upon {previous.count}"),
                    esc.sanction.span,
                    labels=[label(previous.sanction.span, "较重的处理在此",
                                  "the graver sanction is here")],
                    help=msg("次数越多，处理不得越轻（`等级` 从轻到重）",
                             "a later count may not get a milder sanction (`levels` run from "
                             "mildest to gravest)"),
                ))
        previous = esc

    out += _unreachable(ladder, levels)
    return out


def _unreachable(ladder: A.LadderDecl, levels: dict[str, int]) -> list[Diagnostic]:
    """WZ304: a level no escalation, adjustment or joint liability can ever choose."""
    if not levels:
        return []
    top = len(levels) - 1
    reached = {levels[e.sanction.text] for e in ladder.escalations or ()
               if e.sanction.text in levels}
    for c in (*(ladder.aggravating or ()), *(ladder.mitigating or ())):
        if c.kind is A.AdjustKind.TO and c.sanction is not None and c.sanction.text in levels:
            reached.add(levels[c.sanction.text])
    reached |= {levels[j.sanction.text] for j in ladder.joint or () if j.sanction.text in levels}
    # each circumstance applies at most once; several may combine (an over-approximation that
    # ignores clamping at the ends in between: this is only a warning)
    moves = [c.steps for c in ladder.aggravating or () if c.kind is A.AdjustKind.UP and c.steps]
    moves += [-c.steps for c in ladder.mitigating or ()
              if c.kind is A.AdjustKind.DOWN and c.steps]
    offsets = {0}
    for move in moves:
        offsets |= {o + move for o in offsets}
    reached = {min(top, max(0, level + o)) for level in reached for o in offsets}
    out: list[Diagnostic] = []
    seen: set[str] = set()
    for level in ladder.levels or ():
        if level.text in seen:
            continue
        seen.add(level.text)
        if levels[level.text] not in reached:
            out.append(warning(
                "WZ304",
                msg(f"阶梯 `{ladder.name.text}` 的等级 `{level.text}` 永远不会被选中",
                    f"level `{level.text}` of ladder `{ladder.name.text}` can never be reached"),
                level.span,
                help=msg("让某一 `第 N 次`、`从重`/`从轻` 或 `连带` 能得到它，或删除它",
                         "let some `upon`, aggravating/mitigating or joint rule reach it, or "
                         "remove it"),
            ))
    return out
