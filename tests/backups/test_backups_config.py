"""The [environments.<name>.backups] table: every problem reported at once, with its value."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from rds_ha.catalog.aws_rules import cite
from rds_ha.errors import ConfigurationError
from stacks.config import DEFAULT_CONFIG_PATH, parse_config


def problems_for(environment: str, **backups: Any) -> list[str]:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text())
    data["environments"][environment].setdefault("backups", {}).update(backups)
    with pytest.raises(ConfigurationError) as error:
        parse_config(data)
    return error.value.problems


def test_committed_environments_have_valid_backups_with_a_dr_region() -> None:
    config = parse_config(tomllib.loads(DEFAULT_CONFIG_PATH.read_text()))
    for environment in config.environments.values():
        assert environment.backups.dr_region not in (None, environment.region)
    assert config.environments["prod"].backups.vault_lock is True


def test_unknown_backups_key_is_rejected() -> None:
    assert problems_for("dev", cold_storage_after_days=90) == [
        "[dev] backups.cold_storage_after_days=90: unknown key"
    ]


def test_every_backups_problem_is_listed_at_once_with_field_value_and_allowed_range() -> None:
    problems = problems_for(
        "staging",
        continuous_retention_days=36,
        daily_retention_days=400,
        monthly_retention_days=365,
        backup_start_hour_utc=2,
        restore_test_schedule="weekly",
        export_archive_after_days=30,
        export_expire_after_days=60,
        dr_region="eu-west-1",
    )
    assert problems == [
        # An AWS limit: the problem names its rule (rds_ha.catalog.aws_rules).
        "[staging] backups."
        + cite("backup.continuous-retention", "continuous_retention_days=36: must be 1-35 days"),
        "[staging] backups.continuous_retention_days=36: must equal the database's "
        "backup_retention_days (14); AWS Backup's continuous backup takes over the RDS automated "
        "backups and their retention (leave it unset to use backup_retention_days)",
        "[staging] backups.monthly_retention_days=365: must be longer than "
        "daily_retention_days (400), or the monthly backups add nothing",
        "[staging] backups.backup_start_hour_utc=2: AWS Backup's one-hour start window must not "
        "overlap the database's backup_window ('02:00-02:30'); pick another hour",
        "[staging] backups.restore_test_schedule='weekly': must be an EventBridge 'cron(...)' or "
        "'rate(N unit)' expression, e.g. 'cron(0 6 ? * SAT *)'",
        "[staging] backups.export_expire_after_days=60: must be at least "
        "export_archive_after_days + 90 (120); archived exports are billed for 90 days anyway",
        "[staging] backups.dr_region='eu-west-1': must differ from region ('eu-west-1') so the "
        "copies survive the loss of the region",
    ]


def test_vault_lock_must_admit_every_rule_retention() -> None:
    problems = problems_for("prod", vault_lock_min_retention_days=60, vault_lock_changeable_days=1)
    assert (
        "[prod] backups.continuous_retention_days=35: the vault lock only accepts retention "
        "between 60 and 2557 days; backup jobs outside it fail" in problems
    )
    assert (
        "[prod] backups.vault_lock_changeable_days=1: must be at least 3 (AWS Backup's grace "
        "period)" in problems
    )


def test_production_requires_a_disaster_recovery_region() -> None:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text())
    del data["environments"]["prod"]["backups"]["dr_region"]
    with pytest.raises(ConfigurationError) as error:
        parse_config(data)
    assert error.value.problems == [
        "[prod] backups.dr_region: production needs a disaster-recovery region"
    ]


def test_pydantic_type_errors_name_the_sub_table_key() -> None:
    (problem,) = problems_for("dev", daily_retention_days="a week")
    assert problem.startswith("[dev] backups.daily_retention_days='a week': ")


def test_continuous_retention_must_match_the_database_backup_retention() -> None:
    assert problems_for("staging", continuous_retention_days=7) == [
        "[staging] backups.continuous_retention_days=7: must equal the database's "
        "backup_retention_days (14); AWS Backup's continuous backup takes over the RDS automated "
        "backups and their retention (leave it unset to use backup_retention_days)"
    ]


def test_continuous_retention_defaults_to_the_database_backup_retention() -> None:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text())
    data["environments"]["staging"]["backups"].pop("continuous_retention_days", None)
    staging = parse_config(data).environments["staging"]
    assert staging.backups.continuous_retention_days is None
    assert parse_config(data).environments["prod"].backups.continuous_retention_days == 35


def test_export_snapshots_and_dr_monthly_retention_are_checked() -> None:
    assert problems_for("dev", export_snapshots="daily", dr_monthly_retention_days=0) == [
        "[dev] backups.dr_monthly_retention_days=0: must be 1-36500 days",
        "[dev] backups.export_snapshots='daily': must be one of 'monthly', 'all', 'none'",
    ]


def test_the_vault_lock_must_also_admit_the_dr_copies_retention() -> None:
    assert problems_for("prod", dr_monthly_retention_days=3000) == [
        "[prod] backups.dr_monthly_retention_days=3000: the vault lock only accepts retention "
        "between 7 and 2557 days; backup jobs outside it fail"
    ]
