"""Run the free timetabling program FET (``fet-cl``, 6.x) on a stage-1 problem, as a competitor.

The export maps a ``Problem`` onto FET's model as closely as FET allows:

- one FET day; its hours are the 5-minute slots of ``problem.day`` (87 slots from 8:00 to 15:15);
- students: years are grades, groups are cohorts (no subgroups); teachers are staff; subjects are
  stations, plus a ``prep`` subject for each teacher's one stretch of prep (H7), exported as an
  activity of that teacher alone, allowed to start only where it fits inside ``prep_window``;
- activities are the blocks, with FIXED lengths, because FET cannot choose an activity's length:
  the lengths given per cohort and station (``export(lengths=...)``: ``bench.run`` gives those of
  a day the engine found), else one block per station with the station's full minutes when
  ``block_max >= minutes``, else the station split into the fewest equal allowed lengths
  (``FetExport.notes`` says which); ``export(locked=day)`` fixes every block where ``day`` has
  it, to check that FET accepts a known day;
- fixed events (launch, lunch, recess) get ``ConstraintActivityPreferredStartingTimes``: every
  start that keeps the block inside its window; staff hours and absences become
  ``ConstraintTeacherNotAvailableTimes``;
- single-cohort rooms are FET rooms with ``ConstraintActivityPreferredRoom``. Where several staff
  may take a station (the specials teachers), FET cannot choose a teacher, so the activity gets no
  teacher and ``ConstraintActivityPreferredRooms`` over the candidates' own rooms instead: the
  room FET picks names the teacher (their prep sits in that room too, and the room is not
  available when they are not);
- a lab is not a FET room (a FET room holds one activity at a time): its shared seats become
  ``ConstraintActivitiesMaxSimultaneousInSelectedTimeSlots`` over every slot for that lab's
  activities, at most ``min(seats, supervisors x students per adult) // largest cohort`` at once
  (exact for equal cohorts, safe otherwise); the cafeteria likewise with its capacity in cohorts;
- ``ConstraintBasicCompulsoryTime`` and ``ConstraintBasicCompulsorySpace`` at 100%.

FET is then run with fixed random seeds; its status is read from ``logs/result.txt`` (its exit code
is 0 even when it fails), its timetable from ``timetables/<name>/<name>_activities.xml``, mapped
back into ``PlacedBlock`` and judged by our own ``validate()``. FET never proves that no timetable
exists: on an impossible problem it runs until its time limit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scheduling.solver.problem import (
    Cohort,
    PlacedBlock,
    Problem,
    RoomKind,
    Station,
    Venue,
    Window,
)

FET_BINARY = "fet-cl"
DAY_NAME = "Day"


def clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


@dataclass(frozen=True)
class FetActivity:
    """What one FET activity stands for, to map FET's placement back into a ``PlacedBlock``."""

    id: int
    cohort: int | None  # None for a teacher's prep
    station: str
    minutes: int
    staff: tuple[int, ...] = ()  # fixed staff; empty when FET picks a room that names them
    room_staff: dict[str, int] = field(default_factory=dict)  # FET room name -> staff id


@dataclass
class FetExport:
    xml: bytes
    activities: dict[int, FetActivity]
    notes: list[str]
    slot_minutes: int
    day_start: int

    @property
    def class_activities(self) -> int:
        return sum(1 for a in self.activities.values() if a.cohort is not None)


class NotExportable(Exception):
    """The problem has something FET cannot express (say, a station nobody can staff)."""


def fixed_lengths(station: Station) -> list[int]:
    """The block lengths FET gets for ``station``: the whole station when one block may hold it,
    else the fewest equal blocks of an allowed length."""
    if station.block_max >= station.minutes:
        return [station.minutes]
    for count in range(2, station.max_blocks + 1):
        length, rest = divmod(station.minutes, count)
        step = station.step or 1
        if not rest and length % step == 0 and station.block_min <= length <= station.block_max:
            return [length] * count
    raise NotExportable(
        f"station {station.code}: {station.minutes} minutes cannot be cut into at most "
        f"{station.max_blocks} equal blocks of {station.block_min}-{station.block_max} minutes"
    )


class _Writer:
    def __init__(
        self,
        problem: Problem,
        lengths: Mapping[tuple[int, str], Sequence[int]] | None = None,
        locked: Sequence[PlacedBlock] = (),
        staffing: Mapping[tuple[int, str], int] | None = None,
    ) -> None:
        self.p = problem
        self.lengths = lengths or {}
        self.locked: dict[tuple[int, str], list[PlacedBlock]] = {}
        for block in sorted(locked, key=lambda b: b.start):
            self.locked.setdefault((block.cohort, block.station), []).append(block)
        self.staffing = dict(staffing or {})
        self.staffing.update({key: b[0].staff[0] for key, b in self.locked.items() if b[0].staff})
        self.u = problem.granularity
        self.slots = problem.day.minutes // self.u
        self.notes: list[str] = []
        self.activities: dict[int, FetActivity] = {}
        self.next_id = 1
        self.time_constraints: list[ET.Element] = []
        self.space_constraints: list[ET.Element] = []
        self.teacher_names = {s.id: f"{s.name} #{s.id}" for s in problem.staff}
        self.room_names = {r.id: f"{r.name} #{r.id}" for r in problem.rooms}
        self.cohort_names = {c.id: f"{c.name} #{c.id}" for c in problem.cohorts}

    # --- helpers ---------------------------------------------------------------------------------
    def slot(self, minutes: int) -> int:
        return (minutes - self.p.day.start) // self.u

    def hour_name(self, slot: int) -> str:
        return clock(self.p.day.start + slot * self.u)

    @staticmethod
    def sub(parent: ET.Element, tag: str, text: object = None) -> ET.Element:
        element = ET.SubElement(parent, tag)
        if text is not None:
            element.text = str(text)
        return element

    def constraint(self, tag: str, space: bool = False) -> ET.Element:
        element = ET.Element(tag)
        self.sub(element, "Weight_Percentage", 100)
        (self.space_constraints if space else self.time_constraints).append(element)
        return element

    @staticmethod
    def close(element: ET.Element) -> None:
        _Writer.sub(element, "Active", "true")
        _Writer.sub(element, "Comments", "")

    def starts_within(self, window: Window, minutes: int) -> list[int]:
        first = max(self.slot(window.start), 0)
        last = min(self.slot(window.end), self.slots) - minutes // self.u
        return list(range(first, last + 1))

    def unavailable_slots(self, available: tuple[Window, ...]) -> list[int]:
        free: set[int] = set()
        for window in available:
            free.update(range(self.slot(window.start), self.slot(window.end)))
        return [s for s in range(self.slots) if s not in free]

    def preferred_starts(self, activity_id: int, starts: list[int]) -> None:
        c = self.constraint("ConstraintActivityPreferredStartingTimes")
        self.sub(c, "Activity_Id", activity_id)
        self.sub(c, "Number_of_Preferred_Starting_Times", len(starts))
        for s in starts:
            t = self.sub(c, "Preferred_Starting_Time")
            self.sub(t, "Preferred_Starting_Day", DAY_NAME)
            self.sub(t, "Preferred_Starting_Hour", self.hour_name(s))
        self.close(c)

    def preferred_rooms(self, activity_id: int, rooms: list[str]) -> None:
        if len(rooms) == 1:
            c = self.constraint("ConstraintActivityPreferredRoom", space=True)
            self.sub(c, "Activity_Id", activity_id)
            self.sub(c, "Room", rooms[0])
            self.sub(c, "Permanently_Locked", "false")
        else:
            c = self.constraint("ConstraintActivityPreferredRooms", space=True)
            self.sub(c, "Activity_Id", activity_id)
            self.sub(c, "Number_of_Preferred_Rooms", len(rooms))
            for room in rooms:
                self.sub(c, "Preferred_Room", room)
        self.close(c)

    def not_available(self, tag: str, who_tag: str, who: str, slots: list[int]) -> None:
        if not slots:
            return
        c = self.constraint(tag)
        self.sub(c, who_tag, who)
        self.sub(c, "Number_of_Not_Available_Times", len(slots))
        for s in slots:
            t = self.sub(c, "Not_Available_Time")
            self.sub(t, "Day", DAY_NAME)
            self.sub(t, "Hour", self.hour_name(s))
        self.close(c)

    def max_simultaneous(self, ids: list[int], most: int, comment: str) -> None:
        c = self.constraint("ConstraintActivitiesMaxSimultaneousInSelectedTimeSlots")
        self.sub(c, "Number_of_Activities", len(ids))
        for activity_id in ids:
            self.sub(c, "Activity_Id", activity_id)
        self.sub(c, "Number_of_Selected_Time_Slots", self.slots)
        for s in range(self.slots):
            t = self.sub(c, "Selected_Time_Slot")
            self.sub(t, "Selected_Day", DAY_NAME)
            self.sub(t, "Selected_Hour", self.hour_name(s))
        self.sub(c, "Max_Number_of_Simultaneous_Activities", most)
        self.sub(c, "Active", "true")
        self.sub(c, "Comments", comment)

    # --- staffing --------------------------------------------------------------------------------
    def room_choice(self, candidates: tuple[int, ...]) -> dict[str, int] | None:
        """FET room name -> staff id, when each candidate has an own room nobody else uses."""
        rooms = [self.p.member(s).room for s in candidates]
        if any(r is None for r in rooms) or len(set(rooms)) != len(rooms):
            return None
        others = {s.room for s in self.p.staff if s.id not in candidates}
        if others & set(rooms):
            return None
        return {self.room_names[r]: s for s, r in zip(candidates, rooms, strict=True) if r}

    # --- build -----------------------------------------------------------------------------------
    def build(self) -> FetExport:
        p = self.p
        if p.day.minutes % self.u or p.day.start % self.u:
            raise NotExportable("the day is not on the granularity grid")
        root = ET.Element("fet", version="6.8.5")
        self.sub(root, "Mode", "Official")
        self.sub(root, "Institution_Name", f"rocketship school {p.school} {p.date}")
        self.sub(root, "Comments", "Exported by bench/fet.py from a stage-1 Problem")
        days = self.sub(root, "Days_List")
        self.sub(days, "Number_of_Days", 1)
        self.sub(self.sub(days, "Day"), "Name", DAY_NAME)
        hours = self.sub(root, "Hours_List")
        self.sub(hours, "Number_of_Hours", self.slots)
        for s in range(self.slots):
            self.sub(self.sub(hours, "Hour"), "Name", self.hour_name(s))

        stations = sorted({s.code for t in p.templates for s in t.stations})
        subjects = self.sub(root, "Subjects_List")
        for code in [*stations, "prep"]:
            subject = self.sub(subjects, "Subject")
            self.sub(subject, "Name", code)
            self.sub(subject, "Comments", "")
        self.sub(root, "Activity_Tags_List")

        activities_xml = ET.Element("Activities_List")
        shared: dict[int, list[int]] = {}  # shared room id -> activity ids
        choice_staff: set[int] = set()
        for cohort in p.cohorts:
            for station in p.template_of(cohort).stations:
                self.add_station(activities_xml, cohort, station, shared, choice_staff)
        self.add_prep(activities_xml, choice_staff)
        self.add_staff_availability(choice_staff)
        self.add_shared_rooms(shared)

        teachers = self.sub(root, "Teachers_List")
        for member in p.staff:
            teacher = self.sub(teachers, "Teacher")
            self.sub(teacher, "Name", self.teacher_names[member.id])
            self.sub(teacher, "Target_Number_of_Hours", 0)
            self.sub(teacher, "Qualified_Subjects")
            self.sub(teacher, "Comments", ", ".join(sorted(member.roles)))

        students = self.sub(root, "Students_List")
        for grade in sorted({t.grade for t in p.templates}):  # a grade may have several
            cohorts = [c for c in p.cohorts if c.grade == grade]
            if not cohorts:
                continue
            year = self.sub(students, "Year")
            self.sub(year, "Name", "Grade K" if grade == 0 else f"Grade {grade}")
            self.sub(year, "Number_of_Students", sum(c.students for c in cohorts))
            self.sub(year, "Comments", "")
            self.sub(year, "Number_of_Categories", 0)
            self.sub(year, "Separator", " ")
            for cohort in cohorts:
                group = self.sub(year, "Group")
                self.sub(group, "Name", self.cohort_names[cohort.id])
                self.sub(group, "Number_of_Students", cohort.students)
                self.sub(group, "Comments", "")

        root.append(activities_xml)
        self.sub(root, "Buildings_List")
        rooms = self.sub(root, "Rooms_List")
        for room in p.rooms:
            if room.shared:
                continue  # labs and the cafeteria are counted by max-simultaneous constraints
            element = self.sub(rooms, "Room")
            self.sub(element, "Name", self.room_names[room.id])
            self.sub(element, "Building", "")
            self.sub(element, "Capacity", 1000)  # a class always fits; one class at a time
            self.sub(element, "Virtual", "false")
            self.sub(element, "Comments", room.kind.value)

        time_list = self.sub(root, "Time_Constraints_List")
        basic = self.sub(time_list, "ConstraintBasicCompulsoryTime")
        self.sub(basic, "Weight_Percentage", 100)
        self.close(basic)
        time_list.extend(self.time_constraints)
        space_list = self.sub(root, "Space_Constraints_List")
        basic = self.sub(space_list, "ConstraintBasicCompulsorySpace")
        self.sub(basic, "Weight_Percentage", 100)
        self.close(basic)
        space_list.extend(self.space_constraints)

        ET.indent(root, space="\t")
        xml = b'<?xml version="1.0" encoding="UTF-8"?>\n\n' + ET.tostring(root, encoding="utf-8")
        return FetExport(xml, self.activities, self.notes, self.u, p.day.start)

    def new_activity(
        self,
        parent: ET.Element,
        *,
        cohort: Cohort | None,
        station: str,
        minutes: int,
        teacher: int | None,
        group: int = 0,
        total: int | None = None,
    ) -> int:
        activity_id = self.next_id
        self.next_id += 1
        element = self.sub(parent, "Activity")
        if teacher is not None:
            self.sub(element, "Teacher", self.teacher_names[teacher])
        self.sub(element, "Subject", station)
        if cohort is not None:
            self.sub(element, "Students", self.cohort_names[cohort.id])
        self.sub(element, "Duration", minutes // self.u)
        self.sub(element, "Total_Duration", (total or minutes) // self.u)
        self.sub(element, "Id", activity_id)
        self.sub(element, "Activity_Group_Id", group)
        self.sub(element, "Active", "true")
        self.sub(element, "Comments", "")
        return activity_id

    def add_station(
        self,
        parent: ET.Element,
        cohort: Cohort,
        station: Station,
        shared: dict[int, list[int]],
        choice_staff: set[int],
    ) -> None:
        p = self.p
        lengths = list(self.lengths.get((cohort.id, station.code), ())) or fixed_lengths(station)
        locked = self.locked.get((cohort.id, station.code), [])
        if locked and [b.minutes for b in locked] != lengths:
            raise NotExportable(f"{cohort.name} {station.code}: locked blocks are not {lengths}")
        if len(lengths) > 1 and (cohort.id, station.code) not in self.lengths:
            note = f"{station.code}: {len(lengths)} fixed blocks of {lengths[0]} min"
            if note not in self.notes:
                self.notes.append(note)
        teacher: int | None = None
        room_staff: dict[str, int] = {}
        rooms: list[str] = []
        if station.staff_role is not None:
            candidates = tuple(
                s
                for s in p.candidates(cohort.id, station.code)
                if p.member(s).available and station.staff_role in p.member(s).roles
            )
            if not candidates:
                raise NotExportable(f"nobody can take {station.code} for {cohort.name}")
            choice = self.room_choice(candidates) if len(candidates) > 1 else None
            if choice is not None and station.venue == Venue.STAFF_ROOM:
                room_staff = choice
                rooms = list(choice)
                choice_staff.update(candidates)
            else:
                known = self.staffing.get((cohort.id, station.code))
                if len(candidates) > 1 and known in candidates:
                    teacher = known
                    note = (
                        f"{station.code}: staff pre-assigned as in the given day (FET cannot pick)"
                    )
                    if note not in self.notes:
                        self.notes.append(note)
                elif len(candidates) > 1:
                    teacher = candidates[(cohort.id + len(self.activities)) % len(candidates)]
                    note = f"{station.code}: staff pre-assigned round-robin (FET cannot choose)"
                    if note not in self.notes:
                        self.notes.append(note)
                else:
                    teacher = candidates[0]
        room_id = p.venue_room(cohort, station, teacher)
        if not rooms and room_id is not None:
            if p.room(room_id).shared:
                shared.setdefault(room_id, [])
            else:
                rooms = [self.room_names[room_id]]
        group_id = self.next_id if len(lengths) > 1 else 0
        for index, minutes in enumerate(lengths):
            activity_id = self.new_activity(
                parent,
                cohort=cohort,
                station=station.code,
                minutes=minutes,
                teacher=teacher,
                group=group_id,
                total=sum(lengths),
            )
            self.activities[activity_id] = FetActivity(
                activity_id,
                cohort.id,
                station.code,
                minutes,
                (teacher,) if teacher is not None else (),
                room_staff,
            )
            if locked:  # a known day, to check that FET accepts it: every start and teacher fixed
                block = locked[index]
                self.preferred_starts(activity_id, [self.slot(block.start)])
                if room_staff and block.staff:
                    chosen = [name for name, s in room_staff.items() if s == block.staff[0]]
                    self.preferred_rooms(activity_id, chosen or rooms)
                elif rooms:
                    self.preferred_rooms(activity_id, rooms)
            else:
                if station.window is not None:
                    self.preferred_starts(activity_id, self.starts_within(station.window, minutes))
                if rooms:
                    self.preferred_rooms(activity_id, rooms)
            if room_id is not None and p.room(room_id).shared and not room_staff:
                shared[room_id].append(activity_id)

    def add_prep(self, parent: ET.Element, choice_staff: set[int]) -> None:
        p = self.p
        window = p.prep_window or p.day
        teaching = {s for a in self.activities.values() for s in a.staff} | choice_staff
        for member in p.staff:
            if member.prep_minutes <= 0 or not member.available or member.id not in teaching:
                continue
            activity_id = self.new_activity(
                parent, cohort=None, station="prep", minutes=member.prep_minutes, teacher=member.id
            )
            self.activities[activity_id] = FetActivity(
                activity_id, None, "prep", member.prep_minutes, (member.id,)
            )
            self.preferred_starts(activity_id, self.starts_within(window, member.prep_minutes))
            if member.id in choice_staff and member.room is not None:
                self.preferred_rooms(activity_id, [self.room_names[member.room]])

    def add_staff_availability(self, choice_staff: set[int]) -> None:
        for member in self.p.staff:
            slots = self.unavailable_slots(member.available)
            self.not_available(
                "ConstraintTeacherNotAvailableTimes",
                "Teacher",
                self.teacher_names[member.id],
                slots,
            )
            if member.id in choice_staff and member.room is not None:
                self.not_available(
                    "ConstraintRoomNotAvailableTimes", "Room", self.room_names[member.room], slots
                )

    def add_shared_rooms(self, shared: dict[int, list[int]]) -> None:
        p = self.p
        supervision = {s.lab: s for s in p.supervision}
        for room_id, ids in shared.items():
            room = p.room(room_id)
            if not ids:
                continue
            if room.kind == RoomKind.LEARNING_LAB:
                seats = room.capacity
                if room_id in supervision:
                    rule = supervision[room_id]
                    adults = min(
                        sum(
                            1
                            for s in rule.supervisors
                            if any(w.start <= t < w.end for w in p.member(s).available)
                        )
                        for t in range(p.day.start, p.day.end, self.u)
                    )
                    seats = min(seats, adults * rule.students_per_adult)
                largest = max(
                    p.cohort(a.cohort).students for i in ids if (a := self.activities[i]).cohort
                )
                most = seats // largest
                comment = f"{room.name}: {seats} supervised seats // {largest} students"
            else:
                most = room.capacity
                comment = f"{room.name}: {room.capacity} cohorts at once"
            if most < len(ids):
                self.max_simultaneous(ids, most, comment)
                self.notes.append(f"{room.name}: at most {most} cohorts at once")


def export(
    problem: Problem,
    *,
    lengths: Mapping[tuple[int, str], Sequence[int]] | None = None,
    locked: Sequence[PlacedBlock] = (),
    staffing: Mapping[tuple[int, str], int] | None = None,
) -> FetExport:
    """The FET 6 input file for ``problem`` (raises ``NotExportable``).

    ``lengths`` gives some (cohort, station) pairs their blocks' lengths in the order FET gets
    them (others: ``fixed_lengths``); ``locked`` fixes every listed block's start (and, where FET
    picks the teacher through a room, that room): a day to check that FET accepts it.
    ``staffing`` names the teacher where FET cannot choose one through rooms (else round-robin)."""
    return _Writer(problem, lengths, locked, staffing).build()


# --- running -------------------------------------------------------------------------------------


@dataclass
class FetRun:
    status: str  # "valid", "invalid", "timeout", "error", "not-exportable"
    seconds: float  # wall time of fet-cl (time to its answer, or to the time limit)
    placed: int | None  # activities (prep included) FET placed; on a timeout its best try
    activities: int
    violations: int | None  # our validator on FET's timetable (None when there is none)
    first_violation: str | None
    peak_rss_mb: float | None
    result_text: str
    notes: list[str]
    blocks: tuple[PlacedBlock, ...] = ()


def seeds(seed: int) -> list[str]:
    """The six random-seed components ``fet-cl`` needs to be reproducible, from one integer."""
    base = 1000 + 7 * seed
    return [
        f"--randomseeds10={base + 1}",
        f"--randomseeds11={base + 2}",
        f"--randomseeds12={base + 3}",
        f"--randomseeds20={base + 4}",
        f"--randomseeds21={base + 5}",
        f"--randomseeds22={base + 6}",
    ]


def parse_timetable(path: Path, exported: FetExport, problem: Problem) -> list[PlacedBlock]:
    """FET's ``*_activities.xml`` as our blocks (prep activities are dropped)."""
    tree = ET.parse(path)
    hours = {
        clock(exported.day_start + s * exported.slot_minutes): s
        for s in range(problem.day.minutes // exported.slot_minutes)
    }
    blocks = []
    for element in tree.getroot().iter("Activity"):
        activity = exported.activities.get(int(element.findtext("Id", "0")))
        hour = element.findtext("Hour")
        if activity is None or activity.cohort is None or not hour or hour not in hours:
            continue
        start = exported.day_start + hours[hour] * exported.slot_minutes
        room_name = element.findtext("Room") or ""
        staff = activity.staff
        if activity.room_staff:
            chosen = activity.room_staff.get(room_name)
            staff = (chosen,) if chosen is not None else ()
        cohort = problem.cohort(activity.cohort)
        station = problem.template_of(cohort).station(activity.station)
        assert station is not None
        room = problem.venue_room(cohort, station, staff[0] if staff else None)
        blocks.append(
            PlacedBlock(
                cohort=activity.cohort,
                station=activity.station,
                start=start,
                end=start + activity.minutes,
                room=room,
                staff=staff,
            )
        )
    return blocks


def run(
    problem: Problem,
    workdir: Path,
    *,
    time_limit: int,
    seed: int,
    name: str,
    lengths: Mapping[tuple[int, str], Sequence[int]] | None = None,
    locked: Sequence[PlacedBlock] = (),
    staffing: Mapping[tuple[int, str], int] | None = None,
) -> FetRun:
    """Export ``problem``, run ``fet-cl`` on it and judge its timetable with ``validate()``."""
    from scheduling.solver.validate import validate

    try:
        exported = export(problem, lengths=lengths, locked=locked, staffing=staffing)
    except NotExportable as error:
        return FetRun("not-exportable", 0.0, None, 0, None, str(error), None, "", [])
    if shutil.which(FET_BINARY) is None:
        return FetRun("error", 0.0, None, 0, None, "fet-cl is not installed", None, "", [])
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / f"{name}.fet"
    source.write_bytes(exported.xml)
    out = workdir / f"{name}-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    command = [
        FET_BINARY,
        f"--inputfile={source}",
        f"--outputdir={out}",
        f"--timelimitseconds={time_limit}",
        "--htmllevel=0",
        "--language=en_US",
        *seeds(seed),
        "--warnifusingnotperfectconstraints=false",
        "--warnsubgroupswiththesameactivities=false",
    ]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    began = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=workdir
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped above
    seconds = time.perf_counter() - began
    peak = usage.ru_maxrss / 1024
    result_file = out / "logs" / "result.txt"
    result_text = result_file.read_text(errors="replace") if result_file.exists() else ""
    if not result_text:
        result_text = output.decode(errors="replace")[-2000:]
    timetable = out / "timetables" / name / f"{name}_activities.xml"
    total = len(exported.activities)
    succeeded = "time exceeded" not in result_text.lower() and timetable.exists()
    if not succeeded:
        placed = _placed_on_timeout(out / "logs" / "max_placed_activities.txt")
        status = "timeout" if "time exceeded" in result_text.lower() else "error"
        return FetRun(
            status,
            seconds,
            placed,
            total,
            None,
            _first_line(result_text),
            peak,
            result_text,
            exported.notes,
        )
    blocks = parse_timetable(timetable, exported, problem)
    violations = validate(problem, blocks)
    return FetRun(
        "valid" if not violations else "invalid",
        seconds,
        total,
        total,
        len(violations),
        violations[0].message if violations else None,
        peak,
        result_text,
        exported.notes,
        tuple(blocks),
    )


def _placed_on_timeout(log: Path) -> int | None:
    """The most activities FET had placed at once, from ``logs/max_placed_activities.txt``."""
    if not log.exists():
        return None
    counts = re.findall(r"reached (\d+) activities placed", log.read_text(errors="replace"))
    return max(map(int, counts)) if counts else None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""
