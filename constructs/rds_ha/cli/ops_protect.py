"""The logic of ``rds-ha protect``: read a deployed stack's template and stack policy, and plan
the policy that denies Update:Replace and Update:Delete on its stateful resources."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.cli.errors import UnsafeOperationError
from rds_ha.cli.plans import Plan


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
        value: dict[str, Any] = json.loads(body)
        return value
    except json.JSONDecodeError:
        # cfn-lint's loader understands the !Ref / !GetAtt short forms of YAML templates.
        from cfnlint.decode.cfn_yaml import loads as load_yaml  # noqa: PLC0415 (slow import)

        loaded: dict[str, Any] = load_yaml(body)
        return loaded


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
