"""Compare two synthesized cloud assemblies and report every change that would delete or
replace a resource holding data, or weaken what protects it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rds_ha.guard.assembly import GuardInputError, load_assembly, stack_name_of
from rds_ha.guard.conditions import conditioned
from rds_ha.guard.findings import (
    Category,
    Finding,
    GuardReport,
    Resource,
    Template,
    properties,
    resources,
)
from rds_ha.guard.protections import (
    aws_refusals,
    backups_disabled,
    effective_policy,
    fate_of_old,
    protection_off,
    protection_pointers,
    weakened_policies,
)
from rds_ha.guard.schemas import (
    RETAIN,
    RETAIN_EXCEPT_ON_CREATE,
    SNAPSHOT,
    Replaces,
    is_stateful,
    replacement_rules,
)
from rds_ha.guard.values import (
    ABSENT,
    pointer_to_property,
    referenced_ids,
    resolve_pointer,
    without_asset_hashes,
)

# Below this share of equal properties, a new resource of the same type is not called a rename.
RENAME_MIN_SIMILARITY = 0.5


@dataclass(frozen=True)
class _Cause:
    """Why a resource would be replaced: one create-only property."""

    pointer: str
    conditional: bool
    old: Any
    new: Any
    via: str | None = None


def compare_paths(baseline: Path, current: Path) -> GuardReport:
    """Compare two cloud assemblies, or two single template files."""
    old = load_assembly(baseline, label="BASELINE")
    new = load_assembly(current, label="CURRENT")
    if baseline.is_file() != current.is_file():
        raise GuardInputError(
            f"BASELINE {str(baseline)!r} and CURRENT {str(current)!r} must both be cloud "
            "assembly directories or both be single template files"
        )
    if baseline.is_file() and current.is_file():
        new = {next(iter(old)): next(iter(new.values()))}
    return compare_assemblies(old, new)


def compare_assemblies(
    baseline: Mapping[str, Template], current: Mapping[str, Template]
) -> GuardReport:
    """Templates are matched by their key (the template file name)."""
    findings: list[Finding] = []
    for key, old_template in sorted(baseline.items()):
        stack = stack_name_of(Path(key))
        if key in current:
            findings.extend(compare_templates(stack, old_template, current[key]))
        else:
            findings.append(_stack_removed(stack, key, old_template))
    findings.extend(
        _no_baseline(stack_name_of(Path(key)), key) for key in sorted(set(current) - set(baseline))
    )
    findings.sort(key=lambda f: (not f.unsafe, f.stack, f.logical_id, f.property or ""))
    stacks = tuple(stack_name_of(Path(key)) for key in sorted(set(baseline) | set(current)))
    return GuardReport(findings=tuple(findings), stacks=stacks)


def compare_templates(stack: str, baseline: Template, current: Template) -> list[Finding]:
    old_resources = resources(baseline)
    new_resources = resources(current)
    causes = _replacement_causes(old_resources, new_resources)
    findings: list[Finding] = []
    for logical_id, old in old_resources.items():
        new = new_resources.get(logical_id)
        if new is None or new["Type"] != old["Type"]:
            if is_stateful(old["Type"]):
                findings.append(_removed(stack, logical_id, old, old_resources, new_resources))
            continue
        findings.extend(_changes(stack, logical_id, old, new, causes.get(logical_id, [])))
        if is_stateful(old["Type"]):
            findings.extend(
                conditioned(stack, logical_id, old, new, baseline=baseline, current=current)
            )
    return findings


def _replacement_causes(
    old_resources: Mapping[str, Resource], new_resources: Mapping[str, Resource]
) -> dict[str, list[_Cause]]:
    """Create-only changes per logical id, including those that follow from a referenced
    resource being replaced (a new subnet group gets a new name, so the database that names it
    is replaced too, although its own template text did not change)."""
    common = [
        logical_id
        for logical_id, old in old_resources.items()
        if logical_id in new_resources and new_resources[logical_id]["Type"] == old["Type"]
    ]
    causes: dict[str, list[_Cause]] = {}
    for logical_id in common:
        direct = _most_specific(
            _direct_causes(old_resources[logical_id], new_resources[logical_id])
        )
        if direct:
            causes[logical_id] = direct
    replaced = {lid for lid, found in causes.items() if any(not c.conditional for c in found)}
    changed = True
    while changed:
        changed = False
        for logical_id in common:
            if logical_id not in replaced and any(
                not cause.conditional
                for cause in _indirect_causes(
                    old_resources[logical_id], new_resources[logical_id], replaced
                )
            ):
                replaced.add(logical_id)
                changed = True
    for logical_id in common:
        indirect = list(
            _indirect_causes(old_resources[logical_id], new_resources[logical_id], replaced)
        )
        if indirect:
            causes.setdefault(logical_id, []).extend(indirect)
    return causes


def _create_only_pointers(resource_type: str) -> Iterator[tuple[str, Replaces | None]]:
    """Create-only pointers, each with None (always replaces) or, for a conditional one, the
    test of the changes that replace the resource."""
    rules = replacement_rules(resource_type)
    if rules is None:
        return
    yield from ((pointer, None) for pointer in rules.create_only)
    yield from rules.conditional


def _direct_causes(old: Resource, new: Resource) -> Iterator[_Cause]:
    for pointer, replaces in _create_only_pointers(old["Type"]):
        before = resolve_pointer(properties(old), pointer)
        after = resolve_pointer(properties(new), pointer)
        if before != after and (replaces is None or replaces(before, after)):
            yield _Cause(pointer, replaces is not None, before, after)


def _most_specific(causes: Iterator[_Cause]) -> list[_Cause]:
    """Schemas list both ``/properties/A`` and ``/properties/A/B``; report only ``A/B``."""
    found = list(causes)
    pointers = [cause.pointer for cause in found]
    return [c for c in found if not any(p.startswith(c.pointer + "/") for p in pointers)]


def _indirect_causes(old: Resource, new: Resource, replaced: set[str]) -> Iterator[_Cause]:
    for pointer, replaces in _create_only_pointers(old["Type"]):
        before = resolve_pointer(properties(old), pointer)
        after = resolve_pointer(properties(new), pointer)
        if before == after:
            for via in sorted(referenced_ids(after) & replaced):
                yield _Cause(pointer, replaces is not None, before, after, via=via)


# --- findings ---------------------------------------------------------------------------------


def _changes(
    stack: str, logical_id: str, old: Resource, new: Resource, causes: list[_Cause]
) -> Iterator[Finding]:
    resource_type = old["Type"]
    stateful = is_stateful(resource_type)
    for cause in causes:
        if stateful or cause.via or not _only_asset_hash_changed(cause.old, cause.new):
            yield _replacement(stack, logical_id, old, new, cause, stateful=stateful)
    if not stateful:
        # Properties changed in place on a resource holding no data: listed, never blocking.
        covered = {pointer_to_property(c.pointer).split(".")[0] for c in causes}
        yield from _in_place(stack, logical_id, old, new, covered, normalise=without_asset_hashes)
        return
    yield from weakened_policies(stack, logical_id, old, new)
    yield from protection_off(stack, logical_id, old, new)
    disabled = backups_disabled(stack, logical_id, old, new)
    yield from disabled
    refused = aws_refusals(stack, logical_id, old, new)
    yield from refused
    covered = {pointer_to_property(c.pointer).split(".")[0] for c in causes}
    covered |= {pointer_to_property(p) for p in protection_pointers(resource_type)}
    covered |= {f.property for f in [*disabled, *refused] if f.property}
    yield from _in_place(stack, logical_id, old, new, covered, normalise=lambda value: value)


def _only_asset_hash_changed(before: Any, after: Any) -> bool:
    """A new CDK asset (e.g. a Lambda layer's bundle) replaces the resource by design."""
    return bool(without_asset_hashes(before) == without_asset_hashes(after))


def _replacement(
    stack: str, logical_id: str, old: Resource, new: Resource, cause: _Cause, *, stateful: bool
) -> Finding:
    resource_type = old["Type"]
    prop = pointer_to_property(cause.pointer)
    if cause.via:
        reason = f"create-only property {prop} refers to {cause.via}, which would be replaced"
    elif cause.conditional:
        reason = (
            f"{prop} changed; CloudFormation replaces the resource when this change cannot be "
            "made in place"
        )
    else:
        reason = f"create-only property {prop} changed"
    if not stateful:
        category = Category.REPLACED_NO_DATA
        message = f"would be replaced: {reason}"
    else:
        category = Category.MAY_BE_REPLACED if cause.conditional else Category.REPLACED
        verb = "may be replaced" if cause.conditional else "would be replaced"
        policy = effective_policy(new, "UpdateReplacePolicy")
        message = (
            f"{verb}: {reason}; CloudFormation creates a new, empty {resource_type} and "
            f"{fate_of_old(policy)} the old one (UpdateReplacePolicy {policy})"
        )
    return Finding(stack, logical_id, resource_type, category, prop, cause.old, cause.new, message)


def _in_place(
    stack: str,
    logical_id: str,
    old: Resource,
    new: Resource,
    covered: set[str],
    *,
    normalise: Any,
) -> Iterator[Finding]:
    before_all = properties(old)
    after_all = properties(new)
    for prop in sorted(set(before_all) | set(after_all)):
        if prop in covered:
            continue
        before = before_all.get(prop, ABSENT)
        after = after_all.get(prop, ABSENT)
        if normalise(before) == normalise(after):
            continue
        yield Finding(
            stack,
            logical_id,
            old["Type"],
            Category.IN_PLACE,
            prop,
            before,
            after,
            f"{prop} is updated in place",
        )


def _removed(
    stack: str,
    logical_id: str,
    old: Resource,
    old_resources: Mapping[str, Resource],
    new_resources: Mapping[str, Resource],
) -> Finding:
    resource_type = old["Type"]
    policy = effective_policy(old, "DeletionPolicy")
    if policy in {RETAIN, RETAIN_EXCEPT_ON_CREATE}:
        fate = "leaves it behind, no longer managed by the stack"
    elif policy == SNAPSHOT:
        fate = "takes a final snapshot and deletes it"
    else:
        fate = "deletes it"
    message = (
        f"removed: logical id {logical_id} is gone; CloudFormation {fate} (DeletionPolicy {policy})"
    )
    rename = _likely_rename(old, old_resources, new_resources)
    if rename:
        new_id, equal, total = rename
        message += (
            f". Likely renamed to {new_id} ({equal} of {total} properties equal): a rename "
            f"creates a new, empty {resource_type}"
        )
    return Finding(
        stack,
        logical_id,
        resource_type,
        Category.REMOVED,
        None,
        logical_id,
        rename[0] if rename else ABSENT,
        message,
    )


def _likely_rename(
    old: Resource,
    old_resources: Mapping[str, Resource],
    new_resources: Mapping[str, Resource],
) -> tuple[str, int, int] | None:
    best: tuple[float, str, int, int] | None = None
    for new_id, candidate in new_resources.items():
        if new_id in old_resources or candidate["Type"] != old["Type"]:
            continue
        equal, total = _similarity(properties(old), properties(candidate))
        score = equal / total if total else 1.0
        if score >= RENAME_MIN_SIMILARITY and (best is None or score > best[0]):
            best = (score, new_id, equal, total)
    return None if best is None else best[1:]


def _similarity(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[int, int]:
    keys = set(old) | set(new)
    return sum(1 for key in keys if old.get(key, ABSENT) == new.get(key, ABSENT)), len(keys)


def _stack_removed(stack: str, key: str, template: Template) -> Finding:
    stateful = sorted(lid for lid, r in resources(template).items() if is_stateful(r["Type"]))
    held = (
        f"; it holds {len(stateful)} stateful resource(s): {', '.join(stateful)}"
        if stateful
        else ""
    )
    return Finding(
        stack,
        "-",
        "AWS::CloudFormation::Stack",
        Category.STACK_REMOVED,
        None,
        key,
        ABSENT,
        f"stack template {key} is missing from CURRENT{held}: a deploy without it deletes "
        "the stack. If it is not one of your environments (a shipped example), or you removed "
        "the environment on purpose, delete its baseline file",
    )


def _no_baseline(stack: str, key: str) -> Finding:
    return Finding(
        stack,
        "-",
        "AWS::CloudFormation::Stack",
        Category.NO_BASELINE,
        None,
        ABSENT,
        key,
        f"no baseline yet for {key}: nothing to compare it with; adopt the missing baselines "
        "with `make baselines` (python -m rds_ha.guard.adopt BASELINE CURRENT)",
    )
