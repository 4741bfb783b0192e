"""``rds-ha guard`` and ``rds-ha protect``: keep changes from replacing or deleting data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError

from rds_ha.cli.app import app
from rds_ha.cli.context import CliContext, OutputFormat
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
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
        print_report(report, cli.console)
    if not report.safe:
        raise typer.Exit(code=1)


@app.command()
def protect(
    ctx: typer.Context,
    stack_name: Annotated[str, typer.Argument(help="Deployed CloudFormation stack to protect.")],
    yes: Annotated[bool, typer.Option("--yes", help="Apply without asking.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the policy, change nothing.")
    ] = False,
) -> None:
    """Set a stack policy denying Update:Replace and Update:Delete on stateful resources."""
    cli: CliContext = ctx.obj
    cloudformation = cli.client("cloudformation")
    template = fetch_template(cloudformation, stack_name)
    if not stateful_logical_ids(template):
        raise CheckFailedError(
            f"stack {stack_name!r} has no stateful resources to protect; nothing was changed"
        )
    policy = stack_policy_for_template(template)
    _show(cli, stack_name, policy, dry_run=dry_run)
    if dry_run:
        return
    if not yes:
        typer.confirm(
            f"Set this stack policy on {stack_name}?", abort=True, err=True, default=False
        )
    apply_stack_policy(cloudformation, stack_name, policy)
    if cli.output is OutputFormat.TEXT:
        cli.console.print(f"Stack policy set on {stack_name}.")


def fetch_template(cloudformation: Any, stack_name: str) -> dict[str, Any]:
    """The template CloudFormation holds for the stack, as submitted (JSON or YAML)."""
    try:
        response = cloudformation.get_template(StackName=stack_name, TemplateStage="Original")
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        raise UnsafeOperationError(
            f"cannot read the template of stack {stack_name!r}: {message}; nothing was changed"
        ) from error
    body = response["TemplateBody"]
    if isinstance(body, dict):
        return body
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        # cfn-lint's loader understands the !Ref / !GetAtt short forms of YAML templates.
        from cfnlint.decode.cfn_yaml import loads as load_yaml  # noqa: PLC0415 (slow import)

        return load_yaml(body)


def apply_stack_policy(cloudformation: Any, stack_name: str, policy: dict[str, Any]) -> None:
    try:
        cloudformation.set_stack_policy(StackName=stack_name, StackPolicyBody=json.dumps(policy))
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        raise CheckFailedError(
            f"setting the stack policy on {stack_name!r} failed: {message}"
        ) from error


def _show(cli: CliContext, stack_name: str, policy: dict[str, Any], *, dry_run: bool) -> None:
    if cli.output is OutputFormat.JSON:
        typer.echo(json.dumps({"stack": stack_name, "dry_run": dry_run, "policy": policy}))
        return
    cli.console.print(f"Stack policy for {stack_name}:")
    cli.console.print_json(json.dumps(policy))
    if dry_run:
        cli.console.print("Dry run: nothing was changed.")
