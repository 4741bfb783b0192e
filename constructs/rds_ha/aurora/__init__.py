"""Aurora DB clusters: ``AuroraDatabase`` (provisioned or Serverless v2 writer and readers on
aws-cdk-lib's ``rds.DatabaseCluster``, with its metrics, rotation and published endpoints),
``AuroraAlarms`` and its thresholds, and ``validation`` (every problem of an Aurora cluster's
settings at once, shared with ``environments``).

May import aws_cdk, ``monitoring``, ``database`` and ``catalog`` (whose ``aurora``
and ``aurora_rules`` modules hold what AWS says about Aurora, with no aws_cdk).
"""
