"""Helpers for acknowledging cdk-nag findings by the exact id cdk-nag gives them, and for
skipping checkov checks on a resource with the reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import Construct, IConstruct


def nag_finding_text(scope: Construct, value: str) -> str:
    """``value`` as cdk-nag prints it in a finding id: pseudo parameters as ``<AWS::Name>``."""
    return _text(Stack.of(scope).resolve(value))


def _text(resolved: Any) -> str:
    if isinstance(resolved, str):
        return resolved
    if "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    return "".join(_text(part) for part in resolved["Fn::Join"][1])


def acknowledge_rules(
    construct: IConstruct, findings: Mapping[str, tuple[Iterable[str], str]]
) -> None:
    """Acknowledge each rule of ``findings`` (rule -> (packs, reason)) on ``construct``, in
    every pack named beside it, with its reason: ``<pack>::<pack>-<rule>`` is the id cdk-nag 3
    gives a finding."""
    Validations.of(construct).acknowledge(
        *(
            Acknowledgment(id=f"{pack}::{pack}-{rule}", reason=reason)
            for rule, (packs, reason) in findings.items()
            for pack in packs
        )
    )


def skip_checkov_checks(construct: IConstruct, checks: Mapping[str, str]) -> None:
    """Skip each checkov check of ``checks`` (check id -> reason) on ``construct``'s
    CloudFormation resource (the construct itself, or its default child), in the resource's
    ``Metadata``: ``checkov: {skip: [{id, comment}]}``, which checkov reads from a template.

    Skips already there are kept; one with the same id is replaced. They are written sorted by
    id, so that the template is the same whatever the order of the calls.
    """
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path}: no CloudFormation resource to skip checks on")
    skips = {skip["id"]: skip["comment"] for skip in _checkov_skips(resource)}
    skips.update(checks)
    resource.add_metadata(
        "checkov",
        {"skip": [{"id": check, "comment": skips[check]} for check in sorted(skips)]},
    )


def _checkov_skips(resource: CfnResource) -> list[dict[str, str]]:
    return list((resource.get_metadata("checkov") or {}).get("skip", []))
