"""manifest.csv: which OneRoster version an export is and how each file is to be processed
(bulk: the complete set; delta: changes only; absent: not supplied). Without a usable
manifest we still read the files (version guessed from roles.csv, files taken as bulk) so
that one upload reports every problem, not just the first."""

from students.plain_gettext import gettext

from . import foreign
from .columns import (
    FILE_MODES,
    IMPORT_REQUIRED_FILES,
    MANIFEST,
    MANIFEST_COLUMNS,
    ROLES,
    VERSIONS,
    FileColumns,
    FileMode,
    Version,
)
from .records import ExportError
from .source import ExportFiles
from .tables import read_table

# propertyName -> (value, row)
Properties = dict[str, tuple[str, int]]


def read_properties(
    files: ExportFiles, errors: list[ExportError], warnings: list[ExportError]
) -> Properties | None:
    """The manifest's properties, or None when there is no usable manifest."""
    if not files.has(MANIFEST):
        errors.append(
            ExportError(
                MANIFEST,
                None,
                None,
                gettext(
                    "The export has no manifest.csv; OneRoster exports must include one naming "
                    "the version and each file's mode."
                ),
            )
        )
        return None
    table = read_table(MANIFEST, files.read(MANIFEST), errors, warnings, MANIFEST_COLUMNS)
    if table is None:
        return None
    missing = [column for column in MANIFEST_COLUMNS if column not in table.columns]
    for column in missing:
        reason = gettext("The header has no '%(column)s' column.")
        written = foreign.near_miss(column, [c for c in table.columns if c not in MANIFEST_COLUMNS])
        if written is not None:
            reason += " " + gettext("It has '%(written)s': did you mean '%(column)s'?")
        errors.append(
            ExportError(MANIFEST, 1, column, reason % {"column": column, "written": written})
        )
    if missing:
        return None
    properties: Properties = {}
    for row, values in table.rows:
        name = values["propertyName"]
        if name in properties:
            errors.append(
                ExportError(
                    MANIFEST,
                    row,
                    "propertyName",
                    gettext("'%(name)s' is also on row %(row)d; each property may appear once.")
                    % {"name": name, "row": properties[name][1]},
                )
            )
            continue
        properties[name] = (values["value"], row)
    return properties


def version_of(
    properties: Properties | None, files: ExportFiles, errors: list[ExportError]
) -> Version:
    guessed: Version = "1.2" if files.has(ROLES) else "1.1"
    if properties is None:
        return guessed
    entry = properties.get("oneroster.version")
    if entry is None:
        errors.append(
            ExportError(
                MANIFEST,
                None,
                None,
                gettext(
                    "manifest.csv has no oneroster.version row; the files were read as %(version)s."
                )
                % {"version": guessed},
            )
        )
        return guessed
    value, row = entry
    for version in VERSIONS:
        # Point releases (1.2.1) keep the 1.2 file layout.
        if value == version or value.startswith(version + "."):
            return version
    errors.append(
        ExportError(
            MANIFEST,
            row,
            "value",
            gettext(
                "oneroster.version is '%(value)s'; this import reads 1.1 and 1.2 (the files "
                "were read as %(version)s)."
            )
            % {"value": value, "version": guessed},
        )
    )
    return guessed


def file_modes(
    properties: Properties | None,
    specs: dict[str, FileColumns],
    version: Version,
    files: ExportFiles,
    errors: list[ExportError],
    warnings: list[ExportError],
) -> dict[str, FileMode]:
    """Each file's mode, reporting files declared but missing, supplied but declared absent,
    and files the import needs but does not get."""
    modes: dict[str, FileMode] = {}
    for name, spec in specs.items():
        present = files.has(name)
        mode = _declared_mode(properties, spec, present, errors)
        if mode != "absent" and not present:
            errors.append(
                ExportError(
                    name,
                    None,
                    None,
                    gettext("manifest.csv declares %(file)s %(mode)s, but it is not in the export.")
                    % {"file": name, "mode": mode},
                )
            )
        elif mode == "absent" and present:
            warnings.append(
                ExportError(
                    name,
                    None,
                    None,
                    gettext(
                        "%(file)s is in the export but manifest.csv declares it absent; it was "
                        "ignored."
                    )
                    % {"file": name},
                )
            )
        if mode == "absent" and name in IMPORT_REQUIRED_FILES[version]:
            errors.append(
                ExportError(
                    name,
                    None,
                    None,
                    (
                        gettext("The import needs %(file)s, but the export declares it absent.")
                        if present
                        else gettext(
                            "The import needs %(file)s, but the export does not include it."
                        )
                    )
                    % {"file": name},
                )
            )
        modes[name] = mode
    return modes


def _declared_mode(
    properties: Properties | None, spec: FileColumns, present: bool, errors: list[ExportError]
) -> FileMode:
    fallback: FileMode = "bulk" if present else "absent"
    if properties is None:
        return fallback
    entry = properties.get(spec.manifest_property)
    if entry is None:
        errors.append(
            ExportError(
                MANIFEST,
                None,
                None,
                gettext("manifest.csv has no %(property)s row (it must say bulk, delta or absent).")
                % {"property": spec.manifest_property},
            )
        )
        return fallback
    value, row = entry
    if value not in FILE_MODES:
        errors.append(
            ExportError(
                MANIFEST,
                row,
                "value",
                gettext("%(property)s is '%(value)s'; it must be bulk, delta or absent.")
                % {"property": spec.manifest_property, "value": value},
            )
        )
        return fallback
    return value  # type: ignore[return-value]  # checked against FILE_MODES above
