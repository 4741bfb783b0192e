"""rds-ha: highly available Amazon RDS as a few lines of AWS CDK.

The public API: every construct and type a CDK app needs is importable from here.

- The database: ``HighlyAvailableDatabase``, ``IHighlyAvailableDatabase`` (what the
  other constructs take), ``ImportedDatabase`` (one deployed elsewhere,
  ``HighlyAvailableDatabase.from_database_attributes``), ``Engine``, ``Deployment``,
  ``CredentialsMode``, ``ApplicationUser`` (an application's user, rotated by alternating users).
- Aurora: ``AuroraDatabase`` (provisioned or Serverless v2, on ``rds.DatabaseCluster``),
  ``AuroraAlarms``, ``AuroraEngine``, ``AuroraDeployment``, ``AuroraStorageType``,
  ``AuroraEnvironmentConfig``; Global Database: ``AuroraGlobalCluster``,
  ``GlobalDatabaseAlarms``.
- Backups: ``DatabaseBackups``, ``protected_backup_vault``, ``backup_vault_arn``.
- Snapshot export to S3: ``SnapshotExport``.
- Monitoring: ``DatabaseAlarms``, ``AlarmThresholds``, ``DEFAULT_RUNBOOK_URL`` (the alarms'
  runbooks), ``FleetDashboard`` (a row per database),
  ``ClusterMemberLookup`` (a Multi-AZ DB cluster's member identifiers, read at deploy time),
  ``alarm_topic`` and ``alarm_topic_key`` (an encrypted alarm topic).
- The network: ``DatabaseNetwork`` (isolated subnets in three AZs, encrypted flow logs, no NAT).
- Keys and removal: ``create_database_key``, ``allow_cloudwatch_logs``, ``RETAIN_NAMED``.
- Environments as data: ``load_config``, ``parse_config``, ``AppConfig``, ``EnvironmentConfig``,
  ``FleetDatabase`` (one more database of an environment),
  ``PipelineConfig`` (the optional ``[pipeline]`` table).
- CloudFormation's quota: ``check_resource_limits``, ``resource_counts``.
- cdk-nag: ``acknowledge_rules`` (findings acknowledged by rule, packs and reason); checkov:
  ``skip_checkov_checks`` (checks skipped in a resource's metadata, with the reason).
- Lambda: ``create_after_policy`` (a function created once its role's managed policy exists).
- The data-safety guard: ``write_stack_policy``; errors: ``ConfigurationError``.
- Read replicas and a second region: ``ReadReplicas``, ``CrossRegionReadReplica``,
  ``ReplicaAlarms``, ``ReplicasConfig``,
  ``replicate_automated_backups``, ``automated_backup_key_alias``, ``key_alias_arn``.
- Resilience: ``DatabaseProxy``, ``ProxyAlarmThresholds``, ``RecoveryPointWatch``,
  ``FailoverGameDay``, ``ResilienceConfig``.

Names are imported lazily, so that the ``rds-ha`` CLI does not load aws-cdk-lib (and its
Node.js runtime) just to run a boto3 runbook.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    # Aurora.
    "AuroraAlarms": "rds_ha.aurora.aurora_alarms",
    "AuroraDatabase": "rds_ha.aurora.aurora_database",
    "AuroraDeployment": "rds_ha.catalog.aurora",
    "AuroraEngine": "rds_ha.catalog.aurora",
    "AuroraEnvironmentConfig": "rds_ha.environments.aurora",
    "AuroraStorageType": "rds_ha.catalog.aurora",
    "AuroraGlobalCluster": "rds_ha.aurora.global_database",
    "GlobalDatabaseAlarms": "rds_ha.aurora.global_database",
    "AlarmThresholds": "rds_ha.monitoring.alarm_thresholds",
    "AppConfig": "rds_ha.environments.loading",
    "ClusterMemberLookup": "rds_ha.monitoring.cluster_member_lookup",
    "ConfigurationError": "rds_ha.errors",
    "CredentialsMode": "rds_ha.catalog.credentials",
    "DatabaseAlarms": "rds_ha.monitoring.database_alarms",
    "DEFAULT_RUNBOOK_URL": "rds_ha.monitoring.database_alarms",
    "DatabaseBackups": "rds_ha.backups.database_backups",
    "DatabaseNetwork": "rds_ha.database.database_network",
    "Deployment": "rds_ha.catalog.engines",
    "Engine": "rds_ha.catalog.engines",
    "EnvironmentConfig": "rds_ha.environments.config",
    "FleetDashboard": "rds_ha.monitoring.fleet_dashboard",
    "acknowledge_rules": "rds_ha.nag",
    "alarm_topic": "rds_ha.monitoring.alarm_topic",
    "alarm_topic_key": "rds_ha.monitoring.alarm_topic",
    "FleetDatabase": "rds_ha.environments.databases",
    "HighlyAvailableDatabase": "rds_ha.database.highly_available_database",
    "IHighlyAvailableDatabase": "rds_ha.database.i_highly_available_database",
    "ImportedDatabase": "rds_ha.database.imported_database",
    "ApplicationUser": "rds_ha.database.application_users",
    "PipelineConfig": "rds_ha.environments.pipeline",
    "RETAIN_NAMED": "rds_ha.database.defaults",
    "SnapshotExport": "rds_ha.snapshot_export.snapshot_export",
    "allow_cloudwatch_logs": "rds_ha.database.keys",
    "backup_vault_arn": "rds_ha.backups.vault",
    "check_resource_limits": "rds_ha.stack_limits",
    "create_after_policy": "rds_ha.functions",
    "create_database_key": "rds_ha.database.keys",
    "load_config": "rds_ha.environments.loading",
    "parse_config": "rds_ha.environments.loading",
    "protected_backup_vault": "rds_ha.backups.vault",
    "resource_counts": "rds_ha.stack_limits",
    "skip_checkov_checks": "rds_ha.nag",
    "write_stack_policy": "rds_ha.guard.stack_policy",
    # Connection resilience and the data-loss window.
    "DatabaseProxy": "rds_ha.proxy.database_proxy",
    "FailoverGameDay": "rds_ha.game_day.failover_game_day",
    "ProxyAlarmThresholds": "rds_ha.proxy.proxy_alarms",
    "RecoveryPointWatch": "rds_ha.recovery_point.recovery_point_watch",
    "ResilienceConfig": "rds_ha.environments.resilience",
    # Read replicas and cross-region automated backups.
    "CrossRegionReadReplica": "rds_ha.replicas.cross_region_read_replica",
    "ReadReplicas": "rds_ha.replicas.read_replicas",
    "ReplicaAlarms": "rds_ha.replicas.replica_alarms",
    "ReplicasConfig": "rds_ha.environments.replicas",
    "automated_backup_key_alias": "rds_ha.replicas.automated_backup_replication",
    "key_alias_arn": "rds_ha.replicas.automated_backup_replication",
    "replicate_automated_backups": "rds_ha.replicas.automated_backup_replication",
}

__all__ = [
    "DEFAULT_RUNBOOK_URL",
    "RETAIN_NAMED",
    "AlarmThresholds",
    "AppConfig",
    "ApplicationUser",
    "AuroraAlarms",
    "AuroraDatabase",
    "AuroraDeployment",
    "AuroraEngine",
    "AuroraEnvironmentConfig",
    "AuroraGlobalCluster",
    "AuroraStorageType",
    "ClusterMemberLookup",
    "ConfigurationError",
    "CredentialsMode",
    "CrossRegionReadReplica",
    "DatabaseAlarms",
    "DatabaseBackups",
    "DatabaseNetwork",
    "DatabaseProxy",
    "Deployment",
    "Engine",
    "EnvironmentConfig",
    "FailoverGameDay",
    "FleetDashboard",
    "FleetDatabase",
    "GlobalDatabaseAlarms",
    "HighlyAvailableDatabase",
    "IHighlyAvailableDatabase",
    "ImportedDatabase",
    "PipelineConfig",
    "ProxyAlarmThresholds",
    "ReadReplicas",
    "RecoveryPointWatch",
    "ReplicaAlarms",
    "ReplicasConfig",
    "ResilienceConfig",
    "SnapshotExport",
    "acknowledge_rules",
    "alarm_topic",
    "alarm_topic_key",
    "allow_cloudwatch_logs",
    "automated_backup_key_alias",
    "backup_vault_arn",
    "check_resource_limits",
    "create_after_policy",
    "create_database_key",
    "key_alias_arn",
    "load_config",
    "parse_config",
    "protected_backup_vault",
    "replicate_automated_backups",
    "resource_counts",
    "skip_checkov_checks",
    "write_stack_policy",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rds_ha' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
