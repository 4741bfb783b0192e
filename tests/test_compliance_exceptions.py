"""A setting the compliance packs fail is one configuration message naming the setting, its rules
and the choices; an exception with a reason acknowledges exactly those rules on that database."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from synth_helpers import VALID_ENVIRONMENT, ComplianceSynth, compliance_app

from rds_ha import ConfigurationError
from stacks.config import parse_config
from stacks.database_stack import DatabaseStack

DELETION_RULES = (
    "AwsSolutions-RDS10",
    "HIPAA.Security-RDSInstanceDeletionProtectionEnabled",
    "NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled",
)
MULTI_AZ_RULES = (
    "AwsSolutions-RDS3",
    "HIPAA.Security-RDSMultiAZSupport",
    "NIST.800.53.R5-RDSMultiAZSupport",
)


def _table(**changes: Any) -> dict[str, Any]:
    return copy.deepcopy(VALID_ENVIRONMENT) | changes


def _problems(**changes: Any) -> list[str]:
    with pytest.raises(ConfigurationError) as error:
        parse_config({"environments": {"dev": _table(**changes)}})
    return [line.strip()[2:] for line in str(error.value).splitlines()[1:]]


def test_no_deletion_protection_is_one_message_naming_the_setting_rules_and_choices() -> None:
    (problem,) = _problems(deletion_protection=False)

    assert problem.startswith("[dev] deletion_protection=false: fails the compliance packs")
    for rule in DELETION_RULES:
        assert rule in problem
    assert "choose deletion_protection = true" in problem
    assert 'compliance_exceptions.deletion_protection = "<why>"' in problem


def test_single_az_is_one_message_naming_the_multi_az_rules() -> None:
    (problem,) = _problems(deployment="single-az")

    assert problem.startswith("[dev] deployment='single-az': fails the compliance packs")
    assert all(rule in problem for rule in MULTI_AZ_RULES)
    assert "'multi-az-instance' or 'multi-az-cluster'" in problem


def test_an_exception_that_excepts_nothing_or_gives_no_reason_is_refused() -> None:
    stale = _problems(compliance_exceptions={"deletion_protection": "kept from last year"})
    short = _problems(deployment="single-az", compliance_exceptions={"deployment": "dev"})

    assert stale == [
        "[dev] compliance_exceptions.deletion_protection: deletion_protection passes the "
        "compliance packs, so there is nothing to acknowledge; remove the entry"
    ]
    assert short == [
        "[dev] compliance_exceptions.deployment='dev': the reason cdk-nag records must say "
        "why, in at least 10 characters"
    ]


def test_an_unknown_exception_lists_the_settings_that_can_be_excepted() -> None:
    (problem,) = _problems(compliance_exceptions={"storage_encrypted": "not needed here"})

    assert "compliance_exceptions.storage_encrypted" in problem
    assert "'deletion_protection' or 'deployment'" in problem


def test_production_takes_no_exception() -> None:
    problems = _problems(
        production=True,
        deletion_protection=False,
        compliance_exceptions={"deletion_protection": "retiring the database"},
    )

    assert problems == [
        "[dev] deletion_protection=false: production requires true",
        "[dev] compliance_exceptions=['deletion_protection']: production passes every "
        "compliance pack; allowed: none",
    ]


def test_a_fleet_database_inherits_and_adds_exceptions_by_setting() -> None:
    table = _table(
        deployment="single-az",
        compliance_exceptions={"deployment": "a development environment, no standby"},
        databases={
            "orders": {
                "deletion_protection": False,
                "compliance_exceptions": {"deletion_protection": "retiring this database"},
            },
            "events": {"deletion_protection": False},
        },
    )
    with pytest.raises(ConfigurationError) as error:
        parse_config({"environments": {"dev": table}})

    (problem,) = str(error.value).splitlines()[1:]
    assert problem.strip().startswith("- [dev.databases.events] deletion_protection=false")
    del table["databases"]["events"]
    (orders,) = parse_config({"environments": {"dev": table}}).environments["dev"].fleet
    assert set(orders.settings.compliance_exceptions) == {"deployment", "deletion_protection"}


@pytest.fixture(scope="module")
def excepted() -> tuple[ComplianceSynth, ComplianceSynth]:
    """One database that fails both rules, synthesized with its exceptions and without them
    (the second built past the configuration check, to show what the exceptions stand for)."""
    table = _table(
        deployment="single-az",
        deletion_protection=False,
        compliance_exceptions={
            "deployment": "a development database that needs no standby",
            "deletion_protection": "recreated by every test run",
        },
    )
    config = parse_config({"environments": {"dev": table}}).environments["dev"]
    with_exceptions = compliance_app()
    DatabaseStack(with_exceptions, config=config)
    without = compliance_app()
    DatabaseStack(without, config=config.model_copy(update={"compliance_exceptions": {}}))
    return ComplianceSynth(with_exceptions), ComplianceSynth(without)


def test_without_exceptions_the_packs_find_exactly_the_two_settings_rules(excepted) -> None:
    _, without = excepted

    assert sorted(without.violations) == sorted(
        f"{rule} (error) at rds-ha-dev/Database/Resource/Resource"
        for rule in (*DELETION_RULES, *MULTI_AZ_RULES)
    )


def test_the_exceptions_acknowledge_those_rules_on_the_database_with_the_reason(
    excepted,
) -> None:
    with_exceptions, _ = excepted

    assert with_exceptions.violations == []
    acknowledged = {line.split(" at ")[0]: line for line in with_exceptions.acknowledged}
    for rule in (*DELETION_RULES, *MULTI_AZ_RULES):
        assert "at rds-ha-dev/Database:" in acknowledged[rule]
    assert acknowledged["AwsSolutions-RDS10"].endswith(
        "compliance_exceptions.deletion_protection: recreated by every test run"
    )
