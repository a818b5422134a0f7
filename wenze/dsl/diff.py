"""What changed between two rulebooks, as a lawyer reads it (``wenze diff OLD NEW``).

Both rulebooks are compared as loaded (``继承`` merged, items flattened with what they
inherit), one declaration against the declaration of the same kind and name. Each declaration
is printed in its canonical form (:func:`~wenze.dsl.formatter.format_declaration`), whose every
line is one rule: ``承诺时限 12 工作日 依据 …``, ``第 2 次 「通报批评」``, ``拥有 「审批决定权」``.
Lines are paired by what they govern (the keyword before the value, a ladder's count, a step's
name), so a change reads "承诺时限 由 12 工作日 改为 10 工作日", with the basis of each side; a
power list reads as powers granted
and withdrawn. A line no pairing explains is listed as added or removed, never dropped.

The same comparison is made on the Chinese and on the English printing, so every change carries
both sentences.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from wenze.dsl import ast as A
from wenze.dsl.formatter import format_declaration, format_rulebook
from wenze.dsl.keywords import spelling

LANGS = ("zh", "en")


@dataclass(frozen=True)
class Change:
    """One difference: a declaration added or removed, or one of its rules changed."""

    kind: str  # the declaration's keyword in Chinese: 事项, 岗位, 违规, 阶梯 …
    kind_en: str
    name: str
    action: str  # "added" | "removed" | "changed" | "granted" | "withdrawn"
    context: str = ""  # an enclosing block inside the declaration (a step), zh
    context_en: str = ""
    rule: str = ""  # what the line governs (its keyword), zh
    rule_en: str = ""
    old: str | None = None  # the old rule, zh (whole line, basis included)
    new: str | None = None
    old_en: str | None = None
    new_en: str | None = None
    whole: bool = False  # the whole declaration was added or removed

    def sentence(self, lang: str = "zh") -> str:
        zh = lang == "zh"
        kind = self.kind if zh else self.kind_en
        where = f"{kind} 「{self.name}」"
        ctx = self.context if zh else self.context_en
        if ctx:
            where += f" › {ctx}"
        old, new = (self.old, self.new) if zh else (self.old_en, self.new_en)
        rule = self.rule if zh else self.rule_en
        if self.action == "added" and self.whole:
            return f"新增 {where}" if zh else f"added: {where}"
        if self.action == "removed" and self.whole:
            return f"废止 {where}" if zh else f"repealed: {where}"
        if self.action == "granted":
            return f"{where}：授予 {new}" if zh else f"{where}: granted {new}"
        if self.action == "withdrawn":
            return f"{where}：收回 {old}" if zh else f"{where}: withdrawn {old}"
        if self.action == "added":
            return f"{where}：新增 {new}" if zh else f"{where}: added {new}"
        if self.action == "removed":
            return f"{where}：删去 {old}" if zh else f"{where}: removed {old}"
        lang_ = "zh" if zh else "en"
        old_value, old_basis = split_basis(old or "", lang_)
        new_value, new_basis = split_basis(new or "", lang_)
        if old_value == new_value:  # only the basis changed
            kw = spelling("BASIS", lang_) + " "
            was, now = old_basis.replace(kw, ""), new_basis.replace(kw, "")
            return (f"{where}：{rule} {old_value} 的依据由 {was or '（无）'} 改为 {now or '（无）'}"
                    if zh else f"{where}: the basis of {rule} {old_value} changed from "
                    f"{was or '(none)'} to {now or '(none)'}")
        basis = ""
        if old_basis == new_basis and new_basis:
            basis = f"（{new_basis}）" if zh else f" ({new_basis})"
        elif old_basis or new_basis:
            kw = spelling("BASIS", lang_) + " "
            was, now = old_basis.replace(kw, ""), new_basis.replace(kw, "")
            basis = (f"（依据由 {was or '（无）'} 改为 {now or '（无）'}）" if zh else
                     f" (basis: {was or '(none)'} → {now or '(none)'})")
        return (f"{where}：{rule} 由 {old_value or '—'} 改为 {new_value or '—'}{basis}" if zh
                else f"{where}: {rule} changed from {old_value or '—'} to {new_value or '—'}"
                f"{basis}")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "kind_en": self.kind_en, "name": self.name,
                "action": self.action, "context": self.context, "context_en": self.context_en,
                "rule": self.rule, "rule_en": self.rule_en, "old": self.old, "new": self.new,
                "old_en": self.old_en, "new_en": self.new_en, "whole": self.whole,
                "zh": self.sentence("zh"), "en": self.sentence("en")}


@dataclass
class RulebookDiff:
    old_name: str
    new_name: str
    changes: list[Change] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.changes

    def to_json(self) -> dict[str, Any]:
        return {"schema": "wenze.diff/1", "old": self.old_name, "new": self.new_name,
                "changes": [c.to_json() for c in self.changes],
                "counts": dict(sorted(Counter(c.action for c in self.changes).items()))}

    def text(self, lang: str = "zh", old: str | None = None, new: str | None = None) -> str:
        """The changes grouped by kind of declaration; a declaration added or repealed is
        printed whole below its line. ``old``/``new``: how to name the two (default: their
        titles)."""
        if self.same:
            return ("两个规则集的规则相同。\n" if lang == "zh"
                    else "The two rulebooks state the same rules.\n")
        old, new = old or self.old_name, new or self.new_name
        head = (f"规则集变更：{old} → {new}（{len(self.changes)} 处）"
                if lang == "zh" else f"Changes: {old} → {new} ({len(self.changes)})")
        lines = [head]
        groups: dict[str, list[Change]] = {}
        for c in self.changes:
            groups.setdefault(c.kind if lang == "zh" else c.kind_en, []).append(c)
        for k, changes in groups.items():
            lines.append(f"\n【{k}】" if lang == "zh" else f"\n[{k}]")
            for c in changes:
                lines.append(f"  - {c.sentence(lang)}")
                if c.whole:
                    body = (c.new or c.old) if lang == "zh" else (c.new_en or c.old_en)
                    lines.extend(f"      {ln}" for ln in (body or "").splitlines())
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- lines


_BASIS = {lang: re.compile(r"(?:\s+" + re.escape(spelling("BASIS", lang))
                           + r' 「[^」]*」 "(?:[^"\\]|\\.)*")+$') for lang in LANGS}
_COUNT = re.compile(r"^(?:连带 )?第 \d+ 次(?:及以上)?|^(?:joint )?upon \d+ offences?(?: or more)?")
_VALUE = re.compile(r"^(?:「|\"|\d|-)")


def split_basis(text: str, lang: str) -> tuple[str, str]:
    """(the rule, its basis) of one printed rule: ``12 工作日``, ``依据 「文件」 "条款"``."""
    m = _BASIS[lang].search(text)
    if m is None:
        return text.strip(), ""
    return text[:m.start()].strip(), m.group(0).strip()


@dataclass(frozen=True)
class _Rule:
    context: str  # the enclosing block's opening (a step), "" at the declaration's level
    text: str  # the whole line, without indentation
    key: str  # what it governs
    value: str  # the rest, basis included


def _key(text: str, lang: str) -> tuple[str, str]:
    body = _BASIS[lang].sub("", text)
    if m := _COUNT.match(body):
        return m.group(0), text[m.end():].strip()
    tokens = body.split(" ")
    n = 0
    while n < len(tokens) and not _VALUE.match(tokens[n]):
        n += 1
    key = " ".join(tokens[:n])
    return key, text[len(key):].strip()


def _rules(decl_text: str, lang: str) -> tuple[str, list[_Rule]]:
    """The opening line and the rules of one printed declaration."""
    lines = [ln for ln in decl_text.splitlines() if ln.strip()]
    opening = lines[0].rstrip(" {")
    rules: list[_Rule] = []
    stack: list[str] = []
    for ln in lines[1:]:
        depth = (len(ln) - len(ln.lstrip(" "))) // 2
        text = ln.strip()
        if text == "}":
            if stack:
                stack.pop()
            continue
        del stack[max(depth - 1, 0):]
        context = " › ".join(stack)
        if text.endswith("{"):
            opener = text.rstrip(" {")
            name = _BASIS[lang].sub("", opener)
            rules.append(_Rule(context, opener, name, opener[len(name):].strip()))
            stack.append(name)
            continue
        key, value = _key(text, lang)
        rules.append(_Rule(context, text, key, value))
    return opening, rules


def _disambiguate(rules: list[_Rule]) -> list[_Rule]:
    """Rules sharing a key in one block (从重 「A」 …, 从重 「B」 …) are told apart by their first
    name."""
    seen = Counter((r.context, r.key) for r in rules)
    out = []
    for r in rules:
        if seen[r.context, r.key] > 1 and r.value.startswith("「"):
            first = r.value.split(" ", 1)[0]
            rest = r.value[len(first):].strip()
            out.append(_Rule(r.context, r.text, f"{r.key} {first}".strip(), rest))
        else:
            out.append(r)
    return out


# rules that list names: a change reads as names added and removed (powers: granted, withdrawn)
_LISTS = ("HOLDS", "LEVELS", "EXEMPT", "SUSPEND_ON", "UNIT")
_LIST_KEYS = {spelling(t, lang) for t in _LISTS for lang in LANGS}
_POWER_KEYS = {spelling("HOLDS", lang) for lang in LANGS}


def _names(value: str) -> list[str]:
    return re.findall(r"「[^」]*」", _BASIS["zh"].sub("", _BASIS["en"].sub("", value)))


@dataclass(frozen=True)
class _LineChange:
    action: str
    context: str
    rule: str
    old: str | None
    new: str | None


def _opening_changes(old: str, new: str, lang: str) -> list[_LineChange]:
    """A declaration's own line: ``覆盖`` is how a version says it changes a rule, not a change
    itself; what is left to compare is the basis (and, for items, the base item)."""
    override = spelling("OVERRIDE", lang) + " "
    old, new = old.removeprefix(override), new.removeprefix(override)
    if old == new:
        return []
    kw = spelling("BASIS", lang) + " "
    (old_head, old_basis), (new_head, new_basis) = split_basis(old, lang), split_basis(new, lang)
    if old_head == new_head:
        return [_LineChange("changed", "", "依据" if lang == "zh" else "basis",
                            old_basis.replace(kw, "") or "—", new_basis.replace(kw, "") or "—")]
    return [_LineChange("changed", "", "声明" if lang == "zh" else "declaration", old, new)]


def _line_changes(old_text: str, new_text: str, lang: str) -> list[_LineChange]:
    old_open, old_rules = _rules(old_text, lang)
    new_open, new_rules = _rules(new_text, lang)
    out: list[_LineChange] = []
    if old_open != new_open:
        out.extend(_opening_changes(old_open, new_open, lang))
    old_rules, new_rules = _disambiguate(old_rules), _disambiguate(new_rules)
    olds = {(r.context, r.key): r for r in old_rules}
    news = {(r.context, r.key): r for r in new_rules}
    removed = [r for r in old_rules if r.text not in {n.text for n in new_rules
                                                      if n.context == r.context}]
    added = [r for r in new_rules if r.text not in {o.text for o in old_rules
                                                    if o.context == r.context}]
    paired: set[tuple[str, str]] = set()
    for r in removed:
        k = (r.context, r.key)
        n = news.get(k)
        if n is not None and n in added and olds.get(k) is r and r.key:
            paired.add(k)
            base = r.key.split(" 「")[0]
            if base in _LIST_KEYS:
                a, b = _names(r.value), _names(n.value)
                if set(a) != set(b):
                    for name in [x for x in a if x not in b]:
                        out.append(_LineChange("withdrawn" if base in _POWER_KEYS
                                               else "removed", r.context, r.key, name, None))
                    for name in [x for x in b if x not in a]:
                        out.append(_LineChange("granted" if base in _POWER_KEYS
                                               else "added", r.context, r.key, None, name))
                    if re.sub(r"「[^」]*」[、, ]*", "", r.value) != re.sub(
                            r"「[^」]*」[、, ]*", "", n.value):
                        out.append(_LineChange("changed", r.context, r.key, r.value, n.value))
                    continue
            out.append(_LineChange("changed", r.context, r.key, r.value or "—",
                                   n.value or "—"))
    left_removed = [r for r in removed if (r.context, r.key) not in paired]
    left_added = [r for r in added if (r.context, r.key) not in paired]
    # one removed and one added line of the same first word in a block: a change of that rule
    first = Counter((r.context, r.text.split(" ")[0]) for r in left_removed)
    first_new = Counter((r.context, r.text.split(" ")[0]) for r in left_added)
    for r in list(left_removed):
        k = (r.context, r.text.split(" ")[0])
        if first[k] == 1 and first_new[k] == 1:
            n = next(a for a in left_added if (a.context, a.text.split(" ")[0]) == k)
            out.append(_LineChange("changed", r.context, k[1], r.text, n.text))
            left_removed.remove(r)
            left_added.remove(n)
    out.extend(_LineChange("removed", r.context, r.key, r.text, None) for r in left_removed)
    out.extend(_LineChange("added", r.context, r.key, None, r.text) for r in left_added)
    return out


# --------------------------------------------------------------------------- declarations


def _declarations(rulebook: A.Rulebook) -> dict[tuple[str, str], A.Node]:
    out: dict[tuple[str, str], A.Node] = {}
    for d in rulebook.decls:
        name = getattr(d, "name", None)
        if isinstance(name, A.Name):
            out[type(d).__name__, name.text] = d
    return out


def _kind(decl: A.Node, lang: str) -> str:
    opening = format_declaration(decl, lang).split("\n", 1)[0]
    words = opening.split(" ")
    if words[0] == spelling("OVERRIDE", lang):
        words = words[1:]
    # the keyword(s) before the name
    kind = []
    for w in words:
        if w.startswith("「") or w.startswith('"'):
            break
        kind.append(w)
    return " ".join(kind)


def _header_lines(rulebook: A.Rulebook, lang: str) -> str:
    text = format_rulebook(A.Rulebook(rulebook.header, (), lang), lang)
    return text


def diff_rulebooks(old: A.Rulebook, new: A.Rulebook) -> RulebookDiff:
    """Every difference between two loaded rulebooks (flatten their items first to compare
    what each item really states)."""
    result = RulebookDiff(old.header.name.text, new.header.name.text)
    pairs: list[tuple[str, str, A.Node | None, A.Node | None]] = [
        ("Header", "", _HeaderDecl(old), _HeaderDecl(new))]
    a, b = _declarations(old), _declarations(new)
    order = list(a) + [k for k in b if k not in a]
    pairs += [(k[0], k[1], a.get(k), b.get(k)) for k in order]
    for _type, name, x, y in pairs:
        result.changes.extend(_decl_changes(name, x, y))
    return result


@dataclass(frozen=True)
class _HeaderDecl:
    rulebook: A.Rulebook


def _print(decl: Any, lang: str) -> str:
    if isinstance(decl, _HeaderDecl):
        return _header_lines(decl.rulebook, lang)
    return format_declaration(decl, lang)


def _decl_changes(name: str, old: Any, new: Any) -> list[Change]:
    some = new if new is not None else old
    if isinstance(some, _HeaderDecl):
        kind = {"zh": "规则集", "en": "rulebook"}
        name = new.rulebook.header.name.text
    else:
        kind = {lang: _kind(some, lang) for lang in LANGS}
    if old is None or new is None:
        action = "added" if old is None else "removed"
        texts = {lang: _print(some, lang).strip() for lang in LANGS}
        return [Change(kind["zh"], kind["en"], name, action, whole=True,
                       old=None if old is None else texts["zh"],
                       new=None if new is None else texts["zh"],
                       old_en=None if old is None else texts["en"],
                       new_en=None if new is None else texts["en"])]
    if old == new:
        return []
    per_lang = {lang: _line_changes(_print(old, lang), _print(new, lang), lang) for lang in LANGS}
    zh, en = per_lang["zh"], per_lang["en"]
    if len(zh) != len(en) or any(x.action != y.action for x, y in zip(zh, en, strict=False)):
        en = _unpaired(_print(old, "en"), _print(new, "en"))
        zh = _unpaired(_print(old, "zh"), _print(new, "zh"))
        if len(zh) != len(en):
            return [Change(kind["zh"], kind["en"], name, "changed", rule="全文", rule_en="text",
                           old=_print(old, "zh").strip(), new=_print(new, "zh").strip(),
                           old_en=_print(old, "en").strip(), new_en=_print(new, "en").strip())]
    if not zh:  # equal as printed (a difference the printing does not show, e.g. a position)
        return []
    return [Change(kind["zh"], kind["en"], name, x.action, x.context, y.context, x.rule, y.rule,
                   x.old, x.new, y.old, y.new) for x, y in zip(zh, en, strict=True)]


def _unpaired(old_text: str, new_text: str) -> list[_LineChange]:
    """Plain line differences (the fall-back when the two printings pair differently)."""
    out = []
    for line in difflib.ndiff(old_text.splitlines(), new_text.splitlines()):
        if line.startswith("- ") and line[2:].strip() not in ("", "}"):
            out.append(_LineChange("removed", "", "", line[2:].strip(), None))
        elif line.startswith("+ ") and line[2:].strip() not in ("", "}"):
            out.append(_LineChange("added", "", "", None, line[2:].strip()))
    return out


__all__ = ["Change", "RulebookDiff", "diff_rulebooks", "split_basis"]
