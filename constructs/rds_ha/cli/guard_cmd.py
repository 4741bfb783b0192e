"""``rds-ha guard`` and ``rds-ha protect``: keep changes from replacing or deleting data."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.console import Console

from rds_ha.cli.app import app
from rds_ha.cli.commands import DryRun, Yes
from rds_ha.cli.context import CliContext, OutputFormat
from rds_ha.cli.errors import UnsafeOperationError, aws_errors
from rds_ha.cli.output import Timing, emit, timing_line
from rds_ha.cli.plans import Plan, approve, require_confirmation_possible
from rds_ha.guard import GuardInputError, compare_paths, stack_policy_for_template
from rds_ha.guard.report import print_report, report_to_json
from rds_ha.guard.stack_policy import stateful_logical_ids


@app.command()
def guard(
    ctx: typer.Context,
    baseline: Annotated[
        Path, typer.Argument(help="Released cloud assembly (cdk.out) or one template.")
    ],
    current: Annotated[Path, typer.Argument(help="New cloud assembly (cdk.out) or one template.")],
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also list the safe (in-place) changes.")
    ] = False,
) -> None:
    """Fail when CURRENT would delete, replace or unprotect a stateful resource of BASELINE."""
    cli: CliContext = ctx.obj
    try:
        report = compare_paths(baseline, current)
    except GuardInputError as error:
        raise UnsafeOperationError(str(error)) from error
    if cli.output is OutputFormat.JSON:
        typer.echo(report_to_json(report))
    else:
        print_report(report, cli.console, verbose=verbose)
    if not report.safe:
        raise typer.Exit(code=1)


@app.command()
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
    template = fetch_template(cloudformation, stack_name)
    protected = stateful_logical_ids(template)
    if not protected:
        raise UnsafeOperationError(
            f"stack {stack_name!r} has no stateful resources to protect; nothing was changed."
        )
    policy = stack_policy_for_template(template)
    current = current_stack_policy(cloudformation, stack_name)
    if current == policy:
        emit(
            cli,
            {"stack": stack_name, "policy": policy, "changed": False},
            lambda c: c.print(f"The stack policy of {stack_name} is already in place."),
        )
        return
    plan = plan_protect(stack_name, protected, current, policy)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    timing = Timing.begin(datetime.now(UTC), time.monotonic)
    cloudformation.set_stack_policy(StackName=stack_name, StackPolicyBody=json.dumps(policy))
    times = timing.end()

    def render(console: Console) -> None:
        console.print(f"Stack policy set on {stack_name}.")
        console.print(timing_line(times))

    emit(cli, {"stack": stack_name, "policy": policy, "changed": True, **times}, render)


def fetch_template(cloudformation: Any, stack_name: str) -> dict[str, Any]:
    """The template CloudFormation holds for the stack, as submitted (JSON or YAML)."""
    try:
        response = cloudformation.get_template(StackName=stack_name, TemplateStage="Original")
    except ClientError as error:
        info = error.response.get("Error", {})
        if info.get("Code") == "ValidationError" and "does not exist" in info.get("Message", ""):
            raise UnsafeOperationError(
                f"cannot read the template of stack {stack_name!r}: {info['Message']}; "
                "nothing was changed."
            ) from None
        raise
    body = response["TemplateBody"]
    if isinstance(body, dict):
        return body
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        # cfn-lint's loader understands the !Ref / !GetAtt short forms of YAML templates.
        from cfnlint.decode.cfn_yaml import loads as load_yaml  # noqa: PLC0415 (slow import)

        return load_yaml(body)


def current_stack_policy(cloudformation: Any, stack_name: str) -> dict[str, Any] | None:
    body = cloudformation.get_stack_policy(StackName=stack_name).get("StackPolicyBody")
    return json.loads(body) if body else None


def _statements(policy: dict[str, Any] | None) -> list[str]:
    return [json.dumps(s, sort_keys=True) for s in (policy or {}).get("Statement", [])]


def plan_protect(
    stack_name: str,
    protected: list[str],
    current: dict[str, Any] | None,
    policy: dict[str, Any],
) -> Plan:
    before, after = _statements(current), _statements(policy)
    steps = [f"deny Update:Replace and Update:Delete on {', '.join(protected)}"]
    steps += [f"add statement {s}" for s in after if s not in before]
    steps += [f"remove statement {s}" for s in before if s not in after]
    warnings = (
        []
        if current is None
        else ["the stack already has a policy; SetStackPolicy replaces it as shown above"]
    )
    return Plan(
        action=f"set the stack policy of {stack_name}",
        steps=steps,
        impact="none on running resources; CloudFormation refuses updates that would replace or "
        "delete the listed resources.",
        warnings=warnings,
        details={"stack": stack_name, "current_policy": current, "policy": policy},
    )
