"""The data-loss window, watched: ``RecoveryPointWatch`` (a scheduled function that publishes
each database's ``now - LatestRestorableTime`` as a CloudWatch metric, and an alarm per
database above a threshold) and the Lambda handler beside it in ``handler/``.

May import: aws_cdk, ``rds_ha.database``, ``rds_ha.errors``, ``rds_ha.nag``. ``handler/`` is
shipped as Lambda code: it imports only the standard library and boto3.
"""
