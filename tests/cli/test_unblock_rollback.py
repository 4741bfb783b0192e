"""`rds-ha unblock-rollback`: finishing a failed first create that a protected database blocks.

moto's CloudFormation cannot produce a ROLLBACK_FAILED stack, so CloudFormation is a botocore
Stubber that answers as AWS does for such a stack; RDS and CloudWatch Logs are moto, so the
database really is protected, unprotected and deleted with its final snapshot.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from .conftest import REGION, create_instance, instance_ids, plain

STACK = "rds-ha-staging"
STACK_ID = f"arn:aws:cloudformation:{REGION}:123456789012:stack/{STACK}/1111-2222"
CREATED = datetime(2020, 1, 1, tzinfo=UTC)
LOG_GROUP = "/aws/rds/instance/rds-ha-staging/postgresql"
TEMPLATE = {
    "Resources": {
        "DatabaseF44359DD": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot"},
        "DatabaseLogpostgresql534130D9": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "RetainExceptOnCreate",
        },
        "DatabaseKey": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain"},
    }
}


def _stack(status: str, created: datetime = CREATED) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "StackId": STACK_ID,
                "CreationTime": created,
                "StackStatus": status,
            }
        ]
    }


def _resource(logical: str, kind: str, physical: str, status: str) -> dict[str, Any]:
    return {
        "LogicalResourceId": logical,
        "PhysicalResourceId": physical,
        "ResourceType": kind,
        "LastUpdatedTimestamp": CREATED,
        "ResourceStatus": status,
    }


RESOURCES = {
    "StackResourceSummaries": [
        _resource("DatabaseF44359DD", "AWS::RDS::DBInstance", "rds-ha-staging", "DELETE_FAILED"),
        _resource(
            "DatabaseLogpostgresql534130D9", "AWS::Logs::LogGroup", LOG_GROUP, "CREATE_COMPLETE"
        ),
        _resource("DatabaseKey", "AWS::KMS::Key", "1234abcd", "CREATE_COMPLETE"),
    ]
}


@pytest.fixture
def cloudformation(use_client: Any) -> Any:
    client = boto3.client("cloudformation", region_name=REGION)
    stubber = Stubber(client)
    use_client("cloudformation", client)
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()


def _blocked_stack(stubber: Stubber, created: datetime = CREATED) -> None:
    stubber.add_response(
        "describe_stacks", _stack("ROLLBACK_FAILED", created), {"StackName": STACK}
    )
    stubber.add_response("list_stack_resources", RESOURCES, {"StackName": STACK})
    stubber.add_response(
        "get_template",
        {"TemplateBody": json.dumps(TEMPLATE)},
        {"StackName": STACK, "TemplateStage": "Original"},
    )


def _created_by_the_stack(rds: Any, stack_id: str = STACK_ID) -> None:
    create_instance(
        rds,
        "rds-ha-staging",
        Tags=[{"Key": "aws:cloudformation:stack-id", "Value": stack_id}],
    )


def test_finishes_the_rollback_deleting_only_what_the_failed_create_made(
    rds: Any, cloudformation: Stubber, invoke: Any
) -> None:
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.create_log_group(logGroupName="/aws/rds/instance/other/postgresql")
    create_instance(rds, "other-db")  # not in the stack: must survive
    _created_by_the_stack(rds)
    _blocked_stack(cloudformation)
    cloudformation.add_response("delete_stack", {}, {"StackName": STACK_ID})
    cloudformation.add_response(
        "describe_stacks", _stack("DELETE_COMPLETE"), {"StackName": STACK_ID}
    )

    result = invoke("--output", "json", "unblock-rollback", STACK, "--yes")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["deleted_databases"] == ["rds-ha-staging"]
    assert report["deleted_log_groups"] == [LOG_GROUP]
    assert instance_ids(rds) == ["other-db"]
    # The protected database was unprotected first (moto refuses to delete it otherwise) and
    # kept its data in a final snapshot.
    (snapshot,) = rds.describe_db_snapshots(DBSnapshotIdentifier="rds-ha-staging-failed-create")[
        "DBSnapshots"
    ]
    assert snapshot["DBInstanceIdentifier"] == "rds-ha-staging"
    remaining = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert remaining == ["/aws/rds/instance/other/postgresql"]


def test_dry_run_shows_the_plan_and_changes_nothing(
    rds: Any, cloudformation: Stubber, invoke: Any
) -> None:
    _created_by_the_stack(rds)
    _blocked_stack(cloudformation)

    result = invoke("unblock-rollback", STACK, "--dry-run")

    assert result.exit_code == 0, result.output
    text = plain(result.output)
    assert "turn off deletion protection of DB instance rds-ha-staging" in text
    assert "final snapshot rds-ha-staging-failed-create" in text
    assert f"delete log group {LOG_GROUP}" in text
    assert "Dry run: nothing was changed." in text
    (db,) = rds.describe_db_instances(DBInstanceIdentifier="rds-ha-staging")["DBInstances"]
    assert db["DeletionProtection"] is True


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        ("UPDATE_ROLLBACK_FAILED", "continue-update-rollback"),
        ("CREATE_COMPLETE", "only finishes a first create"),
        ("ROLLBACK_COMPLETE", "delete the empty stack"),
    ],
)
def test_refuses_any_stack_but_a_blocked_first_create(
    rds: Any, cloudformation: Stubber, invoke: Any, status: str, hint: str
) -> None:
    _created_by_the_stack(rds)
    cloudformation.add_response("describe_stacks", _stack(status), {"StackName": STACK})

    result = invoke("unblock-rollback", STACK, "--yes")

    assert result.exit_code == 2, result.output
    assert hint in plain(result.output)
    assert "Nothing was changed" in plain(result.output)
    assert instance_ids(rds) == ["rds-ha-staging"]


def test_refuses_a_database_that_another_stack_created(
    rds: Any, cloudformation: Stubber, invoke: Any
) -> None:
    _created_by_the_stack(rds, stack_id="arn:aws:cloudformation:us-east-1:1:stack/other/9")
    cloudformation.add_response("describe_stacks", _stack("ROLLBACK_FAILED"), {"StackName": STACK})
    cloudformation.add_response("list_stack_resources", RESOURCES, {"StackName": STACK})

    result = invoke("unblock-rollback", STACK, "--yes")

    assert result.exit_code == 2, result.output
    assert "was not created by this stack's failed create" in plain(result.output)
    (db,) = rds.describe_db_instances(DBInstanceIdentifier="rds-ha-staging")["DBInstances"]
    assert db["DeletionProtection"] is True


def test_refuses_a_database_older_than_the_stack(
    rds: Any, cloudformation: Stubber, invoke: Any
) -> None:
    _created_by_the_stack(rds)
    future = datetime(2100, 1, 1, tzinfo=UTC)
    cloudformation.add_response(
        "describe_stacks", _stack("ROLLBACK_FAILED", future), {"StackName": STACK}
    )
    cloudformation.add_response("list_stack_resources", RESOURCES, {"StackName": STACK})

    result = invoke("unblock-rollback", STACK, "--yes")

    assert result.exit_code == 2, result.output
    assert "before stack" in plain(result.output)
    assert instance_ids(rds) == ["rds-ha-staging"]


def test_without_a_terminal_and_without_yes_it_refuses_before_calling_aws(
    cloudformation: Stubber, invoke: Any
) -> None:
    # The Stubber holds no responses: any CloudFormation call would fail the test.
    result = invoke("unblock-rollback", STACK)

    assert result.exit_code == 2, result.output
    assert "--yes" in plain(result.output)
