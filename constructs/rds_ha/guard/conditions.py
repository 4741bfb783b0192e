"""Conditions: a stateful resource that gets a condition, or whose condition changes, may be
removed where the condition is false."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rds_ha.guard.findings import Category, Finding, Resource, Template
from rds_ha.guard.protections import effective_policy
from rds_ha.guard.values import ABSENT


def condition_bodies(template: Template, name: Any) -> dict[str, Any]:
    """The named condition and every condition it uses, by name."""
    conditions = template.get("Conditions", {})
    conditions = conditions if isinstance(conditions, dict) else {}
    found: dict[str, Any] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        if not isinstance(current, str) or current in found:
            continue
        found[current] = conditions.get(current, ABSENT)
        pending.extend(used_conditions(found[current]))
    return found


def used_conditions(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [name for item in value for name in used_conditions(item)]
    if isinstance(value, dict):
        if set(value) == {"Condition"}:
            return [value["Condition"]]
        return [name for item in value.values() for name in used_conditions(item)]
    return []


def conditioned(
    stack: str,
    logical_id: str,
    old: Resource,
    new: Resource,
    *,
    baseline: Template,
    current: Template,
) -> Iterator[Finding]:
    """A stateful resource that gets a Condition, another one, or whose condition now reads
    differently: when the condition is false, CloudFormation deletes the resource."""
    after = new.get("Condition", ABSENT)
    if after is ABSENT:
        return
    before = old.get("Condition", ABSENT)
    if before == after and condition_bodies(baseline, before) == condition_bodies(current, after):
        return
    policy = effective_policy(new, "DeletionPolicy")
    if before == after:
        what = f"the definition of its Condition {after} changed"
    elif before is ABSENT:
        what = f"Condition {after} was added"
    else:
        what = f"its Condition changed from {before} to {after}"
    yield Finding(
        stack,
        logical_id,
        old["Type"],
        Category.MAY_BE_REMOVED,
        "Condition",
        before,
        after,
        f"may be removed: {what}; where it evaluates to false CloudFormation removes the "
        f"{old['Type']} (DeletionPolicy {policy})",
    )
