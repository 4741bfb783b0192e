"""`rds-ha doctor`: audit a live database against the HA, backup and monitoring baseline."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rds_ha.cli.databases import CLUSTER, INSTANCE, Database
from rds_ha.cli.errors import AWS_FAILURES
from rds_ha.cli.ops_doctor_secret import master_secret_status
from rds_ha.cli.output import duration

PASS, WARN, FAIL, ERROR = "pass", "warn", "fail", "error"

# Metrics whose alarms tell the operator it is time to scale up (the seed's first operating point).
KEY_METRICS = ("CPUUtilization", "FreeableMemory", "FreeStorageSpace")


@dataclass(frozen=True)
class Thresholds:
    min_backup_retention_days: int = 7
    max_data_loss_minutes: float = 15.0


@dataclass(frozen=True)
class Check:
    id: str
    status: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.id, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Clients:
    rds: Any
    cloudwatch: Any
    secretsmanager: Any = None  # the master-secret check's; None where a caller has no use for it
    # Set by `doctor --all`: the account-wide data every database's checks read, fetched once.
    account: AccountData | None = None


class AccountData:
    """What the checks of many databases read from the same account-wide calls (alarms, event
    subscriptions, pending maintenance): each fetched once per run, on first use, and shared by
    the threads of `doctor --all`. A failed fetch is kept too, so fifty databases make one failing
    call (each of their checks then says why), not fifty."""

    def __init__(self, rds: Any, cloudwatch: Any) -> None:
        self._rds, self._cloudwatch = rds, cloudwatch
        self._fetched: dict[str, Any] = {}
        self._locks = {key: threading.Lock() for key in ("alarms", "subscriptions", "pending")}

    def _once(self, key: str, fetch: Callable[[], Any]) -> Any:
        with self._locks[key]:
            if key not in self._fetched:
                try:
                    self._fetched[key] = (fetch(), None)
                except AWS_FAILURES as error:
                    self._fetched[key] = (None, error)
        value, failure = self._fetched[key]
        if failure is not None:
            raise failure
        return value

    def alarms(self, db: Database) -> list[dict[str, Any]]:
        index = self._once("alarms", lambda: alarms_by_dimension(self._cloudwatch))
        return _unique([alarm for key in _alarm_keys(db) for alarm in index.get(key, [])])

    def event_subscriptions(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = self._once(
            "subscriptions", lambda: event_subscriptions(self._rds)
        )
        return value

    def pending_actions(self, arn: str) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = self._once(
            "pending", lambda: all_pending_actions(self._rds)
        ).get(arn, [])
        return value


CheckFn = Callable[[Database, Clients, Thresholds, datetime], Check]


def _yes_no(database: Database, key: str, *, want: bool, check_id: str, label: str) -> Check:
    value = bool(database.raw.get(key))
    status = PASS if value == want else FAIL
    return Check(check_id, status, f"{label}: {'on' if value else 'off'}")


def check_multi_az(db: Database, _c: Clients, _t: Thresholds, _n: datetime) -> Check:
    if db.kind == CLUSTER:
        members = len(db.raw.get("DBClusterMembers", []))
        ok = db.multi_az and members >= 2
        kind = "Multi-AZ" if db.multi_az else "single-AZ"
        return Check("multi-az", PASS if ok else FAIL, f"{kind} cluster with {members} members")
    if not db.multi_az:
        return Check("multi-az", FAIL, "single-AZ: a host or AZ failure is an outage")
    az, standby = db.raw.get("AvailabilityZone"), db.raw.get("SecondaryAvailabilityZone")
    if not standby:
        # Multi-AZ is on, but RDS does not say where the standby is (it is still being created,
        # or the endpoint does not report it): not proof of a standby, so not a pass.
        return Check(
            "multi-az",
            WARN,
            f"Multi-AZ on, primary in {az}, but no standby AZ reported "
            "(SecondaryAvailabilityZone); check the standby before relying on it",
        )
    return Check("multi-az", PASS, f"primary in {az}, standby in {standby}")


def check_backup_retention(db: Database, _c: Clients, t: Thresholds, _n: datetime) -> Check:
    days = int(db.raw.get("BackupRetentionPeriod") or 0)
    if days == 0:
        return Check("backup-retention", FAIL, "automated backups are off (retention 0 days)")
    status = PASS if days >= t.min_backup_retention_days else FAIL
    return Check("backup-retention", status, f"{days} days (minimum {t.min_backup_retention_days})")


def check_data_loss_window(db: Database, _c: Clients, t: Thresholds, now: datetime) -> Check:
    latest = db.raw.get("LatestRestorableTime")
    if latest is None:
        return Check("data-loss-window", FAIL, "no latest restorable time: PITR is not possible")
    window = (now - latest).total_seconds()
    status = PASS if window <= t.max_data_loss_minutes * 60 else FAIL
    return Check(
        "data-loss-window",
        status,
        f"{duration(window)} since the latest restorable time "
        f"(maximum {t.max_data_loss_minutes:g} min)",
    )


def check_deletion_protection(db: Database, _c: Clients, _t: Thresholds, _n: datetime) -> Check:
    return _yes_no(
        db,
        "DeletionProtection",
        want=True,
        check_id="deletion-protection",
        label="deletion protection",
    )


def check_encryption(db: Database, _c: Clients, _t: Thresholds, _n: datetime) -> Check:
    check = _yes_no(
        db, "StorageEncrypted", want=True, check_id="encryption", label="storage encryption"
    )
    key = db.raw.get("KmsKeyId")
    return Check(check.id, check.status, f"{check.detail} ({key})" if key else check.detail)


def check_public_access(db: Database, _c: Clients, _t: Thresholds, _n: datetime) -> Check:
    return _yes_no(
        db, "PubliclyAccessible", want=False, check_id="public-access", label="publicly accessible"
    )


def check_auto_minor_upgrade(db: Database, _c: Clients, _t: Thresholds, _n: datetime) -> Check:
    on = bool(db.raw.get("AutoMinorVersionUpgrade"))
    # A choice some teams make on purpose (they patch with `rds-ha maintenance`): warn, not fail.
    return Check(
        "auto-minor-upgrade",
        PASS if on else WARN,
        "on" if on else "off: minor versions (security fixes) need `rds-ha maintenance`",
    )


def check_pending_maintenance(db: Database, c: Clients, _t: Thresholds, _n: datetime) -> Check:
    actions = c.account.pending_actions(db.arn) if c.account else pending_actions(c.rds, db.arn)
    if not actions:
        return Check("pending-maintenance", PASS, "none")
    described = "; ".join(
        f"{a['Action']}"
        + (f" (forced on {a['ForcedApplyDate']:%Y-%m-%d})" if a.get("ForcedApplyDate") else "")
        for a in actions
    )
    return Check("pending-maintenance", WARN, described)


def pending_actions(rds: Any, arn: str) -> list[dict[str, Any]]:
    response = rds.describe_pending_maintenance_actions(ResourceIdentifier=arn)
    actions: list[dict[str, Any]] = []
    for resource in response.get("PendingMaintenanceActions", []):
        actions.extend(resource.get("PendingMaintenanceActionDetails", []))
    return actions


def all_pending_actions(rds: Any) -> dict[str, list[dict[str, Any]]]:
    """Every pending maintenance action of the account and region, by resource ARN: one paged
    call instead of one per database."""
    actions: dict[str, list[dict[str, Any]]] = {}
    for page in rds.get_paginator("describe_pending_maintenance_actions").paginate():
        for resource in page.get("PendingMaintenanceActions", []):
            actions.setdefault(resource["ResourceIdentifier"], []).extend(
                resource.get("PendingMaintenanceActionDetails", [])
            )
    return actions


def _alarm_keys(db: Database) -> list[tuple[str, str]]:
    """The (dimension, value) pairs whose alarms watch ``db``.

    RDS publishes a Multi-AZ DB cluster's AWS/RDS metrics per member DB instance, so
    ``DatabaseAlarms`` watches the members (``monitoring.cluster_members``): a cluster's alarms
    are found by each member's DBInstanceIdentifier, from ``DBClusterMembers[].
    DBInstanceIdentifier`` of DescribeDBClusters (botocore rds ``DBCluster`` shape,
    ``DBClusterMembers``: ``DBClusterMember`` list). Alarms on the cluster's own
    DBClusterIdentifier count too: ``RecoveryPointWatch`` publishes its metric per cluster.
    """
    if db.kind == INSTANCE:
        return [("DBInstanceIdentifier", db.identifier)]
    members = [
        member["DBInstanceIdentifier"]
        for member in db.raw.get("DBClusterMembers") or []
        if member.get("DBInstanceIdentifier")
    ]
    return [("DBClusterIdentifier", db.identifier)] + [
        ("DBInstanceIdentifier", member) for member in members
    ]


def _unique(alarms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each alarm once: one over a cluster's three members is found under each member."""
    return list({alarm["AlarmName"]: alarm for alarm in alarms}.values())


def _metric_alarms(cloudwatch: Any) -> list[dict[str, Any]]:
    alarms: list[dict[str, Any]] = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
        alarms += page.get("MetricAlarms", [])
    return alarms


def _dimensions(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The dimensions of an alarm's metric, or of the metrics of its metric-math queries."""
    dimensions = list(alarm.get("Dimensions", []))
    for query in alarm.get("Metrics", []):
        dimensions += query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
    return dimensions


def alarms_for(cloudwatch: Any, db: Database) -> list[dict[str, Any]]:
    keys = set(_alarm_keys(db))
    return [
        alarm
        for alarm in _metric_alarms(cloudwatch)
        if keys & {(d.get("Name", ""), d.get("Value", "")) for d in _dimensions(alarm)}
    ]


def alarms_by_dimension(cloudwatch: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every metric alarm of the account and region under each (dimension, value) it watches."""
    index: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for alarm in _metric_alarms(cloudwatch):
        keys = {(d.get("Name", ""), d.get("Value", "")) for d in _dimensions(alarm)}
        for key in keys:
            index.setdefault(key, []).append(alarm)
    return index


def _alarm_metric(alarm: dict[str, Any]) -> str | None:
    if alarm.get("MetricName"):
        value: str | None = alarm["MetricName"]
        return value
    for query in alarm.get("Metrics", []):
        name = query.get("MetricStat", {}).get("Metric", {}).get("MetricName")
        if name:
            named: str = name
            return named
    return None


def check_alarms(db: Database, c: Clients, _t: Thresholds, _n: datetime) -> Check:
    alarms = c.account.alarms(db) if c.account else alarms_for(c.cloudwatch, db)
    if not alarms:
        watched = db.identifier if db.kind == INSTANCE else f"{db.identifier} or its members"
        return Check("alarms", FAIL, f"no CloudWatch alarm watches {watched}")
    metrics = {_alarm_metric(a) for a in alarms}
    missing = [m for m in KEY_METRICS if m not in metrics]
    silent = [a["AlarmName"] for a in alarms if not a.get("AlarmActions")]
    problems = []
    if missing:
        problems.append(f"no alarm on {', '.join(missing)}")
    if silent:
        problems.append(f"no alarm action on {', '.join(sorted(silent))}")
    detail = f"{len(alarms)} alarms" + (f"; {'; '.join(problems)}" if problems else "")
    return Check("alarms", FAIL if problems else PASS, detail)


# The events an on-call engineer must hear about. DB cluster events have no "availability"
# category (RDS User Guide, "Amazon RDS event categories and event messages").
NEEDED_EVENT_CATEGORIES = {
    INSTANCE: frozenset({"availability", "failover", "failure"}),
    CLUSTER: frozenset({"failover", "failure"}),
}


def _covers(subscription: dict[str, Any], db: Database, source_type: str) -> bool:
    categories = set(subscription.get("EventCategoriesList") or [])
    return (
        bool(subscription.get("Enabled"))
        and subscription.get("SourceType") in (None, source_type)
        and (
            not subscription.get("SourceIdsList") or db.identifier in subscription["SourceIdsList"]
        )
        # An empty list means every category.
        and (not categories or NEEDED_EVENT_CATEGORIES[db.kind] <= categories)
    )


def event_subscriptions(rds: Any) -> list[dict[str, Any]]:
    subscriptions: list[dict[str, Any]] = []
    for page in rds.get_paginator("describe_event_subscriptions").paginate():
        subscriptions += page.get("EventSubscriptionsList", [])
    return subscriptions


def check_event_subscription(db: Database, c: Clients, _t: Thresholds, _n: datetime) -> Check:
    source_type = "db-instance" if db.kind == INSTANCE else "db-cluster"
    subscriptions = c.account.event_subscriptions() if c.account else event_subscriptions(c.rds)
    covering = [s["CustSubscriptionId"] for s in subscriptions if _covers(s, db, source_type)]
    if not covering:
        needed = ", ".join(sorted(NEEDED_EVENT_CATEGORIES[db.kind]))
        return Check(
            "event-subscription",
            FAIL,
            f"no enabled RDS event subscription sends {needed} events of {db.identifier}",
        )
    return Check("event-subscription", PASS, ", ".join(sorted(covering)))


def check_master_secret(db: Database, c: Clients, _t: Thresholds, now: datetime) -> Check:
    """Who keeps the master password and whether its rotation works (ops_doctor_secret)."""
    status, detail = master_secret_status(db, c.secretsmanager, now)
    return Check("master-secret", status, detail)


CHECKS: dict[str, CheckFn] = {
    "multi-az": check_multi_az,
    "backup-retention": check_backup_retention,
    "data-loss-window": check_data_loss_window,
    "deletion-protection": check_deletion_protection,
    "encryption": check_encryption,
    "public-access": check_public_access,
    "auto-minor-upgrade": check_auto_minor_upgrade,
    "pending-maintenance": check_pending_maintenance,
    "alarms": check_alarms,
    "event-subscription": check_event_subscription,
    "master-secret": check_master_secret,
}


def run_checks(
    database: Database,
    clients: Clients,
    *,
    thresholds: Thresholds | None = None,
    skip: frozenset[str] = frozenset(),
    now: datetime | None = None,
) -> list[Check]:
    thresholds = thresholds or Thresholds()
    now = now or datetime.now(UTC)
    results = []
    for check_id, check in CHECKS.items():
        if check_id in skip:
            results.append(Check(check_id, "skipped", "skipped with --skip"))
            continue
        try:
            results.append(check(database, clients, thresholds, now))
        except AWS_FAILURES as error:
            # A check that cannot run is not a pass: it fails the audit, saying why.
            results.append(Check(check_id, ERROR, f"could not check: {error}"))
    return results


def failed(results: list[Check]) -> list[Check]:
    return [r for r in results if r.status in (FAIL, ERROR)]
