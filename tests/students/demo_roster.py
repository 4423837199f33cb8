"""The demo network's plan (``rocketship.demo.plan``) written as a OneRoster 1.1 export, the
way a student information system would export such a school:

- the network as a district, each school as a school org, one school year;
- a homeroom class per cohort (course "Homeroom"), each student enrolled in theirs;
- each humanities and STEM teacher teaching a scheduled class per cohort they serve
  ("Literacy - K Stanford", course "Literacy" / "Math") with that cohort's students in it;
- specials, sped and ILS staff teaching a scheduled class of their subject; tutors as aides,
  leaders as administrators;
- withdrawn students left out (they are no longer in the SIS's active roster).
"""

from __future__ import annotations

import datetime

from rocketship.demo.plan import SchoolPlan, enrollment_start, plan_network
from students.models import Role

from .oneroster_files import OneRosterExport

MODIFIED = "2026-08-01T12:00:00.000Z"
GRADE_CODES = {0: "KG", 1: "01", 2: "02", 3: "03", 4: "04", 5: "05"}
COURSES: dict[str, str] = {
    Role.HUMANITIES: "Literacy",
    Role.STEM: "Math",
    Role.SPECIALS: "Art and Music",
    Role.SPED: "Special Education Resource",
    Role.ILS: "Learning Lab",
}
ORG_ROLES: dict[str, str] = {Role.LEADER: "administrator", Role.TUTOR: "aide"}


def demo_export(today: datetime.date) -> tuple[OneRosterExport, tuple[SchoolPlan, ...]]:
    common = {"status": "active", "dateLastModified": MODIFIED}
    start = enrollment_start(today=today)
    plans = plan_network(today=today)
    tables: dict[str, list[dict[str, str]]] = {
        name: []
        for name in (
            "orgs.csv",
            "academicSessions.csv",
            "courses.csv",
            "classes.csv",
            "users.csv",
            "enrollments.csv",
        )
    }
    tables["orgs.csv"].append(
        {**common, "sourcedId": "district", "name": "Bay Valley", "type": "district"}
    )
    tables["academicSessions.csv"].append(
        {
            **common,
            "sourcedId": "year",
            "title": f"{start.year}-{start.year + 1}",
            "type": "schoolYear",
            "startDate": start.isoformat(),
            "endDate": datetime.date(start.year + 1, 6, 12).isoformat(),
            "schoolYear": str(start.year + 1),
        }
    )
    for plan in plans:
        _school(tables, common, plan, start)
    return OneRosterExport("1.1", tables), plans


def _school(tables, common, plan: SchoolPlan, start: datetime.date) -> None:
    sid = plan.school.slug
    add = {name: tables[name].append for name in tables}
    add["orgs.csv"](
        {
            **common,
            "sourcedId": sid,
            "name": plan.school.name,
            "type": "school",
            "parentSourcedId": "district",
        }
    )
    for title in ("Homeroom", *COURSES.values()):
        add["courses.csv"](
            {
                **common,
                "sourcedId": f"{sid}-{title}",
                "schoolYearSourcedId": "year",
                "title": title,
                "orgSourcedId": sid,
            }
        )

    def klass(class_id: str, title: str, course: str, kind: str, grades: str) -> None:
        add["classes.csv"](
            {
                **common,
                "sourcedId": class_id,
                "title": title,
                "grades": grades,
                "courseSourcedId": f"{sid}-{course}",
                "classType": kind,
                "schoolSourcedId": sid,
                "termSourcedIds": "year",
            }
        )

    def enroll(class_id: str, user_id: str, role: str) -> None:
        add["enrollments.csv"](
            {
                **common,
                "sourcedId": f"{class_id}-{user_id}",
                "classSourcedId": class_id,
                "schoolSourcedId": sid,
                "userSourcedId": user_id,
                "role": role,
                "beginDate": start.isoformat(),
            }
        )

    def user(user_id: str, role: str, username: str, first: str, last: str, **more: str) -> None:
        add["users.csv"](
            {
                **common,
                "sourcedId": user_id,
                "enabledUser": "true",
                "orgSourcedIds": sid,
                "role": role,
                "username": username,
                "givenName": first,
                "familyName": last,
                **more,
            }
        )

    homeroom = {name: f"{sid}-hr-{n}" for n, (_, name) in enumerate(plan.cohorts)}
    for level, name in plan.cohorts:
        klass(homeroom[name], name, "Homeroom", "homeroom", GRADE_CODES[level])
    members: dict[str, list[str]] = {name: [] for _, name in plan.cohorts}
    for student in plan.students:
        if student.withdrawn_on is not None:
            continue
        user_id = f"{sid}-{student.local_id}"
        user(
            user_id,
            "student",
            student.local_id.lower(),
            student.first_name,
            student.last_name,
            identifier=student.local_id,
            grades=GRADE_CODES[student.grade],
        )
        enroll(homeroom[student.cohort], user_id, "student")
        members[student.cohort].append(user_id)
    grade_of = dict((name, level) for level, name in plan.cohorts)
    for n, staff in enumerate(plan.staff):
        user_id = f"{sid}-staff-{n}"
        role = ORG_ROLES.get(staff.role, "teacher")
        user(user_id, role, staff.username, staff.first_name, staff.last_name, email=staff.email)
        course = COURSES.get(staff.role)
        if course is None:
            continue
        if staff.cohorts:
            for cohort in staff.cohorts:
                class_id = f"{user_id}-{homeroom[cohort]}"
                klass(
                    class_id,
                    f"{course} - {cohort}",
                    course,
                    "scheduled",
                    GRADE_CODES[grade_of[cohort]],
                )
                enroll(class_id, user_id, "teacher")
                for student_id in members[cohort]:
                    enroll(class_id, student_id, "student")
        else:
            grades = ",".join(GRADE_CODES[g] for g in staff.grades) or "KG"
            class_id = f"{user_id}-{course}"
            klass(class_id, course, course, "scheduled", grades)
            enroll(class_id, user_id, "teacher")
