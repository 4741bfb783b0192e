"""``rds-ha probe``: the downtime clients see, measured with real connections."""

from __future__ import annotations

from typing import Annotated

import typer

from rds_ha.cli import ops_probe, probe_connect, probe_options, probe_report
from rds_ha.cli.context import CliContext
from rds_ha.cli.errors import UnsafeOperationError, aws_errors
from rds_ha.cli.output import emit
from rds_ha.cli.probe_connect import Auth
from rds_ha.cli.probe_options import (
    AuthOption,
    CaBundle,
    DatabaseName,
    IntervalMs,
    NoTls,
    SecretArn,
    User,
)


@aws_errors
def probe(
    ctx: typer.Context,
    db_id: Annotated[
        str | None,
        typer.Argument(help="DB instance or Multi-AZ DB cluster (writer endpoint) to probe."),
    ] = None,
    *,
    host: Annotated[
        str | None, typer.Option("--host", help="Probe this host instead of a DB_ID.")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port for --host (default: the engine's)."),
    ] = None,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Engine at --host: postgres, mysql, mariadb.")
    ] = None,
    proxy: Annotated[
        str | None, typer.Option("--proxy", help="Probe the endpoint of this RDS Proxy.")
    ] = None,
    user: User = None,
    database: DatabaseName = None,
    auth: AuthOption = None,
    secret_arn: SecretArn = None,
    ca_bundle: CaBundle = None,
    no_tls: NoTls = False,
    interval_ms: IntervalMs = probe_options.DEFAULT_INTERVAL_MS,
    duration: Annotated[
        float | None,
        typer.Option("--duration", min=0.1, help="Seconds to probe (default: until Ctrl-C)."),
    ] = None,
) -> None:
    """Run SELECT 1 every --interval-ms through real connections and report the downtime clients
    saw: first failed query, first success after it, outages, reconnects, errors by kind.

    Exit codes: 0 measured, 1 first connection failed or still down at the end, 2 bad input.
    """
    cli: CliContext = ctx.obj
    given = [
        name for name, value in (("DB_ID", db_id), ("--host", host), ("--proxy", proxy)) if value
    ]
    if len(given) != 1:
        raise UnsafeOperationError(
            "name one thing to probe: DB_ID, --host (with --engine) or --proxy"
            + (f"; got {' and '.join(given)}." if given else ".")
        )
    if host is None and (port is not None or engine is not None):
        raise UnsafeOperationError("--port and --engine go with --host.")
    if host is not None and engine is None:
        raise UnsafeOperationError("--host needs --engine: postgres, mysql or mariadb.")

    rds = None
    if db_id is not None or proxy is not None or auth is not Auth.NONE:
        rds = cli.client("rds")
    if db_id is not None:
        endpoint = probe_connect.database_endpoint(rds, db_id)
    elif proxy is not None:
        endpoint = probe_connect.proxy_endpoint(rds, proxy)
    else:
        assert host is not None and engine is not None
        endpoint = probe_connect.host_endpoint(host, port, engine)
    login = probe_options.Login(user, database, auth, secret_arn, ca_bundle, no_tls)
    target, connect = probe_options.prepare(cli, rds, endpoint, login)
    probe_options.preflight(target, connect)

    probe_options.stderr(
        f"probe: SELECT 1 every {interval_ms} ms on {target.summary()}"
        + (f" for {duration:g}s" if duration else "; Ctrl-C to stop")
    )
    report = ops_probe.run_probe(
        connect,
        interval_seconds=interval_ms / 1000,
        duration_seconds=duration,
        on_change=lambda change: probe_options.stderr(probe_report.change_line(change)),
    )
    data = {"target": target.as_dict(), **report.as_dict()}
    emit(cli, data, lambda console: probe_options.render_report(console, target, report))
    if report.still_down:
        raise probe_options.still_down_error(target, report)
