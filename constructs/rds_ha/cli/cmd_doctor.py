"""``rds-ha doctor``: audit a live database against the HA checklist (checks in ops_doctor), or
every database of the account and region with ``--all`` (ops_doctor_fleet)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from rds_ha.cli import ops_doctor, ops_doctor_fleet, ops_drift
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import find_database
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError, UsageError, aws_errors
from rds_ha.cli.options import utc_now
from rds_ha.cli.output import emit, table

# Optional here (unlike options.DbId): `doctor --all` names no database.
OptionalDbId = Annotated[
    str | None,
    typer.Argument(help="DB instance (or Multi-AZ DB cluster) identifier; or use --all."),
]


def _status_style(status: str) -> Text:
    colour = {
        "pass": "green",
        "warn": "yellow",
        "fail": "red",
        "error": "red",
        "unknown": "magenta",
    }.get(status, "dim")
    return Text(status.upper(), style=colour)


@aws_errors
def doctor(
    ctx: typer.Context,
    db_id: OptionalDbId = None,
    *,
    all_databases: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Audit every DB instance (not in a cluster) and Multi-AZ DB cluster of the "
            "region instead of DB_ID: a row each, exit 1 if any check of any fails.",
        ),
    ] = False,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            metavar="KEY=VALUE",
            help="With --all: only databases with this tag (repeatable; every key must match, "
            "any value given for a key).",
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=ops_doctor_fleet.MAX_CONCURRENCY,
            metavar="N",
            help=f"With --all: databases checked at once, 1-{ops_doctor_fleet.MAX_CONCURRENCY} "
            f"(default {ops_doctor_fleet.DEFAULT_CONCURRENCY}).",
        ),
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            metavar="PATH",
            help="Also report drift from this synthesized template (or cdk.out directory): "
            "engine version, class, parameter group, Multi-AZ, deletion protection, backup "
            "retention; and the engine's lifecycle (end of standard support, newer minors).",
        ),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            metavar="CHECK",
            help=f"Skip a check (repeatable): {', '.join(ops_doctor.CHECKS)}; with --template "
            f"also {', '.join(ops_drift.CHECKS)}.",
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
    """Audit a live database, or every one with --all; exit 1 if any check fails (use it to gate
    CI)."""
    cli: CliContext = ctx.obj
    allowed = list(ops_doctor.CHECKS) + (list(ops_drift.CHECKS) if template else [])
    unknown = sorted(set(skip or []) - set(allowed))
    if unknown:
        raise UnsafeOperationError(
            f"--skip {', '.join(unknown)}: unknown check; allowed: {', '.join(allowed)}."
        )
    thresholds = ops_doctor.Thresholds(min_backup_retention_days, max_data_loss_minutes)
    if all_databases:
        if db_id is not None:
            raise UnsafeOperationError(
                f"DB_ID {db_id!r} and --all: give one database or --all, not both."
            )
        if template is not None:
            raise UnsafeOperationError("--template goes with one DB_ID, not --all.")
        _doctor_all(cli, tag or [], concurrency, thresholds, frozenset(skip or []))
        return
    if tag or concurrency is not None:
        raise UnsafeOperationError("--tag and --concurrency go with --all.")
    if db_id is None:
        raise UsageError("Missing argument 'DB_ID' (or --all for every database).", ctx)
    rds = cli.client("rds")
    database = find_database(rds, db_id)
    # Read before any check runs: a wrong --template is bad input (exit 2), not a failed audit.
    in_template = ops_drift.find_in_template(template, database) if template else None
    clients = ops_doctor.Clients(
        rds=rds, cloudwatch=cli.client("cloudwatch"), secretsmanager=cli.client("secretsmanager")
    )
    now = utc_now()
    skipped = frozenset(skip or [])
    results = ops_doctor.run_checks(database, clients, thresholds=thresholds, skip=skipped, now=now)
    if in_template is not None:
        results += ops_drift.drift_checks(database, in_template, skipped)
        results += ops_drift.lifecycle_checks(rds, database, now, skip=skipped)
    failed = ops_doctor.failed(results)
    data = {
        "database": database.identifier,
        "kind": database.kind,
        "passed": not failed,
        "checks": [r.as_dict() for r in results],
    }
    if in_template is not None:
        data["template"] = {"path": str(template), **in_template.as_dict()}

    def render(console: Console) -> None:
        rows = [(r.id, _status_style(r.status), r.detail) for r in results]
        console.print(
            table(
                f"doctor {database.identifier} ({database.kind})",
                ["Check", "Status", "Detail"],
                rows,
            )
        )
        if in_template is not None:
            console.print(
                f"Template: {in_template.logical_id} in {in_template.template} "
                f"(stack {in_template.stack})."
            )
        console.print(f"{len(results) - len(failed)} of {len(results)} checks passed or skipped.")

    emit(cli, data, render)
    if failed:
        raise CheckFailedError(f"{len(failed)} check(s) failed: {', '.join(r.id for r in failed)}")


def _doctor_all(
    cli: CliContext,
    tag_values: list[str],
    concurrency: int | None,
    thresholds: ops_doctor.Thresholds,
    skip: frozenset[str],
) -> None:
    tags = ops_doctor_fleet.parse_tags(tag_values)
    # Clients are made here, before the worker threads start: boto3 sessions are not thread-safe.
    rds = cli.client("rds")
    clients = ops_doctor.Clients(
        rds=rds, cloudwatch=cli.client("cloudwatch"), secretsmanager=cli.client("secretsmanager")
    )
    databases = ops_doctor_fleet.list_databases(rds, tags)
    reports = ops_doctor_fleet.run_fleet(
        databases,
        clients,
        thresholds=thresholds,
        skip=skip,
        now=utc_now(),
        concurrency=concurrency or ops_doctor_fleet.DEFAULT_CONCURRENCY,
    )
    summary = ops_doctor_fleet.summary(reports, tags)
    region = rds.meta.region_name
    where = region + "".join(f", tag {t}" for t in tag_values)
    # A check that vouches for nothing must not pass: a wrong --region or --tag would otherwise
    # gate a release on an empty, green table.
    nothing_matched = (
        f"No database matched in {where}: check --region and --tag." if not reports else None
    )
    data = {
        "region": region,
        "passed": bool(reports) and not summary["failed"],
        "databases": [report.as_dict() for report in reports],
        "summary": summary,
    }
    if nothing_matched:
        data["message"] = nothing_matched

    def render(console: Console) -> None:
        rows = [
            (
                entry["database"],
                entry["engine"],
                entry["deployment"],
                _status_style(entry["status"]),
                ", ".join(entry["failed_checks"]) or "-",
            )
            for entry in data["databases"]
        ]
        console.print(
            table(
                f"doctor --all ({where})",
                ["Database", "Engine", "Deployment", "Status", "Failed checks"],
                rows,
            )
        )
        if nothing_matched:
            console.print(nothing_matched)
        else:
            console.print(f"{summary['passed']} of {summary['databases']} databases passed.")

    emit(cli, data, render)
    if nothing_matched:
        raise CheckFailedError(
            nothing_matched, hint="no database was checked; nothing vouched for."
        )
    if summary["failed"]:
        names = summary["failed_databases"]
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise CheckFailedError(
            f"{len(names)} of {summary['databases']} database(s) failed a check: {shown}"
        )
