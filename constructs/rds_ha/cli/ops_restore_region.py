"""`rds-ha restore` in the disaster-recovery region, when the primary region is lost: from RDS
automated backups replicated into that region (here), or from the latest recovery point in the DR
AWS Backup vault (ops_restore_vault). Nothing in the source's region is called. What the
same-region restore has (time parsing, window and target checks, carried settings, the wait) is
ops_restore's, reused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.cli.errors import UnsafeOperationError
from rds_ha.cli.ops_restore import (
    Carried,
    RestoreWindow,
    _flag,
    _key,
    _provisioned,
    _values,
    check_time_in_window,
    refuse_existing_target,
)
from rds_ha.cli.output import duration, utc
from rds_ha.cli.plans import Plan

Raw = dict[str, Any]


def error_code(error: ClientError) -> str:
    value: str = error.response.get("Error", {}).get("Code", "")
    return value


# --- the network the new instance goes into ------------------------------------------------------


@dataclass(frozen=True)
class Network:
    subnet_group: str
    security_groups: list[str]
    vpc_id: str | None


def check_network(
    rds: Any, ec2: Any, subnet_group: str | None, security_groups: list[str]
) -> Network:
    """The subnet group and security groups must exist in this region, in one VPC: the source's
    are in the lost region, so nothing can be inherited."""
    region = rds.meta.region_name
    if not subnet_group or not security_groups:
        raise UnsafeOperationError(
            f"a restore in {region} from another region's backups needs --subnet-group NAME and "
            f"--security-group ID (repeatable) that exist in {region}. Nothing was created."
        )
    try:
        group = rds.describe_db_subnet_groups(DBSubnetGroupName=subnet_group)["DBSubnetGroups"][0]
    except ClientError as error:
        if error_code(error) != "DBSubnetGroupNotFoundFault":
            raise
        raise UnsafeOperationError(
            f"--subnet-group {subnet_group!r} does not exist in {region}; create it there (a "
            "DatabaseNetwork deployed in the DR region) or name one that does. Nothing was "
            "created."
        ) from None
    vpc_id = group.get("VpcId")
    wanted = sorted(set(security_groups))
    try:
        found = ec2.describe_security_groups(GroupIds=wanted)["SecurityGroups"]
    except ClientError as error:
        if not error_code(error).startswith("InvalidGroup"):
            raise
        raise UnsafeOperationError(
            f"--security-group: {error.response['Error'].get('Message')} in {region} "
            f"(asked for {', '.join(wanted)}). Nothing was created."
        ) from None
    missing = sorted(set(wanted) - {g["GroupId"] for g in found})
    if missing:
        raise UnsafeOperationError(
            f"--security-group {', '.join(missing)} not found in {region}. Nothing was created."
        )
    elsewhere = sorted(g["GroupId"] for g in found if vpc_id and g.get("VpcId") != vpc_id)
    if elsewhere:
        raise UnsafeOperationError(
            f"--security-group {', '.join(elsewhere)} is not in {vpc_id}, the VPC of subnet "
            f"group {subnet_group!r}; RDS refuses that. Nothing was created."
        )
    return Network(subnet_group, wanted, vpc_id)


def check_target(rds: Any, target_id: str) -> None:
    refuse_existing_target(rds, target_id)


# --- RDS cross-region automated backup replication ------------------------------------------------


@dataclass(frozen=True)
class ReplicatedBackup:
    raw: Raw
    others: int = 0  # further replicated backups of that identifier (a deleted namesake's)

    @property
    def arn(self) -> str:
        value: str = self.raw["DBInstanceAutomatedBackupsArn"]
        return value

    @property
    def source_region(self) -> str:
        value: str = self.raw.get("Region") or self.raw.get("DBInstanceArn", "").split(":")[3]
        return value

    @property
    def window(self) -> RestoreWindow:
        window = self.raw.get("RestoreWindow") or {}
        return RestoreWindow(window.get("EarliestTime"), window.get("LatestTime"))


def find_replicated_backup(rds: Any, db_id: str) -> ReplicatedBackup:
    """The automated backups of DB_ID replicated into this region from another one; the newest
    if a deleted instance of the same name left some too."""
    region = rds.meta.region_name
    found = []
    for page in rds.get_paginator("describe_db_instance_automated_backups").paginate():
        for backup in page.get("DBInstanceAutomatedBackups", []):
            arn_region = (backup.get("DBInstanceArn") or "::::").split(":")[3]
            from_region = backup.get("Region") or arn_region
            if backup.get("DBInstanceIdentifier") == db_id and from_region != region:
                found.append(backup)
    usable = [b for b in found if (b.get("RestoreWindow") or {}).get("LatestTime")]
    if not usable:
        what = "none has a restorable time yet" if found else "none found"
        raise UnsafeOperationError(
            f"DB_ID {db_id!r}: no DB instance of that name in {region}, and no automated "
            f"backups of it replicated into {region} from another region ({what}). Use "
            "--from-vault VAULT for the DR AWS Backup vault, or check the region. Nothing was "
            "created."
        )
    usable.sort(key=lambda b: b["RestoreWindow"]["LatestTime"])
    return ReplicatedBackup(usable[-1], others=len(found) - 1)


# What an automated backup records of the instance it came from; the rest of the source's
# configuration is in the lost region.
FROM_BACKUP: tuple[Carried, ...] = (
    Carried("Port", _key("Port")),
    Carried("EnableIAMDatabaseAuthentication", _flag("IAMDatabaseAuthenticationEnabled")),
    Carried("AllocatedStorage", _key("AllocatedStorage")),
    Carried("StorageType", _key("StorageType")),
    Carried("Iops", _provisioned("Iops", gp3_only=False)),
    Carried("StorageThroughput", _provisioned("StorageThroughput", gp3_only=True)),
    Carried("LicenseModel", _key("LicenseModel")),
    Carried("BackupRetentionPeriod", _key("BackupRetentionPeriod")),
)
# Not recorded in the backup, so set to the safe choice rather than RDS's defaults (single-AZ,
# unprotected).
SAFE: dict[str, Any] = {"MultiAZ": True, "DeletionProtection": True, "CopyTagsToSnapshot": True}


def replicated_parameters(
    backup: ReplicatedBackup, target_id: str, network: Network, to: datetime | None
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "SourceDBInstanceAutomatedBackupsArn": backup.arn,
        "TargetDBInstanceIdentifier": target_id,
        "DBSubnetGroupName": network.subnet_group,
        "VpcSecurityGroupIds": network.security_groups,
        **SAFE,
        **_values(FROM_BACKUP, backup.raw),
    }
    if to is None:
        params["UseLatestRestorableTime"] = True
    else:
        params["RestoreTime"] = to
    return params


def check_replicated(backup: ReplicatedBackup, to: datetime | None) -> None:
    if to is not None:
        check_time_in_window(backup.raw.get("DBInstanceIdentifier", ""), to, backup.window)


def plan_replicated(
    backup: ReplicatedBackup, params: dict[str, Any], region: str, now: datetime
) -> Plan:
    latest = backup.window.latest
    point: datetime | None = params.get("RestoreTime") or latest
    assert point is not None and latest is not None, (
        "the replicated backups have a latest restorable time"
    )
    source = backup.raw.get("DBInstanceIdentifier")
    when = (
        utc(point)
        if params.get("RestoreTime")
        else f"the latest restorable time (now {utc(point)})"
    )
    loss = (now - point).total_seconds()
    warnings = []
    if backup.raw.get("Status") not in (None, "replicating", "active"):
        warnings.append(
            f"the replicated backups are {backup.raw.get('Status')!r}, not replicating: "
            "nothing newer will arrive"
        )
    if backup.others:
        warnings.append(
            f"{backup.others} other replicated backup(s) of {source!r} found (a deleted "
            f"instance of the same name); using {backup.arn}, the newest"
        )
    return Plan(
        action=f"restore {source} (from {backup.source_region}) as of {when} into "
        f"{params['TargetDBInstanceIdentifier']} in {region}, from its replicated automated "
        "backups",
        steps=[
            f"restore-db-instance-to-point-in-time from {backup.arn} (restore window "
            f"{utc(backup.window.earliest) if backup.window.earliest else 'unknown'} to "
            f"{utc(latest)})",
            f"into subnet group {params['DBSubnetGroupName']}, security groups "
            f"{', '.join(params['VpcSecurityGroupIds'])}; Multi-AZ True, deletion protection "
            "True (not recorded in the backups: the safe choice); KMS key "
            f"{backup.raw.get('KmsKeyId') or 'none (unencrypted)'} (the replicated backups')",
            "carry over what the backups record: "
            + ", ".join(c.param for c in FROM_BACKUP if c.param in params),
            "wait until the new instance is available, then check those settings",
        ],
        impact=f"nothing in {backup.source_region} is called; the new instance has no writes "
        f"after {utc(point)} (data-loss window {duration(loss)}); class, parameter group and "
        "tags are not in the backups: the class is the source's, the parameter group the "
        "default, tags none; applications must be repointed to the new endpoint.",
        warnings=warnings,
        details={
            "source_region": backup.source_region,
            "automated_backups_arn": backup.arn,
            "restore_time": point,
            "data_loss_window_seconds": round(loss),
            "target": params["TargetDBInstanceIdentifier"],
        },
    )


def verify_replicated(params: dict[str, Any], backup: ReplicatedBackup, restored: Raw) -> list[str]:
    expected = {
        "MultiAZ": (params["MultiAZ"], bool(restored.get("MultiAZ"))),
        "DeletionProtection": (
            params["DeletionProtection"],
            bool(restored.get("DeletionProtection")),
        ),
        "StorageEncrypted": (
            bool(backup.raw.get("Encrypted")),
            bool(restored.get("StorageEncrypted")),
        ),
        **network_checks(params["DBSubnetGroupName"], params["VpcSecurityGroupIds"], restored),
    }
    for carried in FROM_BACKUP:
        if carried.param in params and carried.param != "AllocatedStorage":
            expected[carried.param] = (params[carried.param], carried.read(_as_backup(restored)))
    return [
        f"{k}: asked {want!r}, restored {got!r}"
        for k, (want, got) in expected.items()
        if want != got
    ]


def network_checks(subnet_group: str, security_groups: list[str], restored: Raw) -> dict[str, Any]:
    return {
        "DBSubnetGroupName": (
            subnet_group,
            (restored.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
        ),
        "VpcSecurityGroupIds": (
            sorted(security_groups),
            sorted(g["VpcSecurityGroupId"] for g in restored.get("VpcSecurityGroups", [])),
        ),
    }


def _as_backup(instance: Raw) -> Raw:
    """A described instance under the field names of an automated backup, so FROM_BACKUP's
    readers read both."""
    return instance | {"Port": (instance.get("Endpoint") or {}).get("Port")}
