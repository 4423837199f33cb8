"""Fixtures shared by the whole suite: two schools in one network, a third in another, and
users of each role. Names say who can see what."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from scheduling.published_cache import rendered_bodies
from students.models import Role, School, ServiceNeed, Staff, Student

from .factories import (
    PASSWORD,
    NetworkAdminFactory,
    NetworkFactory,
    SchoolFactory,
    ServiceNeedFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from .solver_limits import WORK


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """The families' .mo files, when a plain ``pytest`` runs without bin/test having compiled
    them (they are not in the repository)."""
    from families.catalogs import catalogs_compiled, compile_catalogs

    if not catalogs_compiled():
        compile_catalogs()


@pytest.fixture(autouse=True)
def test_settings(settings, tmp_path) -> None:
    # Uploaded files (roster exports, progress CSVs) stay out of the checkout's var/.
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Builds stop at deterministic work, not seconds, so a busy machine cannot fail a test.
    settings.SOLVER_WORK_LIMIT = WORK
    # The login lockout (django-axes) needs a request in authenticate(), which Client.login
    # does not pass: off here, as axes' docs advise; tests/security/test_guessing.py turns it on.
    settings.AXES_ENABLED = False
    # Tests run without collectstatic; the manifest storage would refuse unhashed names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Each test starts with an empty cache: ids repeat across tests (rolled back), so rate
    counters (``client:<id>``, ``user:<id>``) and responses cached by id must not carry over,
    nor the rendered schedules each process keeps in memory."""
    cache.clear()
    rendered_bodies.clear()
    yield
    cache.clear()
    rendered_bodies.clear()


@dataclass(frozen=True)
class SchoolWorld:
    school: School
    student: Student
    iep_need: ServiceNeed
    leader: Staff
    teacher: Staff


def build_school(name: str, network_slug: str) -> SchoolWorld:
    network = NetworkFactory.create(slug=network_slug, name=f"{network_slug} network")
    school = SchoolFactory.create(network=network, name=name)
    student = StudentFactory.create(school=school, has_iep=True)
    return SchoolWorld(
        school=school,
        student=student,
        iep_need=ServiceNeedFactory.create(student=student),
        leader=StaffFactory.create(school=school, roles=[Role.LEADER]),
        teacher=StaffFactory.create(
            school=school, roles=[Role.HUMANITIES], cohorts=[student.cohort]
        ),
    )


@pytest.fixture
def school_a(db) -> SchoolWorld:
    return build_school("Alder", "bay")


@pytest.fixture
def school_b(db) -> SchoolWorld:
    return build_school("Birch", "bay")


@pytest.fixture
def school_other_network(db) -> SchoolWorld:
    return build_school("Cedar", "coast")


@pytest.fixture
def network_admin(school_a: SchoolWorld) -> User:
    return NetworkAdminFactory.create(
        network=school_a.school.network, user=UserFactory.create()
    ).user


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.get_username(), password=PASSWORD)
    return client
