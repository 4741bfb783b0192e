"""Presenting a guard report as a table for people or as JSON for machines."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rds_ha.guard.compare import Finding, GuardReport
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


def print_report(report: GuardReport, console: Console) -> None:
    if report.findings:
        table = Table(title="Data-safety guard", show_lines=False)
        for column in ("", "Stack", "Logical id", "Type", "Category", "Property", "Old -> new"):
            table.add_column(column, overflow="fold")
        for finding in report.findings:
            # Values come from templates (an alarm description may read "CPU [/] over"):
            # escaped, so rich shows them rather than reading them as markup.
            table.add_row(
                "[red]UNSAFE[/red]" if finding.unsafe else "[green]ok[/green]",
                *(
                    escape(cell)
                    for cell in (
                        finding.stack,
                        finding.logical_id,
                        finding.resource_type,
                        str(finding.category),
                        finding.property or "",
                        f"{_shown(finding.old)} -> {_shown(finding.new)}",
                    )
                ),
            )
        console.print(table)
        for finding in report.unsafe_findings:
            console.print(
                f"[red]UNSAFE[/red] {escape(finding.stack)}/{escape(finding.logical_id)}: "
                f"{escape(finding.message)}",
                highlight=False,
            )
    count = len(report.stacks)
    if report.safe:
        console.print(f"Safe: no stateful resource is deleted or replaced ({count} stack(s)).")
    else:
        console.print(
            f"[red]Unsafe: {len(report.unsafe_findings)} finding(s) would delete, replace or "
            f"unprotect stateful resources ({count} stack(s)).[/red]"
        )
