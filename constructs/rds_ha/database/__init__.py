"""The database: ``HighlyAvailableDatabase`` (a Multi-AZ DB instance or cluster with its key,
secret, parameter group, security group, log groups, enhanced monitoring and published
endpoint), its defaults, its validation and the maintenance and backup windows;
``IHighlyAvailableDatabase``, what the other constructs take, and ``ImportedDatabase``, a
database deployed elsewhere (``HighlyAvailableDatabase.from_database_attributes``).

May import: aws_cdk, ``rds_ha.catalog``, ``rds_ha.errors``, ``rds_ha.nag``. Never the CLI.
"""
