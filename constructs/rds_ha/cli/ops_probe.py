"""The downtime a client sees, measured by querying the database through real connections.

The loop (``run_probe``) knows nothing about drivers or the network: it is given a ``connect``
callable that opens a connection and a clock, so it is tested with fakes. ``probe_connect`` builds
the real ``connect`` for PostgreSQL, MySQL and MariaDB; ``BackgroundProbe`` runs the loop in a
thread while another operation (a failover, a scale-up) runs. ``probe_report`` holds what the loop
reports, ``probe_errors`` how it names errors.

How the figures are defined (docs/runbooks/probe.md):
- every ``interval`` the probe runs ``SELECT 1``, on its open connection or, after a failure, on a
  new one; a tick whose connect or query fails is a failed query;
- an outage starts when the first failed query of a run of failures was sent and ends when the
  first successful query after it has answered, so it is what a client retrying every
  ``interval`` would have seen; each figure is accurate to about one interval.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from rds_ha.cli.probe_errors import error_kind, error_text
from rds_ha.cli.probe_report import Outage, ProbeReport, StateChange

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
