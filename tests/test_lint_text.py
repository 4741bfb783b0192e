"""`make lint`'s line-count and wording checks (tools/lint_text.py) catch each problem they are
there for; `make lint` runs them over the repository."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lint() -> Any:
    spec = importlib.util.spec_from_file_location("lint_text", ROOT / "tools" / "lint_text.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_long_readme_or_one_without_the_set_up_commands_is_a_problem(lint) -> None:
    short = "# rds-ha\n\n```bash\nmake synth\nmake test\n```\n"
    assert lint.readme_problems(short) == []
    assert "300" in lint.readme_problems(short + "line\n" * 300)[0]
    assert lint.readme_problems(short.replace("make test", "make unit")) == [
        "README.md: does not name `make test`"
    ]


def test_a_code_block_without_a_language_is_a_problem(lint) -> None:
    assert lint.fence_problems("a.md", "```toml\nx = 1\n```\n\n```bash\nls\n```\n") == []
    assert lint.fence_problems("a.md", "text\n```\nls\n```\n") == [
        "a.md:2: code block without a language"
    ]
    assert lint.fence_problems("a.md", "```bash\nls\n") == ["a.md: unclosed code block"]


def test_a_package_the_architecture_table_leaves_out_is_a_problem(lint) -> None:
    table = "| Package | Owns |\n|---|---|\n| `database` | the database |\n"
    assert lint.architecture_problems(table, ["database"]) == []
    assert lint.architecture_problems(table, ["database", "proxy"]) == [
        "docs/ARCHITECTURE.md: the package table leaves out `proxy`"
    ]
    assert set(lint.packages()) >= {"database", "proxy", "replicas", "game_day", "cli"}


def test_a_package_docstring_must_say_what_it_owns_and_may_import(lint) -> None:
    good = '"""The database: ' + "x" * 80 + '. May import aws_cdk and catalog."""\n'
    assert lint.package_docstring_problems("p/__init__.py", good) == []
    assert lint.package_docstring_problems("p/__init__.py", '"""Short."""\n')
    no_rule = '"""The database: ' + "x" * 80 + '."""\n'
    assert "may import" in lint.package_docstring_problems("p/__init__.py", no_rule)[0]


def test_a_module_over_about_400_lines_is_a_problem(lint) -> None:
    assert lint.module_length_problems("m.py", "x = 1\n" * 420) == []
    assert lint.module_length_problems("m.py", "x = 1\n" * 421) == [
        "m.py: 421 lines, over 420: split it"
    ]
