"""Rendering: golden DOT for every shipped process and overview; valid images; determinism.

Re-record the golden files with ``WENZE_UPDATE_GOLDEN=1 pytest tests/graphs``.
"""

from __future__ import annotations

import functools
import os
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wenze.dsl import ast as A
from wenze.dsl.loader import load_rulebook
from wenze.dsl.parser import parse
from wenze.graphs.render import (
    CRITICAL,
    FONT,
    output_format,
    render_bytes,
    render_overview,
    render_process,
    write,
)

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("WENZE_UPDATE_GOLDEN") == "1"
RULEBOOKS = sorted((ROOT / "rules").glob("*.wz"))


@functools.cache
def _load(path: Path) -> A.Rulebook:
    result = load_rulebook(path)
    assert result.rulebook is not None, result.diagnostics
    return result.rulebook


def _cases() -> list[tuple[Path, str | None]]:
    """(rulebook, process) for every process of every shipped rulebook, and (rulebook, None) for
    its overview."""
    cases: list[tuple[Path, str | None]] = []
    for path in RULEBOOKS:
        cases.append((path, None))
        parsed = parse(path.read_text(encoding="utf-8"), str(path)).rulebook
        if parsed is not None:
            cases.extend((path, name) for name in sorted(parsed.named(A.ProcessDecl)))
    return cases


def _golden_name(path: Path, process: str | None) -> str:
    what = "overview" if process is None else "process-" + re.sub(r"[\\/:*?\"<>| ]", "_", process)
    return f"{path.stem}.{what}.dot"


def _check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        return
    if not golden.exists():
        # A rulebook added after the golden files were recorded: reported in the summary (-ra).
        pytest.skip(f"no golden file {golden.name}; record it with WENZE_UPDATE_GOLDEN=1")
    assert text == golden.read_text(encoding="utf-8"), (
        f"{name} differs from its golden file; if the change is intended, re-record with "
        "WENZE_UPDATE_GOLDEN=1 pytest tests/graphs"
    )


@pytest.mark.parametrize(
    ("path", "process"), _cases(), ids=[_golden_name(p, n) for p, n in _cases()]
)
def test_golden_dot(path: Path, process: str | None) -> None:
    rulebook = _load(path)
    if process is None:
        graph = render_overview(rulebook)
    else:
        decl = rulebook.named(A.ProcessDecl)[process]
        assert isinstance(decl, A.ProcessDecl)
        graph = render_process(decl, rulebook)
    text = render_bytes(graph, "dot").decode("utf-8")
    # The font is set on the graph, its nodes and its edges.
    assert text.count(f'fontname="{FONT}"') >= 3
    _check_golden(_golden_name(path, process), text)


@pytest.mark.parametrize(
    ("path", "process"), _cases(), ids=[_golden_name(p, n) for p, n in _cases()]
)
def test_dot_lays_out_every_shipped_drawing(path: Path, process: str | None) -> None:
    # Graphviz 2.43 can fail a layout (e.g. `trouble in init_rank` with unconstrained labelled
    # edges between clusters): every shipped drawing must go through `dot`.
    rulebook = _load(path)
    if process is None:
        graph = render_overview(rulebook)
    else:
        decl = rulebook.named(A.ProcessDecl)[process]
        assert isinstance(decl, A.ProcessDecl)
        graph = render_process(decl, rulebook)
    root = ET.fromstring(render_bytes(graph, "svg"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_golden_files_exist_for_the_shipped_rulebooks() -> None:
    assert RULEBOOKS, "no rulebooks under rules/"
    assert (GOLDEN / "statutory_base.overview.dot").exists()
    assert (GOLDEN / "statutory_base.process-投资项目核准.dot").exists()


# --------------------------------------------------------------------------- a small process

SOURCE = """
规则集 「测试」 { 版本 "1" }
单位 「县政府」 { }
单位 「发改局」 { 上级 「县政府」 }
单位 「国土局」 { 上级 「县政府」 }
流程 「核准」 {
  总时限 30 工作日
  环节 「选址」 { 单位 「国土局」 岗位 「规划科长」 时限 20 工作日 }
  环节 「环评」 { 单位 「发改局」 时限 5 工作日 }
  会签 「联合会签」 { 单位 「国土局」, 「发改局」 回复时限 7 工作日 前置 「选址」 }
  环节 「核准决定」 { 单位 「发改局」 时限 15 工作日 前置 「联合会签」, 「环评」, 「未声明」 }
}
"""


def _small(source: str = SOURCE) -> tuple[A.ProcessDecl, A.Rulebook]:
    rulebook = parse(source, "small.wz").rulebook
    assert rulebook is not None
    decl = rulebook.named(A.ProcessDecl)["核准"]
    assert isinstance(decl, A.ProcessDecl)
    return decl, rulebook


def test_critical_path_is_red_and_bold_and_limits_are_on_nodes() -> None:
    process, rulebook = _small()
    dot = render_process(process, rulebook).source
    # 选址 20 → 会签 7 → 核准决定 15 = 42 > 30: the title says so.
    assert "关键路径 42 工作日" in dot and "超出总时限 12 工作日" in dot
    assert "20 工作日" in dot and "回复 7 工作日 · 沉默视为同意" in dot
    assert "岗位 规划科长" in dot
    # 环评 (5 days, may start as late as day 27 − 5 = 22) has slack 22 and is not red.
    assert "第 0–5 日 · 机动 22 日" in dot
    red_edges = [
        line for line in dot.splitlines() if "->" in line and f'color="{CRITICAL}"' in line
    ]
    assert len(red_edges) == 2  # 选址 → 联合会签 → 核准决定
    assert all("style=bold" in line for line in red_edges)
    # Clusters per unit, the parent unit named; the undeclared prerequisite drawn dashed.
    assert "发改局（县政府）" in dot and "国土局（县政府）" in dot
    assert "（未声明）" in dot
    assert "cluster_legend" in dot and "图例" in dot


def test_countersign_of_several_units_stands_outside_the_unit_clusters() -> None:
    process, rulebook = _small()
    dot = render_process(process, rulebook).source
    depth = 0
    for line in dot.splitlines():
        depth += line.count("{") - line.count("}")
        if "会签「联合会签」" in line:
            assert depth == 1  # directly in the graph, not in a cluster


def test_group_by_stage() -> None:
    process, rulebook = _small()
    dot = render_process(process, rulebook, group_by="stage").source
    # Stages: 选址, 环评 (1); 联合会签 (2); 核准决定 (3).
    assert "第 01 阶段" in dot and "第 02 阶段" in dot and "第 03 阶段" in dot
    assert dot.count("rank=same") == 3  # each stage is one column
    with pytest.raises(ValueError, match="group_by"):
        render_process(process, rulebook, group_by="colour")


def test_dot_does_not_depend_on_declaration_order() -> None:
    lines = SOURCE.strip().splitlines()
    steps = [i for i, line in enumerate(lines) if line.lstrip().startswith(("环节", "会签"))]
    shuffled = list(lines)
    for i, j in zip(steps, reversed(steps), strict=True):
        shuffled[i] = lines[j]
    assert shuffled != lines
    a = render_process(*_small()).source
    b = render_process(*_small("\n".join(shuffled))).source
    assert a == b
    assert render_process(*_small()).source == a  # and it is the same every time


# --------------------------------------------------------------------------- images


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_png_svg_pdf_are_valid_images(tmp_path: Path) -> None:
    process, rulebook = _small()
    graph = render_process(process, rulebook)
    width, height = _png_size(write(graph, tmp_path / "p.png").read_bytes())
    # Four steps side by side with a legend: wider than tall, neither tiny nor absurd.
    assert 400 <= width <= 5000 and 150 <= height <= 3000

    root = ET.fromstring(write(graph, tmp_path / "p.svg").read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "核准决定" in texts and any("关键路径" in t for t in texts)
    fonts = {t.get("font-family") for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert fonts == {FONT}

    pdf = write(graph, tmp_path / "p.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"NotoSansCJK" in pdf  # the CJK font is embedded

    assert write(graph, tmp_path / "p.dot").read_text(encoding="utf-8") == graph.source


def test_overview_png(tmp_path: Path) -> None:
    rulebook = _load(ROOT / "rules" / "statutory_base.wz")
    width, height = _png_size(write(render_overview(rulebook), tmp_path / "o.png").read_bytes())
    assert 300 <= width <= 8000 and 150 <= height <= 8000


def test_output_format_by_suffix() -> None:
    assert output_format("a/b.SVG") == "svg"
    assert output_format("x.gv") == "dot"
    with pytest.raises(ValueError, match=r"\.svg"):
        output_format("x.jpeg")


# --------------------------------------------------------------------------- overview

OVERVIEW = """
规则集 「测试」 { 版本 "1" }
职权 「审批决定权」 { }
职权 「电子印章使用权」 { }
单位 「中心」 { 主要领导 「主任」 }
岗位 「主任」 { 属于 「中心」 拥有 「审批决定权」 }
岗位 「首席代表」 { 属于 「中心」 拥有 「审批决定权」、「电子印章使用权」 }
岗位 「B岗」 { 属于 「中心」 代理 「首席代表」（「审批决定权」） }
阶梯 「问责」 {
  计次期间 自然年
  等级 「告诫」、「通报」、「诫勉」、「处分」
  第 1 次 「告诫」
  第 2 次 「通报」
  第3次及以上 「诫勉」
  从重 「打击报复」 直接至 「处分」
  从轻 「主动纠正」 降 1 级
}
"""


def test_overview_draws_delegation_and_ladder() -> None:
    rulebook = parse(OVERVIEW, "o.wz").rulebook
    assert rulebook is not None
    dot = render_overview(rulebook).source
    b_edge = [line for line in dot.splitlines() if "B岗代理" in line]
    assert len(b_edge) == 1 and "style=dashed" in b_edge[0] and "审批决定权" in b_edge[0]
    assert 'label="主要领导"' in dot  # the chief leader is the 中心's membership edge
    assert "第 1 次" in dot and "第 2 次" in dot and "第 3 次及以上" in dot
    assert "从重 打击报复" in dot and "从轻 主动纠正 降 1 级" in dot
    assert "计次期间 自然年" in dot


def test_overview_has_a_legend_of_its_lines() -> None:
    from wenze.dsl.loader import load_rulebook
    from wenze.graphs.render import render_overview

    rulebook = load_rulebook(ROOT / "rules" / "fujian_2010.wz").rulebook
    assert rulebook is not None
    dot = render_overview(rulebook).source
    legend = next(line for line in dot.splitlines() if "图例" in line)
    for meaning in ("拥有的职权", "B岗 → A岗", "第 N 次", "从重"):
        assert meaning in legend
