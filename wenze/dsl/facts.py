"""The facts a violation's condition can name: the vocabulary shared by the checks (which reject
unknown facts and facts used outside their scope) and the engine (which computes every one of them;
a test holds the two together).

Each fact has a Chinese and an English name (either may be written, bare or in 「」), the scope in
which it exists (case, step, countersign, target), and its type. Day counts are working days of the
item's calendar unless the name says natural days; suspended time is never counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wenze.dsl.ast import Scope


class FactType(StrEnum):
    BOOL = "bool"
    DAYS = "days"  # a whole number of (working) days; compares with numbers and durations
    COUNT = "count"  # a whole number
    PERCENT = "percent"  # compares with percentages
    TEXT = "text"


@dataclass(frozen=True)
class Fact:
    key: str  # the engine's identifier (the English name)
    zh: str
    scopes: frozenset[Scope]
    type: FactType
    doc: str


# The act types a power may be required for (职权 … 行为 ACT): event type → (the act's Chinese
# name, the fact saying it was done without the power). 决定 also needs 审批决定权 and 延期批准
# the item's approving power without being named (docs/semantics.md §4).
POWER_ACTS: dict[str, tuple[str, str]] = {
    "received": ("收件", "received_unauthorized"),
    "accepted": ("受理", "acceptance_unauthorized"),
    "corrections_requested": ("补正告知", "correction_notice_unauthorized"),
    "suspended": ("中止计时", "suspension_unauthorized"),
    "extension_granted": ("延期批准", "extension_unauthorized"),
    "decided": ("决定", "decision_unauthorized"),
    "delivered": ("送达", "delivery_unauthorized"),
    "referred": ("转办", "referral_unauthorized"),
    "countersign_requested": ("会签发起", "countersign_request_unauthorized"),
}


# The power a decision needs, if the rulebook declares a power of this name (docs/semantics.md).
DECIDING_POWERS = ("审批决定权", "decide", "deciding_power")


def power_act(name: str) -> str | None:
    """The event type an act name of ``职权 … 行为`` means (Chinese or English), or None."""
    if name in POWER_ACTS:
        return name
    return next((t for t, (zh, _) in POWER_ACTS.items() if zh == name), None)


_CASE = frozenset({Scope.CASE, Scope.STEP, Scope.COUNTERSIGN})  # case facts are visible inside
_STEP = frozenset({Scope.STEP})
_SIGN = frozenset({Scope.COUNTERSIGN})
_TARGET = frozenset({Scope.TARGET})

FACTS: tuple[Fact, ...] = (
    # ---- case: time limits
    Fact("elapsed_days", "用时", _CASE, FactType.DAYS,
         "working days from acceptance to decision (or to the as-of date), suspensions excluded"),
    Fact("days_over_promised", "超承诺天数", _CASE, FactType.DAYS,
         "working days past the promised deadline (0 when within it)"),
    Fact("days_over_statutory", "超法定天数", _CASE, FactType.DAYS,
         "working days past the statutory deadline, extension included when valid (0 when within)"),
    Fact("overdue_promised", "超承诺时限", _CASE, FactType.BOOL,
         "the promised deadline has passed without a decision"),
    Fact("overdue_statutory", "超法定时限", _CASE, FactType.BOOL,
         "the statutory deadline (with a valid extension) has passed without a decision"),
    Fact("decided", "已办结", _CASE, FactType.BOOL, "a decision has been made"),
    Fact("delivered_late", "送达逾期", _CASE, FactType.BOOL,
         "the licence was delivered later than the delivery limit after the decision (Art. 44)"),
    Fact("days_over_external_deadline", "超外部期限天数", _CASE, FactType.DAYS,
         "days past the case's own deadline recorded by its source system (data.deadline, e.g. "
         "case:deadline), up to the decision, else the recorded end (data.enddate), else the last "
         "event; 0 when within it or when no such deadline is recorded"),
    Fact("on_the_spot", "现场办结", _CASE, FactType.BOOL,
         "accepted and decided on the same working day"),
    Fact("extended", "已延期", _CASE, FactType.BOOL, "a valid extension was granted"),
    Fact("suspended_days", "中止天数", _CASE, FactType.DAYS, "working days the clock was stopped"),
    Fact("suspension_unlisted", "中止事由不合法", _CASE, FactType.BOOL,
         "the clock was stopped for a reason the item does not list"),
    # ---- case: authorization
    Fact("extension_unauthorized", "延期越权", _CASE, FactType.BOOL,
         "an extension was granted by a post that did not hold the approving power at that moment"),
    Fact("decision_unauthorized", "决定越权", _CASE, FactType.BOOL,
         "the decision was made by a post without the deciding power at that moment"),
    Fact("received_unauthorized", "收件越权", _CASE, FactType.BOOL,
         "a receipt by a post without a power the rulebook requires for 收件 (职权 … 行为)"),
    Fact("acceptance_unauthorized", "受理越权", _CASE, FactType.BOOL,
         "an acceptance by a post without a power the rulebook requires for 受理"),
    Fact("correction_notice_unauthorized", "补正告知越权", _CASE, FactType.BOOL,
         "a correction notice by a post without a power the rulebook requires for 补正告知"),
    Fact("suspension_unauthorized", "中止越权", _CASE, FactType.BOOL,
         "a suspension by a post without a power the rulebook requires for 中止计时"),
    Fact("delivery_unauthorized", "送达越权", _CASE, FactType.BOOL,
         "a delivery by a post without a power the rulebook requires for 送达"),
    Fact("referral_unauthorized", "转办越权", _CASE, FactType.BOOL,
         "a referral by a post without a power the rulebook requires for 转办"),
    Fact("countersign_request_unauthorized", "会签发起越权", _CASE, FactType.BOOL,
         "a countersign request by a post without a power the rulebook requires for 会签发起"),
    Fact("act_unauthorized", "越权行为", _CASE, FactType.BOOL,
         "any act of the case by a post without a power it requires (decision, extension and "
         "every act type a power names)"),
    Fact("cover_while_present", "A岗在岗代理", _CASE, FactType.BOOL,
         "a B post used A's powers while A was not recorded absent"),
    # ---- case: corrections (Art. 32)
    Fact("correction_notices", "补正告知次数", _CASE, FactType.COUNT,
         "how many correction notices were sent"),
    Fact("correction_notice_late", "补正告知逾期", _CASE, FactType.BOOL,
         "the first correction notice came after the notice window (deemed accepted on receipt)"),
    Fact("deemed_accepted", "视为受理", _CASE, FactType.BOOL,
         "the case counts as accepted on the day the materials arrived (Art. 32)"),
    # ---- case: conduct
    Fact("refused_without_reasons", "不予许可未说明理由", _CASE, FactType.BOOL,
         "the decision refused the application without stating reasons"),
    Fact("shirked", "推诿", _CASE, FactType.BOOL,
         "a complaint records that the first official asked shirked the request (首问负责)"),
    Fact("complaints", "投诉次数", _CASE, FactType.COUNT, "complaints recorded on the case"),
    # ---- step
    Fact("step_days", "环节用时", _STEP, FactType.DAYS,
         "working days the step took (or has taken by the as-of date), suspensions excluded"),
    Fact("step_days_over", "环节超时天数", _STEP, FactType.DAYS,
         "working days past the step's own limit (0 when within it)"),
    Fact("step_overdue", "环节超时", _STEP, FactType.BOOL, "the step is past its own limit"),
    Fact("started_before_prerequisites", "前置未完成即开始", _STEP, FactType.BOOL,
         "the step started before every step it comes after was completed"),
    Fact("step_unauthorized", "环节越权", _STEP, FactType.BOOL,
         "the step was completed by a post other than the one the process names"),
    # ---- countersign
    Fact("reply_days", "回复用时", _SIGN, FactType.DAYS,
         "working days from the countersign request to this unit's reply (or the as-of date)"),
    Fact("unanswered", "会签未回复", _SIGN, FactType.BOOL,
         "the unit did not reply within the reply limit"),
    Fact("deemed_consent", "视为同意", _SIGN, FactType.BOOL,
         "the unit's silence or improper answer counts as consent"),
    Fact("dissent_without_reasons", "不同意未说明理由", _SIGN, FactType.BOOL,
         "the unit answered 不同意 without reasons (counts as 同意, the unit is responsible)"),
    # ---- target (per unit and period)
    Fact("on_time_rate", "按时办结率", _TARGET, FactType.PERCENT,
         "share of the period's decided cases decided within the promised limit"),
    Fact("on_the_spot_rate", "现场办结率", _TARGET, FactType.PERCENT,
         "share of the period's decided cases decided on the day of acceptance"),
    Fact("case_count", "办件数", _TARGET, FactType.COUNT, "cases decided in the period"),
)

BY_NAME: dict[str, Fact] = {}
for _fact in FACTS:
    BY_NAME[_fact.key] = _fact
    BY_NAME[_fact.zh] = _fact

METRICS = frozenset(f.key for f in FACTS if f.type is FactType.PERCENT)


def lookup(name: str) -> Fact | None:
    """The fact a name in a rulebook refers to, by its Chinese or English name."""
    return BY_NAME.get(name)
