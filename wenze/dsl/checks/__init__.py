"""The language stage: the named check passes over a (loaded, merged) rulebook.

parse → load (``wenze.dsl.loader``) → **check** → lower → evaluate.

As in OPA's compiler, the checks are an ordered tuple of named passes, each a function
``check_xxx(rulebook) -> list[Diagnostic]``; :func:`run_checks` runs them all and returns every
diagnostic, sorted. A pass never stops the others, and a pass that fails on input it did not expect
reports ``WZ100`` instead of raising. Every code is listed in :data:`CODES` (code → Chinese title,
English title) so that the documentation and the tests can enumerate them.

Codes: ``WZ1xx`` names and structure, ``WZ2xx`` time limits and processes, ``WZ3xx`` ladders,
``WZ4xx`` authorization, ``WZ5xx`` facts and conditions, ``WZ7xx`` families of versions
(:mod:`wenze.dsl.family`). (``WZ0xx`` are the parser's; ``WZ6xx`` are the citation check's,
which needs the documents' texts: ``wenze.dsl.citations``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from wenze.dsl import ast as A
from wenze.dsl.checks.authorization import (
    check_delegation,
    check_extension_powers,
    check_power_use,
    check_step_posts,
)
from wenze.dsl.checks.common import error, msg
from wenze.dsl.checks.conditions import check_conditions, check_targets, check_violation_reach
from wenze.dsl.checks.holidays import (
    check_schedule_basis,
    check_schedule_days,
    check_schedule_years,
)
from wenze.dsl.checks.ladders import check_ladders
from wenze.dsl.checks.names import (
    check_basis,
    check_duplicates,
    check_effective_period,
    check_item_inheritance,
    check_named_leaders,
    check_undefined_names,
    check_unit_hierarchy,
    check_violation_parts,
)
from wenze.dsl.checks.time_limits import (
    check_calendars,
    check_critical_path,
    check_item_limits,
    check_process_cycles,
)
from wenze.dsl.diagnostics import Diagnostic, sorted_diagnostics

CODES: dict[str, tuple[str, str]] = {
    "WZ100": ("检查程序内部错误", "internal error in a check pass"),
    # ---- names and structure
    "WZ101": ("未声明的名称", "undefined name"),
    "WZ102": ("前置引用了流程中不存在的环节", "`after` names no step of the process"),
    "WZ103": ("重复声明", "duplicate declaration or step"),
    "WZ104": ("找不到或无法读取继承的规则集", "extended rulebook not found or unreadable"),
    "WZ105": ("规则集循环继承", "rulebooks extend each other in a cycle"),
    "WZ106": ("重新声明继承的名称但未写覆盖", "inherited name redeclared without `override`"),
    "WZ107": ("覆盖了不存在的继承声明", "`override` of a name that is not inherited"),
    "WZ108": ("事项循环继承", "items inherit from each other in a cycle"),
    "WZ109": ("声明没有依据", "declaration without basis"),
    "WZ110": ("违规没有依据", "violation without basis"),
    "WZ111": ("违规没有条件", "violation without condition"),
    "WZ112": ("违规没有阶梯", "violation without ladder"),
    "WZ113": ("违规没有责任人", "violation without responsible roles"),
    "WZ114": ("针对目标但未指明目标", "target scope without a target"),
    "WZ115": ("生效期间结束早于开始", "effective period ends before it starts"),
    "WZ116": ("单位的上级关系构成循环", "units are each other's parents in a cycle"),
    "WZ117": ("节假日安排没有依据", "holiday schedule without basis"),
    "WZ118": ("责任方在该违规的范围内不可能存在",
              "party that cannot exist in the violation's scope"),
    "WZ119": ("不允许继承的路径", "extends path refused (outside the root, not a rulebook file)"),
    "WZ120": ("单位未指明违规追究的领导", "unit names no leader a violation holds to account"),
    # ---- time limits and processes
    "WZ201": ("流程环节的前置关系构成循环", "dependency cycle among process steps"),
    "WZ202": ("关键路径超过总时限", "critical path exceeds the overall limit"),
    "WZ203": ("承诺时限超过法定时限", "promised limit above the statutory limit"),
    "WZ204": ("时限按不同的日计，无法比较", "limits in different kinds of days cannot be compared"),
    "WZ205": ("事项没有法定时限", "item without statutory limit"),
    "WZ206": ("中止计时事由为空", "no suspension reasons"),
    "WZ207": ("预警比例不在 (0%, 100%] 之内", "warning percentage outside (0%, 100%]"),
    "WZ208": ("覆盖延长了继承的时限", "override makes an inherited limit longer"),
    "WZ209": ("提前预警不短于法定时限", "early warning not shorter than the limit"),
    "WZ210": ("中止计时事由重复", "suspension reason listed twice"),
    "WZ212": ("日历日期重复或矛盾", "calendar date listed twice or both off and on"),
    "WZ211": ("环节或会签没有时限", "step or countersign without limit"),
    "WZ213": ("节假日安排的日期不在该年度内", "holiday schedule date outside its year"),
    "WZ214": ("放假或补班区间结束早于开始", "holiday or workday range ends before it starts"),
    "WZ215": ("补班日是工作日或放假只有周末",
              "make-up day on a weekday or holiday on weekends only"),
    "WZ216": ("节假日安排与内置日历不一致",
              "holiday schedule disagrees with the built-in calendar"),
    "WZ217": ("节假日安排与内置日历重复", "holiday schedule repeats the built-in calendar"),
    "WZ218": ("节假日安排的年份与已知年份不相连",
              "holiday schedule year not adjacent to the known years"),
    # ---- ladders
    "WZ301": ("阶梯的次数没有递增", "ladder escalation counts do not increase"),
    "WZ302": ("次数更多却处理更轻", "later escalation chooses a milder sanction"),
    "WZ303": ("处理不是阶梯的等级", "sanction is not a level of the ladder"),
    "WZ304": ("等级永远不会被选中", "ladder level can never be reached"),
    "WZ305": ("阶梯没有计次期间", "ladder without counting window"),
    "WZ306": ("阶梯没有第 1 次", "ladder without a first-offence sanction"),
    "WZ307": ("阶梯没有等级", "ladder without levels"),
    "WZ308": ("等级重复", "ladder level listed twice"),
    "WZ309": ("及以上之后还有次数", "escalation after an `or more` one"),
    "WZ310": ("调整 0 级", "adjustment by zero levels"),
    "WZ311": ("次数须至少为 1", "count must be at least 1"),
    # ---- authorization
    "WZ401": ("代理了 A 岗没有的职权", "cover lists a power the principal lacks"),
    "WZ402": ("岗位代理自己", "post covers itself"),
    "WZ403": ("代理链", "chain of covers"),
    "WZ404": ("批准延期的职权无人拥有", "extension approved by a power no post holds"),
    "WZ405": ("环节岗位不属于环节的单位", "step post outside the step's units"),
    "WZ406": ("声明的职权没有任何行为需要", "a declared power no act requires"),
    "WZ407": ("职权要求的行为不是事件约定中的行为", "a power names an unknown act type"),
    # ---- facts and conditions
    "WZ501": ("未知的事实或指标", "unknown fact or metric"),
    "WZ502": ("事实不在违规的范围内", "fact used outside its scope"),
    "WZ503": ("比较的类型不符", "comparison of mismatched types"),
    "WZ504": ("条件不是是/否", "condition is not a yes/no value"),
    "WZ505": ("目标指标不是百分比事实", "target metric is not a percentage fact"),
    "WZ506": ("目标阈值不在 (0%, 100%] 之内", "target threshold outside (0%, 100%]"),
    "WZ507": ("工作日事实与自然日比较", "working-day fact compared with natural days"),
    "WZ508": ("比较两个常量", "comparison of two constants"),
    "WZ509": ("针对环节的违规所涉事项没有该环节", "step violation on items without such steps"),
    # ---- citations against the documents' texts (wenze.dsl.citations; `wenze check --sources`)
    "WZ601": ("所引条款在文件中不存在", "cited clause not found in the document"),
    "WZ602": ("所引条款未载明声明中的数值", "cited clause does not state the declared number"),
    "WZ603": ("所引条款超出现有原文", "cited clause lies beyond the available text"),
    "WZ604": ("条款未按文件的标题层级书写", "clause not written in the document's headings"),
    # ---- rules in time: families of versions (wenze.dsl.family)
    "WZ701": ("规则族没有版本", "rulebook family lists no version"),
    "WZ702": ("版本没有生效日期", "version without an effective date"),
    "WZ703": ("版本的施行期间重叠", "versions' periods overlap"),
    "WZ704": ("版本之间有空档", "gap between versions"),
    "WZ705": ("版本文件找不到或有错误", "version file missing or with errors"),
    "WZ706": ("版本间的修改未以覆盖标明", "change between versions without `override`"),
    "WZ707": ("废止了不存在的继承声明", "`repeal` of a name that is not inherited"),
}


class CheckPass(NamedTuple):
    name: str
    run: Callable[[A.Rulebook], list[Diagnostic]]


PASSES: tuple[CheckPass, ...] = (
    CheckPass("undefined_names", check_undefined_names),
    CheckPass("duplicates", check_duplicates),
    CheckPass("item_inheritance", check_item_inheritance),
    CheckPass("basis", check_basis),
    CheckPass("violation_parts", check_violation_parts),
    CheckPass("named_leaders", check_named_leaders),
    CheckPass("effective_period", check_effective_period),
    CheckPass("unit_hierarchy", check_unit_hierarchy),
    CheckPass("process_cycles", check_process_cycles),
    CheckPass("critical_path", check_critical_path),
    CheckPass("item_limits", check_item_limits),
    CheckPass("calendars", check_calendars),
    CheckPass("schedule_basis", check_schedule_basis),
    CheckPass("schedule_days", check_schedule_days),
    CheckPass("schedule_years", check_schedule_years),
    CheckPass("ladders", check_ladders),
    CheckPass("delegation", check_delegation),
    CheckPass("extension_powers", check_extension_powers),
    CheckPass("power_use", check_power_use),
    CheckPass("step_posts", check_step_posts),
    CheckPass("conditions", check_conditions),
    CheckPass("targets", check_targets),
    CheckPass("violation_reach", check_violation_reach),
)


def run_checks(rulebook: A.Rulebook, passes: tuple[CheckPass, ...] = PASSES) -> list[Diagnostic]:
    """Every diagnostic of every pass over ``rulebook``, sorted by file, line and column."""
    out: list[Diagnostic] = []
    for check in passes:
        try:
            out += check.run(rulebook)
        except Exception as exc:  # a check must never turn odd input into a traceback
            out.append(error(
                "WZ100",
                msg(f"检查 `{check.name}` 内部错误：`{type(exc).__name__}: {exc}`",
                    f"internal error in check `{check.name}`: `{type(exc).__name__}: {exc}`"),
                rulebook.header.name.span,
                help=msg("这是 wenze 的缺陷，请报告", "this is a bug in wenze, please report it"),
            ))
    return sorted_diagnostics(out)


__all__ = ["CODES", "PASSES", "CheckPass", "run_checks"]
