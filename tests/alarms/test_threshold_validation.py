"""Threshold overrides: every bad value fails before any construct is built, naming the
environment, the threshold and the key, all problems at once."""

from __future__ import annotations

import dataclasses
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

import rds_ha
from rds_ha import HighlyAvailableDatabase
from rds_ha.errors import ConfigurationError
from rds_ha.monitoring.alarm_thresholds import AlarmThresholds, Level, MetricThresholds
from rds_ha.monitoring.database_alarms import DatabaseAlarms
from stacks.config import parse_config

from .helpers import environment


def prod_environment(**changes: Any) -> dict[str, Any]:
    """A production table: production also needs a disaster-recovery region for its backups."""
    return environment(backups={"dr_region": "eu-central-1"}, **changes)


def problems_of(**changes) -> list[str]:
    with pytest.raises(ConfigurationError) as raised:
        parse_config({"environments": {"prod": prod_environment(**changes)}})
    return raised.value.problems


def test_default_thresholds_are_valid_for_every_engine():
    for engine in ("postgres", "mysql", "mariadb"):
        parse_config({"environments": {"prod": prod_environment(engine=engine)}})


def test_overrides_replace_only_the_keys_given():
    config = parse_config(
        {"environments": {"prod": prod_environment(alarms={"max_cpu_percent": {"critical": 95}})}}
    )
    cpu = config.environments["prod"].alarm_thresholds.max_cpu_percent
    assert cpu == MetricThresholds(Level(80, 15, 15), Level(95, 5, 5))


def test_percentages_must_be_between_0_and_100():
    problems = problems_of(alarms={"max_cpu_percent": {"warning": 0, "critical": 100}})
    assert "[prod] alarms.max_cpu_percent.warning=0: a percentage must be in (0, 100)" in problems
    assert "[prod] alarms.max_cpu_percent.critical=100: a percentage must be in (0, 100)" in (
        problems
    )


def test_warning_must_come_before_critical_for_a_maximum():
    (problem,) = problems_of(alarms={"max_read_latency_seconds": {"warning": 0.1}})
    assert problem == (
        "[prod] alarms.max_read_latency_seconds.warning=0.1: must be below critical (0.05); "
        "the metric alarms when it rises above the threshold"
    )


def test_warning_must_come_before_critical_for_a_minimum():
    (problem,) = problems_of(alarms={"min_freeable_memory_percent": {"critical": 30}})
    assert problem.startswith(
        "[prod] alarms.min_freeable_memory_percent.warning=25: must be above critical (30); "
        "the metric alarms when it falls below the threshold"
    )


def test_evaluation_periods_must_cover_datapoints_to_alarm():
    (problem,) = problems_of(alarms={"max_disk_queue_depth": {"critical_evaluation_periods": 3}})
    assert problem == (
        "[prod] alarms.max_disk_queue_depth.critical_evaluation_periods=3: must be at least "
        "datapoints_to_alarm (5)"
    )


def test_periods_must_be_ones_cloudwatch_accepts():
    (problem,) = problems_of(alarms={"max_cpu_percent": {"warning_period_seconds": 90}})
    assert problem == (
        "[prod] alarms.max_cpu_percent.warning_period_seconds=90: must be 10, 30 or a multiple "
        "of 60"
    )


def test_every_problem_in_every_environment_is_reported_at_once():
    with pytest.raises(ConfigurationError) as raised:
        parse_config(
            {
                "environments": {
                    "staging": environment(alarms={"max_cpu_percent": {"warning": 120}}),
                    "prod": prod_environment(
                        alarms={
                            "min_free_storage_percent": {"warning": 1},
                            "max_cpu_pct": {"warning": 1},
                        }
                    ),
                }
            }
        )
    problems = raised.value.problems
    assert any(p.startswith("[staging] alarms.max_cpu_percent.warning=120") for p in problems)
    assert any(
        p.startswith("[prod] alarms.max_cpu_pct: unknown threshold; allowed: max_cpu_percent")
        for p in problems
    )
    assert len(problems) == 3


def test_a_non_numeric_threshold_names_the_key_and_value():
    (problem,) = problems_of(alarms={"max_cpu_percent": {"warning": "high"}})
    assert problem.startswith("[prod] alarms.max_cpu_percent.warning='high': ")


def test_an_unknown_override_key_is_rejected():
    (problem,) = problems_of(alarms={"max_cpu_percent": {"warn": 70}})
    assert problem == "[prod] alarms.max_cpu_percent.warn=70: unknown key"


def test_a_storage_threshold_is_a_share_of_the_allocated_storage_not_of_the_maximum():
    # 25 % of the 200 GiB allocated is 50 GiB: a legal (early) warning. As a share of the
    # 1000 GiB autoscaling maximum it would have been 250 GiB and rejected.
    config = parse_config(
        {
            "environments": {
                "prod": prod_environment(
                    alarms={"min_free_storage_percent": {"warning": 25, "critical": 5}}
                )
            }
        }
    )
    assert config.environments["prod"].alarm_thresholds.min_free_storage_percent.warning == Level(
        25, 5, 5
    )


def test_default_free_storage_alarms_fire_only_below_the_autoscaling_trigger():
    # RDS storage autoscaling acts when free space is at or under 10 % of the allocation; an
    # alarm at or above that would page during healthy growth.
    storage = AlarmThresholds().min_free_storage_percent
    assert storage.warning.threshold < 10
    assert storage.critical.threshold < storage.warning.threshold


def test_an_unknown_instance_class_is_named_with_the_thresholds_that_need_it():
    (problem,) = problems_of(
        deployment="multi-az-cluster",
        instance_class="db.x2iedn.xlarge",
        allocated_storage_gib=400,
        max_allocated_storage_gib=2000,
    )
    assert problem == (
        "[prod] instance_class='db.x2iedn.xlarge': not in the rds-ha instance-class catalog, so "
        "min_freeable_memory_percent, max_connections_percent, max_db_load_per_vcpu cannot be "
        "derived; use a catalog class or give alarms.min_freeable_memory_bytes, "
        "alarms.max_connections_count, alarms.max_db_load_sessions explicitly"
    )


def test_an_unknown_class_needs_no_connection_count_when_the_parameter_group_sets_one():
    (problem,) = problems_of(
        deployment="multi-az-cluster",
        instance_class="db.x2iedn.xlarge",
        allocated_storage_gib=400,
        max_allocated_storage_gib=2000,
        parameters={"max_connections": 400},
    )
    assert "so min_freeable_memory_percent, max_db_load_per_vcpu cannot be derived" in problem
    assert "max_connections" not in problem


def test_an_absolute_threshold_needs_both_severities():
    (problem,) = problems_of(alarms={"max_connections_count": {"warning": 100}})
    assert problem == (
        "[prod] alarms.max_connections_count: critical missing; give both warning and critical"
    )


@pytest.fixture(scope="module")
def database() -> HighlyAvailableDatabase:
    app = cdk.App()
    stack = cdk.Stack(
        app, "Library", env=cdk.Environment(account="111111111111", region="eu-west-1")
    )
    vpc = ec2.Vpc(stack, "Vpc", subnet_configuration=[
        ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    ])  # fmt: skip
    return HighlyAvailableDatabase(stack, "Orders", vpc=vpc, instance_class="db.m7g.large")


def test_the_construct_rejects_bad_thresholds_with_its_path(database):
    thresholds = dataclasses.replace(
        AlarmThresholds(),
        max_cpu_percent=MetricThresholds(Level(95, 3, 5), Level(90, 5, 5)),
    )
    with pytest.raises(ConfigurationError, match=r"Library/Alarms: 2 problem") as raised:
        DatabaseAlarms(database.node.scope, "Alarms", database=database, thresholds=thresholds)
    assert raised.value.problems == [
        "alarms.max_cpu_percent.warning_evaluation_periods=3: must be at least "
        "datapoints_to_alarm (5)",
        "alarms.max_cpu_percent.warning=95: must be below critical (90); the metric alarms "
        "when it rises above the threshold",
    ]


@pytest.mark.parametrize(
    "url", ["http://runbooks.example.com/alarms", "https://runbooks.example.com/alarms#cpu"]
)
def test_the_construct_rejects_a_runbook_url_it_cannot_append_anchors_to(database, url):
    # The database fixture is shared by the module: each case gets a construct id of its own.
    construct_id = f"RunbookAlarms{len(url)}"
    with pytest.raises(ConfigurationError, match=f"Library/{construct_id}") as raised:
        DatabaseAlarms(database.node.scope, construct_id, database=database, runbook_url=url)
    assert any(f"runbook_url={url!r}" in problem for problem in raised.value.problems)


def test_the_runbook_url_of_an_environment_reaches_every_alarm_description():
    url = "https://wiki.example.com/team/rds-alarms"
    (config,) = parse_config(
        {"environments": {"prod": prod_environment(alarm_runbook_url=url)}}
    ).environments.values()
    assert config.alarms_props()["runbook_url"] == url
    assert (
        parse_config({"environments": {"prod": prod_environment()}})
        .environments["prod"]
        .alarms_props()["runbook_url"]
        == rds_ha.DEFAULT_RUNBOOK_URL
    )


def test_an_environment_runbook_url_must_be_https():
    problems = problems_of(alarm_runbook_url="ftp://example.com/alarms")
    assert any("alarm_runbook_url" in problem for problem in problems), problems
