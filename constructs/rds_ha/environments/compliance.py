"""Settings that the compliance packs fail, told once at configuration time.

Every synth of the app runs four cdk-nag packs (``stacks/compliance.py``). A setting that
``environments.toml`` accepts outside production but that a pack fails (no deletion protection,
one instance without a standby) would otherwise surface as one error per pack at the end of the
synth. ``compliance_problems`` names the setting, the rules it fails and the two choices
instead: the value the packs accept, or an entry in ``compliance_exceptions`` whose reason the
stack gives cdk-nag when it acknowledges exactly those rules on that database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from rds_ha.catalog.engines import Deployment

ExceptionName = Literal["deletion_protection", "deployment"]
# A reason cdk-nag prints beside the acknowledged finding: a sentence, not a word.
MIN_REASON_LENGTH = 10


@dataclass(frozen=True)
class PackRule:
    """One setting's value that the packs fail: the rules (cdk-nag rule -> its packs), what
    the packs accept instead, and the value as the message shows it."""

    setting: ExceptionName
    rules: Mapping[str, tuple[str, ...]]
    accepted: str


# cdk-nag 3's rule ids as its packs report them on an RDS instance or Multi-AZ DB cluster
# (cdk-nag src/rules/rds: RDSInstanceDeletionProtectionEnabled, RDSMultiAZSupport; AwsSolutions
# RDS10 and RDS3). PCI DSS 3.2.1 has neither rule.
DELETION_PROTECTION = PackRule(
    setting="deletion_protection",
    rules={
        "RDS10": ("AwsSolutions",),
        "RDSInstanceDeletionProtectionEnabled": ("HIPAA.Security", "NIST.800.53.R5"),
    },
    accepted="deletion_protection = true",
)
SINGLE_AZ = PackRule(
    setting="deployment",
    rules={
        "RDS3": ("AwsSolutions",),
        "RDSMultiAZSupport": ("HIPAA.Security", "NIST.800.53.R5"),
    },
    accepted="deployment = 'multi-az-instance' or 'multi-az-cluster'",
)


def failing_settings(
    *, deletion_protection: bool, deployment: Deployment
) -> list[tuple[PackRule, str]]:
    """The pack rules these settings fail, each with the value as the message shows it."""
    failing = []
    if not deletion_protection:
        failing.append((DELETION_PROTECTION, "deletion_protection=false"))
    if deployment is Deployment.SINGLE_AZ:
        failing.append((SINGLE_AZ, f"deployment={deployment.value!r}"))
    return failing


def rule_ids(rule: PackRule) -> list[str]:
    return [f"{pack}-{name}" for name, packs in rule.rules.items() for pack in packs]


def compliance_problems(
    *,
    deletion_protection: bool,
    deployment: Deployment,
    exceptions: Mapping[ExceptionName, str],
) -> list[str]:
    """One line per setting the packs fail without an exception, and per exception that
    excepts nothing or gives no reason (a stale acknowledgment would hide a later finding)."""
    failing = failing_settings(deletion_protection=deletion_protection, deployment=deployment)
    problems = [
        f"{shown}: fails the compliance packs every synth runs ({', '.join(rule_ids(rule))}); "
        f"choose {rule.accepted}, or acknowledge those findings for this database with "
        f'compliance_exceptions.{rule.setting} = "<why>"'
        for rule, shown in failing
        if rule.setting not in exceptions
    ]
    excepted = {rule.setting for rule, _ in failing}
    for setting, reason in sorted(exceptions.items()):
        if setting not in excepted:
            problems.append(
                f"compliance_exceptions.{setting}: {setting} passes the compliance packs, so "
                "there is nothing to acknowledge; remove the entry"
            )
        elif len(reason.strip()) < MIN_REASON_LENGTH:
            problems.append(
                f"compliance_exceptions.{setting}={reason!r}: the reason cdk-nag records must "
                f"say why, in at least {MIN_REASON_LENGTH} characters"
            )
    return problems


def acknowledgments(
    *,
    deletion_protection: bool,
    deployment: Deployment,
    exceptions: Mapping[ExceptionName, str],
) -> dict[str, tuple[tuple[str, ...], str]]:
    """``rds_ha.acknowledge_rules`` findings (rule -> (packs, reason)) for the excepted
    settings that fail the packs: exactly their rules, with the configured reason."""
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for rule, _ in failing_settings(deletion_protection=deletion_protection, deployment=deployment):
        if rule.setting in exceptions:
            reason = f"compliance_exceptions.{rule.setting}: {exceptions[rule.setting]}"
            found |= {name: (packs, reason) for name, packs in rule.rules.items()}
    return found
