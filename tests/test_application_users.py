"""ApplicationUser: an application's own database user whose secret is rotated by Secrets
Manager's alternating-users function, logging in with the stack's master secret; synthesized
with the four cdk-nag packs registered, and refused with every problem named."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from synth_helpers import TEST_ENV, ComplianceSynth, compliance_app, isolated_vpc

from rds_ha import (
    ApplicationUser,
    ConfigurationError,
    CredentialsMode,
    Deployment,
    Engine,
    HighlyAvailableDatabase,
)

SECRET = "AWS::SecretsManager::Secret"
ATTACHMENT = "AWS::SecretsManager::SecretTargetAttachment"


class Built:
    def __init__(self, **props: Any) -> None:
        self.app = compliance_app()
        self.stack = cdk.Stack(self.app, "Shop", env=TEST_ENV)
        self.database = HighlyAvailableDatabase(
            self.stack, "Orders", vpc=isolated_vpc(self.stack), identifier="orders", **props
        )
        self.user = self.database.add_application_user(
            "AppUser", "orders_app", rotation=cdk.Duration.days(14)
        )
        self.synth = ComplianceSynth(self.app)
        self.template: Template = self.synth.template(self.stack)

    def resources(self, resource_type: str) -> dict[str, Any]:
        return self.template.find_resources(resource_type)

    def user_secret(self) -> tuple[str, dict[str, Any]]:
        (found,) = [
            (logical_id, secret)
            for logical_id, secret in self.resources(SECRET).items()
            if logical_id.startswith("OrdersAppUserSecret")
        ]
        return found


@pytest.fixture(scope="module")
def instance() -> Built:
    return Built()


@pytest.fixture(scope="module")
def cluster() -> Built:
    return Built(engine=Engine.MYSQL, deployment=Deployment.MULTI_AZ_CLUSTER)


def test_the_users_secret_names_the_master_secret_and_is_under_the_database_key(
    instance: Built,
) -> None:
    _, secret = instance.user_secret()
    generated = secret["Properties"]["GenerateSecretString"]
    template = generated["SecretStringTemplate"]
    # rds.DatabaseSecret with master_secret: {"username": ..., "masterarn": <master secret>}
    assert template["Fn::Join"][1][0].startswith('{"username":"orders_app","masterarn":"')
    (master_ref,) = [part for part in template["Fn::Join"][1] if isinstance(part, dict)]
    assert master_ref["Ref"].startswith("OrdersSecretAttachment")
    assert secret["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["OrdersKey6C690DD2", "Arn"]}
    # Kept as the master secret is: deleted only with a destroyed database.
    (master,) = [m for i, m in instance.resources(SECRET).items() if i.startswith("OrdersSecret")]
    assert secret["DeletionPolicy"] == master["DeletionPolicy"] == "RetainExceptOnCreate"


def test_the_secret_is_attached_to_the_instance_and_rotated_by_alternating_users(
    instance: Built,
) -> None:
    secret_id, _ = instance.user_secret()
    (attachment_id,) = [
        logical_id
        for logical_id, attachment in instance.resources(ATTACHMENT).items()
        if attachment["Properties"]["SecretId"] == {"Ref": secret_id}
    ]
    schedules = instance.resources("AWS::SecretsManager::RotationSchedule").values()
    (schedule,) = [s for s in schedules if s["Properties"]["SecretId"] == {"Ref": attachment_id}]
    # The user must exist before the first rotation: it waits for the schedule.
    assert schedule["Properties"]["RotateImmediatelyOnUpdate"] is False
    assert schedule["Properties"]["RotationRules"] == {"ScheduleExpression": "rate(14 days)"}
    application_id = schedule["Properties"]["RotationLambdaARN"]["Fn::GetAtt"][0]
    application = instance.resources("AWS::Serverless::Application")[application_id]
    parameters = application["Properties"]["Parameters"]
    assert parameters["masterSecretArn"]["Ref"].startswith("OrdersSecretAttachment")
    assert parameters["functionName"] == "orders-orders_app-rotation"
    mapping = application["Properties"]["Location"]["ApplicationId"]["Fn::FindInMap"][0]
    app_ids = json.dumps(instance.template.to_json()["Mappings"][mapping])
    assert "SecretsManagerRDSPostgreSQLRotationMultiUser" in app_ids


def test_the_rotation_function_reaches_only_the_database_port_and_the_endpoint(
    instance: Built,
) -> None:
    group_id = instance.stack.resolve(instance.user.security_group.security_group_id)["Fn::GetAtt"][
        0
    ]
    egress = [
        rule["Properties"]
        for rule in instance.resources("AWS::EC2::SecurityGroupEgress").values()
        if rule["Properties"]["GroupId"]["Fn::GetAtt"][0] == group_id
    ]
    assert sorted(rule["FromPort"] for rule in egress) == [443, instance.database.port]
    ingress = [
        rule["Properties"]
        for rule in instance.resources("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"].get("SourceSecurityGroupId", {}).get("Fn::GetAtt", [""])[0]
        == group_id
    ]
    assert sorted(rule["FromPort"] for rule in ingress) == [443, instance.database.port]


def test_a_cluster_users_secret_is_attached_to_the_cluster(cluster: Built) -> None:
    secret_id, _ = cluster.user_secret()
    (attachment,) = [
        a["Properties"]
        for a in cluster.resources(ATTACHMENT).values()
        if a["Properties"]["SecretId"] == {"Ref": secret_id}
    ]
    assert attachment["TargetType"] == "AWS::RDS::DBCluster"
    mappings = json.dumps(cluster.template.to_json()["Mappings"])
    assert "SecretsManagerRDSMySQLRotationMultiUser" in mappings


@pytest.mark.parametrize("props", [{}, {"engine": Engine.MYSQL, "deployment": "multi-az-cluster"}])
def test_the_user_adds_no_compliance_finding(props: dict[str, Any]) -> None:
    """The bare fixture (no flow logs, no backup plan) has findings of its own; the user adds
    none to them."""
    with_user = Built(**props).synth.violations
    app = compliance_app()
    stack = cdk.Stack(app, "Shop", env=TEST_ENV)
    HighlyAvailableDatabase(stack, "Orders", vpc=isolated_vpc(stack), identifier="orders", **props)

    assert sorted(with_user) == sorted(ComplianceSynth(app).violations)
    assert not [v for v in with_user if "/AppUser/" in v]


def test_grant_read_lets_a_role_read_and_decrypt_the_login() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Reader", env=TEST_ENV)
    database = HighlyAvailableDatabase(stack, "Orders", vpc=isolated_vpc(stack))
    user = ApplicationUser(stack, "User", database=database, username="reader")
    role = cdk.aws_iam.Role(
        stack, "App", assumed_by=cdk.aws_iam.ServicePrincipal("lambda.amazonaws.com")
    )

    user.grant_read(role)

    template = Template.from_stack(stack)
    role_id = stack.resolve(role.role_arn)["Fn::GetAtt"][0]
    (policy,) = template.find_resources("AWS::IAM::Policy").values()
    (read,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert "secretsmanager:GetSecretValue" in read["Action"]
    assert read["Resource"] == stack.resolve(user.secret.secret_arn)
    (key,) = template.find_resources("AWS::KMS::Key").values()
    (decrypt,) = [
        s for s in key["Properties"]["KeyPolicy"]["Statement"] if role_id in json.dumps(s)
    ]
    assert decrypt["Action"] == "kms:Decrypt"
    assert "secretsmanager." in json.dumps(decrypt["Condition"]["StringEquals"]["kms:ViaService"])


def _refused(**props: Any) -> str:
    stack = cdk.Stack(cdk.App(), "Bad", env=TEST_ENV)
    database = HighlyAvailableDatabase(
        stack, "Orders", vpc=isolated_vpc(stack), **props.pop("database", {})
    )
    with pytest.raises(ConfigurationError) as error:
        ApplicationUser(stack, "User", database=database, **props)
    return str(error.value)


def test_every_problem_is_named_at_once() -> None:
    message = _refused(
        database={"credentials": CredentialsMode.RDS_MANAGED},
        username="Orders-App",
        rotation=cdk.Duration.hours(36),
    )

    assert "credentials='rds-managed'" in message and "credentials='secret'" in message
    assert "username='Orders-App': must be 1-57 lowercase letters" in message
    assert "rotation=" in message and "whole days, 1-1000" in message


@pytest.mark.parametrize(
    ("engine", "username", "expected"),
    [
        (Engine.MYSQL, "a" * 27, "must be 1-26"),  # 27 + "_clone" > MySQL's 32
        (Engine.POSTGRES, "a" * 58, "must be 1-57"),  # 58 + "_clone" > PostgreSQL's 63
        (Engine.POSTGRES, "app_clone", "must not end with '_clone'"),
        (Engine.POSTGRES, "rdsapp", "start with 'rds'"),
        (Engine.POSTGRES, "rdsha_admin", "start with 'rds'"),
        (Engine.POSTGRES, "dbadmin", "is the master user"),
    ],
)
def test_a_username_the_rotation_cannot_use_is_refused(engine, username, expected) -> None:
    database: dict[str, Any] = {"engine": engine}
    if username == "dbadmin":
        database["master_username"] = "dbadmin"

    assert expected in _refused(database=database, username=username)


def test_the_longest_allowed_names_are_accepted() -> None:
    stack = cdk.Stack(cdk.App(), "Long", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    mysql = HighlyAvailableDatabase(stack, "Shop", vpc=vpc, engine=Engine.MYSQL)

    user = mysql.add_application_user("User", "a" * 26)

    assert user.username == "a" * 26
