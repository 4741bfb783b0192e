"""Time and size props as aws-cdk-lib types (``Duration``, ``Size``), read as the whole days,
seconds or GiB that RDS, AWS Backup and S3 take; the rules then check the numbers.

Every construct prop that is a time or a size is a ``Duration`` or a ``Size``
(``backup_retention=Duration.days(14)``, ``allocated_storage=Size.gibibytes(200)``), as in
aws-cdk-lib; the ``environments.toml`` keys keep their units in their names
(``backup_retention_days = 14``) and the configuration layer maps them onto these types.
A rule's problem names the prop and the value as it was given (``renamed``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from aws_cdk import Duration, Size, SizeRoundingBehavior, Token

_SECONDS_PER_DAY = 86400
# HighlyAvailableDatabase's numbers that the rules check, by the props that carry them.
DATABASE_PROPS_BY_NUMBER = {
    "allocated_storage_gib": ("allocated_storage", "Size.gibibytes"),
    "max_allocated_storage_gib": ("max_allocated_storage", "Size.gibibytes"),
    "backup_retention_days": ("backup_retention", "Duration.days"),
    "monitoring_interval_seconds": ("monitoring_interval", "Duration.seconds"),
}


def whole_days(field: str, value: Duration | None) -> tuple[int | None, str | None]:
    """``value`` in whole days, or None and a problem naming ``field``; None passes."""
    return _whole(field, value, Duration, "Duration.days", per_unit=_SECONDS_PER_DAY, unit="days")


def whole_seconds(field: str, value: Duration | None) -> tuple[int | None, str | None]:
    """``value`` in whole seconds, or None and a problem naming ``field``; None passes."""
    return _whole(field, value, Duration, "Duration.seconds", per_unit=1, unit="seconds")


def whole_gib(field: str, value: Size | None) -> tuple[int | None, str | None]:
    """``value`` in whole GiB, or None and a problem naming ``field``; None passes."""
    return _whole(field, value, Size, "Size.gibibytes", per_unit=1, unit="GiB")


def database_numbers(
    *,
    allocated_storage: Size | None,
    max_allocated_storage: Size | None,
    backup_retention: Duration | None,
    monitoring_interval: Duration | None,
) -> tuple[dict[str, int | None], list[str]]:
    """``HighlyAvailableDatabase``'s time and size props as the numbers its rules check
    (keyed as ``DATABASE_PROPS_BY_NUMBER``), and a problem for each that is not whole units."""
    converted = {
        "allocated_storage_gib": whole_gib("allocated_storage", allocated_storage),
        "max_allocated_storage_gib": whole_gib("max_allocated_storage", max_allocated_storage),
        "backup_retention_days": whole_days("backup_retention", backup_retention),
        "monitoring_interval_seconds": whole_seconds("monitoring_interval", monitoring_interval),
    }
    numbers = {name: number for name, (number, _) in converted.items()}
    return numbers, [problem for _, problem in converted.values() if problem]


def _whole(
    field: str, value: object, kind: type, example: str, *, per_unit: int, unit: str
) -> tuple[int | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, kind):
        return None, (
            f"{field}={value!r}: must be a {kind.__name__}, e.g. {example}(7), not "
            f"{type(value).__name__}"
        )
    if isinstance(value, Duration):
        amount = value.to_seconds(integral=False)
    else:
        assert isinstance(value, Size)
        amount = value.to_gibibytes(rounding=SizeRoundingBehavior.NONE)
    if Token.is_unresolved(amount):
        return None, f"{field}: must be a literal {kind.__name__}, not a token"
    if amount % per_unit or not float(amount / per_unit).is_integer():
        given = (
            value.to_human_string()
            if isinstance(value, Duration)
            else f"{value.to_mebibytes(rounding=SizeRoundingBehavior.NONE):g} MiB"
        )
        return None, f"{field}={given}: must be whole {unit}"
    return int(amount // per_unit), None


def renamed(problems: Iterable[str], props: Mapping[str, tuple[str, str]]) -> list[str]:
    """The rules' problems, which name numbers (``backup_retention_days=40``), as the props
    that carried them (``backup_retention=Duration.days(40)``): ``props`` maps each number's
    name to the prop and its factory."""
    result = []
    for problem in problems:
        text = problem
        for number, (prop, factory) in props.items():
            text = re.sub(rf"\b{re.escape(number)}=(-?[0-9.]+)", rf"{prop}={factory}(\1)", text)
        result.append(text)
    return result
