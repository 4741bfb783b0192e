"""RDS Proxy in front of a database: ``DatabaseProxy`` (the proxy, its target group, role,
security group, published endpoint, metrics) and ``ProxyAlarms`` (client connections, borrow
latency, availability and pinning), with ``proxy_rules`` (defaults, limits and what RDS Proxy
does not support; no aws_cdk, so the environments model can check them too).

May import: aws_cdk, ``rds_ha.database``, ``rds_ha.catalog``, ``rds_ha.errors``, ``rds_ha.nag``.
Never the CLI.
"""
