"""`rds-ha protect` and the stack policy documents written next to templates."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from typer.testing import CliRunner

from rds_ha.cli import plans
from rds_ha.cli.app import app
from rds_ha.cli.context import CliContext
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
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as if stdin were a terminal, so the confirmation prompt reads the test's input."""
    monkeypatch.setattr(plans, "stdin_is_interactive", lambda: True)


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


def test_protect_asks_and_changes_nothing_when_refused(cloudformation, interactive):
    result = invoke("protect", STACK, stdin="n\n")

    assert result.exit_code == 3
    assert f"Plan: set the stack policy of {STACK}" in result.output
    assert "Proceed?" in result.output
    assert stack_policy(cloudformation) is None


def test_protect_applies_after_confirmation(cloudformation, interactive):
    result = invoke("protect", STACK, stdin="y\n")

    assert result.exit_code == 0, result.output
    assert stack_policy(cloudformation) == EXPECTED_POLICY


def test_protect_dry_run_prints_the_policy_and_changes_nothing(cloudformation):
    result = invoke("--output", "json", "protect", STACK, "--dry-run")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["dry_run"] is True
    assert report["plan"]["policy"] == EXPECTED_POLICY
    assert report["plan"]["current_policy"] is None
    assert stack_policy(cloudformation) is None


def test_protect_unknown_stack_exits_2(cloudformation):
    result = invoke("protect", "No-Such-Stack", "--yes")

    assert result.exit_code == 2
    assert "cannot read the template of stack 'No-Such-Stack'" in result.output
    assert "nothing was changed" in result.output


def test_protect_stack_without_stateful_resources_is_refused_with_exit_2(cloudformation):
    result = invoke("protect", "App-Prod-Topics", "--yes")

    assert result.exit_code == 2
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


def test_protect_shows_the_difference_with_the_current_policy(cloudformation):
    old = {
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "Update:*",
                "Principal": "*",
                "Resource": "LogicalResourceId/Key",
            }
        ]
    }
    cloudformation.set_stack_policy(StackName=STACK, StackPolicyBody=json.dumps(old))

    result = invoke("protect", STACK, "--dry-run")

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert 'remove statement {"Action": "Update:*", "Effect": "Deny"' in text
    assert 'add statement {"Action": ["Update:Replace", "Update:Delete"]' in text
    assert "the stack already has a policy" in text
    assert stack_policy(cloudformation) == old


def test_protect_with_the_policy_already_in_place_changes_nothing(cloudformation):
    cloudformation.set_stack_policy(StackName=STACK, StackPolicyBody=json.dumps(EXPECTED_POLICY))

    result = invoke("protect", STACK, "-y")

    assert result.exit_code == 0, result.output
    assert "already in place" in result.output


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling"])
def test_protect_reports_aws_refusals_with_exit_1_and_no_traceback(monkeypatch, code):
    client = boto3.client("cloudformation", region_name="eu-west-1")
    stub = Stubber(client)
    stub.add_client_error("get_template", code, "not now")
    monkeypatch.setattr(CliContext, "client", lambda self, name: client)

    with stub:
        result = invoke("protect", STACK, "--yes")

    assert result.exit_code == 1
    assert f"AWS refused GetTemplate: {code}: not now" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_protect_with_an_unknown_profile_is_bad_input(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))

    result = invoke("--profile", "nope", "protect", STACK, "--yes")

    assert result.exit_code == 2
    assert "--profile: The config profile (nope) could not be found" in result.output
    assert isinstance(result.exception, SystemExit)
