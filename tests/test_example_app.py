"""The example application stack, synthesized once beside a database stack with an RDS Proxy
(the four cdk-nag packs registered), and its handler run in-process with a Stubber."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk.assertions import Match
from botocore.stub import Stubber
from synth_helpers import TEST_ENV, ComplianceSynth, compliance_app, isolated_vpc

from rds_ha import DatabaseAlarms, DatabaseProxy, HighlyAvailableDatabase
from stacks.example_app_stack import HANDLER_DIR, ExampleAppStack


class Built:
    def __init__(self) -> None:
        self.app = compliance_app()
        self.database_stack = cdk.Stack(self.app, "Database", env=TEST_ENV)
        vpc = isolated_vpc(self.database_stack)
        self.database = HighlyAvailableDatabase(
            self.database_stack, "Orders", vpc=vpc, identifier="orders"
        )
        alarms = DatabaseAlarms(self.database_stack, "Alarms", database=self.database)
        self.proxy = DatabaseProxy(
            self.database_stack, "Proxy", database=self.database, vpc=vpc, alarm_topic=alarms.topic
        )
        self.stack = ExampleAppStack(
            self.app,
            "ExampleApp",
            vpc=vpc,
            database=self.database,
            proxy=self.proxy,
            db_user="rdsha_admin",
        )
        self.synth = ComplianceSynth(self.app)
        self.template = self.synth.template(self.stack)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def test_function_env_points_at_the_proxy_endpoint_parameter(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": {
                    "ENDPOINT_PARAMETER": "/rds-ha/orders/proxy-endpoint",
                    "DB_PORT": "5432",
                    "DB_USER": "rdsha_admin",
                }
            },
            "VpcConfig": Match.object_like({"SecurityGroupIds": Match.any_value()}),
        },
    )


def test_the_parameter_the_function_reads_is_one_the_proxy_writes_with_its_endpoint(
    built: Built,
) -> None:
    (function,) = built.template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "app_handler.handler"}}
    ).values()
    name = function["Properties"]["Environment"]["Variables"]["ENDPOINT_PARAMETER"]
    database = built.synth.template(built.database_stack)
    (proxy_id,) = database.find_resources("AWS::RDS::DBProxy")

    written = database.find_resources("AWS::SSM::Parameter", {"Properties": {"Name": name}})

    assert len(written) == 1, name
    (parameter,) = written.values()
    assert parameter["Properties"]["Value"] == {"Fn::GetAtt": [proxy_id, "Endpoint"]}


def test_function_may_connect_to_the_proxy_resource_id_as_the_user(built: Built) -> None:
    (statement,) = _statements(built, "rds-db:connect")
    # arn:aws:rds-db:<region>:<account>:dbuser:<proxy resource id>/<user>: the resource id is
    # the Value of the parameter the proxy's stack writes, split there from the proxy's ARN.
    # This template splits nothing: Fn::Split's supported functions do not include the
    # Fn::GetStackOutput CDK reads another stack's values with.
    prefix, read, user = statement["Resource"]["Fn::Join"][1]
    assert prefix == "arn:aws:rds-db:eu-west-1:111111111111:dbuser:"
    assert user == "/rdsha_admin"
    assert "Fn::Split" not in json.dumps(built.template.to_json())
    (output_name,) = [v["OutputName"] for k, v in read.items() if k == "Fn::GetStackOutput"]
    database = built.synth.template(built.database_stack).to_json()
    ((parameter_id, parameter),) = [
        (i, r)
        for i, r in database["Resources"].items()
        if r["Type"] == "AWS::SSM::Parameter"
        and r["Properties"]["Name"].endswith("proxy-resource-id")
    ]
    assert database["Outputs"][output_name]["Value"] == {"Fn::GetAtt": [parameter_id, "Value"]}
    (proxy_id,) = [i for i, r in database["Resources"].items() if r["Type"] == "AWS::RDS::DBProxy"]
    assert parameter["Properties"]["Value"] == {
        "Fn::Select": [6, {"Fn::Split": [":", {"Fn::GetAtt": [proxy_id, "DBProxyArn"]}]}]
    }


def _statements(built: Built, action: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in built.template.find_resources("AWS::IAM::ManagedPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == action
    ]


def test_function_reads_only_its_endpoint_parameter(built: Built) -> None:
    (statement,) = _statements(built, "ssm:GetParameter")
    assert ":parameter/rds-ha/orders/proxy-endpoint" in str(statement["Resource"])


def test_proxy_port_is_open_to_the_function_security_group_only(built: Built) -> None:
    ingress = built.template.find_resources(
        "AWS::EC2::SecurityGroupIngress", {"Properties": {"FromPort": 5432, "ToPort": 5432}}
    )
    assert len(ingress) == 1
    (rule,) = ingress.values()
    assert "SourceSecurityGroupId" in rule["Properties"]
    assert "SecurityGroup" in str(rule["Properties"]["SourceSecurityGroupId"])
    assert "ProxySecurityGroup" in str(rule["Properties"]["GroupId"])  # from the database stack
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress", {"FromPort": 5432, "ToPort": 5432, "IpProtocol": "tcp"}
    )


def test_example_stack_has_no_unacknowledged_nag_findings(built: Built) -> None:
    path = built.stack.node.path
    assert [v for v in built.synth.violations if f" at /{path}/" in v or f" at {path}/" in v] == []


# --- the handler ----------------------------------------------------------------------------


def _handler_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "app_handler", Path(HANDLER_DIR) / "app_handler.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_handler_finds_the_endpoint_in_ssm_and_generates_an_iam_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    handler = _handler_module()
    ssm = boto3.client("ssm")
    rds = boto3.client("rds")
    host = "orders-proxy.proxy-abc.eu-west-1.rds.amazonaws.com"
    with Stubber(ssm) as stub:
        stub.add_response(
            "get_parameter",
            {"Parameter": {"Name": "/rds-ha/orders/proxy-endpoint", "Value": host}},
            {"Name": "/rds-ha/orders/proxy-endpoint"},
        )
        login = handler.login(
            ssm,
            rds,
            {
                "ENDPOINT_PARAMETER": "/rds-ha/orders/proxy-endpoint",
                "DB_PORT": "5432",
                "DB_USER": "rdsha_admin",
            },
        )
    assert (login["host"], login["port"], login["user"]) == (host, 5432, "rdsha_admin")
    # A presigned rds-db:connect request for that host, port and user.
    assert login["password"].startswith(f"{host}:5432/?Action=connect&DBUser=rdsha_admin")
    assert "X-Amz-Signature=" in login["password"]
