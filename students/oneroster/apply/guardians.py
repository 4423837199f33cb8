"""Guardians and their links to students (see ``plan.guardians``)."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from ...models import Guardian, Network, Student
from ...signals import guardians_imported
from ..links import set_links
from ..plan.wanted import GuardianEnded, GuardianRow, Planned, WantedGuardian


def apply_guardians(network: Network, rows: list[Planned[Guardian, GuardianRow]]) -> None:
    """Write the planned guardians and set their links, a fixed number of queries for any
    number of guardians. A student sourcedId links every student of the network holding it
    (the same child at two of its schools)."""
    new: list[Guardian] = []
    changed: list[Guardian] = []
    fields: set[str] = set()
    linked: list[tuple[Guardian, list[str]]] = []
    for row in rows:
        guardian, wanted = row.existing, row.wanted
        values: dict[str, object] = {"active": False} if isinstance(wanted, GuardianEnded) else {}
        if isinstance(wanted, WantedGuardian):
            values = {
                "sourced_id": wanted.sourced_id,
                "given_name": wanted.given_name,
                "family_name": wanted.family_name,
                "email": wanted.email,
                "phone": wanted.phone,
                "sms": wanted.sms,
                "active": wanted.active,
            }
            # None leaves the stored value (a language set by hand).
            if wanted.language is not None:
                values["language"] = wanted.language
            if wanted.relationship is not None:
                values["relationship"] = wanted.relationship
        if guardian is None:
            guardian = Guardian(network=network, **values)
            new.append(guardian)
        else:
            for k, v in values.items():
                setattr(guardian, k, v)
            fields |= set(values)
            changed.append(guardian)
        if not isinstance(wanted, GuardianEnded):
            linked.append((guardian, list(wanted.students)))
    if changed and fields:
        Guardian.objects.bulk_update(changed, sorted(fields), batch_size=1000)
    Guardian.objects.bulk_create(new, batch_size=1000)
    _announce_on_commit([g.pk for g, _ in linked if g.active and g.pk is not None])
    if not linked:
        return
    named = {sid for _, sids in linked for sid in sids}
    pks: dict[str, list[int]] = defaultdict(list)
    for sid, pk in Student.objects.filter(
        school__network=network, sourced_id__in=named
    ).values_list("sourced_id", "pk"):
        pks[sid].append(pk)
    wanted_links = {g.pk: {pk for sid in sids for pk in pks[sid]} for g, sids in linked}
    set_links(Guardian.students.through, "guardian_id", "student_id", wanted_links)


def _announce_on_commit(guardian_ids: list[int]) -> None:
    """Send ``guardians_imported`` once the import commits (never for a dry run, which rolls
    back): listeners read committed guardians and their links."""
    if guardian_ids:
        transaction.on_commit(
            lambda: guardians_imported.send(sender=Guardian, guardian_ids=guardian_ids)
        )
