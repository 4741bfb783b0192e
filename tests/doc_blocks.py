"""The documentation's Markdown files and their fenced code blocks, for the tests that run,
parse or check them: README.md and every page under docs/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})(?P<info>[^`\n]*)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its file, the line of its opening fence, its language and text."""

    path: Path
    line: int
    language: str
    text: str
    # The HTML comment right above the fence, e.g. ``<!-- example: construct-usage ... -->``.
    marker: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks_of(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, dedented to its fence (blocks in list items)."""
    found: list[Block] = []
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            body.append(lines[end][indent:] if lines[end][:indent].isspace() else lines[end])
            end += 1
        if end == len(lines):
            raise AssertionError(f"{path.relative_to(ROOT)}:{index + 1}: unclosed code block")
        previous = lines[index - 1].strip() if index else ""
        found.append(
            Block(
                path=path,
                line=index + 1,
                language=opening["info"].strip().split(" ")[0],
                text="\n".join(body) + "\n",
                marker=previous if previous.startswith("<!--") else "",
            )
        )
        index = end + 1
    return found


def all_blocks(*languages: str) -> list[Block]:
    """Every block of the documentation, of the given languages (all when none are given)."""
    return [
        block
        for path in markdown_files()
        for block in blocks_of(path)
        if not languages or block.language in languages
    ]


def page(relative: str) -> str:
    """The text of one documentation page, e.g. ``page("docs/fleets.md")``."""
    return (ROOT / relative).read_text()
