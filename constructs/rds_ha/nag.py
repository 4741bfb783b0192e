"""Helpers for acknowledging cdk-nag findings by the exact id cdk-nag gives them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import Construct


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
    construct: Construct, findings: Mapping[str, tuple[Iterable[str], str]]
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
