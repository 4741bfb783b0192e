"""environments.toml validation: every problem at once, naming environment, key, value and what
is allowed; production rules; the committed file is valid."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest
from synth_helpers import VALID_ENVIRONMENT

from rds_ha.errors import ConfigurationError
from stacks.config import DEFAULT_CONFIG_PATH, load_config, parse_config

VALID: dict[str, Any] = VALID_ENVIRONMENT


def _config(**environments: dict[str, Any]) -> dict[str, Any]:
    return {"environments": environments}


def _with(**changes: Any) -> dict[str, Any]:
    table = copy.deepcopy(VALID)
    table.update(changes)
    return table


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigurationError) as error:
        parse_config(data)
    return error.value.problems


def test_committed_environments_file_is_valid() -> None:
    config = load_config(DEFAULT_CONFIG_PATH)
    assert set(config.environments) == {"dev", "staging", "prod"}
    assert config.environments["prod"].is_production


def test_every_environment_in_the_committed_file_has_the_required_flat_keys() -> None:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text())
    for table in data["environments"].values():
        assert set(VALID) <= set(table)


def test_a_valid_environment_becomes_a_frozen_model() -> None:
    config = parse_config(_config(staging=VALID))
    staging = config.environments["staging"]
    assert staging.stack_name == "rds-ha-staging"
    assert staging.identifier == "rds-ha-staging"
    assert staging.effective_removal_policy == "snapshot"
    with pytest.raises(ValueError, match="frozen"):
        staging.instance_class = "db.r7g.large"  # type: ignore[misc]


def test_unknown_keys_are_rejected_by_name() -> None:
    problems = _problems(_config(dev=_with(instance_size="large")))
    assert problems == ["[dev] instance_size='large': unknown key"]


def test_a_name_key_cannot_rename_the_environment() -> None:
    assert _problems(_config(dev=_with(name="prod"))) == ["[dev] name='prod': unknown key"]


def test_missing_keys_are_named() -> None:
    table = _with()
    del table["backup_window"]
    assert _problems(_config(dev=table)) == ["[dev] backup_window: required key is missing"]


def test_every_problem_in_every_environment_is_listed_at_once() -> None:
    problems = _problems(
        _config(
            dev=_with(engine="oracle", account="42"),
            staging=_with(backup_retention_days=40, backup_window="02:00-02:10"),
        )
    )
    joined = "\n".join(problems)
    assert "[dev] engine='oracle': Input should be 'postgres', 'mysql' or 'mariadb'" in joined
    assert "[dev] account='42'" in joined
    assert "[staging] backup_retention_days=40: must be 1-35" in joined
    assert "[staging] backup_window: '02:00-02:10' lasts 10 minutes" in joined
    assert len(problems) == 4


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"deployment": "single-az"},
            "[prod] deployment='single-az': production needs a standby",
        ),
        ({"backup_retention_days": 0}, "[prod] backup_retention_days=0: must be 1-35"),
        ({"deletion_protection": False}, "[prod] deletion_protection=false: production requires"),
        ({"removal_policy": "snapshot"}, "[prod] removal_policy='snapshot': production requires"),
        ({"alarm_emails": []}, "[prod] alarm_emails=[]: production needs at least one address"),
    ],
)
def test_production_refuses_unsafe_settings(changes: dict[str, Any], expected: str) -> None:
    problems = _problems(_config(prod=_with(**changes)))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_production_rules_apply_to_any_environment_marked_production() -> None:
    problems = _problems(_config(live=_with(production=True, deployment="single-az")))
    assert any(p.startswith("[live] deployment='single-az'") for p in problems)


def test_single_az_is_allowed_outside_production_as_a_compliance_exception() -> None:
    table = _with(
        deployment="single-az",
        deletion_protection=False,
        compliance_exceptions={
            "deployment": "a development database that needs no standby",
            "deletion_protection": "recreated by every test run",
        },
    )
    config = parse_config(_config(dev=table))
    assert config.environments["dev"].deployment.value == "single-az"


def test_production_retains_the_database_by_default() -> None:
    config = parse_config(_config(prod=_with()))
    assert config.environments["prod"].effective_removal_policy == "retain"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"engine_version": "16.3"}, "engine_version='16.3': '16.3' is not a PostgreSQL version"),
        ({"instance_class": "db.m7g.huge"}, "instance_class='db.m7g.huge': 'db.m7g.huge' is not"),
        (
            {"maintenance_window": "sun:02:15-sun:02:45"},
            "backup_window='02:00-02:30' overlaps maintenance_window='sun:02:15-sun:02:45'",
        ),
        ({"log_retention_days": 42}, "log_retention_days=42: must be one of 1, 3, 5"),
        ({"parameters": {"rds.force_ssl": 0}}, "parameters.rds.force_ssl='0': rds-ha enforces TLS"),
        ({"alarm_emails": ["not-an-email"]}, "alarm_emails.0='not-an-email'"),
        ({"vpc_id": "vpc-xyz"}, "vpc_id='vpc-xyz'"),
    ],
)
def test_invalid_values_are_reported_with_what_is_allowed(
    changes: dict[str, Any], expected: str
) -> None:
    problems = _problems(_config(staging=_with(**changes)))
    assert any(expected in problem for problem in problems), problems


def test_select_returns_one_environment_or_lists_the_valid_names() -> None:
    config = parse_config(_config(dev=VALID, prod=VALID))
    assert [e.name for e in config.select("prod")] == ["prod"]
    assert [e.name for e in config.select(None)] == ["dev", "prod"]
    with pytest.raises(ConfigurationError, match="env='qa': no such environment; valid: dev, prod"):
        config.select("qa")


def test_a_missing_or_malformed_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="file not found"):
        load_config(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[environments.dev\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_config(broken)


def test_an_invalid_deployment_does_not_hide_the_other_problems_of_its_environment() -> None:
    problems = _problems(
        _config(
            dev=_with(deployment="multi-az", backup_retention_days=0, instance_class="db.m7g.larg"),
            staging=_with(port="5432x", backup_window="02:00-02:10"),
        )
    )

    assert problems[0].startswith("[dev] deployment='multi-az': Input should be")
    assert any(p.startswith("[dev] backup_retention_days=0: must be 1-35") for p in problems)
    assert any(p.startswith("[dev] instance_class='db.m7g.larg'") for p in problems)
    assert any(p.startswith("[staging] port='5432x'") for p in problems)
    assert any(p.startswith("[staging] backup_window: '02:00-02:10'") for p in problems)
    assert len(problems) == 5
    assert len(set(problems)) == len(problems)


def test_a_mistyped_instance_class_is_reported_once() -> None:
    # The alarms also need a catalog class; the class is still one problem, not two.
    problems = _problems(_config(dev=_with(instance_class="db.m7g.larg")))

    assert len(problems) == 1
    assert problems[0].startswith("[dev] instance_class='db.m7g.larg': ")
    assert "nearest: db.m7g.large" in problems[0]


def test_a_major_only_engine_version_and_the_version_switches_reach_the_construct() -> None:
    config = parse_config(
        _config(
            dev=_with(
                engine_version="17",
                allow_major_version_upgrade=True,
                parameter_groups_by_major=True,
            )
        )
    )
    props = config.environments["dev"].database_props()

    assert (props["engine_version"], props["auto_minor_version_upgrade"]) == ("17", True)
    assert props["allow_major_version_upgrade"] is True
    assert props["parameter_groups_by_major"] is True


def test_a_major_only_engine_version_without_auto_minor_upgrades_is_refused() -> None:
    problems = _problems(_config(dev=_with(engine_version="17", auto_minor_version_upgrade=False)))

    assert len(problems) == 1
    assert problems[0].startswith(
        "[dev] engine_version='17': with auto_minor_version_upgrade=false the template must "
        "name the full version"
    )


def test_the_keys_units_become_the_constructs_duration_and_size_props() -> None:
    table = _with(
        allocated_storage_gib=200,
        max_allocated_storage_gib=1000,
        backup_retention_days=14,
        monitoring_interval_seconds=30,
        backups={
            "dr_region": "eu-central-1",
            "continuous_retention_days": 14,
            "daily_retention_days": 20,
            "monthly_retention_days": 200,
            "dr_retention_days": 10,
            "export_archive_after_days": 40,
            "export_expire_after_days": 400,
        },
    )
    environment = parse_config(_config(dev=table)).environments["dev"]
    database, backups = environment.database_props(), environment.backups_props()
    export = environment.export_props()

    assert database["allocated_storage"].to_gibibytes() == 200
    assert database["max_allocated_storage"].to_gibibytes() == 1000
    assert database["backup_retention"].to_days() == 14
    assert database["monitoring_interval"].to_seconds() == 30
    assert [
        backups[name].to_days()
        for name in (
            "continuous_retention",
            "daily_retention",
            "monthly_retention",
            "disaster_recovery_retention",
        )
    ] == [14, 20, 200, 10]
    # Left out of the file: the construct's default (the monthly retention).
    assert backups["disaster_recovery_monthly_retention"] is None
    assert (export["export_archive_after"].to_days(), export["export_expire_after"].to_days()) == (
        40,
        400,
    )
    # Every time or size prop is a Duration or a Size, none a bare number.
    assert not [
        name
        for name in (*database, *backups, *export)
        if name.endswith(("_days", "_seconds", "_gib"))
    ]
