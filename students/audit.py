"""Recording who viewed or changed which student record, when, and through what.

Student records are ``Student`` and ``ServiceNeed`` rows; reads of them are always recorded
(special-education data is flagged, as the law asks schools to keep that record), as are changes
and any attempt to reach another school's objects. Events hold ids, never names.
"""

import logging
from collections.abc import Iterable, Sequence

from django.db import models

from .models import AuditAction, AuditEvent, ServiceNeed, Student
from .permissions import AnyUser

logger = logging.getLogger("rocketship.audit")

STUDENT_RECORD_MODELS: tuple[type[models.Model], ...] = (Student, ServiceNeed)


def is_student_record(obj: models.Model) -> bool:
    return isinstance(obj, STUDENT_RECORD_MODELS)


def is_special_education(obj: models.Model) -> bool:
    if isinstance(obj, Student):
        return obj.has_iep
    if isinstance(obj, ServiceNeed):
        return obj.is_special_education
    return False


def school_id_of(obj: models.Model) -> int | None:
    """Follow the model's ``school_scope`` path to its school's id without another query
    when the path is one hop (``school``) and with the cached relations otherwise."""
    path: str = getattr(type(obj), "school_scope", "school")
    if path == "":
        return obj.pk
    *hops, last = path.split("__")
    target: object = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    value = getattr(target, f"{last}_id", None)
    return value if isinstance(value, int) else None


def _event(
    *, user: AnyUser | None, action: str, obj: models.Model, via: str, detail: dict | None = None
) -> AuditEvent:
    who = user if user is not None and user.is_authenticated else None
    return AuditEvent(
        user_id=who.pk if who is not None else None,
        username=who.get_username() if who is not None else "",
        action=action,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        school_id=school_id_of(obj),
        via=via[:200],
        special_education=is_special_education(obj),
        detail=detail or {},
    )


def audit_reads(
    *, user: AnyUser, objects: Iterable[models.Model], via: str, action: str = AuditAction.VIEW
) -> None:
    """Record a read of each student record among ``objects`` (others are ignored)."""
    events = [
        _event(user=user, action=action, obj=obj, via=via)
        for obj in objects
        if is_student_record(obj)
    ]
    if events:
        AuditEvent.objects.bulk_create(events)
        logger.info(
            "audit %s user_id=%s model=%s count=%d via=%s",
            action,
            events[0].user_id,
            events[0].model,
            len(events),
            via,
        )


def student_named_by(obj: models.Model) -> Student | None:
    """The student a row names through a foreign key (a progress record's, a goal's), read
    from the row's cached relation when the query selected it."""
    for model_field in obj._meta.concrete_fields:
        if model_field.many_to_one and model_field.related_model is Student:
            return getattr(obj, model_field.name)
    return None


def audit_students_shown(
    *, user: AnyUser, objects: Iterable[models.Model], via: str, action: str = AuditAction.LIST
) -> None:
    """Record a read of each student record among ``objects`` and, once a page, of each
    student another row names (a progress record, a goal): a list of those rows shows the
    students' ids. The second kind of event says which model showed the student."""
    events: list[AuditEvent] = []
    named: set[int] = set()
    for obj in objects:
        if is_student_record(obj):
            events.append(_event(user=user, action=action, obj=obj, via=via))
            continue
        student = student_named_by(obj)
        if student is not None and student.pk not in named:
            named.add(student.pk)
            events.append(
                _event(
                    user=user,
                    action=action,
                    obj=student,
                    via=via,
                    detail={"shown_in": obj._meta.label_lower},
                )
            )
    if events:
        AuditEvent.objects.bulk_create(events)
        logger.info(
            "audit %s user_id=%s count=%d via=%s", action, events[0].user_id, len(events), via
        )


def audit_id_page(
    *, user: AnyUser, obj: models.Model, via: str, detail: dict | None = None
) -> None:
    """Record that a page showed the student ids ``obj`` holds (an import's errors or diff):
    one view of ``obj``; ``detail`` says what was shown (counts, never the ids)."""
    event = _event(user=user, action=AuditAction.VIEW, obj=obj, via=via, detail=detail)
    event.save()
    logger.info(
        "audit view user_id=%s model=%s object_id=%s via=%s",
        event.user_id,
        event.model,
        event.object_id,
        via,
    )


def audit_write(
    *,
    user: AnyUser,
    obj: models.Model,
    action: str,
    via: str,
    changed_fields: Sequence[str] = (),
) -> None:
    if not is_student_record(obj):
        return
    event = _event(
        user=user, action=action, obj=obj, via=via, detail={"fields": sorted(changed_fields)}
    )
    event.save()
    logger.info(
        "audit %s user_id=%s model=%s object_id=%s via=%s",
        action,
        event.user_id,
        event.model,
        event.object_id,
        via,
    )


def audit_denied(*, user: AnyUser, obj: models.Model, via: str) -> None:
    event = _event(user=user, action=AuditAction.DENIED, obj=obj, via=via)
    event.save()
    logger.warning(
        "audit denied user_id=%s model=%s object_id=%s school_id=%s via=%s",
        event.user_id,
        event.model,
        event.object_id,
        event.school_id,
        via,
    )


def audit_account_change(
    *,
    user: AnyUser | None,
    account: models.Model,
    via: str,
    changed_fields: Sequence[str],
    school_id: int | None = None,
) -> None:
    """Record a change of a login account (its email, say): who changed which fields of which
    account, and through what; ``school_id`` is the school whose page made it, if any."""
    event = _event(
        user=user,
        action=AuditAction.CHANGE,
        obj=account,
        via=via,
        detail={"fields": sorted(changed_fields)},
    )
    event.school_id = school_id
    event.save()
    logger.info(
        "audit change user_id=%s model=%s object_id=%s fields=%s via=%s",
        event.user_id,
        event.model,
        event.object_id,
        ",".join(sorted(changed_fields)),
        via,
    )
