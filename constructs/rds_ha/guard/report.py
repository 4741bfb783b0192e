"""Presenting a guard report as a table for people or as JSON for machines."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from rds_ha.guard.findings import Category, Finding, GuardReport
from rds_ha.guard.values import ABSENT

MAX_VALUE_WIDTH = 80


def _plain(value: Any) -> Any:
    """JSON-ready value; an absent property becomes null."""
    if value is ABSENT:
        return None
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "stack": finding.stack,
        "logical_id": finding.logical_id,
        "resource_type": finding.resource_type,
        "category": str(finding.category),
        "unsafe": finding.unsafe,
        "property": finding.property,
        "old": _plain(finding.old),
        "new": _plain(finding.new),
        "message": finding.message,
    }


def report_to_json(report: GuardReport) -> str:
    document = {
        "safe": report.safe,
        "unsafe_count": len(report.unsafe_findings),
        "stacks": list(report.stacks),
        "findings": [finding_to_dict(finding) for finding in report.findings],
    }
    return json.dumps(document, indent=2, sort_keys=False)


def _shown(value: Any) -> str:
    if value is ABSENT:
        text = "(absent)"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(_plain(value), sort_keys=True)
    return text if len(text) <= MAX_VALUE_WIDTH else text[: MAX_VALUE_WIDTH - 1] + "…"


def _line(finding: Finding) -> str:
    where = f"{finding.stack}/{finding.logical_id} ({finding.resource_type})"
    change = ""
    if finding.property:
        change = f" [{finding.property}: {_shown(finding.old)} -> {_shown(finding.new)}]"
    return f"{where}: {finding.message}{change}"


def print_report(report: GuardReport, console: Console, *, verbose: bool = False) -> None:
    """The verdict and the counts first, then one line per unsafe finding; the safe ones (in-place
    changes, replaced resources that hold no data) are counted, and listed with ``verbose``. Lines
    are never wrapped or cut: a CI log reads them whole at any width."""
    unsafe = report.unsafe_findings
    safe = [finding for finding in report.findings if not finding.unsafe]
    stacks = len(report.stacks)
    counts = f"{stacks} stack(s), {len(unsafe)} unsafe finding(s), {len(safe)} safe change(s)"
    if report.safe:
        console.print(
            f"Safe: no stateful resource is deleted or replaced ({counts}).",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"[red]Unsafe: {len(unsafe)} finding(s) would delete, replace or unprotect stateful "
            f"resources[/red] ({escape(counts)}).",
            highlight=False,
            soft_wrap=True,
        )
    # Values come from templates (an alarm description may read "CPU [/] over"): escaped, so
    # rich shows them rather than reading them as markup.
    for finding in unsafe:
        console.print(
            f"[red]UNSAFE[/red] {escape(finding.category)} {escape(_line(finding))}",
            highlight=False,
            soft_wrap=True,
        )
    # A stack that has no baseline is not compared at all: said even without --verbose.
    not_compared = [f for f in safe if f.category is Category.NO_BASELINE]
    for finding in [] if verbose else not_compared:
        console.print(
            f"[yellow]NOT COMPARED[/yellow] {escape(_line(finding))}",
            highlight=False,
            soft_wrap=True,
        )
    if verbose:
        for finding in safe:
            console.print(
                f"ok {escape(finding.category)} {escape(_line(finding))}",
                highlight=False,
                soft_wrap=True,
            )
    elif safe:
        console.print(
            f"{len(safe)} safe change(s) not listed; --verbose lists them.", highlight=False
        )
