"""Helpers for acknowledging cdk-nag findings by the exact id cdk-nag gives them."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
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
