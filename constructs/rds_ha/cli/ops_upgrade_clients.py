"""`rds-ha upgrade`: what the database's clients rely on during a blue/green upgrade, read
before anything is created: the RDS Proxies that target it, and the rotation of its master
secret. Nothing here changes AWS.

rds-ha's own check (not an AWS rule): no rotation of the master secret (credentials = "secret")
may fall inside the upgrade. The green is a second database kept in sync by replication; for a
major upgrade of PostgreSQL that is logical replication, which carries row changes, not a role's
new password, so a rotation on the blue could leave the green, after the switchover, with a
password the secret no longer holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.cli.databases import Database

# A scheduled rotation happens "on or before" NextRotationDate (rotation_problem).
ROTATION_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class ProxyTarget:
    """A proxy whose target group has the database as an RDS_INSTANCE target."""

    proxy: str
    engine_family: str
    state: str  # TargetHealth.State: REGISTERING, AVAILABLE, UNAVAILABLE or UNUSED
    reason: str = ""  # TargetHealth.Reason, when RDS gives one


def proxy_targets(rds: Any, database: Database) -> list[ProxyTarget]:
    """Every proxy of the account and Region that targets this DB instance
    (DescribeDBProxies, then DescribeDBProxyTargets per proxy; botocore's DBProxyTarget
    RdsResourceId "can be the instance identifier for an RDS DB instance")."""
    found = []
    for page in rds.get_paginator("describe_db_proxies").paginate():
        for proxy in page.get("DBProxies", []):
            name = proxy["DBProxyName"]
            try:
                pages = rds.get_paginator("describe_db_proxy_targets").paginate(DBProxyName=name)
                targets = [t for p in pages for t in p.get("Targets", [])]
            except ClientError as error:
                # A proxy deleted between the two calls, or one with no target group yet.
                if error.response.get("Error", {}).get("Code") in (
                    "DBProxyNotFoundFault",
                    "DBProxyTargetGroupNotFoundFault",
                ):
                    continue
                raise
            for target in targets:
                if (
                    target.get("Type") == "RDS_INSTANCE"
                    and target.get("RdsResourceId") == database.identifier
                ):
                    health = target.get("TargetHealth") or {}
                    found.append(
                        ProxyTarget(
                            name,
                            proxy.get("EngineFamily", ""),
                            health.get("State", ""),
                            health.get("Reason", ""),
                        )
                    )
    return found


def proxy_notes(database: Database, targets: list[ProxyTarget]) -> list[str]:
    """What the plan says about each proxy (rds-proxy-blue-green.html, "Switchover when using
    RDS Proxy")."""
    if not targets:
        return []
    names = ", ".join(target.proxy for target in targets)
    return [
        f"RDS Proxy {names} targets {database.identifier}: RDS checks at the switchover that "
        "the proxy reaches both environments; during it the blue is read-only and the proxy "
        "still routes to it, then routes to the green and drops its existing client "
        "connections, so clients reconnect to the same proxy endpoint; "
        "describe-db-proxy-targets shows the green only after the switchover has completed.",
        f"Do not add {database.identifier} to a proxy or change the proxy's targets (cdk "
        "deploy) until the deployment is switched over or deleted: RDS cannot add a blue "
        "instance to a proxy once its deployment exists [blue-green.proxy-target-first].",
    ]


# --- the master secret's rotation (credentials = "secret") -------------------------------------


def rotation_problem(
    secretsmanager: Any, database: Database, now: datetime, window: timedelta
) -> str | None:
    """rds-ha's own check: no rotation of the master secret during the upgrade (module
    docstring). Reads DescribeSecret's RotationEnabled, NextRotationDate and the AWSPENDING
    stage a rotation in progress leaves on a version."""
    arn = database.master_secret_arn
    if not arn or database.raw.get("MasterUserSecret"):
        return None  # no secret of the stack's (an RDS-managed one is refused above)
    secret = secretsmanager.describe_secret(SecretId=arn)
    # botocore, secretsmanager RotateSecret: "If the AWSPENDING staging label is present but not
    # attached to the same version as AWSCURRENT, then any later invocation of RotateSecret
    # assumes that a previous rotation request is still in progress".
    versions = (secret.get("VersionIdsToStages") or {}).values()
    if any("AWSPENDING" in stages and "AWSCURRENT" not in stages for stages in versions):
        return (
            f"the master secret {arn} has a rotation in progress (a version in AWSPENDING): "
            "let it finish (or fail and be cleared) before the upgrade. Nothing was changed."
        )
    # DescribeSecret's NextRotationDate: "The next rotation is scheduled to occur on or before
    # this date ... it is not an approximate rotation date": rds-ha adds a day's margin.
    due = secret.get("NextRotationDate")
    if not secret.get("RotationEnabled") or due is None or due > now + window + ROTATION_MARGIN:
        return None
    return (
        f"the master secret {arn} is due to rotate on or before {due:%Y-%m-%d %H:%M} UTC, "
        f"within the upgrade's {window.total_seconds() / 3600:g} hours (snapshot and green "
        "waits) and a day's margin: "
        "whether a password change on the blue reaches the green depends on the replication "
        "(PostgreSQL's logical replication does not carry it), so clients could hold a "
        "password the green does not know after the switchover. Rotate it now "
        f"(aws secretsmanager rotate-secret --secret-id {arn}) and upgrade once it has "
        "finished, which moves the next rotation a full interval away. Nothing was changed."
    )
