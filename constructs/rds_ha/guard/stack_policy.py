"""CloudFormation stack policies that forbid replacing or deleting the resources holding data.

A stack policy is enforced by CloudFormation on every update, so it still holds when a change
slips past the guard (a manual `cdk deploy`, a console edit of the template)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rds_ha.guard.assembly import load_template, stack_name_of
from rds_ha.guard.schemas import is_stateful

STACK_POLICY_SUFFIX = ".stack-policy.json"


def stateful_logical_ids(template: Mapping[str, Any]) -> list[str]:
    resources = template.get("Resources", {})
    return sorted(
        logical_id
        for logical_id, resource in resources.items()
        if isinstance(resource, dict) and is_stateful(str(resource.get("Type")))
    )


def stack_policy_for_template(template: Mapping[str, Any]) -> dict[str, Any]:
    """Allow every update, deny ``Update:Replace`` and ``Update:Delete`` on stateful resources.

    Deny wins over Allow in a stack policy, so in-place updates of the database still work.
    """
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}
    ]
    protected = stateful_logical_ids(template)
    if protected:
        statements.append(
            {
                "Effect": "Deny",
                "Action": ["Update:Replace", "Update:Delete"],
                "Principal": "*",
                "Resource": [f"LogicalResourceId/{logical_id}" for logical_id in protected],
            }
        )
    return {"Statement": statements}


def write_stack_policy(template_path: Path) -> Path:
    """Write ``<StackName>.stack-policy.json`` next to a synthesized template; return its path."""
    template_path = Path(template_path)
    policy = stack_policy_for_template(load_template(template_path))
    target = template_path.with_name(f"{stack_name_of(template_path)}{STACK_POLICY_SUFFIX}")
    target.write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")
    return target
