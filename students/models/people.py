"""Students, staff and their roles, network admins, and students' service needs."""

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..errors import RecordIsPermanent
from .base import SchoolOwned, sourced_id_field, sourced_id_unique
from .schools import Cohort, Grade, Network, School


class ELLevel(models.TextChoices):
    """English-language proficiency, as California's ELPAC reports it."""

    NOT_EL = "not_el", _("Not an English learner")
    EMERGING = "emerging", _("Emerging")
    EXPANDING = "expanding", _("Expanding")
    BRIDGING = "bridging", _("Bridging")
    RECLASSIFIED = "reclassified", _("Reclassified fluent")

    @classmethod
    def receiving_eld(cls) -> set[str]:
        return {cls.EMERGING, cls.EXPANDING, cls.BRIDGING}


class InterventionTier(models.IntegerChoices):
    CORE = 1, _("Tier 1 (core instruction)")
    TARGETED = 2, _("Tier 2 (targeted small group)")
    INTENSIVE = 3, _("Tier 3 (intensive)")


class StudentQuerySet(models.QuerySet):
    def enrolled_on(self, day: datetime.date) -> "StudentQuerySet":
        return self.filter(
            Q(enrollment_end__isnull=True) | Q(enrollment_end__gte=day),
            enrollment_start__lte=day,
        )

    def delete(self) -> Any:
        raise RecordIsPermanent(
            gettext("Students are withdrawn (given an enrollment end), never deleted.")
        )


class Student(SchoolOwned):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="students")
    local_id = models.CharField(
        _("student id"), max_length=32, help_text=_("The school's own id, e.g. from PowerSchool.")
    )
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="students")
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="students", null=True, blank=True
    )
    enrollment_start = models.DateField()
    enrollment_end = models.DateField(
        null=True, blank=True, help_text=_("Last day enrolled. Set it to withdraw the student.")
    )
    has_iep = models.BooleanField(_("has an IEP"), default=False)
    el_level = models.CharField(
        _("English-learner level"), max_length=16, choices=ELLevel.choices, default=ELLevel.NOT_EL
    )
    intervention_tier = models.PositiveSmallIntegerField(
        choices=InterventionTier.choices, default=InterventionTier.CORE
    )
    sourced_id = sourced_id_field()

    objects = StudentQuerySet.as_manager()

    # Only on rows read through students.permissions.with_service_sight, which annotates it.
    services_visible: bool

    class Meta:
        ordering = ["school", "last_name", "first_name", "local_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "local_id"], name="student_id_unique_in_school"
            ),
            sourced_id_unique("school", name="student_sourced_id_unique_in_school"),
            models.CheckConstraint(
                condition=Q(enrollment_end__isnull=True)
                | Q(enrollment_end__gte=models.F("enrollment_start")),
                name="student_enrollment_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["school", "cohort"])]

    def __str__(self) -> str:
        # Ids only: this string reaches logs and audit lines, where names must never appear.
        return f"Student {self.local_id}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean(self) -> None:
        # A student's grade may differ from their cohort's: a combination homeroom (4/5) holds
        # students of several grades, who keep their own while the cohort follows one grade.
        super().clean()
        if (
            self.enrollment_end
            and self.enrollment_start
            and self.enrollment_end < self.enrollment_start
        ):
            raise ValidationError(
                {
                    "enrollment_end": gettext(
                        "The enrollment cannot end before it starts (%(start)s)."
                    )
                    % {"start": date_format(self.enrollment_start)}
                }
            )

    def is_enrolled_on(self, day: datetime.date) -> bool:
        return self.enrollment_start <= day and (
            self.enrollment_end is None or day <= self.enrollment_end
        )

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RecordIsPermanent(
            gettext("Students are withdrawn (given an enrollment end), never deleted.")
        )


class Role(models.TextChoices):
    LEADER = "leader", _("School leader")
    HUMANITIES = "humanities", _("Humanities teacher")
    STEM = "stem", _("STEM teacher")
    ILS = "ils", _("Individualized Learning Specialist")
    TUTOR = "tutor", _("Tutor")
    SPED = "sped", _("Special-education teacher")
    SPECIALS = "specials", _("Specials teacher")
    SUBSTITUTE = "substitute", _("Substitute teacher")


class Staff(SchoolOwned):
    """One user's work at one school: roles, the cohorts and grades served, working hours."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_memberships"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="staff")
    active = models.BooleanField(
        default=True,
        help_text=_("Inactive staff keep their history but no longer see the school."),
    )
    grades = models.ManyToManyField(Grade, blank=True, related_name="staff")
    cohorts = models.ManyToManyField(Cohort, blank=True, related_name="staff")
    work_start = models.TimeField(default=datetime.time(7, 45))
    work_end = models.TimeField(default=datetime.time(15, 45))
    sourced_id = sourced_id_field()

    class Meta:
        verbose_name_plural = _("staff")
        ordering = ["school", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "school"], name="staff_once_per_school"),
            sourced_id_unique("school", name="staff_sourced_id_unique_in_school"),
            models.CheckConstraint(
                condition=Q(work_end__gt=models.F("work_start")), name="staff_hours_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def clean(self) -> None:
        super().clean()
        if self.work_start and self.work_end and self.work_end <= self.work_start:
            raise ValidationError(
                {
                    "work_end": gettext("Working hours must end after they start (%(start)s).")
                    % {"start": time_format(self.work_start)}
                }
            )

    @property
    def role_codes(self) -> set[str]:
        return {grant.role for grant in self.role_grants.all()}


class StaffRole(models.Model):
    school_scope: ClassVar[str] = "staff__school"

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "role"], name="staff_role_once")]

    def __str__(self) -> str:
        return self.get_role_display()


class NetworkAdmin(models.Model):
    """A user who sees and administers every school of one network."""

    school_scope: ClassVar[str] = "network__schools"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="network_admin_grants"
    )
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="admins")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="network_admin_once")
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} administers {self.network}"


class ServiceKind(models.TextChoices):
    IEP = "iep", _("IEP special education")
    ELD = "eld", _("English language development")
    INTERVENTION = "intervention", _("Intervention (RTI tier 2/3)")


# Who may deliver each kind of service; a tutor cannot deliver IEP minutes, for instance.
PROVIDER_ROLES: dict[str, set[str]] = {
    ServiceKind.IEP: {Role.SPED},
    ServiceKind.ELD: {Role.HUMANITIES, Role.SPED, Role.TUTOR},
    ServiceKind.INTERVENTION: {Role.TUTOR, Role.ILS, Role.HUMANITIES, Role.STEM, Role.SPED},
}
# Five full school days (07:55-15:15) hold 2,200 minutes; a need above that cannot be scheduled.
MAX_SERVICE_MINUTES_PER_WEEK = 5 * 440
MAX_SERVICE_GROUP = 15


class ServiceNeed(models.Model):
    """Minutes a week a student must receive in small groups from a provider of a given role."""

    school_scope: ClassVar[str] = "student__school"

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="service_needs")
    kind = models.CharField(max_length=16, choices=ServiceKind.choices)
    minutes_per_week = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(MAX_SERVICE_MINUTES_PER_WEEK)]
    )
    max_group_size = models.PositiveSmallIntegerField(
        _("largest group"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SERVICE_GROUP)],
        help_text=_("1 means one-to-one."),
    )
    provider_role = models.CharField(max_length=16, choices=Role.choices)
    session_minutes = models.PositiveSmallIntegerField(
        _("session length"),
        default=30,
        validators=[MinValueValidator(10), MaxValueValidator(120)],
        help_text=_("Minutes of one sitting, e.g. ELD 30 minutes, 4 times a week."),
    )

    class Meta:
        ordering = ["student", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "kind", "provider_role"], name="service_need_once"
            ),
            models.CheckConstraint(
                condition=Q(
                    minutes_per_week__gte=5, minutes_per_week__lte=MAX_SERVICE_MINUTES_PER_WEEK
                ),
                name="service_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=Q(max_group_size__gte=1, max_group_size__lte=MAX_SERVICE_GROUP),
                name="service_group_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.student}"

    @property
    def is_special_education(self) -> bool:
        return self.kind == ServiceKind.IEP

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.kind and self.provider_role and self.provider_role not in PROVIDER_ROLES[self.kind]:
            allowed = ", ".join(sorted(str(Role(r).label) for r in PROVIDER_ROLES[self.kind]))
            errors["provider_role"] = gettext(
                "%(role)s cannot provide %(kind)s; choose one of: %(allowed)s."
            ) % {
                "role": Role(self.provider_role).label,
                "kind": ServiceKind(self.kind).label,
                "allowed": allowed,
            }
        if self.student_id:
            if self.kind == ServiceKind.IEP and not self.student.has_iep:
                errors["kind"] = gettext(
                    "%(student)s has no IEP; mark the IEP on the student first."
                ) % {"student": self.student}
            if (
                self.kind == ServiceKind.ELD
                and self.student.el_level not in ELLevel.receiving_eld()
            ):
                errors["kind"] = gettext(
                    "%(student)s is not a current English learner (%(level)s)."
                ) % {"student": self.student, "level": self.student.get_el_level_display()}
        if errors:
            raise ValidationError(errors)
