"""Polling waits with a progress display and a deadline. The clock and sleep are injectable so
tests run instantly; the defaults are the real ones."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from rds_ha.cli.errors import CheckFailedError


@dataclass
class Timer:
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    poll_seconds: float = 15.0
    # Without a terminal (a pipe, CI): a plain progress line at least this often, and whenever
    # the status changes.
    progress_seconds: float = 30.0


DEFAULT_TIMER = Timer()

# A poll returns (done, status text shown next to the spinner).
Poll = Callable[[], tuple[bool, str]]
T = TypeVar("T")


def wait_for(
    what: str,
    poll: Poll,
    *,
    timeout_seconds: float,
    timer: Timer | None = None,
    console: Console | None = None,
) -> float:
    """Poll until done; return the seconds waited. Raise CheckFailedError at the deadline."""
    timer = timer or DEFAULT_TIMER
    console = console or Console(stderr=True)
    if not console.is_terminal:
        return _wait_plain(
            what, poll, timeout_seconds=timeout_seconds, timer=timer, console=console
        )
    start = timer.clock()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(what)
        while True:
            done, status = poll()
            elapsed = timer.clock() - start
            progress.update(task, description=f"{what}: {status}")
            if done:
                return elapsed
            _check_deadline(what, status, elapsed, timeout_seconds)
            timer.sleep(min(timer.poll_seconds, max(timeout_seconds - elapsed, 0.1)))


def _wait_plain(
    what: str, poll: Poll, *, timeout_seconds: float, timer: Timer, console: Console
) -> float:
    """The same wait for logs: one line per status change and at a steady interval, so a CI job
    shows that the command is alive and what it waits for."""
    start = timer.clock()
    last_status: str | None = None
    last_line = start
    while True:
        done, status = poll()
        now = timer.clock()
        elapsed = now - start
        if status != last_status or done or now - last_line >= timer.progress_seconds:
            state = "done" if done else "waiting"
            console.print(
                f"{what}: {status} ({state}, {_elapsed(elapsed)} elapsed)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            last_status, last_line = status, now
        if done:
            return elapsed
        _check_deadline(what, status, elapsed, timeout_seconds)
        timer.sleep(min(timer.poll_seconds, max(timeout_seconds - elapsed, 0.1)))


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _check_deadline(what: str, status: str, elapsed: float, timeout_seconds: float) -> None:
    if elapsed >= timeout_seconds:
        raise CheckFailedError(
            f"timed out after {elapsed:.0f}s waiting for {what} (last status: {status}). "
            "The operation may still be running in AWS; check it before retrying, or "
            "wait longer with --timeout."
        )


@dataclass
class Waited(Generic[T]):
    latest: T  # what the last refresh returned
    seconds: float


def wait_until(
    what: str,
    refresh: Callable[[], T],
    judge: Callable[[T], tuple[bool, str]],
    *,
    timeout_seconds: float,
    timer: Timer | None = None,
) -> Waited[T]:
    """Refresh a resource until ``judge`` says it is done; return its last state."""
    seen: list[T] = []

    def poll() -> tuple[bool, str]:
        seen[:] = [refresh()]
        return judge(seen[0])

    seconds = wait_for(what, poll, timeout_seconds=timeout_seconds, timer=timer)
    return Waited(seen[0], seconds)
