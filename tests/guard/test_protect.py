"""`rds-ha protect` and the stack policy documents written next to templates."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from rds_ha.cli.app import app
from rds_ha.guard import stack_policy_for_template, write_stack_policy

STACK = "App-Prod-Database"
TEMPLATE = {
    "Resources": {
        "Key": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": []}},
        },
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {}},
    }
}
EXPECTED_POLICY = {
    "Statement": [
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": ["Update:Replace", "Update:Delete"],
            "Principal": "*",
            "Resource": [
                "LogicalResourceId/Bucket",
                "LogicalResourceId/Key",
                "LogicalResourceId/Logs",
            ],
        },
    ]
}

runner = CliRunner()


def invoke(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "250"})


@pytest.fixture
def cloudformation():
    with mock_aws():
        client = boto3.client("cloudformation", region_name="eu-west-1")
        client.create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
        client.create_stack(
            StackName="App-Prod-Topics",
            TemplateBody=json.dumps({"Resources": {"Alerts": TEMPLATE["Resources"]["Alerts"]}}),
        )
        yield client


def stack_policy(client, stack: str = STACK):
    # moto stores the policy body as given and enforces nothing, so these tests check the
    # document we send, not CloudFormation's reaction to it.
    body = client.get_stack_policy(StackName=stack).get("StackPolicyBody")
    return json.loads(body) if body else None


def test_policy_denies_replace_and_delete_on_stateful_resources_only():
    assert stack_policy_for_template(TEMPLATE) == EXPECTED_POLICY


def test_policy_for_template_without_stateful_resources_only_allows():
    policy = stack_policy_for_template({"Resources": {"Alerts": {"Type": "AWS::SNS::Topic"}}})

    assert policy == {"Statement": [EXPECTED_POLICY["Statement"][0]]}


def test_write_stack_policy_puts_the_document_next_to_the_template(tmp_path):
    template = tmp_path / f"{STACK}.template.json"
    template.write_text(json.dumps(TEMPLATE))

    written = write_stack_policy(template)

    assert written == tmp_path / f"{STACK}.stack-policy.json"
    assert json.loads(written.read_text()) == EXPECTED_POLICY


def test_protect_with_yes_sets_the_policy(cloudformation):
    result = invoke("protect", STACK, "--yes")

    assert result.exit_code == 0, result.output
    assert f"Stack policy set on {STACK}." in result.output
    assert stack_policy(cloudformation) == EXPECTED_POLICY


def test_protect_asks_and_changes_nothing_when_refused(cloudformation):
    result = invoke("protect", STACK, stdin="n\n")

    assert result.exit_code == 1
    assert f"Set this stack policy on {STACK}?" in result.output
    assert stack_policy(cloudformation) is None


def test_protect_applies_after_confirmation(cloudformation):
    result = invoke("protect", STACK, stdin="y\n")

    assert result.exit_code == 0, result.output
    assert stack_policy(cloudformation) == EXPECTED_POLICY


def test_protect_dry_run_prints_the_policy_and_changes_nothing(cloudformation):
    result = invoke("--output", "json", "protect", STACK, "--dry-run")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"stack": STACK, "dry_run": True, "policy": EXPECTED_POLICY}
    assert stack_policy(cloudformation) is None


def test_protect_unknown_stack_exits_2(cloudformation):
    result = invoke("protect", "No-Such-Stack", "--yes")

    assert result.exit_code == 2
    assert "cannot read the template of stack 'No-Such-Stack'" in result.output
    assert "nothing was changed" in result.output


def test_protect_stack_without_stateful_resources_exits_1_and_sets_nothing(cloudformation):
    result = invoke("protect", "App-Prod-Topics", "--yes")

    assert result.exit_code == 1
    assert "has no stateful resources to protect" in result.output
    assert stack_policy(cloudformation, "App-Prod-Topics") is None


# moto's CloudFormation does not create secrets; it only warns, and the stack still exists.
@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_protect_reads_yaml_templates_with_short_form_intrinsics(cloudformation):
    yaml_template = (
        "Resources:\n"
        "  Key:\n"
        "    Type: AWS::KMS::Key\n"
        "    Properties:\n"
        "      KeyPolicy: {Version: '2012-10-17', Statement: []}\n"
        "  Secret:\n"
        "    Type: AWS::SecretsManager::Secret\n"
        "    Properties:\n"
        "      KmsKeyId: !Ref Key\n"
    )
    cloudformation.create_stack(StackName="Yaml", TemplateBody=yaml_template)

    result = invoke("protect", "Yaml", "--yes")

    assert result.exit_code == 0, result.output
    assert stack_policy(cloudformation, "Yaml")["Statement"][1]["Resource"] == [
        "LogicalResourceId/Key",
        "LogicalResourceId/Secret",
    ]
