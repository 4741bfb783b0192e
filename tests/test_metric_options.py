"""The metric_*() methods take aws-cdk-lib's MetricOptions as keyword arguments: a DB
instance's Metric and a Multi-AZ DB cluster's worst-member MathExpression carry them."""

from __future__ import annotations

import inspect

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Template
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import ConfigurationError, Deployment, HighlyAvailableDatabase
from rds_ha.database.metrics import MetricOptions

MEMBERS = ["books-1", "books-2", "books-3"]


@pytest.fixture(scope="module")
def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Shop", env=TEST_ENV)


@pytest.fixture(scope="module")
def instance(stack: cdk.Stack) -> HighlyAvailableDatabase:
    return HighlyAvailableDatabase(stack, "Orders", vpc=isolated_vpc(stack))


@pytest.fixture(scope="module")
def cluster(stack: cdk.Stack) -> HighlyAvailableDatabase:
    database = HighlyAvailableDatabase(
        stack,
        "Books",
        vpc=isolated_vpc(stack, "ClusterVpc"),
        identifier="books",
        deployment=Deployment.MULTI_AZ_CLUSTER,
    )
    database.use_cluster_members(MEMBERS)
    return database


def test_the_options_are_cloudwatchs_metric_options() -> None:
    cdk_options = set(inspect.signature(cloudwatch.MetricOptions.__init__).parameters) - {"self"}
    assert set(MetricOptions.__annotations__) == cdk_options


def test_an_instance_metric_takes_colour_period_and_the_rest(
    instance: HighlyAvailableDatabase,
) -> None:
    metric = instance.metric_cpu_utilization(
        color="#ff0000", period=Duration.minutes(5), statistic="Maximum", label="CPU"
    )
    assert isinstance(metric, cloudwatch.Metric)
    assert metric.color == "#ff0000"
    assert metric.period.to_minutes() == 5
    assert metric.statistic == "Maximum"
    assert metric.label == "CPU"
    assert metric.dimensions == {"DBInstanceIdentifier": "shop-orders"}


def test_the_defaults_are_the_average_over_one_minute(instance: HighlyAvailableDatabase) -> None:
    metric = instance.metric_freeable_memory()
    assert isinstance(metric, cloudwatch.Metric)
    assert (metric.statistic, metric.period.to_seconds(), metric.color) == ("Average", 60, None)


def test_a_given_dimensions_map_replaces_the_identifier_as_in_aws_cdk_lib(
    instance: HighlyAvailableDatabase,
) -> None:
    metric = instance.metric_read_latency(dimensions_map={"DatabaseClass": "db.m7g.large"})
    assert metric.to_metric_config().metric_stat.dimensions[0].name == "DatabaseClass"


def test_another_accounts_metric_names_its_account_and_region(
    instance: HighlyAvailableDatabase,
) -> None:
    metric = instance.metric_db_load(account="222222222222", region="eu-central-1")
    stat = metric.to_metric_config().metric_stat
    assert (stat.account, stat.region) == ("222222222222", "eu-central-1")


def test_an_unknown_option_is_refused_by_name(instance: HighlyAvailableDatabase) -> None:
    with pytest.raises(TypeError, match="colour"):
        instance.metric_cpu_utilization(colour="#ff0000")  # type: ignore[call-arg]


def test_a_cluster_metric_carries_colour_and_period_on_the_expression(
    cluster: HighlyAvailableDatabase,
) -> None:
    metric = cluster.metric_cpu_utilization(color="#ff0000", period=Duration.minutes(1))
    assert isinstance(metric, cloudwatch.MathExpression)
    assert metric.color == "#ff0000"
    assert metric.period.to_minutes() == 1
    assert metric.expression == "MAX([average_0,average_1,average_2])"
    members = metric.using_metrics.values()
    assert sorted(m.dimensions["DBInstanceIdentifier"] for m in members) == MEMBERS


def test_a_cluster_refuses_the_options_a_math_expression_lacks(
    cluster: HighlyAvailableDatabase,
) -> None:
    with pytest.raises(ConfigurationError) as error:
        cluster.metric_cpu_utilization(id="cpu", visible=False, dimensions_map={"A": "b"})
    for field in ("id='cpu'", "visible=False", "dimensions_map={'A': 'b'}"):
        assert f"{field}: not for a Multi-AZ DB cluster's metric" in str(error.value)


def test_the_colour_reaches_a_dashboard_graph(
    stack: cdk.Stack, instance: HighlyAvailableDatabase
) -> None:
    dashboard = cloudwatch.Dashboard(stack, "Board")
    dashboard.add_widgets(
        cloudwatch.GraphWidget(left=[instance.metric_cpu_utilization(color="#ff0000")])
    )
    body = stack.resolve(Template.from_stack(stack).find_resources("AWS::CloudWatch::Dashboard"))
    assert "#ff0000" in str(body)
