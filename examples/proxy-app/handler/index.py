"""The application's side of RDS Proxy with IAM authentication: where to connect and the
token to log in with. The token is the password of a TLS connection, valid for 15 minutes;
it is never logged. Opening the session needs a driver (psycopg, PyMySQL, pg8000...)
bundled with the function or in a layer: connect with host, port, user, the token as the
password and TLS required."""

from __future__ import annotations

import os
from typing import Any

import boto3


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    host = os.environ["PROXY_ENDPOINT"]
    port = int(os.environ["DB_PORT"])
    user = os.environ["DB_USER"]
    # Signed locally with the function's credentials: no API call, so no endpoint needed.
    token = boto3.client("rds").generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user)
    return {"host": host, "port": port, "user": user, "token_length": len(token)}
