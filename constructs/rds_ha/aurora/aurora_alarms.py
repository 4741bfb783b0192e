"""``AuroraAlarms``: the alarms of an Aurora cluster, derived from its instances' classes or its
ACU range, two composites ("scale-up recommended", "database at risk"), the cluster's RDS events
and a dashboard, all on an encrypted topic.

Per-instance metrics are watched as the worst instance of the cluster (``MAX``, or ``MIN`` for
memory and the buffer cache), whatever each instance's role: after a failover the writer is
another instance. Metric names and units are those of the Aurora User Guide, "Amazon CloudWatch
metrics for Amazon Aurora" (instance level: CPUUtilization, FreeableMemory, DatabaseConnections,
AuroraReplicaLag in milliseconds, ACUUtilization in percent of the maximum, Deadlocks per second,
BufferCacheHitRatio, CommitLatency in milliseconds; cluster level: VolumeBytesUsed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Duration, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from rds_ha.aurora.aurora_thresholds import (
    MAX_VOLUME_BYTES,
    AuroraThresholds,
    default_max_connections,
    memory_bytes,
    threshold_problems,
)
from rds_ha.catalog.aurora import AuroraEngine
from rds_ha.database.metrics import worst_member
from rds_ha.errors import ConfigurationError
from rds_ha.monitoring.alarm_topic import alarm_topic, alarm_topic_key
from rds_ha.monitoring.database_alarms import DEFAULT_RUNBOOK_URL

# RDS event categories of a DB cluster (RDS User Guide, "Amazon RDS event categories and event
# messages": source type db-cluster).
CLUSTER_EVENT_CATEGORIES = ("failover", "failure", "maintenance", "notification")


class IAuroraAlarmSource(Protocol):
    """What ``AuroraAlarms`` reads of an Aurora cluster (an ``AuroraDatabase``)."""

    @property
    def identifier(self) -> str: ...
    @property
    def engine(self) -> AuroraEngine: ...
    @property
    def writer_instance_class(self) -> str | None: ...
    @property
    def max_capacity(self) -> float | None: ...
    @property
    def reader_count(self) -> int: ...
    @property
    def instance_identifiers(self) -> list[str]: ...
    @property
    def cluster_parameters(self) -> Mapping[str, str]: ...
    @property
    def resource(self) -> IConstruct | None: ...
    def metric(
        self, metric_name: str, *, statistic: str = ..., period: Duration | None = ...
    ) -> cloudwatch.Metric: ...


@dataclass(frozen=True)
class _Alarm:
    slug: str
    title: str
    metric_name: str
    threshold_name: str
    # "MAX": above the threshold is the trouble; "MIN": below it.
    worst: str
    # "scale-up" (more capacity would help) or "at-risk" (data or availability in danger).
    composite: str
    minutes: int
    cluster_level: bool = False


_ALARMS = (
    _Alarm("aurora-cpu", "CPU", "CPUUtilization", "cpu_percent", "MAX", "scale-up", 10),
    _Alarm(
        "aurora-memory", "Freeable memory", "FreeableMemory", "freeable_memory_percent", "MIN",
        "scale-up", 10,
    ),
    _Alarm(
        "aurora-connections", "Connections", "DatabaseConnections", "connections_percent", "MAX",
        "scale-up", 5,
    ),
    _Alarm(
        "aurora-acu", "ACU utilization", "ACUUtilization", "acu_utilization_percent", "MAX",
        "scale-up", 10,
    ),
    _Alarm(
        "aurora-replica-lag", "Replica lag", "AuroraReplicaLag", "replica_lag_milliseconds",
        "MAX", "at-risk", 5,
    ),
    _Alarm(
        "aurora-deadlocks", "Deadlocks", "Deadlocks", "deadlocks_per_second", "MAX", "at-risk", 5
    ),
    _Alarm(
        "aurora-buffer-cache", "Buffer cache hit ratio", "BufferCacheHitRatio",
        "buffer_cache_hit_ratio_percent", "MIN", "scale-up", 15,
    ),
    _Alarm(
        "aurora-commit-latency", "Commit latency", "CommitLatency",
        "commit_latency_milliseconds", "MAX", "at-risk", 5,
    ),
    _Alarm(
        "aurora-volume", "Volume used", "VolumeBytesUsed", "volume_used_percent", "MAX",
        "at-risk", 60, cluster_level=True,
    ),
)  # fmt: skip


class AuroraAlarms(Construct):
    """Alarms for an ``AuroraDatabase``.

    :param database: the Aurora cluster.
    :param alarm_emails: addresses subscribed to the topic. Default: none.
    :param alarm_topic: an existing topic instead of a new encrypted one.
    :param runbook_url: the page each alarm's description links to, with an anchor per alarm.
        Default: rds-ha's ``docs/alarms.md``.
    :param thresholds: Default: ``AuroraThresholds()``.
    :param overrides: threshold name -> value, over ``thresholds`` (``environments.toml``'s
        ``[environments.<env>.alarms]``, ``{ warning = ... }`` or ``{ critical = ... }``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: IAuroraAlarmSource,
        alarm_emails: Sequence[str] = (),
        alarm_topic: sns.ITopic | None = None,
        runbook_url: str = DEFAULT_RUNBOOK_URL,
        thresholds: AuroraThresholds | None = None,
        overrides: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.database = database
        self.identifier = database.identifier
        self.runbook_url = runbook_url
        values, problems = _override_values(overrides or {})
        if not Token.is_unresolved(runbook_url) and (
            not runbook_url.startswith("https://") or "#" in runbook_url
        ):
            problems.append(
                f"runbook_url={runbook_url!r}: each alarm appends '#<alarm>'; allowed: an "
                "https:// URL without '#'"
            )
        memory = memory_bytes(database.writer_instance_class, database.max_capacity)
        if memory is None:
            problems.append(
                f"instance_class={database.writer_instance_class!r}: its memory is not known "
                "to rds-ha, so the memory and connection thresholds cannot derive from it"
            )
        if problems:
            raise ConfigurationError(self.node.path, problems)
        assert memory is not None
        self.thresholds = (thresholds or AuroraThresholds()).with_overrides(values)
        self.memory_bytes = memory
        self.max_connections = _max_connections(database, memory)
        self.topic: sns.ITopic = alarm_topic or self._create_topic(alarm_emails)
        self._action = cw_actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {
            spec.slug: self._alarm(spec) for spec in _ALARMS if self._applies(spec)
        }
        self.scale_up_alarm = self._composite("scale-up", "Scale-up recommended")
        self.at_risk_alarm = self._composite("at-risk", "Database at risk")
        self.events = self._subscribe_to_events()
        self.dashboard = self._dashboard()

    def _create_topic(self, alarm_emails: Sequence[str]) -> sns.Topic:
        key = alarm_topic_key(self, self.identifier)
        return alarm_topic(self, self.identifier, key=key, alarm_emails=alarm_emails)

    def _applies(self, spec: _Alarm) -> bool:
        if spec.slug == "aurora-acu":
            return self.database.max_capacity is not None
        if spec.slug == "aurora-replica-lag":
            return self.database.reader_count > 0
        return True

    def threshold_of(self, spec: _Alarm) -> float:
        """The alarm's threshold in the metric's unit."""
        value: float = getattr(self.thresholds, spec.threshold_name)
        if spec.slug == "aurora-memory":
            return round(self.memory_bytes * value / 100)
        if spec.slug == "aurora-connections":
            return round(self.max_connections * value / 100)
        if spec.slug == "aurora-volume":
            return round(MAX_VOLUME_BYTES * value / 100)
        return value

    def metric_of(self, spec: _Alarm) -> cloudwatch.IMetric:
        period = Duration.minutes(5 if spec.cluster_level else 1)
        if spec.cluster_level:
            return self.database.metric(spec.metric_name, statistic="Maximum", period=period)
        return worst_member(
            self.database.instance_identifiers,
            spec.metric_name,
            statistic="Maximum" if spec.worst == "MAX" else "Minimum",
            period=period,
            worst=spec.worst,
            label=f"{spec.metric_name} ({spec.worst} of the instances)",
        )

    def _alarm(self, spec: _Alarm) -> cloudwatch.Alarm:
        periods = max(1, spec.minutes // (5 if spec.cluster_level else 1))
        threshold = self.threshold_of(spec)
        above = spec.worst == "MAX"
        alarm = cloudwatch.Alarm(
            self,
            spec.slug.title().replace("-", ""),
            alarm_name=f"{self.identifier}-{spec.slug}",
            alarm_description=(
                f"{self.identifier}: {spec.title} {'above' if above else 'below'} {threshold:g} "
                f"({spec.threshold_name} = {getattr(self.thresholds, spec.threshold_name):g}) "
                f"for {spec.minutes} minutes. Runbook: {self.runbook_url}#{spec.slug}"
            ),
            metric=self.metric_of(spec),
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=(
                cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
                if above
                else cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
            ),
            # A missing datapoint (a paused Serverless v2 instance, no reader yet) is not trouble.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        return alarm

    def _composite(self, kind: str, title: str) -> cloudwatch.CompositeAlarm:
        members = [
            self.alarms[spec.slug]
            for spec in _ALARMS
            if spec.composite == kind and spec.slug in self.alarms
        ]
        composite = cloudwatch.CompositeAlarm(
            self,
            title.replace(" ", "").replace("-", ""),
            composite_alarm_name=f"{self.identifier}-{kind}",
            alarm_description=f"{self.identifier}: {title}. Runbook: {self.runbook_url}#"
            f"{title.lower().replace(' ', '-')}",
            alarm_rule=cloudwatch.AlarmRule.any_of(*members),
        )
        composite.add_alarm_action(self._action)
        composite.add_ok_action(self._action)
        return composite

    def _subscribe_to_events(self) -> rds.CfnEventSubscription:
        subscription = rds.CfnEventSubscription(
            self,
            "Events",
            subscription_name=f"{self.identifier}-events",
            sns_topic_arn=self.topic.topic_arn,
            source_type="db-cluster",
            source_ids=[self.identifier],
            event_categories=list(CLUSTER_EVENT_CATEGORIES),
            enabled=True,
        )
        # RDS checks that the source exists when the subscription is made.
        resource = self.database.resource
        if resource is not None:
            subscription.node.add_dependency(resource.node.default_child or resource)
        return subscription

    def _dashboard(self) -> cloudwatch.Dashboard:
        links = " · ".join(
            f"[{spec.title}]({self.runbook_url}#{spec.slug})"
            for spec in _ALARMS
            if spec.slug in self.alarms
        )
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.TextWidget(markdown=f"## {self.identifier}\n\n{links}", width=24, height=3)
        ]
        widgets += [
            cloudwatch.AlarmWidget(alarm=alarm, title=alarm.alarm_name, width=8)
            for alarm in self.alarms.values()
        ]
        if self.database.max_capacity is not None:
            widgets.append(
                cloudwatch.GraphWidget(
                    title="ServerlessDatabaseCapacity (ACUs)",
                    left=[self.database.metric("ServerlessDatabaseCapacity", statistic="Maximum")],
                    left_annotations=[
                        cloudwatch.HorizontalAnnotation(
                            value=self.database.max_capacity, label="max_capacity"
                        )
                    ],
                    width=8,
                )
            )
        return cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=self.identifier, widgets=[widgets]
        )


def _override_values(
    overrides: Mapping[str, Mapping[str, float]],
) -> tuple[dict[str, float], list[str]]:
    """``{name: {"warning": 70}}`` -> ``{name: 70}``; an Aurora alarm has one threshold."""
    values: dict[str, float] = {}
    problems = []
    for name, override in overrides.items():
        given = {key: value for key, value in override.items() if key in ("warning", "critical")}
        if len(given) != 1 or set(override) - set(given):
            problems.append(
                f"alarms.{name}={dict(override)!r}: an Aurora alarm has one threshold; allowed: "
                "{ warning = <value> } or { critical = <value> }"
            )
            continue
        values[name] = next(iter(given.values()))
    return values, [*problems, *threshold_problems(values)]


def _max_connections(database: IAuroraAlarmSource, memory: int) -> int:
    """``max_connections`` as set in the cluster's parameters, or the engine's default."""
    given = database.cluster_parameters.get("max_connections", "")
    if given.isdigit():
        return int(given)
    return default_max_connections(database.engine, memory)
