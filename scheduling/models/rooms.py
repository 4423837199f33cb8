"""Rooms: where blocks take place.

A classroom holds one cohort at a time, while shared rooms (the Learning Lab, the cafeteria, the
gym) are capacities: the lab holds students up to its seat count, the cafeteria cohorts up to its
capacity. A lab serves the grades listed on it. A classroom may be one cohort's homeroom.
"""

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from students.models import Cohort, Grade, School
from students.models.base import SchoolOwned


class RoomKind(models.TextChoices):
    CLASSROOM = "classroom", "Classroom"
    LEARNING_LAB = "learning_lab", "Learning Lab"
    RESOURCE_ROOM = "resource_room", "Resource room"
    CAFETERIA = "cafeteria", "Cafeteria"
    GYM = "gym", "Gym"


# What a room's capacity counts: students present for a lab or classroom, cohorts for the rest.
CAPACITY_UNIT: dict[str, str] = {
    RoomKind.CLASSROOM: "students",
    RoomKind.LEARNING_LAB: "seats",
    RoomKind.RESOURCE_ROOM: "students",
    RoomKind.CAFETERIA: "cohorts",
    RoomKind.GYM: "cohorts",
}


class Room(SchoolOwned):
    school_scope: ClassVar[str] = "school"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=16, choices=RoomKind.choices)
    capacity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="Seats for a lab or classroom; cohorts at once for a cafeteria or gym.",
    )
    grades = models.ManyToManyField(
        Grade,
        blank=True,
        related_name="labs",
        help_text="For a Learning Lab: the grades it serves.",
    )
    homeroom_of = models.OneToOneField(
        Cohort,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="homeroom",
        help_text="For a classroom: the cohort whose homeroom it is (flex blocks happen here).",
    )

    class Meta:
        ordering = ["school", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="room_name_unique_in_school")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def capacity_unit(self) -> str:
        return CAPACITY_UNIT[self.kind]

    def clean(self) -> None:
        super().clean()
        if self.kind == RoomKind.CLASSROOM and self.capacity and self.capacity > 40:
            raise ValidationError(
                {"capacity": "A classroom holds one cohort; more than 40 seats looks like a typo."}
            )
        if self.homeroom_of_id and self.kind != RoomKind.CLASSROOM:
            raise ValidationError(
                {"homeroom_of": f"A homeroom is a classroom; {self.name} is a {self.kind_label}."}
            )

    @property
    def kind_label(self) -> str:
        return str(self.get_kind_display()).lower()


class LabZone(models.Model):
    """A part of a Learning Lab with its own seats: a bank of computers where program time sits,
    or a small-group table where a tutor or a provider meets a group. Lab plans seat students in
    the zones of their lab once the computer zones hold every seat the lab has."""

    school_scope: ClassVar[str] = "lab__school"

    lab = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(_("name"), max_length=60)
    seats = models.PositiveSmallIntegerField(
        _("seats"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    computers = models.BooleanField(
        _("computers"),
        default=True,
        help_text=_("On: program time sits here. Off: a table for small groups."),
    )

    class Meta:
        ordering = ["lab", "name"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "name"], name="lab_zone_name_unique_in_lab")
        ]

    def __str__(self) -> str:
        return f"{self.lab} · {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.lab_id is None:
            return
        if self.lab.kind != RoomKind.LEARNING_LAB:
            raise ValidationError({"lab": _("Zones belong to a Learning Lab.")})
        others = LabZone.objects.filter(lab_id=self.lab_id, computers=True).exclude(pk=self.pk)
        seated = sum(z.seats for z in others) + ((self.seats or 0) if self.computers else 0)
        if self.computers and seated > self.lab.capacity:
            raise ValidationError(
                {
                    "seats": _(
                        "The computer zones of %(lab)s would seat %(seated)d, more than the "
                        "lab's %(capacity)d seats."
                    )
                    % {"lab": self.lab, "seated": seated, "capacity": self.lab.capacity}
                }
            )
