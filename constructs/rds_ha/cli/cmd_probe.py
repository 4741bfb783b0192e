"""``rds-ha probe``: the downtime clients see, measured with real connections."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from rds_ha.cli import ops_probe, probe_connect, probe_report
from rds_ha.cli.context import CliContext
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError, aws_errors
from rds_ha.cli.output import emit, table
from rds_ha.cli.probe_connect import Auth, Tls
from rds_ha.cli.probe_errors import error_kind, error_text


def _stderr(line: str) -> None:
    # Plain lines, not rich: they are read in a terminal next to a running failover, and logged.
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _seconds(value: float) -> str:
    return f"{value:.3f}s"


_HINTS = {
    "auth": (
        "IAM authentication needs a database user allowed to use it (PostgreSQL: GRANT rds_iam; "
        "MySQL and MariaDB: the AWSAuthenticationPlugin) and rds-db:connect for your AWS "
        "credentials."
    ),
    "tls": "Check --ca-bundle (the RDS CA bundle, or Amazon's root CAs for an RDS Proxy).",
    "refused": "Check the port and that the database is available.",
    "timeout": "Check the security group and that this machine can reach the VPC.",
    "protocol": "Check the host and port: what answered is not the database.",
    "dns": "Check the host name; RDS endpoints resolve only where the VPC's DNS answers.",
}


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
    user: Annotated[
        str | None,
        typer.Option("--user", help="Database user (default: the master user, or the secret's)."),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option("--database", help="Database name (default: the instance's, or postgres)."),
    ] = None,
    auth: Annotated[
        Auth | None,
        typer.Option(
            "--auth",
            help="Log in with an IAM token (default for instances and --host), the master "
            "secret (default for Multi-AZ DB clusters), or no password (local tests).",
        ),
    ] = None,
    secret_arn: Annotated[
        str | None,
        typer.Option("--secret-arn", help="Secrets Manager secret with username and password."),
    ] = None,
    ca_bundle: Annotated[
        Path | None,
        typer.Option(
            "--ca-bundle",
            help="CA bundle to verify the server (sslmode=verify-full); without it TLS is "
            f"required but not verified. RDS: {probe_connect.RDS_CA_BUNDLE_URL}",
        ),
    ] = None,
    no_tls: Annotated[
        bool, typer.Option("--no-tls", help="Connect without TLS (only with --auth none).")
    ] = False,
    interval_ms: Annotated[
        int, typer.Option("--interval-ms", min=50, help="Milliseconds between queries.")
    ] = 250,
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
    target = probe_connect.choose_target(
        endpoint,
        auth=auth,
        secret_arn=secret_arn,
        user=user,
        database=database,
        ca_bundle=ca_bundle,
        no_tls=no_tls,
    )
    missing = probe_connect.driver_missing(target.family)
    if missing:
        raise UnsafeOperationError(missing)

    if target.auth is Auth.SECRET:
        assert target.secret_arn is not None
        secret_user, secret_password = probe_connect.read_secret(
            cli.client("secretsmanager"), target.secret_arn
        )
        target = dataclasses.replace(target, user=user or secret_user or target.user)
        password = lambda: secret_password  # noqa: E731
    elif target.auth is Auth.IAM:
        password = probe_connect.iam_token(rds, target)
    else:
        password = lambda: None  # noqa: E731

    if target.tls is Tls.REQUIRE:
        _stderr(
            "probe: warning: TLS is required but the server certificate is not verified "
            f"(sslmode=require); pass --ca-bundle with {probe_connect.RDS_CA_BUNDLE_URL} "
            "to verify it (sslmode=verify-full)."
        )
    elif target.tls is Tls.OFF:
        _stderr("probe: warning: TLS is off (--no-tls); use it only against a local test server.")

    connect = probe_connect.connector(target, password)
    try:
        ops_probe.check_connect(connect)
    except Exception as error:  # any driver error: nothing can be measured
        kind = error_kind(error)
        hint = _HINTS.get(kind, "")
        if kind == "auth" and target.auth is not Auth.IAM:
            hint = "Check --user and the secret."
        raise CheckFailedError(
            f"cannot connect to {target.summary()}: {kind}: {error_text(error)}. "
            f"{hint + ' ' if hint else ''}Nothing was measured."
        ) from None

    _stderr(
        f"probe: SELECT 1 every {interval_ms} ms on {target.summary()}"
        + (f" for {duration:g}s" if duration else "; Ctrl-C to stop")
    )
    report = ops_probe.run_probe(
        connect,
        interval_seconds=interval_ms / 1000,
        duration_seconds=duration,
        on_change=lambda change: _stderr(probe_report.change_line(change)),
    )
    data = {"target": target.as_dict(), **report.as_dict()}
    emit(cli, data, lambda console: _render(console, target, report))
    if report.still_down:
        raise CheckFailedError(
            f"{target.endpoint.name} was still down when the probe ended "
            f"({_seconds(report.outages[-1].seconds)} since the last failure began)."
        )


def _render(
    console: Console, target: probe_connect.Target, report: probe_report.ProbeReport
) -> None:
    utc = probe_report.utc_text
    console.print(escape(f"Probed {target.endpoint.name}: {target.summary()}"))
    console.print(
        f"  {utc(report.started)} to {utc(report.ended)} ({_seconds(report.seconds)}), "
        f"every {_seconds(report.interval_seconds)}"
        + (" (interrupted)" if report.interrupted else "")
    )
    console.print(
        f"Queries: {report.queries} ({report.failed_queries} failed); "
        f"reconnects: {report.reconnects}"
    )
    if not report.outages:
        console.print("Client-visible downtime: none (no query failed).")
    else:
        console.print(
            f"Client-visible downtime: {_seconds(report.downtime_seconds)} in "
            f"{len(report.outages)} outage(s), longest {_seconds(report.longest_outage_seconds)}"
            + (" (still down at the end)" if report.still_down else "")
        )
        console.print(f"  first failed query:        {utc(report.first_failure)}")
        console.print(
            f"  first success after it:    {utc(report.first_success_after_failure) or 'none'}"
        )
        errors = ", ".join(f"{kind} {count}" for kind, count in report.errors.most_common())
        console.print(escape(f"Errors: {errors}"))
        if len(report.outages) > 1:
            rows = [
                (
                    utc(o.started),
                    utc(o.ended) or "still down",
                    _seconds(o.seconds),
                    o.failed_queries,
                )
                for o in report.outages
            ]
            console.print(table(None, ["Down from", "Up at", "Seconds", "Failed queries"], rows))
    console.print(
        f"Each figure is accurate to about one interval ({_seconds(report.interval_seconds)})."
    )
