"""Watching the database: ``AlarmThresholds`` (warning and critical levels per metric, derived
from the instance class), ``DatabaseAlarms`` (the alarms, composites, topic, event
subscription and dashboard) and ``ClusterMemberLookup`` (a Multi-AZ DB cluster's member DB
instances, which its alarms watch, read by a custom resource at deploy time; its Lambda handler
in ``handler/`` uses the standard library and boto3 only).

May import: aws_cdk (not ``alarm_thresholds``), ``rds_ha.database``, ``rds_ha.catalog``,
``rds_ha.errors``. ``alarm_thresholds`` imports no aws_cdk: the CLI's ``advise`` sizes against it.
"""
