"""CloudFormation custom resource: the DB instance identifiers of a Multi-AZ DB cluster.

Create and Update call ``DescribeDBClusters`` for ``DBClusterIdentifier`` and return the
members' ``DBInstanceIdentifier`` as ``Member0``, ``Member1``, ``Member2``, sorted by name so
a failover (the writer and reader roles swap, the names stay) does not reorder them. Delete
does nothing. The response goes to CloudFormation's pre-signed ``ResponseURL``; any error is
reported as FAILED with its message, so a deploy fails at once instead of waiting for the
custom resource to time out. Every decision is one JSON log line.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3

# "A Multi-AZ DB cluster has three DB instances instead of a single DB instance": one writer,
# two readers (RDS user guide, "Connecting to a Multi-AZ DB cluster").
CLUSTER_MEMBERS = 3
ATTRIBUTES = tuple(f"Member{index}" for index in range(CLUSTER_MEMBERS))

Sender = Callable[[str, bytes], None]


def log(decision: str, **fields: Any) -> dict[str, Any]:
    record = {"decision": decision, **fields}
    print(json.dumps(record, sort_keys=True, default=str), file=sys.stdout, flush=True)
    return record


def member_identifiers(rds: Any, cluster_identifier: str) -> list[str]:
    """The cluster's three member DB instance identifiers, sorted."""
    response = rds.describe_db_clusters(DBClusterIdentifier=cluster_identifier)
    (cluster,) = response["DBClusters"]
    members = sorted(member["DBInstanceIdentifier"] for member in cluster["DBClusterMembers"])
    if len(members) != CLUSTER_MEMBERS:
        raise ValueError(
            f"DB cluster {cluster_identifier!r} has {len(members)} members {members}; a "
            f"Multi-AZ DB cluster has {CLUSTER_MEMBERS}"
        )
    return members


def respond(event: dict[str, Any], result: dict[str, Any], send: Sender) -> dict[str, Any]:
    body = {
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        **result,
    }
    send(event["ResponseURL"], json.dumps(body).encode())
    return body


def put_response(url: str, body: bytes) -> None:
    # The pre-signed URL is signed for an empty Content-Type.
    request = urllib.request.Request(
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def handle(event: dict[str, Any], rds: Any, send: Sender = put_response) -> dict[str, Any]:
    properties = event.get("ResourceProperties", {})
    cluster_identifier = properties.get("DBClusterIdentifier", "")
    physical_id = event.get("PhysicalResourceId") or f"{cluster_identifier}-members"
    request_type = event["RequestType"]
    try:
        if request_type == "Delete":
            log("delete", cluster=cluster_identifier)
            return respond(event, {"Status": "SUCCESS", "PhysicalResourceId": physical_id}, send)
        members = member_identifiers(rds, cluster_identifier)
    except Exception as error:  # reported to CloudFormation, which fails the deploy
        log("failed", cluster=cluster_identifier, request=request_type, error=str(error))
        return respond(
            event,
            {
                "Status": "FAILED",
                "Reason": f"{type(error).__name__}: {error}"[:1000],
                "PhysicalResourceId": physical_id,
            },
            send,
        )
    log("members", cluster=cluster_identifier, request=request_type, members=members)
    return respond(
        event,
        {
            "Status": "SUCCESS",
            # Named after the cluster: a new identifier is a new resource to CloudFormation.
            "PhysicalResourceId": f"{cluster_identifier}-members",
            "Data": dict(zip(ATTRIBUTES, members, strict=True)),
        },
        send,
    )


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    return handle(event, boto3.client("rds"))
