"""Alarms, composite alarms, notifications and dashboards as synthesized, for each engine, several
instance classes and both Multi-AZ deployments. Expected numbers are worked out by hand from the
class's memory and vCPUs (GiB = 1024**3 bytes) and RDS's max_connections formulas."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from synth_helpers import cfn_lint

from .helpers import (
    SynthesizedApp,
    alarm_named,
    alarm_names,
    environment,
    logical_id_of,
)

GIB = 1024**3
ENVIRONMENTS = {
    # 32 GiB, 4 vCPUs; storage autoscaling to 1000 GiB; CPU warning overridden.
    "pg": environment(
        alarms={
            "max_cpu_percent": {
                "warning": 70,
                "warning_evaluation_periods": 10,
                "warning_datapoints_to_alarm": 8,
            }
        }
    ),
    # 8 GiB, 2 vCPUs.
    "mysql": environment(
        engine="mysql",
        instance_class="db.m7g.large",
        allocated_storage_gib=100,
        max_allocated_storage_gib=500,
    ),
    # 4 GiB, 2 vCPUs, burstable.
    "maria": environment(engine="mariadb", instance_class="db.t4g.medium", alarm_emails=[]),
    # 1536 GiB, 192 vCPUs: PostgreSQL's default max_connections is capped at 5000.
    "pgbig": environment(instance_class="db.r8g.48xlarge"),
    # max_connections set in the parameter group.
    "mysqlpg": environment(
        engine="mysql", instance_class="db.m7g.large", parameters={"max_connections": 500}
    ),
    # Multi-AZ DB cluster: 32 GiB, 4 vCPUs, 400 GiB allocated and no storage autoscaling.
    "cluster": environment(
        deployment="multi-az-cluster",
        instance_class="db.r6gd.xlarge",
        allocated_storage_gib=400,
        max_allocated_storage_gib=2000,
    ),
    # A class the catalog does not know, with every threshold that needs it given.
    "c6gd": environment(
        deployment="multi-az-cluster",
        instance_class="db.c6gd.large",
        allocated_storage_gib=400,
        max_allocated_storage_gib=2000,
        alarms={
            "min_freeable_memory_bytes": {"warning": 1 * GIB, "critical": GIB // 2},
            "max_connections_count": {"warning": 300, "critical": 400},
            "max_db_load_sessions": {"warning": 3, "critical": 6},
        },
    ),
}


CLUSTERS = ("cluster", "c6gd")


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    return SynthesizedApp(ENVIRONMENTS, tmp_path_factory.mktemp("alarms"))


def template_of(synthesized: SynthesizedApp, name: str) -> dict[str, Any]:
    return synthesized.template_json(name)


@pytest.mark.parametrize(
    ("name", "alarm", "threshold"),
    [
        ("pg", "freeable-memory-warning", 8 * GIB),  # 25% of 32 GiB
        ("pg", "freeable-memory-critical", round(3.2 * GIB)),  # 10%
        # 8% and 5% of the 200 GiB allocated, whatever the 1000 GiB autoscaling maximum.
        ("pg", "free-storage-warning", 16 * GIB),
        ("pg", "free-storage-critical", 10 * GIB),
        ("pg", "connections-warning", 2703),  # 75% of 32 GiB / 9531392 = 3604
        ("pg", "connections-critical", 3244),  # 90% of 3604 = 3243.6
        ("pg", "db-load-warning", 4),  # 1 x 4 vCPUs
        ("pg", "db-load-critical", 8),
        ("pg", "cpu-warning", 70),  # overridden in the environment
        ("pg", "cpu-critical", 90),
        ("mysql", "freeable-memory-warning", 2 * GIB),
        ("mysql", "freeable-memory-critical", 858993459),  # 10% of 8 GiB, rounded
        ("mysql", "free-storage-warning", 8 * GIB),  # 8% of the 100 GiB allocated
        ("mysql", "free-storage-critical", 5 * GIB),
        ("mysql", "connections-warning", 512),  # 75% of 8 GiB / 12582880 = 682
        ("mysql", "connections-critical", 614),
        ("mysql", "db-load-warning", 2),
        ("mysql", "db-load-critical", 4),
        ("maria", "freeable-memory-warning", 1 * GIB),
        ("maria", "connections-warning", 256),  # 75% of 4 GiB / 12582880 = 341
        ("maria", "connections-critical", 307),
        ("maria", "cpu-credit-balance-warning", 100),
        ("maria", "cpu-credit-balance-critical", 20),
        ("pgbig", "connections-warning", 3750),  # 75% of LEAST(..., 5000)
        ("pgbig", "connections-critical", 4500),
        ("pgbig", "db-load-warning", 192),
        ("pgbig", "db-load-critical", 384),
        ("pgbig", "freeable-memory-warning", 384 * GIB),
        ("mysqlpg", "connections-warning", 375),  # 75% of the parameter group's 500
        ("mysqlpg", "connections-critical", 450),
        ("cluster", "free-storage-warning", 32 * GIB),  # 8% of the 400 GiB allocated
        ("cluster", "free-storage-critical", 20 * GIB),
        ("cluster", "freeable-memory-warning", 8 * GIB),
        ("cluster", "connections-warning", 2703),
        ("cluster", "replica-lag-warning", 30),
        ("cluster", "replica-lag-critical", 60),
        ("c6gd", "freeable-memory-warning", 1 * GIB),
        ("c6gd", "freeable-memory-critical", GIB // 2),
        ("c6gd", "connections-critical", 400),
        ("c6gd", "db-load-warning", 3),
        ("pg", "swap-usage-warning", 256 * 1024**2),
        ("pg", "swap-usage-critical", 1 * GIB),
    ],
)
def test_thresholds_are_derived_from_the_database(synthesized, name, alarm, threshold):
    _, properties = alarm_named(template_of(synthesized, name), f"rds-ha-{name}-{alarm}")
    assert properties["Threshold"] == threshold


# slug: (metric, statistic or (warning, critical) statistics, comparison, missing data, warning
# datapoints of evaluation periods)
ALARM_SHAPES = {
    "cpu": ("CPUUtilization", "Average", "GreaterThanThreshold", "missing", (8, 10)),
    "freeable-memory": ("FreeableMemory", "Average", "LessThanThreshold", "missing", (15, 15)),
    "free-storage": ("FreeStorageSpace", "Minimum", "LessThanThreshold", "missing", (5, 5)),
    "connections": (
        "DatabaseConnections", ("Average", "Maximum"), "GreaterThanThreshold", "missing", (15, 15)
    ),
    "db-load": ("DBLoad", "Average", "GreaterThanThreshold", "notBreaching", (15, 15)),
    "read-latency": ("ReadLatency", "p90", "GreaterThanThreshold", "notBreaching", (15, 15)),
    "write-latency": ("WriteLatency", "p90", "GreaterThanThreshold", "notBreaching", (15, 15)),
    "disk-queue-depth": (
        "DiskQueueDepth", "Average", "GreaterThanThreshold", "notBreaching", (15, 15)
    ),
    "ebs-byte-balance": ("EBSByteBalance%", "Average", "LessThanThreshold", "notBreaching", (5, 5)),
    "ebs-io-balance": ("EBSIOBalance%", "Average", "LessThanThreshold", "notBreaching", (5, 5)),
    "swap-usage": ("SwapUsage", "Average", "GreaterThanThreshold", "missing", (15, 15)),
    "transaction-ids": (
        "MaximumUsedTransactionIDs", "Average", "GreaterThanThreshold", "missing", (1, 1)
    ),
}  # fmt: skip


@pytest.mark.parametrize("slug", ALARM_SHAPES)
def test_each_alarm_watches_its_metric_with_its_statistic_comparison_and_actions(synthesized, slug):
    metric, statistics, comparison, missing, warning_timing = ALARM_SHAPES[slug]
    template = template_of(synthesized, "pg")
    topic = {"Ref": logical_id_of(template, "AWS::SNS::Topic")}
    if isinstance(statistics, str):
        statistics = (statistics, statistics)
    for severity, statistic in zip(("warning", "critical"), statistics, strict=True):
        statistic_key = "ExtendedStatistic" if statistic.startswith("p") else "Statistic"
        name = f"rds-ha-pg-{slug}-{severity}"
        _, properties = alarm_named(template, name)
        assert properties["MetricName"] == metric
        assert properties["Namespace"] == "AWS/RDS"
        assert properties["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "rds-ha-pg"}]
        assert properties[statistic_key] == statistic
        assert properties["Period"] == 60
        assert properties["ComparisonOperator"] == comparison
        assert properties["TreatMissingData"] == missing
        assert properties["AlarmActions"] == [topic]
        assert properties["OKActions"] == [topic]
        assert f"docs/alarms.md#{slug}" in properties["AlarmDescription"]
        assert f"({statistic})" in properties["AlarmDescription"]
    _, warning = alarm_named(template, f"rds-ha-pg-{slug}-warning")
    assert (warning["DatapointsToAlarm"], warning["EvaluationPeriods"]) == warning_timing


def test_critical_timings_follow_the_aws_recommended_alarms(synthesized):
    template = template_of(synthesized, "pg")
    expected = {"cpu": (5, 5), "free-storage": (5, 5), "ebs-io-balance": (3, 3)}
    expected |= {"transaction-ids": (1, 1), "freeable-memory": (5, 5)}
    for slug, timing in expected.items():
        _, critical = alarm_named(template, f"rds-ha-pg-{slug}-critical")
        assert (critical["DatapointsToAlarm"], critical["EvaluationPeriods"]) == timing


def test_alarm_descriptions_show_the_percentage_behind_a_derived_threshold(synthesized):
    _, memory = alarm_named(template_of(synthesized, "pg"), "rds-ha-pg-freeable-memory-warning")
    assert (
        "8,589,934,592 bytes (8.00 GiB) (25% of the 32 GiB of db.r7g.xlarge)"
        in (memory["AlarmDescription"])
    )


def test_free_storage_descriptions_name_the_allocated_storage_as_the_basis(synthesized):
    _, storage = alarm_named(template_of(synthesized, "pg"), "rds-ha-pg-free-storage-critical")
    assert (
        "10,737,418,240 bytes (10.00 GiB) (5% of the 200 GiB allocated)"
        in (storage["AlarmDescription"])
    )


def test_connection_spikes_page_on_the_maximum_and_sustained_load_warns_on_the_average(
    synthesized,
):
    template = template_of(synthesized, "pg")
    _, warning = alarm_named(template, "rds-ha-pg-connections-warning")
    _, critical = alarm_named(template, "rds-ha-pg-connections-critical")
    assert (warning["Statistic"], critical["Statistic"]) == ("Average", "Maximum")
    assert "Database connections (Maximum) above 3244 connections" in (critical["AlarmDescription"])


def test_only_burstable_classes_alarm_on_cpu_credits(synthesized):
    assert "rds-ha-maria-cpu-credit-balance-warning" in alarm_names(
        template_of(synthesized, "maria")
    )
    for name in ("pg", "mysql", "cluster"):
        assert not any("cpu-credit" in a for a in alarm_names(template_of(synthesized, name)))


def test_replica_lag_is_watched_on_multi_az_db_clusters_only(synthesized):
    _, lag = alarm_named(template_of(synthesized, "cluster"), "rds-ha-cluster-replica-lag-critical")
    # The worst reader's lag, per member DB instance (learned by the member lookup).
    (expression,) = [query for query in lag["Metrics"] if "Expression" in query]
    assert expression["Expression"] == "MAX([maximum_0,maximum_1,maximum_2])"
    stats = [query["MetricStat"] for query in lag["Metrics"] if "MetricStat" in query]
    assert len(stats) == 3
    for stat in stats:
        assert stat["Metric"]["MetricName"] == "ReplicaLag"
        assert stat["Stat"] == "Maximum"
        ((dimension),) = stat["Metric"]["Dimensions"]
        assert dimension["Name"] == "DBInstanceIdentifier"
        assert dimension["Value"]["Fn::GetAtt"][1] in ("Member0", "Member1", "Member2")
    assert (lag["DatapointsToAlarm"], lag["EvaluationPeriods"]) == (10, 10)
    assert not any("replica-lag" in a for a in alarm_names(template_of(synthesized, "pg")))


def test_transaction_id_wraparound_is_watched_on_postgresql_only(synthesized):
    assert "rds-ha-pg-transaction-ids-critical" in alarm_names(template_of(synthesized, "pg"))
    for name in ("mysql", "maria"):
        assert not any("transaction-ids" in a for a in alarm_names(template_of(synthesized, name)))


def _rule_alarm_ids(rule: Any) -> set[str]:
    parts = rule["Fn::Join"][1]
    assert all(
        re.fullmatch(r'\(?ALARM\("|"\) OR ALARM\("|"\)\)', part)
        for part in parts
        if isinstance(part, str)
    ), parts
    return {part["Fn::GetAtt"][0] for part in parts if isinstance(part, dict)}


def test_scale_up_recommended_fires_on_any_cpu_memory_db_load_or_connections_warning(
    synthesized,
):
    template = template_of(synthesized, "pg")
    _, composite = alarm_named(template, "rds-ha-pg-scale-up-recommended")
    expected = {
        alarm_named(template, f"rds-ha-pg-{slug}-warning")[0]
        for slug in ("cpu", "freeable-memory", "db-load", "connections")
    }
    assert _rule_alarm_ids(composite["AlarmRule"]) == expected


def test_database_at_risk_fires_on_any_critical_alarm(synthesized):
    for name in ("pg", "maria", "cluster"):
        template = template_of(synthesized, name)
        _, composite = alarm_named(template, f"rds-ha-{name}-at-risk")
        critical = {
            alarm_named(template, alarm)[0]
            for alarm in alarm_names(template)
            if alarm.endswith("-critical")
        }
        assert len(critical) >= 12
        assert _rule_alarm_ids(composite["AlarmRule"]) == critical


def test_composite_alarms_notify_on_alarm_and_ok(synthesized):
    template = template_of(synthesized, "pg")
    topic = {"Ref": logical_id_of(template, "AWS::SNS::Topic")}
    for slug in ("scale-up-recommended", "at-risk"):
        _, composite = alarm_named(template, f"rds-ha-pg-{slug}")
        assert composite["AlarmActions"] == [topic]
        assert composite["OKActions"] == [topic]
        assert "docs/alarms.md#" in composite["AlarmDescription"]


def test_every_alarm_notifies_the_topic_on_alarm_and_ok(synthesized):
    for name in ENVIRONMENTS:
        template = template_of(synthesized, name)
        topic = {"Ref": logical_id_of(template, "AWS::SNS::Topic")}
        alarms = [
            r["Properties"]
            for r in template["Resources"].values()
            if r["Type"] in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
        ]
        assert alarms
        for alarm in alarms:
            assert alarm["AlarmActions"] == [topic], alarm["AlarmName"]
            assert alarm["OKActions"] == [topic], alarm["AlarmName"]


def test_topic_is_encrypted_with_a_rotating_customer_managed_key(synthesized):
    template = synthesized.template("pg")
    key_id = alarm_key = None
    for logical_id, resource in template.find_resources("AWS::KMS::Key").items():
        if "alarm" in resource["Properties"]["Description"]:
            key_id, alarm_key = logical_id, resource
    assert alarm_key is not None
    assert alarm_key["Properties"]["EnableKeyRotation"] is True
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"TopicName": "rds-ha-pg-alarms", "KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}},
    )
    statements = alarm_key["Properties"]["KeyPolicy"]["Statement"]
    publishers = [s for s in statements if s.get("Sid") == "AllowAlarmAndEventPublishers"]
    assert publishers == [
        {
            "Sid": "AllowAlarmAndEventPublishers",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.rds.amazonaws.com"]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    ]


def test_topic_policy_denies_publishing_without_tls_and_admits_only_this_accounts_services(
    synthesized,
):
    template = synthesized.template("pg")
    (policy,) = template.find_resources("AWS::SNS::TopicPolicy").values()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    deny = statements["AllowPublishThroughSSLOnly"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "sns:Publish")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    alarms, events = statements["AllowCloudWatchAlarms"], statements["AllowRdsEvents"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    # cdk.json's @aws-cdk/core:enablePartitionLiterals writes the partition of a known region.
    assert alarms["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:*"
    }
    assert events["Principal"] == {"Service": "events.rds.amazonaws.com"}
    for statement in (alarms, events):
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "111111111111"}


def test_alarm_emails_are_subscribed_to_the_topic(synthesized):
    template = synthesized.template("pg")
    template.resource_count_is("AWS::SNS::Subscription", 2)
    for email in ("oncall@example.com", "dba@example.com"):
        template.has_resource_properties(
            "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": email}
        )
    synthesized.template("maria").resource_count_is("AWS::SNS::Subscription", 0)


def test_instance_event_subscription_covers_the_operational_categories(synthesized):
    template = template_of(synthesized, "pg")
    (subscription,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::RDS::EventSubscription"
    ]
    properties = subscription["Properties"]
    assert properties["SourceType"] == "db-instance"
    assert properties["SourceIds"] == ["rds-ha-pg"]
    assert properties["SnsTopicArn"] == {"Ref": logical_id_of(template, "AWS::SNS::Topic")}
    assert set(properties["EventCategories"]) == {
        "availability",
        "backup",
        "configuration change",
        "failover",
        "failure",
        "low storage",
        "maintenance",
        "notification",
        "recovery",
    }
    # The database and the topic policy exist before RDS checks the subscription.
    assert set(subscription["DependsOn"]) == {
        logical_id_of(template, "AWS::RDS::DBInstance"),
        logical_id_of(template, "AWS::SNS::TopicPolicy"),
    }


def test_cluster_event_subscription_uses_the_categories_db_clusters_have(synthesized):
    synthesized.template("cluster").has_resource_properties(
        "AWS::RDS::EventSubscription",
        {
            "SourceType": "db-cluster",
            "SourceIds": ["rds-ha-cluster"],
            "EventCategories": [
                "configuration change",
                "failover",
                "failure",
                "maintenance",
                "notification",
            ],
        },
    )


def _dashboard(synthesized: SynthesizedApp, name: str) -> dict[str, Any]:
    template = template_of(synthesized, name)
    (dashboard,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    assert dashboard["DashboardName"] == f"rds-ha-{name}"
    body = "".join(
        part if isinstance(part, str) else json.dumps(part).replace('"', "'")
        for part in dashboard["DashboardBody"]["Fn::Join"][1]
    )
    return json.loads(body)


def test_dashboard_graphs_every_alarmed_metric_with_its_threshold_lines(synthesized):
    widgets = _dashboard(synthesized, "pg")["widgets"]
    graphs = {w["properties"]["metrics"][0][1]: w for w in widgets if w["type"] == "metric"}
    assert set(graphs) == {
        "CPUUtilization",
        "FreeableMemory",
        "FreeStorageSpace",
        "DatabaseConnections",
        "DBLoad",
        "ReadLatency",
        "WriteLatency",
        "DiskQueueDepth",
        "EBSByteBalance%",
        "EBSIOBalance%",
        "SwapUsage",
        "MaximumUsedTransactionIDs",
    }
    memory = graphs["FreeableMemory"]["properties"]["annotations"]["horizontal"]
    assert {(a["label"], a["value"]) for a in memory} == {
        ("warning", 8 * GIB),
        ("critical", round(3.2 * GIB)),
    }
    connections = graphs["DatabaseConnections"]["properties"]
    assert {a["value"] for a in connections["annotations"]["horizontal"]} == {2703, 3244}
    # Both statistics the alarms use are drawn, so each line meets its own threshold.
    average, maximum = (m[-1] for m in connections["metrics"])
    assert average["label"] == "Database connections (Average)"
    assert "stat" not in average  # Average is the widget's default statistic
    assert (maximum["label"], maximum["stat"]) == ("Database connections (Maximum)", "Maximum")


def test_dashboard_shows_the_composite_alarms_state_and_links_the_runbooks(synthesized):
    template = template_of(synthesized, "pg")
    widgets = _dashboard(synthesized, "pg")["widgets"]
    (status,) = [w for w in widgets if w["type"] == "alarm"]
    composites = {
        alarm_named(template, f"rds-ha-pg-{slug}")[0]
        for slug in ("scale-up-recommended", "at-risk")
    }
    assert {a.split("'")[3] for a in status["properties"]["alarms"]} == composites
    (text,) = [w for w in widgets if w["type"] == "text"]
    markdown = text["properties"]["markdown"]
    for anchor in ("scale-up-recommended", "database-at-risk", "cpu", "freeable-memory"):
        assert f"docs/alarms.md#{anchor})" in markdown


def test_alarm_and_dashboard_names_are_deterministic(synthesized):
    names = alarm_names(template_of(synthesized, "mysql"))
    slugs = {re.sub(r"^rds-ha-mysql-", "", name) for name in names}
    assert slugs == {
        f"{slug}-{severity}"
        for slug in (
            "cpu",
            "freeable-memory",
            "free-storage",
            "connections",
            "db-load",
            "read-latency",
            "write-latency",
            "disk-queue-depth",
            "ebs-byte-balance",
            "ebs-io-balance",
            "swap-usage",
        )
        for severity in ("warning", "critical")
    } | {"scale-up-recommended", "at-risk", "snapshot-export-failed", "recovery-point-age"}


def test_all_four_compliance_packs_report_no_findings_on_instances_or_clusters(synthesized):
    # The cluster's enhanced-monitoring wildcard is acknowledged by HighlyAvailableDatabase
    # itself, on its monitoring policy; nothing else may be flagged.
    assert synthesized.compliance_violations() == []


def test_templates_are_cfn_lint_clean(synthesized):
    for name in ENVIRONMENTS:
        matches = cfn_lint(synthesized.template_path(name), region=synthesized.stacks[name].region)
        assert [str(match) for match in matches] == [], name
