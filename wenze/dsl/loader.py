"""The language stage: files → one merged, checked rulebook.

text → parse → **load** (resolve ``继承 "path.wz"``, merge base declarations, apply ``覆盖``,
flatten ``事项 X 继承 Y``) → named check passes (``wenze.dsl.checks``) → lower → evaluate.

A rulebook's header may extend other rulebooks; paths are relative to the file that names them
and are followed recursively. The merged rulebook holds the base declarations first (in the order
of the ``继承`` clauses, each file once), then the file's own. Redeclaring an inherited name of the
same kind needs ``覆盖``/``override``, which replaces the inherited declaration in place; a county
may only tighten statutory limits, never loosen them. An overriding declaration replaces the
inherited one entirely (write ``事项 「县X」 继承 「X」 { … }`` to change only some fields).

Errors of the top-level file itself being unreadable are raised as :class:`OSError` (the CLI maps
them to exit status 2); everything else comes back as diagnostics.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from wenze.dsl import ast as A
from wenze.dsl.checks import run_checks
from wenze.dsl.checks.common import (
    compare_durations,
    day_text,
    error,
    first_declared_here,
    kind_words,
    label,
    msg,
)
from wenze.dsl.diagnostics import Diagnostic, sorted_diagnostics
from wenze.dsl.parser import parse


@dataclass(frozen=True)
class LoadResult:
    """The merged rulebook (``None`` when the file itself does not parse), every diagnostic of
    every file involved (parse, load and check; sorted), and the text of each file by the name
    its spans use."""

    rulebook: A.Rulebook | None
    diagnostics: list[Diagnostic]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.rulebook is not None and not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def load_rulebook(path: str | Path) -> LoadResult:
    """Parse ``path`` and every rulebook it extends, merge them, flatten item inheritance and run
    every check pass. Raises :class:`OSError` only when ``path`` itself cannot be read."""
    return load_text(_read(Path(path)), str(path))


def load_text(text: str, file: str = "<string>") -> LoadResult:
    """As :func:`load_rulebook`, for text already in memory that spans will call ``file``;
    ``继承`` paths are relative to the folder of ``file`` (the working folder for ``<string>``)."""
    loader = _Loader()
    raw = loader.load(Path(file), file, text, [])
    rulebook = flatten_items(raw) if raw is not None else None
    diagnostics = list(loader.diagnostics)
    if rulebook is not None and not loader.broken:
        diagnostics += run_checks(rulebook)
    return LoadResult(rulebook, sorted_diagnostics(diagnostics), loader.sources)


def check_files(paths: Iterable[str | Path]) -> tuple[list[Diagnostic], dict[str, str]]:
    """Load and check several rulebooks; the diagnostics of all (each reported once, sorted) and
    the text of every file involved. Raises :class:`OSError` when a named file cannot be read."""
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for path in paths:
        result = load_rulebook(path)
        diagnostics += result.diagnostics
        sources.update(result.sources)
    return sorted_diagnostics(diagnostics), sources


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise OSError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err


# --------------------------------------------------------------------------- extends resolution


@dataclass
class _Frame:
    key: Path  # resolved path, for cycle detection
    display: str  # the name spans and messages use
    via: A.StringLit | None = None  # the 继承 string of this file that leads to the next frame


class _Loader:
    def __init__(self) -> None:
        self.sources: dict[str, str] = {}
        self.diagnostics: list[Diagnostic] = []
        self.done: dict[Path, A.Rulebook | None] = {}
        self.broken = False  # an extended rulebook could not be loaded: checks would only cascade

    def load(self, path: Path, display: str, text: str, stack: list[_Frame]) -> A.Rulebook | None:
        key = path.resolve()
        if key in self.done:
            return self.done[key]
        self.sources[display] = text
        result = parse(text, display)
        self.diagnostics += result.diagnostics
        own = result.rulebook
        if own is None:
            self.done[key] = None
            return None
        inherited: list[A.Decl] = []
        frame = _Frame(key, display)
        for ext in own.header.extends or ():
            base = self._load_base(path, display, ext, [*stack, replace(frame, via=ext)])
            if base is None:
                self.broken = True
                continue
            inherited = _union(inherited, base.decls)
        merged, overrides = self._merge(inherited, own.decls)
        # kept unflattened: an item of the base that 继承s an item the county overrides must
        # inherit the county's version, so items are flattened once, on the final merge
        rulebook = replace(own, decls=tuple(merged))
        if overrides:
            self._check_tightening(flatten_items(replace(own, decls=tuple(inherited))),
                                   flatten_items(rulebook), overrides)
        self.done[key] = rulebook
        return rulebook

    def _load_base(self, path: Path, display: str, ext: A.StringLit,
                   stack: list[_Frame]) -> A.Rulebook | None:
        target = path.parent / ext.value
        target_display = os.path.normpath(os.path.join(os.path.dirname(display), ext.value))
        key = target.resolve()
        for i, frame in enumerate(stack):
            if frame.key == key:
                self.diagnostics.append(_cycle_diagnostic(stack[i:]))
                return None
        if not target.is_file():
            self.diagnostics.append(error(
                "WZ104",
                msg(f"找不到继承的规则集 `{ext.value}`",
                    f"extended rulebook `{ext.value}` not found"),
                ext.span,
                help=msg(f"路径相对于本文件所在目录，即 `{target_display}`",
                         f"the path is relative to this file's folder: `{target_display}`"),
            ))
            return None
        try:
            text = _read(target)
        except OSError as err:
            self.diagnostics.append(error(
                "WZ104",
                msg(f"无法读取继承的规则集 `{ext.value}`",
                    f"cannot read extended rulebook `{ext.value}`"),
                ext.span,
                help=msg(f"`{err}`", f"`{err}`"),
            ))
            return None
        base = self.load(target, target_display, text, stack)
        return base

    # ----------------------------------------------------------------------- merge

    def _merge(self, inherited: list[A.Decl], own: Iterable[A.Decl]
               ) -> tuple[list[A.Decl], list[tuple[A.Decl, A.Decl]]]:
        merged = list(inherited)
        index = {(type(d), d.name.text): i for i, d in enumerate(merged)}
        seen_own: set[tuple[type, str]] = set()
        overrides: list[tuple[A.Decl, A.Decl]] = []
        repealed: set[int] = set()
        for decl in own:
            if isinstance(decl, A.Repeal):
                self._repeal(decl, index, repealed)
                continue
            key = (type(decl), decl.name.text)
            zh, en = kind_words(type(decl))
            name = decl.name.text
            if key in index and key not in seen_own:
                base = merged[index[key]]
                if decl.override:
                    merged[index[key]] = decl
                    overrides.append((base, decl))
                else:
                    self.diagnostics.append(error(
                        "WZ106",
                        msg(f"{zh} `{name}` 已在继承的规则集中声明，重新声明须写 `覆盖`",
                            f"{en} `{name}` is inherited; redeclaring it needs `override`"),
                        decl.name.span,
                        labels=[first_declared_here(base.name.span)],
                        help=msg(f"写 `覆盖 {zh} 「{name}」 …` 以替换继承的声明，或换一个名称",
                                 f"write `override {en} {name} …` to replace it, or rename it"),
                    ))
            else:
                if decl.override and key not in index:
                    self.diagnostics.append(error(
                        "WZ107",
                        msg(f"`覆盖` 的{zh} `{name}` 在继承的规则集中不存在",
                            f"`override` of {en} `{name}`, which is not inherited"),
                        decl.name.span,
                        help=msg("去掉 `覆盖`，或检查名称与 `继承` 的文件",
                                 "remove `override`, or check the name and the extended files"),
                    ))
                merged.append(decl)
            seen_own.add(key)
        if repealed:
            merged = [d for i, d in enumerate(merged) if i not in repealed]
        return merged, overrides

    def _repeal(self, decl: A.Repeal, index: dict[tuple[type, str], int],
                repealed: set[int]) -> None:
        """``废止``: the inherited declaration leaves the merged rulebook (WZ707 when nothing
        of that kind and name is inherited)."""
        kind = A.REPEALABLE[decl.kind]
        found = index.get((kind, decl.name.text))
        if found is not None:
            repealed.add(found)
            return
        zh, en = kind_words(kind)
        self.diagnostics.append(error(
            "WZ707",
            msg(f"`废止` 的{zh} `{decl.name.text}` 在继承的规则集中不存在",
                f"`repeal` of {en} `{decl.name.text}`, which is not inherited"),
            decl.name.span,
            help=msg("只能废止继承来的声明：检查名称与 `继承` 的文件",
                     "only an inherited declaration can be repealed: check the name and the "
                     "extended files"),
        ))

    def _check_tightening(self, before: A.Rulebook, after: A.Rulebook,
                          overrides: list[tuple[A.Decl, A.Decl]]) -> None:
        """A county may shorten a statutory limit or an extension, never lengthen it (both
        compared after item inheritance is flattened)."""
        for base, new in overrides:
            base = before.named(type(base)).get(base.name.text, base)
            new = after.named(type(new)).get(new.name.text, new)
            pairs: list[tuple[str, str, object, object]] = []
            if isinstance(base, A.ItemDecl) and isinstance(new, A.ItemDecl):
                pairs = [("法定时限", "statutory limit", base.statutory, new.statutory),
                         ("延期", "extension", base.extension, new.extension)]
            elif isinstance(base, A.ProcessDecl) and isinstance(new, A.ProcessDecl):
                pairs = [("总时限", "overall limit", base.limit, new.limit),
                         ("延期", "extension", base.extension, new.extension)]
            for zh, en, old, cur in pairs:
                if old is None or cur is None:
                    continue
                old_d, cur_d = old.duration, cur.duration  # type: ignore[attr-defined]
                if compare_durations(cur_d, old_d) == 1:
                    czh, cen = day_text(cur_d)
                    ozh, oen = day_text(old_d)
                    self.diagnostics.append(error(
                        "WZ208",
                        msg(f"`{new.name.text}` 的{zh} `{czh}` 长于继承的 `{ozh}`",
                            f"{en} of `{new.name.text}` `{cen}` is longer than the inherited "
                            f"`{oen}`"),
                        cur.span,  # type: ignore[attr-defined]
                        labels=[label(old.span, f"继承的{zh}为 `{ozh}`",  # type: ignore[attr-defined]
                                      f"the inherited {en} is `{oen}`")],
                        help=msg("下级规则集只能缩短法定时限，不能延长",
                                 "a rulebook that extends another may only tighten its limits"),
                    ))


def _union(inherited: list[A.Decl], more: Iterable[A.Decl]) -> list[A.Decl]:
    """Declarations of several bases; a file reached twice (a diamond) contributes once."""
    seen = {(type(d), d.span) for d in inherited if d.span != A.NO_SPAN}
    out = list(inherited)
    for decl in more:
        if decl.span != A.NO_SPAN and (type(decl), decl.span) in seen:
            continue
        out.append(decl)
    return out


def _cycle_diagnostic(frames: list[_Frame]) -> Diagnostic:
    files = [f.display for f in frames] + [frames[0].display]
    chain_zh = " → ".join(f"`{f}`" for f in files)
    closing = frames[-1].via
    assert closing is not None
    labels = [
        label(f.via.span, f"`{f.display}` 在此继承 `{nxt}`", f"`{f.display}` extends `{nxt}` here")
        for f, nxt in zip(frames[:-1], files[1:-1], strict=True)
        if f.via is not None
    ]
    return error(
        "WZ105",
        msg(f"规则集循环继承：{chain_zh}", f"rulebooks extend each other in a cycle: {chain_zh}"),
        closing.span,
        labels=labels,
        help=msg("去掉其中一个 `继承`", "remove one of the `extends` clauses"),
    )


# --------------------------------------------------------------------------- item inheritance

_INHERITED_FIELDS = ("unit", "calendar", "process", "statutory", "promised", "extension",
                     "correction", "suspension", "warnings", "basis")


def flatten_items(rulebook: A.Rulebook) -> A.Rulebook:
    """Fill the fields an item leaves out from the item it ``继承``s (recursively). ``base`` is
    kept; an unknown base or an inheritance cycle is left for the checks to report."""
    items = rulebook.named(A.ItemDecl)
    if not any(isinstance(d, A.ItemDecl) and d.base is not None for d in rulebook.decls):
        return rulebook
    memo: dict[int, A.ItemDecl] = {}

    def flat(item: A.ItemDecl, visiting: frozenset[str]) -> A.ItemDecl:
        if id(item) in memo:
            return memo[id(item)]
        base = items.get(item.base.text) if item.base is not None else None
        if not isinstance(base, A.ItemDecl) or base.name.text in visiting:
            return item
        parent = flat(base, visiting | {item.name.text})
        filled = {f: getattr(parent, f) for f in _INHERITED_FIELDS if not getattr(item, f)}
        result = replace(item, **filled) if filled else item
        memo[id(item)] = result
        return result

    decls = tuple(flat(d, frozenset({d.name.text})) if isinstance(d, A.ItemDecl) else d
                  for d in rulebook.decls)
    return replace(rulebook, decls=decls)


__all__ = ["LoadResult", "check_files", "flatten_items", "load_rulebook", "load_text"]
