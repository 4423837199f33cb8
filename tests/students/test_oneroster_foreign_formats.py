"""Exports as student information systems and spreadsheets really write them: a European
locale's semicolons (Excel "CSV UTF-8" with a byte-order mark), Excel's "Unicode text"
(tab-delimited UTF-16 with a byte-order mark), and headers that miss the spec's names by case
or a letter. Each is read where its meaning is not in doubt, with a warning naming the file, or
refused with an error that names what to fix; the reader's warnings reach the import's own
(the command, the page and the API show them)."""

import codecs
import csv
import datetime
import html
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from students.models import RosterImport
from students.oneroster import ExportRead, read_export
from students.oneroster.columns import FILES
from students.oneroster.imports import roster_import_run

from ..conftest import client_for
from ..factories import NetworkFactory
from .oneroster_files import OneRosterExport, small_school

BOM_WARNING = (
    'The file starts with a UTF-8 byte-order mark (as Excel\'s "CSV UTF-8" writes); it was '
    "removed before reading."
)
SEMICOLONS = (
    "The file's values are separated by semicolons, not commas (as spreadsheets set to a "
    "European locale save CSV); it was read with semicolons. OneRoster files are separated by "
    "commas."
)
TABS = (
    "The file's values are separated by tabs, not commas (as Excel's \"Unicode text\" and "
    '"Text (Tab delimited)" save); it was read with tabs. OneRoster files are separated by '
    "commas."
)


def utf16_warning(order: str) -> str:
    return (
        f'The file is UTF-16 text ({order}), as Excel\'s "Unicode text" saves; it was read as '
        'such. OneRoster files are UTF-8: save them as "CSV UTF-8 (Comma delimited)".'
    )


def resaved(data: bytes, *, delimiter: str, encoding: str, prefix: bytes = b"") -> bytes:
    """A comma CSV file as a spreadsheet saves it again: ``delimiter`` between values, quotes
    only where a value needs them, CRLF, in ``encoding`` after ``prefix`` (a byte-order mark)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return prefix + out.getvalue().encode(encoding)


def every_file_resaved(export: OneRosterExport, **how: object) -> OneRosterExport:
    for name, data in export.render().items():
        export.raw[name] = resaved(data, **how)  # type: ignore[arg-type]
    return export


def warnings_of(read: ExportRead, file: str) -> list[str]:
    return [str(warning) for warning in read.warnings if warning.file == file]


# A European locale: semicolons (Excel "CSV UTF-8" in a German or French locale)


def test_a_semicolon_export_with_a_byte_order_mark_is_read_with_warnings(tmp_path: Path) -> None:
    export = every_file_resaved(
        small_school("1.2"), delimiter=";", encoding="utf-8", prefix=codecs.BOM_UTF8
    )

    read = read_export(export.write_folder(tmp_path))

    assert read.ok, read.errors
    assert len(read.users) == 12 and len(read.enrollments) == 12
    assert read.classes[0].term_sourced_ids == ("y2025",)
    assert warnings_of(read, "users.csv") == [
        f"users.csv, row 1: {BOM_WARNING}",
        f"users.csv, row 1: {SEMICOLONS}",
    ]
    # Every file says so, the manifest too: the school fixes its export once for all.
    assert {w.file for w in read.warnings} == {"manifest.csv", *FILES["1.2"]}


def test_slash_dates_in_a_semicolon_file_are_refused_as_day_and_month_are_in_doubt(
    tmp_path: Path,
) -> None:
    export = small_school("1.1")
    export.row("demographics.csv", "st02")["birthDate"] = "05/01/2019"  # 5 January, in Europe
    export = every_file_resaved(export, delimiter=";", encoding="utf-8")

    read = read_export(export.write_folder(tmp_path))

    assert [str(error) for error in read.errors] == [
        "demographics.csv, row 3, column birthDate: birthDate '05/01/2019' is written with "
        "slashes in a file separated by semicolons, as spreadsheets set to a day/month locale "
        "save it, so its day and month cannot be told apart; write dates as YYYY-MM-DD."
    ]


def test_a_semicolon_list_cell_keeps_its_commas(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("classes.csv", "hr-k")["grades"] = "KG,01"  # a combination class
    export = every_file_resaved(export, delimiter=";", encoding="utf-8")

    read = read_export(export.write_folder(tmp_path))

    assert read.ok and read.classes[0].grades == ("KG", "01")
    # Written unquoted, as a semicolon locale writes a comma inside a value.
    assert b"hr-k;active;" in export.raw["classes.csv"] and b";KG,01;" in export.raw["classes.csv"]


def test_a_latin1_semicolon_file_names_its_first_bad_byte_where_it_is(tmp_path: Path) -> None:
    # Excel's "CSV (semicolon)" in a Western European locale: Windows-1252, no mark.
    export = small_school("1.1")
    export.row("users.csv", "st02")["familyName"] = "Müller"
    export.raw["users.csv"] = resaved(
        export.render()["users.csv"], delimiter=";", encoding="cp1252"
    )

    read = read_export(export.write_folder(tmp_path))

    [error] = read.errors
    assert (error.file, error.row, error.column) == ("users.csv", 5, "familyName")
    assert "not UTF-8" in error.reason and "0xfc" in error.reason
    assert warnings_of(read, "users.csv") == [f"users.csv, row 1: {SEMICOLONS}"]


# Excel's "Unicode text": tab-delimited UTF-16


@pytest.mark.parametrize(
    ("encoding", "prefix", "order"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE, "little-endian"),  # what Excel on Windows saves
        ("utf-16-be", codecs.BOM_UTF16_BE, "big-endian"),
        ("utf-16-le", b"", "little-endian"),  # a byte-order mark lost on the way
    ],
)
def test_excel_unicode_text_is_read_as_utf16_with_tabs(
    tmp_path: Path, encoding: str, prefix: bytes, order: str
) -> None:
    export = small_school("1.1")
    export.row("users.csv", "st02")["givenName"] = "José"  # not ASCII: decoded, not guessed
    export = every_file_resaved(export, delimiter="\t", encoding=encoding, prefix=prefix)

    read = read_export(export.write_folder(tmp_path))

    assert read.ok, read.errors
    assert [user.given_name for user in read.users][3] == "José"
    assert warnings_of(read, "enrollments.csv") == [
        f"enrollments.csv, row 1: {utf16_warning(order)}",
        f"enrollments.csv, row 1: {TABS}",
    ]


def test_excel_unicode_text_files_saved_as_txt_are_read_as_the_csv_files(tmp_path: Path) -> None:
    export = every_file_resaved(
        small_school("1.1"), delimiter="\t", encoding="utf-16-le", prefix=codecs.BOM_UTF16_LE
    )
    export.raw["Users.txt"] = export.raw.pop("users.csv")
    export.tables.pop("users.csv")  # the resaved manifest still declares file.users bulk
    archive = export.write_zip(tmp_path / "export.zip")

    read = read_export(archive)

    assert read.ok, read.errors
    assert len(read.users) == 12
    assert warnings_of(read, "users.csv") == [
        'users.csv: The export has Users.txt, not users.csv (Excel\'s "Unicode text" saves .txt '
        "files); it was read as users.csv.",
        f"users.csv, row 1: {utf16_warning('little-endian')}",
        f"users.csv, row 1: {TABS}",
    ]


def test_a_csv_file_wins_over_a_txt_file_of_the_same_name(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.raw["users.txt"] = b"not, a, roster\r\n"

    read = read_export(export.write_folder(tmp_path))

    assert read.ok and read.warnings == ()


def test_a_utf16_file_with_commas_is_read_with_one_warning(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.raw["orgs.csv"] = codecs.BOM_UTF16_LE + export.render()["orgs.csv"].decode().encode(
        "utf-16-le"
    )

    read = read_export(export.write_folder(tmp_path))

    assert read.ok and [org.sourced_id for org in read.orgs] == ["d1", "s1"]
    assert [str(w) for w in read.warnings] == [f"orgs.csv, row 1: {utf16_warning('little-endian')}"]


def test_a_damaged_utf16_file_is_one_error_naming_the_byte(tmp_path: Path) -> None:
    export = small_school("1.1")
    text = export.render()["orgs.csv"].decode()
    export.raw["orgs.csv"] = codecs.BOM_UTF16_LE + text.encode("utf-16-le") + b"\x00\xdc"

    read = read_export(export.write_folder(tmp_path))

    assert [str(e) for e in read.errors] == [
        'orgs.csv: The file is UTF-16 text (as Excel\'s "Unicode text" saves) but byte '
        f'{2 + 2 * len(text)} cannot be read; save it as "CSV UTF-8 (Comma delimited)".'
    ]


@pytest.mark.parametrize(
    "start", [b"PK\x03\x04\x14\x00\x06\x00", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"]
)
def test_an_excel_workbook_named_csv_is_one_error_saying_how_to_save_it(
    tmp_path: Path, start: bytes
) -> None:
    export = small_school("1.1")
    export.raw["users.csv"] = start + bytes(range(256)) * 4

    read = read_export(export.write_folder(tmp_path))

    assert [str(e) for e in read.errors] == [
        "users.csv: The file is not CSV text but an Excel workbook or another zip; open it in "
        'Excel and save it as "CSV UTF-8 (Comma delimited)".'
    ]


def test_a_manifest_column_one_letter_off_gets_a_did_you_mean(tmp_path: Path) -> None:
    export = small_school("1.1")
    manifest = export.render()["manifest.csv"]
    export.manifest = False
    export.raw["manifest.csv"] = manifest.replace(b"propertyName,", b"propertyNames,", 1)

    read = read_export(export.write_folder(tmp_path))

    assert str(read.errors[0]) == (
        "manifest.csv, row 1, column propertyName: The header has no 'propertyName' column. It "
        "has 'propertyNames': did you mean 'propertyName'?"
    )


def test_a_header_of_one_unknown_name_is_not_taken_for_another_delimiter(tmp_path: Path) -> None:
    export = small_school("1.1")
    # A localised header (French) names no OneRoster column in any delimiter.
    export.raw["orgs.csv"] = "Identifiant;Nom;Catégorie\r\nd1;District;district\r\n".encode()

    read = read_export(export.write_folder(tmp_path))

    assert ("orgs.csv", 1, "sourcedId") in [(e.file, e.row, e.column) for e in read.errors]
    assert not [w for w in read.warnings if "separated" in w.reason]


# Headers that miss the spec's names


def test_a_header_that_differs_only_in_case_is_read_with_a_warning(tmp_path: Path) -> None:
    export = small_school("1.1")
    columns = list(FILES["1.1"]["classes.csv"].columns)
    export.headers["classes.csv"] = columns
    export.raw["classes.csv"] = export.render()["classes.csv"].replace(b",grades,", b",Grades,", 1)

    read = read_export(export.write_folder(tmp_path))

    assert read.ok and [c.grades for c in read.classes] == [("KG",), ("01",)]
    assert [str(w) for w in read.warnings] == [
        "classes.csv, row 1, column Grades: The header's column 'Grades' was read as 'grades': "
        "OneRoster column names are written in that case."
    ]


def test_a_header_with_the_spec_name_and_another_case_reads_the_spec_one(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("users.csv", "st01")["GivenName"] = "Other"

    read = read_export(export.write_folder(tmp_path))

    assert read.ok and read.users[2].given_name == "Givenst01"
    assert [str(w) for w in read.warnings] == [
        "users.csv, row 1, column GivenName: The header also has 'givenName'; 'GivenName' was "
        "ignored."
    ]


def test_a_day_month_date_in_a_comma_file_says_the_other_dates_are_in_doubt(
    tmp_path: Path,
) -> None:
    export = small_school("1.1")
    export.row("demographics.csv", "st02")["birthDate"] = "05/01/2019"
    export.row("demographics.csv", "st03")["birthDate"] = "31/12/2018"

    read = read_export(export.write_folder(tmp_path))

    assert [str(e) for e in read.errors] == [
        "demographics.csv, row 4, column birthDate: birthDate '31/12/2018' is not a valid "
        "month/day/year date; it reads as day/month/year, so the file's other dates with "
        "slashes are in doubt as well: write dates as YYYY-MM-DD (ISO 8601)."
    ]


def test_a_required_column_written_grade_gets_a_did_you_mean(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.raw["classes.csv"] = export.render()["classes.csv"].replace(b",grades,", b",grade,", 1)

    read = read_export(export.write_folder(tmp_path))

    assert [str(e) for e in read.errors] == [
        "classes.csv, row 1, column grades: The header has no 'grades' column, which classes.csv "
        "must have; the file's rows were not read. It has 'grade': did you mean 'grades'?"
    ]
    assert [str(w) for w in read.warnings] == [
        "classes.csv, row 1, column grade: 'grade' is not a column of classes.csv; it was "
        "ignored. Did you mean 'grades'?"
    ]


def test_an_optional_column_written_grade_is_ignored_with_a_did_you_mean(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.raw["users.csv"] = export.render()["users.csv"].replace(b",grades,", b",Grade,", 1)

    read = read_export(export.write_folder(tmp_path))

    # Students then take their homeroom's grade (the importer's rule): the warning says why.
    assert read.ok and {user.grades for user in read.users} == {()}
    assert [str(w) for w in read.warnings] == [
        "users.csv, row 1, column Grade: 'Grade' is not a column of users.csv; it was ignored. "
        "Did you mean 'grades'?"
    ]


def test_unknown_columns_are_named_and_vendor_metadata_columns_are_not(tmp_path: Path) -> None:
    export = small_school("1.1")
    export.row("users.csv", "st01")["metadata.homeLanguage"] = "es"
    export.row("users.csv", "st01")["studentNumber"] = "1001"

    read = read_export(export.write_folder(tmp_path))

    assert read.ok
    assert [str(w) for w in read.warnings] == [
        "users.csv, row 1, column studentNumber: 'studentNumber' is not a column of users.csv; "
        "it was ignored."
    ]


def test_a_manifest_header_in_another_case_is_read(tmp_path: Path) -> None:
    export = small_school("1.1")
    manifest = export.render()["manifest.csv"]
    export.manifest = False
    export.raw["manifest.csv"] = manifest.replace(b"propertyName,value", b"PropertyName,Value", 1)

    read = read_export(export.write_folder(tmp_path))

    assert read.ok and read.version == "1.1"
    assert [w.column for w in read.warnings] == ["PropertyName", "Value"]


# The reader's warnings reach the import: the command, the record (the page) and the API


def european_export(tmp_path: Path) -> Path:
    export = small_school("1.1")
    export.row("demographics.csv", "st02")["birthDate"] = "2019-01-05"
    export = every_file_resaved(export, delimiter=";", encoding="utf-8", prefix=codecs.BOM_UTF8)
    return export.write_zip(tmp_path / "export.zip")


@pytest.mark.django_db
def test_the_command_shows_the_readers_warnings(tmp_path: Path) -> None:
    network = NetworkFactory()
    export = small_school("1.1")
    export.row("demographics.csv", "st02")["birthDate"] = "1/05/2019"
    path = export.write_zip(tmp_path / "export.zip")
    out = StringIO()

    call_command(
        "import_roster",
        "--network",
        network.slug,
        str(path),
        "--dry-run",
        "--today",
        "2024-09-03",
        stdout=out,
        stderr=StringIO(),
    )

    assert (
        "  warning: demographics.csv, row 3, column birthDate: 1 birthDate date is written "
        "month/day/year (like '1/05/2019') and was read as month/day; write dates as YYYY-MM-DD "
        "to avoid any doubt.\n"
    ) in out.getvalue()


@pytest.mark.django_db
def test_the_command_counts_the_warnings_it_does_not_print(tmp_path: Path) -> None:
    network = NetworkFactory()
    path = european_export(tmp_path)
    out = StringIO()

    call_command(
        "import_roster",
        "--network",
        network.slug,
        str(path),
        "--dry-run",
        "--today",
        "2024-09-03",
        "--show",
        "3",
        stdout=out,
        stderr=StringIO(),
    )

    printed = out.getvalue()
    record = RosterImport.objects.get()
    assert printed.count("  warning: ") == 3
    assert f"  ... and {len(record.warnings) - 3} more warning(s)\n" in printed


@pytest.mark.django_db
def test_the_import_its_page_and_its_api_carry_the_readers_warnings(
    tmp_path: Path, settings, school_a, network_admin
) -> None:
    settings.VAR_DIR = tmp_path
    network = school_a.school.network
    path = european_export(tmp_path)
    api = client_for(network_admin)
    body = api.post(
        f"/api/v1/networks/{network.pk}/roster-imports/",
        {"file": SimpleUploadedFile("roster.zip", path.read_bytes()), "dry_run": "true"},
    ).json()
    roster_import_run(import_id=body["id"], today=datetime.date(2024, 9, 3))

    record = RosterImport.objects.get(pk=body["id"])
    done = api.get(f"/api/v1/networks/{network.pk}/roster-imports/{body['id']}/").json()

    page = api.get(reverse("roster-import", args=[network.pk, record.pk]))

    assert record.state == "reviewed"
    expected = {"file": "users.csv", "row": 1, "column": None, "reason": SEMICOLONS}
    assert expected in record.warnings
    assert expected in done["warnings"]
    row = f"<tr><td>users.csv</td><td>1</td><td>—</td><td>{SEMICOLONS}</td></tr>"
    assert row in html.unescape(page.content.decode())
