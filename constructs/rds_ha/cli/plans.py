"""What a disruptive command will do, shown before it does it, and the confirmation gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from rds_ha.cli.context import CliContext, OutputFormat
from rds_ha.cli.errors import CheckFailedError
from rds_ha.cli.output import to_json


@dataclass
class Plan:
    action: str  # one line: "fail over db-prod to its standby"
    steps: list[str] = field(default_factory=list)
    impact: str = ""  # what users of the database will notice
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "steps": self.steps,
            "impact": self.impact,
            "warnings": self.warnings,
            **self.details,
        }

    def render(self, console: Console) -> None:
        # Steps carry names and values from AWS: escaped so rich prints them as they are.
        console.print(f"[bold]Plan:[/bold] {escape(self.action)}")
        for number, step in enumerate(self.steps, start=1):
            console.print(f"  {number}. {escape(step)}")
        if self.impact:
            console.print(f"[bold]Impact:[/bold] {escape(self.impact)}")
        for warning in self.warnings:
            console.print(f"[yellow]Warning:[/yellow] {escape(warning)}")


def approve(cli: CliContext, plan: Plan, *, yes: bool, dry_run: bool) -> bool:
    """Show the plan; return True if the command may go ahead. With --dry-run print the plan and
    return False; without --yes ask, and stop (exit 1) on anything but yes."""
    if dry_run:
        if cli.output is OutputFormat.JSON:
            cli.console.file.write(to_json({"dry_run": True, "plan": plan.as_dict()}) + "\n")
        else:
            plan.render(cli.console)
            cli.console.print("Dry run: nothing was changed.")
        return False
    # The plan goes to stderr in JSON mode so stdout carries only the result.
    plan.render(cli.console if cli.output is OutputFormat.TEXT else Console(stderr=True))
    if yes:
        return True
    if not typer.confirm("Proceed?", default=False, err=True):
        raise CheckFailedError("cancelled at the confirmation prompt; nothing was changed.")
    return True
