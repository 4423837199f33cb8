"""Factories for every model; related objects stay in the same school unless a test says not."""

import datetime
from typing import cast

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from scheduling.models import Room, RoomKind
from students.models import (
    Cohort,
    ELLevel,
    Grade,
    Guardian,
    Network,
    NetworkAdmin,
    Role,
    School,
    ServiceKind,
    ServiceNeed,
    Staff,
    StaffRole,
    Student,
)

PASSWORD = "correct-horse-battery"


class NetworkFactory(factory.django.DjangoModelFactory[Network]):
    class Meta:
        model = Network
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")


class SchoolFactory(factory.django.DjangoModelFactory[School]):
    class Meta:
        model = School

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"School {n}")
    slug = factory.Sequence(lambda n: f"school-{n}")
    time_zone = "America/Los_Angeles"


class GradeFactory(factory.django.DjangoModelFactory[Grade]):
    class Meta:
        model = Grade
        django_get_or_create = ["school", "level"]

    school = factory.SubFactory(SchoolFactory)
    level = 3


class CohortFactory(factory.django.DjangoModelFactory[Cohort]):
    class Meta:
        model = Cohort

    school = factory.SubFactory(SchoolFactory)
    grade = factory.LazyAttribute(lambda o: GradeFactory.create(school=o.school))
    name = factory.Sequence(lambda n: f"3 College {n}")


class StudentFactory(factory.django.DjangoModelFactory[Student]):
    class Meta:
        model = Student

    school = factory.SubFactory(SchoolFactory)
    cohort = factory.LazyAttribute(lambda o: CohortFactory.create(school=o.school))
    grade = factory.LazyAttribute(
        lambda o: o.cohort.grade if o.cohort else GradeFactory.create(school=o.school)
    )
    local_id = factory.Sequence(lambda n: f"S{n:05d}")
    first_name = factory.Sequence(lambda n: f"Ana{n}")
    last_name = factory.Sequence(lambda n: f"Nguyen{n}")
    enrollment_start = datetime.date(2026, 8, 12)
    el_level = ELLevel.NOT_EL


class ServiceNeedFactory(factory.django.DjangoModelFactory[ServiceNeed]):
    class Meta:
        model = ServiceNeed

    student = factory.SubFactory(StudentFactory, has_iep=True)
    kind = ServiceKind.IEP
    minutes_per_week = 120
    max_group_size = 4
    provider_role = Role.SPED


class GuardianFactory(factory.django.DjangoModelFactory[Guardian]):
    """A guardian of the network; ``students=[...]`` links their children."""

    class Meta:
        model = Guardian
        skip_postgeneration_save = True

    network = factory.SubFactory(NetworkFactory)
    sourced_id = factory.Sequence(lambda n: f"guardian-{n}")
    given_name = "Maria"
    family_name = factory.Sequence(lambda n: f"Lopez{n}")
    email = factory.LazyAttribute(lambda o: f"{o.sourced_id}@example.org")

    @factory.post_generation
    def students(self, create: bool, extracted: list[Student] | None, **kwargs: object) -> None:
        if extracted:
            self.students.set(extracted)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Staffer{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(PASSWORD)


class StaffFactory(factory.django.DjangoModelFactory[Staff]):
    """Staff with ``roles=[...]`` (default: a humanities teacher)."""

    class Meta:
        model = Staff
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        for role in extracted if extracted is not None else [Role.HUMANITIES]:
            # post_generation passes the Staff just made as ``self``.
            StaffRole.objects.create(staff=cast(Staff, self), role=role)

    @factory.post_generation
    def cohorts(self, create: bool, extracted: list[Cohort] | None, **kwargs: object) -> None:
        if extracted:
            self.cohorts.set(extracted)

    @factory.post_generation
    def grades(self, create: bool, extracted: list[Grade] | None, **kwargs: object) -> None:
        if extracted:
            self.grades.set(extracted)


class NetworkAdminFactory(factory.django.DjangoModelFactory[NetworkAdmin]):
    class Meta:
        model = NetworkAdmin

    user = factory.SubFactory(UserFactory)
    network = factory.SubFactory(NetworkFactory)


class RoomFactory(factory.django.DjangoModelFactory[Room]):
    class Meta:
        model = Room

    school = factory.SubFactory(SchoolFactory)
    # A declaration of any kind: HomeroomFactory names its rooms lazily.
    name: factory.declarations.BaseDeclaration = factory.Sequence(lambda n: f"Room {n}")
    kind = RoomKind.CLASSROOM
    capacity = 30
