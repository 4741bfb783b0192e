"""The guard on templates synthesized by aws-cdk-lib: a DatabaseInstance as CDK writes it, and
the changes people actually make to one. All variants are synthesized once, as stacks of one app,
and each is compared with the baseline stack."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import HighlyAvailableDatabase
from rds_ha.guard import Category, compare_templates

ENV = cdk.Environment(account="123456789012", region="eu-west-1")


def database_stack(
    app: cdk.App,
    name: str,
    *,
    database_id: str = "Database",
    instance_type: str = "r7g.large",
    subnet_group_name: str | None = None,
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
) -> None:
    stack = cdk.Stack(app, name, env=ENV)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        subnet_configuration=[
            ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ],
    )
    key = kms.Key(stack, "Key", enable_key_rotation=True, removal_policy=cdk.RemovalPolicy.RETAIN)
    subnet_group = rds.SubnetGroup(
        stack,
        "Subnets",
        vpc=vpc,
        description="database subnets",
        subnet_group_name=subnet_group_name,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
    )
    rds.DatabaseInstance(
        stack,
        database_id,
        engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17),
        instance_type=ec2.InstanceType(instance_type),
        vpc=vpc,
        subnet_group=subnet_group,
        storage_encryption_key=key,
        multi_az=True,
        deletion_protection=True,
        removal_policy=removal_policy,
    )


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    app = cdk.App()
    database_stack(app, "Baseline")
    database_stack(app, "Renamed", database_id="PrimaryDatabase")
    database_stack(app, "Bigger", instance_type="r7g.xlarge")
    database_stack(app, "NamedSubnets", subnet_group_name="orders-db")
    database_stack(app, "Destroyable", removal_policy=cdk.RemovalPolicy.DESTROY)
    assembly = app.synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


def unsafe(templates: dict[str, dict[str, Any]], variant: str) -> set[tuple[str, Category]]:
    found = compare_templates(variant, templates["Baseline"], templates[variant])
    return {(f.resource_type, f.category) for f in found if f.unsafe}


def test_synthesized_baseline_compared_with_itself_is_safe(templates):
    assert compare_templates("Baseline", templates["Baseline"], templates["Baseline"]) == []


def test_renamed_database_construct_is_removed(templates):
    found = compare_templates("Renamed", templates["Baseline"], templates["Renamed"])

    removed = {f.resource_type: f for f in found if f.category is Category.REMOVED}
    # The generated credentials secret lives under the database construct, so it moves too.
    assert set(removed) == {"AWS::RDS::DBInstance", "AWS::SecretsManager::Secret"}
    for finding in removed.values():
        assert finding.logical_id.startswith("Database")
        assert finding.new.startswith("PrimaryDatabase")
        assert f"Likely renamed to {finding.new}" in finding.message


def test_bigger_instance_class_is_in_place(templates):
    found = compare_templates("Bigger", templates["Baseline"], templates["Bigger"])

    # The stacks differ in name too, which shows up only as in-place tag changes.
    assert not [f for f in found if f.unsafe]
    assert [
        (f.category, f.property, f.old, f.new)
        for f in found
        if f.resource_type == "AWS::RDS::DBInstance"
    ] == [(Category.IN_PLACE, "DBInstanceClass", "db.r7g.large", "db.r7g.xlarge")]


def test_named_subnet_group_replaces_the_database(templates):
    assert unsafe(templates, "NamedSubnets") == {("AWS::RDS::DBInstance", Category.REPLACED)}


def test_destroy_removal_policy_weakens_the_database_policies(templates):
    found = compare_templates("Destroyable", templates["Baseline"], templates["Destroyable"])

    assert sorted((f.property, f.old, f.new) for f in found if f.unsafe) == [
        ("DeletionPolicy", "Retain", "Delete"),
        ("UpdateReplacePolicy", "Retain", "Delete"),
    ]


def _rds_ha_template(port: int, deployment: str) -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "Shop", env=TEST_ENV)
    HighlyAvailableDatabase(
        stack, "Orders", vpc=isolated_vpc(stack), deployment=deployment, port=port
    )
    return cdk.assertions.Template.from_stack(stack).to_json()


def test_a_multi_az_db_cluster_port_change_is_refused_before_rds_refuses_it():
    found = compare_templates(
        "Shop",
        _rds_ha_template(15432, "multi-az-cluster"),
        _rds_ha_template(15433, "multi-az-cluster"),
    )

    (refused,) = [f for f in found if f.category is Category.AWS_REFUSES]
    assert (refused.resource_type, refused.property) == ("AWS::RDS::DBCluster", "Port")
    assert refused.unsafe
    assert "[cluster.no-port-change]" in refused.message and "Modifying the port" in refused.message
    assert not [f for f in found if f.category is Category.IN_PLACE and f.property == "Port"]


def test_an_instance_port_change_stays_an_in_place_change():
    found = compare_templates(
        "Shop",
        _rds_ha_template(15432, "multi-az-instance"),
        _rds_ha_template(15433, "multi-az-instance"),
    )

    assert not [f for f in found if f.category is Category.AWS_REFUSES]
    assert [f.property for f in found if f.resource_type == "AWS::RDS::DBInstance"] == ["Port"]
