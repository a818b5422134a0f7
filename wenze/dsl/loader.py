"""The language stage: files → one merged, checked rulebook.

text → parse → **load** (resolve ``继承 "path.wz"``, merge base declarations, apply ``覆盖``,
flatten ``事项 X 继承 Y``) → named check passes (``wenze.dsl.checks``) → lower → evaluate.

A rulebook's header may extend other rulebooks; paths are relative to the file that names them
and are followed recursively, but never out of the **root**: the folder of the top-level rulebook
(or the folder given as ``root``, ``--rulebook-path`` on the command line). An absolute path, a
``..`` or a symbolic link leading out of the root, a path that is not a ``.wz`` file, a device,
a FIFO, a file over :data:`MAX_RULEBOOK_BYTES` and more than :data:`MAX_EXTENDS_DEPTH` files
extending one another are refused with WZ119 before anything is read, so a rulebook uploaded to a
service can never make wenze read (or print a line of) any other file.

The merged rulebook holds the base declarations first (in the order
of the ``继承`` clauses, each file once), then the file's own. Redeclaring an inherited name of the
same kind needs ``覆盖``/``override``, which replaces the inherited declaration in place; a county
may only tighten statutory limits, never loosen them. An overriding declaration replaces the
inherited one entirely (write ``事项 「县X」 继承 「X」 { … }`` to change only some fields).

Errors of the top-level file itself being unreadable are raised as :class:`OSError` (the CLI maps
them to exit status 2); everything else comes back as diagnostics.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import OrderedDict
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
from wenze.dsl.parser import MAX_RULEBOOK_CHARS, DeclarationCache, ParseResult

MAX_RULEBOOK_BYTES = 4 * MAX_RULEBOOK_CHARS  # UTF-8 takes at most four bytes a character
MAX_EXTENDS_DEPTH = 16  # files extending one another; the shipped rulebooks need two
PARSED_KEPT = 16  # parse results kept (the bases a service's rulebooks extend, the last texts)


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


def load_rulebook(path: str | Path, root: str | Path | None = None) -> LoadResult:
    """Parse ``path`` and every rulebook it extends, merge them, flatten item inheritance and run
    every check pass. ``继承`` reaches only files under ``root`` (default: the folder of
    ``path``). Raises :class:`OSError` only when ``path`` itself cannot be read."""
    return load_text(read_rulebook_text(Path(path)), str(path), root)


def load_text(text: str, file: str = "<string>", root: str | Path | None = None) -> LoadResult:
    """As :func:`load_rulebook`, for text already in memory that spans will call ``file``;
    ``继承`` paths are relative to the folder of ``file`` (the working folder for ``<string>``)
    and confined to ``root`` (default: that same folder)."""
    # the text is in memory: ``file`` is a name, shown as given; where it is resolved as a path
    # (the folder of its 继承 bases) a NUL, which no path can hold, stands as U+FFFD
    path = Path(file.replace("\x00", "\ufffd"))
    folder = path.parent if file != "<string>" else Path(".")
    loader = _Loader(Path(os.path.realpath(root if root is not None else folder)))
    raw = loader.load(path, file, text, [])
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


def read_rulebook_text(path: Path) -> str:
    """The UTF-8 text of a rulebook file. Raises :class:`OSError` (never prints any of the
    file's content) when it is not a regular file, is larger than :data:`MAX_RULEBOOK_BYTES` or
    is not UTF-8; reads no more than that many bytes whatever the file claims."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path}: not a regular file")
    with open(path, "rb") as f:
        data = f.read(MAX_RULEBOOK_BYTES + 1)
    if len(data) > MAX_RULEBOOK_BYTES:
        raise OSError(f"{path}: larger than {MAX_RULEBOOK_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise OSError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err


_read = read_rulebook_text


class _ParseCache:
    """The last :data:`PARSED_KEPT` parse results by (name, text): a parse is a pure function of
    the two, and its result immutable (frozen AST, tuple of diagnostics), so a text parsed again
    — the base every edit of a county's rulebook extends, checked on each keystroke in the
    workbench — is the same result, not parsed again. A new text is parsed through a
    :class:`~wenze.dsl.parser.DeclarationCache`: of a text edited in one place (the workbench's
    next keystroke) only the declarations the edit touched are parsed again. Shared by threads
    (the service's)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.kept: OrderedDict[tuple[str, str], ParseResult] = OrderedDict()
        self.lock = threading.Lock()
        self.declarations = DeclarationCache()

    def parse(self, text: str, display: str) -> ParseResult:
        key = (display, text)
        with self.lock:
            found = self.kept.get(key)
            if found is not None:
                self.kept.move_to_end(key)
                return found
        result = self.declarations.parse(text, display)
        with self.lock:
            self.kept[key] = result
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)
        return result


_PARSED = _ParseCache(PARSED_KEPT)


# --------------------------------------------------------------------------- extends resolution


@dataclass
class _Frame:
    key: Path  # resolved path, for cycle detection
    display: str  # the name spans and messages use
    via: A.StringLit | None = None  # the 继承 string of this file that leads to the next frame


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root  # resolved: no symbolic link in it
        self.sources: dict[str, str] = {}
        self.diagnostics: list[Diagnostic] = []
        self.done: dict[Path, A.Rulebook | None] = {}
        self.broken = False  # an extended rulebook could not be loaded: checks would only cascade

    def load(self, path: Path, display: str, text: str, stack: list[_Frame]) -> A.Rulebook | None:
        key = Path(os.path.realpath(path))
        if key in self.done:
            return self.done[key]
        self.sources[display] = text
        result = _PARSED.parse(text, display)
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
        if len(stack) > MAX_EXTENDS_DEPTH:
            self._refuse(ext, f"超过 {MAX_EXTENDS_DEPTH} 层继承",
                         f"more than {MAX_EXTENDS_DEPTH} rulebooks extend one another")
            return None
        found = self._confined(path, ext)
        if found is None:
            return None
        target, key = found
        target_display = os.path.normpath(os.path.join(os.path.dirname(display), ext.value))
        for i, frame in enumerate(stack):
            if frame.key == key:
                self.diagnostics.append(_cycle_diagnostic(stack[i:]))
                return None
        if not os.path.lexists(target):
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
            text = read_rulebook_text(key)
        except (OSError, ValueError) as err:
            reason = str(err).replace(str(key), ext.value)
            self.diagnostics.append(error(
                "WZ104",
                msg(f"无法读取继承的规则集 `{ext.value}`",
                    f"cannot read extended rulebook `{ext.value}`"),
                ext.span,
                help=msg(f"`{reason}`", f"`{reason}`"),
            ))
            return None
        base = self.load(target, target_display, text, stack)
        return base

    def _confined(self, path: Path, ext: A.StringLit) -> tuple[Path, Path] | None:
        """The path ``ext`` names (relative to ``path``'s folder) and where it really leads, or
        None after WZ119 when it may not be read: nothing outside the root is ever opened."""
        value = ext.value
        if not value or any(not ch.isprintable() for ch in value):
            self._refuse(ext, "路径中有控制字符", "the path holds a control character")
            return None
        if os.path.isabs(value) or value.startswith(("\\", "/")) or ":" in value:
            self._refuse(ext, "不能用绝对路径", "an absolute path is not allowed")
            return None
        if not value.endswith(".wz"):
            self._refuse(ext, "只能继承 `.wz` 规则集文件",
                         "only `.wz` rulebook files can be extended")
            return None
        target = path.parent / value
        written = Path(os.path.normpath(os.path.abspath(target)))
        if not _inside(written, Path(os.path.normpath(os.path.abspath(self.root)))) and \
                not _inside(Path(os.path.realpath(written.parent)) / written.name, self.root):
            self._refuse(ext, "路径指向规则集根目录之外", "the path leads out of the rulebook root")
            return None
        real = Path(os.path.realpath(target))
        if not _inside(real, self.root):
            self._refuse(ext, "符号链接指向规则集根目录之外",
                         "a symbolic link leads out of the rulebook root")
            return None
        if os.path.lexists(real):
            try:
                info = os.stat(real)
            except OSError:  # a symbolic link loop, a dangling link
                self._refuse(ext, "符号链接无法解析（循环或悬空）",
                             "a symbolic link cannot be followed (a loop or dangling)")
                return None
            if not stat.S_ISREG(info.st_mode):
                self._refuse(ext, "不是普通文件（目录、设备或管道）",
                             "not a regular file (a folder, device or pipe)")
                return None
            if info.st_size > MAX_RULEBOOK_BYTES:
                self._refuse(ext, f"文件超过 {MAX_RULEBOOK_BYTES} 字节",
                             f"the file is larger than {MAX_RULEBOOK_BYTES} bytes")
                return None
        elif os.path.islink(target):
            self._refuse(ext, "符号链接无法解析（循环或悬空）",
                         "a symbolic link cannot be followed (a loop or dangling)")
            return None
        return target, real

    def _refuse(self, ext: A.StringLit, zh: str, en: str) -> None:
        shown = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in ext.value[:80])
        self.broken = True
        self.diagnostics.append(error(
            "WZ119",
            msg(f"不允许继承 `{shown}`：{zh}", f"cannot extend `{shown}`: {en}"),
            ext.span,
            help=msg(f"继承只能指向规则集根目录 `{self.root.name or self.root}` 之内的 `.wz` 文件"
                     "（命令行用 `--rulebook-path` 指定根目录）",
                     f"`extends` reaches only `.wz` files inside the rulebook root "
                     f"`{self.root.name or self.root}` (set it with `--rulebook-path`)"),
        ))

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


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


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
        # the chain item → base → base's base … walked without recursion (a chain or cycle of
        # any length), then filled from its far end back
        chain = [item]
        seen = set(visiting)
        while True:
            last = chain[-1]
            if id(last) in memo:
                break
            base = items.get(last.base.text) if last.base is not None else None
            if not isinstance(base, A.ItemDecl) or base.name.text in seen:
                break
            seen.add(base.name.text)
            chain.append(base)
        parent = memo.get(id(chain[-1]), chain[-1])
        for child in reversed(chain[:-1]):
            filled = {f: getattr(parent, f) for f in _INHERITED_FIELDS if not getattr(child, f)}
            parent = replace(child, **filled) if filled else child
            memo[id(child)] = parent
        return parent

    decls = tuple(flat(d, frozenset({d.name.text})) if isinstance(d, A.ItemDecl) else d
                  for d in rulebook.decls)
    return replace(rulebook, decls=decls)


__all__ = ["LoadResult", "check_files", "flatten_items", "load_rulebook", "load_text"]
