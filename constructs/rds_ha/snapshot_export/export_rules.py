"""Defaults and rules for exporting snapshots to S3, shared by ``SnapshotExport`` and the config.

Each problem is one line naming the field, the value received and what is allowed.
"""

from __future__ import annotations

from rds_ha.backups.backup_rules import MAX_RETENTION_DAYS, days_problems

EXPORT_ARCHIVE_AFTER_DAYS = 30
EXPORT_EXPIRE_AFTER_DAYS = 730
# Which snapshots go to S3: the monthly AWS Backup snapshots, every snapshot, or none.
EXPORT_SNAPSHOTS_CHOICES = ("monthly", "all", "none")
EXPORT_SNAPSHOTS = "monthly"
# Glacier Instant Retrieval bills at least 90 days per object.
GLACIER_IR_MINIMUM_DAYS = 90


def export_problems(
    *,
    export_snapshots: str,
    export_archive_after_days: int,
    export_expire_after_days: int,
    export_function_reserved_concurrency: int | None = None,
) -> list[str]:
    """Every problem with these export settings, or an empty list."""
    problems = []
    if export_snapshots not in EXPORT_SNAPSHOTS_CHOICES:
        problems.append(
            f"export_snapshots={export_snapshots!r}: must be one of "
            f"{', '.join(map(repr, EXPORT_SNAPSHOTS_CHOICES))}"
        )
    archive_after, expire_after = export_archive_after_days, export_expire_after_days
    problems += days_problems("export_archive_after_days", archive_after, 1, MAX_RETENTION_DAYS)
    problems += days_problems("export_expire_after_days", expire_after, 1, MAX_RETENTION_DAYS)
    if expire_after < archive_after + GLACIER_IR_MINIMUM_DAYS:
        problems.append(
            f"export_expire_after_days={expire_after}: must be at least "
            f"export_archive_after_days + {GLACIER_IR_MINIMUM_DAYS} "
            f"({archive_after + GLACIER_IR_MINIMUM_DAYS}); archived exports are billed for "
            f"{GLACIER_IR_MINIMUM_DAYS} days anyway"
        )
    reserved = export_function_reserved_concurrency
    if reserved is not None and reserved < 1:
        problems.append(
            f"export_function_reserved_concurrency={reserved}: "
            "must be at least 1, or None to reserve nothing"
        )
    return problems
