"""``rds-ha upgrade``: an engine upgrade through an RDS blue/green deployment (checks and plan in
ops_upgrade, the deployment's steps in ops_bluegreen, environments.toml in upgrade_config)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from rds_ha.catalog import instance_classes as ic
from rds_ha.cli import (
    ops_bluegreen,
    ops_snapshot,
    ops_upgrade,
    ops_upgrade_clients,
    probe_options,
    probe_report,
    upgrade_config,
    upgrade_plan,
    waiting,
)
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import Database, check_identifier, find_database
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError, aws_errors
from rds_ha.cli.options import DbId, DryRun, Yes, begin_timing, timeout_option, utc_now
from rds_ha.cli.output import duration, emit, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible


@aws_errors
@probe_options.with_probe_options
def upgrade(
    ctx: typer.Context,
    db_id: DbId,
    *,
    to: Annotated[
        str | None, typer.Option("--to", metavar="VERSION", help="Target engine version.")
    ] = None,
    instance_class: Annotated[
        str | None,
        typer.Option("--instance-class", metavar="CLASS", help="Also change the class (green)."),
    ] = None,
    parameter_group: Annotated[
        str | None,
        typer.Option(
            "--parameter-group",
            metavar="NAME",
            help="The new family's parameter group; created from the current group's "
            "non-default values if it does not exist (default: DB_ID-<family>).",
        ),
    ] = None,
    switchover_timeout: Annotated[
        int,
        typer.Option(
            "--switchover-timeout",
            metavar="SECONDS",
            help="Seconds RDS may take to switch over before it rolls back (30-3600).",
        ),
    ] = ops_upgrade.SWITCHOVER_TIMEOUT_DEFAULT,
    write_config: Annotated[
        Path | None,
        typer.Option(
            "--write-config",
            metavar="PATH",
            help="After the switchover, set engine_version (and instance_class) in this "
            "environments.toml, in the environment of DB_ID.",
        ),
    ] = None,
    cleanup: Annotated[
        bool,
        typer.Option(
            "--cleanup",
            help="Delete the finished deployment and the old instance (final snapshot), or a "
            "deployment that was not switched over and its green.",
        ),
    ] = False,
    keep_hours: Annotated[
        float,
        typer.Option(
            "--keep-hours",
            min=0,
            metavar="HOURS",
            help="With --cleanup: keep the old instance this long after the switchover.",
        ),
    ] = ops_upgrade.KEEP_OLD_HOURS_DEFAULT,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Annotated[int, timeout_option(14400)] = 14400,
    probe_request: probe_options.ProbeRequest,
) -> None:
    """Upgrade the engine version with a blue/green deployment: snapshot, green copy on the new
    version, verification, switchover (writes blocked, typically under a minute), the old
    instance kept as a fallback until --cleanup; with --probe, also the downtime clients saw
    during the switchover."""
    cli: CliContext = ctx.obj
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    probe_request.check()
    identifier = check_identifier("DB_ID", db_id)
    if cleanup:
        if to or instance_class or parameter_group or write_config or probe_request.probe:
            raise UnsafeOperationError(
                "--cleanup takes no --to, --instance-class, --parameter-group, --write-config "
                "or --probe."
            )
        _cleanup(cli, identifier, keep_hours=keep_hours, yes=yes, dry_run=dry_run, timeout=timeout)
        return
    if not to:
        raise UnsafeOperationError("--to VERSION is required (or --cleanup).")
    ops_upgrade.check_switchover_timeout(switchover_timeout)
    group_name = ops_upgrade.check_group_name(parameter_group) if parameter_group else None
    if instance_class is not None:
        try:
            instance_class = ic.get(instance_class).name
        except ic.UnknownInstanceClassError as error:
            raise UnsafeOperationError(f"--instance-class: {error}") from None
    config = upgrade_config.plan_change(write_config, identifier, {}) if write_config else None

    rds = cli.client("rds")
    database = find_database(rds, identifier)
    proxies = ops_upgrade.check_upgrade(rds, database)
    ops_upgrade.check_no_deployment(rds, database)
    # The snapshot and the green each wait up to --timeout before the switchover.
    rotation = ops_upgrade_clients.rotation_problem(
        cli.client("secretsmanager"), database, utc_now(), timedelta(seconds=2 * timeout)
    )
    if rotation:
        raise UnsafeOperationError(f"cannot upgrade with a blue/green deployment: {rotation}")
    version = ops_upgrade.check_version(rds, database, to.strip())
    group = ops_upgrade.choose_parameter_group(rds, database, version, group_name)
    storage = ops_upgrade.free_storage(cli.client("cloudwatch"), database, utc_now())
    problem = ops_upgrade.storage_problem(storage, database)
    if problem:
        raise UnsafeOperationError(problem + " Nothing was changed.")
    snapshot_id, deployment_name = upgrade_plan.names_for(database, version.target, utc_now())
    plan = ops_upgrade.UpgradePlan(
        database=database,
        version=version,
        parameter_group=group,
        instance_class=instance_class or database.instance_class or "",
        switchover_timeout_seconds=switchover_timeout,
        free_storage=storage,
        snapshot_id=snapshot_id,
        deployment_name=deployment_name,
        warnings=ops_upgrade_clients.proxy_notes(database, proxies),
    )
    shown = upgrade_plan.render_plan(plan)
    prober = probe_request.prepare(
        cli,
        rds,
        database.identifier,
        shown,
        during="during the switchover (from its request until clients get answers again)",
        before_step="switch over",
    )
    if not approve(cli, shown, yes=yes, dry_run=dry_run):
        return
    if prober is not None:
        prober.preflight()

    timer = waiting.DEFAULT_TIMER
    timing = begin_timing()
    ops_snapshot.create_snapshot(rds, database, snapshot_id, timeout_seconds=timeout, timer=timer)
    copied = ops_bluegreen.create_parameter_group(rds, database, group) if group.create else None
    created = ops_bluegreen.create_deployment(rds, plan)
    deployment_id = created["BlueGreenDeploymentIdentifier"]
    green, build_seconds = ops_bluegreen.wait_for_green(
        rds, deployment_id, database.identifier, timeout_seconds=timeout, timer=timer
    )
    differences = ops_bluegreen.green_differences(rds, green, plan)
    if differences:
        raise CheckFailedError(
            f"the green {ops_bluegreen.identifier_of(green['Target'])} does not match the plan, "
            "so it was not switched over:\n  - "
            + "\n  - ".join(differences)
            + f"\n{database.identifier} is unchanged and still the primary; `rds-ha upgrade "
            f"{database.identifier} --cleanup` deletes the deployment and its green."
        )

    def switch() -> tuple[dict[str, Any], float]:
        return ops_bluegreen.switch_over(
            rds,
            deployment_id,
            database.identifier,
            timeout_seconds=switchover_timeout,
            timer=timer,
        )

    # Only the switchover is probed: building the green (minutes to hours) changes nothing
    # clients see. switch_seconds stays RDS's time, without the probe's wait for answers.
    (switched, switch_seconds), report = probe_options.run_probed(
        prober, switch, what=f"the switchover of {database.identifier}"
    )
    after = ops_bluegreen.after_switchover(rds, plan, switched, utc_now())
    pinned = config.pinned_engine_version if config is not None else None
    pin = upgrade_config.engine_version_pin(version.engine, pinned, version.target)
    settings = {"engine_version": pin} if pin else {}
    if plan.instance_class != database.instance_class:
        settings["instance_class"] = plan.instance_class
    if config is not None and settings:
        config = upgrade_config.ConfigChange(
            config.path, config.environment, settings, config.pinned_engine_version
        )
        upgrade_config.write_change(config)
    times = timing.end()
    data = {
        "database": database.identifier,
        "engine": version.engine,
        "from_version": version.current,
        "to_version": version.target,
        "major": version.major,
        "blue_green_deployment": deployment_id,
        "snapshot_id": snapshot_id,
        "free_storage": storage,
        "parameter_group": group.target,
        "parameter_group_created": group.create,
        "parameters_copied": copied,
        "green_seconds": round(build_seconds, 1),
        "switchover_seconds": round(switch_seconds, 1),
        **after,
        "old_instance_kept": True,
        "config_change": {
            "lines": [f'{key} = "{value}"' for key, value in settings.items()],
            "environment": config.environment if config else None,
            "written_to": str(config.path) if config and settings else None,
            "pinned_engine_version": pinned,
        },
        **times,
    }
    if prober is not None and report is not None:
        data["probe"] = prober.data(report)

    def render(console: Console) -> None:
        _render(console, database, data, settings, times, report=report)

    emit(cli, data, render)
    if prober is not None and report is not None:
        prober.raise_if_still_down(report)


def _render(
    console: Console,
    database: Database,
    data: dict[str, Any],
    settings: dict[str, str],
    times: dict[str, Any],
    *,
    report: probe_report.ProbeReport | None = None,
) -> None:
    name = database.identifier
    kind = "major" if data["major"] else "minor"
    console.print(
        escape(
            f"{name} now runs {data['engine']} {data['engine_version']} on "
            f"{data['instance_class']} ({kind} upgrade from {data['from_version']}, blue/green "
            f"deployment {data['blue_green_deployment']})."
        )
    )
    console.print(
        f"  green built and verified in {duration(data['green_seconds'])}; switchover took "
        f"{duration(data['switchover_seconds'])} (RDS: typically under a minute; measured from "
        f"the request to SWITCHOVER_COMPLETED, to within {ops_bluegreen.SWITCHOVER_POLL_SECONDS:g}"
        " s)."
    )
    if report is not None:
        probe_options.render_downtime(console, report)
    console.print(escape(f"  pre-upgrade snapshot: {data['snapshot_id']}"))
    if data["parameter_group_created"]:
        console.print(
            escape(
                f"  parameter group {data['parameter_group']} created with "
                f"{data['parameters_copied']} copied value(s)."
            )
        )
    if data["deletion_protection_reasserted"]:
        console.print(f"  deletion protection re-asserted on {name}.")
    old = data["old_instance"] or f"{name}-old1"
    console.print(
        escape(
            f"The old instance {old} ({data['engine']} {data['from_version']}) is kept, "
            "read-only, as a fallback: this command does not delete it. After "
            f"{ops_upgrade.KEEP_OLD_HOURS_DEFAULT} h remove it with `rds-ha upgrade {name} "
            "--cleanup` (final snapshot first)."
        )
    )
    change = data["config_change"]
    where = (
        f"[environments.{change['environment']}] of {change['written_to']}"
        if change["environment"]
        else f"environments.toml, in the environment whose database_identifier (or default "
        f"rds-ha-<env>) is {name}"
    )
    pinned = change["pinned_engine_version"]
    if not change["lines"]:
        console.print(
            escape(
                f'Nothing to write to {where}: its major-only pin engine_version = "{pinned}" '
                f"already describes {data['engine_version']} (RDS chooses the minor)."
            )
        )
    else:
        if pinned is not None and "engine_version" not in settings:
            console.print(
                escape(f'engine_version = "{pinned}" (major only) already describes the database.')
            )
        console.print(escape(f"Reconcile the CDK configuration: in {where}, set"))
        for line in change["lines"]:
            console.print(escape(f"  {line}"))
        if change["written_to"]:
            console.print(escape(f"Written to {change['written_to']}; comments and layout kept."))
        else:
            console.print("(pass --write-config PATH to write it.)")
    console.print(
        escape(
            "Then `cdk diff`: the engine version matches the database, so CloudFormation "
            "changes no version; the stack's own parameter group is rebuilt for the new family "
            f"and replaces {data['parameter_group']}, which you may then delete."
        )
    )
    console.print(timing_line(times))


def _cleanup(
    cli: CliContext, identifier: str, *, keep_hours: float, yes: bool, dry_run: bool, timeout: int
) -> None:
    rds = cli.client("rds")
    database = find_database(rds, identifier)
    deployments = ops_upgrade.deployments_of(rds, database.arn)
    cleanup = ops_bluegreen.find_cleanup(rds, database, deployments)
    warning = ops_bluegreen.check_keep_period(rds, cleanup, keep_hours, utc_now())
    plan = ops_bluegreen.plan_cleanup(database, cleanup, warning)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    timing = begin_timing()
    ops_bluegreen.run_cleanup(rds, cleanup, timeout_seconds=timeout, timer=waiting.DEFAULT_TIMER)
    times = timing.end()
    data = {
        "database": database.identifier,
        "blue_green_deployment": cleanup.deployment["BlueGreenDeploymentIdentifier"],
        "switched_over": cleanup.switched_over,
        "old_instance_deleted": cleanup.old_instance,
        "final_snapshot_id": cleanup.final_snapshot_id,
        **times,
    }

    def render(console: Console) -> None:
        if cleanup.switched_over:
            console.print(
                escape(
                    f"Deleted deployment {data['blue_green_deployment']} and {cleanup.old_instance}"
                    f" (final snapshot {cleanup.final_snapshot_id})."
                )
            )
        else:
            console.print(
                escape(
                    f"Deleted deployment {data['blue_green_deployment']} and its green; "
                    f"{database.identifier} is unchanged."
                )
            )
        console.print(timing_line(times))

    emit(cli, data, render)
