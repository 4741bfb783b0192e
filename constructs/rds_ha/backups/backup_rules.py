"""Defaults and rules for a database's AWS Backup plan, shared by ``DatabaseBackups`` and the
config.

Each problem is one line naming the field, the value received and what is allowed.
"""

from __future__ import annotations

import re

from rds_ha.catalog.aws_rules import cite
from rds_ha.database.windows import MINUTES_PER_DAY, _overlaps, parse_backup_window

# AWS Backup keeps continuous backups (point-in-time restore) for at most 35 days.
MAX_CONTINUOUS_RETENTION_DAYS = 35
MAX_RETENTION_DAYS = 36500
DAILY_RETENTION_DAYS = 35
MONTHLY_RETENTION_DAYS = 365
BACKUP_START_HOUR_UTC = 5
BACKUP_START_WINDOW_MINUTES = 60
RESTORE_TEST_SCHEDULE = "cron(0 6 ? * SAT *)"
# A vault lock in compliance mode becomes immutable after this grace period (AWS minimum).
MIN_VAULT_LOCK_CHANGEABLE_DAYS = 3

_SCHEDULE = re.compile(r"^(cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$")


def days_problems(name: str, value: int, low: int, high: int) -> list[str]:
    if low <= value <= high:
        return []
    return [f"{name}={value}: must be {low}-{high} days"]


def backup_problems(
    *,
    continuous_retention_days: int,
    database_backup_retention_days: int | None,
    daily_retention_days: int,
    monthly_retention_days: int,
    disaster_recovery_retention_days: int | None,
    disaster_recovery_monthly_retention_days: int | None,
    backup_start_hour_utc: int,
    database_backup_window: str | None,
    restore_test_schedule: str,
    vault_lock_min_retention_days: int | None,
    vault_lock_max_retention_days: int | None,
) -> list[str]:
    """Every problem with these backup settings, or an empty list."""
    # A continuous retention equal to the database's is checked, and reported, with the
    # database's own settings.
    problems = (
        []
        if continuous_retention_days == database_backup_retention_days
        else [
            cite("backup.continuous-retention", problem)
            for problem in days_problems(
                "continuous_retention_days",
                continuous_retention_days,
                1,
                MAX_CONTINUOUS_RETENTION_DAYS,
            )
        ]
    )
    problems += _continuous_problems(continuous_retention_days, database_backup_retention_days)
    problems += days_problems("daily_retention_days", daily_retention_days, 1, MAX_RETENTION_DAYS)
    problems += days_problems(
        "monthly_retention_days", monthly_retention_days, 1, MAX_RETENTION_DAYS
    )
    disaster_recovery = {
        "dr_retention_days": disaster_recovery_retention_days,
        "dr_monthly_retention_days": disaster_recovery_monthly_retention_days,
    }
    for name, days in disaster_recovery.items():
        if days is not None:
            problems += days_problems(name, days, 1, MAX_RETENTION_DAYS)
    if monthly_retention_days <= daily_retention_days:
        problems.append(
            f"monthly_retention_days={monthly_retention_days}: must be longer than "
            f"daily_retention_days ({daily_retention_days}), or the monthly backups add nothing"
        )
    problems += _schedule_problems(backup_start_hour_utc, database_backup_window)
    if not _SCHEDULE.match(restore_test_schedule):
        problems.append(
            f"restore_test_schedule={restore_test_schedule!r}: must be an EventBridge "
            "'cron(...)' or 'rate(N unit)' expression, e.g. 'cron(0 6 ? * SAT *)'"
        )
    if vault_lock_min_retention_days is not None or vault_lock_max_retention_days is not None:
        problems += _vault_lock_problems(
            vault_lock_min_retention_days or 1,
            vault_lock_max_retention_days or MAX_RETENTION_DAYS,
            {
                "continuous_retention_days": continuous_retention_days,
                "daily_retention_days": daily_retention_days,
                "monthly_retention_days": monthly_retention_days,
                **{name: days for name, days in disaster_recovery.items() if days is not None},
            },
        )
    return problems


def membership_problems(
    *,
    continuous_retention_days: int,
    backup_start_hour_utc: int,
    database_backup_retention_days: int,
    database_backup_window: str,
) -> list[str]:
    """What one more database in an existing plan must agree with: the plan's continuous
    retention and its start hour."""
    return _continuous_problems(
        continuous_retention_days, database_backup_retention_days
    ) + _schedule_problems(backup_start_hour_utc, database_backup_window)


def _continuous_problems(continuous: int, database_backup_retention_days: int | None) -> list[str]:
    # With continuous backup, AWS Backup takes over the RDS automated backups and sets their
    # retention to the rule's ("Using AWS Backup to manage automated backups", Amazon RDS User
    # Guide, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/AutomatedBackups.AWSBackup.html;
    # "Changing your retention period", AWS Backup Developer Guide,
    # https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-retention-period.html).
    # A different value would be overwritten behind CloudFormation's back and drift.
    if database_backup_retention_days is None or continuous == database_backup_retention_days:
        return []
    return [
        f"continuous_retention_days={continuous}: must equal the database's "
        f"backup_retention_days ({database_backup_retention_days}); AWS Backup's continuous "
        "backup takes over the RDS automated backups and their retention (leave it unset to "
        "use backup_retention_days)"
    ]


def _schedule_problems(hour: int, database_backup_window: str | None) -> list[str]:
    if not 0 <= hour <= 23:
        return [f"backup_start_hour_utc={hour}: must be 0-23"]
    if database_backup_window is None:
        return []
    try:
        window_start, window_length = parse_backup_window(database_backup_window)
    except ValueError:
        return []  # reported with the database's own settings
    # AWS Backup asks that its jobs and the RDS backup window never coincide: the lineage of the
    # snapshots would branch.
    if _overlaps(
        hour * 60, BACKUP_START_WINDOW_MINUTES, window_start, window_length, MINUTES_PER_DAY
    ):
        return [
            f"backup_start_hour_utc={hour}: AWS Backup's one-hour start window must not overlap "
            f"the database's backup_window ({database_backup_window!r}); pick another hour"
        ]
    return []


def _vault_lock_problems(low: int, high: int, retentions: dict[str, int]) -> list[str]:
    problems = days_problems("vault_lock_min_retention_days", low, 1, MAX_RETENTION_DAYS)
    problems += days_problems("vault_lock_max_retention_days", high, 1, MAX_RETENTION_DAYS)
    if low > high:
        return [
            *problems,
            f"vault_lock_min_retention_days={low}: must not exceed "
            f"vault_lock_max_retention_days ({high})",
        ]
    for name, days in retentions.items():
        if not low <= days <= high:
            problems.append(
                f"{name}={days}: the vault lock only accepts retention between "
                f"{low} and {high} days; backup jobs outside it fail"
            )
    return problems
