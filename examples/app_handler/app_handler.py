"""Example stateless tier in front of an rds-ha database: find the endpoint, log in with IAM.

The function reads the endpoint from the SSM parameter named in ``ENDPOINT_PARAMETER`` (the
RDS Proxy's ``/rds-ha/<identifier>/proxy-endpoint``, or the database's ``.../endpoint`` when
there is no proxy) and generates an IAM authentication token for ``DB_USER`` on ``DB_PORT``.
The token is the password for a TLS connection; it is valid for 15 minutes and never logged.

It opens no database session itself: that needs a driver (psycopg, PyMySQL, pg8000...) bundled
with the function or in a Lambda layer, which is the application's choice. With one, connect
with ``host``, ``port``, ``user``, the token as password and TLS required (``sslmode=require``
or stricter).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import boto3

# RDS and RDS Proxy accept a token for 15 minutes after it is generated.
TOKEN_LIFETIME_SECONDS = 900


def find_endpoint(ssm: Any, parameter_name: str) -> str:
    return ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"]


def login(ssm: Any, rds: Any, environ: Mapping[str, str]) -> dict[str, Any]:
    """Where to connect and the IAM token to log in with (``password``)."""
    host = find_endpoint(ssm, environ["ENDPOINT_PARAMETER"])
    port = int(environ["DB_PORT"])
    user = environ["DB_USER"]
    # Signed locally with the function's credentials: no API call, so no RDS endpoint needed.
    token = rds.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user)
    return {"host": host, "port": port, "user": user, "password": token}


def handler(event: Any, context: Any) -> dict[str, Any]:
    session = boto3.session.Session()
    connection = login(session.client("ssm"), session.client("rds"), os.environ)
    summary = {
        "host": connection["host"],
        "port": connection["port"],
        "user": connection["user"],
        "token_lifetime_seconds": TOKEN_LIFETIME_SECONDS,
    }
    print(json.dumps({"decision": "token-generated", **summary}), file=sys.stdout, flush=True)
    return summary
