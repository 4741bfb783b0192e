"""``rds-ha unblock-rollback``: finish a failed first create that a protected database blocks."""

from __future__ import annotations

import contextlib
import functools
from typing import Annotated

import typer
from rich.console import Console

from rds_ha.cli import ops_rollback, waiting
from rds_ha.cli.context import CliContext
from rds_ha.cli.errors import aws_errors
from rds_ha.cli.options import DryRun, Yes, begin_timing, timeout_option
from rds_ha.cli.output import emit, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible

DEFAULT_TIMEOUT_SECONDS = 3600


@aws_errors
def unblock_rollback(
    ctx: typer.Context,
    stack_name: Annotated[
        str, typer.Argument(help="Stack in ROLLBACK_FAILED after its first create failed.")
    ],
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Annotated[int, timeout_option(DEFAULT_TIMEOUT_SECONDS)] = DEFAULT_TIMEOUT_SECONDS,
) -> None:
    """Finish a failed first create whose rollback a protected database blocks.

    Deletes (with a final snapshot) only the databases that this stack's failed create made,
    then the stack, then the fixed-name log groups the deletion keeps, so that `cdk deploy` can
    run again. Anything else is refused before a change (exit 2).
    """
    cli: CliContext = ctx.obj
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    cloudformation, rds = cli.client("cloudformation"), cli.client("rds")
    recovery = ops_rollback.inspect(cloudformation, rds, stack_name)
    if not approve(cli, recovery.plan(), yes=yes, dry_run=dry_run):
        return
    timing = begin_timing()
    for db in recovery.databases:
        ops_rollback.delete_database(rds, db)
        waiting.wait_for(
            f"DB {db.kind} {db.identifier} to be deleted",
            functools.partial(ops_rollback.database_gone, rds, db),
            timeout_seconds=timeout,
        )
    cloudformation.delete_stack(StackName=recovery.stack_id)
    waiting.wait_for(
        f"stack {stack_name} to be deleted",
        lambda: ops_rollback.stack_gone(cloudformation, recovery.stack_id),
        timeout_seconds=timeout,
    )
    if recovery.log_groups:
        logs = cli.client("logs")
        for name in recovery.log_groups:
            # The stack deletion may have removed it after all.
            with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
                logs.delete_log_group(logGroupName=name)
    times = timing.end()
    result = {
        "stack": stack_name,
        "deleted_databases": [db.identifier for db in recovery.databases],
        "final_snapshots": [db.final_snapshot for db in recovery.databases],
        "deleted_log_groups": recovery.log_groups,
        **times,
    }

    def render(console: Console) -> None:
        console.print(
            f"Stack {stack_name} is deleted; final snapshots: "
            f"{', '.join(result['final_snapshots'])}. Run `cdk deploy` again."
        )
        console.print(timing_line(times))

    emit(cli, result, render)
