"""`rds-ha doctor`'s master-secret check, in either credentials mode: who keeps the master
password, and whether its rotation works. Nothing here changes AWS.

- credentials = "rds-managed": RDS's ``MasterUserSecret``. Its ``SecretStatus`` is "impaired"
  when "The secret can be used to access database credentials, but it can't be rotated"
  (botocore rds, ``MasterUserSecret``): a failure. RDS rotates it itself.
- credentials = "secret": the stack's secret named by the tag ``rds-ha:master-secret-arn``,
  read with DescribeSecret: rotation off is a warning; a rotation left in progress (AWSPENDING
  on a version that is not AWSCURRENT: RotateSecret "assumes that a previous rotation request is
  still in progress") is a warning; a last rotation older than its schedule plus a day is a
  failure, since a rotation function that keeps failing leaves the password as it was and says
  so only in its own log.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from rds_ha.catalog.credentials import MASTER_SECRET_TAG
from rds_ha.cli.databases import Database

PASS, WARN, FAIL = "pass", "warn", "fail"
# Secrets Manager rotates "any time during a rotation window" (RotationRules, ScheduleExpression),
# at most a day for rds-ha's rate() schedules: a day's grace before a rotation is overdue.
GRACE = timedelta(days=1)
_RATE = re.compile(r"^rate\((\d+) (hour|hours|day|days)\)$")


def rotation_interval(rules: dict[str, Any]) -> timedelta | None:
    """The interval of a secret's RotationRules (AutomaticallyAfterDays, or a rate()
    ScheduleExpression); None for a cron() schedule, whose interval is not read here."""
    days = rules.get("AutomaticallyAfterDays")
    if days:
        return timedelta(days=int(days))
    match = _RATE.match(str(rules.get("ScheduleExpression", "")).strip())
    if not match:
        return None
    count, unit = int(match.group(1)), match.group(2)
    return timedelta(hours=count) if unit.startswith("hour") else timedelta(days=count)


def master_secret_status(database: Database, secretsmanager: Any, now: datetime) -> tuple[str, str]:
    """(status, detail) of the database's master secret."""
    managed = database.raw.get("MasterUserSecret") or {}
    if managed:
        state = managed.get("SecretStatus", "unknown")
        if state == "impaired":
            return FAIL, (
                f"RDS-managed master secret {managed.get('SecretArn')} is impaired: RDS cannot "
                "rotate it (its key or permissions changed)"
            )
        return PASS, f"credentials rds-managed: RDS keeps and rotates the secret ({state})"
    arn = database.master_secret_arn
    if not arn:
        return WARN, (
            f"no master secret known: neither MasterUserSecret nor the tag {MASTER_SECRET_TAG}"
        )
    secret = secretsmanager.describe_secret(SecretId=arn)
    name = secret.get("Name", arn)
    if not secret.get("RotationEnabled"):
        return WARN, f"credentials secret: rotation of {name} is off"
    versions = (secret.get("VersionIdsToStages") or {}).items()
    stuck = [v for v, stages in versions if "AWSPENDING" in stages and "AWSCURRENT" not in stages]
    if stuck:
        return WARN, (
            f"credentials secret: a rotation of {name} is in progress or failed part-way "
            f"(AWSPENDING on version {stuck[0]})"
        )
    interval = rotation_interval(secret.get("RotationRules") or {})
    last = secret.get("LastRotatedDate") or secret.get("CreatedDate")
    if interval is not None and last is not None and now - last > interval + GRACE:
        age = (now - last).days
        every = f"{interval.days} days" if interval.days else f"{interval.seconds // 3600} hours"
        return FAIL, (
            f"credentials secret: {name} last rotated {age} days ago, every {every}: its "
            "rotation function keeps failing (see its log group /aws/lambda/<function name>)"
        )
    when = f"last rotated {last:%Y-%m-%d}" if secret.get("LastRotatedDate") else "not rotated yet"
    return PASS, f"credentials secret: {name} rotates on schedule ({when})"
