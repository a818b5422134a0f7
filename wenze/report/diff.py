"""A rulebook diff (:mod:`wenze.dsl.diff`) and, with a caseload, the decisions that change, as
text, JSON data and one printable HTML page."""

from __future__ import annotations

import html
from typing import Any

from wenze.dsl.diff import RulebookDiff


def decisions_text(comparison: dict[str, Any], lang: str = "zh") -> str:
    """The changed decisions of :func:`wenze.report.compare.compare_results` plus
    ``persons``/``persons_shown`` (:func:`~wenze.report.compare.differing_persons`)."""
    zh = lang == "zh"
    out = ["\n== 决定的变化（同一批事件） ==" if zh
           else "\n== Decisions that change (same events) =="]
    d = comparison["decisions"]
    out.append(f"决定数：{d['a']} → {d['b']}（{d['b_minus_a']:+d}）" if zh
               else f"decisions: {d['a']} → {d['b']} ({d['b_minus_a']:+d})")
    cases, persons = comparison["differing_cases"], comparison["persons"]
    out.append(f"决定有变化的案件：{cases} 件；人员：{persons} 人" if zh
               else f"cases whose decisions change: {cases}; persons: {persons}")
    for row in comparison["sanctions"]:
        if row["b_minus_a"]:
            out.append(f"  {row['name']}: {row['a']} → {row['b']} ({row['b_minus_a']:+d})")
    for p in comparison["persons_shown"]:
        out.append(f"\n  {p['person']}")
        out.extend(f"    - {line}" for line in p["a"] if line not in p["b"])
        out.extend(f"    + {line}" for line in p["b"] if line not in p["a"])
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC",sans-serif;margin:2em;color:#111}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#eee}.added{color:#075e00}.removed,.withdrawn{color:#a00}.granted{color:#075e00}
pre{white-space:pre-wrap;margin:0;font-family:inherit}
@media print{@page{size:A4;margin:15mm}body{margin:0}}
"""

_ACTION = {"added": ("新增", "added"), "removed": ("删去/废止", "removed"),
           "changed": ("修改", "changed"), "granted": ("授予", "granted"),
           "withdrawn": ("收回", "withdrawn")}


def render_html(diff: RulebookDiff, old: str, new: str,
                comparison: dict[str, Any] | None = None) -> str:
    e = html.escape
    rows = []
    for c in diff.changes:
        zh, en = _ACTION[c.action]
        body = ""
        if c.whole:
            body = f"<pre>{e(c.new or c.old or '')}</pre>"
        rows.append(f"<tr class='{c.action}'><td>{e(c.kind)}<br><small>{e(c.kind_en)}</small></td>"
                    f"<td>「{e(c.name)}」</td><td class='{c.action}'>{zh}<br><small>{en}</small>"
                    f"</td><td>{e(c.sentence('zh'))}<br><small>{e(c.sentence('en'))}</small>"
                    f"{body}</td></tr>")
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>规则集变更 {e(old)} → {e(new)}</title><style>{_CSS}</style></head><body>",
        f"<h1>规则集变更 Rulebook changes</h1><p>{e(old)} → {e(new)}</p>",
        "<h2>规则的变化 Changed rules</h2>",
        "<p>两个规则集的规则相同。The two rulebooks state the same rules.</p>" if diff.same else
        "<table><tr><th>类别 kind</th><th>名称 name</th><th>变化 change</th>"
        "<th>说明 description</th></tr>" + "".join(rows) + "</table>",
    ]
    if comparison is not None:
        d = comparison["decisions"]
        parts.append("<h2>决定的变化 Decisions that change</h2>")
        parts.append(f"<p>决定数 decisions: {d['a']} → {d['b']} ({d['b_minus_a']:+d})；"
                     f"案件 cases: {comparison['differing_cases']}；"
                     f"人员 persons: {comparison['persons']}</p>")
        parts.append("<table><tr><th>人员 person</th><th>旧规则 old</th><th>新规则 new</th></tr>")
        for p in comparison["persons_shown"]:
            parts.append(f"<tr><td>{e(p['person'])}</td><td><pre>{e(chr(10).join(p['a']))}</pre>"
                         f"</td><td><pre>{e(chr(10).join(p['b']))}</pre></td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)
