"""The downtime a client sees, measured by querying the database through real connections.

The loop (``run_probe``) knows nothing about drivers or the network: it is given a ``connect``
callable that opens a connection and a clock, so it is tested with fakes. ``probe_connect`` builds
the real ``connect`` for PostgreSQL, MySQL and MariaDB; ``BackgroundProbe`` runs the loop in a
thread while another operation (a failover, a scale-up) runs.

How the figures are defined (README "Measure what clients see"):
- every ``interval`` the probe runs ``SELECT 1``, on its open connection or, after a failure, on a
  new one; a tick whose connect or query fails is a failed query;
- an outage starts when the first failed query of a run of failures was sent and ends when the
  first successful query after it has answered, so it is what a client retrying every
  ``interval`` would have seen; each figure is accurate to about one interval.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

DEFAULT_INTERVAL_SECONDS = 0.25
# A dead endpoint (an old primary whose address no longer answers) is noticed within this.
CONNECT_TIMEOUT_SECONDS = 2
QUERY_TIMEOUT_SECONDS = 2


class ProbeConnection(Protocol):
    def select_one(self) -> None:
        """Run ``SELECT 1``; raise if it fails or answers anything else."""

    def close(self) -> None: ...


Connect = Callable[[], ProbeConnection]


@dataclass(frozen=True)
class Clock:
    """Monotonic seconds for durations, a sleep, and the wall clock (UTC) read once per run."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Any] = time.sleep
    utcnow: Callable[[], datetime] = lambda: datetime.now(UTC)


SYSTEM_CLOCK = Clock()


@dataclass(frozen=True)
class StateChange:
    """The probe went down (``up`` False, with the error) or came back up."""

    up: bool
    elapsed_seconds: float
    at: datetime
    error: str | None = None
    down_seconds: float | None = None
    reconnects: int = 0


@dataclass
class Outage:
    started: datetime
    ended: datetime | None
    seconds: float
    failed_queries: int
    errors: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": utc_text(self.started),
            "ended": utc_text(self.ended) if self.ended else None,
            "seconds": round(self.seconds, 3),
            "failed_queries": self.failed_queries,
            "errors": dict(self.errors.most_common()),
        }


@dataclass
class ProbeReport:
    started: datetime
    ended: datetime
    seconds: float
    interval_seconds: float
    queries: int = 0
    failed_queries: int = 0
    reconnects: int = 0
    outages: list[Outage] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    first_success: datetime | None = None
    interrupted: bool = False

    @property
    def downtime_seconds(self) -> float:
        return sum((outage.seconds for outage in self.outages), 0.0)

    @property
    def longest_outage_seconds(self) -> float:
        return max((outage.seconds for outage in self.outages), default=0.0)

    @property
    def still_down(self) -> bool:
        return bool(self.outages) and self.outages[-1].ended is None

    @property
    def first_failure(self) -> datetime | None:
        return self.outages[0].started if self.outages else None

    @property
    def first_success_after_failure(self) -> datetime | None:
        return self.outages[0].ended if self.outages else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": utc_text(self.started),
            "ended": utc_text(self.ended),
            "seconds": round(self.seconds, 3),
            "interval_seconds": round(self.interval_seconds, 3),
            "queries": self.queries,
            "failed_queries": self.failed_queries,
            "first_failure": utc_text(self.first_failure),
            "first_success_after_failure": utc_text(self.first_success_after_failure),
            "downtime_seconds": round(self.downtime_seconds, 3),
            "longest_outage_seconds": round(self.longest_outage_seconds, 3),
            "outages": [outage.as_dict() for outage in self.outages],
            "reconnects": self.reconnects,
            "errors": dict(self.errors.most_common()),
            "still_down": self.still_down,
            "interrupted": self.interrupted,
        }


def utc_text(value: datetime | None) -> str | None:
    """UTC to the second, as operators compare it with RDS events and CloudWatch."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- error kinds -------------------------------------------------------------------------------

# Substrings of libpq's and PyMySQL's messages (lower case), first match wins. The drivers raise
# one OperationalError class for all of them, so the text is all there is to go on.
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("refused", ("connection refused", "errno 111")),
    ("timeout", ("timeout expired", "timed out", "timeout")),
    (
        "dns",
        ("could not translate host name", "name or service not known", "nodename nor servname"),
    ),
    (
        # Something answered that is not the database (an HTTP proxy, another service).
        "protocol",
        ("expected authentication request", "received invalid response", "packet sequence"),
    ),
    (
        "auth",
        (
            "password authentication failed",
            "pam authentication failed",
            "access denied",
            "no pg_hba.conf entry",
            "authentication",
        ),
    ),
    (
        # The server is up but not serving: a primary shutting down or a standby being promoted.
        "not-accepting",
        (
            "the database system is",
            "server is shutting down",
            "terminating connection",
            "read-only",
            "read only",
        ),
    ),
    (
        "connection-lost",
        (
            "server closed the connection",
            "lost connection",
            "gone away",
            "connection reset",
            "broken pipe",
            "eof",
            "consuming input failed",
            "connection is closed",
            "connection is lost",
            "ssl syscall error",
            "ssl connection has been closed unexpectedly",
        ),
    ),
    ("tls", ("ssl", "certificate", "tls")),
)


def error_kind(error: BaseException) -> str:
    """A short, stable name for what went wrong, to count errors by kind."""
    if isinstance(error, ConnectionRefusedError):
        return "refused"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, socket.gaierror):
        return "dns"
    if isinstance(error, ssl.SSLError):
        return "tls"
    text = str(error).lower()
    for kind, needles in _KINDS:
        if any(needle in text for needle in needles):
            return kind
    if isinstance(error, ConnectionError):
        return "connection-lost"
    return f"other:{type(error).__name__}"


def error_text(error: BaseException) -> str:
    """The first line of the driver's message: libpq adds hints on further lines."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


# --- the loop ----------------------------------------------------------------------------------


def run_probe(
    connect: Connect,
    *,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    duration_seconds: float | None = None,
    clock: Clock = SYSTEM_CLOCK,
    should_stop: Callable[[], bool] = lambda: False,
    on_change: Callable[[StateChange], None] | None = None,
) -> ProbeReport:
    """Query through ``connect`` every ``interval_seconds`` until ``duration_seconds`` have passed,
    ``should_stop()`` is true or the user interrupts (Ctrl-C); return what clients saw.

    An error on a connection closes it and the next tick opens a new one, so a client that
    reconnects is what is measured. An outage still open at the end is closed at the end time and
    reported as ``still_down``.
    """
    start = clock.monotonic()
    wall_start = clock.utcnow()

    def wall(at: float) -> datetime:
        # One wall-clock reading, then monotonic offsets: an NTP step cannot bend the figures.
        return wall_start + timedelta(seconds=at - start)

    report = ProbeReport(
        started=wall_start, ended=wall_start, seconds=0.0, interval_seconds=interval_seconds
    )
    connection: ProbeConnection | None = None
    connections_opened = 0
    up: bool | None = None
    outage: Outage | None = None
    outage_start = 0.0

    try:
        while not should_stop():
            sent = clock.monotonic()
            if duration_seconds is not None and sent - start >= duration_seconds:
                break
            phase = "connect"
            try:
                if connection is None:
                    connection = connect()
                    connections_opened += 1
                phase = "query"
                connection.select_one()
            except Exception as error:  # every failure is a measurement
                _close_quietly(connection)
                connection = None
                key = f"{phase}/{error_kind(error)}"
                report.queries += 1
                report.failed_queries += 1
                report.errors[key] += 1
                if outage is None:
                    outage_start = sent
                    outage = Outage(started=wall(sent), ended=None, seconds=0.0, failed_queries=0)
                    report.outages.append(outage)
                outage.failed_queries += 1
                outage.errors[key] += 1
                if up is not False:
                    up = False
                    _notify(
                        on_change,
                        StateChange(
                            up=False,
                            elapsed_seconds=sent - start,
                            at=wall(sent),
                            error=f"{key}: {error_text(error)}",
                        ),
                    )
            else:
                answered = clock.monotonic()
                report.queries += 1
                report.reconnects = max(0, connections_opened - 1)
                if report.first_success is None:
                    report.first_success = wall(answered)
                if outage is not None:
                    outage.ended = wall(answered)
                    outage.seconds = answered - outage_start
                    outage = None
                if up is not True:
                    up = True
                    last = report.outages[-1] if report.outages else None
                    _notify(
                        on_change,
                        StateChange(
                            up=True,
                            elapsed_seconds=answered - start,
                            at=wall(answered),
                            down_seconds=last.seconds if last else None,
                            reconnects=report.reconnects,
                        ),
                    )
            # One query per interval; a slow attempt (a connect timeout) is followed at once.
            pause = sent + interval_seconds - clock.monotonic()
            if duration_seconds is not None:
                pause = min(pause, start + duration_seconds - clock.monotonic())
            if pause > 0:
                clock.sleep(pause)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        _close_quietly(connection)

    end = clock.monotonic()
    report.reconnects = max(0, connections_opened - 1)
    if outage is not None:
        outage.seconds = end - outage_start
    report.ended = wall(end)
    report.seconds = end - start
    return report


def _close_quietly(connection: ProbeConnection | None) -> None:
    if connection is None:
        return
    # The connection is usually broken already.
    with contextlib.suppress(Exception):
        connection.close()


def _notify(on_change: Callable[[StateChange], None] | None, change: StateChange) -> None:
    if on_change is not None:
        on_change(change)


def check_connect(connect: Connect) -> None:
    """Open one connection and query it, raising the driver's error: a probe that cannot connect
    at all (wrong user, TLS refused, no route) is a configuration problem, not an outage."""
    connection = connect()
    try:
        connection.select_one()
    finally:
        _close_quietly(connection)


def change_line(change: StateChange) -> str:
    """One plain progress line per state change (stderr)."""
    stamp = f"+{change.elapsed_seconds:.3f}s {utc_text(change.at)}"
    if not change.up:
        return f"probe: DOWN at {stamp}: {change.error}"
    if change.down_seconds is None:
        return f"probe: up at {stamp}"
    return (
        f"probe: up at {stamp} after {change.down_seconds:.3f}s down "
        f"({change.reconnects} reconnect(s) so far)"
    )


# --- probing while something else runs ----------------------------------------------------------


class BackgroundProbe:
    """Run the probe in a thread while an operation runs; ``stop()`` returns the report.

    >>> with BackgroundProbe(connect) as probe:   # doctest: +SKIP
    ...     failover()
    >>> probe.report.downtime_seconds             # doctest: +SKIP

    ``stop(wait_up_seconds=...)`` keeps probing, if the database is down when the operation ends,
    until it answers again or that many seconds have passed: RDS may report a failover done while
    clients still reach the old address.
    """

    def __init__(
        self,
        connect: Connect,
        *,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        on_change: Callable[[StateChange], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._connect = connect
        self._interval = interval_seconds
        self._on_change = on_change
        self._stop = threading.Event()
        self._up = threading.Event()
        base = clock or SYSTEM_CLOCK
        # Sleeping on the event lets stop() end the loop at once instead of after a tick.
        self._clock = Clock(monotonic=base.monotonic, sleep=self._stop.wait, utcnow=base.utcnow)
        self._thread: threading.Thread | None = None
        self._report: ProbeReport | None = None
        self._failure: BaseException | None = None
        self._stopped = False

    def _changed(self, change: StateChange) -> None:
        if change.up:
            self._up.set()
        else:
            self._up.clear()
        if self._on_change is not None:
            self._on_change(change)

    def _run(self) -> None:
        try:
            self._report = run_probe(
                self._connect,
                interval_seconds=self._interval,
                clock=self._clock,
                should_stop=self._stop.is_set,
                on_change=self._changed,
            )
        except BaseException as error:  # handed to the caller in stop()
            self._failure = error

    def start(self) -> BackgroundProbe:
        if self._thread is not None:
            raise RuntimeError("the probe is already running")
        self._thread = threading.Thread(target=self._run, name="rds-ha-probe", daemon=True)
        self._thread.start()
        return self

    def wait_until_up(self, timeout_seconds: float) -> bool:
        return self._up.wait(timeout_seconds)

    def stop(self, *, wait_up_seconds: float = 0.0) -> ProbeReport:
        if self._thread is None:
            raise RuntimeError("the probe was not started")
        if wait_up_seconds > 0:
            self._up.wait(wait_up_seconds)
        self._stop.set()
        self._thread.join()
        self._stopped = True
        if self._failure is not None:
            raise self._failure
        assert self._report is not None
        return self._report

    @property
    def report(self) -> ProbeReport:
        if self._report is None:
            raise RuntimeError("the probe is still running; call stop() first")
        return self._report

    def __enter__(self) -> BackgroundProbe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None and not self._stopped:
            self.stop()


def probe_while(
    connect: Connect,
    operation: Callable[[], Any],
    *,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    wait_up_seconds: float = 0.0,
    on_change: Callable[[StateChange], None] | None = None,
) -> tuple[Any, ProbeReport]:
    """Run ``operation()`` while probing; return its result and what clients saw meanwhile. The
    probe starts answering before the operation starts, so the report covers all of it."""
    probe = BackgroundProbe(connect, interval_seconds=interval_seconds, on_change=on_change)
    probe.start()
    try:
        # Wait for the first answer, so that an outage the operation causes is never mistaken
        # for a probe that had not connected yet.
        probe.wait_until_up(CONNECT_TIMEOUT_SECONDS + interval_seconds)
        result = operation()
    except BaseException:
        probe.stop()
        raise
    return result, probe.stop(wait_up_seconds=wait_up_seconds)
