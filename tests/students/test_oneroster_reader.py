"""Reading OneRoster CSV exports: good 1.1 and 1.2 exports read alike, spreadsheet leftovers
are tolerated, and each problem is reported with its file, row and column, all at once."""

import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from students.oneroster import ExportError, ExportRead, UserRole, read_export
from students.oneroster.columns import FILES

from .oneroster_files import OneRosterExport, network, small_school

NORMALISED = ("orgs", "academic_sessions", "courses", "classes", "users", "enrollments")


def only_error(read: ExportRead) -> ExportError:
    assert len(read.errors) == 1, read.errors
    return read.errors[0]


# Good exports


def test_a_good_1_1_folder_reads_without_problems(tmp_path: Path) -> None:
    read = read_export(small_school("1.1").write_folder(tmp_path / "export"))

    assert read.ok and read.warnings == ()
    assert read.version == "1.1"
    assert read.modes["users.csv"] == "bulk" and read.modes["demographics.csv"] == "bulk"
    assert [org.org_type for org in read.orgs] == ["district", "school"]
    assert [(c.sourced_id, c.grades, c.is_homeroom) for c in read.classes] == [
        ("hr-k", ("KG",), True),
        ("hr-1", ("01",), True),
    ]
    teacher, first_student = read.users[0], read.users[2]
    assert teacher.roles == (UserRole("s1", "teacher", True),) and not teacher.is_student
    assert first_student.is_student and first_student.grades == ("KG",)
    assert first_student.row == 4
    assert first_student.date_last_modified == datetime(2024, 8, 1, 12, tzinfo=UTC)
    assert len(read.enrollments) == 12 and read.enrollments[0].primary
    assert read.academic_sessions[0].start_date == date(2024, 8, 12)
    assert read.external_refs == frozenset()


def test_a_1_1_folder_and_a_1_2_zip_read_into_the_same_rows(tmp_path: Path) -> None:
    old = read_export(small_school("1.1").write_folder(tmp_path / "v11"))
    new = read_export(small_school("1.2").write_zip(tmp_path / "v12.zip"))

    assert old.ok and new.ok, (old.errors, new.errors)
    assert (old.version, new.version) == ("1.1", "1.2")
    for records in NORMALISED:
        assert getattr(old, records) == getattr(new, records), records
    assert old.demographics == new.demographics
    assert old.role_assignments == () and len(new.role_assignments) == 12


def test_a_zip_can_be_read_from_memory_and_from_a_wrapping_folder() -> None:
    export = small_school("1.2")
    assert read_export(io.BytesIO(export.zip_bytes())).ok

    wrapped = io.BytesIO()
    with zipfile.ZipFile(wrapped, "w") as archive:
        for name, data in export.render().items():
            archive.writestr(f"district-export/{name}", data)
        archive.writestr("__MACOSX/district-export/._users.csv", b"\x00\x05\x16\x07")
    read = read_export(io.BytesIO(wrapped.getvalue()))
    assert read.ok and len(read.users) == 12


def test_a_byte_order_mark_and_trailing_empty_columns_are_accepted(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.bom = True
    export.trailing_empty_columns = 2

    read = read_export(export.write_folder(tmp_path))

    assert read.ok
    assert read.orgs[0].sourced_id == "d1"  # not "\ufeffd1" or a "\ufeffsourcedId" column
    # Each file says what was tolerated, once (not once per padded row).
    bom = (
        'The file starts with a UTF-8 byte-order mark (as Excel\'s "CSV UTF-8" writes); it was '
        "removed before reading."
    )
    trailing = (
        "The header ends with 2 empty columns (a spreadsheet's leftovers); they were ignored."
    )
    files = [name for name in FILES["1.1"]]
    assert [str(w) for w in read.warnings] == [
        line for name in files for line in (f"{name}, row 1: {bom}", f"{name}, row 1: {trailing}")
    ]


def test_extra_columns_cells_and_blank_rows_are_accepted(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("users.csv", "st01")["metadata.lunchCode"] = "F"
    padded_row = b"s2,active,,Second School,school,,d1,,,\r\n"  # 10 cells, 7 columns
    export.raw["orgs.csv"] = export.render()["orgs.csv"] + padded_row + b",,,,,,\r\n\r\n"

    read = read_export(export.write_folder(tmp_path))

    assert read.ok
    assert [(org.sourced_id, org.parent_sourced_id) for org in read.orgs][-1] == ("s2", "d1")
    # A vendor's metadata.* column is the spec's extension: no word about it.
    assert [str(w) for w in read.warnings] == [
        "orgs.csv, row 4: 1 row has empty cells after the header's last column; they were ignored."
    ]


def test_month_day_year_dates_are_read_as_month_day_with_one_warning(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("demographics.csv", "st02")["birthDate"] = "1/05/2019"
    export.row("demographics.csv", "st03")["birthDate"] = "12/31/2018"

    read = read_export(export.write_folder(tmp_path))

    assert read.ok
    birth_dates = {d.sourced_id: d.birth_date for d in read.demographics}
    assert birth_dates["st02"] == date(2019, 1, 5) and birth_dates["st03"] == date(2018, 12, 31)
    [warning] = read.warnings
    assert (warning.file, warning.row, warning.column) == ("demographics.csv", 3, "birthDate")
    assert "2 birthDate dates" in warning.reason and "month/day" in warning.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-01-05T10:00:00Z", datetime(2023, 1, 5, 10, tzinfo=UTC)),
        ("2023-01-05T10:00:00.123Z", datetime(2023, 1, 5, 10, 0, 0, 123000, tzinfo=UTC)),
        ("2023-01-05", datetime(2023, 1, 5, tzinfo=UTC)),
    ],
)
def test_date_last_modified_takes_iso_dates_and_times(
    tmp_path: Path, text: str, expected: datetime
) -> None:
    export = small_school("1.1")
    export.row("orgs.csv", "s1")["dateLastModified"] = text

    read = read_export(export.write_folder(tmp_path))

    assert read.ok and read.orgs[1].date_last_modified == expected


# Problems with files


def test_a_missing_manifest_is_an_error_but_the_files_are_still_checked(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.manifest = False
    export.row("users.csv", "st01")["grades"] = "K"  # not a CEDS code

    read = read_export(export.write_folder(tmp_path))

    assert [(e.file, e.row, e.column) for e in read.errors] == [
        ("manifest.csv", None, None),
        ("users.csv", 4, "grades"),
    ]


def test_a_file_the_manifest_declares_but_the_export_lacks_is_an_error(tmp_path: Path) -> None:
    export = small_school("1.1")
    del export.tables["enrollments.csv"]
    export.modes["enrollments.csv"] = "bulk"

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row, error.column) == ("enrollments.csv", None, None)
    assert "declares enrollments.csv bulk" in error.reason


def test_a_file_the_import_needs_cannot_be_absent(tmp_path: Path) -> None:
    export = small_school("1.2")
    del export.tables["roles.csv"]

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row) == ("roles.csv", None)
    assert "needs roles.csv" in error.reason


def test_a_file_the_manifest_declares_absent_is_ignored_with_a_warning(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.modes["demographics.csv"] = "absent"

    read = read_export(export.write_folder(tmp_path))

    assert read.ok and read.demographics == ()
    [warning] = read.warnings
    assert (warning.file, warning.row) == ("demographics.csv", None)
    assert "declares it absent" in warning.reason


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    export = small_school("1.1")
    columns = FILES["1.1"]["users.csv"].columns
    export.headers["users.csv"] = [column for column in columns if column != "givenName"]

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row, error.column) == ("users.csv", 1, "givenName")


def test_a_file_that_is_not_utf8_names_the_row_and_column_of_the_first_bad_byte(
    tmp_path: Path,
) -> None:
    export = small_school("1.1")
    export.row("users.csv", "st02")["givenName"] = "José"
    export.raw["users.csv"] = export.render()["users.csv"].decode().encode("latin-1")

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row, error.column) == ("users.csv", 5, "givenName")
    assert "not UTF-8" in error.reason and "0xe9" in error.reason


def test_a_row_with_more_values_than_the_header_is_an_error(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.raw["orgs.csv"] = export.render()["orgs.csv"] + b"s2,active,,Other,school,,d1,oops\r\n"

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row, error.column) == ("orgs.csv", 4, None)
    assert "8 values" in error.reason and "7 columns" in error.reason


def test_an_upload_that_is_not_a_zip_is_an_error() -> None:
    error = only_error(read_export(io.BytesIO(b"sourcedId,name\r\n")))

    assert (error.file, error.row) == ("export", None) and "not a folder or a zip" in error.reason


# Problems in rows


def test_an_unknown_reference_is_reported_where_it_is_made(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("enrollments.csv", "e-st03")["classSourcedId"] = "hr-9"

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row, error.column) == ("enrollments.csv", 6, "classSourcedId")
    assert "'hr-9' names no class in classes.csv" in error.reason


def test_a_school_reference_must_name_a_school(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("classes.csv", "hr-k")["schoolSourcedId"] = "d1"

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row, error.column) == ("classes.csv", 2, "schoolSourcedId")
    assert "type 'district', not a school" in error.reason


def test_a_duplicate_sourced_id_names_both_rows(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("users.csv", "st05")["sourcedId"] = "st04"

    read = read_export(export.write_folder(tmp_path))

    error = read.errors[0]
    assert (error.file, error.row, error.column) == ("users.csv", 8, "sourcedId")
    assert "'st04' is also on row 7" in error.reason
    # The enrollment of the lost st05 and its demographics now point nowhere.
    assert ("enrollments.csv", 8, "userSourcedId") in [
        (e.file, e.row, e.column) for e in read.errors
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("05/01/23", "two-digit year"),
        ("13/05/2023", "not a valid month/day/year"),
        ("next week", "is not a date"),
        ("2023-02-30", "is not a date"),
    ],
)
def test_a_bad_date_is_an_error(tmp_path: Path, text: str, reason: str) -> None:
    export = small_school("1.1")
    export.row("enrollments.csv", "e-st01")["beginDate"] = text

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row, error.column) == ("enrollments.csv", 4, "beginDate")
    assert reason in error.reason


def test_grades_must_be_ceds_codes_and_homerooms_need_one(tmp_path: Path) -> None:
    export = small_school("1.2")
    export.row("users.csv", "st01")["grades"] = "PK"
    export.row("users.csv", "st02")["grades"] = ""  # the importer takes the homeroom's
    export.row("users.csv", "t1")["grades"] = "06"  # a teacher's grades place no one
    export.row("classes.csv", "hr-k")["grades"] = ""
    export.row("classes.csv", "hr-1")["grades"] = "06"
    export.row("courses.csv", "c-homeroom")["grades"] = "K"  # not a CEDS code anywhere

    read = read_export(export.write_zip(tmp_path / "export.zip"))

    assert [(e.file, e.row, e.column) for e in read.errors] == [
        ("courses.csv", 2, "grades"),
        ("classes.csv", 2, "grades"),
    ]
    assert "not a OneRoster grade code" in read.errors[0].reason
    assert "homeroom class needs a grade" in read.errors[1].reason
    # Grades the network does not serve (PK, 06) are the importer's warnings, not errors.


@pytest.mark.parametrize(
    ("file", "sourced_id", "column", "value"),
    [
        ("orgs.csv", "s1", "type", "campus"),
        ("users.csv", "st01", "role", "Student"),
        ("classes.csv", "hr-k", "classType", "section"),
        ("enrollments.csv", "e-t1", "status", "inactive"),
        ("users.csv", "t2", "enabledUser", "yes"),
    ],
)
def test_a_value_outside_its_vocabulary_is_an_error(
    tmp_path: Path, file: str, sourced_id: str, column: str, value: str
) -> None:
    export = small_school("1.1")
    export.row(file, sourced_id)[column] = value

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.column) == (file, column)
    assert f"'{value}'" in error.reason


def test_a_misspelt_role_gets_a_suggestion_and_ext_values_are_allowed(tmp_path: Path) -> None:
    export = small_school("1.2")
    export.row("roles.csv", "r-t1")["role"] = "Teacher"
    export.row("orgs.csv", "d1")["type"] = "ext:network"

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row, error.column) == ("roles.csv", 2, "role")
    assert "Did you mean 'teacher'?" in error.reason


def test_1_2_users_need_a_role_and_roles_need_known_users(tmp_path: Path) -> None:
    export = small_school("1.2")
    export.tables["roles.csv"] = [r for r in export.rows("roles.csv") if r["sourcedId"] != "r-t2"]
    export.rows("roles.csv")[0]["userSourcedId"] = "ghost"

    read = read_export(export.write_folder(tmp_path))

    assert [(e.file, e.row, e.column) for e in read.errors] == [
        ("users.csv", 2, "sourcedId"),
        ("users.csv", 3, "sourcedId"),
        ("roles.csv", 2, "userSourcedId"),
    ]


def test_errors_in_different_files_are_all_reported_together(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.manifest = False
    export.row("orgs.csv", "d1")["type"] = "campus"
    export.row("classes.csv", "hr-k")["termSourcedIds"] = "y2025,y1999"
    export.row("users.csv", "st06")["grades"] = "7th"
    export.row("enrollments.csv", "e-st07")["userSourcedId"] = "st77"
    export.row("demographics.csv", "st08")["birthDate"] = "8/9/18"
    export.headers["courses.csv"] = ["sourcedId", "title"]

    read = read_export(export.write_folder(tmp_path))

    assert [(e.file, e.row, e.column) for e in read.errors] == [
        ("manifest.csv", None, None),
        ("orgs.csv", 2, "type"),
        ("courses.csv", 1, "orgSourcedId"),
        ("classes.csv", 2, "termSourcedIds"),
        ("users.csv", 9, "grades"),
        ("enrollments.csv", 10, "userSourcedId"),
        ("demographics.csv", 9, "birthDate"),
    ]
    # courses.csv could not be read, so classes' courseSourcedIds are not checked against it.
    assert read.courses == ()


# Delta exports


def test_delta_files_keep_deletions_and_hand_unknown_references_to_the_importer(
    tmp_path: Path,
) -> None:
    export = small_school("1.1")
    del export.tables["demographics.csv"]
    export.modes = dict.fromkeys(export.tables, "delta")
    export.tables["users.csv"] = [export.row("users.csv", "st01")]
    export.tables["enrollments.csv"] = [
        export.row("enrollments.csv", "e-st01"),
        export.row("enrollments.csv", "e-st02") | {"status": "tobedeleted"},
        export.row("enrollments.csv", "e-st03") | {"sourcedId": "e-new", "userSourcedId": "st99"},
    ]

    read = read_export(export.write_folder(tmp_path))

    assert read.ok, read.errors
    assert [(e.sourced_id, e.status) for e in read.enrollments] == [
        ("e-st01", "active"),
        ("e-st02", "tobedeleted"),
        ("e-new", "active"),
    ]
    # st02's deletion is not checked against users; st99 may be stored already.
    assert read.external_refs == frozenset({("user", "st99")})


def test_delta_rows_must_say_status_and_when_they_changed(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.modes["orgs.csv"] = "delta"
    export.row("orgs.csv", "s1")["dateLastModified"] = ""

    error = only_error(read_export(export.write_folder(tmp_path)))

    assert (error.file, error.row, error.column) == ("orgs.csv", 3, "dateLastModified")


def test_bulk_rows_marked_tobedeleted_are_gone(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("enrollments.csv", "e-st10")["status"] = "tobedeleted"

    read = read_export(export.write_folder(tmp_path))

    assert read.ok
    assert "e-st10" not in {e.sourced_id for e in read.enrollments}


def test_an_active_row_cannot_refer_to_a_deleted_object(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("classes.csv", "hr-1")["status"] = "tobedeleted"

    read = read_export(export.write_folder(tmp_path))

    assert {(e.file, e.column) for e in read.errors} == {("enrollments.csv", "classSourcedId")}
    assert "marks tobedeleted" in read.errors[0].reason


# Size


def test_a_network_sized_export_reads_whole(tmp_path: Path) -> None:
    # How fast is bench.oneroster's business: a test never times the machine.
    archive = network(schools=20, students_per_school=600).write_zip(tmp_path / "network.zip")

    read = read_export(archive)

    assert read.ok, read.errors[:5]
    assert len(read.users) == 12_120 and len(read.enrollments) == 36_120


def test_the_export_helper_writes_the_spec_columns() -> None:
    header = small_school("1.2").render()["roles.csv"].decode().splitlines()[0]

    assert header.split(",") == list(FILES["1.2"]["roles.csv"].columns)
    assert isinstance(small_school("1.1"), OneRosterExport)
