"""What the guard reports: categories, findings and the report of a whole assembly."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Template = Mapping[str, Any]
Resource = Mapping[str, Any]

IGNORED_TYPES = frozenset({"AWS::CDK::Metadata"})


class Category(StrEnum):
    REMOVED = "removed"
    REPLACED = "replaced"
    MAY_BE_REPLACED = "may-be-replaced"
    POLICY_WEAKENED = "policy-weakened"
    PROTECTION_OFF = "protection-off"
    # A Condition now decides whether the resource exists; when false, it is deleted.
    MAY_BE_REMOVED = "may-be-removed"
    BACKUPS_DISABLED = "backups-disabled"
    # A template in BASELINE with none in CURRENT: the stack's resources would be deleted.
    STACK_REMOVED = "stack-removed"
    # A template in CURRENT with none in BASELINE: a stack not compared yet (a new environment,
    # or a user's own environments before their baselines are adopted). Nothing is deleted.
    NO_BASELINE = "no-baseline"
    IN_PLACE = "in-place"
    # A change RDS documents it refuses: the update would fail and roll back.
    AWS_REFUSES = "aws-refuses"
    # A resource that holds no data is replaced; listed because it is worth a look.
    REPLACED_NO_DATA = "replaced-no-data"


SAFE_CATEGORIES = frozenset({Category.IN_PLACE, Category.REPLACED_NO_DATA, Category.NO_BASELINE})


@dataclass(frozen=True)
class Finding:
    stack: str
    logical_id: str
    resource_type: str
    category: Category
    property: str | None
    old: Any
    new: Any
    message: str

    # builtins.property: the field ``property`` shadows the name in the class body.
    @builtins.property
    def unsafe(self) -> bool:
        return self.category not in SAFE_CATEGORIES


@dataclass(frozen=True)
class GuardReport:
    findings: tuple[Finding, ...]
    stacks: tuple[str, ...] = field(default=())

    @property
    def unsafe_findings(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.unsafe)

    @property
    def safe(self) -> bool:
        return not self.unsafe_findings


def resources(template: Template) -> dict[str, Resource]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if isinstance(resource, dict) and resource.get("Type") not in IGNORED_TYPES
    }


def properties(resource: Resource) -> dict[str, Any]:
    properties = resource.get("Properties", {})
    return properties if isinstance(properties, dict) else {}


# --- replacement ------------------------------------------------------------------------------
