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
            if elapsed >= timeout_seconds:
                raise CheckFailedError(
                    f"timed out after {elapsed:.0f}s waiting for {what} (last status: {status}). "
                    "The operation may still be running in AWS; check it before retrying, or "
                    "wait longer with --timeout."
                )
            timer.sleep(min(timer.poll_seconds, max(timeout_seconds - elapsed, 0.1)))


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
