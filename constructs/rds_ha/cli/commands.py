"""The `rds-ha` commands: thin typer wrappers around the ops_* modules, which hold the logic."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from rds_ha.catalog import instance_classes as ic
from rds_ha.cli import (
    ops_advise,
    ops_doctor,
    ops_failover,
    ops_maintenance,
    ops_restore,
    ops_scale,
    ops_snapshot,
    waiting,
)
from rds_ha.cli.app import app
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import (
    check_identifier,
    find_database,
    require_available,
    require_instance,
)
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError, aws_errors
from rds_ha.cli.output import Timing, duration, emit, table, timing_line, utc
from rds_ha.cli.plans import approve, require_confirmation_possible

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the plan and change nothing.")]
DbId = Annotated[str, typer.Argument(help="DB instance (or Multi-AZ DB cluster) identifier.")]


def _timeout(default: int) -> Any:
    return Annotated[
        int,
        typer.Option(
            "--timeout",
            min=1,
            metavar="SECONDS",
            help=f"Seconds to wait before giving up (default {default}).",
        ),
    ]


def _cli(ctx: typer.Context) -> CliContext:
    return ctx.obj


def _now() -> datetime:
    return datetime.now(UTC)


def _begin() -> Timing:
    """Start timing a change (after the confirmation: waiting for the operator is not counted)."""
    return Timing.begin(_now(), waiting.DEFAULT_TIMER.clock)


def _status_style(status: str) -> Text:
    colour = {"pass": "green", "warn": "yellow", "fail": "red", "error": "red"}.get(status, "dim")
    return Text(status.upper(), style=colour)


@app.command()
@aws_errors
def doctor(
    ctx: typer.Context,
    db_id: DbId,
    *,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            metavar="CHECK",
            help=f"Skip a check (repeatable): {', '.join(ops_doctor.CHECKS)}.",
        ),
    ] = None,
    min_backup_retention_days: Annotated[
        int,
        typer.Option(min=1, max=35, metavar="DAYS", help="Fail below this backup retention."),
    ] = 7,
    max_data_loss_minutes: Annotated[
        float,
        typer.Option(
            min=1, metavar="MINUTES", help="Fail when the latest restorable time is older."
        ),
    ] = 15.0,
) -> None:
    """Audit a live database; exit 1 if any check fails (use it to gate CI)."""
    cli = _cli(ctx)
    unknown = sorted(set(skip or []) - set(ops_doctor.CHECKS))
    if unknown:
        raise UnsafeOperationError(
            f"--skip {', '.join(unknown)}: unknown check; allowed: {', '.join(ops_doctor.CHECKS)}."
        )
    rds = cli.client("rds")
    database = find_database(rds, db_id)
    clients = ops_doctor.Clients(rds=rds, cloudwatch=cli.client("cloudwatch"))
    thresholds = ops_doctor.Thresholds(min_backup_retention_days, max_data_loss_minutes)
    results = ops_doctor.run_checks(
        database, clients, thresholds=thresholds, skip=frozenset(skip or []), now=_now()
    )
    failed = ops_doctor.failed(results)
    data = {
        "database": database.identifier,
        "kind": database.kind,
        "passed": not failed,
        "checks": [r.as_dict() for r in results],
    }

    def render(console: Console) -> None:
        rows = [(r.id, _status_style(r.status), r.detail) for r in results]
        console.print(
            table(
                f"doctor {database.identifier} ({database.kind})",
                ["Check", "Status", "Detail"],
                rows,
            )
        )
        console.print(f"{len(results) - len(failed)} of {len(results)} checks passed or skipped.")

    emit(cli, data, render)
    if failed:
        raise CheckFailedError(f"{len(failed)} check(s) failed: {', '.join(r.id for r in failed)}")


@app.command()
@aws_errors
def failover(
    ctx: typer.Context,
    db_id: DbId,
    *,
    target_instance: Annotated[
        str | None, typer.Option(metavar="INSTANCE", help="DB cluster only: the reader to promote.")
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: _timeout(1200) = 1200,
) -> None:
    """Fail over to the standby (forced failover) and report the time and the AZ change."""
    cli = _cli(ctx)
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    rds = cli.client("rds")
    database = find_database(rds, db_id)
    if target_instance is not None:
        target_instance = check_identifier("--target-instance", target_instance)
    ops_failover.check_failover(database, target_instance)
    _, before = ops_failover.describe(rds, database)
    plan = ops_failover.plan_failover(database, before, target_instance)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    timer = waiting.DEFAULT_TIMER
    timing = _begin()
    started = timer.clock()
    ops_failover.start_failover(rds, database, target_instance)
    after = ops_failover.wait_for_failover(
        rds, database, before, timeout_seconds=timeout, timer=timer
    )
    seconds = timer.clock() - started
    times = timing.end()
    data = {
        "database": database.identifier,
        "writer_before": before.writer,
        "az_before": before.az,
        "writer_after": after.writer,
        "az_after": after.az,
        "seconds": round(seconds, 1),
        **times,
    }

    def render(console: Console) -> None:
        console.print(
            f"Failover of {database.identifier} complete in {duration(seconds)}: writer "
            f"{before.writer} in {before.az} -> {after.writer} in {after.az}."
        )
        console.print(timing_line(times))

    emit(cli, data, render)


@app.command()
@aws_errors
def restore(
    ctx: typer.Context,
    db_id: DbId,
    *,
    target: Annotated[
        str, typer.Option("--target", metavar="NEW_ID", help="Identifier of the new instance.")
    ],
    to: Annotated[
        str | None, typer.Option("--to", metavar="TIME", help="Restore time, ISO 8601 with offset.")
    ] = None,
    latest: Annotated[bool, typer.Option("--latest", help="Latest restorable time.")] = False,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: _timeout(7200) = 7200,
) -> None:
    """Restore to a point in time into a new instance configured like the source."""
    cli = _cli(ctx)
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    if (to is None) == (not latest):
        raise UnsafeOperationError("give exactly one of --to TIME or --latest.")
    restore_time = ops_restore.parse_restore_time(to) if to is not None else None
    target_id = check_identifier("--target", target)
    rds = cli.client("rds")
    source = ops_restore.load_source(rds, db_id)
    window = ops_restore.restore_window(rds, source)
    ops_restore.check_restore(rds, source, target_id, restore_time, window)
    params = ops_restore.restore_parameters(rds, source, target_id, restore_time)
    plan = ops_restore.plan_restore(source, params, window)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    if restore_time is None:
        # UseLatestRestorableTime restores to whatever RDS reports at the call, a few minutes
        # later than the plan's figure; read it again so the reported window is close to it.
        window = ops_restore.RestoreWindow(
            window.earliest, ops_restore.latest_restorable_time(rds, source) or window.latest
        )
    timing = _begin()
    requested = _now()
    point = restore_time or window.latest
    rds.restore_db_instance_to_point_in_time(**params)
    restored = ops_restore.wait_for_instance(
        rds,
        target_id,
        timeout_seconds=timeout,
        timer=waiting.DEFAULT_TIMER,
        what=f"restore into {target_id}",
    )
    restored = ops_restore.apply_follow_up(
        rds, source, restored, timeout_seconds=timeout, timer=waiting.DEFAULT_TIMER
    )
    mismatches = ops_restore.verify_restored(source, restored)
    times = timing.end()
    endpoint = restored.get("Endpoint", {})
    loss = (requested - point).total_seconds()
    data = {
        "source": source.identifier,
        "target": target_id,
        "restore_time": point,
        # --latest: RDS picks the time at the call; this is the value read just before it.
        "restore_time_approximate": restore_time is None,
        "endpoint": f"{endpoint.get('Address')}:{endpoint.get('Port')}",
        "data_loss_window_seconds": round(loss),
        "mismatches": mismatches,
        **times,
    }

    def render(console: Console) -> None:
        about = "about " if restore_time is None else ""
        console.print(f"Restored {source.identifier} as of {about}{utc(point)} into {target_id}.")
        console.print(f"Endpoint: {data['endpoint']}")
        console.print(
            f"Data loss window: {about}{duration(loss)} (changes after {utc(point)} are "
            f"not in {target_id})."
        )
        console.print(timing_line(times))

    emit(cli, data, render)
    if mismatches:
        raise CheckFailedError(
            f"{target_id} differs from {source.identifier}: {'; '.join(mismatches)}"
        )


@app.command()
@aws_errors
def snapshot(
    ctx: typer.Context,
    db_id: DbId,
    *,
    snapshot_id: Annotated[
        str | None, typer.Option(metavar="ID", help="Default: <DB_ID>-rds-ha-<UTC timestamp>.")
    ] = None,
    export_to: Annotated[
        str | None, typer.Option(metavar="BUCKET", help="Export to this S3 bucket.")
    ] = None,
    role: Annotated[
        str | None, typer.Option(metavar="ROLE_ARN", help="IAM role ARN RDS uses to write.")
    ] = None,
    kms_key: Annotated[
        str | None, typer.Option(metavar="KEY_ARN", help="KMS key ARN for the export.")
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: _timeout(7200) = 7200,
) -> None:
    """Take a manual snapshot, optionally export it to S3, and wait for both."""
    cli = _cli(ctx)
    ops_snapshot.check_export_options(export_to, role, kms_key)
    if export_to:
        # An export always asks; a plain snapshot asks only of a single-AZ instance (see below).
        require_confirmation_possible(yes=yes, dry_run=dry_run)
    rds = cli.client("rds")
    database = require_instance(rds, db_id, "snapshot")
    require_available(database, "a snapshot")
    now = _now()
    if snapshot_id is None:
        snap_id, field = ops_snapshot.snapshot_id_for(database, now), "default snapshot id"
    else:
        snap_id, field = snapshot_id, "--snapshot-id"
    snap_id = ops_snapshot.check_snapshot_id(snap_id, field)
    ops_snapshot.check_snapshot(rds, snap_id, field)
    task_id = ops_snapshot.export_task_id_for(snap_id, now) if export_to else None
    if task_id:
        ops_snapshot.check_export_task(rds, task_id)
    plan = ops_snapshot.plan_snapshot(database, snap_id, export_to, task_id)
    # A single-AZ snapshot pauses I/O and an export copies the data out: both ask first. A plain
    # Multi-AZ snapshot is taken from the standby and touches nothing, so it does not.
    quiet = database.multi_az and not export_to
    if not approve(cli, plan, yes=yes or quiet, dry_run=dry_run):
        return
    timer = waiting.DEFAULT_TIMER
    timing = _begin()
    snap = ops_snapshot.create_snapshot(
        rds, database, snap_id, timeout_seconds=timeout, timer=timer
    )
    data: dict[str, Any] = {
        "database": database.identifier,
        "snapshot": snap_id,
        "snapshot_arn": snap.get("DBSnapshotArn"),
        "export": None,
    }
    if export_to and task_id:
        task = ops_snapshot.export_snapshot(
            rds,
            snap,
            task_id=task_id,
            bucket=export_to,
            role=role or "",
            kms_key=kms_key or "",
            timeout_seconds=timeout,
            timer=timer,
        )
        data["export"] = {
            "task": task.get("ExportTaskIdentifier"),
            "status": task.get("Status"),
            "location": f"s3://{export_to}/{task_id}/",
        }
    times = timing.end()
    data.update(times)

    def render(console: Console) -> None:
        console.print(f"Snapshot {snap_id} of {database.identifier} is available.")
        if data["export"]:
            console.print(f"Exported to {data['export']['location']} ({data['export']['status']}).")
        console.print(timing_line(times))

    emit(cli, data, render)


@app.command("scale-up")
@aws_errors
def scale_up(
    ctx: typer.Context,
    db_id: DbId,
    *,
    to: Annotated[
        str, typer.Option("--to", metavar="CLASS", help="Target class, e.g. db.r6g.xlarge.")
    ],
    now: Annotated[
        bool, typer.Option("--now", help="Apply now, not in the next maintenance window.")
    ] = False,
    allow_downsize: Annotated[
        bool, typer.Option(help="Allow a class that is not larger than the current one.")
    ] = False,
    include_pending: Annotated[
        bool,
        typer.Option(help="With --now: also apply the modifications pending for the window."),
    ] = False,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: _timeout(3600) = 3600,
) -> None:
    """Change the instance class (Multi-AZ: standby first, then a failover)."""
    cli = _cli(ctx)
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    rds = cli.client("rds")
    database = require_instance(rds, db_id, "scale-up")
    change = ops_scale.check_class_change(database, to, allow_downsize=allow_downsize)
    pending = ops_scale.check_pending(database, now=now, include_pending=include_pending)
    warning = ops_scale.orderable_warning(rds, database, change.target.name)
    plan = ops_scale.plan_scale(database, change, now=now, warning=warning, pending=pending)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    timing = _begin()
    result = ops_scale.apply_scale(
        rds, database, change, now=now, timeout_seconds=timeout, timer=waiting.DEFAULT_TIMER
    )
    times = timing.end()
    data = {
        "database": database.identifier,
        "from": change.current.name,
        "to": change.target.name,
        **result,
        **times,
    }

    def render(console: Console) -> None:
        if result["state"] == "scheduled":
            window = database.raw.get("PreferredMaintenanceWindow", "unknown")
            console.print(
                f"Scheduled: {database.identifier} changes to {change.target.name} in the next "
                f"maintenance window ({window} UTC)."
            )
        else:
            took = f" in {duration(result['seconds'])}" if "seconds" in result else ""
            console.print(f"{database.identifier} now runs {result['instance_class']}{took}.")
        console.print(timing_line(times))

    emit(cli, data, render)


class ApplyWhen(StrEnum):
    IMMEDIATE = "immediate"
    NEXT_MAINTENANCE = "next-maintenance"


@app.command()
@aws_errors
def maintenance(
    ctx: typer.Context,
    db_id: DbId,
    *,
    apply: Annotated[
        ApplyWhen | None,
        typer.Option(
            "--apply",
            metavar="WHEN",
            help="Apply the pending actions: immediate or next-maintenance.",
        ),
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: _timeout(3600) = 3600,
) -> None:
    """List pending maintenance actions; with --apply, apply them."""
    cli = _cli(ctx)
    if apply is not None:
        require_confirmation_possible(yes=yes, dry_run=dry_run)
    rds = cli.client("rds")
    database = find_database(rds, db_id)
    actions = ops_maintenance.describe_actions(rds, database)
    applied: dict[str, Any] | None = None
    if apply is not None and actions:
        if apply is ApplyWhen.IMMEDIATE:
            require_available(database, "applying maintenance now")
        plan = ops_maintenance.plan_maintenance(database, actions, apply.value)
        if not approve(cli, plan, yes=yes, dry_run=dry_run):
            return
        timing = _begin()
        waited = ops_maintenance.apply_actions(
            rds,
            database,
            actions,
            apply.value,
            timeout_seconds=timeout,
            timer=waiting.DEFAULT_TIMER,
        )
        applied = {"opt_in_type": apply.value, "seconds": waited, **timing.end()}
    data = {"database": database.identifier, "pending": actions, "applied": applied}

    def render(console: Console) -> None:
        if not actions:
            console.print(f"No pending maintenance for {database.identifier}.")
            return
        rows = [
            (
                a["action"],
                a["description"],
                a["opt_in_status"],
                _date(a["auto_applied_after"]),
                _date(a["forced_apply_date"]),
            )
            for a in actions
        ]
        console.print(
            table(
                f"pending maintenance for {database.identifier}",
                ["Action", "Description", "Opt-in", "Auto-applied after", "Forced on"],
                rows,
            )
        )
        if applied:
            console.print(f"Applied ({applied['opt_in_type']}).")
            console.print(timing_line(applied))

    emit(cli, data, render)


def _date(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


@app.command()
@aws_errors
def advise(
    ctx: typer.Context,
    db_id: DbId,
    *,
    days: Annotated[int, typer.Option(min=1, max=455, help="History to read, in days.")] = 14,
) -> None:
    """Recommend the smallest class that keeps the load under the warning thresholds."""
    cli = _cli(ctx)
    rds = cli.client("rds")
    database = require_instance(rds, db_id, "advise")
    spec = ic.lookup(database.instance_class or "")
    if spec is None:
        raise UnsafeOperationError(
            f"{database.identifier} runs {database.instance_class!r}, which the instance-class "
            "catalog does not know; advise cannot size it."
        )
    history = ops_advise.fetch_history(cli.client("cloudwatch"), database, end=_now(), days=days)
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
