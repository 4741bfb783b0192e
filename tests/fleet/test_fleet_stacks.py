"""A fleet synthesized once per module (tests/fleet/fleet.toml): each extra database in a stack of
its own that depends on its environment's stack and never the other way, sharing the
environment's VPC, backup plan, snapshot export, topic and overview dashboard; growing an
environment replaces nothing."""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from synth_helpers import SECRET_MODE_RESOURCES, ComplianceSynth, compliance_app, project_context

from rds_ha.guard import compare_assemblies
from rds_ha.guard.findings import Category
from stacks.config import load_config, parse_config
from stacks.database_stack import DatabaseStack

FLEET_CONFIG = Path(__file__).resolve().parent / "fleet.toml"
SHOP_DATABASES = {"orders": "rds-ha-shop-orders", "billing": "billing-primary"}
EXTRA_STACKS = ("rds-ha-shop-orders", "rds-ha-shop-billing", "rds-ha-shop-events")
# A Multi-AZ DB cluster's stack also holds the member lookup (function, role, policy, log group,
# custom resource).
MAX_RESOURCES_PER_DATABASE = 50 + SECRET_MODE_RESOURCES


class Fleet:
    def __init__(self) -> None:
        self.app = compliance_app()
        self.config = load_config(FLEET_CONFIG)
        self.environments = {
            env.name: DatabaseStack(self.app, config=env) for env in self.config.select(None)
        }
        self.synth = ComplianceSynth(self.app)
        self.templates: dict[str, dict[str, Any]] = {
            path.name.removesuffix(".template.json"): json.loads(path.read_text())
            for path in self.synth.outdir.glob("*.template.json")
        }

    def resources(self, stack: str, resource_type: str) -> dict[str, Any]:
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stack]["Resources"].items()
            if resource["Type"] == resource_type
        }


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return Fleet()


def test_each_extra_database_has_a_stack_of_its_own_after_its_environment(fleet: Fleet) -> None:
    shop = fleet.environments["shop"]
    names = [stack.stack_name for stack in shop.database_stacks]
    assert names == list(EXTRA_STACKS)
    for stack in shop.database_stacks:
        assert [dependency.stack_name for dependency in stack.dependencies] == ["rds-ha-shop"]
    # One way only: the environment's stack depends on its DR stack, never on a database's.
    assert [dependency.stack_name for dependency in shop.dependencies] == ["rds-ha-shop-dr"]


def test_the_environment_stack_refers_to_no_database_stack(fleet: Fleet) -> None:
    shop = json.dumps(fleet.templates["rds-ha-shop"])
    assert "Fn::ImportValue" not in shop


def test_the_fleet_has_zero_cdk_nag_findings(fleet: Fleet) -> None:
    assert fleet.synth.violations == []


@pytest.mark.parametrize("stack", EXTRA_STACKS)
def test_an_extra_database_stack_holds_one_database_and_few_resources(
    fleet: Fleet, stack: str
) -> None:
    resources = fleet.templates[stack]["Resources"]
    types = Counter(resource["Type"] for resource in resources.values())
    assert len(resources) <= MAX_RESOURCES_PER_DATABASE
    assert types["AWS::RDS::DBInstance"] + types["AWS::RDS::DBCluster"] == 1
    assert types["AWS::KMS::Key"] == 1  # its own key: a smaller blast radius
    assert types["AWS::Backup::BackupSelection"] == 1
    assert types["AWS::Backup::RestoreTestingSelection"] == 1
    # Shared, so not here: VPC, endpoint, vault, plan, topic, export function.
    for shared in (
        "AWS::EC2::VPC",
        "AWS::EC2::VPCEndpoint",
        "AWS::Backup::BackupVault",
        "AWS::Backup::BackupPlan",
        "AWS::SNS::Topic",
        "AWS::S3::Bucket",
    ):
        assert types[shared] == 0, shared
    # The one function of a database's stack is a cluster's member lookup.
    assert types["AWS::Lambda::Function"] == types["Custom::RdsClusterMembers"]
    assert types["Custom::RdsClusterMembers"] == types["AWS::RDS::DBCluster"]


def test_database_keys_win_over_the_environment_defaults(fleet: Fleet) -> None:
    (orders,) = fleet.resources("rds-ha-shop-orders", "AWS::RDS::DBInstance").values()
    assert orders["Properties"]["DBInstanceClass"] == "db.r7g.large"
    assert orders["Properties"]["DBInstanceIdentifier"] == "rds-ha-shop-orders"
    assert orders["Properties"]["BackupRetentionPeriod"] == 14  # the environment's
    (billing,) = fleet.resources("rds-ha-shop-billing", "AWS::RDS::DBInstance").values()
    assert billing["Properties"]["Engine"] == "mysql"
    assert billing["Properties"]["DBInstanceIdentifier"] == "billing-primary"
    (cluster,) = fleet.resources("rds-ha-shop-events", "AWS::RDS::DBCluster").values()
    assert cluster["Properties"]["DBClusterIdentifier"] == "rds-ha-shop-events"


def test_every_database_is_in_the_environment_plan(fleet: Fleet) -> None:
    (plan_id,) = fleet.resources("rds-ha-shop", "AWS::Backup::BackupPlan")
    assert len(fleet.resources("rds-ha-shop", "AWS::Backup::BackupSelection")) == 1
    for stack in EXTRA_STACKS:
        (selection,) = fleet.resources(stack, "AWS::Backup::BackupSelection").values()
        # The plan is the environment's (a reference across stacks, this way round only).
        assert plan_id in json.dumps(selection["Properties"]["BackupPlanId"])


def test_one_export_function_serves_every_database_of_the_environment(fleet: Fleet) -> None:
    functions = [
        function
        for function in fleet.resources("rds-ha-shop", "AWS::Lambda::Function").values()
        if "DATABASE_ARN" in json.dumps(function["Properties"].get("Environment", {}))
    ]
    assert len(functions) == 1
    served = json.dumps(functions[0]["Properties"]["Environment"]["Variables"]["DATABASE_ARN"])
    for arn in (
        "db:rds-ha-shop-orders",
        "db:billing-primary",
        "cluster:rds-ha-shop-events",
    ):
        assert arn in served
    (rule,) = [
        rule
        for rule in fleet.resources("rds-ha-shop", "AWS::Events::Rule").values()
        if rule["Properties"].get("EventPattern", {}).get("source") == ["aws.backup"]
    ]
    assert len(rule["Properties"]["EventPattern"]["detail"]["resourceArn"]) == 4


def test_alarms_of_every_database_notify_the_one_environment_topic(fleet: Fleet) -> None:
    (topic_id,) = fleet.resources("rds-ha-shop", "AWS::SNS::Topic")
    for stack in EXTRA_STACKS:
        alarms = fleet.resources(stack, "AWS::CloudWatch::Alarm")
        assert alarms
        for alarm in alarms.values():
            assert topic_id in json.dumps(alarm["Properties"]["AlarmActions"])


def test_the_pager_filter_lets_through_the_composites_of_every_database(fleet: Fleet) -> None:
    shop = fleet.environments["shop"]
    others = [stack.alarms for stack in shop.database_stacks]
    names = {name for alarms in (shop.alarms, *others) for name in alarms.composite_alarm_names}
    assert len(names) == 2 * (1 + len(others))
    assert set(shop.alarms.composite_only_filter(*others)) == {"AlarmName"}


def test_the_overview_dashboard_has_a_row_per_database(fleet: Fleet) -> None:
    (dashboard,) = [
        resource
        for resource in fleet.resources("rds-ha-shop", "AWS::CloudWatch::Dashboard").values()
        if resource["Properties"]["DashboardName"] == "rds-ha-shop_databases"
    ]
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for identifier in (
        "rds-ha-shop",
        "rds-ha-shop-orders",
        "billing-primary",
        "rds-ha-shop-events",
    ):
        assert f"### {identifier}" in body


def test_the_overview_graphs_the_fleet_cluster_by_its_member_alarms(fleet: Fleet) -> None:
    # Its members are looked up in its own stack: the overview shows its alarms (by fixed
    # names) rather than metrics on a DBClusterIdentifier RDS does not publish for it.
    (dashboard,) = [
        resource
        for resource in fleet.resources("rds-ha-shop", "AWS::CloudWatch::Dashboard").values()
        if resource["Properties"]["DashboardName"] == "rds-ha-shop_databases"
    ]
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert "DBClusterIdentifier" not in body
    for slug in ("cpu", "connections", "free-storage"):
        assert f"alarm:rds-ha-shop-events-{slug}-warning" in body
    assert "rds-ha-shop-orders" in body and "DBInstanceIdentifier" in body


def test_shared_key_puts_the_database_on_the_environment_key(fleet: Fleet) -> None:
    assert fleet.resources("rds-ha-lab-scratch", "AWS::KMS::Key") == {}
    (key_id,) = [
        logical_id
        for logical_id in fleet.resources("rds-ha-lab", "AWS::KMS::Key")
        if logical_id.startswith("DatabaseKey")
    ]
    (instance,) = fleet.resources("rds-ha-lab-scratch", "AWS::RDS::DBInstance").values()
    assert key_id in json.dumps(instance["Properties"]["KmsKeyId"])


def test_an_environment_without_snapshot_export_still_backs_up_its_fleet(fleet: Fleet) -> None:
    assert len(fleet.resources("rds-ha-lab-scratch", "AWS::Backup::BackupSelection")) == 1


@pytest.fixture(scope="module")
def shop_without_databases() -> dict[str, dict[str, Any]]:
    """The shop environment synthesized without its `databases`: template file -> template."""
    data = {"environments": {"shop": _without_databases(FLEET_CONFIG)}}
    app = cdk.App(context=project_context(), outdir=tempfile.mkdtemp(prefix="rds-ha-synth-"))
    DatabaseStack(app, config=parse_config(data).environments["shop"])
    directory = Path(app.synth().directory)
    return {path.name: json.loads(path.read_text()) for path in directory.glob("*.template.json")}


def test_growing_an_environment_replaces_and_deletes_nothing(
    fleet: Fleet, shop_without_databases: dict[str, dict[str, Any]]
) -> None:
    """The same environment without its databases is the baseline: the guard finds nothing
    unsafe, and the environment's own database keeps every logical id."""
    before = shop_without_databases["rds-ha-shop.template.json"]
    after = fleet.templates["rds-ha-shop"]
    report = compare_assemblies(
        {"rds-ha-shop.template.json": before}, {"rds-ha-shop.template.json": after}
    )
    assert report.safe, report.unsafe_findings
    assert set(before["Resources"]) <= set(after["Resources"])
    added = Counter(
        after["Resources"][i]["Type"] for i in set(after["Resources"]) - set(before["Resources"])
    )
    assert added == Counter({"AWS::CloudWatch::Dashboard": 1})


def test_a_database_removed_from_the_config_is_reported_as_an_unsafe_stack_removal(
    fleet: Fleet, shop_without_databases: dict[str, dict[str, Any]]
) -> None:
    """CDK never deletes a stack that left the app: the removed databases' stacks stay deployed,
    databases and all, until someone retires them on purpose (docs/fleets.md). The guard says
    so, as an unsafe finding per stack naming the database it holds."""
    shop = {
        f"{name}.template.json": template
        for name, template in fleet.templates.items()
        if name == "rds-ha-shop" or name.startswith("rds-ha-shop-")
    }

    report = compare_assemblies(shop, shop_without_databases)

    assert not report.safe
    removed = {f.stack: f for f in report.findings if f.category is Category.STACK_REMOVED}
    assert sorted(removed) == sorted(EXTRA_STACKS)
    for stack, finding in removed.items():
        assert finding.unsafe
        databases = {
            **fleet.resources(stack, "AWS::RDS::DBInstance"),
            **fleet.resources(stack, "AWS::RDS::DBCluster"),
        }
        assert databases, stack
        assert finding.message.startswith(
            f"stack template {stack}.template.json is missing from CURRENT; it holds"
        )
        assert all(logical_id in finding.message for logical_id in databases)
    # What stays (the environment's stack, which lists its databases) changes in place only.
    others = [f for f in report.findings if f.category is not Category.STACK_REMOVED]
    assert [f for f in others if f.unsafe] == []


def _without_databases(path: Path) -> dict[str, Any]:
    table = tomllib.loads(path.read_text())["environments"]["shop"]
    return {key: value for key, value in table.items() if key != "databases"}


def test_no_stack_is_near_the_resource_quota(fleet: Fleet) -> None:
    counts = {name: len(template["Resources"]) for name, template in fleet.templates.items()}
    assert max(counts.values()) < 500, counts
    assert re.match(r"rds-ha-", min(counts))
