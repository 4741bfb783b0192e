"""Reading values out of template properties. Intrinsics (Ref, Fn::GetAtt, Fn::Join...) are
compared as the JSON structures they are: the guard never tries to evaluate them."""

from __future__ import annotations

import re
from typing import Any

SUB_VARIABLE = re.compile(r"\$\{(?!!)([A-Za-z0-9:]+)(?:\.[^}]*)?\}")
# CDK names file assets by the SHA-256 of their content; a new hash is a new Lambda bundle,
# not a change anyone reviews in a data-safety report.
ASSET_HASH = re.compile(r"[0-9a-f]{64}")


class _Absent:
    """A property that is not in the template (distinct from an explicit null)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(absent)"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


def is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = str(next(iter(value)))
    return key == "Ref" or key.startswith("Fn::")


def resolve_pointer(properties: dict[str, Any], pointer: str) -> Any:
    """The value at a schema pointer such as ``/properties/MasterUserSecret/KmsKeyId``.

    ``*`` maps over list items. An intrinsic met on the way is returned whole, so a change to it
    still shows up as a change.
    """
    parts = pointer.split("/")
    if parts[:2] != ["", "properties"]:
        raise ValueError(f"not a property pointer: {pointer!r}")
    return _walk(properties, parts[2:])


def _walk(value: Any, parts: list[str]) -> Any:
    if not parts or is_intrinsic(value):
        return value
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [_walk(item, rest) for item in value] if isinstance(value, list) else ABSENT
    if isinstance(value, dict) and head in value:
        return _walk(value[head], rest)
    return ABSENT


def referenced_ids(value: Any) -> set[str]:
    """Logical ids (or parameters) a value points at through Ref, Fn::GetAtt or Fn::Sub."""
    if isinstance(value, list):
        return set().union(*(referenced_ids(item) for item in value))
    if not isinstance(value, dict):
        return set()
    if is_intrinsic(value):
        key, argument = next(iter(value.items()))
        if key == "Ref" and isinstance(argument, str):
            return {argument}
        if key == "Fn::GetAtt":
            if isinstance(argument, str):
                return {argument.split(".", 1)[0]}
            if isinstance(argument, list) and argument and isinstance(argument[0], str):
                return {argument[0]} | referenced_ids(argument[1:])
        if key == "Fn::Sub":
            return _sub_references(argument)
    return set().union(*(referenced_ids(item) for item in value.values()))


def _sub_references(argument: Any) -> set[str]:
    if isinstance(argument, str):
        return {name for name in SUB_VARIABLE.findall(argument) if "::" not in name}
    if isinstance(argument, list) and argument and isinstance(argument[0], str):
        variables = argument[1] if len(argument) > 1 and isinstance(argument[1], dict) else {}
        own = _sub_references(argument[0]) - set(variables)
        return own | referenced_ids(variables)
    return referenced_ids(argument)


def without_asset_hashes(value: Any) -> Any:
    if isinstance(value, str):
        return ASSET_HASH.sub("<asset-hash>", value)
    if isinstance(value, list):
        return [without_asset_hashes(item) for item in value]
    if isinstance(value, dict):
        return {key: without_asset_hashes(item) for key, item in value.items()}
    return value


def pointer_to_property(pointer: str) -> str:
    """``/properties/MasterUserSecret/KmsKeyId`` -> ``MasterUserSecret.KmsKeyId``."""
    return ".".join(pointer.split("/")[2:])


def is_true(value: Any) -> bool:
    """CloudFormation accepts booleans as JSON booleans or as the strings "true"/"false"."""
    return value is True or (isinstance(value, str) and value.lower() == "true")
