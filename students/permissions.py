"""Who may do what, in one place: pages, API views, the admin and services ask here.

- Schools: ``visible_schools`` (whose data a user may read), ``led_schools`` (which they
  configure), ``is_network_admin``, ``can_administer`` (the admin site at all) and
  ``users_choosable_by`` (accounts a leader may attach to a school).
- Roster imports: ``administers``, ``import_refusal`` and ``client_refusal`` (who may import a
  network's rosters, and why not).
- Cohorts: ``leads`` (one school), ``served_cohorts`` and ``may_see_cohort`` (a cohort's
  progress: its school's leaders and the staff who serve it).
- Service details, on a need-to-know basis (below): ``service_details_q``,
  ``with_service_sight``, ``students_with_visible_services`` and ``may_see_service_details``.
- The audit trail's name for where a read or change came from: ``page_via``, ``api_via`` and
  ``admin_via``.

Reads only; the queryset scoping that uses these answers (``scope_for_user``,
``get_scoped_or_404``, ``get_led_school_or_404``, ``get_import_network_or_404``) lives in
``students.scoping``.

Service details: need to know
-----------------------------
A student's *service details* are their IEP flag and their service needs (kind, minutes a week,
largest group, provider role), and with them which service a lab-plan segment or group delivers.
They are shown only to:

- superusers, admins of the student's network and leaders of the student's school;
- special-education teachers (``Role.SPED``) working at the student's school (all its students);
- the providers of that student's services: active staff at the student's school holding a role
  that is the ``provider_role`` of one of the student's service needs (a tutor, for a student
  with an ELD need a tutor provides). The rule follows the standing need, not the day's lab-plan
  groups (a provider plans ahead and the plan changes daily); a provider sees all of that
  student's details, since the needs are planned together;
- API tokens of a client that holds the write grant *and* was registered by someone who leads
  the student's school now (a leader's or network admin's integration, e.g. an SIS sync). A
  read-only client (a hall display, a dashboard) never sees them, whoever registered it.

Everyone else who may see the student (humanities, STEM, ILS and specials teachers, tutors who
do not provide one of the student's services) sees the student without them: no IEP mark, no
service needs or minutes, and a lab-plan segment or group that takes the student out of a block
shows as "away: service" without its kind, minutes or adult. Lists ask once per request, in the
same query that reads the students (``with_service_sight`` annotates, ``service_details_q``
filters), never once per student.

Roster imports
--------------
An import creates, updates and ends schools, cohorts, students and staff across the whole
network, so it is a network admin's action (or a superuser's), never a school leader's or a
teacher's. A network the caller cannot see at all answers 404 (its existence is private, the
attempt is audited); a network the caller sees (they work at one of its schools) but may not
import into answers 403 with the reason.

An API client's token acts for the network only when the client is *network-wide*: registered
for every school of that network, holding the write grant, and registered by someone who
administers the network now (a network admin or a superuser). Clients are registered per set of
schools, and leaders register clients for the schools they lead; without the last condition a
leader of a one-school network could import by registering a client for "every" school, and a
progress-pushing client would gain the power to end every student. ``import_refusal`` says which
condition failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from .clients import ClientPrincipal
from .models import (
    ApiClient,
    Cohort,
    Network,
    NetworkAdmin,
    Role,
    School,
    ServiceNeed,
    Staff,
    StaffRole,
    Student,
)

if TYPE_CHECKING:
    from typing_extensions import TypeIs

# A request's user: an account, nobody signed in, or an API client's token.
AnyUser: TypeAlias = User | AnonymousUser | ClientPrincipal
M = TypeVar("M", bound=models.Model)

LEADERS_MAY_NOT = gettext_lazy(
    "Roster imports change every school of the network, so only the network's admins can "
    "import rosters; ask one of them."
)
READ_ONLY = gettext_lazy("This client's tokens are read-only; a leader can grant it write.")


# --- Audit naming ------------------------------------------------------------------------------


def page_via(request: HttpRequest) -> str:
    """How the audit trail names a read or change a page makes."""
    return f"page {request.path}"


def api_via(request: HttpRequest) -> str:
    """How the audit trail names a read or change an API call makes."""
    return f"api {request.method} {request.path}"


def admin_via(request: HttpRequest) -> str:
    """How the audit trail names a read or change made on the admin site."""
    return f"admin {request.method} {request.path}"


# --- Schools -----------------------------------------------------------------------------------


def is_token(user: AnyUser) -> TypeIs[ClientPrincipal]:
    """Whether ``user`` is an API client's token rather than a person. In a condition that also
    tests ``is_authenticated``, test this first: mypy narrows ``user`` to an account only so."""
    return hasattr(user, "api_client")


def visible_schools(user: AnyUser) -> QuerySet[School]:
    """The schools whose data this user may read: every school for a superuser, each school of
    the networks they administer, the schools where they are active staff, and for an API
    client's token, the schools the client was registered for."""
    if not user.is_authenticated or not user.is_active:
        return School.objects.none()
    if is_token(user):  # a token: its client's schools, read when it was checked
        return School.objects.filter(pk__in=user.school_ids)
    if user.is_superuser:
        return School.objects.all()
    return School.objects.filter(
        Q(network__admins__user=user) | Q(staff__user=user, staff__active=True)
    ).distinct()


def is_network_admin(user: AnyUser) -> bool:
    if is_token(user) or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or NetworkAdmin.objects.filter(user=user).exists()


def led_schools(user: AnyUser) -> QuerySet[School]:
    """The schools this user may configure: as a leader, or as admin of their network (an API
    client configures none; its write grant is checked on its own)."""
    if is_token(user) or not user.is_authenticated or not user.is_active:
        return School.objects.none()
    if user.is_superuser:
        return School.objects.all()
    return School.objects.filter(
        Q(network__admins__user=user)
        | Q(staff__user=user, staff__active=True, staff__role_grants__role=Role.LEADER)
    ).distinct()


def users_choosable_by(user: AnyUser) -> QuerySet:
    """Accounts a leader may attach to their school: staff of schools they see, and new hires:
    accounts of no school that were never used (no password set, never logged in). An
    account someone already uses stays out of reach: once attached it would work at the
    leader's school alone, and the leader could change its email and so take it over."""
    users = get_user_model().objects.order_by("last_name", "first_name")
    if user.is_authenticated and user.is_active and user.is_superuser:
        return users
    return users.filter(
        Q(staff_memberships__school__in=visible_schools(user).values("pk"))
        | Q(
            staff_memberships__isnull=True,
            network_admin_grants__isnull=True,
            is_superuser=False,
            last_login__isnull=True,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
        )
    ).distinct()


def can_administer(user: AnyUser) -> bool:
    """Whether the user may use the admin site at all (each page is still scoped)."""
    if is_token(user) or not user.is_authenticated or not user.is_active:
        return False
    return (
        user.is_superuser
        or NetworkAdmin.objects.filter(user=user).exists()
        or StaffRole.objects.filter(staff__user=user, staff__active=True, role=Role.LEADER).exists()
    )


def leads(user: AnyUser, school_id: int) -> bool:
    """Whether ``user`` leads the school (or administers its network): one query."""
    return led_schools(user).filter(pk=school_id).exists()


# --- Cohorts -----------------------------------------------------------------------------------


def sees_drafts(user: AnyUser, *, led: bool) -> bool:
    """Whether the caller sees a school's draft schedules (versions, a build's result) beside
    its published ones: its leaders (``led``) and the write-granted clients that may build it
    do; teachers and read-only clients see what was published (a draft is the leaders' to
    review, as on the pages)."""
    if is_token(user):
        client = user.api_client
        return bool(client.active and client.can_write)
    return led


def served_cohorts(user: AnyUser, school: School | int) -> Q:
    """A filter on cohorts: those ``user`` serves at ``school`` as active staff, their own
    cohorts and their grades' cohorts."""
    if is_token(user) or not user.is_authenticated:
        return Q(pk__in=[])  # a token or nobody serves no cohort (pages ask for an account)
    staff = Staff.objects.filter(user=user, school=school, active=True)
    return Q(staff__in=staff) | Q(grade__staff__in=staff)


def may_see_cohort(user: AnyUser, cohort: Cohort) -> bool:
    """Whether ``user`` may see ``cohort``'s pages beyond its schedule (its progress): the
    school's leaders and the staff who serve the cohort (``served_cohorts``)."""
    if leads(user, cohort.school_id):
        return True
    return Cohort.objects.filter(served_cohorts(user, cohort.school_id), pk=cohort.pk).exists()


# --- Service details (need to know; see the module) --------------------------------------------

SeesAll = bool  # True: every row; False: none


def _schools_led_by_id(user_id: int) -> QuerySet[School]:
    """The schools the account ``user_id`` leads now (``led_schools`` of it, as a subquery:
    a token's client knows only its registrant's id)."""
    account = get_user_model().objects.filter(pk=user_id, is_active=True)
    return School.objects.filter(
        Exists(account.filter(is_superuser=True))
        | Q(network__admins__user_id=user_id)
        | Q(staff__user_id=user_id, staff__active=True, staff__role_grants__role=Role.LEADER),
        Exists(account),
    )


def _service_sight(user: AnyUser, to_student: str) -> Q | SeesAll:
    """Which rows' service details ``user`` may see: a filter on a model that reaches its
    student through ``to_student`` (``""`` for Student, ``"student__"`` for ServiceNeed or
    LabSegment), or True/False for every row / none."""
    if not user.is_authenticated or not user.is_active:
        return False
    school = f"{to_student}school"
    if is_token(user):
        client = user.api_client
        if not client.active or not client.can_write or client.created_by_id is None:
            return False
        led = _schools_led_by_id(client.created_by_id).filter(pk__in=user.school_ids)
        return Q(**{f"{school}__in": led.values("pk")})
    if user.is_superuser:
        return True
    whole_school = School.objects.filter(
        Q(network__admins__user=user)
        | Q(
            staff__user=user,
            staff__active=True,
            staff__role_grants__role__in=[Role.LEADER, Role.SPED],
        )
    )
    my_roles_there = StaffRole.objects.filter(
        staff__user=user, staff__active=True, staff__school_id=OuterRef("student__school_id")
    ).values("role")
    provides = Exists(
        ServiceNeed.objects.filter(
            student_id=OuterRef(f"{to_student}pk"), provider_role__in=my_roles_there
        )
    )
    return Q(**{f"{school}__in": whole_school.values("pk")}) | Q(provides)


def service_details_q(user: AnyUser, *, to_student: str = "") -> Q:
    """A filter keeping the rows whose service details ``user`` may see, on Student or, with
    ``to_student="student__"``, on a model with a ``student`` (ServiceNeed, LabSegment)."""
    sight = _service_sight(user, to_student)
    if sight is True:
        return Q()
    if sight is False:
        return Q(pk__isnull=True)  # no row has a null key: nothing
    return sight


def with_service_sight(
    queryset: QuerySet[M],
    user: AnyUser,
    *,
    to_student: str = "",
    name: str = "services_visible",
) -> QuerySet[M]:
    """``queryset`` with a boolean ``name`` on each row: whether ``user`` may see the service
    details of the row's student. Read in the same query as the rows."""
    sight = _service_sight(user, to_student)
    if isinstance(sight, bool):
        expression: Value | Case = Value(sight, output_field=BooleanField())
    else:
        expression = Case(
            When(sight, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    return queryset.annotate(**{name: expression})


def students_with_visible_services(user: AnyUser, students: QuerySet[Student]) -> set[int]:
    """The ids among ``students`` whose service details ``user`` may see: one query."""
    return set(students.filter(service_details_q(user)).values_list("pk", flat=True))


def may_see_service_details(user: AnyUser, student: Student) -> bool:
    """Whether ``user`` may see ``student``'s IEP flag and service needs: at most one query
    (none when the annotation of ``with_service_sight`` is there)."""
    known = getattr(student, "services_visible", None)
    if known is not None:
        return bool(known)
    sight = _service_sight(user, "")
    if isinstance(sight, bool):
        return sight
    return Student.objects.filter(sight, pk=student.pk).exists()


# --- Roster imports ----------------------------------------------------------------------------


def administers(user: AnyUser, network: Network | int) -> bool:
    """A person (not a token) who is a superuser or an admin of ``network`` (or its id)."""
    if is_token(user) or not user.is_authenticated or not user.is_active:
        return False
    network_id = network.pk if isinstance(network, Network) else network
    return bool(
        user.is_superuser or NetworkAdmin.objects.filter(user=user, network_id=network_id).exists()
    )


def client_refusal(client: ApiClient, network: Network) -> str | None:
    """Why ``client`` (of ``network``) may not import its rosters, or None when it may."""
    if not client.active or not client.can_write:
        return str(READ_ONLY)
    missing = network.schools.exclude(pk__in=client.schools.values("pk"))
    if missing.exists():
        return gettext(
            "A roster import changes every school of the network: register this client for "
            "every school of the network to import with it."
        )
    creator = client.created_by
    if creator is None or not administers(creator, network):
        return gettext(
            "Only a client registered by one of the network's admins can import rosters; "
            "leaders' clients cannot."
        )
    return None


def import_refusal(user: AnyUser, network: Network) -> str | None:
    """Why ``user`` (a person or a token's principal who can see ``network``) may not import
    into it, or None."""
    client = getattr(user, "api_client", None)
    if client is not None:
        return client_refusal(client, network)
    if administers(user, network):
        return None
    return str(LEADERS_MAY_NOT)
