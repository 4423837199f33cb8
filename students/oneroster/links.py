"""Setting many-to-many links for many rows at once."""

from collections import defaultdict
from typing import Any


def set_links(through: Any, owner: str, column: str, wanted: dict[int, set[int]]) -> None:
    """``row.<m2m>.set(...)`` for many rows in three queries: the links they have, then
    deleting the ones not wanted and adding the missing ones. ``through`` is the link model,
    ``owner`` its column naming the row (``staff_id``), ``column`` the one naming the target;
    ``wanted`` maps each row's pk to its targets' pks."""
    have: dict[int, dict[int, int]] = defaultdict(dict)  # row -> target -> link pk
    for pk, row, target in through.objects.filter(**{f"{owner}__in": list(wanted)}).values_list(
        "pk", owner, column
    ):
        have[row][target] = pk
    stale = [
        pk
        for row, targets in wanted.items()
        for target, pk in have[row].items()
        if target not in targets
    ]
    missing = [
        through(**{owner: row, column: target})
        for row, targets in wanted.items()
        for target in sorted(targets)
        if target not in have[row]
    ]
    through.objects.filter(pk__in=stale).delete()
    through.objects.bulk_create(missing, batch_size=1000)
