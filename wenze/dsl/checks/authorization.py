"""Check passes over authorization (codes ``WZ4xx``): delegation (A/B posts) of powers the
principal does not hold, a post covering itself, chains of covers, extensions approved by a power
no post holds, and a step done by a post of a unit the step does not involve.
The language stage (parse → load → **check** → lower).
"""

from __future__ import annotations

from wenze.dsl import ast as A
from wenze.dsl.checks.common import error, label, msg, warning
from wenze.dsl.diagnostics import Diagnostic
from wenze.dsl.facts import DECIDING_POWERS, POWER_ACTS, power_act


def _posts(rulebook: A.Rulebook) -> dict[str, A.PostDecl]:
    return {k: v for k, v in rulebook.named(A.PostDecl).items() if isinstance(v, A.PostDecl)}


def check_delegation(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ401: ``代理 A (powers)`` lists a power A does not hold; WZ402: a post covers itself;
    WZ403 (warning): a post covers a post that itself covers a third one (a chain of covers)."""
    posts = _posts(rulebook)
    declared = rulebook.named(A.PowerDecl)
    out: list[Diagnostic] = []
    for post in rulebook.decls:
        if not isinstance(post, A.PostDecl) or post.covers is None:
            continue
        cover = post.covers
        principal_name = cover.principal.text
        if principal_name == post.name.text:
            out.append(error(
                "WZ402",
                msg(f"岗位 `{post.name.text}` 代理它自己",
                    f"post `{post.name.text}` covers itself"),
                cover.principal.span,
                help=msg("代理（A/B岗）须指向另一个岗位",
                         "a cover (A/B post) must name another post"),
            ))
            continue
        principal = posts.get(principal_name)
        if principal is None:
            continue  # undefined: reported by check_undefined_names
        held = {p.text for p in principal.powers or ()}
        for power in cover.powers or ():
            if power.text in held or power.text not in declared:
                continue  # an undeclared power is reported by check_undefined_names
            out.append(error(
                "WZ401",
                msg(f"岗位 `{post.name.text}` 代理 `{principal_name}` 的 `{power.text}`，"
                    f"但 `{principal_name}` 没有该职权",
                    f"post `{post.name.text}` covers `{power.text}` for `{principal_name}`, "
                    f"which `{principal_name}` does not hold"),
                power.span,
                labels=[label(principal.name.span, f"`{principal_name}` 声明于此",
                              f"`{principal_name}` is declared here")],
                help=msg(f"B 岗只能代理 A 岗拥有的职权；给 `{principal_name}` 加上 `拥有 "
                         f"「{power.text}」`，或从代理中删去",
                         f"a B post can only act with powers its A post holds; add `holds "
                         f"{power.text}` to `{principal_name}` or remove it from the cover"),
            ))
        chained = principal.covers
        if chained is not None and chained.principal.text not in (post.name.text, principal_name):
            out.append(warning(
                "WZ403",
                msg(f"代理链：`{post.name.text}` 代理 `{principal_name}`，而 `{principal_name}` "
                    f"又代理 `{chained.principal.text}`",
                    f"chain of covers: `{post.name.text}` covers `{principal_name}`, which covers "
                    f"`{chained.principal.text}`"),
                cover.principal.span,
                labels=[label(chained.principal.span, f"`{principal_name}` 代理于此",
                              f"`{principal_name}` covers here")],
                help=msg("B 岗只在 A 岗不在岗时代理 A 岗本人的职权，代理不能再转代理",
                         "a B post acts only for its own A post while A is absent; covers do not "
                         "pass on"),
            ))
    return out


def check_extension_powers(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ404: an item's or a process's extension is approved by a declared power that no post
    holds (directly, not through a cover), so no extension could ever be valid."""
    held = {p.text for post in _posts(rulebook).values() for p in post.powers or ()}
    powers = rulebook.named(A.PowerDecl)
    out: list[Diagnostic] = []
    for decl in rulebook.decls:
        if not isinstance(decl, A.ItemDecl | A.ProcessDecl) or decl.extension is None:
            continue
        power = decl.extension.approved_by
        if power.text in held or power.text not in powers:
            continue  # an undeclared power is reported by check_undefined_names
        kind_zh, kind_en = ("事项", "item") if isinstance(decl, A.ItemDecl) else ("流程", "process")
        out.append(error(
            "WZ404",
            msg(f"{kind_zh} `{decl.name.text}` 的延期由 `{power.text}` 批准，但没有岗位拥有该职权",
                f"the extension of {kind_en} `{decl.name.text}` is approved by `{power.text}`, "
                "which no post holds"),
            power.span,
            labels=[label(powers[power.text].name.span, "职权声明于此",
                          "the power is declared here")],
            help=msg(f"给批准延期的岗位加上 `拥有 「{power.text}」`",
                     f"add `holds {power.text}` to the post that approves extensions"),
        ))
    return out


def check_power_use(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ407: ``职权 … 行为 ACT`` names no act type of the event contract; WZ406 (warning): a
    declared power that no act requires — no ``行为``, no extension approved by it, not the
    deciding power (审批决定权) — so holding it or not changes nothing."""
    used = {d.extension.approved_by.text for d in rulebook.decls
            if isinstance(d, A.ItemDecl | A.ProcessDecl) and d.extension is not None}
    out: list[Diagnostic] = []
    known = "、".join(zh for zh, _ in POWER_ACTS.values())
    for power in rulebook.decls:
        if not isinstance(power, A.PowerDecl):
            continue
        for act in power.acts:
            if power_act(act.text) is None:
                out.append(error(
                    "WZ407",
                    msg(f"职权 `{power.name.text}` 的行为 `{act.text}` 不是事件约定中的行为",
                        f"power `{power.name.text}` names `{act.text}`, which is no act type of "
                        "the event contract"),
                    act.span,
                    help=msg(f"可写的行为：{known}（或其英文事件类型）",
                             f"act types: {', '.join(POWER_ACTS)}")))
        name = power.name.text
        if power.acts or name in used or name in DECIDING_POWERS:
            continue
        out.append(warning(
            "WZ406",
            msg(f"职权 `{name}` 没有任何行为需要：拥有与否都不影响评判",
                f"no act requires power `{name}`: holding it or not changes nothing"),
            power.name.span,
            help=msg(f"写明需要该职权的行为，如 `行为 「受理」`（可写：{known}）",
                     "name the acts that require it, e.g. `acts accepted`")))
    return out


def check_step_posts(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ405 (warning): a step names a post that belongs to none of the step's units."""
    posts = _posts(rulebook)
    out: list[Diagnostic] = []
    for process in rulebook.decls:
        if not isinstance(process, A.ProcessDecl):
            continue
        for step in process.steps or ():
            if not isinstance(step, A.StepDecl) or step.post is None or not step.units:
                continue
            post = posts.get(step.post.text)
            if post is None or post.unit is None:
                continue
            units = {u.text for u in step.units}
            if post.unit.text in units:
                continue
            out.append(warning(
                "WZ405",
                msg(f"环节 `{step.name.text}` 的岗位 `{post.name.text}` 属于 `{post.unit.text}`，"
                    "不是该环节的单位",
                    f"post `{post.name.text}` of step `{step.name.text}` belongs to "
                    f"`{post.unit.text}`, not to a unit of the step"),
                step.post.span,
                labels=[label(post.unit.span, "岗位所属单位", "the post's unit")],
            ))
    return out
