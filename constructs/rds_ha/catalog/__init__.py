"""What rds-ha knows about Amazon RDS itself: engines, versions, parameter group families and
instance classes (memory, vCPUs, burstable or not), read from cfn-lint's RDS data where AWS
publishes it.

Owns: ``engines`` (Engine, Deployment, engine profiles and versions) and ``instance_classes``
(the instance-class catalog). Imports only the standard library and cfn-lint's data files: the
CLI uses it, so it never imports aws_cdk.
"""
