"""Tags copied from a database to what rds-ha creates from it (a restored instance, a snapshot)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# RDS allows 50 tags per resource and rejects keys in the reserved "aws:" namespace, which
# ListTagsForResource nevertheless returns (aws:cloudformation:stack-name on every database a
# CloudFormation stack created).
MAX_TAGS = 50
RESERVED_PREFIX = "aws:"


def copyable_tags(
    tags: Iterable[dict[str, Any]], extra: Iterable[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """``tags`` without reserved keys, then the ``extra`` tags that still fit under the limit."""
    kept = [tag for tag in tags if not str(tag["Key"]).lower().startswith(RESERVED_PREFIX)]
    kept = kept[:MAX_TAGS]
    for tag in extra:
        if len(kept) < MAX_TAGS and all(tag["Key"] != k["Key"] for k in kept):
            kept.append(tag)
    return kept


def source_tags(rds: Any, arn: str, extra: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    return copyable_tags(rds.list_tags_for_resource(ResourceName=arn).get("TagList", []), extra)
