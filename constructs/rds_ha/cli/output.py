"""Printing results: JSON on stdout for machines, rich text for people. Progress and prompts go to
stderr so that ``--output json`` stays parseable."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rds_ha.cli.context import CliContext, OutputFormat


def utc(value: datetime) -> str:
    """A timestamp in UTC to the second, ``2026-11-24T20:55:20Z``; a naive one is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=_default, sort_keys=False)


def emit(cli: CliContext, data: dict[str, Any], render_text: Callable[[Console], None]) -> None:
    if cli.output is OutputFormat.JSON:
        # print() rather than rich: rich would wrap long lines and highlight.
        cli.console.file.write(to_json(data) + "\n")
        cli.result_written = True
    else:
        render_text(cli.console)


def table(title: str | None, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> Table:
    result = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        result.add_column(column)
    for row in rows:
        result.add_row(*(_cell(cell) for cell in row))
    return result


def _cell(value: Any) -> Text | str:
    """Styled cells are passed as rich Text; anything else (names and descriptions from AWS,
    which may read like markup, "CPU [/] over") is escaped."""
    return value if isinstance(value, Text) else escape(str(value))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = round(seconds)
    minutes, secs = divmod(abs(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    sign = "-" if seconds < 0 else ""
    if hours:
        return f"{sign}{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


@dataclass(frozen=True)
class Timing:
    """When a change started and how long it took. The duration comes from the same monotonic
    clock the waits use, so a wall-clock jump cannot make it negative; the end time is the start
    plus that duration, so the three figures always agree."""

    started_at: datetime
    _clock: Callable[[], float]
    _started: float

    @classmethod
    def begin(cls, now: datetime, clock: Callable[[], float]) -> Timing:
        return cls(now.astimezone(UTC).replace(microsecond=0), clock, clock())

    def end(self) -> dict[str, Any]:
        seconds = round(self._clock() - self._started)
        return {
            "started_at": self.started_at,
            "finished_at": self.started_at + timedelta(seconds=seconds),
            "duration_seconds": seconds,
        }


def timing_line(times: dict[str, Any]) -> str:
    return (
        f"Started {utc(times['started_at'])}, finished {utc(times['finished_at'])} "
        f"({duration(times['duration_seconds'])}, {times['duration_seconds']} s)."
    )
