"""``wenze features``: lint the Gherkin scenarios, run them, and report rule coverage."""

from __future__ import annotations

import argparse
from pathlib import Path

from wenze.bdd.lint import lint_features


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", default="features", help="the features folder")
    parser.add_argument("--coverage", action="store_true",
                        help="fail listing the rules of rules/*.wz no scenario exercises and the "
                             "judged clauses of rules/sources/*.rules.toml no scenario quotes")
    parser.add_argument("--lint", action="store_true", help="only check the .feature files")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"wenze: no such folder `{folder}` / 找不到目录 `{folder}`")
        return 2
    problems = lint_features(sorted(folder.glob("*.feature")))
    for problem in problems:
        print(problem.render(args.lang))
    if problems or args.lint:
        return 1 if problems else 0
    missing = [n for n in ("conftest.py", "test_features.py") if not (folder / n).is_file()]
    if missing:
        print(f"wenze: `{folder}` lacks {', '.join(missing)}, which load the wenze steps and "
              "run its .feature files: put scenarios in the repository's features/ folder, or "
              "copy those two files from it / "
              f"目录 `{folder}` 缺少 {'、'.join(missing)}（载入 wenze 步骤并运行 .feature 文件）："
              "请把场景放在仓库的 features/ 目录，或从那里复制这两个文件")
        return 2
    import pytest

    options = [str(folder), "-q", "-p", "no:cacheprovider"]
    if args.coverage:
        options.append("--wenze-coverage")
    return int(pytest.main(options))
