"""The shared constructs serve more databases: DatabaseAlarms on an existing topic,
DatabaseBackups.add_database, SnapshotExport.add_database, each checked at construction."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import (
    ConfigurationError,
    DatabaseAlarms,
    DatabaseBackups,
    HighlyAvailableDatabase,
    SnapshotExport,
)


class Shared:
    def __init__(self) -> None:
        self.app = cdk.App()
        self.stack = cdk.Stack(self.app, "Shared", env=TEST_ENV)
        self.vpc = isolated_vpc(self.stack)
        self.first = HighlyAvailableDatabase(self.stack, "First", vpc=self.vpc)
        self.alarms = DatabaseAlarms(self.stack, "Alarms", database=self.first)
        self.backups = DatabaseBackups(self.stack, "Backups", database=self.first)
        self.export = SnapshotExport(
            self.stack, "Export", database=self.first, vpc=self.vpc, alarm_topic=self.alarms.topic
        )
        self.other = cdk.Stack(self.app, "Second", env=TEST_ENV)
        self.other.add_stack_dependency(self.stack)
        self.second = HighlyAvailableDatabase(
            self.other, "Second", vpc=self.vpc, identifier="second-db"
        )
        self.second_alarms = DatabaseAlarms(
            self.other, "Alarms", database=self.second, topic=self.alarms.topic
        )
        self.backups.add_database(self.second, scope=self.other)
        self.export.add_database(self.second)
        self.shared = Template.from_stack(self.stack)
        self.database = Template.from_stack(self.other)


@pytest.fixture(scope="module")
def shared() -> Shared:
    return Shared()


def test_alarms_on_an_existing_topic_make_no_topic_of_their_own(shared: Shared) -> None:
    shared.database.resource_count_is("AWS::SNS::Topic", 0)
    shared.database.resource_count_is("AWS::KMS::Key", 1)  # the database's, not a topic key
    assert shared.second_alarms.key is None


def test_the_added_database_joins_the_plan_from_its_own_stack(shared: Shared) -> None:
    shared.shared.resource_count_is("AWS::Backup::BackupSelection", 1)
    shared.database.has_resource_properties(
        "AWS::Backup::BackupSelection",
        {"BackupSelection": Match.object_like({"SelectionName": "second-db-database"})},
    )
    shared.database.resource_count_is("AWS::Backup::RestoreTestingSelection", 1)


def test_the_export_names_the_added_database_by_its_identifier(shared: Shared) -> None:
    (rule,) = [
        rule
        for rule in shared.shared.find_resources("AWS::Events::Rule").values()
        if rule["Properties"]["EventPattern"]["source"] == ["aws.backup"]
    ]
    arns = rule["Properties"]["EventPattern"]["detail"]["resourceArn"]
    assert len(arns) == 2
    assert ":db:second-db" in json.dumps(arns[1])
    (function,) = [
        function
        for function in shared.shared.find_resources("AWS::Lambda::Function").values()
        if "DATABASE_ARN" in json.dumps(function["Properties"].get("Environment", {}))
    ]
    assert ",arn:" in json.dumps(function["Properties"]["Environment"]["Variables"])


def test_the_shared_stack_does_not_depend_on_the_database_stack(shared: Shared) -> None:
    assert shared.stack.dependencies == []
    shared.app.synth()  # no dependency cycle


def test_alarm_emails_with_a_topic_given_are_refused() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    database = HighlyAvailableDatabase(stack, "Db", vpc=vpc)
    first = DatabaseAlarms(stack, "First", database=database)
    with pytest.raises(ConfigurationError, match=r"alarm_emails=\['a@example.com'\]: with a topic"):
        DatabaseAlarms(
            stack, "Second", database=database, topic=first.topic, alarm_emails=["a@example.com"]
        )


def test_a_database_whose_retention_differs_from_the_plan_is_refused() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    backups = DatabaseBackups(
        stack, "Backups", database=HighlyAvailableDatabase(stack, "Db", vpc=vpc)
    )
    other = HighlyAvailableDatabase(
        stack, "Other", vpc=vpc, backup_retention=cdk.Duration.days(14), backup_window="05:00-05:30"
    )
    with pytest.raises(ConfigurationError) as error:
        backups.add_database(other, scope=stack, construct_id="OtherBackup")
    joined = "\n".join(error.value.problems)
    assert (
        "continuous_retention=Duration.days(7): must equal the database's "
        "backup_retention_days (14)" in joined
    )
    assert "backup_start_hour_utc=5: AWS Backup's one-hour start window must not overlap" in joined
