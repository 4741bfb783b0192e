"""Watching the database: ``AlarmThresholds`` (warning and critical levels per metric, derived
from the instance class) and ``DatabaseAlarms`` (the alarms, composites, topic, event
subscription and dashboard).

May import: aws_cdk (``database_alarms`` only), ``rds_ha.database``, ``rds_ha.catalog``,
``rds_ha.errors``. ``alarm_thresholds`` imports no aws_cdk: the CLI's ``advise`` sizes against it.
"""
