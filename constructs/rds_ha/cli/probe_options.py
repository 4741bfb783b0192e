"""The probe's login options and steps, shared by ``rds-ha probe`` and the commands that probe
while they act (``failover --probe``, ``scale-up --probe``): one definition of each option, one
way to build the connection, check it and print what it measured."""

from __future__ import annotations

import dataclasses
import functools
import inspect
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


# --- the commands that probe while they act ------------------------------------------------------

# The typer parameters `with_probe_options` adds to a command, in help order: one definition for
# every command that offers --probe.
_PROBE_PARAMETERS = (
    ("probe", Probe, False),
    ("user", User, None),
    ("database", DatabaseName, None),
    ("auth", AuthOption, None),
    ("secret_arn", SecretArn, None),
    ("ca_bundle", CaBundle, None),
    ("no_tls", NoTls, False),
    ("interval_ms", IntervalMs, DEFAULT_INTERVAL_MS),
)


@dataclass(frozen=True)
class ProbeRequest:
    """What --probe and its login options asked for."""

    probe: bool = False
    login: Login = Login()
    interval_ms: int = DEFAULT_INTERVAL_MS

    def check(self) -> None:
        refuse_without_probe(self.probe, self.login, self.interval_ms)

    def prepare(
        self,
        cli: CliContext,
        rds: Any,
        db_id: str,
        plan: Any,
        *,
        during: str = "throughout",
        before_step: str | None = None,
    ) -> Prober | None:
        """None without --probe. Otherwise the prober, with its step in ``plan``: first, or
        before the step that starts with ``before_step``. Login problems are refused (exit 2)
        here, before the prompt, and nothing is changed."""
        if not self.probe:
            return None
        endpoint = probe_connect.database_endpoint(rds, db_id)
        target, connect = prepare(cli, rds, endpoint, self.login)
        steps = plan.steps
        position = next(
            (i for i, step in enumerate(steps) if before_step and step.startswith(before_step)), 0
        )
        steps.insert(
            position, f"probe SELECT 1 every {self.interval_ms} ms on {target.summary()} {during}"
        )
        return Prober(target, connect, self.interval_ms)


@dataclass(frozen=True)
class Prober:
    target: Target
    connect: ops_probe.Connect
    interval_ms: int

    def preflight(self, consequence: str = "Nothing was changed.") -> None:
        preflight(self.target, self.connect, consequence=consequence)

    def during(
        self, operation: Callable[[], Any], *, what: str
    ) -> tuple[Any, probe_report.ProbeReport]:
        return probe_during(
            self.target, self.connect, operation, interval_ms=self.interval_ms, what=what
        )

    def data(self, report: probe_report.ProbeReport) -> dict[str, Any]:
        return probe_data(self.target, report)

    def raise_if_still_down(self, report: probe_report.ProbeReport) -> None:
        if report.still_down:
            raise still_down_error(self.target, report)


def run_probed(
    prober: Prober | None, operation: Callable[[], Any], *, what: str
) -> tuple[Any, probe_report.ProbeReport | None]:
    """``operation()``, probed when there is a prober: its result and the report (or None)."""
    if prober is None:
        return operation(), None
    return prober.during(operation, what=what)


def with_probe_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --probe and the probe's login options to a typer command, which receives them as
    one keyword argument, ``probe_request: ProbeRequest``."""
    signature = inspect.signature(command, eval_str=True)
    kept = [p for p in signature.parameters.values() if p.name != "probe_request"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind, default=default)
        for name, kind, default in _PROBE_PARAMETERS
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name, default) for name, _, default in _PROBE_PARAMETERS}
        kwargs["probe_request"] = ProbeRequest(
            probe=values["probe"],
            login=Login(
                values["user"],
                values["database"],
                values["auth"],
                values["secret_arn"],
                values["ca_bundle"],
                values["no_tls"],
            ),
            interval_ms=values["interval_ms"],
        )
        return command(*args, **kwargs)

    # typer reads the parameters through inspect.signature, which honours __signature__ (PEP 362);
    # typeshed does not declare it on functions.
    wrapper.__signature__ = signature.replace(parameters=kept + added)  # type: ignore[attr-defined]
    return wrapper
