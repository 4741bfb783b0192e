"""``ProxyAlarms``: the alarms of a ``DatabaseProxy`` and their thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

if TYPE_CHECKING:
    from rds_ha.proxy.database_proxy import DatabaseProxy


@dataclass(frozen=True)
class ProxyAlarmThresholds:
    """When the proxy's alarms fire. Every alarm also notifies when it returns to OK.

    :param max_client_connections: client connections to the proxy (Sum over 5 minutes, 3 of 3
        periods). Default: 1000; set it below what the applications should ever open.
    :param max_borrow_latency_ms: average time to get a database connection from the pool
        (the metric is in microseconds; 3 of 3 periods of 5 minutes). Default: 100 ms.
    :param min_availability_percent: the writer target's availability as the proxy sees it
        (Average of each minute, 3 of 3 minutes). Default: 100, so a
        failover that the proxy rides through in under three minutes does not page, a longer
        one does.
    :param max_pinned_connections: database connections pinned to one client by session state
        (Sum over 15 minutes, 2 of 2 periods); pinned connections are not shared, so the pool
        loses its point. Default: 10.
    """

    max_client_connections: int = 1000
    max_borrow_latency_ms: float = 100
    min_availability_percent: float = 100
    max_pinned_connections: int = 10

    def problems(self) -> list[str]:
        problems = []
        for name in ("max_client_connections", "max_borrow_latency_ms", "max_pinned_connections"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                problems.append(f"{name}={value!r}: must be a positive number")
        availability = self.min_availability_percent
        if (
            isinstance(availability, bool)
            or not isinstance(availability, int | float)
            or not 0 < availability <= 100
        ):
            problems.append(
                f"min_availability_percent={availability!r}: must be above 0, at most 100"
            )
        return problems


class ProxyAlarms(Construct):
    """Client connections, borrow latency, availability and pinning of one proxy, each
    notifying ``topic`` on ALARM and OK."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        proxy: DatabaseProxy,
        topic: sns.ITopic,
        thresholds: ProxyAlarmThresholds,
    ) -> None:
        super().__init__(scope, construct_id)
        name = proxy.proxy_name
        above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        missing_ok = cloudwatch.TreatMissingData.NOT_BREACHING
        five_minutes = Duration.minutes(5)
        specs = {
            "ClientConnections": (
                proxy.metric_client_connections(period=five_minutes),
                thresholds.max_client_connections,
                above,
                3,
                missing_ok,
                f"client connections above {thresholds.max_client_connections} for 15 minutes",
            ),
            "BorrowLatency": (
                proxy.metric_borrow_latency(period=five_minutes),
                thresholds.max_borrow_latency_ms * 1000,
                above,
                3,
                missing_ok,
                f"average connection borrow latency above {thresholds.max_borrow_latency_ms:g} ms "
                "for 15 minutes: the pool is exhausted or the database slow to accept connections",
            ),
            "Availability": (
                proxy.metric_availability(),
                thresholds.min_availability_percent,
                below,
                3,
                # RDS publishes proxy metrics only after the first successful connection
                # ("Monitoring RDS Proxy metrics with Amazon CloudWatch"): an unused proxy must
                # not page. The database's own alarms watch the database itself.
                missing_ok,
                f"writer availability below {thresholds.min_availability_percent:g}% for 3 "
                "minutes: clients of the proxy cannot reach the database",
            ),
            "Pinning": (
                proxy.metric_pinned_connections(period=Duration.minutes(15)),
                thresholds.max_pinned_connections,
                above,
                2,
                missing_ok,
                f"more than {thresholds.max_pinned_connections} pinned database connections for "
                "30 minutes: session state (SET, temporary tables, prepared statements) keeps "
                "connections from being shared",
            ),
        }
        slugs = {
            "ClientConnections": "client-connections",
            "BorrowLatency": "borrow-latency",
            "Availability": "availability",
            "Pinning": "pinning",
        }
        action = cw_actions.SnsAction(topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for construct_name, (metric, threshold, operator, periods, missing, what) in specs.items():
            alarm = cloudwatch.Alarm(
                self,
                construct_name,
                alarm_name=f"{name}-{slugs[construct_name]}",
                alarm_description=f"{name}: {what}.",
                metric=metric,
                threshold=threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                comparison_operator=operator,
                treat_missing_data=missing,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[construct_name] = alarm
