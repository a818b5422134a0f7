"""The keyword tables: one per surface language, one grammar for both (as Catala does).

Each keyword has an ASCII terminal name (``UNIT``, ``STATUTORY``, …) used by the grammar, so that a
parse error can say "expected `单位` / `unit`" and never shows an anonymous terminal. A file may mix
the two tables; the formatter writes the table the file mostly uses.

Chinese keywords can never be swallowed by a name: names are ASCII identifiers or 「bracketed」, so
a Chinese keyword always stands on its own however tightly it is written (``第3次及以上``).
English keywords match whole words only and are reserved: they cannot be used as bare identifiers
(write ``「case」`` to use one as a name).
"""

from __future__ import annotations

import re

# terminal name → (Chinese spellings, English spellings). The first spelling of each is canonical:
# the formatter writes it.
KEYWORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # header
    "RULEBOOK": (("规则集",), ("rulebook",)),
    "FAMILY": (("规则族",), ("rulebook family",)),
    "VERSION": (("版本",), ("version",)),
    "EFFECTIVE": (("生效",), ("effective",)),
    "UNTIL": (("至",), ("until",)),
    "JURISDICTION": (("辖区",), ("jurisdiction",)),
    "EXTENDS": (("继承",), ("extends",)),
    "BASIS": (("依据",), ("basis",)),
    "DEFAULT_BASIS": (("默认依据",), ("default basis",)),
    "OVERRIDE": (("覆盖",), ("override",)),
    "REPEAL": (("废止",), ("repeal",)),
    # documents
    "DOCUMENT": (("文件",), ("document",)),
    "NUMBER": (("文号",), ("number",)),
    "TITLE": (("标题",), ("title",)),
    # calendars
    "CALENDAR": (("日历",), ("calendar",)),
    "BASED_ON": (("基于",), ("based on",)),
    "STATUTORY_DAYS": (("法定工作日",), ("statutory workdays",)),
    "NATURAL_DAYS": (("自然日历",), ("natural days",)),
    "HOLIDAY": (("放假",), ("holiday",)),
    "MAKEUP_DAY": (("补班",), ("workday",)),
    "HOLIDAY_SCHEDULE": (("节假日安排",), ("holiday schedule",)),
    # units, posts, powers
    "POWER": (("职权",), ("power",)),
    "DESCRIPTION": (("说明",), ("description",)),
    "ACTS": (("行为",), ("acts",)),
    "UNIT": (("单位",), ("unit", "units")),
    "PARENT": (("上级",), ("parent",)),
    "CHIEF_LEADER": (("主要领导",), ("chief leader",)),
    "DEPUTY_LEADER": (("分管领导",), ("deputy leader",)),
    "LEADERSHIP_BODY": (("领导班子",), ("leadership body",)),
    "POST": (("岗位",), ("post",)),
    "BELONGS_TO": (("属于",), ("belongs to",)),
    "HOLDS": (("拥有",), ("holds",)),
    "COVERS": (("代理",), ("covers",)),
    # items
    "ITEM": (("事项",), ("item", "items")),
    "STATUTORY_LIMIT": (("法定时限",), ("statutory limit",)),
    "PROMISED_LIMIT": (("承诺时限",), ("promised limit",)),
    "EXTENSION": (("延期",), ("extension",)),
    "APPROVED_BY": (("批准",), ("approved by",)),
    "CORRECTIONS": (("补正告知",), ("corrections within",)),
    "ONCE": (("一次性",), ("once",)),
    "SUSPEND_ON": (("中止计时",), ("suspend on",)),
    "NOTICE": (("预警",), ("notice",)),
    "YELLOW": (("黄牌",), ("yellow card",)),
    "RED": (("红牌",), ("red card",)),
    "BEFORE": (("提前",), ("before",)),
    "AT": (("达到",), ("at",)),
    "OVERDUE": (("逾期",), ("overdue",)),
    # processes
    "PROCESS": (("流程",), ("process",)),
    "OVERALL_LIMIT": (("总时限",), ("overall limit",)),
    "STEP": (("环节",), ("step",)),
    "LIMIT": (("时限",), ("limit",)),
    "AFTER": (("前置",), ("after",)),
    "COUNTERSIGN": (("会签",), ("countersign",)),
    "REPLY_WITHIN": (("回复时限",), ("reply within",)),
    "SILENCE": (("沉默",), ("silence",)),
    "CONSENT": (("视为同意",), ("means consent",)),
    "FAILURE": (("视为失职",), ("means failure",)),
    # violations
    "VIOLATION": (("违规",), ("violation",)),
    "ON": (("针对",), ("on",)),
    "CASE": (("案件",), ("case",)),
    "WHEN": (("当",), ("when",)),
    "RESPONSIBLE": (("责任",), ("responsible",)),
    "DIRECT": (("直接责任人",), ("direct",)),
    "REVIEWER": (("审核人",), ("reviewer",)),
    "APPROVER": (("批准人",), ("approver",)),
    # parties: the actor of each act type of the event contract (docs/language.md §9)
    "RECEIVER": (("收件人",), ("receiver",)),
    "ACCEPTOR": (("受理人",), ("acceptor",)),
    "CORRECTION_NOTIFIER": (("补正告知人",), ("correction notifier",)),
    "SUSPENDER": (("中止人",), ("suspender",)),
    "EXTENSION_APPROVER": (("延期批准人",), ("extension approver",)),
    "DECIDER": (("决定人",), ("decider",)),
    "DELIVERER": (("送达人",), ("deliverer",)),
    "REFERRER": (("转办人",), ("referrer",)),
    "STEP_HANDLER": (("环节承办人",), ("step handler",)),
    "COUNTERSIGN_UNIT": (("会签单位",), ("countersign unit",)),
    "COUNTERSIGN_REQUESTER": (("会签发起人",), ("countersign requester",)),
    "COMPLAINED_OF": (("被投诉人",), ("complained official",)),
    "POSSESSIVE": (("的",), ("'s",)),
    "BEARS": (("承担",), ("bears",)),
    # degrees of responsibility
    "DEGREE_DIRECT": (("直接责任",), ("direct responsibility",)),
    "DEGREE_PRIMARY": (("主要领导责任",), ("primary leadership responsibility",)),
    "DEGREE_IMPORTANT": (("重要领导责任",), ("important leadership responsibility",)),
    "DEGREE_OVERALL": (("全面领导责任",), ("overall leadership responsibility",)),
    "AND": (("且", "并且"), ("and",)),
    "OR": (("或", "或者"), ("or",)),
    "NOT": (("非", "不是"), ("not",)),
    "TRUE": (("是",), ("true", "yes")),
    "FALSE": (("否",), ("false", "no")),
    # ladders
    "LADDER": (("阶梯",), ("ladder",)),
    "COUNT_WINDOW": (("计次期间",), ("window",)),
    "ROLLING": (("滚动",), ("rolling",)),
    "MONTHS": (("个月",), ("months", "month")),
    "CALENDAR_YEAR": (("自然年",), ("calendar year",)),
    "LEVELS": (("等级",), ("levels",)),
    "NTH": (("第",), ("upon",)),
    "TIMES": (("次",), ("offences", "offence")),
    "OR_MORE": (("及以上",), ("or more",)),
    "AGGRAVATING": (("从重",), ("aggravating",)),
    "MITIGATING": (("从轻",), ("mitigating",)),
    "UP": (("升",), ("up",)),
    "DOWN": (("降",), ("down",)),
    "TO": (("直接至",), ("to",)),
    "GRADE": (("级",), ("steps", "step")),
    "EXEMPT": (("免责",), ("exempt",)),
    "CONSEQUENCE": (("后果",), ("consequence",)),
    "CUMULATIVE": (("累计",), ("cumulative",)),
    "JOINT": (("连带",), ("joint",)),
    # targets
    "TARGET": (("目标",), ("target",)),
    "METRIC": (("指标",), ("metric",)),
    "PERIOD": (("周期",), ("period",)),
    "MONTH": (("月度",), ("monthly",)),
    "QUARTER": (("季度",), ("quarterly",)),
    "HALF_YEAR": (("半年度",), ("half-yearly", "semiannual")),
    "YEAR": (("年度",), ("yearly",)),
    # durations
    "WORKDAYS": (("工作日",), ("workdays", "workday", "working days", "working day")),
    "DAYS": (("自然日", "日", "天"), ("days", "day", "natural days", "natural day")),
}

def _spelling_regex(spelling: str, *, english: bool) -> str:
    parts = [re.escape(word) for word in spelling.split(" ")]
    body = r"\s+".join(parts)
    return body + r"(?![A-Za-z0-9_])" if english else body


def terminal_definitions() -> str:
    """Lark terminal definitions for every keyword, at priority 2 so that they win over names."""
    lines = []
    for terminal, (zh, en) in KEYWORDS.items():
        alternatives = [_spelling_regex(s, english=False) for s in zh]
        alternatives += [_spelling_regex(s, english=True) for s in en]
        # longest first: Python's regex alternation takes the first alternative that matches
        alternatives.sort(key=len, reverse=True)
        pattern = "|".join(alternatives).replace("/", "\\/")
        lines.append(f"{terminal}.2: /(?:{pattern})/")
    return "\n".join(lines)


def spelling(terminal: str, lang: str) -> str:
    """The canonical spelling of a keyword in one language."""
    zh, en = KEYWORDS[terminal]
    return zh[0] if lang == "zh" else en[0]


def language_of(terminal: str, text: str) -> str | None:
    """Which table a keyword token's text comes from ("zh"/"en"), or None for a non-keyword."""
    if terminal not in KEYWORDS:
        return None
    return "en" if text[:1].isascii() else "zh"


ENGLISH_RESERVED = frozenset(
    word for _, en in KEYWORDS.values() for spelling_ in en for word in spelling_.split(" ")
)


def describe_terminal(terminal: str, lang: str | None = None) -> str:
    """How an ``expected …`` message names a terminal: keywords by their spellings."""
    if terminal in KEYWORDS:
        zh, en = KEYWORDS[terminal]
        if lang == "zh":
            return f"`{zh[0]}`"
        if lang == "en":
            return f"`{en[0]}`"
        return f"`{zh[0]}`/`{en[0]}`"
    if lang == "zh" and terminal in _PUNCTUATION_ZH:
        return _PUNCTUATION_ZH[terminal]
    return _PUNCTUATION.get(terminal, terminal)


_PUNCTUATION_ZH = {
    "IDENT": "名称",
    "BRACKETED": "「名称」",
    "STRING": '"字符串"',
    "INT": "整数",
    "DECIMAL": "数字",
    "PERCENT": "百分比",
    "DATE": "日期（YYYY-MM-DD）",
    "CMP": "比较符（> >= < <= == !=）",
    "$END": "文件结尾",
}

_PUNCTUATION = {
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "COMMA": "`,`",
    "IDENT": "a name",
    "BRACKETED": "a 「name」",
    "STRING": 'a "string"',
    "INT": "a whole number",
    "DECIMAL": "a number",
    "PERCENT": "a percentage",
    "DATE": "a date (YYYY-MM-DD)",
    "CMP": "a comparison (> >= < <= == !=)",
    "$END": "end of file",
}
