"""Engine versions at synth level: what a major upgrade through the construct's props gives
CloudFormation, and how the guard classifies it against the template before."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import HighlyAvailableDatabase
from rds_ha.catalog.engines import Deployment, Engine, newest_of_major
from rds_ha.guard import Category, compare_templates

DB_INSTANCE = "AWS::RDS::DBInstance"
PARAMETER_GROUP = "AWS::RDS::DBParameterGroup"
POSTGRES_16 = newest_of_major(Engine.POSTGRES, Deployment.MULTI_AZ_INSTANCE, "16")


def _template(**props: Any) -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "Shop", env=TEST_ENV)
    HighlyAvailableDatabase(stack, "Orders", vpc=isolated_vpc(stack), **props)
    return Template.from_stack(stack).to_json()


def _of_type(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def test_a_major_upgrade_creates_the_new_familys_group_and_is_an_in_place_change() -> None:
    before = _template(engine_version=POSTGRES_16)
    during = _template(engine_version="17", allow_major_version_upgrade=True)

    [(old_group, old)] = _of_type(before, PARAMETER_GROUP).items()
    [(new_group, new)] = _of_type(during, PARAMETER_GROUP).items()
    assert (old["Properties"]["Family"], new["Properties"]["Family"]) == (
        "postgres16",
        "postgres17",
    )
    # A new logical id: CloudFormation creates the new group beside the old one, moves the
    # instance to it, and deletes the old group only in the cleanup after the update.
    assert new_group != old_group
    assert new_group.startswith("OrdersParameterspostgres17")
    [instance] = _of_type(during, DB_INSTANCE).values()
    assert instance["Properties"]["AllowMajorVersionUpgrade"] is True
    assert instance["Properties"]["DBParameterGroupName"] == {"Ref": new_group}

    found = compare_templates("Shop", before, during)

    assert not [f for f in found if f.unsafe]
    changes = {f.property: f.category for f in found if f.logical_id.startswith("Orders2")}
    assert changes == {
        "EngineVersion": Category.IN_PLACE,
        "AllowMajorVersionUpgrade": Category.IN_PLACE,
        "DBParameterGroupName": Category.IN_PLACE,
    }


def test_after_the_upgrade_the_group_keeps_its_id_with_major_upgrades_disallowed_again() -> None:
    during = _template(engine_version="17", allow_major_version_upgrade=True)
    after = _template(engine_version="17", parameter_groups_by_major=True)

    assert _of_type(after, PARAMETER_GROUP).keys() == _of_type(during, PARAMETER_GROUP).keys()
    [instance] = _of_type(after, DB_INSTANCE).values()
    assert instance["Properties"]["AllowMajorVersionUpgrade"] is False
    found = compare_templates("Shop", during, after)
    assert [(f.property, f.category) for f in found if f.logical_id.startswith("Orders2")] == [
        ("AllowMajorVersionUpgrade", Category.IN_PLACE)
    ]


def test_mysql_option_group_is_also_named_by_major_for_an_upgrade() -> None:
    during = _template(engine=Engine.MYSQL, engine_version="8.4", allow_major_version_upgrade=True)

    [option_group] = _of_type(during, "AWS::RDS::OptionGroup")
    assert option_group.startswith("OrdersOptionsmysql84")


def test_a_full_pin_changed_to_the_major_alone_is_in_place() -> None:
    found = compare_templates("Shop", _template(engine_version="17.9"), _template())

    assert [(f.property, f.old, f.new, f.category) for f in found] == [
        ("EngineVersion", "17.9", "17", Category.IN_PLACE)
    ]
