"""The snapshot export function, against moto's RDS.

moto completes an export task the moment it starts (status "complete") and writes nothing to S3,
so these tests check what the function itself guarantees: which snapshots it exports, with which
task id and settings, and that it never starts a second export of the same snapshot. Whether the
Parquet files arrive is RDS's part and is not modelled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from rds_ha.snapshot_export import snapshot_export
from rds_ha.snapshot_export.handler.snapshot_export import (
    BACKUP_JOB_EVENT,
    BACKUP_RULE_TAG,
    MAX_TASK_ID_LENGTH,
    MONTHLY_RULE,
    Settings,
    export_task_id,
    handle,
    parse_database_arns,
)

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
DB_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders"
CLUSTER_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:orders-cluster"
MONTHLY_TAG = {"Key": BACKUP_RULE_TAG, "Value": MONTHLY_RULE}
TASK_ID = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*(?<!-)$")


@pytest.fixture
def rds(aws_credentials: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("rds", region_name=REGION)
        for identifier in ("orders", "billing"):
            client.create_db_instance(
                DBInstanceIdentifier=identifier,
                Engine="postgres",
                DBInstanceClass="db.m7g.large",
                AllocatedStorage=100,
                MasterUsername="admin_user",
                MasterUserPassword="not-a-real-password-1",
            )
        yield client


def make_settings(database_arn: str = DB_ARN, export_snapshots: str = "all") -> Settings:
    return Settings(
        database_arns=parse_database_arns(database_arn),
        bucket="exports",
        prefix="snapshots",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/export",
        key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        export_snapshots=export_snapshots,
    )


@pytest.fixture
def settings() -> Settings:
    return make_settings()


def snapshot(rds: Any, database: str, name: str, tags: list[dict[str, str]] | None = None) -> str:
    response = rds.create_db_snapshot(
        DBInstanceIdentifier=database, DBSnapshotIdentifier=name, Tags=tags or []
    )
    return response["DBSnapshot"]["DBSnapshotArn"]


def rds_event(snapshot_arn: str, event_id: str = "RDS-EVENT-0042") -> dict[str, Any]:
    return {
        "id": "event-1",
        "source": "aws.rds",
        "detail-type": "RDS DB Snapshot Event",
        "detail": {"EventID": event_id, "SourceArn": snapshot_arn},
    }


def backup_event(
    resource_arn: str,
    recovery_point: str,
    state: str = "COMPLETED",
    detail_type: str = "Backup Job State Change",
) -> dict:
    return {
        "id": "event-2",
        "source": "aws.backup",
        "detail-type": detail_type,
        "resources": [recovery_point],
        "detail": {"state": state, "resourceArn": resource_arn, "resourceType": "RDS"},
    }


def logged(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_exports_a_new_snapshot_of_its_database_with_the_configured_settings(
    rds: Any, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = snapshot(rds, "orders", "orders-before-migration")

    result = handle(rds_event(arn), rds, settings, REGION)

    assert result["decision"] == "started"
    (task,) = rds.describe_export_tasks(SourceArn=arn)["ExportTasks"]
    assert task["ExportTaskIdentifier"] == export_task_id(arn)
    assert task["S3Bucket"] == "exports"
    assert task["S3Prefix"] == "snapshots"
    assert task["IamRoleArn"] == settings.role_arn
    assert task["KmsKeyId"] == settings.key_arn
    assert logged(capsys) == [result]


def test_never_exports_the_same_snapshot_twice(
    rds: Any, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = snapshot(rds, "orders", "orders-daily")
    handle(rds_event(arn), rds, settings, REGION)

    again = handle(rds_event(arn), rds, settings, REGION)

    assert again["decision"] == "skipped"
    assert again["reason"] == "already exported"
    assert len(rds.describe_export_tasks(SourceArn=arn)["ExportTasks"]) == 1


def test_ignores_snapshots_of_other_databases(rds: Any, settings: Settings) -> None:
    arn = snapshot(rds, "billing", "billing-daily")

    result = handle(rds_event(arn), rds, settings, REGION)

    assert result["decision"] == "ignored"
    assert result["database"] == f"arn:aws:rds:{REGION}:{ACCOUNT}:db:billing"
    assert rds.describe_export_tasks()["ExportTasks"] == []


BILLING_ARN = DB_ARN.replace("orders", "billing")
FLEET_ARNS = f"{DB_ARN},{BILLING_ARN}"


def test_database_arn_holds_one_arn_or_several_separated_by_commas() -> None:
    assert parse_database_arns(DB_ARN) == {DB_ARN}
    assert parse_database_arns(f"{DB_ARN}, {BILLING_ARN},") == {DB_ARN, BILLING_ARN}
    environ = {
        "DATABASE_ARN": FLEET_ARNS,
        "EXPORT_BUCKET": "exports",
        "EXPORT_ROLE_ARN": "role",
        "EXPORT_KEY_ARN": "key",
    }
    assert Settings.from_environment(environ).database_arns == {DB_ARN, BILLING_ARN}


@pytest.mark.parametrize("database", ["orders", "billing"])
def test_a_function_serving_a_fleet_exports_the_snapshots_of_each_of_its_databases(
    rds: Any, database: str
) -> None:
    arn = snapshot(rds, database, f"{database}-daily")

    result = handle(rds_event(arn), rds, make_settings(FLEET_ARNS), REGION)

    assert result["decision"] == "started"
    (task,) = rds.describe_export_tasks(SourceArn=arn)["ExportTasks"]
    assert task["ExportTaskIdentifier"] == export_task_id(arn)


def test_a_function_serving_a_fleet_takes_backup_jobs_of_its_databases_only(rds: Any) -> None:
    settings = make_settings(FLEET_ARNS)
    arn = snapshot(rds, "billing", "billing-backup")
    other = DB_ARN.replace("orders", "inventory")

    started = handle(backup_event(BILLING_ARN, arn), rds, settings, REGION)
    ignored = handle(backup_event(other, arn), rds, settings, REGION)

    assert started["decision"] == "started"
    assert ignored["decision"] == "ignored"
    assert "backup of another resource" in ignored["reason"]


def test_exports_the_snapshot_of_a_completed_aws_backup_job(rds: Any, settings: Settings) -> None:
    arn = snapshot(rds, "orders", "orders-backup-copy")

    result = handle(backup_event(DB_ARN, arn), rds, settings, REGION)

    assert result["decision"] == "started"
    assert result["snapshot"] == arn


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (None, "event is a NoneType, not an object"),
        ("text", "event is a str, not an object"),
        ({}, "unsupported event source None"),
        ({"source": "aws.ec2"}, "unsupported event source 'aws.ec2'"),
        ({"source": "aws.rds"}, "event has no snapshot SourceArn"),
        ({"source": "aws.rds", "detail": {"SourceArn": "not-an-arn"}}, "no snapshot SourceArn"),
        (backup_event(DB_ARN, "x", state="RUNNING"), "state is 'RUNNING'"),
        (backup_event(DB_ARN.replace("orders", "billing"), "x"), "backup of another resource"),
        (
            backup_event(DB_ARN, f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:continuous:x"),
            "continuous backups cannot be exported",
        ),
    ],
)
def test_malformed_and_unrelated_events_are_logged_and_ignored_without_raising(
    rds: Any, settings: Settings, capsys: pytest.CaptureFixture[str], event: Any, reason: str
) -> None:
    result = handle(event, rds, settings, REGION)

    assert result["decision"] == "ignored"
    assert reason in result["reason"]
    assert logged(capsys) == [result]
    assert rds.describe_export_tasks()["ExportTasks"] == []


def test_ignores_snapshots_in_another_region(rds: Any, settings: Settings) -> None:
    arn = f"arn:aws:rds:eu-central-1:{ACCOUNT}:snapshot:awsbackup:job-copy"

    result = handle(rds_event(arn), rds, settings, REGION)

    assert result["decision"] == "ignored"
    assert "eu-central-1" in result["reason"]


@pytest.mark.parametrize(
    "snapshot_arn",
    [
        f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:rds:orders-2026-11-24-02-05",
        f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:awsbackup:job-0a1b2c3d-4e5f-6789-abcd-ef01",
        f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:" + "very-long-name-" * 10,
        f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:9--starts..with_digit--",
        f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:---",
    ],
)
def test_export_task_ids_are_valid_and_deterministic(snapshot_arn: str) -> None:
    task_id = export_task_id(snapshot_arn)

    assert len(task_id) <= MAX_TASK_ID_LENGTH
    assert TASK_ID.match(task_id), task_id
    assert export_task_id(snapshot_arn) == task_id
    assert export_task_id(snapshot_arn, attempt=1) != task_id
    assert TASK_ID.match(export_task_id(snapshot_arn, attempt=1))


def test_similar_snapshot_names_get_different_task_ids() -> None:
    base = f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:"
    assert export_task_id(base + "rds:orders-a") != export_task_id(base + "rds-orders-a")


def test_monthly_mode_exports_the_snapshot_the_monthly_rule_tagged(rds: Any) -> None:
    arn = snapshot(rds, "orders", "orders-monthly", tags=[MONTHLY_TAG])

    result = handle(
        backup_event(DB_ARN, arn), rds, make_settings(export_snapshots="monthly"), REGION
    )

    assert result["decision"] == "started"
    assert len(rds.describe_export_tasks(SourceArn=arn)["ExportTasks"]) == 1


def test_monthly_mode_ignores_daily_and_untagged_snapshots(rds: Any) -> None:
    daily = snapshot(
        rds, "orders", "orders-daily", tags=[{"Key": BACKUP_RULE_TAG, "Value": "Daily"}]
    )
    manual = snapshot(rds, "orders", "orders-manual")
    settings = make_settings(export_snapshots="monthly")

    results = [handle(backup_event(DB_ARN, arn), rds, settings, REGION) for arn in (daily, manual)]

    assert [result["decision"] for result in results] == ["ignored", "ignored"]
    assert all("not a monthly AWS Backup snapshot" in result["reason"] for result in results)
    assert rds.describe_export_tasks()["ExportTasks"] == []


def test_copy_job_events_are_ignored_even_when_they_name_the_source_snapshot(rds: Any) -> None:
    arn = snapshot(rds, "orders", "orders-monthly", tags=[MONTHLY_TAG])
    event = backup_event(DB_ARN, arn, detail_type="Copy Job State Change")
    event["detail"]["sourceRecoveryPointArn"] = arn
    event["detail"]["destinationRecoveryPointArn"] = arn.replace(REGION, "eu-central-1")

    result = handle(event, rds, make_settings(export_snapshots="all"), REGION)

    assert result["decision"] == "ignored"
    assert "not a backup job event: 'Copy Job State Change'" in result["reason"]
    assert rds.describe_export_tasks()["ExportTasks"] == []


def test_exports_a_snapshot_of_a_multi_az_db_cluster(rds: Any) -> None:
    rds.create_db_cluster(
        DBClusterIdentifier="orders-cluster",
        Engine="postgres",
        DBClusterInstanceClass="db.m6gd.large",
        AllocatedStorage=400,
        StorageType="io1",
        Iops=3000,
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1",
    )
    arn = rds.create_db_cluster_snapshot(
        DBClusterIdentifier="orders-cluster",
        DBClusterSnapshotIdentifier="orders-cluster-monthly",
        Tags=[MONTHLY_TAG],
    )["DBClusterSnapshot"]["DBClusterSnapshotArn"]
    settings = make_settings(CLUSTER_ARN, export_snapshots="monthly")

    result = handle(backup_event(CLUSTER_ARN, arn), rds, settings, REGION)

    assert result["decision"] == "started"
    (task,) = rds.describe_export_tasks(SourceArn=arn)["ExportTasks"]
    assert task["ExportTaskIdentifier"] == export_task_id(arn)


# moto has no AWS Backup snapshots and does not check SnapshotType: it accepts "awsbackup" for
# DescribeDBClusterSnapshots, which RDS rejects (it takes automated, manual, shared, public). A
# Stubber pins the exact lookup the function sends to RDS for each kind of snapshot name.
@pytest.mark.parametrize(
    ("snapshot_arn", "database_arn", "operation", "expected_lookup", "found"),
    [
        (
            f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:awsbackup:job-0a1b2c3d-4e5f",
            DB_ARN,
            "describe_db_snapshots",
            {"DBSnapshotIdentifier": "awsbackup:job-0a1b2c3d-4e5f", "SnapshotType": "awsbackup"},
            {"DBSnapshots": [{"DBInstanceIdentifier": "orders", "TagList": [MONTHLY_TAG]}]},
        ),
        (
            f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:awsbackup:job-0a1b2c3d-4e5f",
            CLUSTER_ARN,
            "describe_db_cluster_snapshots",
            {"DBClusterSnapshotIdentifier": "awsbackup:job-0a1b2c3d-4e5f"},
            {
                "DBClusterSnapshots": [
                    {"DBClusterIdentifier": "orders-cluster", "TagList": [MONTHLY_TAG]}
                ]
            },
        ),
        (
            f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:rds:orders-cluster-2026-11-01",
            CLUSTER_ARN,
            "describe_db_cluster_snapshots",
            {
                "DBClusterSnapshotIdentifier": "rds:orders-cluster-2026-11-01",
                "SnapshotType": "automated",
            },
            {"DBClusterSnapshots": [{"DBClusterIdentifier": "orders-cluster"}]},
        ),
    ],
)
@pytest.mark.usefixtures("aws_credentials")
def test_snapshot_lookup_sends_only_snapshot_types_rds_accepts_and_exports(
    snapshot_arn: str,
    database_arn: str,
    operation: str,
    expected_lookup: dict[str, str],
    found: dict[str, Any],
) -> None:
    client = boto3.client("rds", region_name=REGION)
    settings = make_settings(database_arn, export_snapshots="all")
    task_id = export_task_id(snapshot_arn)
    with Stubber(client) as stub:
        stub.add_response(operation, found, expected_lookup)
        stub.add_response("describe_export_tasks", {"ExportTasks": []}, {"SourceArn": snapshot_arn})
        stub.add_response(
            "start_export_task",
            {"ExportTaskIdentifier": task_id},
            {
                "ExportTaskIdentifier": task_id,
                "SourceArn": snapshot_arn,
                "S3BucketName": "exports",
                "S3Prefix": "snapshots",
                "IamRoleArn": settings.role_arn,
                "KmsKeyId": settings.key_arn,
            },
        )

        result = handle(backup_event(database_arn, snapshot_arn), client, settings, REGION)

        stub.assert_no_pending_responses()
    assert result["decision"] == "started"
    assert result["export_task"] == task_id


def test_the_construct_routes_the_backup_job_event_the_handler_acts_on() -> None:
    # The construct keeps its own copy of the name (the handler would load boto3 at synth).
    assert snapshot_export.BACKUP_JOB_EVENT == BACKUP_JOB_EVENT
