"""Parents, guardians and relatives in a OneRoster export become guardians of the network,
linked to their children both ways, never staff and never with a login."""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from students.models import Guardian, Staff, Student
from students.oneroster import read_export
from students.oneroster.apply import roster_apply
from students.oneroster.columns import Version
from students.oneroster.plan import roster_plan
from students.oneroster.plan.guardians import MAX_LINK_WARNINGS

from ..factories import NetworkFactory, StaffFactory, StudentFactory
from .oneroster_files import DISTRICT, MODIFIED, SCHOOL, OneRosterExport, small_school
from .oneroster_files import network as network_export

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)
GUARDIAN_ROLES = {"p1": "parent", "p2": "parent", "g1": "guardian", "r1": "relative"}
GUARDIANS = set(GUARDIAN_ROLES)


def imported(network, export: OneRosterExport, tmp_path: Path):
    folder = export.write_folder(tmp_path / f"export-{len(list(tmp_path.iterdir()))}")
    plan = roster_plan(network=network, export=read_export(folder), today=TODAY)
    if plan.ok:
        roster_apply(plan)
    return plan


def guardian_row(version: str, sourced_id: str, role: str, agents: str, **extra: str) -> dict:
    row = {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": sourced_id,
        "enabledUser": "true",
        "username": f"{sourced_id}@home.example.org",
        "givenName": f"Given{sourced_id}",
        "familyName": f"Family{sourced_id}",
        "identifier": sourced_id.upper(),
        "email": f"{sourced_id}@home.example.org",
        "agentSourcedIds": agents,
        **extra,
    }
    if version == "1.1":
        row |= {"orgSourcedIds": extra.get("orgSourcedIds", SCHOOL), "role": role}
    return row


def with_families(version: Version = "1.1") -> OneRosterExport:
    """The small school with: two parents of st01 (p1 names st01; st01 names p2), a guardian
    of the siblings st02 and st03, and a relative of st04 with phone, SMS and a language."""
    export = small_school(version)
    users = export.tables["users.csv"]
    users += [
        guardian_row(version, "p1", "parent", "st01"),
        guardian_row(version, "p2", "parent", "", orgSourcedIds=DISTRICT),
        guardian_row(version, "g1", "guardian", "st02,st03"),
        guardian_row(
            version,
            "r1",
            "relative",
            "st04",
            phone="+1 408 555 0100",
            sms="+1 408 555 0101",
            **{"metadata.language": "es"},
        ),
    ]
    export.row("users.csv", "st01")["agentSourcedIds"] = "p1,p2"
    if version == "1.2":
        export.tables["roles.csv"] += [
            {
                "status": "active",
                "dateLastModified": MODIFIED,
                "sourcedId": f"r-{sid}",
                "userSourcedId": sid,
                "roleType": "primary",
                "role": role,
                "orgSourcedId": DISTRICT if sid == "p2" else SCHOOL,
            }
            for sid, role in GUARDIAN_ROLES.items()
        ]
    return export


def children(sourced_id: str) -> set[str]:
    guardian = Guardian.objects.get(sourced_id=sourced_id)
    return {s.sourced_id for s in guardian.students.all()}


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_guardians_are_linked_both_ways_and_are_never_staff_or_accounts(version, tmp_path):
    network = NetworkFactory()
    accounts_before = get_user_model().objects.count()

    plan = imported(network, with_families(version), tmp_path)

    assert plan.ok, plan.errors
    assert [w for w in plan.warnings if w.column == "agentSourcedIds"] == []
    assert plan.counts()["guardian"] == {"create": 4}
    assert plan.counts()["staff"] == {"create": 2}  # the two teachers, no parent
    assert {c.sourced_id for c in plan.changes if c.kind == "guardian"} == GUARDIANS
    assert not Staff.objects.filter(sourced_id__in=GUARDIANS).exists()
    assert get_user_model().objects.count() == accounts_before + 2
    assert not get_user_model().objects.filter(username__endswith="@home.example.org").exists()
    # Two parents of one child: one named by the parent, one by the child.
    assert children("p1") == {"st01"} and children("p2") == {"st01"}
    st01 = Student.objects.get(sourced_id="st01")
    assert {g.sourced_id for g in st01.guardians.all()} == {"p1", "p2"}
    # One guardian of two siblings.
    assert children("g1") == {"st02", "st03"}
    relative = Guardian.objects.get(sourced_id="r1")
    assert relative.network == network
    assert relative.relationship == "relative"
    assert (relative.phone, relative.sms, relative.language) == (
        "+1 408 555 0100",
        "+1 408 555 0101",
        "es",
    )
    assert children("r1") == {"st04"}
    parent = Guardian.objects.get(sourced_id="p1")
    assert (parent.given_name, parent.family_name, parent.email) == (
        "Givenp1",
        "Familyp1",
        "p1@home.example.org",
    )
    assert parent.relationship == "parent" and parent.language == "" and parent.active


def test_the_dry_run_counts_guardians_and_a_re_import_changes_nothing(tmp_path):
    network = NetworkFactory()
    folder = with_families().write_folder(tmp_path / "dry")
    dry = roster_plan(network=network, export=read_export(folder), today=TODAY)
    assert dry.counts()["guardian"] == {"create": 4}
    assert not Guardian.objects.exists()  # a plan writes nothing

    imported(network, with_families(), tmp_path)
    again = imported(network, with_families(), tmp_path)

    assert again.ok and again.changes == []
    assert Guardian.objects.count() == 4


def test_a_changed_guardian_is_updated_and_one_left_out_of_a_full_export_ended(tmp_path):
    network = NetworkFactory()
    imported(network, with_families(), tmp_path)
    export = with_families()
    export.tables["users.csv"] = [u for u in export.rows("users.csv") if u["sourcedId"] != "g1"]
    export.row("users.csv", "r1")["phone"] = "+1 408 555 0199"
    export.row("users.csv", "r1")["agentSourcedIds"] = "st04,st05"

    plan = imported(network, export, tmp_path)

    assert plan.ok, plan.errors
    guardian_changes = {
        (c.sourced_id, c.action, c.fields) for c in plan.changes if c.kind == "guardian"
    }
    assert guardian_changes == {
        ("g1", "end", ("active",)),
        ("r1", "update", ("phone", "students")),
    }
    assert not Guardian.objects.get(sourced_id="g1").active
    assert children("g1") == {"st02", "st03"}  # history stays
    assert children("r1") == {"st04", "st05"}
    assert Guardian.objects.get(sourced_id="r1").phone == "+1 408 555 0199"

    back = imported(network, with_families(), tmp_path)
    actions = {(c.sourced_id, c.action) for c in back.changes if c.kind == "guardian"}
    assert actions == {("g1", "restore"), ("r1", "update")}
    assert Guardian.objects.get(sourced_id="g1").active


def test_a_delta_ends_a_tobedeleted_guardian_and_links_a_student_who_names_one(tmp_path):
    network = NetworkFactory()
    full = with_families()
    imported(network, full, tmp_path)
    delta = full.copy()
    delta.modes = {name: "delta" for name in ("orgs.csv", "classes.csv", "users.csv")}
    delta.modes |= {"enrollments.csv": "delta"}
    for name in ("academicSessions.csv", "courses.csv", "demographics.csv"):
        delta.modes[name] = "absent"
        del delta.tables[name]
    delta.tables["orgs.csv"] = []
    delta.tables["classes.csv"] = []
    delta.tables["enrollments.csv"] = []
    st05 = {**full.row("users.csv", "st05"), "agentSourcedIds": "g1"}
    delta.tables["users.csv"] = [{**full.row("users.csv", "p1"), "status": "tobedeleted"}, st05]

    plan = imported(network, delta, tmp_path)

    assert plan.ok, plan.errors
    actions = {(c.sourced_id, c.action) for c in plan.changes if c.kind == "guardian"}
    assert actions == {("p1", "end"), ("g1", "update")}
    assert not Guardian.objects.get(sourced_id="p1").active
    assert children("g1") == {"st02", "st03", "st05"}
    assert Guardian.objects.filter(active=True).count() == 3


def test_an_agent_of_another_network_or_unknown_is_a_warning_naming_the_row(tmp_path):
    other = NetworkFactory()
    StudentFactory(school__network=other, sourced_id="elsewhere")
    network = NetworkFactory()
    export = with_families()
    export.row("users.csv", "g1")["agentSourcedIds"] = "st02,elsewhere"
    export.row("users.csv", "st06")["agentSourcedIds"] = "nobody"
    g1_row = next(
        n for n, u in enumerate(export.rows("users.csv"), start=2) if u["sourcedId"] == "g1"
    )

    plan = imported(network, export, tmp_path)

    assert plan.ok, plan.errors
    warned = {(w.row, w.column) for w in plan.warnings}
    assert (g1_row, "agentSourcedIds") in warned
    assert len([w for w in plan.warnings if w.column == "agentSourcedIds"]) == 2
    assert any("'elsewhere'" in w.reason for w in plan.warnings)
    assert children("g1") == {"st02"}
    assert Student.objects.get(sourced_id="elsewhere").guardians.count() == 0


def test_a_parent_made_staff_by_an_earlier_import_is_ended(tmp_path):
    """Imports before guardians existed made parents staff: the next full import ends them."""
    network = NetworkFactory()
    imported(network, small_school(), tmp_path)
    school = network.schools.get()
    StaffFactory(school=school, sourced_id="p1")

    plan = imported(network, with_families(), tmp_path)

    assert plan.ok, plan.errors
    assert ("p1", "end") in {(c.sourced_id, c.action) for c in plan.changes if c.kind == "staff"}
    assert not Staff.objects.get(sourced_id="p1").active


def test_a_guardian_value_too_long_for_its_column_is_an_error_on_its_cell(tmp_path):
    network = NetworkFactory()
    export = with_families()
    export.row("users.csv", "r1")["phone"] = "9" * 65

    plan = imported(network, export, tmp_path)

    assert not plan.ok
    assert [(e.file, e.column) for e in plan.errors] == [("users.csv", "phone")]
    assert not Guardian.objects.exists()


def test_a_teacher_who_is_also_a_parent_is_staff_at_school_and_a_guardian_at_home(tmp_path):
    network = NetworkFactory()
    export = with_families("1.2")
    export.row("users.csv", "t1")["agentSourcedIds"] = "st05"
    export.tables["roles.csv"].append(
        {
            "status": "active",
            "dateLastModified": MODIFIED,
            "sourcedId": "r-t1-parent",
            "userSourcedId": "t1",
            "roleType": "secondary",
            "role": "parent",
            "orgSourcedId": DISTRICT,
        }
    )
    export.row("users.csv", "r1").pop("metadata.language")
    export.row("users.csv", "r1")["metadata.homeLanguage"] = "vi"

    plan = imported(network, export, tmp_path)

    assert plan.ok, plan.errors
    assert Staff.objects.get(sourced_id="t1").active
    assert children("t1") == {"st05"}
    assert Guardian.objects.get(sourced_id="t1").relationship == "parent"
    assert Guardian.objects.get(sourced_id="r1").language == "vi"


def test_many_unknown_agents_are_counted_after_the_first_rows(tmp_path):
    network = NetworkFactory()
    export = with_families()
    export.row("users.csv", "g1")["agentSourcedIds"] = ",".join(f"gone{n}" for n in range(25))

    plan = imported(network, export, tmp_path)

    assert plan.ok, plan.errors
    links = [w for w in plan.warnings if w.column == "agentSourcedIds"]
    assert len(links) == MAX_LINK_WARNINGS + 1
    assert links[-1].reason.startswith("5 more agentSourcedIds")


def test_a_delta_student_row_that_no_longer_names_a_guardian_drops_that_link(tmp_path):
    network = NetworkFactory()
    full = with_families()
    imported(network, full, tmp_path)
    delta = full.copy()
    delta.modes = {name: "delta" for name in ("orgs.csv", "classes.csv", "users.csv")}
    delta.modes |= {"enrollments.csv": "delta"}
    for name in ("academicSessions.csv", "courses.csv", "demographics.csv"):
        delta.modes[name] = "absent"
        del delta.tables[name]
    for name in ("orgs.csv", "classes.csv", "enrollments.csv"):
        delta.tables[name] = []
    # p2 was linked by st01's row alone; p1 names st01 in its own (stored) row.
    delta.tables["users.csv"] = [{**full.row("users.csv", "st01"), "agentSourcedIds": "p1"}]

    plan = imported(network, delta, tmp_path)

    assert plan.ok, plan.errors
    changes = {(c.sourced_id, c.action, c.fields) for c in plan.changes if c.kind == "guardian"}
    assert changes == {("p2", "update", ("students",))}
    assert children("p2") == set()
    assert children("p1") == {"st01"}


def test_a_network_export_with_a_parent_of_every_student(tmp_path):
    network = NetworkFactory()
    export = network_export(2, 12, guardians=True)

    plan = imported(network, export, tmp_path)

    assert plan.ok, plan.errors
    assert plan.counts()["guardian"] == {"create": 24}
    assert plan.counts()["staff"] == {"create": 12}  # a teacher per homeroom, no parent
    assert Guardian.students.through.objects.count() == 24
    assert imported(network, export, tmp_path).changes == []


def test_a_child_the_import_leaves_out_is_no_link_and_a_re_import_changes_nothing(tmp_path):
    network = NetworkFactory()
    export = with_families()
    preschooler = {**export.row("users.csv", "st05"), "sourcedId": "st11", "identifier": "ST11"}
    export.tables["users.csv"].append(preschooler | {"grades": "PK", "username": "st11"})
    export.row("users.csv", "g1")["agentSourcedIds"] = "st02,st03,st11"

    plan = imported(network, export, tmp_path)

    assert plan.ok, plan.errors
    assert not Student.objects.filter(sourced_id="st11").exists()
    assert any("'st11'" in w.reason for w in plan.warnings if w.column == "agentSourcedIds")
    assert children("g1") == {"st02", "st03"}
    assert [c for c in imported(network, export, tmp_path).changes if c.kind == "guardian"] == []
