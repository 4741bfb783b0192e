"""``rds-ha promote``: promote a read replica to a standalone instance (logic in ops_promote)."""

from __future__ import annotations

from typing import Annotated

import typer
from botocore.config import Config
from rich.console import Console

from rds_ha.cli import ops_promote, waiting
from rds_ha.cli.context import CliContext
from rds_ha.cli.errors import CheckFailedError, aws_errors
from rds_ha.cli.options import DryRun, Yes, begin_timing, timeout_option, utc_now
from rds_ha.cli.output import duration, emit, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible

ReplicaId = Annotated[str, typer.Argument(help="Read replica identifier (in --region).")]

# In a regional outage the source's region may not answer: ask it once, briefly, for its backup
# retention, and fall back to the default rather than hang on adaptive retries.
SOURCE_REGION_CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 1})


@aws_errors
def promote(
    ctx: typer.Context,
    replica_id: ReplicaId,
    *,
    backup_retention_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=35,
            metavar="DAYS",
            help="Backup retention of the promoted instance (default: the source's, or 7).",
        ),
    ] = None,
    max_lag_seconds: Annotated[
        int,
        typer.Option(min=0, metavar="SECONDS", help="Warn above this replica lag (default 60)."),
    ] = ops_promote.DEFAULT_MAX_LAG_SECONDS,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Annotated[int, timeout_option(3600)] = 3600,
) -> None:
    """Promote a read replica (same- or cross-region) to a standalone, writable instance."""
    cli: CliContext = ctx.obj
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    rds = cli.client("rds")
    region = rds.meta.region_name
    replica = ops_promote.load_replica(rds, replica_id)
    lag = ops_promote.replica_lag(cli.client("cloudwatch"), replica, utc_now())
    where = ops_promote.source_region(replica, region)
    source_rds = None
    if backup_retention_days is None:
        source_rds = (
            rds
            if where == region
            else cli.session.client("rds", region_name=where, config=SOURCE_REGION_CONFIG)
        )
    retention = ops_promote.backup_retention(backup_retention_days, source_rds, replica)
    plan = ops_promote.plan_promote(replica, region, lag, retention, max_lag_seconds)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    timing = begin_timing()
    ops_promote.promote(rds, replica, retention.days)
    promoted = ops_promote.wait_for_promotion(
        rds, replica, timeout_seconds=timeout, timer=waiting.DEFAULT_TIMER
    )
    problems = ops_promote.verify_promoted(promoted, retention.days)
    times = timing.end()
    endpoint = promoted.get("Endpoint", {})
    data = {
        "replica": replica.identifier,
        "region": region,
        "former_source": ops_promote.source_of(replica),
        "former_source_region": where,
        "endpoint": f"{endpoint.get('Address')}:{endpoint.get('Port')}",
        "replica_lag_seconds": lag.seconds,
        "backup_retention_days": promoted.get("BackupRetentionPeriod"),
        "problems": problems,
        **times,
    }

    def render(console: Console) -> None:
        console.print(
            f"Promoted {replica.identifier} to a standalone DB instance in "
            f"{duration(times['duration_seconds'])}; it no longer replicates from "
            f"{data['former_source']}."
        )
        console.print(f"Endpoint: {data['endpoint']} (repoint applications here)")
        console.print(f"Data loss window: {ops_promote.lag_text(lag)}.")
        console.print(timing_line(times))

    emit(cli, data, render)
    if problems:
        raise CheckFailedError(f"{replica.identifier} after promotion: {'; '.join(problems)}")
