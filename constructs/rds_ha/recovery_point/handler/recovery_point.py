"""Publish how much data a point-in-time restore would lose right now, per database.

For each database in ``DATABASES`` (JSON: ``[{"identifier": ..., "kind": "instance" |
"cluster"}]``) the function reads ``LatestRestorableTime`` from ``DescribeDBInstances`` or
``DescribeDBClusters`` and puts ``now - LatestRestorableTime`` in seconds as the metric
``RecoveryPointAgeSeconds`` in the namespace ``METRIC_NAMESPACE``, dimension
``DBInstanceIdentifier`` or ``DBClusterIdentifier``. A database without a restorable time
(backups off, still being created) or that cannot be described gets no data point: its alarm
treats missing data as breaching. Every decision is one JSON log line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

METRIC_NAME = "RecoveryPointAgeSeconds"
DEFAULT_NAMESPACE = "rds-ha"
DIMENSIONS = {"instance": "DBInstanceIdentifier", "cluster": "DBClusterIdentifier"}


@dataclass(frozen=True)
class WatchedDatabase:
    identifier: str
    kind: str = "instance"


def log(decision: str, **fields: Any) -> dict[str, Any]:
    record = {"decision": decision, **fields}
    print(json.dumps(record, sort_keys=True, default=str), file=sys.stdout, flush=True)
    return record


def databases_from_environment(environ: Mapping[str, str]) -> list[WatchedDatabase]:
    return [WatchedDatabase(**entry) for entry in json.loads(environ["DATABASES"])]


def latest_restorable_time(rds: Any, database: WatchedDatabase) -> datetime | None:
    if database.kind == "cluster":
        response = rds.describe_db_clusters(DBClusterIdentifier=database.identifier)
        described = response["DBClusters"][0]
    else:
        response = rds.describe_db_instances(DBInstanceIdentifier=database.identifier)
        described = response["DBInstances"][0]
    return described.get("LatestRestorableTime")


def recovery_point_ages(
    rds: Any, databases: Sequence[WatchedDatabase], now: datetime
) -> dict[WatchedDatabase, float]:
    """Seconds between ``now`` and each database's latest restorable time; databases that
    have none, or that could not be described, are left out (and logged)."""
    ages = {}
    for database in databases:
        try:
            latest = latest_restorable_time(rds, database)
        except Exception as error:  # one database's failure must not hide the others
            log("describe-failed", identifier=database.identifier, error=repr(error))
            continue
        if latest is None:
            log("no-restorable-time", identifier=database.identifier)
            continue
        age = max(0.0, (now - latest).total_seconds())
        log("measured", identifier=database.identifier, seconds=age, latest=latest)
        ages[database] = age
    return ages


def publish(
    cloudwatch: Any, namespace: str, ages: Mapping[WatchedDatabase, float], now: datetime
) -> None:
    if not ages:
        return
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": METRIC_NAME,
                "Dimensions": [{"Name": DIMENSIONS[database.kind], "Value": database.identifier}],
                "Timestamp": now,
                "Value": age,
                "Unit": "Seconds",
            }
            for database, age in ages.items()
        ],
    )


def handle(
    rds: Any,
    cloudwatch: Any,
    databases: Sequence[WatchedDatabase],
    namespace: str = DEFAULT_NAMESPACE,
    now: datetime | None = None,
) -> dict[str, float]:
    now = now or datetime.now(UTC)
    ages = recovery_point_ages(rds, databases, now)
    publish(cloudwatch, namespace, ages, now)
    return {database.identifier: age for database, age in ages.items()}


def handler(event: Mapping[str, Any], context: Any) -> dict[str, float]:
    return handle(
        boto3.client("rds"),
        boto3.client("cloudwatch"),
        databases_from_environment(os.environ),
        os.environ.get("METRIC_NAMESPACE", DEFAULT_NAMESPACE),
    )
