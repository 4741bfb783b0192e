"""DatabaseBackups and SnapshotExport used as library constructs: props, defaults taken from the
database, and validation that needs no environments.toml."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Annotations, Match, Template
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import ConfigurationError, DatabaseBackups, HighlyAvailableDatabase, SnapshotExport

DR_VAULT = "arn:aws:backup:eu-central-1:111111111111:backup-vault:orders-dr"
RESTORE_TESTING_NAME = re.compile(r"^[A-Za-z0-9_]{1,50}$")
EXPORT_PROPS = {
    "export_snapshots",
    "export_archive_after",
    "export_expire_after",
    "export_function_reserved_concurrency",
    "rds_api_endpoint",
    "alarm_topic",
}


def backups_stack(
    app: cdk.App,
    name: str,
    database_props: dict[str, Any] | None = None,
    *,
    copy_to_dr: bool = False,
    **props: Any,
) -> cdk.Stack:
    stack = cdk.Stack(app, name, env=TEST_ENV)
    vpc = isolated_vpc(stack)
    if copy_to_dr:
        props["disaster_recovery_vault"] = backup.BackupVault.from_backup_vault_arn(
            stack, "DrVault", DR_VAULT
        )
    database = HighlyAvailableDatabase(stack, "Orders", vpc=vpc, **(database_props or {}))
    export = {name: props.pop(name) for name in EXPORT_PROPS & set(props)}
    backups = DatabaseBackups(stack, "Backups", database=database, **props)
    if export.get("export_snapshots") != "none":
        SnapshotExport(
            stack,
            "Export",
            database=database,
            vpc=vpc,
            encryption_key=backups.encryption_key,
            **export,
        )
    return stack


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    app = cdk.App()
    stacks = {
        "defaults": backups_stack(app, "Defaults", {"backup_retention": Duration.days(14)}),
        "tuned": backups_stack(
            app,
            "Tuned",
            {"identifier": "orders-" + "x" * 56},
            export_function_reserved_concurrency=3,
            export_snapshots="none",
            copy_to_dr=True,
            daily_retention=Duration.days(10),
            monthly_retention=Duration.days(100),
            disaster_recovery_monthly_retention=Duration.days(400),
        ),
        "reserved": backups_stack(app, "Reserved", export_function_reserved_concurrency=3),
    }
    return {name: Template.from_stack(stack) for name, stack in stacks.items()}


def rules(template: Template) -> dict[str, dict[str, Any]]:
    (plan,) = template.find_resources("AWS::Backup::BackupPlan").values()
    return {rule["RuleName"]: rule for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}


def test_continuous_retention_defaults_to_the_databases_backup_retention(
    templates: dict[str, Template],
) -> None:
    assert rules(templates["defaults"])["Continuous"]["Lifecycle"] == {"DeleteAfterDays": 14}


def test_reserved_concurrency_is_opt_in(templates: dict[str, Template]) -> None:
    templates["defaults"].has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "snapshot_export.handler", "ReservedConcurrentExecutions": Match.absent()},
    )
    templates["reserved"].has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "snapshot_export.handler", "ReservedConcurrentExecutions": 3},
    )


def test_monthly_dr_copies_keep_their_own_retention(templates: dict[str, Template]) -> None:
    by_name = rules(templates["tuned"])
    assert by_name["Daily"]["CopyActions"] == [
        {"DestinationBackupVaultArn": DR_VAULT, "Lifecycle": {"DeleteAfterDays": 10}}
    ]
    assert by_name["Monthly"]["CopyActions"] == [
        {"DestinationBackupVaultArn": DR_VAULT, "Lifecycle": {"DeleteAfterDays": 400}}
    ]


def test_backup_names_fit_aws_backups_limit_for_the_longest_identifier(
    templates: dict[str, Template],
) -> None:
    template = templates["tuned"]
    (vault,) = template.find_resources("AWS::Backup::BackupVault").values()
    (backup_plan,) = template.find_resources("AWS::Backup::BackupPlan").values()
    (backup_selection,) = template.find_resources("AWS::Backup::BackupSelection").values()
    for name, suffix in (
        (vault["Properties"]["BackupVaultName"], "-backups"),
        (backup_plan["Properties"]["BackupPlan"]["BackupPlanName"], "-plan"),
        (backup_selection["Properties"]["BackupSelection"]["SelectionName"], "-database"),
    ):
        assert len(name) <= 50, name
        assert name.startswith("orders-xxx") and name.endswith(suffix), name
    (plan,) = templates["tuned"].find_resources("AWS::Backup::RestoreTestingPlan").values()
    (selection,) = (
        templates["tuned"].find_resources("AWS::Backup::RestoreTestingSelection").values()
    )
    plan_name = plan["Properties"]["RestoreTestingPlanName"]
    selection_name = selection["Properties"]["RestoreTestingSelectionName"]
    assert RESTORE_TESTING_NAME.match(plan_name), plan_name
    assert RESTORE_TESTING_NAME.match(selection_name), selection_name
    assert selection["Properties"]["RestoreTestingPlanName"] == plan_name
    assert plan_name.endswith("_restores")
    assert selection_name.endswith("_restores_database")


def test_no_export_creates_no_bucket_function_or_rule(templates: dict[str, Template]) -> None:
    template = templates["tuned"]
    template.resource_count_is("AWS::Lambda::Function", 0)
    template.resource_count_is("AWS::S3::Bucket", 0)
    template.resource_count_is("AWS::Events::Rule", 0)
    assert _rds_api_endpoints(template) == 0
    template.resource_count_is("AWS::Backup::BackupPlan", 1)


@pytest.mark.parametrize(
    ("props", "problem"),
    [
        (
            {"backup_start_hour_utc": 2},
            "backup_start_hour_utc=2: AWS Backup's one-hour start window must not overlap the "
            "database's backup_window ('02:00-02:30'); pick another hour",
        ),
        (
            {"continuous_retention": Duration.days(35)},
            "continuous_retention=Duration.days(35): must equal the database's "
            "backup_retention_days (7)",
        ),
        (
            {"export_snapshots": "weekly"},
            "export_snapshots='weekly': must be one of 'monthly', 'all', 'none'",
        ),
        (
            {"export_function_reserved_concurrency": 0},
            "export_function_reserved_concurrency=0: must be at least 1",
        ),
        (
            {"daily_retention": Duration.hours(12)},
            "daily_retention=12 hours: must be whole days",
        ),
        (
            {"export_archive_after": 30},
            "export_archive_after=30: must be a Duration, e.g. Duration.days(7), not int",
        ),
        (
            {"export_expire_after": Duration.days(60)},
            "export_expire_after=Duration.days(60): must be at least",
        ),
        (
            {"disaster_recovery_monthly_retention": Duration.days(0)},
            "disaster_recovery_monthly_retention=Duration.days(0): must be 1-36500 days",
        ),
    ],
)
def test_invalid_props_are_refused_naming_the_prop_and_value(
    props: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigurationError) as error:
        backups_stack(cdk.App(), "Invalid", **props)
    assert any(line.startswith(problem) for line in error.value.problems), error.value.problems


def test_databases_in_one_vpc_share_one_rds_api_endpoint() -> None:
    # A VPC takes one interface endpoint with private DNS per service: a second one fails to
    # deploy, so the second DatabaseBackups lets its function into the first one's endpoint.
    app = cdk.App()
    stack = cdk.Stack(app, "Fleet", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    for name in ("Orders", "Billing"):
        database = HighlyAvailableDatabase(stack, name, vpc=vpc)
        SnapshotExport(stack, f"{name}Export", database=database, vpc=vpc)
    template = Template.from_stack(stack)
    assert _rds_api_endpoints(template) == 1
    (endpoint_group,) = [
        stack.get_logical_id(child.node.default_child)
        for child in stack.node.find_all()
        if child.node.id == "RdsApiEndpointSecurityGroup"
    ]
    functions = {
        stack.get_logical_id(child.node.default_child)
        for child in stack.node.find_all()
        if child.node.id == "ExportFunctionSecurityGroup"
    }
    ingress = template.find_resources(
        "AWS::EC2::SecurityGroupIngress",
        {"Properties": {"GroupId": {"Fn::GetAtt": [endpoint_group, "GroupId"]}}},
    ).values()
    assert {rule["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0] for rule in ingress} == (
        functions
    )
    assert len(functions) == 2


def test_a_vpc_endpoint_passed_in_is_used_instead_of_a_new_one() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Given", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    endpoint = vpc.add_interface_endpoint(
        "Rds", service=ec2.InterfaceVpcEndpointAwsService.RDS, open=False
    )
    database = HighlyAvailableDatabase(stack, "Orders", vpc=vpc)
    export = SnapshotExport(stack, "Export", database=database, vpc=vpc, rds_api_endpoint=endpoint)
    template = Template.from_stack(stack)
    assert _rds_api_endpoints(template) == 1
    assert export.rds_api_endpoint is endpoint
    assert "RdsApiEndpointSecurityGroup" not in [c.node.id for c in export.node.children]


def test_without_an_alarm_topic_the_export_failures_alarm_warns_that_nobody_hears_it() -> None:
    app = cdk.App()
    stack = backups_stack(app, "Quiet")
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(".*"))
    assert any("rds-ha:export-failures-unwatched" in str(w.entry.data) for w in warnings)
    Template.from_stack(stack).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ApproximateNumberOfMessagesVisible", "AlarmActions": Match.absent()},
    )


def _rds_api_endpoints(template: Template) -> int:
    """The RDS API endpoints (the databases' rotation functions have a Secrets Manager one)."""
    return sum(
        ".rds" in json.dumps(endpoint["Properties"]["ServiceName"])
        for endpoint in template.find_resources("AWS::EC2::VPCEndpoint").values()
    )
