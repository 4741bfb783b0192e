"""Finding the database a command is about, and reading what it is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.catalog.credentials import MASTER_SECRET_TAG
from rds_ha.cli.errors import UnsafeOperationError

INSTANCE = "instance"
CLUSTER = "cluster"

# RDS identifiers: 1-63 letters, digits or hyphens, starting with a letter, no "--", no trailing
# hyphen. RDS lower-cases them, so upper case is accepted and folded.
_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")


def check_identifier(field: str, value: str) -> str:
    folded = value.strip().lower()
    if not _IDENTIFIER.match(folded):
        raise UnsafeOperationError(
            f"{field} {value!r} is not a valid RDS identifier: 1-63 letters, digits or hyphens, "
            "starting with a letter, without '--' or a trailing hyphen."
        )
    return folded


class UnknownDatabaseError(UnsafeOperationError):
    """No DB instance or cluster of that identifier in the region (restore then looks for
    automated backups replicated there from another region)."""


@dataclass(frozen=True)
class Database:
    kind: str  # INSTANCE or CLUSTER
    raw: dict[str, Any]

    @property
    def identifier(self) -> str:
        key = "DBInstanceIdentifier" if self.kind == INSTANCE else "DBClusterIdentifier"
        value: str = self.raw[key]
        return value

    @property
    def arn(self) -> str:
        value: str = self.raw["DBInstanceArn" if self.kind == INSTANCE else "DBClusterArn"]
        return value

    @property
    def status(self) -> str:
        value: str = self.raw.get(
            "DBInstanceStatus" if self.kind == INSTANCE else "Status", "unknown"
        )
        return value

    @property
    def multi_az(self) -> bool:
        return bool(self.raw.get("MultiAZ"))

    @property
    def engine(self) -> str:
        value: str = self.raw.get("Engine", "")
        return value

    @property
    def master_secret_arn(self) -> str | None:
        """The master user's secret: RDS's own (credentials = "rds-managed"), or the stack's,
        named by the tag the construct writes (credentials = "secret")."""
        managed = (self.raw.get("MasterUserSecret") or {}).get("SecretArn")
        if managed:
            value: str | None = managed
            return value
        tags = {t.get("Key"): t.get("Value") for t in self.raw.get("TagList") or []}
        return tags.get(MASTER_SECRET_TAG)

    @property
    def instance_class(self) -> str | None:
        key = "DBInstanceClass" if self.kind == INSTANCE else "DBClusterInstanceClass"
        return self.raw.get(key)


def _error_code(error: ClientError) -> str:
    value: str = error.response.get("Error", {}).get("Code", "")
    return value


def find_instance(rds: Any, identifier: str) -> dict[str, Any] | None:
    try:
        value: dict[str, Any] | None = rds.describe_db_instances(DBInstanceIdentifier=identifier)[
            "DBInstances"
        ][0]
        return value
    except ClientError as error:
        if _error_code(error) == "DBInstanceNotFound":
            return None
        raise


def find_cluster(rds: Any, identifier: str) -> dict[str, Any] | None:
    try:
        value: dict[str, Any] | None = rds.describe_db_clusters(DBClusterIdentifier=identifier)[
            "DBClusters"
        ][0]
        return value
    except ClientError as error:
        if _error_code(error) in ("DBClusterNotFoundFault", "DBClusterNotFound"):
            return None
        raise


def find_database(rds: Any, identifier: str, *, clusters: bool = True) -> Database:
    """The DB instance, else the Multi-AZ DB cluster, named ``identifier``; exit 2 if neither."""
    identifier = check_identifier("DB_ID", identifier)
    instance = find_instance(rds, identifier)
    if instance is not None:
        _refuse_cluster_member(instance)
        return Database(INSTANCE, instance)
    cluster = find_cluster(rds, identifier) if clusters else None
    if cluster is not None:
        return Database(CLUSTER, cluster)
    what = "DB instance or DB cluster" if clusters else "DB instance"
    region = rds.meta.region_name
    raise UnknownDatabaseError(f"DB_ID {identifier!r}: no {what} with that identifier in {region}.")


def _refuse_cluster_member(instance: dict[str, Any]) -> None:
    """An Aurora or Multi-AZ DB cluster member is managed through its cluster: failing it over,
    restoring it or changing its class on its own is not what the operator wants."""
    cluster = instance.get("DBClusterIdentifier")
    if cluster:
        engine = instance.get("Engine", "")
        kind = "Aurora DB cluster" if engine.startswith("aurora") else "DB cluster"
        raise UnsafeOperationError(
            f"DB_ID {instance['DBInstanceIdentifier']!r} is a member instance of {kind} "
            f"{cluster!r} ({engine}); rds-ha acts on standalone DB instances and on Multi-AZ DB "
            f"clusters as a whole (DB_ID {cluster!r}). Nothing was changed."
        )


def require_instance(rds: Any, identifier: str, command: str, hint: str = "") -> Database:
    database = find_database(rds, identifier)
    if database.kind != INSTANCE:
        raise UnsafeOperationError(
            f"DB_ID {identifier!r} is a DB cluster; `rds-ha {command}` works on DB instances"
            + (f" ({hint})." if hint else ".")
        )
    return database


def require_available(database: Database, action: str) -> None:
    if database.status != "available":
        raise UnsafeOperationError(
            f"{database.identifier} is {database.status!r}; {action} needs it 'available'. "
            "Nothing was changed."
        )


def cluster_writer(cluster: dict[str, Any]) -> str | None:
    for member in cluster.get("DBClusterMembers", []):
        if member.get("IsClusterWriter"):
            value: str | None = member["DBInstanceIdentifier"]
            return value
    return None
