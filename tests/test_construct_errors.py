"""Mistakes a CDK user makes with HighlyAvailableDatabase: each is one line of one
ConfigurationError, raised by the constructor (nothing is synthesized here, so these are quick)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

from rds_ha import ConfigurationError, Deployment, Engine, HighlyAvailableDatabase
from rds_ha.catalog.engines import PROFILES, _version_key, available_versions

ENV = cdk.Environment(account="123456789012", region="eu-west-1")


@pytest.fixture(scope="module")
def vpc() -> ec2.Vpc:
    stack = cdk.Stack(cdk.App(), "Network", env=ENV)
    isolated = ec2.SubnetConfiguration(name="Db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    return ec2.Vpc(stack, "Vpc", max_azs=2, subnet_configuration=[isolated])


def _problems(vpc: ec2.Vpc, **props) -> list[str]:
    stack = cdk.Stack(vpc.node.root, f"Shop{len(vpc.node.root.node.children)}", env=ENV)
    with pytest.raises(ConfigurationError) as error:
        HighlyAvailableDatabase(stack, "Orders", vpc=vpc, **props)
    return error.value.problems


def _build(vpc: ec2.Vpc, **props) -> HighlyAvailableDatabase:
    stack = cdk.Stack(vpc.node.root, f"Shop{len(vpc.node.root.node.children)}", env=ENV)
    return HighlyAvailableDatabase(stack, "Orders", vpc=vpc, **props)


def test_the_message_starts_with_a_one_line_summary_then_one_line_per_problem(vpc) -> None:
    stack = cdk.Stack(vpc.node.root, "Summary", env=ENV)
    with pytest.raises(ConfigurationError) as error:
        HighlyAvailableDatabase(
            stack, "Orders", vpc=vpc, backup_retention=cdk.Duration.days(0), port=1
        )

    lines = str(error.value).splitlines()
    assert lines[0] == "Summary/Orders: 2 problem(s):"
    assert [line[:4] for line in lines[1:]] == ["  - ", "  - "]
    assert isinstance(error.value, ValueError)  # existing `except ValueError` still catches it


# Each case names a value other than the default (postgres, a Multi-AZ instance) and checks the
# attribute it sets, so a parser that ignored the string would fail it.
@pytest.mark.parametrize(
    ("prop", "given", "expected"),
    [
        ("engine", "MariaDB", Engine.MARIADB),
        ("engine", " MYSQL ", Engine.MYSQL),
        ("deployment", "Single-AZ", Deployment.SINGLE_AZ),
        ("deployment", "MULTI_AZ_CLUSTER", Deployment.MULTI_AZ_CLUSTER),
    ],
)
def test_engine_and_deployment_strings_are_read_case_insensitively(
    vpc, prop, given, expected
) -> None:
    default = _build(vpc, engine_version=None)
    assert getattr(default, prop) != expected

    database = _build(vpc, **{prop: given}, engine_version=None)

    assert getattr(database, prop) == expected


def test_an_unknown_engine_and_deployment_are_listed_with_the_allowed_values(vpc) -> None:
    problems = _problems(
        vpc, engine="oracle", deployment="multi-az", backup_retention=cdk.Duration.days(0)
    )

    assert problems[:2] == [
        "engine='oracle': must be one of 'postgres', 'mysql', 'mariadb'",
        "deployment='multi-az': must be one of 'multi-az-instance', 'multi-az-cluster', "
        "'single-az'",
    ]
    # The other problems are not hidden behind them.
    assert any(p.startswith("backup_retention=Duration.days(0): must be 1-35") for p in problems)


def test_a_number_given_as_a_string_is_a_problem_not_a_type_error(vpc) -> None:
    problems = _problems(vpc, backup_retention="14", port="15432")

    assert problems == [
        "backup_retention='14': must be a Duration, e.g. Duration.days(7), not str",
        "port='15432': must be a whole number (int), not str",
    ]


@pytest.mark.parametrize(
    ("engine", "major"), [(Engine.POSTGRES, "17"), (Engine.MYSQL, "8.4"), (Engine.MARIADB, "11.8")]
)
def test_a_major_version_alone_is_accepted_for_a_db_instance(vpc, engine, major) -> None:
    database = _build(vpc, engine=engine, engine_version=major)

    assert database.engine_version == major


def test_an_unknown_major_version_names_the_newest_majors(vpc) -> None:
    (problem,) = _problems(vpc, engine_version="99")

    assert problem.startswith(
        "engine_version='99': '99' is not a PostgreSQL major version that RDS offers"
    )
    majors = sorted(
        {
            v.split(".")[0]
            for v in available_versions(Engine.POSTGRES, Deployment.MULTI_AZ_INSTANCE)
        },
        key=int,
    )
    assert len(majors) >= 3
    assert problem.endswith(f"newest: {', '.join(majors[-3:])}")


def test_a_major_version_alone_needs_auto_minor_version_upgrades(vpc) -> None:
    (problem,) = _problems(vpc, engine_version="17", auto_minor_version_upgrade=False)

    assert problem.startswith(
        "engine_version='17': with auto_minor_version_upgrade=false the template must name "
        "the full version"
    )


def test_a_multi_az_cluster_needs_the_full_version(vpc) -> None:
    (problem,) = _problems(vpc, engine_version="17", deployment=Deployment.MULTI_AZ_CLUSTER)

    assert problem.startswith("engine_version='17': a Multi-AZ DB cluster needs the full version")


def test_a_partial_minor_version_suggests_versions_of_that_line(vpc) -> None:
    (problem,) = _problems(vpc, engine_version="17.0")

    offered = sorted(
        available_versions(Engine.POSTGRES, Deployment.MULTI_AZ_INSTANCE), key=_version_key
    )
    newest_17 = [v for v in offered if v.startswith("17.")][-3:]
    assert problem.startswith("engine_version='17.0': '17.0' is not a PostgreSQL version")
    assert problem.endswith(f"offered: {', '.join(newest_17)}")


def test_version_switches_must_be_booleans_and_major_upgrades_are_for_instances(vpc) -> None:
    problems = _problems(
        vpc,
        engine_version="17.9",
        deployment=Deployment.MULTI_AZ_CLUSTER,
        auto_minor_version_upgrade="yes",
        allow_major_version_upgrade=True,
    )

    assert problems == [
        "auto_minor_version_upgrade='yes': must be true or false (bool), not str",
        "allow_major_version_upgrade=true: rds-ha upgrades the major version through the config "
        "for DB instances only; upgrade a Multi-AZ DB cluster with `aws rds modify-db-cluster "
        "--engine-version ... --allow-major-version-upgrade`",
    ]


def test_a_mistyped_instance_class_suggests_the_nearest_classes_first(vpc) -> None:
    (problem,) = _problems(vpc, instance_class="db.r7g.larg")

    assert "nearest: db.r7g.large, db.r7g.xlarge" in problem


def test_an_instance_class_the_engine_version_does_not_offer_is_refused(vpc) -> None:
    # db.m1.small is in eu-west-1's list for PostgreSQL (old versions), not for 17.9 (cfn-lint's
    # db_instance_class.json, the data behind its E3062 warning).
    (problem,) = _problems(vpc, engine_version="17.9", instance_class="db.m1.small")

    assert problem.startswith(
        "instance_class='db.m1.small': 'db.m1.small' is not offered for PostgreSQL 17.9; nearest:"
    )


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"max_connections": "abc"}, "parameters.max_connections='abc': must be a whole number"),
        ({"log_connections": "maybe"}, "parameters.log_connections='maybe': must be 0, 1, on"),
    ],
)
def test_numeric_and_switch_parameters_are_checked(vpc, parameters, expected) -> None:
    (problem,) = _problems(vpc, parameters=parameters)

    assert problem.startswith(expected)


def test_rds_formulas_and_numbers_are_accepted_as_parameter_values(vpc) -> None:
    database = _build(
        vpc, parameters={"max_connections": "{DBInstanceClassMemory/9531392}", "work_mem": 8192}
    )

    assert database.parameters["work_mem"] == "8192"


def test_the_default_version_is_documented_as_the_tested_one_not_the_newest() -> None:
    doc = HighlyAvailableDatabase.__doc__ or ""

    assert "newest version known" not in doc
    assert PROFILES[Engine.POSTGRES].default_version in doc
