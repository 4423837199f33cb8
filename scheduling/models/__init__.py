"""The rotation engine's configuration and its schedules.

A school runs on *day types* (a regular day, a minimum day), each with its bell times; the
*calendar* says which day type every date is, or that there is no school. For each grade and day
type a *rotation template* lists the *stations* a cohort's day is made of (literacy, math, the
Learning Lab, lunch...): their minutes, the blocks they may be cut into, where they happen (the
teacher's room, the homeroom, the lab that serves the grade) and, for fixed events, the window
they must fall in. *Rooms* hold the blocks: a classroom one cohort at a time, a lab students up
to its seats under enough ILS supervisors. *Staffing assignments* say who may teach a station to
a cohort; *absences* take staff out of a date; *pins* are a leader's fixed choices that every
build keeps. A build freezes all of this into the solver's ``Problem``
(``scheduling.selectors.problem``) and stores the answer as a *schedule*: a numbered version of
one date's blocks, draft until published, and at most one published per school and date,
enforced by the database. Each night a
*nightly run* per school rebuilds its next instructional day and records what came of it. A
schedule's *lab plan* (stage 2) says what each student does in its lab and flexible blocks.
"""

from ..solver.clock import minutes_of, time_of
from .builds import ACTIVE_BUILD_STATES, BUILD_PHASES, BuildJob, BuildPhase, BuildState
from .calendar import CalendarDay, DayType, clock, time_span
from .feeds import CalendarFeed, FeedKind
from .lab_plans import ActivityKind, LabGroup, LabPlan, LabSegment
from .nightly import (
    ACTIVE_RUN_STATES,
    FINISHED_RUN_STATES,
    Fallback,
    NightlyRun,
    RunState,
    RunTrigger,
)
from .rooms import CAPACITY_UNIT, LabZone, Room, RoomKind
from .schedules import BuildOrigin, Schedule, ScheduledBlock, ScheduleStatus
from .staffing import (
    PREP_ROLES,
    AbsenceReason,
    LabSupervision,
    SchoolSchedulingSettings,
    StaffAbsence,
    StaffingAssignment,
    SubstituteDay,
    TeachingRoom,
)
from .templates import (
    STATION_ORDER,
    Pin,
    RotationTemplate,
    StationCode,
    TemplateStation,
    Venue,
    day_fill_error,
)

__all__ = [
    "ACTIVE_BUILD_STATES",
    "ACTIVE_RUN_STATES",
    "BUILD_PHASES",
    "CAPACITY_UNIT",
    "FINISHED_RUN_STATES",
    "PREP_ROLES",
    "STATION_ORDER",
    "AbsenceReason",
    "ActivityKind",
    "BuildJob",
    "BuildOrigin",
    "BuildPhase",
    "BuildState",
    "CalendarDay",
    "CalendarFeed",
    "DayType",
    "Fallback",
    "FeedKind",
    "LabGroup",
    "LabPlan",
    "LabSegment",
    "LabSupervision",
    "LabZone",
    "NightlyRun",
    "Pin",
    "Room",
    "RoomKind",
    "RotationTemplate",
    "RunState",
    "RunTrigger",
    "Schedule",
    "ScheduleStatus",
    "ScheduledBlock",
    "SchoolSchedulingSettings",
    "StaffAbsence",
    "StaffingAssignment",
    "StationCode",
    "SubstituteDay",
    "TeachingRoom",
    "TemplateStation",
    "Venue",
    "clock",
    "day_fill_error",
    "minutes_of",
    "time_of",
    "time_span",
]
