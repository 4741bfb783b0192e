"""What a disruptive command will do, shown before it does it, and the confirmation gate."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from rds_ha.cli.context import CliContext, OutputFormat
from rds_ha.cli.errors import DeclinedError, UnsafeOperationError
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


def stdin_is_interactive() -> bool:
    """Whether someone can answer a prompt (tests replace this)."""
    return sys.stdin is not None and sys.stdin.isatty()


def require_confirmation_possible(*, yes: bool, dry_run: bool) -> None:
    """Refuse, before any AWS call, a run that would have to ask but cannot: in a pipe or a CI
    job nobody can answer, and a prompt that reads end-of-file must not look like a failure."""
    if yes or dry_run or stdin_is_interactive():
        return
    raise UnsafeOperationError(
        "this command asks for confirmation, but stdin is not a terminal: pass --yes to proceed "
        "without asking, or --dry-run to print the plan. Nothing was changed.",
        hint="pass --yes to confirm non-interactively, or --dry-run to see the plan.",
    )


def approve(cli: CliContext, plan: Plan, *, yes: bool, dry_run: bool) -> bool:
    """Show the plan; return True if the command may go ahead. With --dry-run print the plan and
    return False; without --yes ask, and stop (exit 3) on anything but yes."""
    if dry_run:
        if cli.output is OutputFormat.JSON:
            cli.console.file.write(to_json({"dry_run": True, "plan": plan.as_dict()}) + "\n")
            cli.result_written = True
        else:
            plan.render(cli.console)
            cli.console.print("Dry run: nothing was changed.")
        return False
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    # The plan goes to stderr in JSON mode so stdout carries only the result.
    plan.render(cli.console if cli.output is OutputFormat.TEXT else Console(stderr=True))
    if yes:
        return True
    try:
        confirmed = typer.confirm("Proceed?", default=False, err=True)
    except typer.Abort:  # end of input or Ctrl-C at the prompt
        confirmed = False
    if not confirmed:
        raise DeclinedError("declined at the confirmation prompt; nothing was changed.")
    return True
