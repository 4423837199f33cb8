"""One district, written as the student information systems write their OneRoster CSV exports.

``bay_valley()`` is the district as its SIS holds it: two K-5 schools and a middle school, a TK
homeroom, a 4/5 combination class, a kindergartner who changed homeroom in November, a music
teacher employed by the district who teaches at both elementary schools, a principal, and
parents, guardians and a relative (siblings at two schools, a child with two). Each writer below
renders it as one vendor's documentation (or published export code) says that vendor writes it:
ids, column sets, quoting, line ends, optional files, manifest rows, date formats, grade codes,
classType, roles. Where a source is silent we write the spec's way and say so.

Sources (read through public copies; the quoted details are theirs):

PowerSchool SIS (``powerschool``)
    "OneRoster 1.1 PowerQueries", a PowerSchool plugin publishing each OneRoster 1.1 file as a
    named query for Data Export Manager / AutoSend, by Lawrence Public Schools
    (github.com/Lawrence-Public-Schools/OneRoster-1.1-PowerQueries, queries_root/
    net.ksdr1.powerschool.oneroster.*.named_queries.xml). Its SQL gives: sourcedIds
    ``T``+users.dcid for staff, ``S``+students.dcid for students, ``G``+guardianid for
    guardians, school numbers for orgs (the district's from prefs.districtnumber), section ids
    for classes, courses.dcid for courses; every class ``scheduled`` (never homeroom), with
    one grade, sections.grade_level mapped <= -3 IT, -2..-1 PK (so TK, grade level -1, is
    written PK), 0 KG, 1-12 two digits; status and dateLastModified empty in users, classes,
    courses and enrollments but ``active`` and ``yyyy-mm-ddThh:mi:ss.000Z`` in orgs and
    academicSessions; a staff member's orgSourcedIds the home school first, then the other
    schools, with school 0 (district office) written as the district number; guardians with
    the role ``guardian`` and as orgSourcedIds their children's schools, one per child
    (LISTAGG: ``101,101`` for two children at one school); agentSourcedIds written both ways;
    middleName cut to its initial; a student's enrollment endDate is ``cc.dateleft - 1`` and
    its ``primary`` empty, a teacher's ``true`` (lead) or ``false``; class titles
    ``<year> | <course> | Per <period> | Sec <n>``; termSourcedIds ``<school>-<termid>``,
    which names no academicSessions row (those are the term ids alone); courses.orgSourcedId
    the district number for a district-wide course, subjects written ``,MATH,``. The labels
    the plugin gives orgs and academicSessions columns are lower case (``a_sourcedid``,
    ``c_datelastmodified``), and we write those two headers in lower case. Data Export
    Manager's options of the PowerSchool SIS "Import and Export User Guide" (surround values
    in quotes, record delimiter) are ours to pick: every value quoted, CRLF. The plugin makes
    no manifest: the district writes one for the seven files it exports.

Aeries SIS (``aeries``)
    "Aeries to OneRoster Data Mapping" (support.aeries.com/support/solutions/articles/
    14000085077), "OneRoster CSV Extract" (.../articles/14000067156) and "Flex Scheduling
    (OneRoster v1.1)" (.../articles/14000134412): the CSV extract and the API share one
    mapping; staff sourcedIds are prefixed ``TCH_``; academic sessions ``<school>_<term>`` of
    type ``term``; dateLastModified converted to UTC; only students with a current class
    enrollment are extracted (so a moved student's old class is simply absent). An elementary
    school without a master schedule writes one class per teacher: sourcedId
    ``<school>_TN_<teacher number>``, title blank, classType ``scheduled``, grades every grade
    from the teacher's low to high (``04,05``), course ``TCH_<id>``, term ``<school>_Y``,
    periods ``0``. With a master schedule (``master_schedule=True``): sourcedId
    ``<school>_<section>``, title the course title (CRS.CO: every homeroom is "Homeroom"),
    classType ``homeroom`` for an elementary homeroom, grades low to high. Aeries writes TK as
    TK here (the mapping shows KG and 01; the TK code is the spec's). No guardian file is
    documented, so none is written. Values quoted only when they hold a comma; CRLF.

Infinite Campus (``infinite_campus``, ``infinite_campus_delta``)
    "OneRoster CSV Extract Configuration" (kb.infinitecampus.com/help/
    oneroster-csv-extract-configuration): OneRoster 1.1, a zip of 11 CSV files, bulk and delta
    extracts. "OneRoster 1.1 Data Models" (kb.infinitecampus.com/help/oneroster-11-data-models):
    sourcedIds are GUIDs; roles student, teacher, administrator (a non-teacher assignment),
    guardian and relative; a user's active role is primary. The requirements an IC
    integration lists (SEL Compass, "How do I integrate with Infinite Campus?"): header names
    case-sensitive, files at the zip's root, double quotes around values holding a comma,
    UTF-8. The 11 files are taken to be the manifest, the seven roster files and the
    gradebook files categories, lineItems and results (header only: no scores yet); a
    homeroom section is written ``homeroom`` (Section Information's Homeroom checkbox); a
    district-level assignment makes a staff member's only org the district. LF line ends.

ClassLink Roster Server (``classlink``)
    "OneRoster 1.1 CSVs" (support.classlink.com/hc/en-us/articles/115002517753): seven files
    are mandatory (manifest, academicSessions, orgs, courses, classes, users, enrollments) and
    demographics strongly recommended; every column of the templates is present even when its
    values are not required. With IMS Global's "OneRoster: CSV Tables" 1.1
    (imsglobal.org/oneroster-v11-final-csv-tables): CEDS grade codes, homeroom classes,
    status and dateLastModified filled, the manifest naming every file of 1.1. This is the
    shape a district re-exports from ClassLink ("Downloading CSVs from an Import", "As
    processed"), and the closest to the spec's own.

Not written: Skyward and Synergy (Edupoint), whose OneRoster CSV documentation is not public;
Clever, whose SFTP format (schools.csv, students.csv, sections.csv...) is not OneRoster.
"""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from dataclasses import dataclass
from typing import Literal

from students.oneroster.columns import FILES

from .oneroster_files import OneRosterExport

TODAY = datetime.date(2024, 11, 15)  # the import's date in the tests
FIRST_DAY = datetime.date(2024, 8, 12)
LAST_DAY = datetime.date(2025, 6, 12)
DISTRICT = "district"  # a teacher's home org when the district employs them
Row = dict[str, str]  # a CSV row: column -> value

# Every file OneRoster 1.1 defines, in the spec's order, for manifests that name them all.
ONEROSTER_1_1_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItems",
    "orgs",
    "resources",
    "results",
    "users",
)
# The roster files every vendor writes, in the spec's order.
ROSTER_FILES = (
    "orgs.csv",
    "academicSessions.csv",
    "courses.csv",
    "classes.csv",
    "users.csv",
    "enrollments.csv",
    "demographics.csv",
)
# The gradebook files Infinite Campus's 11-file zip carries, header only.
GRADEBOOK_COLUMNS = {
    "categories.csv": ("sourcedId", "status", "dateLastModified", "title"),
    "lineItems.csv": (
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "description",
        "assignDate",
        "dueDate",
        "classSourcedId",
        "categorySourcedId",
        "gradingPeriodSourcedId",
        "resultValueMin",
        "resultValueMax",
    ),
    "results.csv": (
        "sourcedId",
        "status",
        "dateLastModified",
        "lineItemSourcedId",
        "studentSourcedId",
        "scoreStatus",
        "score",
        "scoreDate",
        "comment",
    ),
}


# --- the district, as its SIS holds it ---------------------------------------------------------


@dataclass(frozen=True)
class School:
    key: str
    name: str
    number: str  # the SIS's school number or code
    middle: bool = False


@dataclass(frozen=True)
class Section:
    """A class: a homeroom (``homeroom``) or a scheduled section such as music."""

    key: str
    school: str
    course: str  # a key of District.courses
    grades: tuple[str, ...]  # CEDS codes, low to high
    teacher: str
    homeroom: bool
    room: str
    number: int  # the SIS's section (or teacher) number


@dataclass(frozen=True)
class Seat:
    """A student's enrollment in a section; ``end`` is the last day enrolled."""

    section: str
    begin: datetime.date = FIRST_DAY
    end: datetime.date = LAST_DAY


@dataclass(frozen=True)
class Pupil:
    key: str
    school: str
    grade: str  # CEDS code
    given: str
    family: str
    number: str  # the student id the school uses
    seats: tuple[Seat, ...]
    middle_name: str = ""


@dataclass(frozen=True)
class Teacher:
    key: str
    given: str
    family: str
    home: str  # a school key, or DISTRICT
    number: str
    role: str = "teacher"  # OneRoster 1.1 role: teacher, administrator, aide


@dataclass(frozen=True)
class Parent:
    key: str
    given: str
    family: str
    role: str  # parent, guardian or relative
    children: tuple[str, ...]  # Pupil keys
    email: str
    phone: str


@dataclass(frozen=True)
class District:
    name: str
    number: str
    schools: tuple[School, ...]
    courses: dict[str, tuple[str, str]]  # key -> (code, title)
    sections: tuple[Section, ...]
    teachers: tuple[Teacher, ...]
    pupils: tuple[Pupil, ...]
    parents: tuple[Parent, ...]

    def school(self, key: str) -> School:
        return next(s for s in self.schools if s.key == key)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def pupil(self, key: str) -> Pupil:
        return next(p for p in self.pupils if p.key == key)

    def teacher(self, key: str) -> Teacher:
        return next(t for t in self.teachers if t.key == key)

    def schools_of(self, teacher: Teacher) -> list[str]:
        """The schools a teacher works at: their home school first, then where they teach."""
        schools = [teacher.home] if teacher.home != DISTRICT else []
        for section in self.sections:
            if section.teacher == teacher.key and section.school not in schools:
                schools.append(section.school)
        return schools

    def parents_of(self, pupil: Pupil) -> list[Parent]:
        return [p for p in self.parents if pupil.key in p.children]

    def is_current(self, seat: Seat) -> bool:
        return seat.begin <= TODAY <= seat.end


def bay_valley() -> District:
    """The district every vendor test imports. Import date ``TODAY`` (15 November 2024).

    - Alder Street Elementary (TK-5): TK Rivera (tk1, tk2), K Okafor (ka1, ka2; mover until 31
      October), K Lindqvist (kb1; mover from 4 November), 1 Haddad (a1a, a1b), 4/5 Nakamura
      (c4a, c4b, c4c in 4th grade, c5a, c5b in 5th);
    - Mission Heights Elementary (K-5): K Osei (mk1, mk2), 2 Brennan (m2a, m2b), 5 Castillo
      (m5a, m5b), principal Ward;
    - Discovery Middle School (6-8): 6 Adeyemi (d6a, d6b), 7 Kowalski (d7a);
    - music teacher Sato, employed by the district, teaches Music at Alder (ka1, a1a, c4a,
      c5a) and at Mission (mk1, m2a, m5a);
    - parents: the parent of ka1 and a1b (both at Alder), a guardian of siblings a1a (Alder)
      and m2a (Mission), c4a's parent and a relative of c4a, tk1's parent, d6a's parent, the
      mover's parent and mk1's parent.

    So a K-5 network imports 2 schools, 7 cohorts and 17 students (TK as kindergarten: 8 and
    19), leaving out TK (2 students, 1 homeroom) and the middle school (3 students).
    """
    schools = (
        School("alder", "Alder Street Elementary", "101"),
        School("mission", "Mission Heights Elementary", "102"),
        School("middle", "Discovery Middle School", "201", middle=True),
    )
    courses = {
        "homeroom": ("HR", "Homeroom"),
        "music": ("MUS", "General Music"),
    }
    rooms = [
        # key, school, grades, teacher, room
        ("alder-tk", "alder", ("TK",), "rivera", "1"),
        ("alder-ka", "alder", ("KG",), "okafor", "2"),
        ("alder-kb", "alder", ("KG",), "lindqvist", "3"),
        ("alder-1", "alder", ("01",), "haddad", "4"),
        ("alder-45", "alder", ("04", "05"), "nakamura", "12"),
        ("mission-k", "mission", ("KG",), "osei", "A1"),
        ("mission-2", "mission", ("02",), "brennan", "B2"),
        ("mission-5", "mission", ("05",), "castillo", "C5"),
        ("middle-6", "middle", ("06",), "adeyemi", "601"),
        ("middle-7", "middle", ("07",), "kowalski", "702"),
    ]
    sections = [
        Section(key, school, "homeroom", grades, teacher, True, room, 1000 + n)
        for n, (key, school, grades, teacher, room) in enumerate(rooms, start=1)
    ]
    sections += [
        Section(
            "alder-music", "alder", "music", ("KG", "01", "04", "05"), "sato", False, "MR", 2001
        ),
        Section("mission-music", "mission", "music", ("KG", "02", "05"), "sato", False, "MR", 2002),
    ]
    given = ("Rosa", "Obi", "Lena", "Hadi", "Naoko", "Kofi", "Bree", "Carmen", "Ade", "Kasia")
    teachers = [
        Teacher(teacher, given[n - 1], teacher.title(), school, f"{4200 + n}")
        for n, (_, school, _, teacher, _) in enumerate(rooms, start=1)
    ]
    teachers += [
        Teacher("sato", "Kenji", "Sato", DISTRICT, "4300"),
        Teacher("ward", "Alma", "Ward", "mission", "4301", role="administrator"),
    ]
    moved = (
        Seat("alder-ka", end=datetime.date(2024, 10, 31)),
        Seat("alder-kb", begin=datetime.date(2024, 11, 4)),
    )
    music = {"ka1": "alder", "a1a": "alder", "c4a": "alder", "c5a": "alder"}
    music |= {"mk1": "mission", "m2a": "mission", "m5a": "mission"}
    pupils_by_room = {
        "alder-tk": [("tk1", "TK"), ("tk2", "TK")],
        "alder-ka": [("ka1", "KG"), ("ka2", "KG")],
        "alder-kb": [("kb1", "KG")],
        "alder-1": [("a1a", "01"), ("a1b", "01")],
        "alder-45": [("c4a", "04"), ("c4b", "04"), ("c4c", "04"), ("c5a", "05"), ("c5b", "05")],
        "mission-k": [("mk1", "KG"), ("mk2", "KG")],
        "mission-2": [("m2a", "02"), ("m2b", "02")],
        "mission-5": [("m5a", "05"), ("m5b", "05")],
        "middle-6": [("d6a", "06"), ("d6b", "06")],
        "middle-7": [("d7a", "07")],
    }
    pupils = []
    number = 20240
    for room, members in pupils_by_room.items():
        school = next(s for s in sections if s.key == room).school
        for key, grade in members:
            number += 1
            seats = [Seat(room)]
            if key in music:
                seats.append(Seat(f"{music[key]}-music"))
            pupils.append(
                Pupil(key, school, grade, key.upper(), f"Family{key}", str(number), tuple(seats))
            )
    pupils.append(Pupil("mover", "alder", "KG", "MOVER", "Familymover", "20299", moved, "Lee"))
    parents = (
        Parent(
            "p-ka1", "Ana", "Parentka1", "parent", ("ka1", "a1b"), "ana@example.net", "408-555-0101"
        ),
        Parent("p-sib", "Ben", "Guardsib", "guardian", ("a1a", "m2a"), "ben@example.net", ""),
        Parent("p-c4a", "Cy", "Parentc4a", "parent", ("c4a",), "cy@example.net", "408-555-0103"),
        Parent("r-c4a", "Di", "Auntc4a", "relative", ("c4a",), "", "408-555-0104"),
        Parent("p-tk1", "Ed", "Parenttk1", "parent", ("tk1",), "ed@example.net", ""),
        Parent("p-d6a", "Flo", "Parentd6a", "parent", ("d6a",), "flo@example.net", ""),
        Parent("p-mover", "Gus", "Parentmover", "parent", ("mover",), "gus@example.net", ""),
        Parent("p-mk1", "Hal", "Parentmk1", "parent", ("mk1",), "hal@example.net", ""),
    )
    return District(
        name="Bay Valley Unified",
        number="4410",
        schools=schools,
        courses=courses,
        sections=tuple(sections),
        teachers=tuple(teachers),
        pupils=tuple(pupils),
        parents=parents,
    )


# --- the writer ---------------------------------------------------------------------------------


@dataclass
class VendorExport(OneRosterExport):
    """An export with a vendor's own CSV dialect: ``quoting`` (a ``csv`` constant), line ends,
    header names written in lower case for the files in ``lower_headers``, and the manifest's
    exact rows (``manifest_rows``; None: ``OneRosterExport``'s). A file the reader does not
    know (a gradebook file) takes its header from ``headers``."""

    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL
    line_end: str = "\r\n"
    lower_headers: frozenset[str] = frozenset()
    manifest_rows: list[tuple[str, str]] | None = None

    def _csv(self, name: str, rows: list[dict[str, str]]) -> bytes:
        header = list(self.headers.get(name) or FILES[self.version][name].columns)
        for row in rows:
            header.extend(key for key in row if key not in header)
        written = [c.lower() for c in header] if name in self.lower_headers else header
        out = io.StringIO()
        writer = csv.writer(out, quoting=self.quoting, lineterminator=self.line_end)
        writer.writerow(written)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])
        return (b"\xef\xbb\xbf" if self.bom else b"") + out.getvalue().encode("utf-8")

    def _manifest(self) -> bytes:
        if self.manifest_rows is None:
            return super()._manifest()
        out = io.StringIO()
        writer = csv.writer(out, quoting=self.quoting, lineterminator=self.line_end)
        writer.writerow(["propertyName", "value"])
        writer.writerows(self.manifest_rows)
        return out.getvalue().encode("utf-8")


def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _join(values: list[str] | tuple[str, ...]) -> str:
    return ",".join(values)


def _tables(*rows: list[Row]) -> dict[str, list[Row]]:
    """The seven roster files, from their rows in the spec's order (orgs, academicSessions,
    courses, classes, users, enrollments, demographics)."""
    return dict(zip(ROSTER_FILES, rows, strict=True))


def _manifest_rows(
    tables: dict[str, list[Row]],
    *,
    source: tuple[str, str] | None,
    mode: str = "bulk",
    listed: tuple[str, ...] = ONEROSTER_1_1_FILES,
) -> list[tuple[str, str]]:
    """A 1.1 manifest naming the files ``listed`` (``mode`` when the export has them, else
    absent), signed by ``source`` (system name and code) when given."""
    rows = [("manifest.version", "1.0"), ("oneroster.version", "1.1")]
    rows += [(f"file.{stem}", mode if f"{stem}.csv" in tables else "absent") for stem in listed]
    if source is not None:
        rows += [("source.systemName", source[0]), ("source.systemCode", source[1])]
    return rows


# --- rows as the spec has them; each vendor passes its own values as ``fields`` ------------------
#
# ``ids`` maps the district's keys to the vendor's sourcedIds (courses as ``course:<key>``,
# the district as ``DISTRICT``); ``common`` holds status and dateLastModified where the vendor
# fills them. A field given as "" is written empty, as when it is left out.


def _orgs(district: District, ids: dict[str, str], common: Row, *, identifier: bool) -> list[Row]:
    """The district and its schools; a school's identifier its number when ``identifier``."""
    orgs = [{**common, "sourcedId": ids[DISTRICT], "name": district.name, "type": "district"}]
    orgs += [
        {
            **common,
            "sourcedId": ids[school.key],
            "name": school.name,
            "type": "school",
            "identifier": school.number if identifier else "",
            "parentSourcedId": ids[DISTRICT],
        }
        for school in district.schools
    ]
    return orgs


def _session(common: Row, sourced_id: str, title: str, *, kind: str = "schoolYear") -> Row:
    """The school year 2024-25, or a term of it as long."""
    return {
        **common,
        "sourcedId": sourced_id,
        "title": title,
        "type": kind,
        "startDate": _iso(FIRST_DAY),
        "endDate": _iso(LAST_DAY),
        "schoolYear": "2025",
    }


def _courses(district: District, ids: dict[str, str], common: Row, **fields: str) -> list[Row]:
    """The district's courses, district-wide (the district is their org)."""
    return [
        {
            **common,
            "sourcedId": ids[f"course:{key}"],
            "title": title,
            "courseCode": code,
            "orgSourcedId": ids[DISTRICT],
            **fields,
        }
        for key, (code, title) in district.courses.items()
    ]


def _class(
    district: District,
    section: Section,
    ids: dict[str, str],
    common: Row,
    *,
    scheduled_title: str | None = None,
    **fields: str,
) -> Row:
    """``section``'s class: a homeroom titled by its grades and teacher ("04/05" is "4/5"), a
    scheduled section by ``scheduled_title`` (its course's title when None); its CEDS grades,
    classCode ``<course code>-<section number>``, classType homeroom or scheduled."""
    code, title = district.courses[section.course]
    if section.homeroom:
        grades = "/".join(g.lstrip("0") or "K" for g in section.grades)
        title = f"{grades} {district.teacher(section.teacher).family}"
    elif scheduled_title is not None:
        title = scheduled_title
    return {
        **common,
        "sourcedId": ids[section.key],
        "title": title,
        "grades": _join(section.grades),
        "courseSourcedId": ids[f"course:{section.course}"],
        "classCode": f"{code}-{section.number}",
        "classType": "homeroom" if section.homeroom else "scheduled",
        "location": section.room,
        "schoolSourcedId": ids[section.school],
        **fields,
    }


def _staff_email(teacher: Teacher) -> str:
    return f"{teacher.given}.{teacher.family}@bayvalley.example".lower()


def _user(
    person: Teacher | Pupil | Parent,
    ids: dict[str, str],
    common: Row,
    *,
    orgs: list[str],
    username: str,
    fields: Row,
) -> Row:
    """users.csv's row for ``person``: enabled, in ``orgs``; ``fields`` are the rest."""
    return {
        **common,
        "sourcedId": ids[person.key],
        "enabledUser": "true",
        "orgSourcedIds": _join(orgs),
        "username": username,
        "givenName": person.given,
        "familyName": person.family,
        **fields,
    }


def _staff(
    district: District,
    teacher: Teacher,
    ids: dict[str, str],
    common: Row,
    *,
    username: str,
    orgs: list[str] | None = None,
    **fields: str,
) -> Row:
    """A staff member with their role; their orgs (when not given) the schools they work at,
    or the district alone when the district employs them (a district assignment)."""
    if orgs is None:
        orgs = (
            [ids[DISTRICT]]
            if teacher.home == DISTRICT
            else [ids[s] for s in district.schools_of(teacher)]
        )
    own = {"role": teacher.role, "identifier": teacher.number, "email": _staff_email(teacher)}
    return _user(teacher, ids, common, orgs=orgs, username=username, fields=own | fields)


def _student(
    district: District,
    pupil: Pupil,
    ids: dict[str, str],
    common: Row,
    *,
    username: str,
    **fields: str,
) -> Row:
    """A student at their school with their CEDS grade; their agents the parents the export
    writes (those ``ids`` names)."""
    parents = [ids[p.key] for p in district.parents_of(pupil) if p.key in ids]
    own = {
        "role": "student",
        "middleName": pupil.middle_name,
        "identifier": pupil.number,
        "agentSourcedIds": _join(parents),
        "grades": pupil.grade,
    }
    orgs = [ids[pupil.school]]
    return _user(pupil, ids, common, orgs=orgs, username=username, fields=own | fields)


def _guardian(
    parent: Parent,
    ids: dict[str, str],
    common: Row,
    *,
    orgs: list[str],
    username: str,
    **fields: str,
) -> Row:
    """A parent, guardian or relative (their role), their agents their children."""
    own = {
        "role": parent.role,
        "email": parent.email,
        "phone": parent.phone,
        "agentSourcedIds": _join([ids[key] for key in parent.children]),
    }
    return _user(parent, ids, common, orgs=orgs, username=username, fields=own | fields)


def _children_schools(district: District, parent: Parent, ids: dict[str, str]) -> list[str]:
    """The school of each of ``parent``'s children, one per child."""
    return [ids[district.pupil(key).school] for key in parent.children]


def _enrollment(
    section: Section,
    user: str,
    ids: dict[str, str],
    common: Row,
    *,
    sourced_id: str,
    seat: Seat | None = None,
    **fields: str,
) -> Row:
    """``user`` (a key) in ``section``: its teacher, primary, for the year; or a student for
    their ``seat``'s days."""
    return {
        **common,
        "sourcedId": sourced_id,
        "classSourcedId": ids[section.key],
        "schoolSourcedId": ids[section.school],
        "userSourcedId": ids[user],
        "role": "student" if seat else "teacher",
        "primary": "false" if seat else "true",
        "beginDate": _iso(seat.begin if seat else FIRST_DAY),
        "endDate": _iso(seat.end if seat else LAST_DAY),
        **fields,
    }


def _seats(district: District) -> list[tuple[Pupil, Seat, Section]]:
    """Every student's every seat, with its section, student by student."""
    return [
        (pupil, seat, district.section(seat.section))
        for pupil in district.pupils
        for seat in pupil.seats
    ]


def _birth_date(pupil: Pupil, n: int) -> str:
    """A plausible birth date: a kindergartner of 2024-25 was born in 2019."""
    level = {"TK": -1, "KG": 0}[pupil.grade] if pupil.grade in ("TK", "KG") else int(pupil.grade)
    return f"{2019 - level}-{n % 12 + 1:02d}-{n % 27 + 1:02d}"


def _demographics(
    district: District, ids: dict[str, str], common: Row, *, sexes: tuple[str, ...], **fields: str
) -> list[Row]:
    """A row a student, their sex taken in turn from ``sexes``."""
    return [
        {
            **common,
            "sourcedId": ids[pupil.key],
            "birthDate": _birth_date(pupil, n),
            "sex": sexes[n % len(sexes)],
            **fields,
        }
        for n, pupil in enumerate(district.pupils)
    ]


# --- PowerSchool --------------------------------------------------------------------------------

# PowerSchool grade levels are numbers (TK is -1, PK -2); the plugin writes them so.
_POWERSCHOOL_LEVELS = {"IT": -3, "PR": -2, "PK": -2, "TK": -1, "KG": 0}


def _powerschool_grade(ceds: str) -> str:
    level = _POWERSCHOOL_LEVELS.get(ceds)
    if level is None:
        level = int(ceds)
    if level <= -3:
        return "IT"
    if level <= -1:
        return "PK"
    if level == 0:
        return "KG"
    return f"{level:02d}" if level <= 12 else "PS"


def powerschool_ids(district: District) -> dict[str, str]:
    """The sourcedIds ``powerschool`` writes, by key: schools, people, sections, and courses as
    ``course:<key>``."""
    ids = {s.key: s.number for s in district.schools} | {DISTRICT: district.number}
    ids |= {t.key: f"T{300 + n}" for n, t in enumerate(district.teachers)}
    ids |= {p.key: f"S{7000 + n}" for n, p in enumerate(district.pupils)}
    ids |= {p.key: f"G{90 + n}" for n, p in enumerate(district.parents)}
    ids |= {f"course:{key}": str(1700 + n) for n, key in enumerate(district.courses)}
    ids |= {s.key: str(30000 + s.number) for s in district.sections}
    return ids


def powerschool(district: District) -> VendorExport:
    """``district`` as the OneRoster 1.1 PowerQueries plugin and Data Export Manager write it
    (see the module's docstring)."""
    ids = powerschool_ids(district)
    # Only orgs and academicSessions carry status and dateLastModified.
    stamped = {"status": "active", "dateLastModified": f"{TODAY.isoformat()}T06:00:00.000Z"}
    year_term = "3400"  # terms.id of the school year (yearid 34)
    orgs = _orgs(district, ids, stamped, identifier=False)
    sessions = [_session(stamped, year_term, "2024-2025")]
    # District-wide courses (school 0): their orgSourcedId is the district number.
    courses = [
        {**course, "subjects": f",{course['courseCode']},"}
        for course in _courses(district, ids, {})
    ]
    classes = []
    for n, section in enumerate(district.sections, start=1):
        title = district.courses[section.course][1]
        period = "HR" if section.homeroom else "3(A)"
        classes.append(
            _class(
                district,
                section,
                ids,
                {},
                title=f"24-25 | {title} | Per {period} | Sec {n}",
                # sections.grade_level: one grade, the lowest of a combination class's.
                grades=_powerschool_grade(section.grades[0]),
                classCode="",
                classType="scheduled",
                termSourcedIds=f"{ids[section.school]}-{year_term}",
                periods=period,
            )
        )
    users = []
    for teacher in district.teachers:
        others = [ids[s] for s in district.schools_of(teacher) if s != teacher.home]
        users.append(
            _staff(
                district,
                teacher,
                ids,
                {},
                username=f"{teacher.given[0]}{teacher.family}".lower(),
                orgs=[ids[teacher.home], *others],
                role="teacher",  # the plugin writes every staff member as a teacher
                phone="408-555-0199",
            )
        )
    users += [
        _student(
            district,
            pupil,
            ids,
            {},
            username=f"s{pupil.number}",
            middleName=pupil.middle_name[:1],
            email=f"s{pupil.number}@students.bayvalley.example",
            grades=_powerschool_grade(pupil.grade),
        )
        for pupil in district.pupils
    ]
    users += [
        _guardian(
            parent,
            ids,
            {},
            # LISTAGG of the children's schools: one entry per child.
            orgs=_children_schools(district, parent, ids),
            username=parent.email or f"{parent.key}@parents.bayvalley.example",
            role="guardian",  # the plugin writes every contact a guardian
            identifier=str(8800 + n),
            phone="",
        )
        for n, parent in enumerate(district.parents)
    ]
    enrollments = [
        _enrollment(
            section,
            section.teacher,
            ids,
            {},
            sourced_id=f"ST{section.number}-{ids[section.teacher]}",
        )
        for section in district.sections
    ]
    # endDate is cc.dateleft - 1, the last day enrolled; primary is left empty.
    enrollments += [
        _enrollment(section, pupil.key, ids, {}, sourced_id=f"S{cc}", seat=seat, primary="")
        for cc, (pupil, seat, section) in enumerate(_seats(district), start=5101)
    ]
    demographics = _demographics(
        district,
        ids,
        {"status": "active"},
        sexes=("male", "female"),
        americanIndianOrAlaskaNative="false",
        hispanicOrLatinoEthnicity="false",
    )
    tables = _tables(orgs, sessions, courses, classes, users, enrollments, demographics)
    stems = tuple(name.removesuffix(".csv") for name in tables)
    return VendorExport(
        "1.1",
        tables,
        quoting=csv.QUOTE_ALL,
        line_end="\r\n",
        lower_headers=frozenset({"orgs.csv", "academicSessions.csv"}),
        manifest_rows=_manifest_rows(tables, source=None, listed=stems),
    )


# --- Aeries -------------------------------------------------------------------------------------


def _grades_between(low: str, high: str) -> list[str]:
    """Every CEDS grade from ``low`` to ``high``, as Aeries lists a class's LO to HI."""
    order = ["TK", "KG", *(f"{n:02d}" for n in range(1, 13))]
    return order[order.index(low) : order.index(high) + 1]


def aeries_ids(district: District, *, master_schedule: bool) -> dict[str, str]:
    """The sourcedIds ``aeries`` writes, by key (courses as ``course:<key>``)."""
    ids = {s.key: s.number for s in district.schools} | {DISTRICT: district.number}
    ids |= {t.key: f"TCH_{t.number}" for t in district.teachers}
    ids |= {p.key: p.number for p in district.pupils}
    for section in district.sections:
        school = district.school(section.school).number
        if master_schedule:
            ids[section.key] = f"{school}_{section.number}"
        else:
            teacher = district.teacher(section.teacher)
            ids[section.key] = f"{school}_TN_{teacher.number[-3:]}"
    ids |= {f"course:{key}": code for key, (code, _) in district.courses.items()}
    return ids


def aeries(district: District, *, master_schedule: bool) -> VendorExport:
    """``district`` as Aeries's OneRoster CSV extract writes it, for elementary schools with a
    master schedule (homeroom sections) or without one (a class per teacher)."""
    ids = aeries_ids(district, master_schedule=master_schedule)
    # Aeries's DTS fields, converted to UTC
    common = {"status": "active", "dateLastModified": f"{TODAY.isoformat()}T14:03:11Z"}
    orgs = _orgs(district, ids, common, identifier=True)
    sessions = [
        _session(common, f"{school.number}_Y", "Year", kind="term") for school in district.schools
    ]
    classes: list[dict[str, str]] = []
    courses: list[dict[str, str]] = []
    for section in district.sections:
        school = district.school(section.school).number
        grades = _grades_between(section.grades[0], section.grades[-1])
        if master_schedule:
            course, title = district.courses[section.course]  # CRS.CO: every homeroom is "Homeroom"
            class_type = "homeroom" if section.homeroom else "scheduled"
            periods = "HR" if section.homeroom else "3"
        else:
            # One class per teacher, untitled, its course the teacher.
            course, title = f"TCH_{district.teacher(section.teacher).number}", ""
            class_type, periods = "scheduled", "0"
        if not any(c["sourcedId"] == course for c in courses):
            courses.append(
                {
                    **common,
                    "sourcedId": course,
                    "title": title or f"Elementary {course}",
                    "courseCode": course,
                    "grades": _join(grades),
                    "orgSourcedId": school,
                }
            )
        classes.append(
            _class(
                district,
                section,
                ids,
                common,
                title=title,
                grades=_join(grades),
                courseSourcedId=course,
                classCode="",
                classType=class_type,
                termSourcedIds=f"{school}_Y",
                periods=periods,
            )
        )
    users = [
        _staff(
            district,
            teacher,
            ids,
            common,
            username=_staff_email(teacher),
            orgs=[ids[s] for s in district.schools_of(teacher)] or [ids[DISTRICT]],
        )
        for teacher in district.teachers
    ]
    # No guardian file: students have no agents.
    users += [
        _student(
            district,
            pupil,
            ids,
            common,
            username=f"{pupil.number}@students.bayvalley.example",
            email=f"{pupil.number}@students.bayvalley.example",
        )
        for pupil in district.pupils
    ]
    enrollments = [
        _enrollment(
            section,
            section.teacher,
            ids,
            common,
            sourced_id=f"{ids[section.key]}_{ids[section.teacher]}",
        )
        for section in district.sections
    ]
    enrollments += [
        _enrollment(
            section,
            pupil.key,
            ids,
            common,
            sourced_id=f"{ids[section.key]}_{pupil.number}",
            seat=seat,
            schoolSourcedId=ids[pupil.school],
        )
        for pupil, seat, section in _seats(district)
        if district.is_current(seat)  # Aeries extracts current class enrollments only
    ]
    demographics = _demographics(district, ids, common, sexes=("male", "female"))
    # Written in the order of their names.
    tables = dict(
        sorted(_tables(orgs, sessions, courses, classes, users, enrollments, demographics).items())
    )
    manifest = _manifest_rows(tables, source=("Aeries", "AERIES"))
    return VendorExport("1.1", tables, manifest_rows=manifest)


# --- Infinite Campus ----------------------------------------------------------------------------


def campus_ids(district: District) -> dict[str, str]:
    """The sourcedIds ``infinite_campus`` writes, by key (courses as ``course:<key>``): GUIDs,
    the same for the same key in every export."""
    keys = [DISTRICT, *(s.key for s in district.schools)]
    keys += [f"course:{key}" for key in district.courses]
    keys += [s.key for s in district.sections] + [t.key for t in district.teachers]
    keys += [p.key for p in district.pupils] + [p.key for p in district.parents]
    keys += ["session:year"]
    return {key: _guid(f"campus:{key}") for key in keys}


def _guid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name)).upper()


def _campus_student(district: District, pupil: Pupil, ids: dict[str, str], common: Row) -> Row:
    return _student(district, pupil, ids, common, username=pupil.number)


def _campus_enrollment(
    section: Section, user: str, ids: dict[str, str], common: Row, seat: Seat | None = None
) -> Row:
    sourced_id = _guid(f"campus:enrollment:{section.key}:{user}")
    return _enrollment(section, user, ids, common, sourced_id=sourced_id, seat=seat)


def infinite_campus(district: District) -> VendorExport:
    """``district`` as Infinite Campus's OneRoster 1.1 CSV extract writes it (bulk)."""
    ids = campus_ids(district)
    common = {"status": "active", "dateLastModified": f"{TODAY.isoformat()}T05:42:17.000Z"}
    year = ids["session:year"]
    classes = [
        _class(
            district,
            section,
            ids,
            common,
            scheduled_title=f"Music, {district.school(section.school).name}",  # with a comma
            termSourcedIds=year,
        )
        for section in district.sections
    ]
    users = [
        _staff(
            district,
            teacher,
            ids,
            common,
            username=f"{teacher.given[0]}{teacher.family}".lower(),
            userIds=f"{{LDAP:{teacher.given[0]}{teacher.family}}}".lower(),
        )
        for teacher in district.teachers
    ]
    users += [_campus_student(district, pupil, ids, common) for pupil in district.pupils]
    users += [
        _guardian(
            parent,
            ids,
            common,
            orgs=sorted(set(_children_schools(district, parent, ids))),
            username=f"{parent.given}{parent.family}".lower(),
            role="relative" if parent.role == "relative" else "guardian",
        )
        for parent in district.parents
    ]
    enrollments = [
        _campus_enrollment(section, section.teacher, ids, common) for section in district.sections
    ]
    enrollments += [
        _campus_enrollment(section, pupil.key, ids, common, seat)
        for pupil, seat, section in _seats(district)
    ]
    tables = _tables(
        _orgs(district, ids, common, identifier=True),
        [_session(common, year, "24-25")],
        _courses(district, ids, common, schoolYearSourcedId=year),
        classes,
        users,
        enrollments,
        _demographics(district, ids, common, sexes=("male",)),
    )
    return _campus_export(tables | {name: [] for name in GRADEBOOK_COLUMNS}, mode="bulk")


def _campus_export(tables: dict[str, list[Row]], *, mode: str) -> VendorExport:
    return VendorExport(
        "1.1",
        tables,
        headers={name: list(columns) for name, columns in GRADEBOOK_COLUMNS.items()},
        line_end="\n",
        manifest_rows=_manifest_rows(tables, source=("Infinite Campus", "IC"), mode=mode),
    )


def infinite_campus_delta(
    district: District, *, left: str, joined: Pupil, modified: datetime.datetime
) -> VendorExport:
    """A delta extract of ``district`` (already sent in bulk): pupil ``left`` withdrew (their
    user and enrollments ``tobedeleted``) and ``joined`` enrolled; every file in delta mode,
    the unchanged ones with their header only; dateLastModified is ``modified``."""
    ids = campus_ids(district) | {joined.key: _guid(f"campus:{joined.key}")}
    bulk = infinite_campus(district).tables
    stamp = modified.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def changed(row: Row, status: str) -> Row:
        return {**row, "status": status, "dateLastModified": stamp}

    gone = ids[left]
    users = [changed(u, "tobedeleted") for u in bulk["users.csv"] if u["sourcedId"] == gone]
    enrollments = [
        changed(e, "tobedeleted") for e in bulk["enrollments.csv"] if e["userSourcedId"] == gone
    ]
    new = {"status": "active", "dateLastModified": stamp}
    users.append(_campus_student(district, joined, ids, new))
    enrollments += [
        _campus_enrollment(district.section(seat.section), joined.key, ids, new, seat)
        for seat in joined.seats
    ]
    tables: dict[str, list[Row]] = {name: [] for name in bulk}
    tables["users.csv"] = users
    tables["enrollments.csv"] = enrollments
    return _campus_export(tables, mode="delta")


# --- ClassLink ----------------------------------------------------------------------------------


def classlink_ids(district: District) -> dict[str, str]:
    """The sourcedIds ``classlink`` writes (the SIS's own, as ClassLink passes them on)."""
    ids = {s.key: f"sch-{s.number}" for s in district.schools} | {DISTRICT: "dist-4410"}
    ids |= {f"course:{key}": f"crs-{code}" for key, (code, _) in district.courses.items()}
    ids |= {s.key: f"cls-{s.key}" for s in district.sections}
    ids |= {t.key: f"stf-{t.number}" for t in district.teachers}
    ids |= {p.key: f"stu-{p.number}" for p in district.pupils}
    ids |= {p.key: f"par-{p.key}" for p in district.parents}
    return ids


def classlink(district: District) -> VendorExport:
    """``district`` as a ClassLink Roster Server download (OneRoster 1.1, every column, the
    eight files, homeroom classes, CEDS grades; see the module's docstring)."""
    ids = classlink_ids(district)
    common = {"status": "active", "dateLastModified": f"{TODAY.isoformat()}T11:00:00.000Z"}
    users = [
        _staff(district, teacher, ids, common, username=f"{teacher.given}.{teacher.family}".lower())
        for teacher in district.teachers
    ]
    users += [
        _student(district, pupil, ids, common, username=f"s{pupil.number}")
        for pupil in district.pupils
    ]
    users += [
        _guardian(
            parent,
            ids,
            common,
            orgs=[ids[DISTRICT]],
            username=parent.email or parent.key,
            enabledUser="false",  # no login of their own at the SIS
            sms=parent.phone,
        )
        for parent in district.parents
    ]
    enrollments = [
        _enrollment(
            section, section.teacher, ids, common, sourced_id=f"enr-{section.key}-{section.teacher}"
        )
        for section in district.sections
    ]
    enrollments += [
        _enrollment(
            section, pupil.key, ids, common, sourced_id=f"enr-{section.key}-{pupil.key}", seat=seat
        )
        for pupil, seat, section in _seats(district)
    ]
    tables = _tables(
        _orgs(district, ids, common, identifier=True),
        [_session(common, "y2025", "2024-2025")],
        _courses(district, ids, common, schoolYearSourcedId="y2025"),
        [
            _class(district, section, ids, common, scheduled_title="Music", termSourcedIds="y2025")
            for section in district.sections
        ],
        users,
        enrollments,
        _demographics(district, ids, common, sexes=("female",)),
    )
    manifest = _manifest_rows(tables, source=("ClassLink Roster Server", "CL"))
    return VendorExport("1.1", tables, manifest_rows=manifest)
