"""Rulebook families: the versions of one rulebook in force one after another.

A family file names the versions, each an ordinary ``.wz`` rulebook whose header says when it
takes effect (``生效``, optionally ``至``)::

    规则族 「示例县机关效能问责办法」 {
      版本 "v2019.wz"
      版本 "v2022.wz"
    }

A later version normally extends the earlier one (``继承 "v2019.wz"``) and replaces what changed
with ``覆盖``, so every change is explicit. :func:`load_family` loads every version and checks
the family (``WZ7xx``): versions without a date, periods that overlap or leave a gap, versions
that do not load, and changes made without ``覆盖`` (a version that restates the earlier one
instead of extending it). A version without ``至`` is in force until the day before the next one
takes effect; the last, until further notice.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from wenze.dsl import ast as A
from wenze.dsl.checks.common import error, kind_words, label, msg, warning
from wenze.dsl.diagnostics import Diagnostic
from wenze.dsl.loader import LoadResult, load_rulebook
from wenze.dsl.parser import parse_family


@dataclass(frozen=True)
class Version:
    """One version of a family: its file, its loaded rulebook and the period it is in force."""

    path: str
    loaded: LoadResult
    effective_from: dt.date
    effective_until: dt.date | None  # None: until further notice

    @property
    def rulebook(self) -> A.Rulebook:
        assert self.loaded.rulebook is not None
        return self.loaded.rulebook

    @property
    def label(self) -> str:
        h = self.rulebook.header
        return h.version or self.path

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_until is None
                                               or day <= self.effective_until)


@dataclass
class FamilyLoad:
    """A loaded family: its versions in date order (only those that loaded) and every
    diagnostic of the family file and of its versions."""

    family: A.Family | None
    versions: list[Version] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.family is not None and bool(self.versions) and not any(
            d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    def version_on(self, day: dt.date) -> Version | None:
        """The version in force on ``day`` (None before the first takes effect, or after the
        last ends)."""
        return next((v for v in self.versions if v.in_force(day)), None)


def load_family(path: str | Path, root: str | Path | None = None) -> FamilyLoad:
    """Load a family file and every version it names, and check the family. Raises
    :class:`OSError` only when the family file itself cannot be read. Each version's ``继承``
    reaches only files under ``root`` (default: the family file's folder)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    parsed = parse_family(text, str(path))
    out = FamilyLoad(parsed.family, [], list(parsed.diagnostics), {str(path): text})
    if parsed.family is None:
        return out
    fam = parsed.family
    if not fam.versions:
        out.diagnostics.append(error(
            "WZ701", msg(f"规则族 `{fam.name.text}` 没有列出任何版本",
                         f"rulebook family `{fam.name.text}` lists no version"),
            fam.name.span, help=msg('在规则族中写 `版本 "文件.wz"`，每个版本一行',
                                    'list each version as `version "file.wz"`')))
        return out
    loaded: list[tuple[A.StringLit, LoadResult]] = []
    folder = path.parent.resolve()
    for ref in fam.versions:
        file = path.parent / ref.value
        if Path(ref.value).is_absolute() or not file.resolve().is_relative_to(folder):
            out.diagnostics.append(error(
                "WZ705", msg(f"版本文件 `{ref.value}` 不在规则族文件所在的文件夹内，不予读取",
                             f"version file `{ref.value}` lies outside the family file's "
                             "folder; not read"),
                ref.span, help=msg("把各版本放在规则族文件所在的文件夹（或其子文件夹）中",
                                   "keep the versions in the family file's folder (or below)")))
            continue
        try:
            result = load_rulebook(file, root or path.parent)
        except OSError as err:
            out.diagnostics.append(error(
                "WZ705", msg(f"找不到或无法读取版本文件 `{ref.value}`：{err.strerror or err}",
                             f"version file `{ref.value}` not found or unreadable: "
                             f"{err.strerror or err}"),
                ref.span, help=msg("版本文件的路径相对于规则族文件所在的文件夹",
                                   "a version's path is relative to the family file's folder")))
            continue
        out.sources.update(result.sources)
        out.diagnostics.extend(result.diagnostics)
        if not result.ok or result.rulebook is None:
            out.diagnostics.append(error(
                "WZ705", msg(f"版本 `{ref.value}` 有错误，规则族不完整",
                             f"version `{ref.value}` has errors; the family is incomplete"),
                ref.span, help=msg("先改正该版本文件中的错误", "fix the errors of that version")))
            continue
        header = result.rulebook.header
        if header.effective_from is None:
            out.diagnostics.append(error(
                "WZ702", msg(f"版本 `{ref.value}` 没有写生效日期",
                             f"version `{ref.value}` has no effective date"),
                header.name.span,
                help=msg("在规则集头部写 `生效 YYYY-MM-DD`（可加 `至 YYYY-MM-DD`）",
                         "write `effective YYYY-MM-DD` in its header")))
            continue
        loaded.append((ref, result))
    loaded.sort(key=lambda p: p[1].rulebook.header.effective_from)  # type: ignore[union-attr]
    out.diagnostics.extend(_periods(loaded))
    out.diagnostics.extend(_silent_changes(loaded, path.parent))
    for i, (ref, result) in enumerate(loaded):
        header = result.rulebook.header  # type: ignore[union-attr]
        until = header.effective_until
        if until is None and i + 1 < len(loaded):
            nxt = loaded[i + 1][1].rulebook.header.effective_from  # type: ignore[union-attr]
            until = nxt - dt.timedelta(days=1)  # type: ignore[operator]
        start = header.effective_from
        assert start is not None
        out.versions.append(Version(ref.value, result, start, until))
    return out


def _periods(loaded: list[tuple[A.StringLit, LoadResult]]) -> list[Diagnostic]:
    """WZ703 overlapping periods, WZ704 a gap between one version's end and the next's start."""
    out: list[Diagnostic] = []
    for (ref_a, a), (ref_b, b) in itertools.pairwise(loaded):
        ha, hb = a.rulebook.header, b.rulebook.header  # type: ignore[union-attr]
        start_b = hb.effective_from
        assert start_b is not None and ha.effective_from is not None
        if ha.effective_from == start_b or (ha.effective_until is not None
                                           and ha.effective_until >= start_b):
            out.append(error(
                "WZ703", msg(f"版本 `{ref_b.value}` 自 {start_b} 生效时，`{ref_a.value}` 仍然有效："
                             "施行期间重叠",
                             f"version `{ref_b.value}` takes effect on {start_b} while "
                             f"`{ref_a.value}` is still in force: the periods overlap"),
                hb.name.span,
                labels=[label(ha.name.span, "该版本的施行期间", "this version's period")],
                help=msg("把前一版本的 `至` 日期改为新版本生效的前一天",
                         "end the earlier version the day before the later one takes effect")))
        elif (ha.effective_until is not None
              and (gap_from := ha.effective_until + dt.timedelta(days=1)) < start_b):
            out.append(error(
                "WZ704", msg(f"{gap_from} 至 {start_b - dt.timedelta(days=1)} 没有有效的版本",
                             f"no version is in force from {gap_from} to "
                             f"{start_b - dt.timedelta(days=1)}"),
                hb.name.span, labels=[label(ha.name.span, f"此版本至 {ha.effective_until} 失效",
                                            f"this version ends on {ha.effective_until}")],
                help=msg("两个版本的施行期间应当首尾相接", "make the periods follow each other")))
    return out


def _silent_changes(loaded: list[tuple[A.StringLit, LoadResult]], folder: Path
                    ) -> list[Diagnostic]:
    """WZ706: a later version that does not extend the earlier one and states a declaration of
    it differently — a change no ``覆盖`` makes explicit."""
    out: list[Diagnostic] = []
    for (ref_a, a), (_ref_b, b) in itertools.pairwise(loaded):
        rb_b = b.rulebook
        assert rb_b is not None and a.rulebook is not None
        extends = {(folder / e.value).resolve() for e in rb_b.header.extends}
        if (folder / ref_a.value).resolve() in extends:
            continue  # the loader holds every redefinition to `覆盖`
        before = {(type(d), d.name.text): d for d in a.rulebook.decls
                  if isinstance(getattr(d, "name", None), A.Name)}
        for d in rb_b.decls:
            old = before.get((type(d), getattr(getattr(d, "name", None), "text", None)))
            if old is None or old == d:
                continue
            zh, en = kind_words(type(d))
            out.append(warning(
                "WZ706", msg(f"{zh} `{d.name.text}` 与上一版本 `{ref_a.value}` 不同，"
                             "但未以 `覆盖` 标明修改",
                             f"{en} `{d.name.text}` differs from the previous version "
                             f"`{ref_a.value}` without an `override` saying so"),
                d.name.span, labels=[label(old.name.span, "上一版本中的声明",
                                           "the declaration in the previous version")],
                help=msg(f'让本版本 `继承 "{ref_a.value}"`，并对修改的规则写 `覆盖`',
                         f'extend the previous version (`extends "{ref_a.value}"`) and write '
                         "`override` on each rule it changes")))
    return out


__all__ = ["FamilyLoad", "Version", "load_family"]
