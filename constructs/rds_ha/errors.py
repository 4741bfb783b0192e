"""Errors raised while building constructs from props or configuration."""

from __future__ import annotations

from collections.abc import Sequence


class ConfigurationError(ValueError):
    """Every problem found in one place's settings, raised together so all can be fixed at once."""

    def __init__(self, where: str, problems: Sequence[str]) -> None:
        self.where = where
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{where}: {len(self.problems)} problem(s):\n{lines}")
