"""The probe's login options and steps, shared by ``rds-ha probe`` and the commands that probe
while they act (``failover --probe``, ``scale-up --probe``): one definition of each option, one
way to build the connection, check it and print what it measured."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from rds_ha.cli import ops_probe, probe_connect, probe_report
from rds_ha.cli.context import CliContext
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.output import table
from rds_ha.cli.probe_connect import Auth, Endpoint, Target, Tls
from rds_ha.cli.probe_errors import error_kind, error_text

# While an operation runs: if clients are still down when RDS says it is done, keep probing this
# long for the first answer (RDS may report a failover done while the old address still answers).
WAIT_UP_SECONDS = 120.0

User = Annotated[
    str | None,
    typer.Option("--user", help="Database user (default: the master user, or the secret's)."),
]
DatabaseName = Annotated[
    str | None,
    typer.Option("--database", help="Database name (default: the instance's, or postgres)."),
]
AuthOption = Annotated[
    Auth | None,
    typer.Option(
        "--auth",
        help="Log in with an IAM token (default for instances and --host), the master "
        "secret (default for Multi-AZ DB clusters), or no password (local tests).",
    ),
]
SecretArn = Annotated[
    str | None,
    typer.Option("--secret-arn", help="Secrets Manager secret with username and password."),
]
CaBundle = Annotated[
    Path | None,
    typer.Option(
        "--ca-bundle",
        help="CA bundle to verify the server (sslmode=verify-full); without it TLS is "
        f"required but not verified. RDS: {probe_connect.RDS_CA_BUNDLE_URL}",
    ),
]
NoTls = Annotated[
    bool, typer.Option("--no-tls", help="Connect without TLS (only with --auth none).")
]
IntervalMs = Annotated[
    int, typer.Option("--interval-ms", min=50, help="Milliseconds between queries.")
]
DEFAULT_INTERVAL_MS = 250

Probe = Annotated[
    bool,
    typer.Option(
        "--probe",
        help="Measure the downtime clients see while the operation runs: SELECT 1 every "
        "--interval-ms through real connections (login options as for `rds-ha probe`).",
    ),
]


@dataclass(frozen=True)
class Login:
    user: str | None = None
    database: str | None = None
    auth: Auth | None = None
    secret_arn: str | None = None
    ca_bundle: Path | None = None
    no_tls: bool = False

    def given(self) -> list[str]:
        names = {
            "user": "--user",
            "database": "--database",
            "auth": "--auth",
            "secret_arn": "--secret-arn",
            "ca_bundle": "--ca-bundle",
            "no_tls": "--no-tls",
        }
        return [flag for field, flag in names.items() if getattr(self, field)]


def stderr(line: str) -> None:
    # Plain lines, not rich: they are read in a terminal next to a running failover, and logged.
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


HINTS = {
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


def refuse_without_probe(probe: bool, login: Login, interval_ms: int) -> None:
    given = login.given() + (["--interval-ms"] if interval_ms != DEFAULT_INTERVAL_MS else [])
    if not probe and given:
        raise UnsafeOperationError(f"{', '.join(given)} go(es) with --probe.")


def prepare(
    cli: CliContext, rds: Any, endpoint: Endpoint, login: Login
) -> tuple[Target, ops_probe.Connect]:
    """The login target and the ``connect`` callable, with the defaults applied and
    contradictions refused (exit 2); no connection is opened yet."""
    target = probe_connect.choose_target(
        endpoint,
        auth=login.auth,
        secret_arn=login.secret_arn,
        user=login.user,
        database=login.database,
        ca_bundle=login.ca_bundle,
        no_tls=login.no_tls,
    )
    missing = probe_connect.driver_missing(target.family)
    if missing:
        raise UnsafeOperationError(missing)
    password: Callable[[], str | None]
    if target.auth is Auth.SECRET:
        assert target.secret_arn is not None
        secret_user, secret_password = probe_connect.read_secret(
            cli.client("secretsmanager"), target.secret_arn
        )
        target = dataclasses.replace(target, user=login.user or secret_user or target.user)
        password = lambda: secret_password  # noqa: E731
    elif target.auth is Auth.IAM:
        password = probe_connect.iam_token(rds, target)
    else:
        password = lambda: None  # noqa: E731
    if target.tls is Tls.REQUIRE:
        stderr(
            "probe: warning: TLS is required but the server certificate is not verified "
            f"(sslmode=require); pass --ca-bundle with {probe_connect.RDS_CA_BUNDLE_URL} "
            "to verify it (sslmode=verify-full)."
        )
    elif target.tls is Tls.OFF:
        stderr("probe: warning: TLS is off (--no-tls); use it only against a local test server.")
    return target, probe_connect.connector(target, password)


def preflight(
    target: Target, connect: ops_probe.Connect, *, consequence: str = "Nothing was measured."
) -> None:
    """One connection and query before anything else: a probe that cannot connect at all is a
    configuration problem (exit 1), not an outage."""
    try:
        ops_probe.check_connect(connect)
    except Exception as error:  # any driver error: nothing can be measured
        kind = error_kind(error)
        hint = HINTS.get(kind, "")
        if kind == "auth" and target.auth is not Auth.IAM:
            hint = "Check --user and the secret."
        raise CheckFailedError(
            f"cannot connect to {target.summary()}: {kind}: {error_text(error)}. "
            f"{hint + ' ' if hint else ''}{consequence}"
        ) from None


def probe_during(
    target: Target,
    connect: ops_probe.Connect,
    operation: Callable[[], Any],
    *,
    interval_ms: int,
    what: str,
) -> tuple[Any, probe_report.ProbeReport]:
    """Run ``operation()`` while probing ``target``; progress lines go to stderr."""
    stderr(f"probe: SELECT 1 every {interval_ms} ms on {target.summary()} during {what}")
    return ops_probe.probe_while(
        connect,
        operation,
        interval_seconds=interval_ms / 1000,
        wait_up_seconds=WAIT_UP_SECONDS,
        on_change=lambda change: stderr(probe_report.change_line(change)),
    )


def probe_data(target: Target, report: probe_report.ProbeReport) -> dict[str, Any]:
    return {"target": target.as_dict(), **report.as_dict()}


def seconds_text(value: float) -> str:
    return f"{value:.3f}s"


def still_down_error(target: Target, report: probe_report.ProbeReport) -> CheckFailedError:
    return CheckFailedError(
        f"{target.endpoint.name} was still down when the probe ended "
        f"({seconds_text(report.outages[-1].seconds)} since the last failure began)."
    )


def render_downtime(console: Console, report: probe_report.ProbeReport) -> None:
    """The downtime figures: total, outages, first failure and first success after it."""
    utc = probe_report.utc_text
    if not report.outages:
        console.print("Client-visible downtime: none (no query failed).")
        return
    console.print(
        f"Client-visible downtime: {seconds_text(report.downtime_seconds)} in "
        f"{len(report.outages)} outage(s), longest {seconds_text(report.longest_outage_seconds)}"
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
                seconds_text(o.seconds),
                o.failed_queries,
            )
            for o in report.outages
        ]
        console.print(table(None, ["Down from", "Up at", "Seconds", "Failed queries"], rows))


def render_report(console: Console, target: Target, report: probe_report.ProbeReport) -> None:
    utc = probe_report.utc_text
    console.print(escape(f"Probed {target.endpoint.name}: {target.summary()}"))
    console.print(
        f"  {utc(report.started)} to {utc(report.ended)} ({seconds_text(report.seconds)}), "
        f"every {seconds_text(report.interval_seconds)}"
        + (" (interrupted)" if report.interrupted else "")
    )
    console.print(
        f"Queries: {report.queries} ({report.failed_queries} failed); "
        f"reconnects: {report.reconnects}"
    )
    render_downtime(console, report)
    console.print(
        f"Each figure is accurate to about one interval ({seconds_text(report.interval_seconds)})."
    )
