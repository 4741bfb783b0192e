"""Line-count and wording checks, run by `make lint` beside ruff and import-linter.

They read files only (no import of the package), so they take milliseconds:

- README.md stays what a newcomer reads on one page: under 300 lines, naming the two set-up
  commands (`make synth`, and `make test`, which CI's .ci/run calls).
- Every fenced code block of README.md and docs/ names its language (the docs tests check each
  block by its language).
- docs/ARCHITECTURE.md's package table lists every package of constructs/rds_ha.
- Every package's __init__ says what it owns and what it may import.
- No library module is over about 400 lines (one construct per file, its helpers beside it).

Exit 1 with one line per problem.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "constructs" / "rds_ha"
README_MAX_LINES = 300
README_COMMANDS = ("make synth", "make test")
MODULE_MAX_LINES = 420
FENCE = re.compile(r"^ *(`{3,})(.*)$")


def readme_problems(readme: str) -> list[str]:
    problems = []
    lines = len(readme.splitlines())
    if lines >= README_MAX_LINES:
        problems.append(
            f"README.md: {lines} lines, must be under {README_MAX_LINES}: move the detail to docs/"
        )
    problems += [
        f"README.md: does not name `{command}`"
        for command in README_COMMANDS
        if f"{command}" not in readme
    ]
    return problems


def fence_problems(name: str, text: str) -> list[str]:
    """Opening fences without a language; a closing fence is the bare fence after one."""
    problems, open_fence = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if not match:
            continue
        fence, info = match.groups()
        if open_fence is None:
            open_fence = fence
            if not info.strip():
                problems.append(f"{name}:{number}: code block without a language")
        elif fence == open_fence and not info.strip():
            open_fence = None
    if open_fence is not None:
        problems.append(f"{name}: unclosed code block")
    return problems


def packages(root: Path = PACKAGE) -> list[str]:
    return sorted(init.parent.name for init in root.glob("*/__init__.py"))


def architecture_problems(architecture: str, names: list[str]) -> list[str]:
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", architecture, re.M))
    return [
        f"docs/ARCHITECTURE.md: the package table leaves out `{name}`"
        for name in names
        if name not in listed
    ]


def package_docstring_problems(name: str, source: str) -> list[str]:
    doc = ast.get_docstring(ast.parse(source)) or ""
    if len(doc) <= 80:
        return [f"{name}: needs a docstring saying what the package owns and may import"]
    if "import" not in doc:
        return [f"{name}: the docstring must say what the package may import"]
    return []


def module_length_problems(name: str, source: str) -> list[str]:
    lines = len(source.splitlines())
    if lines > MODULE_MAX_LINES:
        return [f"{name}: {lines} lines, over {MODULE_MAX_LINES}: split it"]
    return []


def problems(root: Path = ROOT) -> list[str]:
    found = readme_problems((root / "README.md").read_text())
    for path in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]:
        found += fence_problems(str(path.relative_to(root)), path.read_text())
    package = root / "constructs" / "rds_ha"
    found += architecture_problems(
        (root / "docs" / "ARCHITECTURE.md").read_text(), packages(package)
    )
    for init in sorted(package.glob("*/__init__.py")):
        found += package_docstring_problems(str(init.relative_to(root)), init.read_text())
    for module in sorted(package.rglob("*.py")):
        found += module_length_problems(str(module.relative_to(root)), module.read_text())
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
