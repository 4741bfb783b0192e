"""``rds-ha protect``: a stack policy that keeps CloudFormation from replacing or deleting the
stateful resources of a deployed stack (logic in ops_protect)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from rds_ha.cli import ops_protect
from rds_ha.cli.context import CliContext
from rds_ha.cli.errors import UnsafeOperationError, aws_errors
from rds_ha.cli.options import DryRun, Yes
from rds_ha.cli.output import Timing, emit, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible
from rds_ha.guard import stack_policy_for_template
from rds_ha.guard.stack_policy import stateful_logical_ids


@aws_errors
def protect(
    ctx: typer.Context,
    stack_name: Annotated[str, typer.Argument(help="Deployed CloudFormation stack to protect.")],
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Set a stack policy denying Update:Replace and Update:Delete on stateful resources."""
    cli: CliContext = ctx.obj
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    cloudformation = cli.client("cloudformation")
    template = ops_protect.fetch_template(cloudformation, stack_name)
    protected = stateful_logical_ids(template)
    if not protected:
        raise UnsafeOperationError(
            f"stack {stack_name!r} has no stateful resources to protect; nothing was changed."
        )
    policy = stack_policy_for_template(template)
    current = ops_protect.current_stack_policy(cloudformation, stack_name)
    if current == policy:
        emit(
            cli,
            {"stack": stack_name, "policy": policy, "changed": False},
            lambda c: c.print(f"The stack policy of {stack_name} is already in place."),
        )
        return
    plan = ops_protect.plan_protect(stack_name, protected, current, policy)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    timing = Timing.begin(datetime.now(UTC), time.monotonic)
    cloudformation.set_stack_policy(StackName=stack_name, StackPolicyBody=json.dumps(policy))
    times = timing.end()

    def render(console: Console) -> None:
        console.print(f"Stack policy set on {stack_name}.")
        console.print(timing_line(times))

    emit(cli, {"stack": stack_name, "policy": policy, "changed": True, **times}, render)
