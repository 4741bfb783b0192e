"""Shared helpers for synth-level tests (importable as ``synth_helpers``)."""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template
from cfnlint.config import ConfigMixIn
from cfnlint.rules import Match, Rules
from cfnlint.runner import Runner
from cfnlint.runner.template.runner import run_template_by_file_path

from stacks.compliance import PACKS, add_compliance_checks

ROOT = Path(__file__).resolve().parent.parent
TEST_ENV = cdk.Environment(account="111111111111", region="eu-west-1")
# cdk.json's @aws-cdk/core:annotationsInValidationReport copies construct annotations (the
# construct's own warnings, e.g. rds-ha:no-dr-copy) into the validation report under this
# source. They are not policy findings; tests assert them with ``Annotations.from_stack``.
ANNOTATIONS_REPORT = "Construct Annotations"


def project_context() -> dict[str, Any]:
    """The context the CDK CLI gives app.py: cdk.json's feature flags and cdk.context.json."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(json.loads((ROOT / "cdk.context.json").read_text()))
    return context


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
    ``rule-id at construct-path`` lines. Runs the packs directly, so acknowledgments are not
    applied: use it for constructs, and ``ComplianceSynth`` for whole apps."""
    findings = []
    for pack in PACKS:
        report = pack(app).validate_scope(stack)
        for violation in report.violations:
            for resource in violation.violating_resources:
                findings.append(f"{violation.rule_name} at {resource.construct_path}")
    return findings


class ComplianceSynth:
    """Synthesizes an app once, as ``cdk synth`` does: the four packs registered as validation
    plugins, acknowledgments honoured, the report read from the cloud assembly."""

    def __init__(self, app: cdk.App) -> None:
        add_compliance_checks(app)
        self.outdir = Path(app.outdir)
        try:
            app.synth()
        except RuntimeError as error:
            if "ValidationFailed" not in str(error):
                raise
        report = json.loads((self.outdir / "validation-report.json").read_text())
        self.report: dict[str, Any] = report
        self.violations = [
            f"{violation['ruleName']} ({violation['severity']}) at {construct['constructPath']}"
            for plugin in report["pluginReports"]
            if plugin["pluginName"] != ANNOTATIONS_REPORT
            for violation in plugin["violations"]
            for construct in violation["violatingConstructs"]
        ]
        # aws-cdk-lib's own template validation acknowledges some of its findings itself
        # (e.g. W3010 for the AZs the VPC reads from context); only cdk-nag's count here.
        self.acknowledged = [
            f"{violation['ruleName']} at {violation['acknowledgedAt']}: {violation['reason']}"
            for plugin in report["pluginReports"]
            if plugin["pluginName"] not in ("CloudFormation Validate", ANNOTATIONS_REPORT)
            for violation in plugin.get("suppressedViolations", [])
        ]

    def template(self, stack: cdk.Stack) -> Template:
        return Template.from_json(json.loads((self.outdir / stack.template_file).read_text()))


def compliance_app() -> cdk.App:
    return cdk.App(context=project_context(), outdir=tempfile.mkdtemp(prefix="rds-ha-synth-"))


CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"


def offline_cli_env(home: Path) -> dict[str, str]:
    """Environment for the pinned CDK CLI with no AWS configuration, files or instance metadata:
    the venv's node first on PATH, and jsii's package cache kept (it unpacks aws-cdk-lib there,
    ~10 s per new HOME)."""
    bin_dir = Path(sys.executable).parent
    return {
        "PATH": f"{bin_dir}:{CDK_CLI.parent}:{os.environ['PATH']}",
        "HOME": str(home),
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": os.environ.get(
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT",
            str(Path.home() / ".cache" / "aws" / "jsii" / "package-cache"),
        ),
    }


# One valid environment table of environments.toml; tests copy it and change what they check.
VALID_ENVIRONMENT: dict[str, Any] = {
    "account": "123456789012",
    "region": "eu-west-1",
    "engine": "postgres",
    "engine_version": "17.9",
    "instance_class": "db.m7g.large",
    "deployment": "multi-az-instance",
    "allocated_storage_gib": 100,
    "max_allocated_storage_gib": 500,
    "backup_retention_days": 7,
    "backup_window": "02:00-02:30",
    "maintenance_window": "sun:03:00-sun:03:30",
    "deletion_protection": True,
    "alarm_emails": ["dba@example.com"],
    "backups": {"dr_region": "eu-central-1"},
}

# What credentials = "secret" (the default) adds to a database over "rds-managed": the secret,
# its attachment and deny-delete policy, the rotation schedule, the rotation application, the
# rotation function's security group and its four rules (egress to the database and to the
# Secrets Manager endpoint, ingress into each).
SECRET_MODE_RESOURCES = 10


@functools.cache
def _cfn_lint_rules() -> Rules:
    # cfn-lint loads its ~700 rules for each Runner (about 0.4 s); `cfn-lint a.json b.json`
    # loads them once for every template, and so does this.
    # Only the rules are read: .cfnlintrc.yaml's cdk.out/*.template.json need not exist yet.
    return Runner(ConfigMixIn([], ignore_bad_template=True)).rules


def cfn_lint(path: Path, *, region: str, ignore_checks: Sequence[str] = ()) -> list[Match]:
    """cfn-lint's findings on the template at ``path`` in ``region``, as `cfn-lint` reports them
    (the template's cfn-lint Metadata directives honoured), the rules loaded once per process."""
    config = ConfigMixIn([], regions=[region], ignore_checks=list(ignore_checks))
    return list(run_template_by_file_path(str(path), config, _cfn_lint_rules(), False))
