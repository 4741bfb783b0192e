"""Where failed export events go, and who hears of them: the dead-letter queue, encrypted with
the export key, and an alarm on it."""

from __future__ import annotations

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct


def create_dead_letter_queue(scope: Construct, encryption_key: kms.IKey) -> sqs.Queue:
    """The export's dead-letter queue, encrypted with ``encryption_key``.

    Lambda (asynchronous invocation) and EventBridge (rule target) send failed events to it.
    EventBridge needs kms:Decrypt and kms:GenerateDataKey on a customer-managed key of the
    target's dead-letter queue ("Using dead-letter queues to process undelivered events",
    EventBridge user guide); the function's role sends as itself and is granted the same where
    the function is made (SQS developer guide, "Key management": producers need
    kms:GenerateDataKey and kms:Decrypt).
    """
    queue = sqs.Queue(
        scope,
        "ExportDeadLetterQueue",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=encryption_key,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    encryption_key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="ExportDeadLettersFromEventBridge",
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}},
        )
    )
    return queue


def export_failures_alarm(
    scope: Construct, queue: sqs.IQueue, *, identifier: str, topic: sns.ITopic | None
) -> cloudwatch.Alarm:
    """An alarm as soon as one failed export event waits in the dead-letter queue."""
    alarm = cloudwatch.Alarm(
        scope,
        "ExportFailuresAlarm",
        alarm_name=f"{identifier}-snapshot-export-failed",
        alarm_description=f"{identifier}: a snapshot export event failed "
        "after its retries and waits in the dead-letter queue "
        f"({queue.queue_name}); read it, fix the cause, export the "
        "snapshot with `rds-ha snapshot` or the export function, then purge the queue.",
        metric=queue.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum"
        ),
        threshold=0,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        # SQS publishes queue metrics every few minutes while the queue exists.
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    if topic is None:
        Annotations.of(scope).add_warning_v2(
            "rds-ha:export-failures-unwatched",
            f"{identifier}: no alarm_topic, so a failed snapshot export is "
            "not notified; add an action to export_failures_alarm.",
        )
        return alarm
    action = cw_actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm
