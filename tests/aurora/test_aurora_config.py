"""Aurora environments in environments.toml: parsed beside the RDS ones, every problem of every
environment listed at once, production's rules, and what stays RDS-only."""

from __future__ import annotations

from typing import Any

import pytest
from synth_helpers import ROOT

from rds_ha import AuroraDeployment, AuroraEngine, ConfigurationError
from stacks.config import load_config, parse_config

AURORA: dict[str, Any] = {
    "account": "123456789012",
    "region": "eu-west-1",
    "engine": "aurora-postgresql",
    "alarm_emails": ["dba@example.com"],
}


def problems_of(**tables: dict[str, Any]) -> str:
    with pytest.raises(ConfigurationError) as raised:
        parse_config({"environments": tables})
    return str(raised.value)


def test_the_test_file_holds_a_provisioned_and_a_serverless_environment() -> None:
    config = load_config(ROOT / "tests" / "aurora" / "aurora.toml")
    assert config.environments == {}
    prod, dev = config.select_aurora("orders")[0], config.select_aurora("carts")[0]
    assert (prod.engine, prod.deployment, prod.readers) == (
        AuroraEngine.AURORA_POSTGRESQL,
        AuroraDeployment.PROVISIONED,
        2,
    )
    assert prod.is_production and prod.effective_removal_policy == "retain"
    assert dev.deployment is AuroraDeployment.SERVERLESS_V2
    props = dev.database_props()
    assert (props["min_capacity"], props["max_capacity"]) == (0, 16)
    assert props["backtrack_window"].to_hours() == 24


def test_aurora_and_rds_environments_live_side_by_side() -> None:
    rds = load_config().environments["dev"].model_dump(exclude={"name", "databases"})
    config = parse_config({"environments": {"dev": rds, "analytics": AURORA}})
    assert [e.name for e in config.select(None)] == ["dev"]
    assert [e.name for e in config.select_aurora(None)] == ["analytics"]
    assert config.select("analytics") == [] and config.select_aurora("dev") == []
    with pytest.raises(ConfigurationError, match=r"env='nope'.*valid: analytics, dev"):
        config.select_aurora("nope")


def test_every_problem_of_every_aurora_environment_at_once() -> None:
    message = problems_of(
        prod={
            **AURORA,
            "readers": 0,
            "deletion_protection": False,
            "alarm_emails": [],
            "backups": {"dr_region": "eu-central-1"},
        },
        dev={
            **AURORA,
            "engine": "aurora-mysql",
            "deployment": "aurora-serverless-v2",
            "max_capacity": 0.7,
            "backtrack_window_hours": 80,
            "storage_type": "gp3",
        },
        staging={**AURORA, "backtrack_window_hours": 1, "readers": 16, "allocated_storage_gib": 5},
    )
    for expected in (
        "[prod] readers=0: production needs a failover target",
        "[prod] deletion_protection=false: production requires true",
        "[prod] alarm_emails=[]: production needs at least one address",
        "[dev] max_capacity=0.7",
        "[dev] backtrack_window_hours=80: must be 0-72 [aurora.backtrack-window]",
        "[dev] storage_type='gp3'",
        "[staging] allocated_storage_gib=5: unknown key",
    ):
        assert expected in message, expected


def test_a_valid_staging_table_is_checked_by_its_own_rules() -> None:
    message = problems_of(staging={**AURORA, "backtrack_window_hours": 1, "readers": 16})
    assert "[staging] backtrack_window_hours=1 with engine='aurora-postgresql'" in message
    assert "[staging] readers=16: must be 0-15 [aurora.max-readers]" in message


def test_deletion_protection_off_outside_production_is_one_message_naming_the_packs() -> None:
    message = problems_of(dev={**AURORA, "deletion_protection": False})
    assert "deletion_protection=false: the compliance packs fail it (AwsSolutions-RDS10" in message


def test_a_pipeline_does_not_roll_out_aurora_environments() -> None:
    pipeline = load_config(ROOT / "tests" / "checkov" / "pipeline.toml").pipeline
    assert pipeline is not None
    rds = load_config().environments["dev"].model_dump(exclude={"name", "databases"})
    with pytest.raises(ConfigurationError, match=r"the \[pipeline\] rolls out RDS environments"):
        parse_config(
            {
                "environments": {"dev": rds, "analytics": AURORA},
                "pipeline": pipeline.model_dump(exclude_none=True),
            }
        )


def test_a_global_database_needs_another_region_and_no_backtrack() -> None:
    message = problems_of(
        orders={
            **AURORA,
            "engine": "aurora-mysql",
            "backtrack_window_hours": 24,
            "global_database": {"secondary_region": "eu-west-1", "instances": 0},
        }
    )
    assert "global_database.secondary_region='eu-west-1': the environment's own region" in message
    assert "[aurora.global-secondary-region]" in message
    assert "backtrack_window_hours=24 in a global database: allowed: 0" in message
    assert "global_database.instances=0: allowed: 1-16" in message
