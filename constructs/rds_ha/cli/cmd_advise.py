"""``rds-ha advise``: size the instance class from CloudWatch history (logic in ops_advise)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rds_ha.catalog import instance_classes as ic
from rds_ha.cli import ops_advise
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import require_instance
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError, aws_errors
from rds_ha.cli.options import DbId, utc_now
from rds_ha.cli.output import emit, table


@aws_errors
def advise(
    ctx: typer.Context,
    db_id: DbId,
    *,
    days: Annotated[int, typer.Option(min=1, max=455, help="History to read, in days.")] = 14,
) -> None:
    """Recommend the smallest class that keeps the load under the warning thresholds."""
    cli: CliContext = ctx.obj
    rds = cli.client("rds")
    database = require_instance(rds, db_id, "advise")
    spec = ic.lookup(database.instance_class or "")
    if spec is None:
        raise UnsafeOperationError(
            f"{database.identifier} runs {database.instance_class!r}, which the instance-class "
            "catalog does not know; advise cannot size it."
        )
    history = ops_advise.fetch_history(cli.client("cloudwatch"), database, end=utc_now(), days=days)
    storage = float(database.raw.get("AllocatedStorage") or 0)
    usage = ops_advise.summarize(history, spec, storage)
    advice = ops_advise.recommend(database, spec, usage)
    recommended = advice.recommended.name if advice.recommended else None
    data = {
        "database": database.identifier,
        "instance_class": spec.name,
        "days": days,
        "metrics": {
            name: None
            if u is None
            else {
                "unit": u.unit,
                "p95": round(u.p95, 2),
                "max": round(u.max, 2),
                "trend_per_week": round(u.trend_per_week, 3),
                "samples": u.samples,
            }
            for name, u in usage.items()
        },
        "needed": {
            "vcpus": round(advice.needed_vcpus, 2),
            "memory_gib": round(advice.needed_memory_gib, 2),
        },
        "verdict": advice.verdict,
        "recommended_class": recommended,
        "reasons": advice.reasons,
        "notes": advice.notes,
    }

    def render(console: Console) -> None:
        rows = []
        for name, u in usage.items():
            if u is None:
                rows.append((name, "no data", "", "", "", ""))
                continue
            arrow = "↗" if u.trend_per_week > 0 else ("↘" if u.trend_per_week < 0 else "→")
            rows.append(
                (
                    name,
                    u.unit,
                    f"{u.p95:.1f}",
                    f"{u.max:.1f}",
                    f"{arrow} {u.trend_per_week:+.2f}/week",
                    u.spark,
                )
            )
        console.print(
            table(
                f"{database.identifier} ({spec.name}), last {days} days",
                ["Metric", "Unit", "p95", "Max", "Trend", "History"],
                rows,
            )
        )
        for reason in advice.reasons:
            console.print(f"  {reason}")
        console.print(_verdict_line(database.identifier, spec.name, advice))
        for note in advice.notes:
            console.print(f"[dim]Note: {note}[/dim]")

    emit(cli, data, render)
    if advice.verdict == "no-data":
        raise CheckFailedError(
            f"no CloudWatch data for {database.identifier} in the last {days} days; cannot advise."
        )


def _verdict_line(db_id: str, current: str, advice: ops_advise.Recommendation) -> str:
    name = advice.recommended.name if advice.recommended else None
    if advice.verdict == "scale-up":
        return (
            f"[bold]Recommendation:[/bold] scale up to {name}: rds-ha scale-up {db_id} --to {name}"
        )
    if advice.verdict == "can-shrink":
        return f"[bold]Recommendation:[/bold] {current} fits; {name} would also fit."
    if advice.verdict == "fits":
        return f"[bold]Recommendation:[/bold] {current} fits the workload; no change."
    if advice.verdict == "too-large-for-catalog":
        return "[bold]Recommendation:[/bold] no catalog class is large enough; scale out."
    return "[bold]Recommendation:[/bold] none (no data)."
