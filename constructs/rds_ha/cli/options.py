"""Option types and helpers that several commands share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from rds_ha.cli import waiting
from rds_ha.cli.output import Timing

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the plan and change nothing.")]
DbId = Annotated[str, typer.Argument(help="DB instance (or Multi-AZ DB cluster) identifier.")]


def timeout_option(default: int) -> Any:
    """``--timeout SECONDS``, as ``timeout: Annotated[int, timeout_option(N)] = N``; its help
    names the command's default."""
    return typer.Option(
        "--timeout",
        min=1,
        metavar="SECONDS",
        help=f"Seconds to wait before giving up (default {default}).",
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def begin_timing() -> Timing:
    """Start timing a change (after the confirmation: waiting for the operator is not counted)."""
    # Read the timer at the call: tests replace waiting.DEFAULT_TIMER with a fake clock.
    return Timing.begin(utc_now(), waiting.DEFAULT_TIMER.clock)
