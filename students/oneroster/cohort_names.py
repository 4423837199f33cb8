"""The name each imported homeroom's cohort is stored under, and which stored cohort it is.

A cohort's name is unique at its school, and SIS exports do not promise that of class titles:
PowerSchool sections are often all titled "Homeroom", and a new school year brings new
sourcedIds for homerooms with last year's titles. So:

- homerooms of one school that share a title are each named with their class code (their
  sourcedId when the codes do not tell them apart): "Homeroom (HR-101)"; a re-import names them
  the same way, so nothing changes;
- a homeroom whose cohort is not stored under its sourcedId takes the stored cohort with its
  name: one created by hand (no sourcedId), or, when the classes file is complete (bulk), one
  whose sourcedId the export no longer lists (last year's id). The cohort keeps its pins,
  staff and schedules and takes the new sourcedId;
- a title still taken at the school by a cohort the export keeps (a delta export's unlisted
  homeroom) is named with the class code too;
- an untitled homeroom (Aeries leaves titles blank without a master schedule) is named by its
  class code, else its sourcedId.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..models import Cohort
from .records import Class

NAME_LENGTH = Cohort._meta.get_field("name").max_length or 60


@dataclass
class CohortNames:
    # class sourcedId -> the cohort's name
    names: dict[str, str] = field(default_factory=dict)
    # class sourcedId -> the stored cohort it takes (by name, its sourcedId not in the export)
    adopted: dict[str, Cohort] = field(default_factory=dict)
    # the rows of homerooms named with their class code
    renamed: list[Class] = field(default_factory=list)
    # the rows of homerooms without a title, named by their class code or sourcedId
    untitled: list[Class] = field(default_factory=list)


def cohort_names(
    rooms: Sequence[Class], stored: Iterable[Cohort], *, school_pks: dict[str, int], bulk: bool
) -> CohortNames:
    """Names for the cohorts of ``rooms`` (the export's homerooms at imported schools; a
    school's sourcedId -> its pk in ``school_pks`` when it is stored), given the ``stored``
    cohorts of those schools; ``bulk``: the classes file lists every class."""
    found = CohortNames()
    listed = {cls.sourced_id for cls in rooms}
    by_sid = {c.sourced_id: c for c in stored if c.sourced_id}
    # Names held at each school by a cohort no room of the export is (or takes).
    held: dict[int, dict[str, Cohort]] = defaultdict(dict)
    for cohort in stored:
        if cohort.sourced_id not in listed:
            held[cohort.school_id][cohort.name] = cohort
    sharing: dict[tuple[str, str], list[Class]] = defaultdict(list)
    for cls in rooms:
        if not cls.title:
            found.untitled.append(cls)
        sharing[(cls.school_sourced_id, title_of(cls))].append(cls)
    for (school_sid, title), classes in sharing.items():
        names_here = held[school_pks[school_sid]] if school_sid in school_pks else {}
        if len(classes) == 1:
            cls = classes[0]
            other = names_here.get(title)
            if other is None:
                found.names[cls.sourced_id] = title
                continue
            if cls.sourced_id not in by_sid and (bulk or not other.sourced_id):
                found.names[cls.sourced_id] = title
                found.adopted[cls.sourced_id] = other
                del names_here[title]
                continue
        codes = [cls.class_code for cls in classes]
        for cls in classes:
            tag = cls.class_code if cls.class_code and codes.count(cls.class_code) == 1 else ""
            name = _tagged(title, tag or cls.sourced_id)
            if name in names_here:
                name = _tagged(title, cls.sourced_id)
            found.names[cls.sourced_id] = name
            found.renamed.append(cls)
    return found


def title_of(cls: Class) -> str:
    """A homeroom's title, or what names it when it has none."""
    return cls.title or cls.class_code or cls.sourced_id


def _tagged(title: str, tag: str) -> str:
    suffix = f" ({tag})"
    # A title that does not fit its column alone is an error of its own (the plan's length
    # check); one that only the tag pushes over is shortened to keep the tag.
    if len(title) > NAME_LENGTH:
        return title + suffix
    return (title[: max(NAME_LENGTH - len(suffix), 1)] + suffix)[:NAME_LENGTH]
