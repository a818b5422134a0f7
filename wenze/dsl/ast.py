"""The language stage: the abstract syntax tree of a wenze rulebook.

text → parse (``wenze.dsl.parser``) → **AST** → checks → lowered rulebook → evaluate.

Every node is a frozen dataclass and carries the :class:`Span` it was read from. Spans are left out
of equality and of ``repr`` (as in Cedar's ``Loc``), so tests compare trees without positions and
``parse(fmt(x)) == parse(x)`` holds although the formatter moves text around.

Names are compared by their text only. A name written ``「县国土资源局」`` and one written
``land_bureau`` are different names; ``foo`` and ``「foo」`` are the same name.

One module on purpose (~720 lines): the language's node types, every one a small frozen record;
split, each part would import the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


@dataclass(frozen=True, order=True)
class Span:
    """Where a node stands in its file. Lines and columns are 1-based; columns count characters
    (not display cells); ``end_col`` is exclusive. ``start``/``end`` are character offsets."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    start: int = 0
    end: int = 0


NO_SPAN = Span("<none>", 0, 0, 0, 0)


@dataclass(frozen=True)
class Node:
    """Every node carries its span. A field that holds a plain value rather than a node (a date,
    a string, a role, a number, an enum) has its own span in ``field_spans`` (field name → span),
    so that a diagnostic can point at the value itself: ``header.span_of("effective_until")``."""

    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)
    field_spans: Mapping[str, Span] = field(
        default_factory=dict, compare=False, repr=False, kw_only=True
    )

    def span_of(self, name: str) -> Span:
        """The span of field ``name``: its own when recorded, else the node's."""
        value = getattr(self, name, None)
        if isinstance(value, Node) and value.span != NO_SPAN:
            return value.span
        return self.field_spans.get(name, self.span)


# --------------------------------------------------------------------------- basic values


@dataclass(frozen=True)
class Name(Node):
    """A declared or referenced name: an ASCII identifier or a bracketed 「name」."""

    text: str

    def __str__(self) -> str:
        return self.text


class DayKind(StrEnum):
    WORKING = "working"  # working days of the rulebook's calendar (工作日)
    NATURAL = "natural"  # natural (calendar) days (自然日)


@dataclass(frozen=True)
class Duration(Node):
    amount: int
    unit: DayKind


@dataclass(frozen=True)
class Citation(Node):
    """``依据 DOCUMENT "clause"``: the legal basis of a declaration or a clause of it."""

    document: Name
    clause: str


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class FactRef(Node):
    name: Name


@dataclass(frozen=True)
class NumberLit(Node):
    value: Decimal


@dataclass(frozen=True)
class PercentLit(Node):
    value: Decimal  # 90% → Decimal("90")


@dataclass(frozen=True)
class DurationLit(Node):
    duration: Duration


@dataclass(frozen=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True)
class StringLit(Node):
    value: str


class CompareOp(StrEnum):
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "=="
    NE = "!="


@dataclass(frozen=True)
class Compare(Node):
    op: CompareOp
    left: Expr
    right: Expr


@dataclass(frozen=True)
class And(Node):
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or(Node):
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Expr


Expr = (
    FactRef | NumberLit | PercentLit | DurationLit | BoolLit | StringLit | Compare | And | Or | Not
)


# --------------------------------------------------------------------------- header


@dataclass(frozen=True)
class Header(Node):
    """``规则集 NAME { 版本 … 生效 … 辖区 … 继承 … }``"""

    name: Name
    version: str | None = None
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    jurisdiction: str | None = None
    extends: tuple[StringLit, ...] = ()  # paths, relative to the file
    basis: tuple[Citation, ...] = ()
    # 默认依据 DOC "clause": the basis of every declaration that cites none (its default basis)
    default_basis: Citation | None = None


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class DocumentDecl(Node):
    """``文件 NAME { 文号 "…" 标题 "…" }``: a document that rules cite."""

    name: Name
    number: str | None = None  # 文号, e.g. 梓委办发[2008]16号
    title: str | None = None
    override: bool = False
    basis: tuple[Citation, ...] = ()


class CalendarBase(StrEnum):
    STATUTORY = "statutory"  # the State Council's working-day calendar (holidays and 调休)
    NATURAL = "natural"  # every day counts


@dataclass(frozen=True)
class CalendarDay(Node):
    date: dt.date
    note: str | None = None


@dataclass(frozen=True)
class CalendarDecl(Node):
    """``日历 NAME { 基于 法定工作日  放假 DATE "…"  补班 DATE "…" }``"""

    name: Name
    base: CalendarBase = CalendarBase.STATUTORY
    holidays: tuple[CalendarDay, ...] = ()  # local extra days off
    workdays: tuple[CalendarDay, ...] = ()  # local extra working days
    basis: tuple[Citation, ...] = ()
    override: bool = False


@dataclass(frozen=True)
class ScheduleDays(Node):
    """``放假 D [至 D2] "名称"`` / ``补班 D [至 D2] "名称"`` of a holiday schedule: one day, or the
    inclusive range ``start`` … ``end``."""

    start: dt.date
    end: dt.date | None = None  # None: the single day ``start``
    note: str | None = None

    @property
    def last(self) -> dt.date:
        return self.end if self.end is not None else self.start

    def dates(self) -> list[dt.date]:
        """Every day of the entry (empty when the range ends before it starts)."""
        n = self.last.toordinal() - self.start.toordinal()
        return [dt.date.fromordinal(self.start.toordinal() + i) for i in range(n + 1)]


@dataclass(frozen=True)
class HolidayScheduleDecl(Node):
    """``节假日安排 YEAR 依据 DOC "clause" { 放假 D 至 D "名称"  补班 D "名称" }``: the State
    Council's holiday schedule of one year (国务院办公厅关于YEAR年部分节假日安排的通知), for a
    year the built-in calendar does not know yet. ``name`` is the year as text (so duplicates,
    ``继承`` and ``覆盖`` work as for every declaration)."""

    name: Name
    year: int
    holidays: tuple[ScheduleDays, ...] = ()  # 放假: statutory days off
    workdays: tuple[ScheduleDays, ...] = ()  # 补班: make-up working days (调休上班)
    basis: tuple[Citation, ...] = ()
    override: bool = False


@dataclass(frozen=True)
class PowerDecl(Node):
    """``职权 NAME { 说明 "…"  行为 ACT, … }``: a delegable power such as 审批决定权, and the act
    types of the event contract (``受理``/``accepted`` …) that require it."""

    name: Name
    description: str | None = None
    basis: tuple[Citation, ...] = ()
    override: bool = False
    acts: tuple[Name, ...] = ()


@dataclass(frozen=True)
class UnitDecl(Node):
    """``单位 NAME { 上级 UNIT  主要领导 POST  分管领导 POST }``"""

    name: Name
    parent: Name | None = None
    chief_leader: Name | None = None  # 主要领导 (a post)
    deputy_leader: Name | None = None  # 分管领导 (a post)
    basis: tuple[Citation, ...] = ()
    override: bool = False


@dataclass(frozen=True)
class Cover(Node):
    """``代理 POST [(POWER, …)]``: this post is the B post of POST (A/B岗) and may act with the
    listed powers (all of A's when none are listed) only while A is recorded absent."""

    principal: Name
    powers: tuple[Name, ...] = ()


@dataclass(frozen=True)
class PostDecl(Node):
    """``岗位 NAME { 属于 UNIT  拥有 POWER, …  分管领导 POST  代理 POST }``"""

    name: Name
    unit: Name | None = None
    powers: tuple[Name, ...] = ()
    deputy_leader: Name | None = None
    covers: Cover | None = None
    basis: tuple[Citation, ...] = ()
    override: bool = False


@dataclass(frozen=True)
class Limit(Node):
    duration: Duration
    basis: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Extension(Node):
    """``延期 10 工作日 批准 POWER``: how far a limit may be extended, and by which power."""

    duration: Duration
    approved_by: Name
    basis: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class CorrectionRule(Node):
    """``补正告知 5 工作日 一次性``: Art. 32 — notify all corrections within the window, once;
    a late notice means the application counts as accepted on the day the materials arrived."""

    within: Duration
    once: bool = False
    basis: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class SuspensionRule(Node):
    """``中止计时 REASON, …``: reasons that stop the clock (Art. 45)."""

    reasons: tuple[Name, ...]
    basis: tuple[Citation, ...] = ()


class WarningLevel(StrEnum):
    NOTICE = "notice"  # 预警
    YELLOW = "yellow"  # 黄牌
    RED = "red"  # 红牌


class TriggerKind(StrEnum):
    BEFORE = "before"  # 提前 N days before the deadline
    AT_PERCENT = "at_percent"  # 达到 N% of the allowed time used
    OVERDUE = "overdue"  # 逾期 N days past the deadline (N may be 0)


@dataclass(frozen=True)
class WarningRule(Node):
    level: WarningLevel
    trigger: TriggerKind
    duration: Duration | None = None  # for BEFORE and OVERDUE
    percent: Decimal | None = None  # for AT_PERCENT
    basis: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class ItemDecl(Node):
    """``事项 NAME [继承 ITEM] { … }``: an approval item and its published time limits."""

    name: Name
    base: Name | None = None
    unit: Name | None = None
    calendar: Name | None = None
    process: Name | None = None
    statutory: Limit | None = None  # 法定时限
    promised: Limit | None = None  # 承诺时限
    extension: Extension | None = None  # 延期
    correction: CorrectionRule | None = None  # 补正告知
    suspension: SuspensionRule | None = None  # 中止计时
    warnings: tuple[WarningRule, ...] = ()
    basis: tuple[Citation, ...] = ()
    override: bool = False
    title: str | None = None  # 标题: the item's full title (its own, never inherited)


class Silence(StrEnum):
    CONSENT = "consent"  # 视为同意
    FAILURE = "failure"  # 视为失职


@dataclass(frozen=True)
class StepDecl(Node):
    """``环节 NAME { 单位 UNIT  岗位 POST  时限 D  前置 STEP, … }``"""

    name: Name
    units: tuple[Name, ...] = ()
    post: Name | None = None
    limit: Limit | None = None
    after: tuple[Name, ...] = ()
    basis: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class CountersignDecl(Node):
    """``会签 NAME { 单位 UNIT, …  回复时限 D  沉默 视为同意|视为失职  前置 STEP, … }``"""

    name: Name
    units: tuple[Name, ...] = ()
    reply_within: Limit | None = None
    silence: Silence = Silence.CONSENT
    after: tuple[Name, ...] = ()
    basis: tuple[Citation, ...] = ()


ProcessNode = StepDecl | CountersignDecl


@dataclass(frozen=True)
class ProcessDecl(Node):
    """``流程 NAME { 总时限 D  延期 …  日历 C  环节 …  会签 … }``: a parallel-approval process."""

    name: Name
    limit: Limit | None = None
    extension: Extension | None = None
    calendar: Name | None = None
    steps: tuple[ProcessNode, ...] = ()
    basis: tuple[Citation, ...] = ()
    override: bool = False


def plain_name(text: str) -> str:
    """A name as a command line gives it — ``「X」`` as the rulebook writes it, or bare ``X`` —
    as the rulebook's :class:`Name` text (brackets and surrounding blanks left out)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == "「" and text[-1] == "」":
        text = text[1:-1].strip()
    return text


class Scope(StrEnum):
    CASE = "case"  # 案件: once per case
    STEP = "step"  # 环节: once per step of a case
    COUNTERSIGN = "countersign"  # 会签: once per countersigning unit of a case
    TARGET = "target"  # 目标 NAME: once per unit and period that misses the target


class Role(StrEnum):
    """The responsibility split (行政过错责任)."""

    DIRECT = "direct"  # 直接责任人 / 承办人
    REVIEWER = "reviewer"  # 审核人 (primary leadership responsibility)
    APPROVER = "approver"  # 批准人 (important leadership responsibility)
    DEPUTY_LEADER = "deputy_leader"  # 分管领导
    CHIEF_LEADER = "chief_leader"  # 主要领导


class PartyBase(StrEnum):
    """Whose act a party is (docs/language.md §9): the person whose act makes the condition true,
    the reviewer, or the actor of one act type of the event contract."""

    DIRECT = "direct"  # 直接责任人: the actor of the act behind the condition, else the handler
    REVIEWER = "reviewer"  # 审核人
    RECEIVER = "receiver"  # 收件人 (received)
    ACCEPTOR = "acceptor"  # 受理人 (accepted)
    CORRECTION_NOTIFIER = "correction_notifier"  # 补正告知人 (corrections_requested)
    SUSPENDER = "suspender"  # 中止人 (suspended)
    EXTENSION_APPROVER = "extension_approver"  # 延期批准人 (extension_granted)
    DECIDER = "decider"  # 决定人 (decided)
    DELIVERER = "deliverer"  # 送达人 (delivered)
    REFERRER = "referrer"  # 转办人 (referred)
    STEP_HANDLER = "step_handler"  # 环节承办人 (step scope)
    COUNTERSIGN_UNIT = "countersign_unit"  # 会签单位: the replying or silent unit
    COUNTERSIGN_REQUESTER = "countersign_requester"  # 会签发起人 (countersign_requested)
    COMPLAINED_OF = "complained_of"  # 被投诉人: the official a complaint is against


class Leader(StrEnum):
    """A leader of a party, looked up from the party's post, else its unit."""

    DEPUTY = "deputy_leader"  # 分管领导
    CHIEF = "chief_leader"  # 主要领导
    BODY = "leadership_body"  # 领导班子: the leadership body of the party's unit (a unit answers)


class Degree(StrEnum):
    """The degree of responsibility (《中国共产党纪律处分条例》 Art. 39;
    《中国共产党问责条例》 Art. 6)."""

    DIRECT = "direct"  # 直接责任
    PRIMARY_LEADERSHIP = "primary_leadership"  # 主要领导责任
    IMPORTANT_LEADERSHIP = "important_leadership"  # 重要领导责任
    OVERALL_LEADERSHIP = "overall_leadership"  # 全面领导责任


@dataclass(frozen=True)
class Party:
    """Who answers: the actor of ``base``, or (``leader`` set) that actor's leader."""

    base: PartyBase
    leader: Leader | None = None

    @property
    def value(self) -> str:
        return self.base.value if self.leader is None else f"{self.leader.value}:{self.base.value}"


@dataclass(frozen=True)
class Responsibility:
    """One entry of a violation's ``责任``: a party and its degree. ``word`` is the role word it
    was written with (``直接责任人``, ``批准人`` …) when it was written with one; the five role
    words
    are defined as party + degree (``ROLE_MEANING``)."""

    party: Party
    degree: Degree
    word: Role | None = field(default=None, compare=False)

    @property
    def value(self) -> str:
        """The stable text of the responsibility (decision keys, JSON ``role``): a role word's own
        value when party and degree are one role word's meaning, else ``party:degree``."""
        for role, meaning in ROLE_MEANING.items():
            if meaning == (self.party, self.degree):
                return role.value
        return f"{self.party.value}/{self.degree.value}"

    @property
    def is_leader(self) -> bool:
        return self.party.leader is not None

    @classmethod
    def of_role(cls, role: Role) -> Responsibility:
        party, degree = ROLE_MEANING[role]
        return cls(party, degree, role)

    def __lt__(self, other: Responsibility) -> bool:  # sorting by value, as roles were
        return self.value < other.value


# The five role words, defined as party + degree.
ROLE_MEANING: dict[Role, tuple[Party, Degree]] = {
    Role.DIRECT: (Party(PartyBase.DIRECT), Degree.DIRECT),
    Role.REVIEWER: (Party(PartyBase.REVIEWER), Degree.PRIMARY_LEADERSHIP),
    Role.APPROVER: (Party(PartyBase.DECIDER), Degree.IMPORTANT_LEADERSHIP),
    Role.DEPUTY_LEADER: (Party(PartyBase.DIRECT, Leader.DEPUTY), Degree.PRIMARY_LEADERSHIP),
    Role.CHIEF_LEADER: (Party(PartyBase.DIRECT, Leader.CHIEF), Degree.IMPORTANT_LEADERSHIP),
}


def default_degree(party: Party) -> Degree:
    """The degree of a party written without ``承担``: a deputy leader's is 主要领导责任, a chief
    leader's 重要领导责任, a leadership body's 全面领导责任 (《中国共产党问责条例》 Art. 6), the
    reviewer's 主要领导责任, anyone else's 直接责任."""
    if party.leader is Leader.DEPUTY:
        return Degree.PRIMARY_LEADERSHIP
    if party.leader is Leader.CHIEF:
        return Degree.IMPORTANT_LEADERSHIP
    if party.leader is Leader.BODY:
        return Degree.OVERALL_LEADERSHIP
    if party.base is PartyBase.REVIEWER:
        return Degree.PRIMARY_LEADERSHIP
    return Degree.DIRECT


@dataclass(frozen=True)
class ViolationDecl(Node):
    """``违规 NAME { 针对 SCOPE  事项 ITEM, …  当 EXPR  责任 ROLE, …  阶梯 LADDER }``"""

    name: Name
    scope: Scope = Scope.CASE
    target: Name | None = None  # with Scope.TARGET
    items: tuple[Name, ...] = ()  # empty: every item
    condition: Expr | None = None
    responsible: tuple[Responsibility, ...] = ()
    ladder: Name | None = None
    basis: tuple[Citation, ...] = ()
    override: bool = False


class WindowKind(StrEnum):
    ROLLING_MONTHS = "rolling_months"  # 滚动 N 个月
    CALENDAR_YEAR = "calendar_year"  # 自然年


@dataclass(frozen=True)
class CountWindow(Node):
    kind: WindowKind
    months: int | None = None


@dataclass(frozen=True)
class Escalation(Node):
    """``第 N 次[及以上] SANCTION``: the Nth sanctioned offence inside the window."""

    count: int
    or_more: bool
    sanction: Name


class AdjustKind(StrEnum):
    UP = "up"  # 升 N 级
    DOWN = "down"  # 降 N 级
    TO = "to"  # 至 SANCTION


@dataclass(frozen=True)
class Circumstance(Node):
    """``从重 FACT 升 1 级`` / ``从重 FACT 至 SANCTION`` / ``从轻 FACT 降 1 级``."""

    name: Name
    kind: AdjustKind
    steps: int = 0
    sanction: Name | None = None


@dataclass(frozen=True)
class Consequence(Node):
    """``后果 SANCTION [累计 N 次] "text"``: a side effect of a sanction (e.g. not rated 优秀)."""

    sanction: Name
    text: str
    cumulative: int = 1


@dataclass(frozen=True)
class JointLiability(Node):
    """``连带 第 N 次 ROLE, … SANCTION``: the Nth sanction inside a unit in the window gives each
    named leader of that unit SANCTION as well."""

    count: int
    roles: tuple[Role, ...]
    sanction: Name


@dataclass(frozen=True)
class LadderDecl(Node):
    """``阶梯 NAME { 计次期间 …  等级 …  第 N 次 …  从重 …  从轻 …  免责 …  后果 …  连带 … }``"""

    name: Name
    window: CountWindow | None = None
    levels: tuple[Name, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    aggravating: tuple[Circumstance, ...] = ()
    mitigating: tuple[Circumstance, ...] = ()
    exemptions: tuple[Name, ...] = ()
    consequences: tuple[Consequence, ...] = ()
    joint: tuple[JointLiability, ...] = ()
    basis: tuple[Citation, ...] = ()
    override: bool = False


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"  # 半年度: January–June, July–December
    YEAR = "year"


@dataclass(frozen=True)
class TargetDecl(Node):
    """``目标 NAME { 指标 METRIC >= 99%  周期 季度  单位 UNIT, … }``"""

    name: Name
    metric: Name | None = None
    op: CompareOp = CompareOp.GE
    threshold: PercentLit | None = None
    period: Period = Period.QUARTER
    units: tuple[Name, ...] = ()  # empty: every unit
    basis: tuple[Citation, ...] = ()
    override: bool = False


Decl = (
    DocumentDecl
    | CalendarDecl
    | HolidayScheduleDecl
    | PowerDecl
    | UnitDecl
    | PostDecl
    | ItemDecl
    | ProcessDecl
    | ViolationDecl
    | LadderDecl
    | TargetDecl
)


# what ``废止`` may name: a keyword terminal → the declaration class it stands for
REPEALABLE: dict[str, type] = {
    "DOCUMENT": DocumentDecl, "CALENDAR": CalendarDecl, "POWER": PowerDecl, "UNIT": UnitDecl,
    "POST": PostDecl, "ITEM": ItemDecl, "PROCESS": ProcessDecl, "VIOLATION": ViolationDecl,
    "LADDER": LadderDecl, "TARGET": TargetDecl,
}


@dataclass(frozen=True)
class Repeal(Node):
    """``废止 违规 「名称」 依据 …``: an inherited declaration no longer in force (a later version
    of a rulebook repealing a rule of the earlier one). The loader removes both."""

    kind: str  # the keyword terminal of the declaration's kind: "VIOLATION", "ITEM", …
    name: Name
    basis: tuple[Citation, ...] = ()
    override: bool = False


@dataclass(frozen=True)
class Family(Node):
    """A rulebook family: the versions of one rulebook, each a file in force for its period."""

    name: Name
    versions: tuple[StringLit, ...] = ()  # paths, relative to the family file
    basis: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Comment(Node):
    """A source comment, kept so that the formatter can put it back."""

    text: str


@dataclass(frozen=True)
class Rulebook(Node):
    """One parsed ``.wz`` file."""

    header: Header
    decls: tuple[Decl, ...] = ()
    lang: str = "zh"  # the keyword set the file mostly uses: "zh" or "en"
    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)

    def named(self, kind: type) -> dict[str, Decl]:
        """The declarations of one kind by name (the first one wins on duplicates)."""
        found: dict[str, Decl] = {}
        for decl in self.decls:
            if isinstance(decl, kind):
                found.setdefault(decl.name.text, decl)
        return found
