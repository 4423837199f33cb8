"""Files that are not the spec's CSV but whose meaning is not in doubt: the encodings,
delimiters and header spellings spreadsheets and SIS exports use instead. Each is read as the
file was written, with a warning naming the file, so the school can fix its export; anything
less certain is left to the usual errors, with a "did you mean" where a column name is near
the spec's.

- Encoding: a UTF-8 byte-order mark is dropped; UTF-16 (Excel's "Unicode text", with or
  without its byte-order mark, little- or big-endian) is decoded.
- Delimiter: a header that reads as one column with commas but as several known columns with
  tabs or semicolons (a European locale's list separator) is read with that delimiter.
- Header names: a name that differs from the spec's only in case is read as the spec's, unless
  the header also has the spec's spelling; other unknown names are ignored, with the spec's
  closest name suggested (``difflib.get_close_matches``).
"""

import codecs
import csv
import difflib
from collections.abc import Collection

from students.plain_gettext import gettext

from .records import ExportError

# Vendors' own columns, which the spec allows and the reader ignores without a word.
EXTENSION_COLUMN_PREFIX = "metadata."
# How alike a header name and the spec's must be for a suggestion (difflib's ratio).
SUGGESTION_CUTOFF = 0.8
# How workbooks start: .xlsx (a zip) and .xls (an OLE2 compound file).
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
# The bytes looked at to tell UTF-16 without a byte-order mark.
_SNIFF_BYTES = 1024


class Undecodable(Exception):
    """The file is no text: damaged UTF-16 or a workbook; the message says what to do."""


def decoded(name: str, data: bytes, warnings: list[ExportError]) -> bytes | None:
    """``data`` as UTF-8 without a byte-order mark, or None when it is already that (or is
    not UTF-16 either: the reader then reports the bytes it cannot read). ``Undecodable``
    when it is UTF-16 that cannot be decoded, or an Excel workbook."""
    if data.startswith(_WORKBOOKS):
        # A workbook renamed .csv, or saved with Excel's default format: not text at all.
        raise Undecodable(
            gettext(
                "The file is not CSV text but an Excel workbook or another zip; open it in "
                'Excel and save it as "CSV UTF-8 (Comma delimited)".'
            )
        )
    if data.startswith(codecs.BOM_UTF8):
        warnings.append(
            ExportError(
                name,
                1,
                None,
                gettext(
                    'The file starts with a UTF-8 byte-order mark (as Excel\'s "CSV UTF-8" '
                    "writes); it was removed before reading."
                ),
            )
        )
        return data[len(codecs.BOM_UTF8) :]
    encoding = _utf16(data)
    if encoding is None:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise Undecodable(
            gettext(
                'The file is UTF-16 text (as Excel\'s "Unicode text" saves) but byte %(at)d '
                'cannot be read; save it as "CSV UTF-8 (Comma delimited)".'
            )
            % {"at": error.start}
        ) from None
    big_endian = data.startswith(codecs.BOM_UTF16_BE) or encoding == "utf-16-be"
    order = gettext("big-endian") if big_endian else gettext("little-endian")
    warnings.append(
        ExportError(
            name,
            1,
            None,
            gettext(
                'The file is UTF-16 text (%(order)s), as Excel\'s "Unicode text" saves; it '
                'was read as such. OneRoster files are UTF-8: save them as "CSV UTF-8 '
                '(Comma delimited)".'
            )
            % {"order": order},
        )
    )
    return text.lstrip("\ufeff").encode("utf-8")


def _utf16(data: bytes) -> str | None:
    """The UTF-16 codec ``data`` is written in, or None. Without a byte-order mark, CSV text
    in UTF-16 has a zero byte beside nearly every character: which side tells the order."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:_SNIFF_BYTES]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    odd_zeros, even_zeros = sample[1::2].count(0), sample[0::2].count(0)
    half = len(sample) // 2
    if odd_zeros > half * 0.9 and even_zeros == 0:
        return "utf-16-le"
    if even_zeros > half * 0.9 and odd_zeros == 0:
        return "utf-16-be"
    return None


def delimiter(name: str, text: str, known: Collection[str], warnings: list[ExportError]) -> str:
    """The delimiter ``text``'s header is written with: a comma unless the header is one
    column with commas and several with tabs or semicolons, one of them a ``known`` name
    (any, when ``known`` is empty) in any case. Only then is the reading not in doubt."""
    end = text.find("\n")
    line = (text if end < 0 else text[:end]).rstrip("\r")
    if len(_names(line, ",")) > 1:
        return ","
    known_lower = {column.lower() for column in known}
    for candidate, label in ((";", gettext("semicolons")), ("\t", gettext("tabs"))):
        names = _names(line, candidate)
        if len(names) < 2 or not all(names):
            continue
        if known_lower and not known_lower & {column.lower() for column in names}:
            continue
        warnings.append(
            ExportError(
                name,
                1,
                None,
                gettext(
                    "The file's values are separated by %(delimiter)s, not commas (%(cause)s); "
                    "it was read with %(delimiter)s. OneRoster files are separated by commas."
                )
                % {"delimiter": label, "cause": _cause(candidate)},
            )
        )
        return candidate
    return ","


def _cause(candidate: str) -> str:
    if candidate == ";":
        return gettext("as spreadsheets set to a European locale save CSV")
    return gettext('as Excel\'s "Unicode text" and "Text (Tab delimited)" save')


def _names(line: str, delimiter: str) -> list[str]:
    """The header's names read with ``delimiter``, without empty trailing ones."""
    names = [name.strip() for name in next(csv.reader([line], delimiter=delimiter), [])]
    while names and not names[-1]:
        names.pop()
    return names


def case_fixed(
    name: str, columns: tuple[str, ...], known: Collection[str], warnings: list[ExportError]
) -> tuple[str, ...]:
    """``columns`` with each name that is a ``known`` one in another case read as the known
    one; a warning for each, and for each other name not known (with the closest known name)."""
    if not known:
        return columns
    by_lower: dict[str, list[str]] = {}
    for column in columns:
        by_lower.setdefault(column.lower(), []).append(column)
    known_by_lower = {column.lower(): column for column in known}
    fixed = []
    for column in columns:
        spec = known_by_lower.get(column.lower())
        if column in known or spec is None or len(by_lower[column.lower()]) > 1:
            fixed.append(column)
            if spec is None and column and not column.startswith(EXTENSION_COLUMN_PREFIX):
                warnings.append(_unknown(name, column, columns, known))
            elif spec is not None and column != spec:
                if spec in columns:
                    reason = gettext("The header also has '%(spec)s'; '%(written)s' was ignored.")
                else:
                    reason = gettext(
                        "The header has '%(written)s' in more than one case; none was read as "
                        "'%(spec)s'."
                    )
                values = {"written": column, "spec": spec}
                warnings.append(ExportError(name, 1, column, reason % values))
            continue
        warnings.append(
            ExportError(
                name,
                1,
                column,
                gettext(
                    "The header's column '%(written)s' was read as '%(spec)s': OneRoster "
                    "column names are written in that case."
                )
                % {"written": column, "spec": spec},
            )
        )
        fixed.append(spec)
    return tuple(fixed)


def _unknown(
    name: str, column: str, columns: tuple[str, ...], known: Collection[str]
) -> ExportError:
    absent = [spec for spec in known if spec not in columns]
    spec = near_miss(column, absent)
    if spec is None:
        reason = gettext("'%(written)s' is not a column of %(file)s; it was ignored.")
    else:
        reason = gettext(
            "'%(written)s' is not a column of %(file)s; it was ignored. Did you mean '%(spec)s'?"
        )
    return ExportError(name, 1, column, reason % {"written": column, "file": name, "spec": spec})


def near_miss(column: str, candidates: Collection[str]) -> str | None:
    """The one of ``candidates`` closest to ``column`` regardless of case (``grades`` for
    ``Grade``), or None when none is close."""
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    close = difflib.get_close_matches(column.lower(), by_lower, n=1, cutoff=SUGGESTION_CUTOFF)
    return by_lower[close[0]] if close else None
