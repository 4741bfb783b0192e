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


def whole_days(field: str, value: Duration | None) -> tuple[int | None, str | None]:
    """``value`` in whole days, or None and a problem naming ``field``; None passes."""
    return _whole(field, value, Duration, "Duration.days", per_unit=_SECONDS_PER_DAY, unit="days")


def whole_seconds(field: str, value: Duration | None) -> tuple[int | None, str | None]:
    """``value`` in whole seconds, or None and a problem naming ``field``; None passes."""
    return _whole(field, value, Duration, "Duration.seconds", per_unit=1, unit="seconds")


def whole_gib(field: str, value: Size | None) -> tuple[int | None, str | None]:
    """``value`` in whole GiB, or None and a problem naming ``field``; None passes."""
    return _whole(field, value, Size, "Size.gibibytes", per_unit=1, unit="GiB")


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
