"""``DatabaseAlarms``: scale-up monitoring for a ``HighlyAvailableDatabase``.

Warning and critical CloudWatch alarms whose thresholds are derived from the database they watch
(instance-class memory and vCPUs, storage, ``max_connections``), two composite alarms ("scale-up
recommended", "database at risk"), an encrypted SNS topic with e-mail subscriptions, an RDS
event subscription and a dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from constructs import Construct

from rds_ha.catalog.engines import Deployment
from rds_ha.database import defaults
from rds_ha.database.i_highly_available_database import (
    IHighlyAvailableDatabase,
    missing_attribute_problems,
    rds_engine_and_deployment,
)
from rds_ha.errors import ConfigurationError
from rds_ha.monitoring.alarm_specs import (
    ALARM_SPECS,
    CLUSTER_EVENT_CATEGORIES,
    COMPOSITE_SLUGS,
    FACTS_NEEDED,
    INSTANCE_EVENT_CATEGORIES,
    SCALE_UP_SIGNALS,
    AlarmSpec,
    facts_of,
)
from rds_ha.monitoring.alarm_thresholds import (
    GIB,
    AlarmThresholds,
    Derived,
    Direction,
    Level,
    alarm_problems,
    derive,
    direction_of,
)
from rds_ha.monitoring.alarm_topic import alarm_topic, alarm_topic_key
from rds_ha.monitoring.cluster_member_lookup import ClusterMemberLookup
from rds_ha.monitoring.cluster_members import member_problems

# rds-ha's own alarm runbooks (docs/alarms.md, an anchor per alarm). Every alarm description
# carries it, so changing it is an in-place change to every alarm: point a team's alarms at its
# own runbooks with ``runbook_url`` (``alarm_runbook_url`` in environments.toml) instead.
DEFAULT_RUNBOOK_URL = "https://github.com/cdk-rds-ha/rds-ha/blob/main/docs/alarms.md"
SEVERITIES = ("warning", "critical")
WARNING_COLOR = "#ff7f0e"
CRITICAL_COLOR = "#d62728"


class DatabaseAlarms(Construct):
    """Warning and critical alarms, composite alarms, notifications and a dashboard.

    :param database: the database to watch: a ``HighlyAvailableDatabase``, or one imported
        with its ``instance_class`` and ``allocated_storage_gib`` (the thresholds derive from
        them) and, for a Multi-AZ DB cluster, its ``key`` or ``cluster_member_identifiers``.
    :param thresholds: Default: ``AlarmThresholds()`` (see ``docs/alarms.md`` for each value).
    :param alarm_emails: addresses subscribed to the alarm topic. Default: none (subscribe
        later, e.g. ``alarms.topic.add_subscription(...)``).
    :param topic: an existing topic the alarms and RDS events notify, e.g. the one topic of
        an environment whose databases share it (``other_alarms.topic``). It must let
        CloudWatch alarms and RDS events publish (a topic made by ``DatabaseAlarms`` does).
        Default: a new encrypted topic for this database.
    :param runbook_url: page whose anchors explain each alarm; linked from every alarm
        description and the dashboard, with an anchor per alarm (``#high-cpu``...). Default:
        ``DEFAULT_RUNBOOK_URL``, rds-ha's ``docs/alarms.md``.
    :param cluster_member_identifiers: a Multi-AZ DB cluster's three DB instance identifiers;
        each alarm watches the worst member (``cluster_members``). Default: learned when the
        stack is deployed (``ClusterMemberLookup``, ``member_lookup``).
    :param log_retention: of the member lookup's log group (Multi-AZ DB clusters without
        ``cluster_member_identifiers``). Default: one year.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: IHighlyAvailableDatabase,
        thresholds: AlarmThresholds | None = None,
        alarm_emails: Sequence[str] = (),
        runbook_url: str = DEFAULT_RUNBOOK_URL,
        topic: sns.ITopic | None = None,
        cluster_member_identifiers: Sequence[str] = (),
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
    ) -> None:
        super().__init__(scope, construct_id)
        self.database = database
        self.thresholds = thresholds or AlarmThresholds()
        rds_engine_and_deployment(database, "DatabaseAlarms", "AuroraAlarms")
        missing = missing_attribute_problems(database, "DatabaseAlarms", FACTS_NEEDED)
        if missing:
            raise ConfigurationError(self.node.path, missing)
        self.facts = facts_of(database)
        self.runbook_url = runbook_url
        problems = alarm_problems(self.thresholds, self.facts)
        if not Token.is_unresolved(runbook_url) and (
            not runbook_url.startswith("https://") or "#" in runbook_url
        ):
            problems.append(
                f"runbook_url={runbook_url!r}: each alarm appends '#<alarm>'; allowed: an "
                "https:// URL without a '#' fragment"
            )
        if topic is not None and alarm_emails:
            problems.append(
                f"alarm_emails={list(alarm_emails)!r}: with a topic given, subscribe them to "
                "that topic; allowed: no alarm_emails"
            )
        self.cluster_member_identifiers = list(cluster_member_identifiers)
        problems += member_problems(self.cluster_member_identifiers, self.facts.deployment)
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self.identifier = database.identifier
        # RDS publishes a Multi-AZ DB cluster's metrics per member DB instance
        # (``cluster_members``): given identifiers win over those the database already knows,
        # and those over the lookup. The database's own metrics then watch the same members.
        self.member_lookup: ClusterMemberLookup | None = None
        if self.facts.deployment is Deployment.MULTI_AZ_CLUSTER:
            if not self.cluster_member_identifiers:
                self.cluster_member_identifiers = list(database.cluster_member_identifiers)
            if not self.cluster_member_identifiers:
                self.member_lookup = ClusterMemberLookup(
                    self, "Members", database=database, log_retention=log_retention
                )
                self.cluster_member_identifiers = self.member_lookup.member_identifiers
            database.use_cluster_members(self.cluster_member_identifiers)

        self.key: kms.IKey | None = None
        self.topic: sns.ITopic
        if topic is None:
            self.key = self._create_topic_key()
            self.topic = self._create_topic(alarm_emails)
        else:
            self.topic = topic
        self._action = cw_actions.SnsAction(self.topic)
        self.specs = [spec for spec in ALARM_SPECS if spec.applies(self.facts)]
        self.derived: dict[str, Derived] = {}
        self.alarms: dict[str, dict[str, cloudwatch.Alarm]] = {}
        for spec in self.specs:
            self.alarms[spec.threshold] = self._create_alarms(spec)
        self.scale_up_recommended = self._composite(
            "ScaleUpRecommended",
            COMPOSITE_SLUGS[0],
            [self.alarms[name]["warning"] for name in SCALE_UP_SIGNALS],
            "Sustained pressure on CPU, memory, DB load or connections: plan a larger instance "
            "class.",
            "scale-up-recommended",
        )
        self.at_risk = self._composite(
            "AtRisk",
            COMPOSITE_SLUGS[1],
            [alarms["critical"] for alarms in self.alarms.values()],
            "A critical alarm is firing: act now.",
            "database-at-risk",
        )
        self.event_subscription = self._subscribe_to_events()
        self.dashboard = self._create_dashboard()

    # --- notifications ---------------------------------------------------------------------

    def _create_topic_key(self) -> kms.Key:
        return alarm_topic_key(self, self.identifier)

    def _create_topic(self, alarm_emails: Sequence[str]) -> sns.Topic:
        assert self.key is not None, "the topic's key is created first"
        return alarm_topic(self, self.identifier, key=self.key, alarm_emails=alarm_emails)

    def _subscribe_to_events(self) -> rds.CfnEventSubscription:
        # A cluster's availability, backup, low-storage and recovery events come from its
        # member instances (source type db-instance), whose identifiers are not known at synth:
        # not subscribed here (see docs/monitoring.md, the Multi-AZ DB cluster note).
        cluster = self.facts.deployment is Deployment.MULTI_AZ_CLUSTER
        subscription = rds.CfnEventSubscription(
            self,
            "Events",
            subscription_name=f"{self.identifier}-events",
            sns_topic_arn=self.topic.topic_arn,
            source_type="db-cluster" if cluster else "db-instance",
            source_ids=[self.identifier],
            event_categories=list(
                CLUSTER_EVENT_CATEGORIES if cluster else INSTANCE_EVENT_CATEGORIES
            ),
            enabled=True,
        )
        # RDS checks that the source exists and that it may publish when the subscription is made.
        # The database resource itself, not its children (the secret and its rotation); an
        # imported database exists already.
        resource = self.database.resource
        if resource is not None:
            subscription.node.add_dependency(resource.node.default_child or resource)
        policy = self.topic.node.try_find_child("Policy")
        if policy is not None:
            subscription.node.add_dependency(policy)
        return subscription

    # --- alarms ----------------------------------------------------------------------------

    def _create_alarms(self, spec: AlarmSpec) -> dict[str, cloudwatch.Alarm]:
        timings, derived = derive(spec.threshold, self.thresholds, self.facts)
        self.derived[spec.threshold] = derived
        above = direction_of(spec.threshold) is Direction.MAX
        alarms = {}
        for severity in SEVERITIES:
            level: Level = getattr(timings, severity)
            threshold = getattr(derived, severity)
            alarm = cloudwatch.Alarm(
                self,
                f"{_pascal(spec.slug)}{severity.title()}",
                alarm_name=f"{self.identifier}-{spec.slug}-{severity}",
                alarm_description=self._describe(spec, severity, level, threshold, derived),
                metric=self._metric(spec, spec.statistic_for(severity), level.period_seconds),
                threshold=threshold,
                evaluation_periods=level.evaluation_periods,
                datapoints_to_alarm=level.datapoints_to_alarm,
                comparison_operator=(
                    cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
                    if above
                    else cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
                ),
                treat_missing_data=spec.missing_data,
            )
            self._notify(alarm)
            alarms[severity] = alarm
        return alarms

    def _metric(
        self,
        spec: AlarmSpec,
        statistic: str,
        period_seconds: int = 60,
        label: str | None = None,
    ) -> cloudwatch.IMetric:
        period = Duration.seconds(period_seconds)
        if self.facts.deployment is not Deployment.MULTI_AZ_CLUSTER:
            return self.database.metric(
                spec.metric_name, statistic=statistic, period=period, label=label
            )
        # The database's metric: the worst member's, worst by the threshold's direction.
        worst = "MAX" if direction_of(spec.threshold) is Direction.MAX else "MIN"
        return self.database.metric(
            spec.metric_name,
            statistic=statistic,
            period=period,
            worst=worst,
            label=label or f"{spec.title} ({worst} of the members)",
        )

    def _describe(
        self, spec: AlarmSpec, severity: str, level: Level, threshold: float, derived: Derived
    ) -> str:
        comparison = "above" if direction_of(spec.threshold) is Direction.MAX else "below"
        configured = getattr(getattr(self.thresholds, spec.threshold), severity).threshold
        basis = f" ({configured:g}{derived.basis})" if derived.basis else ""
        action = "plan the scale-up" if severity == "warning" else "act now"
        return (
            f"{severity.upper()} {self.identifier}: {spec.title} ({spec.statistic_for(severity)}) "
            f"{comparison} "
            f"{_amount(threshold, spec.unit)}{basis} for {level.datapoints_to_alarm} of "
            f"{level.evaluation_periods} periods of {level.period_seconds} s; {action}. "
            f"Runbook: {self.runbook_url}#{spec.slug}"
        )

    def _composite(
        self,
        construct_id: str,
        slug: str,
        alarms: Sequence[cloudwatch.IAlarm],
        summary: str,
        anchor: str,
    ) -> cloudwatch.CompositeAlarm:
        composite = cloudwatch.CompositeAlarm(
            self,
            construct_id,
            composite_alarm_name=f"{self.identifier}-{slug}",
            alarm_description=f"{self.identifier}: {summary} Runbook: {self.runbook_url}#{anchor}",
            alarm_rule=cloudwatch.AlarmRule.any_of(*alarms),
        )
        self._notify(composite)
        return composite

    @property
    def composite_alarm_names(self) -> list[str]:
        """The two composite alarms' names (deterministic, so literals in a filter policy)."""
        return [f"{self.identifier}-{slug}" for slug in COMPOSITE_SLUGS]

    def composite_only_filter(self, *others: DatabaseAlarms) -> dict[str, sns.FilterOrPolicy]:
        """A message-body filter that lets through only the two composite alarms'
        notifications, for a subscriber that should hear once per incident (a pager or chat).
        Pass the ``DatabaseAlarms`` of the other databases sharing the topic to let theirs
        through too.

        Every alarm notifies the topic on ALARM and OK, so one incident reaches an unfiltered
        subscriber as the metric alarm and the composites it is part of. CloudWatch publishes
        JSON with ``AlarmName``; RDS events have no such key and are filtered out too. Use with
        ``filter_policy_with_message_body=``.
        """
        # The deterministic names, not the alarms' tokens: a filter policy holds literals.
        names = [name for alarms in (self, *others) for name in alarms.composite_alarm_names]
        return {
            "AlarmName": sns.FilterOrPolicy.filter(
                sns.SubscriptionFilter.string_filter(allowlist=names)
            )
        }

    def _notify(self, alarm: cloudwatch.AlarmBase) -> None:
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)

    # --- dashboard -------------------------------------------------------------------------

    def _create_dashboard(self) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self.identifier,
            default_interval=Duration.hours(3),
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Composite alarms",
                alarms=[self.scale_up_recommended, self.at_risk],
                width=8,
                height=4,
            ),
            cloudwatch.TextWidget(markdown=self._runbook_markdown(), width=16, height=4),
        )
        graphs = [self._graph(spec) for spec in self.specs]
        for row in range(0, len(graphs), 3):
            dashboard.add_widgets(*graphs[row : row + 3])
        return dashboard

    def _graph(self, spec: AlarmSpec) -> cloudwatch.GraphWidget:
        derived = self.derived[spec.threshold]
        return cloudwatch.GraphWidget(
            title=f"{spec.title} ({spec.unit})",
            left=[
                self._metric(spec, statistic, label=f"{spec.title} ({statistic})")
                for statistic in dict.fromkeys(spec.statistic_for(s) for s in SEVERITIES)
            ],
            left_annotations=[
                cloudwatch.HorizontalAnnotation(
                    value=derived.warning, label="warning", color=WARNING_COLOR
                ),
                cloudwatch.HorizontalAnnotation(
                    value=derived.critical, label="critical", color=CRITICAL_COLOR
                ),
            ],
            width=8,
            height=6,
        )

    def _runbook_markdown(self) -> str:
        links = " · ".join(f"[{spec.title}]({self.runbook_url}#{spec.slug})" for spec in self.specs)
        return (
            f"## {self.identifier}\n"
            f"**[Scale-up recommended]({self.runbook_url}#scale-up-recommended)** · "
            f"**[Database at risk]({self.runbook_url}#database-at-risk)**\n\n"
            f"Runbooks: {links}"
        )


def _amount(value: float, unit: str) -> str:
    if unit == "bytes":
        return f"{value:,.0f} bytes ({value / GIB:.2f} GiB)"
    if unit == "%":
        return f"{value:g}%"
    return f"{value:g} {unit}"


def _pascal(slug: str) -> str:
    return "".join(part.title() for part in slug.split("-"))
