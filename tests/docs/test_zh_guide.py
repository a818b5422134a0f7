"""The Chinese user guide (``docs/zh/``): every example runs, every table is complete.

The guide is for the people who write rulebooks; it must never show something the program does
not do. So, read from the pages themselves:

- ```` ```wz ```` — a complete rulebook; it loads with no diagnostic at all (next to copies of the
  shipped ``rules/*.wz``, so it may ``继承 "statutory_base.wz"``);
- ```` ```wz 摘自 PATH ```` — an excerpt, found word for word in the shipped file PATH;
- ```` ```wz 文件 PATH ```` — the whole shipped file PATH, which loads clean;
- ```` ```wz 另存为 PATH ```` — a file the page asks the reader to save at PATH; saved there (in a
  copy of ``rules/``, ``examples/`` and ``features/``), it loads clean;
- ```` ```wz 错误示例 CODE ```` — a wrong rulebook: loading it reports CODE and nothing else (a
  rulebook family — ``规则族`` — is loaded as ``wenze check`` loads one, next to the shipped rules
  and the page's ``另存为`` files, which hold its versions);
- ```` ```wz 改正 CODE ```` — the same rulebook corrected: it loads with no diagnostic;
- ```` ```jsonl 拒收 CODE ```` / ```` ```jsonl 未能评判 CODE [AS-OF] ```` — events that, evaluated
  against ``rules/zitong_2008.wz``, are rejected with / leave a case unjudged for CODE;
- ```` ```console ```` — ``$ command`` lines, each followed by the lines of its output the page
  shows (``…`` stands for lines left out): the commands of a block are run in order in such a
  copy (holding the page's ``另存为`` files), with a fresh store, and the shown lines must appear
  in each one's output (stdout, then stderr), in that order (a command shown without output must
  succeed). ``wenze`` and ``.venv/bin/wenze`` are run as ``python -m wenze``; a leading
  ``bash scripts/setup.sh &&`` (the installation, which CI's ``.ci/run`` performs) is not
  repeated;
- ```` ```gherkin ```` — the tutorial's scenarios, which are ``features/zh_guide.feature``.

And the references are complete against the live tables: every keyword spelling
(``wenze/dsl/keywords.py``), fact (``wenze/dsl/facts.py``) and responsibility role
(``wenze.dsl.ast.Role``) is in ``reference.md``; every diagnostic code (``CODES`` of the checks and
every ``"WZnnn"`` the package emits), every event rejection code (``docs/events.md``) and every
reason a case is left unjudged (the package's ``Unjudged(…, "code", …)``) has its entry in
``errors.md``, and every WZ code has a wrong example that produces it. A keyword, fact, role or
code added to the program without its Chinese entry fails here.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import wenze
from wenze.dsl.ast import Role
from wenze.dsl.checks import CODES
from wenze.dsl.facts import FACTS
from wenze.dsl.family import load_family
from wenze.dsl.keywords import KEYWORDS
from wenze.dsl.loader import load_rulebook
from wenze.dsl.parser import is_family

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "zh"
PAGES = sorted(GUIDE.glob("*.md"))
PACKAGE = ROOT / "wenze"

# codes whose entry needs no runnable wrong example, and why
NOT_PRODUCIBLE = {
    "WZ100": "an internal failure of a check pass: no rulebook is meant to produce it",
    "WZ114": "the grammar already refuses `针对 目标` without a name (WZ002); the check guards "
             "rulebooks built in Python",
    "WZ206": "the grammar already refuses `中止计时` without a reason (WZ002); the check guards "
             "rulebooks built in Python",
    "WZ006": "a rulebook over 1,000,000 characters or 20,000 lines does not fit on a page "
             "(tests/dsl/test_hostile_rulebooks.py produces it)",
}
# codes only the citation check gives: it reads the documents' texts (`wenze check --sources DIR`),
# which no rulebook text carries; their wrong example and its fix are ```console blocks of
# errors.md, run (and their shown output checked) by test_commands_and_their_shown_output
BY_SOURCES = {"WZ601", "WZ602", "WZ603", "WZ604"}
# event rejection codes that only CSV/XES logs and their mappings can produce
LOG_ONLY = {"unknown_activity", "bad_xml", "bad_mapping", "field_too_large", "bad_csv"}
# event rejection codes with an entry but no ```jsonl example, and why
UNSHOWABLE = {"bad_encoding": "a page of the guide is UTF-8 text: it cannot hold a line that "
                              "is not"}


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    info: str
    body: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(pages: list[Path] = PAGES) -> list[Block]:
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", text, re.S | re.M):
            line = text.count("\n", 0, m.start()) + 1
            found.append(Block(page.name, line, m[1].strip(), m[2]))
    return found


BLOCKS = blocks()


def of_kind(lang: str) -> list[Block]:
    return [b for b in BLOCKS if b.info.split(" ")[0] == lang]


def page_text(name: str) -> str:
    return (GUIDE / name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the pages exist


def test_the_guide_has_its_pages_and_the_readme_points_to_it_first() -> None:
    names = {p.name for p in PAGES}
    assert names >= {"README.md", "tutorial.md", "reference.md", "errors.md", "faq.md",
                     "glossary.md"}
    index = page_text("README.md")
    for name in names - {"README.md"}:
        assert f"({name})" in index, f"docs/zh/README.md does not link {name}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_doc_link = re.search(r"\]\((docs/[^)]*)\)|`(docs/[^`]*)`", readme)
    assert first_doc_link is not None
    assert (first_doc_link[1] or first_doc_link[2]).startswith("docs/zh/"), \
        "the README must name the Chinese guide before any other document"


def test_every_fenced_block_is_of_a_kind_the_tests_run() -> None:
    known = {"wz", "console", "gherkin", "jsonl", "text"}
    for b in BLOCKS:
        assert b.info.split(" ")[0] in known, f"{b.id}: a ```{b.info} block is not run by any test"


# --------------------------------------------------------------------------- rulebook blocks


def _sandbox(tmp_path: Path) -> Path:
    """A folder with copies of the shipped rulebooks, so an example may extend them."""
    for path in (ROOT / "rules").glob("*.wz"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _load(body: str, tmp_path: Path, page: str = "") -> list[tuple[str, str, int]]:
    if is_family(body):  # its versions are shipped rules or files the page asks to save
        path = _reader_copy(page, tmp_path) / "rules" / "示例族.wz"
        path.write_text(body, encoding="utf-8")
        result = load_family(path)
    else:
        path = _sandbox(tmp_path) / "示例.wz"
        path.write_text(body, encoding="utf-8")
        result = load_rulebook(path)
    return [(d.code, d.severity.value if hasattr(d.severity, "value") else str(d.severity),
             d.span.line) for d in result.diagnostics]


WZ = of_kind("wz")


@pytest.mark.parametrize("block", WZ, ids=[b.id for b in WZ])
def test_rulebook_block(block: Block, tmp_path: Path) -> None:
    words = block.info.split()
    if words == ["wz"]:
        assert _load(block.body, tmp_path) == [], "a complete example must load clean"
    elif words[1] == "摘自":
        shipped = (ROOT / words[2]).read_text(encoding="utf-8")
        assert block.body in shipped, f"{block.id}: not a word-for-word excerpt of {words[2]}"
    elif words[1] == "另存为":  # a file the reader saves at PATH (see _reader_copy)
        path = _reader_copy(block.page, tmp_path) / words[2]
        result = load_rulebook(path)
        assert result.diagnostics == [], [(d.code, d.span.line) for d in result.diagnostics]
    elif words[1] == "文件":
        path = ROOT / words[2]
        assert path.read_text(encoding="utf-8") == block.body, f"{block.id} differs from {path}"
        result = load_rulebook(path)
        assert result.diagnostics == [], [(d.code, d.span.line) for d in result.diagnostics]
    elif words[1] == "错误示例":
        codes = {code for code, _, _ in _load(block.body, tmp_path, block.page)}
        assert codes == {words[2]}, f"{block.id}: expected only {words[2]}, got {sorted(codes)}"
    elif words[1] == "改正":
        assert _load(block.body, tmp_path, block.page) == [], \
            f"{block.id}: the fix of {words[2]} is not clean"
    else:
        pytest.fail(f"{block.id}: unknown kind of wz block: {block.info}")


# --------------------------------------------------------------------------- event blocks


JSONL = of_kind("jsonl")


@pytest.fixture(scope="module")
def zitong() -> wenze.Rulebook:
    return wenze.load(str(ROOT / "rules" / "zitong_2008.wz"))


@pytest.mark.parametrize("block", JSONL, ids=[b.id for b in JSONL])
def test_event_block(block: Block, tmp_path: Path, zitong: wenze.Rulebook) -> None:
    words = block.info.split()
    assert len(words) >= 3 and words[1] in {"拒收", "未能评判"}, block.info
    code = words[2]
    as_of = words[3] if len(words) > 3 else "2024-06-30"
    path = tmp_path / "events.jsonl"
    path.write_text(block.body, encoding="utf-8")
    result = zitong.evaluate(path, as_of=as_of)
    if words[1] == "拒收":
        assert code in {r.code for r in result.rejected}, [str(r) for r in result.rejected]
    else:
        assert code in {u.code for u in result.unjudged}, result.unjudged


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command:
    block: Block
    command: str
    shown: tuple[str, ...]


def commands() -> list[Command]:
    found = []
    for b in of_kind("console"):
        current: list[str] | None = None
        command = ""
        for line in b.body.splitlines():
            if line.startswith("$ "):
                if current is not None:
                    found.append(Command(b, command, tuple(current)))
                command, current = line[2:], []
            else:
                assert current is not None, f"{b.id}: output before any `$ command`"
                current.append(line)
        if current is not None:
            found.append(Command(b, command, tuple(current)))
    return found


COMMANDS = commands()


def argv_of(command: str) -> list[str]:
    command = command.removeprefix("bash scripts/setup.sh && ")
    argv = shlex.split(command)
    assert argv[0] in {"wenze", ".venv/bin/wenze"}, f"not a wenze command: {command}"
    return [sys.executable, "-m", "wenze", *argv[1:]]


CONSOLES = of_kind("console")


def _reader_copy(page: str, tmp_path: Path) -> Path:
    """What a reader's folder holds at that page: the shipped rules, examples and features, and
    the files the page's ```wz 另存为 PATH blocks ask them to save."""
    repo = tmp_path / "repo"
    for folder in ("rules", "examples", "features"):
        shutil.copytree(ROOT / folder, repo / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.db*"))
    for b in WZ:
        words = b.info.split()
        if b.page == page and words[1:2] == ["另存为"]:
            assert not (ROOT / words[2]).exists(), f"{b.id}: {words[2]} is a shipped file"
            (repo / words[2]).write_text(b.body, encoding="utf-8")
    return repo


@pytest.mark.parametrize("block", CONSOLES, ids=[b.id for b in CONSOLES])
def test_commands_and_their_shown_output(block: Block, tmp_path: Path) -> None:
    # the commands of one block run in order, in a copy of the repository's rules, examples and
    # features holding the files the page asks the reader to save, with a store of their own
    # (`WENZE_DB`, which a reader's commands default to `sqlite:///wenze.db`)
    repo = _reader_copy(block.page, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "PYTHONIOENCODING": "utf-8",
           "WENZE_DB": f"sqlite:///{tmp_path / 'wenze.db'}"}
    for cmd in (c for c in COMMANDS if c.block == block):
        done = subprocess.run(argv_of(cmd.command), cwd=repo, env=env, capture_output=True,
                              encoding="utf-8", timeout=600, check=False)
        actual = [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]
        shown = [line.rstrip() for line in cmd.shown if line.strip() != "…"]
        if not shown:
            assert done.returncode == 0, done.stdout + done.stderr
        at = 0
        for line in shown:
            try:
                at = actual.index(line, at) + 1
            except ValueError:
                pytest.fail(f"{block.id}: `{cmd.command}` does not print (in this order)\n"
                            f"{line}\n--- it printed:\n" + "\n".join(actual[:200]))


# --------------------------------------------------------------------------- the scenarios


def test_the_tutorial_scenarios_are_the_shipped_feature_file() -> None:
    text = "".join(b.body for b in of_kind("gherkin"))
    shipped = (ROOT / "features" / "zh_guide.feature").read_text(encoding="utf-8")
    assert text == shipped, "copy the ```gherkin blocks of docs/zh/tutorial.md into " \
        "features/zh_guide.feature"


# --------------------------------------------------------------------------- completeness


def test_every_keyword_is_in_the_reference() -> None:
    reference = page_text("reference.md")
    missing = [f"{terminal}: {spelling}" for terminal, (zh, en) in KEYWORDS.items()
               for spelling in (*zh, *en) if f"`{spelling}`" not in reference]
    assert not missing, f"keywords missing from docs/zh/reference.md: {missing}"


def test_every_fact_is_in_the_reference() -> None:
    lines = page_text("reference.md").splitlines()
    missing = [f.key for f in FACTS
               if not any(f"`{f.zh}`" in line and f"`{f.key}`" in line for line in lines)]
    assert not missing, f"facts missing from docs/zh/reference.md (one line, both names): {missing}"


def test_every_responsibility_role_is_in_the_reference() -> None:
    reference = page_text("reference.md")
    missing = [role.value for role in Role if f"`{role.value}`" not in reference]
    assert not missing, f"roles missing from docs/zh/reference.md: {missing}"


def emitted_wz_codes() -> set[str]:
    """Every WZ code the package can emit: the checks' table and every literal in the source."""
    codes = set(CODES)
    for path in PACKAGE.rglob("*.py"):
        codes |= set(re.findall(r"[\"'](WZ\d{3})[\"']", path.read_text(encoding="utf-8")))
    return codes


def rejection_codes() -> set[str]:
    """The event rejection codes of docs/events.md (its table, and `bad_mapping` below it)."""
    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    section = text.split("### Rejection codes", 1)[1].split("\n## ", 1)[0]
    codes = set()
    for row in re.findall(r"^\| (`[^|]+`) \|", section, re.M):
        codes |= set(re.findall(r"`([a-z_]+)`", row))
    codes |= set(re.findall(r"with code `([a-z_]+)`", section))
    return codes


def unjudged_codes() -> set[str]:
    codes = set()
    for path in PACKAGE.rglob("*.py"):
        codes |= set(re.findall(r"Unjudged\([^,()]+,\s*\"([a-z_]+)\"",
                                path.read_text(encoding="utf-8")))
    return codes


def _entries() -> dict[str, str]:
    """code → its heading line in errors.md (headings `### CODE …`)."""
    return {m[1]: m[0] for m in re.finditer(r"^### `?([A-Za-z_0-9]+)`?.*$", page_text("errors.md"),
                                             re.M)}


def test_the_code_tables_are_read() -> None:
    # the scans above must find what they are meant to find, or the tests below prove nothing
    assert {"WZ001", "WZ002", "WZ003", "WZ004", "WZ101", "WZ203"} <= emitted_wz_codes()
    assert {"bad_json", "naive_time", "unknown_post", "bad_mapping"} <= rejection_codes()
    assert {"calendar_range", "clock_start", "item"} <= unjudged_codes()


def test_every_diagnostic_code_has_an_entry_with_its_chinese_title() -> None:
    entries = _entries()
    missing = sorted(emitted_wz_codes() - set(entries))
    assert not missing, f"codes missing from docs/zh/errors.md: {missing}"
    stale = [code for code, (zh, _) in CODES.items() if zh not in entries[code]]
    assert not stale, f"headings of docs/zh/errors.md without the code's Chinese title: {stale}"


def test_every_diagnostic_code_has_a_wrong_example_that_produces_it() -> None:
    wrong = {b.info.split()[2] for b in WZ if b.info.split()[1:2] == ["错误示例"]}
    fixed = {b.info.split()[2] for b in WZ if b.info.split()[1:2] == ["改正"]}
    missing = sorted(emitted_wz_codes() - wrong - set(NOT_PRODUCIBLE) - BY_SOURCES)
    assert not missing, f"codes without a ```wz 错误示例 CODE block in docs/zh/errors.md: {missing}"
    unfixed = sorted(wrong - fixed)
    assert not unfixed, f"wrong examples without a ```wz 改正 CODE block: {unfixed}"
    # the citation codes: under its heading, a `wenze check --sources` shown reporting the code,
    # and one shown finding nothing
    text = page_text("errors.md")
    for code in sorted(BY_SOURCES):
        section = text.split(_entries()[code], 1)[1].split("\n### ", 1)[0]
        runs = [c for c in COMMANDS if c.block.page == "errors.md" and c.block.body in section
                and "--sources" in c.command]
        assert any(f"[{code}]" in line for c in runs for line in c.shown), \
            f"{code}: no `wenze check --sources` in its entry shows it"
        assert any("未发现问题" in line for c in runs for line in c.shown), \
            f"{code}: no `wenze check --sources` in its entry shows the fix"


def test_every_rejection_and_unjudged_code_has_an_entry() -> None:
    entries = _entries()
    missing = sorted((rejection_codes() | unjudged_codes()) - set(entries))
    assert not missing, f"codes missing from docs/zh/errors.md: {missing}"
    shown = {b.info.split()[2] for b in JSONL}
    unshown = sorted(rejection_codes() - LOG_ONLY - set(UNSHOWABLE) - shown) + \
        sorted(unjudged_codes() - shown)
    assert not unshown, f"codes without a ```jsonl example in docs/zh/errors.md: {unshown}"


# --------------------------------------------------------------------------- links


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces → hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_of_the_guide_leads_to_a_page_and_heading() -> None:
    broken = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", text):
            if "://" in target:
                continue
            path = (page.parent / target).resolve() if target else page
            if not path.exists():
                broken.append(f"{page.name}: ({target}#{anchor})")
                continue
            if anchor and path.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
                if anchor not in {slug(h) for h in headings}:
                    broken.append(f"{page.name}: ({target}#{anchor})")
    assert not broken, f"links to nowhere: {broken}"


# --------------------------------------------------------------------------- the readers' words

# programming words the readers (legal-affairs and efficiency offices) should not meet in the prose
JARGON = ("AST", "scope", "token", "boolean", "parser",
          "语法树", "作用域", "布尔", "字符串", "变量", "函数", "编译")


def test_the_prose_speaks_the_readers_language() -> None:
    found = []
    for page in PAGES:
        prose = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
        prose = re.sub(r"`[^`\n]*`", "", prose)
        found += [f"{page.name}: {word}" for word in JARGON
                  if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", prose, re.I)]
    assert not found, f"programming words in the guide's prose: {found}"
