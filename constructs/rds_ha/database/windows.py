"""Backup and maintenance windows, in the formats RDS uses (UTC).

A backup window is daily, ``hh:mm-hh:mm``; a maintenance window is weekly,
``ddd:hh:mm-ddd:hh:mm``. RDS requires at least 30 minutes for each and refuses overlapping
windows at deploy time; checking here turns that failed deployment into a synth error.
"""

from __future__ import annotations

import re

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MIN_WINDOW_MINUTES = 30
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_TIME = r"([01]\d|2[0-3]):([0-5]\d)"
_BACKUP = re.compile(rf"^{_TIME}-{_TIME}$")
_MAINTENANCE = re.compile(rf"^({'|'.join(DAYS)}):{_TIME}-({'|'.join(DAYS)}):{_TIME}$")

BACKUP_FORMAT = "hh:mm-hh:mm in UTC, at least 30 minutes, e.g. '03:00-03:30'"
MAINTENANCE_FORMAT = "ddd:hh:mm-ddd:hh:mm in UTC, at least 30 minutes, e.g. 'sun:04:00-sun:04:30'"


def parse_backup_window(window: str) -> tuple[int, int]:
    """(start, length) in minutes of the day; raises ValueError with the allowed format."""
    match = _BACKUP.match(window)
    if not match:
        raise ValueError(f"{window!r} is not {BACKUP_FORMAT}")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    length = (end - start) % MINUTES_PER_DAY
    if length < MIN_WINDOW_MINUTES:
        raise ValueError(f"{window!r} lasts {length} minutes; it must last at least 30 minutes")
    return start, length


def parse_maintenance_window(window: str) -> tuple[int, int]:
    """(start, length) in minutes of the week from Monday 00:00; raises ValueError."""
    match = _MAINTENANCE.match(window.lower())
    if not match or window != window.lower():
        raise ValueError(f"{window!r} is not {MAINTENANCE_FORMAT} (lower-case day names)")
    start = DAYS.index(match[1]) * MINUTES_PER_DAY + int(match[2]) * 60 + int(match[3])
    end = DAYS.index(match[4]) * MINUTES_PER_DAY + int(match[5]) * 60 + int(match[6])
    length = (end - start) % MINUTES_PER_WEEK
    if length < MIN_WINDOW_MINUTES:
        raise ValueError(f"{window!r} lasts {length} minutes; it must last at least 30 minutes")
    return start, length


def _overlaps(a_start: int, a_length: int, b_start: int, b_length: int, period: int) -> bool:
    # Two intervals on a circle overlap when either starts inside the other.
    return (b_start - a_start) % period < a_length or (a_start - b_start) % period < b_length


def windows_overlap(backup_window: str, maintenance_window: str) -> bool:
    """Whether the daily backup window meets the weekly maintenance window on any day."""
    backup_start, backup_length = parse_backup_window(backup_window)
    maintenance_start, maintenance_length = parse_maintenance_window(maintenance_window)
    return any(
        _overlaps(
            day * MINUTES_PER_DAY + backup_start,
            backup_length,
            maintenance_start,
            maintenance_length,
            MINUTES_PER_WEEK,
        )
        for day in range(7)
    )
