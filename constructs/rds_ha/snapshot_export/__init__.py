"""Snapshots exported to S3 as Parquet: ``SnapshotExport`` (export bucket and access-log bucket,
export role, the export function with its dead-letter queue and failure alarm, the EventBridge
rules, the VPC's RDS API endpoint) and the Lambda handler beside it in ``handler/``.

May import: aws_cdk, ``rds_ha.database``, ``rds_ha.errors``, ``rds_ha.nag``. ``handler/`` is
shipped as Lambda code: it imports only the standard library and boto3.
"""
