"""Exports as student information systems write them import in one pass, with warnings for
what a K-5 network does not run and no errors.

Each test writes the same district (``vendor_exports.bay_valley``: two K-5 schools and a middle
school, TK, a 4/5 combination class, a kindergartner who changed homeroom in November, a music
teacher employed by the district who teaches at both elementary schools, a principal, parents,
a guardian of siblings at two schools and a relative) the way one vendor documents its
OneRoster CSV export (see ``vendor_exports``'s docstring for the sources), and imports it the
way a leader does: a dry run through the import job, then the reviewed dry run applied.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model

from students.models import (
    Cohort,
    Guardian,
    Role,
    RosterImport,
    RosterImportState,
    School,
    Staff,
    Student,
)
from students.oneroster.cohort_sources import CohortSource
from students.oneroster.imports import roster_import_apply, roster_import_run, roster_import_start

from ..factories import NetworkFactory
from .vendor_exports import (
    DISTRICT,
    GRADEBOOK_COLUMNS,
    ROSTER_FILES,
    TODAY,
    Pupil,
    Seat,
    VendorExport,
    aeries,
    aeries_ids,
    bay_valley,
    campus_ids,
    classlink,
    classlink_ids,
    infinite_campus,
    infinite_campus_delta,
    powerschool,
    powerschool_ids,
)

pytestmark = pytest.mark.django_db

ELEMENTARY = ("Alder Street Elementary", "Mission Heights Elementary")
# The homerooms a K-5 network makes cohorts of (TK's only when it counts TK as kindergarten),
# with the grade level each cohort follows: the 4/5 combination class follows 4th grade (three
# of its five).
COHORT_GRADES = {
    "alder-ka": 0,
    "alder-kb": 0,
    "alder-1": 1,
    "alder-45": 4,
    "mission-k": 0,
    "mission-2": 2,
    "mission-5": 5,
}
# The students of those homerooms; the middle school's and TK's are left out.
STUDENTS = (  # 17
    *("ka1", "ka2", "kb1", "mover", "a1a", "a1b"),
    *("c4a", "c4b", "c4c", "c5a", "c5b"),
    *("mk1", "mk2", "m2a", "m2b", "m5a", "m5b"),
)
TK = ("tk1", "tk2")
ALDER_STAFF = ("rivera", "okafor", "lindqvist", "haddad", "nakamura", "sato")
MISSION_STAFF = ("osei", "brennan", "castillo", "ward", "sato")
# Parent key -> (relationship, the children linked to them): TK's and the middle school's
# children are not imported.
GUARDIANS = {
    "p-ka1": ("parent", ["a1b", "ka1"]),
    "p-sib": ("guardian", ["a1a", "m2a"]),
    "p-c4a": ("parent", ["c4a"]),
    "r-c4a": ("relative", ["c4a"]),
    "p-tk1": ("parent", []),
    "p-d6a": ("parent", []),
    "p-mover": ("parent", ["mover"]),
    "p-mk1": ("parent", ["mk1"]),
}
# Staff key -> the schools they work at: the music teacher, whom the district employs, at both.
STAFF_SCHOOLS = {
    **{key: [ELEMENTARY[0]] for key in ALDER_STAFF},
    **{key: [ELEMENTARY[1]] for key in MISSION_STAFF},
    "sato": list(ELEMENTARY),
}


def imported(network, export: VendorExport, *, today=TODAY) -> tuple[RosterImport, RosterImport]:
    """``export`` zipped and imported as a leader does: a dry run, then the reviewed dry run
    applied. Both imports, as recorded; the dry run's when it stops there."""
    dry = roster_import_start(
        network=network,
        file=export.zip_bytes(),
        file_name="export.zip",
        dry_run=True,
        queue=False,
    )
    ran = roster_import_run(import_id=dry.pk, today=today)
    assert ran is not None
    dry = ran
    if dry.state != RosterImportState.REVIEWED:
        return dry, dry
    applied = roster_import_apply(record=dry, by=None)
    wet = roster_import_run(import_id=applied.pk, today=today)
    assert wet is not None
    return dry, wet


def assert_one_pass(dry: RosterImport, applied: RosterImport) -> None:
    """A clean dry run, applied as it said: no errors, the same warnings."""
    assert dry.errors == [], [_line(e) for e in dry.errors]
    assert dry.state == RosterImportState.REVIEWED, dry.message
    assert applied.state == RosterImportState.APPLIED, applied.message
    assert applied.errors == []
    assert applied.warnings == dry.warnings


def assert_the_elementary_schools_imported(
    network, ids: dict[str, str], dry: RosterImport, applied: RosterImport
) -> None:
    """One pass, and the district's two K-5 schools in the network: their seven cohorts, each
    following its grade, and their 17 students in their homerooms at their own grades (the
    4/5 class's 5th graders in 5th, the kindergartner who moved in their new homeroom)."""
    assert_one_pass(dry, applied)
    assert school_names(network) == list(ELEMENTARY)
    assert cohorts(network, ids) == COHORT_GRADES
    placed = students(network, ids)
    assert sorted(placed) == sorted(STUDENTS)
    assert placed["c4a"] == ("alder-45", 4) and placed["c5a"] == ("alder-45", 5)
    assert placed["mover"] == ("alder-kb", 0)


def assert_each_cohort_has_its_own_name() -> None:
    for school in ELEMENTARY:
        names = list(Cohort.objects.filter(school__name=school).values_list("name", flat=True))
        assert all(names) and len(set(names)) == len(names)


def _line(problem: dict) -> str:
    return f"{problem['file']}, row {problem['row']}, {problem['column']}: {problem['reason']}"


def warning(record: RosterImport, text: str) -> dict:
    """The one warning of ``record`` that says ``text``."""
    found = [w for w in record.warnings if text in w["reason"]]
    assert len(found) == 1, [_line(w) for w in record.warnings]
    return found[0]


def cohorts(network, ids: dict[str, str]) -> dict[str, int]:
    """Homeroom key -> the grade level its cohort follows, for the network's cohorts."""
    keys = {sourced_id: key for key, sourced_id in ids.items()}
    return {
        keys[c.sourced_id]: c.grade.level
        for c in Cohort.objects.filter(school__network=network).select_related("grade")
    }


def students(network, ids: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Pupil key -> (their homeroom's key, their grade level), for the enrolled students."""
    keys = {sourced_id: key for key, sourced_id in ids.items()}
    found = Student.objects.filter(school__network=network, enrollment_end__isnull=True)
    return {
        keys[s.sourced_id]: (keys[s.cohort.sourced_id], s.grade.level)
        for s in found.select_related("cohort", "grade")
    }


def staff(network, ids: dict[str, str]) -> dict[str, list[str]]:
    """Staff key -> the names of the schools they work at."""
    keys = {sourced_id: key for key, sourced_id in ids.items()}
    found: dict[str, list[str]] = {}
    for member in Staff.objects.filter(school__network=network).select_related("school"):
        found.setdefault(keys[member.sourced_id], []).append(member.school.name)
    return {key: sorted(schools) for key, schools in found.items()}


def guardians(network, ids: dict[str, str]) -> dict[str, tuple[str, list[str]]]:
    """Parent key -> (relationship, the keys of the children linked to them)."""
    keys = {sourced_id: key for key, sourced_id in ids.items()}
    return {
        keys[g.sourced_id]: (g.relationship, sorted(keys[s.sourced_id] for s in g.students.all()))
        for g in Guardian.objects.filter(network=network).prefetch_related("students")
    }


def school_names(network) -> list[str]:
    return sorted(School.objects.filter(network=network).values_list("name", flat=True))


# --- the district ------------------------------------------------------------------------------


def test_a_district_imports_in_one_pass_and_warns_about_what_the_network_does_not_run():
    network = NetworkFactory()
    ids = classlink_ids(bay_valley())

    dry, applied = imported(network, classlink(bay_valley()))

    # The 4/5 combination class is one cohort following 4th grade (three of its five), and
    # its students keep their own grades; the kindergartner who moved on 4 November is in
    # their new homeroom, not in two.
    assert_the_elementary_schools_imported(network, ids, dry, applied)
    middle = warning(applied, "Discovery Middle School")
    assert middle["file"] == "orgs.csv" and "06, 07" in middle["reason"]
    # TK is left out, counted, and so is its homeroom.
    left_out = warning(applied, "students are in grades this network does not serve")
    assert left_out["reason"].startswith("2 students") and "TK: 2" in left_out["reason"]
    assert "TK: 1" in warning(applied, "homerooms are of grades")["reason"]
    assert (
        "follows grade 4 (most of its students)" in warning(applied, "combination class")["reason"]
    )
    # The music teacher, linked only to the district, works at both schools they teach at.
    assert staff(network, ids) == STAFF_SCHOOLS
    music = Staff.objects.filter(school__network=network, sourced_id=ids["sato"])
    assert {m.user_id for m in music} == {music[0].user_id}
    assert all(Role.SPECIALS in m.role_codes for m in music)
    assert (
        Role.LEADER in Staff.objects.get(school__network=network, sourced_id=ids["ward"]).role_codes
    )
    # Parents are guardians linked to their children, never staff with a login.
    assert guardians(network, ids) == GUARDIANS
    assert get_user_model().objects.count() == len(set(ALDER_STAFF + MISSION_STAFF))


def test_tk_children_are_kindergartners_where_the_network_counts_tk_as_kindergarten():
    network = NetworkFactory(tk_as_kindergarten=True)
    ids = classlink_ids(bay_valley())

    dry, applied = imported(network, classlink(bay_valley()))

    assert_one_pass(dry, applied)
    assert cohorts(network, ids)["alder-tk"] == 0
    placed = students(network, ids)
    assert sorted(placed) == sorted(STUDENTS + TK)
    assert placed["tk1"] == ("alder-tk", 0)
    assert not [w for w in applied.warnings if "grades this network does not serve" in w["reason"]]
    assert guardians(network, ids)["p-tk1"] == ("parent", ["tk1"])


def test_the_district_imported_again_changes_nothing():
    network = NetworkFactory()
    imported(network, classlink(bay_valley()))

    again, _ = imported(network, classlink(bay_valley()))

    assert again.state == RosterImportState.UNCHANGED, [c for c in again.changes]
    assert again.errors == []


# --- PowerSchool --------------------------------------------------------------------------------


def test_a_powerschool_export_imports_once_its_homeroom_course_is_chosen():
    network = NetworkFactory()
    district = bay_valley()
    ids = powerschool_ids(district)
    # The plugin writes every section scheduled: the admin chooses the Homeroom course.
    CohortSource.parse(f"courses:{ids['course:homeroom']}").store(network)

    dry, applied = imported(network, powerschool(district))

    # PowerSchool's section has one grade (its lowest): the 4/5 class is written 04, and its
    # 5th graders keep their grade in it.
    assert_the_elementary_schools_imported(network, ids, dry, applied)
    # Staff are all written teachers; the music teacher's orgs are the district and both schools.
    assert staff(network, ids) == STAFF_SCHOOLS
    # Every contact is written a guardian, orgSourcedIds one school per child.
    assert guardians(network, ids) == {
        key: ("guardian", children) for key, (_, children) in GUARDIANS.items()
    }
    # termSourcedIds name "<school>-<term>", which academicSessions does not list: the import
    # does not use them, so it says so and goes on.
    terms = warning(applied, "termSourcedIds")
    assert terms["file"] == "classes.csv"
    # The plugin's lower-case labels for orgs.csv are read as the spec's columns.
    assert {w["column"] for w in applied.warnings if w["file"] == "orgs.csv"} >= {
        "sourcedid",
        "datelastmodified",
        "parentsourcedid",
    }


def test_powerschool_writes_tk_as_pre_k_so_tk_children_stay_out_even_as_kindergartners():
    network = NetworkFactory(tk_as_kindergarten=True)
    district = bay_valley()
    ids = powerschool_ids(district)
    CohortSource.parse(f"courses:{ids['course:homeroom']}").store(network)

    dry, applied = imported(network, powerschool(district))

    assert_one_pass(dry, applied)
    assert "alder-tk" not in cohorts(network, ids)
    assert not set(TK) & set(students(network, ids))
    left_out = warning(applied, "students are in grades this network does not serve")
    assert "PK: 2" in left_out["reason"]


# --- Aeries -------------------------------------------------------------------------------------


def test_an_aeries_export_with_a_master_schedule_imports_its_homerooms():
    network = NetworkFactory()
    district = bay_valley()
    ids = aeries_ids(district, master_schedule=True)

    dry, applied = imported(network, aeries(district, master_schedule=True))

    # Aeries extracts current enrollments only: the mover is simply in their new homeroom.
    assert_the_elementary_schools_imported(network, ids, dry, applied)
    # Every homeroom is titled with its course's title, "Homeroom": each cohort still has a
    # name of its own at its school.
    assert_each_cohort_has_its_own_name()
    assert warning(applied, "share their title")["file"] == "classes.csv"
    assert staff(network, ids)["sato"] == list(ELEMENTARY)
    assert all(sid.startswith("TCH_") for sid in Staff.objects.values_list("sourced_id", flat=True))
    assert not Guardian.objects.exists()  # no guardian file is documented


def test_an_aeries_export_without_a_master_schedule_imports_once_its_classes_are_chosen():
    network = NetworkFactory()
    district = bay_valley()
    ids = aeries_ids(district, master_schedule=False)
    # One untitled scheduled class per teacher, its course the teacher: the admin chooses the
    # classroom teachers' courses (not the music teacher's).
    classroom = [t.number for t in district.teachers if t.key not in ("sato", "ward")]
    CohortSource.parse("courses:" + ",".join(f"TCH_{n}" for n in classroom)).store(network)

    dry, applied = imported(network, aeries(district, master_schedule=False))

    assert_the_elementary_schools_imported(network, ids, dry, applied)
    # The classes have no titles: each cohort is named by its class code, with a warning.
    assert_each_cohort_has_its_own_name()
    exported = aeries(district, master_schedule=False).rows("classes.csv")
    codes = {c.get("classCode") or c["sourcedId"] for c in exported}
    assert (
        set(Cohort.objects.filter(school__network=network).values_list("name", flat=True)) <= codes
    )
    assert any("have no title" in w["reason"] for w in applied.warnings)


# --- Infinite Campus ----------------------------------------------------------------------------


def test_an_infinite_campus_extract_imports_with_its_gradebook_files_and_guids():
    network = NetworkFactory()
    district = bay_valley()
    ids = campus_ids(district)

    dry, applied = imported(network, infinite_campus(district))

    assert_the_elementary_schools_imported(network, ids, dry, applied)
    # A district assignment: the music teacher's only org is the district.
    assert staff(network, ids)["sato"] == list(ELEMENTARY)
    assert (
        Role.LEADER in Staff.objects.get(school__network=network, sourced_id=ids["ward"]).role_codes
    )
    linked = guardians(network, ids)
    assert linked["p-sib"] == ("guardian", ["a1a", "m2a"])
    assert linked["r-c4a"] == ("relative", ["c4a"])
    # The gradebook files are read by no one; the import says nothing of them.
    assert not [w for w in applied.warnings if w["file"] in ("lineItems.csv", "results.csv")]


def test_an_infinite_campus_delta_ends_a_leaver_and_enrolls_a_newcomer():
    network = NetworkFactory()
    district = bay_valley()
    ids = campus_ids(district)
    imported(network, infinite_campus(district))
    newcomer = Pupil("new", "mission", "KG", "NEW", "Familynew", "20300", (Seat("mission-k"),))
    day = TODAY + datetime.timedelta(days=7)
    delta = infinite_campus_delta(
        district,
        left="m2b",
        joined=newcomer,
        modified=datetime.datetime(2024, 11, 21, 23, 5, tzinfo=datetime.UTC),
    )

    dry, applied = imported(network, delta, today=day)

    assert_one_pass(dry, applied)
    assert {(c["kind"], c["action"]) for c in applied.changes} == {
        ("student", "end"),
        ("student", "create"),
    }
    leaver = Student.objects.get(school__network=network, sourced_id=ids["m2b"])
    assert leaver.enrollment_end == day - datetime.timedelta(days=1)
    joined = Student.objects.get(school__network=network, local_id="20300")
    assert (joined.cohort.sourced_id, joined.grade.level) == (ids["mission-k"], 0)
    assert Student.objects.filter(school__network=network, enrollment_end__isnull=True).count() == (
        len(STUDENTS)
    )


def test_the_vendors_write_the_district_their_own_way():
    """The shapes the tests above import, so a change to a writer is seen here first."""
    district = bay_valley()
    ps = powerschool(district).render()
    assert ps["users.csv"].startswith(b'"sourcedId","status","dateLastModified"')
    assert b"\r\n" in ps["users.csv"] and b'"scheduled"' in ps["classes.csv"]
    assert b'"homeroom"' not in ps["classes.csv"]
    assert ps["orgs.csv"].startswith(b'"sourcedid","status","datelastmodified"')
    ps_ids = powerschool_ids(district)
    assert f'"{ps_ids[DISTRICT]},101,102"'.encode() in ps["users.csv"]  # the music teacher
    assert b'"101,102"' in ps["users.csv"]  # the guardian of siblings at two schools
    assert b'"101,101"' in ps["users.csv"]  # the parent of two children at one school
    aeries_files = aeries(district, master_schedule=False).render()
    assert b',,"04,05",TCH_4205,,scheduled,' in aeries_files["classes.csv"]
    campus = infinite_campus(district).render()
    # 11 files: the manifest, the seven roster files and three gradebook files.
    assert sorted(campus) == sorted(["manifest.csv", *ROSTER_FILES, *GRADEBOOK_COLUMNS])
    assert b"\r\n" not in campus["users.csv"]
    assert b'"Music, Alder Street Elementary"' in campus["classes.csv"]
