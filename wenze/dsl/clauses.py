"""The clauses of a document, by its own headings, and the numbers each clause states.

A county's 红头文件 numbers its clauses with a small set of heading styles, outermost first:

=========  ==============================  ==========================
rank       heading                         label in a clause path
=========  ==============================  ==========================
chapter    ``第一章``                       ``第一章``
article    ``第四十二条``                   ``第四十二条`` (its 款 ``第一款``, their 项 ``第四项``)
section    ``一、``                         ``一、``
paragraph  ``（一）`` or ``(一)``           ``（一）``
item       ``1、`` ``1.`` ``1．``           ``1``
subitem    ``（1）`` or ``(1)``             ``（1）``
point      ``一是`` ``二是`` …              ``一是``
=========  ==============================  ==========================

:func:`split_clauses` reads a text into :class:`Clause` objects; a clause's path is the labels of
its heading and of every enclosing heading (``("二、", "（四）", "3")``, written ``二、（四）3``),
and its text runs from its heading to the first later heading that does not belong to it (so a
clause's text includes its sub-clauses). Headings are recognised at the start of a line and also
inside a line (web copies and reports often run headings into the text), but a heading is taken
only when its number is the one expected next at its rank under the same parent (一 first, then
二 …): "1.06亿元", a list "一是 … 二是 …" that starts over, or a page number does not make a
clause (articles, 第N条 at the start of a line, need only rise: an excerpt of a statute may
begin anywhere). Inside a line, a 一、 or 一是 heading must follow a sentence mark (。；：!?), and
a digit heading must not touch another digit.

:func:`parse_clause_ref` reads a citation's clause (``"二、（四）3"``, ``"三、4"``, ``"二（四）"``,
``"第四十二条"``, ``"第三十二条第一款第四项"``) into the same labels. An article's 款 are its
paragraphs (the heading's line, then each line that is not an item) and a 款's 项 its lines
``（一）`` ``（二）`` …; they are clauses too. :func:`stated_numbers` lists the numbers a text
states, Chinese numerals included (``三个工作日`` is 3 days, ``百分之九十`` is 90%,
``两次以上`` is 2 times), each with the kind of quantity its unit says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum

# --------------------------------------------------------------------------- Chinese numerals

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
CN_NUMERAL = "零〇一二两三四五六七八九十百千万"


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral (``十二`` 12, ``二十`` 20, ``一百零五`` 105, ``二〇〇八``
    2008 read digit by digit); ``None`` when ``text`` is not one."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    if "两" in text[1:] and not text.startswith("两"):
        return None  # 两 only begins a numeral (两百, 两次), never ends one
    if not any(ch in _UNITS for ch in text):  # 二〇〇八: digit by digit
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
    return total + section + (digit or 0)


def number_value(text: str) -> int | None:
    """An Arabic or Chinese whole number."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    return chinese_number(text)


# --------------------------------------------------------------------------- headings


class Rank(IntEnum):
    """Heading ranks, outermost first."""

    CHAPTER = 1
    ARTICLE = 2
    SECTION = 3
    PARAGRAPH = 4
    ITEM = 5
    SUBITEM = 6
    POINT = 7


_CN = f"[{CN_NUMERAL}]+"
# (rank, pattern with one group: the number)
_HEADING_PATTERNS: tuple[tuple[Rank, re.Pattern[str]], ...] = (
    (Rank.CHAPTER, re.compile(rf"第({_CN})章")),
    (Rank.ARTICLE, re.compile(rf"第({_CN})条")),
    (Rank.SECTION, re.compile(rf"({_CN})、")),
    (Rank.PARAGRAPH, re.compile(rf"[（(]\s*({_CN})\s*[）)]")),
    (Rank.ITEM, re.compile(r"(\d{1,2})(?:、|[.．](?!\d))")),
    (Rank.SUBITEM, re.compile(r"[（(](\d{1,2})[）)]")),
    (Rank.POINT, re.compile(rf"({_CN})是")),
)
_SENTENCE_MARKS = "。；;：:！!？?"


def label_of(rank: Rank, number: int) -> str:
    """The canonical label of a heading: ``二、``, ``（四）``, ``3``, ``（3）``, ``一是``."""
    cn = to_chinese(number)
    return {
        Rank.CHAPTER: f"第{cn}章",
        Rank.ARTICLE: f"第{cn}条",
        Rank.SECTION: f"{cn}、",
        Rank.PARAGRAPH: f"（{cn}）",
        Rank.ITEM: str(number),
        Rank.SUBITEM: f"（{number}）",
        Rank.POINT: f"{cn}是",
    }[rank]


def to_chinese(n: int) -> str:
    """``n`` (1–99) as a Chinese numeral: 1 一, 10 十, 12 十二, 20 二十, 42 四十二."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    if n < 100:
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    return str(n)


@dataclass(frozen=True)
class Clause:
    """One clause: its path of labels, where its heading starts and where its text ends
    (character offsets into the split text), and that text (heading included)."""

    path: tuple[str, ...]
    start: int
    end: int
    text: str
    line: int

    @property
    def ref(self) -> str:
        return clause_ref_text(self.path)


def clause_ref_text(path: tuple[str, ...]) -> str:
    """A clause path written as a citation writes it: ``二、（四）3``."""
    return "".join(path)


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    rank: Rank
    number: int
    at_line_start: bool


def _candidates(text: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    for rank, pattern in _HEADING_PATTERNS:
        for m in pattern.finditer(text):
            number = number_value(m[1])
            if number is None or number < 1:
                continue
            start = m.start()
            line_start = text.rfind("\n", 0, start) + 1
            prefix = text[line_start:start].strip(" \t\u3000*#>")
            at_line_start = prefix == ""
            before = text[start - 1] if start > 0 else "\n"
            if not at_line_start:
                if rank in (Rank.CHAPTER, Rank.ARTICLE, Rank.SECTION, Rank.POINT):
                    if prefix[-1] not in _SENTENCE_MARKS:
                        continue
                elif before.isdigit() or before in ".．":
                    continue
                if rank is Rank.POINT and number == 0:
                    continue
            if rank is Rank.SECTION and before in CN_NUMERAL and not at_line_start:
                continue
            found.append(_Candidate(start, m.end(), rank, number, at_line_start))
    # one heading per position: the outermost reading wins (一、 before 一是 never overlap)
    found.sort(key=lambda c: (c.start, c.rank))
    unique: list[_Candidate] = []
    last_end = -1
    for c in found:
        if c.start >= last_end:
            unique.append(c)
            last_end = c.end
    return unique


def split_clauses(text: str) -> list[Clause]:
    """Every clause of ``text`` in document order (see the module docstring). Articles (第N条)
    are numbered through the whole text, so their path leaves out the chapter."""
    # stack of (rank, label, index into headings); per (parent path, rank): last number, or -1
    # once a list there started over
    stack: list[tuple[Rank, str, int]] = []
    seen: dict[tuple[tuple[str, ...], Rank], int] = {}
    headings: list[list] = []  # [path, start, end]
    for c in _candidates(text):
        depth = len(stack)
        while depth and stack[depth - 1][0] >= c.rank:
            depth -= 1
        parent = tuple(label for rank, label, _ in stack[:depth] if rank > Rank.CHAPTER
                       or c.rank < Rank.ARTICLE)
        key = (() if c.rank is Rank.ARTICLE else parent, c.rank)
        last = seen.get(key, 0)
        if last < 0:
            continue
        if c.rank is Rank.ARTICLE and c.at_line_start and c.number > last:
            pass  # an excerpt of a statute may start at any article, and skip some
        elif c.number != last + 1:
            if c.number == 1 and last > 0:
                seen[key] = -1
            continue
        seen[key] = c.number
        for _, _, i in stack[depth:]:
            headings[i][2] = c.start
        del stack[depth:]
        label = label_of(c.rank, c.number)
        stack.append((c.rank, label, len(headings)))
        headings.append([(*parent, label), c.start, len(text)])
    clauses = [Clause(path, start, end, text[start:end], text.count("\n", 0, start) + 1)
               for path, start, end in headings]
    out: list[Clause] = []
    for c in clauses:
        out.append(c)
        if c.path and c.path[-1].endswith("条"):
            out += _paragraphs_and_items(text, c)
    return out


_ITEM_LINE = re.compile(rf"[（(]\s*({_CN})\s*[）)]")


def _paragraphs_and_items(text: str, article: Clause) -> list[Clause]:
    """The 款 of an article (its paragraphs: the heading's line and each later line that is not an
    item) and the 项 of each 款 (its lines starting ``（一）`` …), as ``第一款`` / ``第四项``."""
    out: list[Clause] = []
    pos = article.start
    paragraph: list[int] = []  # [start, end] of the current 款
    items: list[tuple[int, int, int]] = []  # (number, start, end) of its 项
    n_par = 0

    def close() -> None:
        nonlocal n_par
        if not paragraph:
            return
        n_par += 1
        start, end = paragraph
        path = (*article.path, f"第{to_chinese(n_par)}款")
        out.append(Clause(path, start, end, text[start:end], text.count("\n", 0, start) + 1))
        for number, i_start, i_end in items:
            out.append(Clause((*path, f"第{to_chinese(number)}项"), i_start, i_end,
                              text[i_start:i_end], text.count("\n", 0, i_start) + 1))

    for line in text[article.start:article.end].splitlines(keepends=True):
        start, end = pos, pos + len(line)
        pos = end
        stripped = line.strip()
        if not stripped:
            continue
        item = _ITEM_LINE.match(stripped)
        number = chinese_number(item[1]) if item else None
        if paragraph and number is not None and number == len(items) + 1:
            items.append((number, start, end))
            paragraph[1] = end
            continue
        if paragraph and re.fullmatch(r"第\S+条", text[paragraph[0]:paragraph[1]].strip()):
            paragraph[1] = end  # a heading on its own line opens the first 款
            continue
        close()
        paragraph[:] = [start, end]
        items.clear()
    close()
    return out


# --------------------------------------------------------------------------- clause references

_REF_TOKEN = re.compile(
    rf"第({_CN}|\d+)章|第({_CN}|\d+)条|第({_CN}|\d+)款|第({_CN}|\d+)项|({_CN})、|[（(]\s*({_CN})\s*[）)]|[（(](\d+)[）)]"
    rf"|({_CN})是|(\d+)[、.．]?|({_CN})(?=[（(]|$)"
)


def parse_clause_ref(ref: str) -> tuple[str, ...] | None:
    """The labels of a citation's clause, or ``None`` when it is not written in headings
    (``"呈批"``, ``"处理程序"``). Separators and spaces between labels are ignored; a bare
    Chinese numeral at the start (``"三"``, ``"二（四）"``) is a section."""
    text = ref.strip()
    labels: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos] in " 　,，、.．":
            pos += 1
            continue
        m = _REF_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            return None
        chapter, article, kuan, xiang, section, paragraph, subitem, point, item, bare = m.groups()
        if chapter:
            labels.append(label_of(Rank.CHAPTER, number_value(chapter) or 0))
        elif kuan:
            labels.append(f"第{to_chinese(number_value(kuan) or 0)}款")
        elif xiang:
            labels.append(f"第{to_chinese(number_value(xiang) or 0)}项")
        elif article:
            labels.append(label_of(Rank.ARTICLE, number_value(article) or 0))
        elif section or bare:
            labels.append(label_of(Rank.SECTION, number_value(section or bare) or 0))
        elif paragraph:
            labels.append(label_of(Rank.PARAGRAPH, number_value(paragraph) or 0))
        elif subitem:
            labels.append(label_of(Rank.SUBITEM, int(subitem)))
        elif point:
            labels.append(label_of(Rank.POINT, number_value(point) or 0))
        elif item:
            labels.append(label_of(Rank.ITEM, int(item)))
        pos = m.end()
    return tuple(labels) if labels else None


# --------------------------------------------------------------------------- stated numbers


class Quantity(StrEnum):
    """What a number counts, as its unit says."""

    DAYS = "days"  # 日, 天, 工作日
    MONTHS = "months"  # 月, 个月
    YEARS = "years"  # 年
    HOURS = "hours"  # 小时
    PERCENT = "percent"  # %, 百分之
    TIMES = "times"  # 次, 回
    LEVELS = "levels"  # 级, 档
    PLAIN = "plain"  # any other number


@dataclass(frozen=True)
class StatedNumber:
    value: int | float
    quantity: Quantity
    text: str  # as written


_NUM = rf"(?:\d+(?:\.\d+)?|[{CN_NUMERAL}]+)"
_STATED = re.compile(
    rf"百分之\s*(?P<cnpct>{_NUM})"
    rf"|(?P<num>{_NUM})\s*(?:(?P<pct>[%％])|(?:个)?\s*(?P<unit>工作日|自然日|日|天|小时|个月|月|年|次|回|级|档))?"
)
_UNIT_QUANTITY = {
    "工作日": Quantity.DAYS, "自然日": Quantity.DAYS, "日": Quantity.DAYS, "天": Quantity.DAYS,
    "小时": Quantity.HOURS, "个月": Quantity.MONTHS, "月": Quantity.MONTHS,
    "年": Quantity.YEARS, "次": Quantity.TIMES, "回": Quantity.TIMES, "级": Quantity.LEVELS,
    "档": Quantity.LEVELS,
}


def _value(text: str) -> int | float | None:
    text = text.strip()
    if re.fullmatch(r"\d+\.\d+", text):
        return float(text)
    return number_value(text)


def stated_numbers(text: str) -> list[StatedNumber]:
    """Every number ``text`` states, with the quantity its unit says (spaces and line breaks
    between a number and its unit are allowed: a page break may split ``5`` from ``日``)."""
    out: list[StatedNumber] = []
    for m in _STATED.finditer(text):
        if m["cnpct"]:
            value = _value(m["cnpct"])
            quantity = Quantity.PERCENT
        else:
            value = _value(m["num"])
            if m["pct"]:
                quantity = Quantity.PERCENT
            elif m["unit"]:
                quantity = _UNIT_QUANTITY[m["unit"]]
            else:
                quantity = Quantity.PLAIN
        if value is None:
            continue
        out.append(StatedNumber(value, quantity, m.group()))
    return out


def states(text: str, value: int | float, quantity: Quantity) -> bool:
    """Whether ``text`` states ``value`` as a quantity of kind ``quantity``."""
    return any(n.value == value and n.quantity is quantity for n in stated_numbers(text))


__all__ = [
    "Clause",
    "Quantity",
    "Rank",
    "StatedNumber",
    "chinese_number",
    "clause_ref_text",
    "label_of",
    "number_value",
    "parse_clause_ref",
    "split_clauses",
    "stated_numbers",
    "states",
    "to_chinese",
]
