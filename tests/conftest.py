"""Shared helpers for synth-level tests."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from stacks.compliance import PACKS

TEST_ENV = cdk.Environment(account="111111111111", region="eu-west-1")


def isolated_vpc(scope: cdk.Stack, construct_id: str = "Vpc") -> ec2.Vpc:
    return ec2.Vpc(
        scope,
        construct_id,
        max_azs=3,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ],
    )


def nag_violations(app: cdk.App, stack: cdk.Stack) -> list[str]:
    """Every finding (any severity) of the four cdk-nag packs on ``stack``, as
    ``rule-id at construct-path`` lines; acknowledged findings are not listed."""
    findings = []
    for pack in PACKS:
        report = pack(app).validate_scope(stack)
        for violation in report.violations:
            for resource in violation.violating_resources:
                findings.append(f"{violation.rule_name} at {resource.construct_path}")
    return findings


@pytest.fixture
def stack() -> cdk.Stack:
    app = cdk.App()
    return cdk.Stack(app, "TestStack", env=TEST_ENV)
