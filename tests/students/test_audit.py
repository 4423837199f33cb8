"""Who viewed or changed which student record, when and through what; append-only; no names."""

import datetime
import logging

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError
from django.urls import reverse

from students.errors import RecordIsPermanent
from students.models import AuditAction, AuditEvent, ServiceKind
from students.services import student_withdraw

from ..conftest import client_for
from ..factories import ServiceNeedFactory, StudentFactory

pytestmark = pytest.mark.django_db


def events_for(user):
    return list(AuditEvent.objects.filter(user=user).order_by("id"))


def test_viewing_a_student_page_records_the_student_and_each_service_need(school_a):
    leader = school_a.leader.user  # the school's leaders see a student's service needs

    client_for(leader).get(reverse("student-detail", args=[school_a.student.pk]))

    events = events_for(leader)
    assert [(e.action, e.model, e.object_id) for e in events] == [
        (AuditAction.VIEW, "students.student", str(school_a.student.pk)),
        (AuditAction.VIEW, "students.serviceneed", str(school_a.iep_need.pk)),
    ]
    assert all(e.special_education for e in events)  # an IEP student and an IEP need
    assert {e.school_id for e in events} == {school_a.school.pk}
    assert events[0].via == f"page /students/{school_a.student.pk}/"
    assert events[0].username == leader.username


def test_a_teacher_without_the_need_to_know_reads_only_the_student(school_a):
    teacher = school_a.teacher.user  # humanities: no service of this student is theirs

    client_for(teacher).get(reverse("student-detail", args=[school_a.student.pk]))

    assert [(e.model, e.object_id) for e in events_for(teacher)] == [
        ("students.student", str(school_a.student.pk))
    ]


def test_special_education_reads_are_flagged_and_others_are_not(school_a):
    learner = StudentFactory(
        school=school_a.school, cohort=school_a.student.cohort, el_level="emerging"
    )
    eld = ServiceNeedFactory(
        student=learner, kind=ServiceKind.ELD, provider_role="humanities", max_group_size=8
    )
    leader = school_a.leader.user

    client_for(leader).get(f"/api/v1/service-needs/{eld.pk}/")
    client_for(leader).get(f"/api/v1/service-needs/{school_a.iep_need.pk}/")

    flags = [(e.object_id, e.special_education) for e in events_for(leader)]
    assert flags == [(str(eld.pk), False), (str(school_a.iep_need.pk), True)]


def test_a_roster_records_one_list_event_per_student_shown(school_a):
    classmate = StudentFactory(school=school_a.school, cohort=school_a.student.cohort)
    teacher = school_a.teacher.user

    client_for(teacher).get(reverse("cohort-roster", args=[school_a.student.cohort.pk]))

    assert sorted(e.object_id for e in events_for(teacher)) == sorted(
        [str(school_a.student.pk), str(classmate.pk)]
    )
    assert {e.action for e in events_for(teacher)} == {AuditAction.LIST}


def test_changing_a_student_in_the_admin_records_the_fields_changed(school_a):
    leader = school_a.leader.user
    student = school_a.student
    url = reverse("admin:students_student_change", args=[student.pk])
    client = client_for(leader)
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data.update(
        {
            "intervention_tier": 2,
            "enrollment_end": "",
            "service_needs-TOTAL_FORMS": 1,
            "service_needs-INITIAL_FORMS": 1,
            "service_needs-0-id": school_a.iep_need.pk,
            "service_needs-0-student": student.pk,
            "service_needs-0-kind": "iep",
            "service_needs-0-minutes_per_week": 120,
            "service_needs-0-max_group_size": 4,
            "service_needs-0-provider_role": "sped",
        }
    )
    data = {k: ("" if v is None else v) for k, v in data.items()}

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    change = AuditEvent.objects.get(user=leader, action=AuditAction.CHANGE)
    assert change.object_id == str(student.pk)
    assert change.detail == {"fields": ["Intervention tier"]}


def test_withdrawing_records_who_did_it_and_keeps_the_record(school_a):
    student = student_withdraw(
        student=school_a.student,
        last_day=datetime.date(2026, 11, 20),
        by=school_a.leader.user,
        via="test",
    )
    assert student.enrollment_end == datetime.date(2026, 11, 20)
    event = AuditEvent.objects.get(action=AuditAction.WITHDRAW)
    assert (event.user_id, event.detail) == (
        school_a.leader.user.pk,
        {"fields": ["enrollment_end"]},
    )


def test_audit_events_cannot_be_changed_or_deleted(school_a):
    client_for(school_a.teacher.user).get(reverse("student-detail", args=[school_a.student.pk]))
    event = AuditEvent.objects.first()

    with pytest.raises(RecordIsPermanent):
        event.save()
    with pytest.raises(RecordIsPermanent):
        event.delete()
    with pytest.raises(RecordIsPermanent):
        AuditEvent.objects.all().delete()
    with pytest.raises(RecordIsPermanent):
        AuditEvent.objects.update(username="someone else")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_to_rewrite_the_audit_trail(school_a):
    client_for(school_a.leader.user).get(reverse("student-detail", args=[school_a.student.pk]))

    for sql in ("UPDATE students_auditevent SET username = 'x'", "DELETE FROM students_auditevent"):
        with (
            pytest.raises(InternalError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEvent.objects.filter(username=school_a.leader.user.username).count() == 2


def test_network_admins_query_the_trail_and_leaders_cannot(network_admin, school_a, school_b):
    client_for(school_a.teacher.user).get(reverse("student-detail", args=[school_a.student.pk]))
    url = reverse("admin:students_auditevent_changelist")

    as_admin = client_for(network_admin).get(
        url, {"action__exact": "view", "model__exact": "students.student"}
    )
    as_leader = client_for(school_a.leader.user).get(url)

    assert as_admin.status_code == 200
    assert [e.object_id for e in as_admin.context["cl"].result_list] == [str(school_a.student.pk)]
    assert as_leader.status_code == 403


def test_logs_name_ids_never_students(school_a, school_b, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(school_a.teacher.user)
    client.get(reverse("student-detail", args=[school_a.student.pk]))
    client.get(reverse("student-detail", args=[school_b.student.pk]))
    student_withdraw(
        student=school_a.student,
        last_day=datetime.date(2026, 11, 20),
        by=school_a.leader.user,
        via="test",
    )

    assert "audit" in caplog.text
    for student in (school_a.student, school_b.student):
        assert student.first_name not in caplog.text
        assert student.last_name not in caplog.text
