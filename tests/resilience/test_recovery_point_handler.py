"""The recovery point function in-process.

moto's DescribeDBInstances and DescribeDBClusters return a LatestRestorableTime, but always the
current time (moto models no transaction-log uploads), so moto shows the function end to end
with an age of about zero. A stale or missing restorable time, which moto cannot produce, comes
from a botocore Stubber on the RDS client; the CloudWatch call is checked with a Stubber too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from rds_ha.recovery_point import recovery_point_watch
from rds_ha.recovery_point.handler import recovery_point
from rds_ha.recovery_point.handler.recovery_point import (
    METRIC_NAME,
    WatchedDatabase,
    databases_from_environment,
    handle,
)

REGION = "eu-west-1"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ORDERS = WatchedDatabase("orders", "instance")
LEDGER = WatchedDatabase("ledger", "cluster")


@pytest.fixture
def moto_clients(aws_credentials: None) -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        rds = boto3.client("rds", region_name=REGION)
        rds.create_db_instance(
            DBInstanceIdentifier="orders",
            Engine="postgres",
            DBInstanceClass="db.m7g.large",
            AllocatedStorage=100,
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password-1",
        )
        yield rds, boto3.client("cloudwatch", region_name=REGION)


def test_with_moto_the_age_of_each_database_is_published_in_seconds(
    moto_clients: tuple[Any, Any],
) -> None:
    rds, cloudwatch = moto_clients
    ages = handle(rds, cloudwatch, [ORDERS], namespace="rds-ha")
    assert set(ages) == {"orders"}
    assert 0 <= ages["orders"] < 60
    metrics = cloudwatch.list_metrics(Namespace="rds-ha")["Metrics"]
    assert [(m["MetricName"], m["Dimensions"]) for m in metrics] == [
        (METRIC_NAME, [{"Name": "DBInstanceIdentifier", "Value": "orders"}])
    ]


def test_a_database_that_cannot_be_described_is_left_out_and_the_others_published(
    moto_clients: tuple[Any, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    rds, cloudwatch = moto_clients
    ages = handle(rds, cloudwatch, [WatchedDatabase("gone"), ORDERS])
    assert set(ages) == {"orders"}
    assert '"decision": "describe-failed"' in capsys.readouterr().out


def test_stale_and_missing_restorable_times_with_a_stubber(aws_credentials: None) -> None:
    rds = boto3.client("rds", region_name=REGION)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    with Stubber(rds) as rds_stub, Stubber(cloudwatch) as cw_stub:
        rds_stub.add_response(
            "describe_db_clusters",
            {
                "DBClusters": [
                    {
                        "DBClusterIdentifier": "ledger",
                        "LatestRestorableTime": NOW - timedelta(minutes=20),
                    }
                ]
            },
            {"DBClusterIdentifier": "ledger"},
        )
        # Backups off, or still being created: no LatestRestorableTime at all.
        rds_stub.add_response(
            "describe_db_instances",
            {"DBInstances": [{"DBInstanceIdentifier": "orders"}]},
            {"DBInstanceIdentifier": "orders"},
        )
        cw_stub.add_response(
            "put_metric_data",
            {},
            {
                "Namespace": "rds-ha",
                "MetricData": [
                    {
                        "MetricName": METRIC_NAME,
                        "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "ledger"}],
                        "Timestamp": NOW,
                        "Value": 1200.0,
                        "Unit": "Seconds",
                    }
                ],
            },
        )
        ages = handle(rds, cloudwatch, [LEDGER, ORDERS], now=NOW)
        rds_stub.assert_no_pending_responses()
        cw_stub.assert_no_pending_responses()
    assert ages == {"ledger": 1200.0}


def test_nothing_is_published_when_no_database_has_a_restorable_time(aws_credentials: None) -> None:
    rds = boto3.client("rds", region_name=REGION)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    with Stubber(rds) as rds_stub, Stubber(cloudwatch):
        rds_stub.add_response(
            "describe_db_instances", {"DBInstances": [{}]}, {"DBInstanceIdentifier": ANY}
        )
        # No put_metric_data response is queued: a call would raise.
        assert handle(rds, cloudwatch, [ORDERS], now=NOW) == {}


def test_the_databases_come_from_the_environment() -> None:
    environ = {
        "DATABASES": '[{"identifier": "orders", "kind": "instance"}, '
        '{"identifier": "ledger", "kind": "cluster"}]'
    }
    assert databases_from_environment(environ) == [ORDERS, LEDGER]


def test_the_construct_alarms_on_the_metric_the_handler_publishes() -> None:
    # The construct keeps its own copy of these names (the handler would load boto3 at synth).
    assert recovery_point_watch.METRIC_NAME == recovery_point.METRIC_NAME
    assert recovery_point_watch.DEFAULT_NAMESPACE == recovery_point.DEFAULT_NAMESPACE
    assert recovery_point_watch.DIMENSIONS == recovery_point.DIMENSIONS
