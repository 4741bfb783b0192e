"""The sub-tables of an environment: ``[environments.<name>.backups]`` and ``.alarms``."""

from __future__ import annotations

from typing import Annotated

from aws_cdk import Duration
from aws_cdk import aws_backup as backup
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rds_ha.backups import backup_rules
from rds_ha.snapshot_export import export_rules

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s#]+$")]
VpcId = Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$")]
Cidr = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-4])$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class AlarmOverride(_Strict):
    """One ``[environments.<name>.alarms]`` entry, e.g. ``max_cpu_percent = { warning = 70 }``."""

    warning: float | None = None
    critical: float | None = None
    warning_period_seconds: int | None = None
    warning_evaluation_periods: int | None = None
    warning_datapoints_to_alarm: int | None = None
    critical_period_seconds: int | None = None
    critical_evaluation_periods: int | None = None
    critical_datapoints_to_alarm: int | None = None


class BackupsConfig(_Strict):
    """The ``[environments.<name>.backups]`` table: AWS Backup, the DR copy and S3 exports."""

    dr_region: Region | None = Field(
        default=None, description="Region of the disaster-recovery vault; none: no copy."
    )
    continuous_retention_days: int | None = Field(
        default=None,
        description="Must equal backup_retention_days; none: backup_retention_days.",
    )
    daily_retention_days: int = backup_rules.DAILY_RETENTION_DAYS
    monthly_retention_days: int = backup_rules.MONTHLY_RETENTION_DAYS
    dr_retention_days: int | None = None
    dr_monthly_retention_days: int | None = Field(
        default=None, description="Retention of the monthly DR copies; none: monthly retention."
    )
    backup_start_hour_utc: int = backup_rules.BACKUP_START_HOUR_UTC
    restore_test_schedule: str = backup_rules.RESTORE_TEST_SCHEDULE
    export_snapshots: str = Field(
        default=export_rules.EXPORT_SNAPSHOTS,
        description="'monthly' (AWS Backup monthly snapshots), 'all' or 'none'.",
    )
    export_archive_after_days: int = export_rules.EXPORT_ARCHIVE_AFTER_DAYS
    export_expire_after_days: int = export_rules.EXPORT_EXPIRE_AFTER_DAYS
    replicate_automated_backups: bool = Field(
        default=False,
        description="RDS cross-region automated backup replication to dr_region (DB instances).",
    )
    automated_backup_replication_retention_days: int | None = Field(
        default=None, description="1-35; none: backup_retention_days."
    )
    automated_backup_replication_key_arn: str | None = Field(
        default=None,
        description="The DR key's ARN (output AutomatedBackupKeyArn of rds-ha-<env>-dr); none: "
        "the DR stack makes the key and replication waits for its ARN.",
    )
    vault_lock: bool = False
    vault_lock_min_retention_days: int = 1
    vault_lock_max_retention_days: int = backup_rules.MAX_RETENTION_DAYS
    vault_lock_changeable_days: int | None = Field(
        default=None,
        description="Days until the lock becomes immutable (compliance mode); none: governance.",
    )

    @property
    def automated_backup_replication_retention(self) -> Duration | None:
        """``replicate_automated_backups``' ``retention``: the key's days, or none."""
        days = self.automated_backup_replication_retention_days
        return None if days is None else Duration.days(days)

    @property
    def lock_configuration(self) -> backup.LockConfiguration | None:
        """The vault lock of this table, or none when ``vault_lock`` is false."""
        if not self.vault_lock:
            return None
        changeable = self.vault_lock_changeable_days
        return backup.LockConfiguration(
            min_retention=Duration.days(self.vault_lock_min_retention_days),
            max_retention=Duration.days(self.vault_lock_max_retention_days),
            changeable_for=Duration.days(changeable) if changeable is not None else None,
        )

    def problems(
        self, *, region: str, backup_window: str, backup_retention_days: int, production: bool
    ) -> list[str]:
        problems = backup_rules.backup_problems(
            continuous_retention_days=(
                self.continuous_retention_days
                if self.continuous_retention_days is not None
                else backup_retention_days
            ),
            database_backup_retention_days=backup_retention_days,
            daily_retention_days=self.daily_retention_days,
            monthly_retention_days=self.monthly_retention_days,
            disaster_recovery_retention_days=self.dr_retention_days,
            disaster_recovery_monthly_retention_days=self.dr_monthly_retention_days,
            backup_start_hour_utc=self.backup_start_hour_utc,
            database_backup_window=backup_window,
            restore_test_schedule=self.restore_test_schedule,
            vault_lock_min_retention_days=(
                self.vault_lock_min_retention_days if self.vault_lock else None
            ),
            vault_lock_max_retention_days=(
                self.vault_lock_max_retention_days if self.vault_lock else None
            ),
        )
        problems += export_rules.export_problems(
            export_snapshots=self.export_snapshots,
            export_archive_after_days=self.export_archive_after_days,
            export_expire_after_days=self.export_expire_after_days,
        )
        # Field names inside the sub-table read as they are written in the file.
        problems = [f"backups.{problem}" for problem in problems]
        if self.dr_region == region:
            problems.append(
                f"backups.dr_region={self.dr_region!r}: must differ from region ({region!r}) "
                "so the copies survive the loss of the region"
            )
        if production and self.dr_region is None:
            problems.append("backups.dr_region: production needs a disaster-recovery region")
        changeable = self.vault_lock_changeable_days
        if changeable is not None and changeable < backup_rules.MIN_VAULT_LOCK_CHANGEABLE_DAYS:
            problems.append(
                f"backups.vault_lock_changeable_days={changeable}: must be at least "
                f"{backup_rules.MIN_VAULT_LOCK_CHANGEABLE_DAYS} (AWS Backup's grace period)"
            )
        return problems
