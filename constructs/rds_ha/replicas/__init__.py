"""Read capacity and a second region for a ``HighlyAvailableDatabase``: ``ReadReplicas``
(same-region read replicas of a DB instance, or a Multi-AZ DB cluster's reader endpoint) and
``replicate_automated_backups`` (RDS cross-region automated backup replication).

May import aws_cdk, ``database``, ``monitoring`` and ``catalog``; ``replica_rules`` imports no
aws_cdk, so that ``environments`` can validate a configuration with it.
"""
