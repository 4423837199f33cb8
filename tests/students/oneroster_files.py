"""OneRoster exports for tests, written from Python dicts with the spec's column lists (from
``students.oneroster.columns``), as a folder, a .zip file or zip bytes.

``small_school(version)`` is a realistic small export: a district and one school, a school
year, a homeroom course, homeroom classes for KG and 01, two teachers and ten students, each
enrolled in their homeroom; in the 1.1 layout (roles on users.csv) or the 1.2 one (roles.csv).
Tests change its rows (``export.row("users.csv", "st01")["grades"] = "PK"``) or its files.
"""

import copy
import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from students.oneroster.columns import FILES, MANIFEST, SCHOOL_GRADES, Version

MODIFIED = "2024-08-01T12:00:00.000Z"
SCHOOL = "s1"
DISTRICT = "d1"
SCHOOL_YEAR = "y2025"
HOMEROOMS = {"hr-k": "KG", "hr-1": "01"}
TEACHERS = {"t1": "hr-k", "t2": "hr-1"}
# Students st01..st05 are in KG, st06..st10 in grade 01.
STUDENTS = {f"st{n:02d}": ("hr-k" if n <= 5 else "hr-1") for n in range(1, 11)}
CLASS_KINDS = ("homeroom", "math", "ela")
# Manifest rows for files the rostering import never reads: real exports list them absent.
OTHER_FILES = ("categories", "classResources", "courseResources", "lineItems", "results")


@dataclass
class OneRosterExport:
    """Files of one export. ``tables`` holds rows by file name; a row's keys that are not in
    the spec's columns become extra columns (as vendors' ``metadata.*``). ``modes`` overrides
    a file's manifest mode (default: bulk when the export has the file, absent otherwise);
    ``headers`` gives a file's exact header (cells of other columns are left out); ``raw``
    gives a file's exact bytes."""

    version: Version
    tables: dict[str, list[dict[str, str]]]
    modes: dict[str, str] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)
    manifest: bool = True
    bom: bool = False
    trailing_empty_columns: int = 0

    def rows(self, name: str) -> list[dict[str, str]]:
        return self.tables[name]

    def row(self, name: str, sourced_id: str) -> dict[str, str]:
        return next(row for row in self.tables[name] if row["sourcedId"] == sourced_id)

    def copy(self) -> "OneRosterExport":
        return copy.deepcopy(self)

    def render(self) -> dict[str, bytes]:
        """File name -> bytes, manifest included."""
        files = {name: self._csv(name, rows) for name, rows in self.tables.items()}
        if self.manifest:
            files[MANIFEST] = self._manifest()
        files.update(self.raw)
        return files

    def write_folder(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.render().items():
            (folder / name).write_bytes(data)
        return folder

    def write_zip(self, path: Path) -> Path:
        path.write_bytes(self.zip_bytes())
        return path

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.render().items():
                archive.writestr(name, data)
        return buffer.getvalue()

    def _csv(self, name: str, rows: list[dict[str, str]]) -> bytes:
        header = self.headers.get(name)
        if header is None:
            header = list(FILES[self.version][name].columns)
            for row in rows:
                header.extend(key for key in row if key not in header)
        padding = [""] * self.trailing_empty_columns
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header + padding)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header] + padding)
        text = out.getvalue()
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")

    def _manifest(self) -> bytes:
        properties = [("manifest.version", "1.0"), ("oneroster.version", self.version)]
        for name in FILES[self.version]:
            stem = name.removesuffix(".csv")
            present = name in self.tables or name in self.raw
            properties.append(
                (f"file.{stem}", self.modes.get(name, "bulk" if present else "absent"))
            )
        properties += [(f"file.{stem}", "absent") for stem in OTHER_FILES]
        properties += [("source.systemName", "Test SIS"), ("source.systemCode", "TEST")]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["propertyName", "value"])
        writer.writerows(properties)
        return out.getvalue().encode("utf-8")


def small_school(version: Version = "1.1") -> OneRosterExport:
    """The small school described in the module docstring, in ``version``'s layout."""
    common = {"status": "active", "dateLastModified": MODIFIED}
    orgs = [
        {**common, "sourcedId": DISTRICT, "name": "Rocketship Test District", "type": "district"},
        {
            **common,
            "sourcedId": SCHOOL,
            "name": "Rocketship Discovery Prep",
            "type": "school",
            "identifier": "060000000001",
            "parentSourcedId": DISTRICT,
        },
    ]
    sessions = [
        {
            **common,
            "sourcedId": SCHOOL_YEAR,
            "title": "2024-2025",
            "type": "schoolYear",
            "startDate": "2024-08-12",
            "endDate": "2025-06-13",
            "schoolYear": "2025",
        }
    ]
    courses = [
        {
            **common,
            "sourcedId": "c-homeroom",
            "schoolYearSourcedId": SCHOOL_YEAR,
            "title": "Homeroom",
            "courseCode": "HR",
            "grades": "KG,01",
            "orgSourcedId": SCHOOL,
        }
    ]
    classes = [
        {
            **common,
            "sourcedId": class_id,
            "title": f"Homeroom {grade}",
            "grades": grade,
            "courseSourcedId": "c-homeroom",
            "classCode": class_id.upper(),
            "classType": "homeroom",
            "location": f"Room {n}",
            "schoolSourcedId": SCHOOL,
            "termSourcedIds": SCHOOL_YEAR,
        }
        for n, (class_id, grade) in enumerate(HOMEROOMS.items(), start=101)
    ]
    users = [_user(common, user_id, "teacher", "") for user_id in TEACHERS]
    users += [
        _user(common, user_id, "student", HOMEROOMS[class_id])
        for user_id, class_id in STUDENTS.items()
    ]
    enrollments = [
        {
            **common,
            "sourcedId": f"e-{user_id}",
            "classSourcedId": class_id,
            "schoolSourcedId": SCHOOL,
            "userSourcedId": user_id,
            "role": "teacher" if user_id in TEACHERS else "student",
            "primary": "true" if user_id in TEACHERS else "false",
            "beginDate": "2024-08-12",
            # Open: tests importing on the real date still find everyone in their homeroom.
            "endDate": "",
        }
        for user_id, class_id in {**TEACHERS, **STUDENTS}.items()
    ]
    demographics = [
        {**common, "sourcedId": user_id, "birthDate": f"2018-0{n % 9 + 1}-15", "sex": "female"}
        for n, user_id in enumerate(STUDENTS)
    ]
    tables = {
        "orgs.csv": orgs,
        "academicSessions.csv": sessions,
        "courses.csv": courses,
        "classes.csv": classes,
        "users.csv": users,
        "enrollments.csv": enrollments,
        "demographics.csv": demographics,
    }
    if version == "1.2":
        tables["roles.csv"] = [
            {
                **common,
                "sourcedId": f"r-{user['sourcedId']}",
                "userSourcedId": user["sourcedId"],
                "roleType": "primary",
                "role": user.pop("role"),
                "orgSourcedId": user.pop("orgSourcedIds"),
            }
            for user in users
        ]
    return OneRosterExport(version, tables)


def _user(common: dict[str, str], user_id: str, role: str, grade: str) -> dict[str, str]:
    return {
        **common,
        "sourcedId": user_id,
        "enabledUser": "true",
        "orgSourcedIds": SCHOOL,
        "role": role,
        "username": f"{user_id}@example.org",
        "userIds": f"{{SIS:{user_id.upper()}}}",
        "givenName": f"Given{user_id}",
        "familyName": f"Family{user_id}",
        "identifier": user_id.upper(),
        "email": f"{user_id}@example.org",
        "grades": grade,
    }


def network(
    schools: int = 20,
    students_per_school: int = 600,
    *,
    guardians: bool = False,
    sections: int = 1,
    subject_teachers: bool = False,
) -> OneRosterExport:
    """A network-sized bulk 1.1 export: per school and grade KG to 05, ``sections`` homerooms
    (each with a teacher) and as many math and ELA classes; each student in the three classes of
    one section. Opt-in, for a district's shape (bench.oneroster):

    - ``guardians``: a guardian user of each student at the district (``<student>-p``), linked
      both ways, with an email and a phone; one in five has the role guardian, the others
      parent; one in three writes a language in ``metadata.language`` (es or vi);
    - ``subject_teachers``: per school a math and an ELA teacher for each grade, enrolled in
      every section of their subject (``<school>-t-math-<grade>``, ``<school>-t-ela-<grade>``).

    Class ids are ``<school>-<kind>-<grade>``, with ``-<section>`` (1, 2, ...) when
    ``sections`` > 1."""
    empty = {"status": "", "dateLastModified": ""}  # as bulk exports leave them
    tables = small_school("1.1").tables
    tables["orgs.csv"] = tables["orgs.csv"][:1]
    for name in ("courses.csv", "classes.csv", "users.csv", "enrollments.csv"):
        tables[name] = []
    del tables["demographics.csv"]

    def add(file_name: str, **values: str) -> None:
        tables[file_name].append({**empty, **values})

    def class_id(school: str, kind: str, grade: str, section: int) -> str:
        return f"{school}-{kind}-{grade}" + (f"-{section + 1}" if sections > 1 else "")

    def person(user: dict[str, str], school: str, role: str, classes: list[str]) -> None:
        tables["users.csv"].append(user | {"orgSourcedIds": school})
        for class_sourced_id in classes:
            kind = class_sourced_id.split("-")[1]
            add(
                "enrollments.csv",
                sourcedId=f"e-{user['sourcedId']}-{kind}"
                + ("" if sections == 1 else f"-{class_sourced_id.rsplit('-', 1)[1]}"),
                classSourcedId=class_sourced_id,
                schoolSourcedId=school,
                userSourcedId=user["sourcedId"],
                role=role,
            )

    n_guardians = 0
    for s in range(schools):
        school = f"s{s}"
        add("orgs.csv", sourcedId=school, name=f"School {s}", type="school")
        add("courses.csv", sourcedId=f"{school}-c", title="Grade level", orgSourcedId=school)
        for kind, grade in ((kind, grade) for kind in CLASS_KINDS for grade in SCHOOL_GRADES):
            for section in range(sections):
                add(
                    "classes.csv",
                    sourcedId=class_id(school, kind, grade, section),
                    title=f"{kind} {grade}" + (f"-{section + 1}" if sections > 1 else ""),
                    grades=grade,
                    courseSourcedId=f"{school}-c",
                    classType="homeroom" if kind == "homeroom" else "scheduled",
                    schoolSourcedId=school,
                    termSourcedIds=SCHOOL_YEAR,
                )
        for grade in SCHOOL_GRADES:
            for section in range(sections):
                teacher = f"{school}-t-{grade}" + (f"-{section + 1}" if sections > 1 else "")
                homeroom = class_id(school, "homeroom", grade, section)
                person(_user(empty, teacher, "teacher", ""), school, "teacher", [homeroom])
            if subject_teachers:
                for kind in CLASS_KINDS[1:]:
                    classes = [class_id(school, kind, grade, n) for n in range(sections)]
                    user = _user(empty, f"{school}-t-{kind}-{grade}", "teacher", "")
                    person(user, school, "teacher", classes)
        for n in range(students_per_school):
            grade = SCHOOL_GRADES[n % len(SCHOOL_GRADES)]
            section = n // len(SCHOOL_GRADES) % sections
            user = _user(empty, f"{school}-st{n}", "student", grade)
            classes = [class_id(school, kind, grade, section) for kind in CLASS_KINDS]
            if not guardians:
                person(user, school, "student", classes)
                continue
            parent = _user(empty, f"{user['sourcedId']}-p", "parent", "")
            person(user | {"agentSourcedIds": parent["sourcedId"]}, school, "student", classes)
            parent |= {
                "orgSourcedIds": DISTRICT,
                "agentSourcedIds": user["sourcedId"],
                "role": "guardian" if n_guardians % 5 == 4 else "parent",
                "phone": f"+1 408 555 {n_guardians % 10_000:04d}",
            }
            if n_guardians % 3 == 0:
                parent["metadata.language"] = "es" if n_guardians % 2 == 0 else "vi"
            tables["users.csv"].append(parent)
            n_guardians += 1
    return OneRosterExport("1.1", tables)
