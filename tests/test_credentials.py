"""The two credentials modes of HighlyAvailableDatabase: a secret of the stack's own rotated by a
Secrets Manager rotation function ("secret", the default) and the RDS-managed master secret
("rds-managed"); and switching a committed environment between them, as the guard sees it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template
from synth_helpers import TEST_ENV, compliance_app, isolated_vpc

from rds_ha import (
    ConfigurationError,
    CredentialsMode,
    Deployment,
    Engine,
    HighlyAvailableDatabase,
)
from rds_ha.database.credentials import rotation_function_name
from rds_ha.guard.compare import compare_templates
from stacks.config import load_config
from stacks.database_stack import DatabaseStack

ROOT = Path(__file__).resolve().parent.parent
SECRET = "AWS::SecretsManager::Secret"
DB_INSTANCE = "AWS::RDS::DBInstance"


class Built:
    def __init__(self, *, databases: dict[str, dict[str, Any]]) -> None:
        self.app = cdk.App()
        self.stack = cdk.Stack(self.app, "Shop", env=TEST_ENV)
        vpc = isolated_vpc(self.stack)
        self.databases = {
            name: HighlyAvailableDatabase(self.stack, name, vpc=vpc, **props)
            for name, props in databases.items()
        }
        self.template = Template.from_stack(self.stack)
        self.json: dict[str, Any] = self.template.to_json()

    def of_type(self, resource_type: str) -> dict[str, Any]:
        return self.template.find_resources(resource_type)


@pytest.fixture(scope="module")
def secret_mode() -> Built:
    return Built(
        databases={
            "Orders": {},
            "Billing": {"engine": Engine.MARIADB, "master_password_rotation": cdk.Duration.days(7)},
        }
    )


@pytest.fixture(scope="module")
def managed_mode() -> Built:
    return Built(databases={"Orders": {"credentials": CredentialsMode.RDS_MANAGED}})


@pytest.fixture(scope="module")
def cluster() -> Built:
    return Built(
        databases={"Payments": {"engine": Engine.MYSQL, "deployment": Deployment.MULTI_AZ_CLUSTER}}
    )


def _ref_id(value: dict[str, Any]) -> str:
    return value.get("Ref") or value["Fn::GetAtt"][0]


# --- credentials = "secret" (the default) ----------------------------------------------------


def test_the_default_is_a_secret_of_the_stack_under_the_database_key(secret_mode: Built) -> None:
    secrets = secret_mode.of_type(SECRET)
    assert len(secrets) == 2
    keys = {
        _ref_id(secret["Properties"]["KmsKeyId"]): secret["Properties"]
        for secret in secrets.values()
    }
    assert all(key.startswith(("OrdersKey", "BillingKey")) for key in keys)
    for secret in secrets.values():
        # Kept when the stack or the construct goes (but not by a failed first create).
        assert secret["DeletionPolicy"] == "RetainExceptOnCreate"
        generated = secret["Properties"]["GenerateSecretString"]
        assert json.loads(generated["SecretStringTemplate"]) == {"username": "rdsha_admin"}
        # RDS refuses "/", '"' and "@" in a master password.
        assert {"/", '"', "@"} <= set(generated["ExcludeCharacters"])
        # MySQL and MariaDB take at most 41 characters.
        assert 8 <= generated["PasswordLength"] <= 41


def test_the_instance_takes_the_password_from_the_secret_and_no_rds_managed_secret(
    secret_mode: Built,
) -> None:
    secret_mode.template.has_resource_properties(
        DB_INSTANCE,
        {
            "ManageMasterUserPassword": Match.absent(),
            "MasterUserSecret": Match.absent(),
            # Text, not a reference into the secret: MasterUsername is create-only.
            "MasterUsername": "rdsha_admin",
            "MasterUserPassword": {
                "Fn::Join": [
                    "",
                    [
                        "{{resolve:secretsmanager:",
                        {"Ref": Match.string_like_regexp("^OrdersSecret")},
                        ":SecretString:password::}}",
                    ],
                ]
            },
        },
    )


def test_the_secret_is_attached_to_its_instance_and_rotated_on_schedule(secret_mode: Built) -> None:
    attachments = secret_mode.of_type("AWS::SecretsManager::SecretTargetAttachment")
    assert {a["Properties"]["TargetType"] for a in attachments.values()} == {"AWS::RDS::DBInstance"}
    schedules = {
        _ref_id(s["Properties"]["SecretId"]): s["Properties"]
        for s in secret_mode.of_type("AWS::SecretsManager::RotationSchedule").values()
    }
    assert set(schedules) == set(attachments)
    expressions = sorted(s["RotationRules"]["ScheduleExpression"] for s in schedules.values())
    assert expressions == ["rate(30 days)", "rate(7 days)"]


def test_rotation_runs_in_the_isolated_subnets_through_the_secrets_manager_endpoint(
    secret_mode: Built,
) -> None:
    assert secret_mode.json["Transform"] == ["AWS::Serverless-2016-10-31"]
    applications = secret_mode.of_type("AWS::Serverless::Application")
    assert len(applications) == 2
    (endpoint_id,) = [
        logical_id
        for logical_id, endpoint in secret_mode.of_type("AWS::EC2::VPCEndpoint").items()
        if "secretsmanager" in json.dumps(endpoint["Properties"]["ServiceName"])
    ]
    names = set()
    for application in applications.values():
        parameters = application["Properties"]["Parameters"]
        # Secrets Manager's own name, which the endpoint's private DNS resolves in the VPC.
        assert "vpce" not in json.dumps(parameters["endpoint"])
        assert "https://secretsmanager.eu-west-1." in json.dumps(parameters["endpoint"])
        assert endpoint_id in application["DependsOn"]
        assert "VpcdbSubnet" in json.dumps(parameters["vpcSubnetIds"])
        assert "Key" in json.dumps(parameters["kmsKeyArn"])
        names.add(parameters["functionName"])
    assert names == {"shop-orders-rotation", "shop-billing-rotation"}
    mappings = json.dumps(secret_mode.json["Mappings"])
    assert "SecretsManagerRDSPostgreSQLRotationSingleUser" in mappings
    assert "SecretsManagerRDSMariaDBRotationSingleUser" in mappings


def test_one_secrets_manager_endpoint_serves_every_database_of_the_vpc(secret_mode: Built) -> None:
    endpoints = [
        e["Properties"]
        for e in secret_mode.of_type("AWS::EC2::VPCEndpoint").values()
        if "secretsmanager" in json.dumps(e["Properties"]["ServiceName"])
    ]
    assert len(endpoints) == 1
    assert endpoints[0]["PrivateDnsEnabled"] is True


def test_the_rotation_function_may_reach_only_its_database_and_the_endpoint(
    secret_mode: Built,
) -> None:
    groups = {
        logical_id: group["Properties"]
        for logical_id, group in secret_mode.of_type("AWS::EC2::SecurityGroup").items()
        if group["Properties"]["GroupDescription"].endswith(": master password rotation function")
    }
    assert len(groups) == 2
    for group in groups.values():
        # No default allow-all rule: every egress is a rule of its own.
        assert "SecurityGroupEgress" not in group
    egress = [
        rule["Properties"]
        for rule in secret_mode.of_type("AWS::EC2::SecurityGroupEgress").values()
        if _ref_id(rule["Properties"]["GroupId"]) in groups
    ]
    ports = sorted(
        (rule["FromPort"], _ref_id(rule["DestinationSecurityGroupId"])) for rule in egress
    )
    assert [port for port, _ in ports] == [443, 443, 13306, 15432]
    destinations = {destination for _, destination in ports}
    assert any(d.startswith("OrdersSecretsManagerEndpoint") for d in destinations)
    assert all("SecretsManagerEndpoint" in d or "SecurityGroup" in d for d in destinations)


def test_a_secret_of_a_destroyed_database_goes_with_it() -> None:
    built = Built(
        databases={
            "Scratch": {
                "deployment": Deployment.SINGLE_AZ,
                "deletion_protection": False,
                "removal_policy": cdk.RemovalPolicy.DESTROY,
            }
        }
    )
    (secret,) = built.of_type(SECRET).values()
    assert secret["DeletionPolicy"] == "Delete"


def test_an_endpoint_passed_in_is_used_and_without_one_the_function_may_use_https() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Shop", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    endpoint = vpc.add_interface_endpoint(
        "Existing", service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, open=False
    )
    HighlyAvailableDatabase(stack, "Orders", vpc=vpc, secrets_manager_endpoint=endpoint)
    HighlyAvailableDatabase(stack, "Billing", vpc=vpc, create_secrets_manager_endpoint=False)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 1)
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupDescription": "shop-billing: master password rotation function",
            "SecurityGroupEgress": [Match.object_like({"CidrIp": "0.0.0.0/0", "FromPort": 443})],
        },
    )


# --- credentials = "rds-managed" -------------------------------------------------------------


def test_rds_managed_keeps_the_password_in_the_secret_rds_manages(managed_mode: Built) -> None:
    managed_mode.template.has_resource_properties(
        DB_INSTANCE,
        {
            "ManageMasterUserPassword": True,
            "MasterUserSecret": {"KmsKeyId": Match.any_value()},
            "MasterUserPassword": Match.absent(),
            "MasterUsername": "rdsha_admin",
        },
    )
    # RDS rotates it itself: no function, no endpoint, no transform.
    for resource_type in (
        SECRET,
        "AWS::SecretsManager::RotationSchedule",
        "AWS::Serverless::Application",
        "AWS::EC2::VPCEndpoint",
    ):
        managed_mode.template.resource_count_is(resource_type, 0)
    assert "Transform" not in managed_mode.json
    assert managed_mode.databases["Orders"].secret_rotation is None


# --- Multi-AZ DB clusters --------------------------------------------------------------------


def test_a_cluster_gets_its_own_attached_rotated_secret(cluster: Built) -> None:
    cluster.template.has_resource_properties(
        "AWS::RDS::DBCluster",
        {
            "ManageMasterUserPassword": Match.absent(),
            "MasterUsername": "rdsha_admin",
            "MasterUserPassword": Match.object_like({"Fn::Join": Match.any_value()}),
        },
    )
    cluster.template.has_resource_properties(
        "AWS::SecretsManager::SecretTargetAttachment",
        {
            "TargetType": "AWS::RDS::DBCluster",
            "TargetId": {"Ref": Match.string_like_regexp("^Payments")},
        },
    )
    cluster.template.resource_count_is("AWS::SecretsManager::RotationSchedule", 1)
    assert "SecretsManagerRDSMySQLRotationSingleUser" in json.dumps(cluster.json["Mappings"])
    # The rotation function is let into the cluster's port (a number, not an attribute).
    cluster.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {"FromPort": 13306, "Description": "Master password rotation of shop-payments"},
    )


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"credentials": "vault"}, "credentials='vault': must be one of 'secret', 'rds-managed'"),
        (
            {"master_password_rotation": cdk.Duration.days(0)},
            "master_password_rotation_days=0: must be whole days, 1-1000",
        ),
        (
            {"master_password_rotation": cdk.Duration.days(1001)},
            "master_password_rotation_days=1001: must be whole days, 1-1000",
        ),
        (
            {"master_password_rotation": cdk.Duration.hours(36)},
            "master_password_rotation_days=1.5: must be whole days",
        ),
    ],
)
def test_a_bad_credentials_setting_is_refused_naming_the_value(
    props: dict[str, Any], expected: str
) -> None:
    stack = cdk.Stack(cdk.App(), "Shop", env=TEST_ENV)
    with pytest.raises(ConfigurationError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        HighlyAvailableDatabase(stack, "Orders", vpc=isolated_vpc(stack), **props)


def test_the_mode_is_read_case_insensitively() -> None:
    stack = cdk.Stack(cdk.App(), "Shop", env=TEST_ENV)
    database = HighlyAvailableDatabase(
        stack, "Orders", vpc=isolated_vpc(stack), credentials="RDS-Managed"
    )
    assert database.credentials is CredentialsMode.RDS_MANAGED


def test_a_long_identifier_still_names_a_valid_unique_rotation_function() -> None:
    long_one, other = "a" * 63, "a" * 62 + "b"
    assert len(rotation_function_name(long_one)) <= 64
    assert rotation_function_name(long_one) != rotation_function_name(other)
    assert rotation_function_name("shop-orders") == "shop-orders-rotation"


# --- switching a committed environment between the modes -------------------------------------


def _dev_template(credentials: str) -> dict[str, Any]:
    app = compliance_app()
    dev = next(env for env in load_config().select("dev"))
    stack = DatabaseStack(app, config=dev.model_copy(update={"credentials": credentials}))
    return Template.from_stack(stack).to_json()


@pytest.fixture(scope="module")
def dev_templates() -> dict[str, dict[str, Any]]:
    return {mode.value: _dev_template(mode.value) for mode in CredentialsMode}


def _guard(before: dict[str, Any], after: dict[str, Any]) -> list[Any]:
    return compare_templates("rds-ha-dev", before, after)


def test_switching_dev_to_secret_changes_the_database_in_place(
    dev_templates: dict[str, dict[str, Any]],
) -> None:
    findings = _guard(dev_templates["rds-managed"], dev_templates["secret"])
    assert [f for f in findings if f.unsafe] == []
    database = {f.property for f in findings if f.resource_type == DB_INSTANCE and f.property}
    # What CloudFormation sends to RDS: ModifyDBInstance with ManageMasterUserPassword=false
    # and the new MasterUserPassword (in place, no outage; RDS deletes its managed secret), and
    # the tag naming the new secret.
    assert database == {
        "ManageMasterUserPassword",
        "MasterUserPassword",
        "MasterUserSecret",
        "Tags",
    }


def test_switching_dev_back_to_rds_managed_leaves_the_secret_behind_and_says_so(
    dev_templates: dict[str, dict[str, Any]],
) -> None:
    findings = _guard(dev_templates["secret"], dev_templates["rds-managed"])
    secret_id = next(
        logical_id
        for logical_id, resource in dev_templates["secret"]["Resources"].items()
        if resource["Type"] == SECRET
    )
    # The database changes in place (RDS makes a managed secret); the stack's secret leaves the
    # template but is retained, and the guard stops on it until the baseline is refreshed on
    # purpose (docs/credentials.md, "Switching credentials modes").
    unsafe = [f for f in findings if f.unsafe]
    assert [(f.logical_id, f.category.value) for f in unsafe] == [(secret_id, "removed")]
    assert "leaves it behind" in unsafe[0].message
    assert {f.property for f in findings if f.resource_type == DB_INSTANCE} >= {
        "ManageMasterUserPassword",
        "MasterUserPassword",
    }
    assert all(not f.unsafe for f in findings if f.resource_type == DB_INSTANCE)


def test_the_committed_dev_baseline_is_rds_managed_and_the_committed_config_is_secret(
    dev_templates: dict[str, dict[str, Any]],
) -> None:
    baseline = json.loads((ROOT / "baselines" / "rds-ha-dev.template.json").read_text())
    instance = next(r for r in baseline["Resources"].values() if r["Type"] == DB_INSTANCE)
    assert instance["Properties"]["ManageMasterUserPassword"] is True
    # `make guard` compares the committed config's synth with this baseline; the same change.
    findings = _guard(baseline, dev_templates["secret"])
    assert [f for f in findings if f.unsafe] == []
    assert {"ManageMasterUserPassword", "MasterUserPassword"} <= {
        f.property for f in findings if f.resource_type == DB_INSTANCE
    }
