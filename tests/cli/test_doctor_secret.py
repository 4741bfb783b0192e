"""`rds-ha doctor`'s master-secret check: RDS's managed secret by its SecretStatus, the stack's
own (credentials = "secret") by DescribeSecret, which a Stubber answers here for the states moto
cannot produce (a stale LastRotatedDate, a version left in AWSPENDING)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from rds_ha.catalog.credentials import MASTER_SECRET_TAG
from rds_ha.cli.databases import INSTANCE, Database
from rds_ha.cli.ops_doctor_secret import master_secret_status, rotation_interval

from .conftest import REGION

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
ARN = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:orders-db-master-AbCdEf"
V1, V2 = "a" * 32, "b" * 32


def tagged() -> Database:
    return Database(
        INSTANCE,
        {
            "DBInstanceIdentifier": "orders-db",
            "TagList": [{"Key": MASTER_SECRET_TAG, "Value": ARN}],
        },
    )


def described(**fields: Any) -> Any:
    client = boto3.client("secretsmanager", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response(
        "describe_secret", {"Name": "orders-db-master", **fields}, {"SecretId": ARN}
    )
    stubber.activate()
    return client


ROTATING = {"RotationEnabled": True, "RotationRules": {"ScheduleExpression": "rate(30 days)"}}


@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        ({**ROTATING, "LastRotatedDate": NOW - timedelta(days=12)}, "pass", "rotates on schedule"),
        ({**ROTATING, "CreatedDate": NOW - timedelta(days=3)}, "pass", "not rotated yet"),
        # 30 days and a day of rotation window: the 32nd day is overdue.
        ({**ROTATING, "LastRotatedDate": NOW - timedelta(days=30, hours=23)}, "pass", "schedule"),
        ({**ROTATING, "LastRotatedDate": NOW - timedelta(days=32)}, "fail", "32 days ago"),
        ({**ROTATING, "CreatedDate": NOW - timedelta(days=40)}, "fail", "keeps failing"),
        ({"RotationEnabled": False}, "warn", "rotation of orders-db-master is off"),
        (
            {**ROTATING, "VersionIdsToStages": {V1: ["AWSCURRENT"], V2: ["AWSPENDING"]}},
            "warn",
            f"AWSPENDING on version {V2}",
        ),
        # A finished rotation may leave AWSPENDING on the AWSCURRENT version.
        (
            {
                **ROTATING,
                "LastRotatedDate": NOW - timedelta(days=1),
                "VersionIdsToStages": {V1: ["AWSCURRENT", "AWSPENDING"]},
            },
            "pass",
            "rotates on schedule",
        ),
    ],
)
def test_the_stacks_secret(fields, status, detail):
    found, text = master_secret_status(tagged(), described(**fields), NOW)

    assert found == status, text
    assert detail in text


@pytest.mark.parametrize(
    ("secret", "status", "detail"),
    [
        ({"SecretArn": ARN, "SecretStatus": "active"}, "pass", "rds-managed"),
        ({"SecretArn": ARN, "SecretStatus": "impaired"}, "fail", "impaired: RDS cannot rotate"),
    ],
)
def test_the_secret_rds_manages(secret, status, detail):
    database = Database(INSTANCE, {"DBInstanceIdentifier": "orders-db", "MasterUserSecret": secret})

    found, text = master_secret_status(database, None, NOW)  # no Secrets Manager call

    assert (found, detail in text) == (status, True), text


def test_a_database_without_a_known_secret_warns():
    found, text = master_secret_status(Database(INSTANCE, {"DBInstanceIdentifier": "x"}), None, NOW)

    assert found == "warn" and MASTER_SECRET_TAG in text


@pytest.mark.parametrize(
    ("rules", "interval"),
    [
        ({"AutomaticallyAfterDays": 7}, timedelta(days=7)),
        ({"ScheduleExpression": "rate(30 days)"}, timedelta(days=30)),
        ({"ScheduleExpression": "rate(12 hours)"}, timedelta(hours=12)),
        ({"ScheduleExpression": "cron(0 16 1,15 * ? *)"}, None),
        ({}, None),
    ],
)
def test_rotation_interval(rules, interval):
    assert rotation_interval(rules) == interval
