"""Failover game days: ``FailoverGameDay``, an AWS FIS experiment template per database that
forces a failover (a reboot with failover for a DB instance, a cluster failover for a Multi-AZ
DB cluster), stops on a CloudWatch alarm, and logs to an encrypted log group, with a role that
may act on that database only.

May import: aws_cdk, ``rds_ha.database``, ``rds_ha.errors``, ``rds_ha.nag``. Never the CLI.
"""
