"""Schools, people and the record of who saw what.

A *network* runs many *schools*; each school has its own time zone, its *grades* (K-5) and its
*cohorts* (homerooms of one grade that move through the day together). *Students* belong to one
school, grade and, once placed, one cohort; a student who leaves is ended (``enrollment_end``),
never deleted, because schedules, services and the audit trail refer to them. *Staff* are a user's
membership of one school with one or more *roles*; the same user may work in several schools.
*Guardians* (parents, guardians, relatives from the roster) belong to the network and are
linked to their children; they are never staff and have no login.
*Service needs* are a student's minutes of IEP, ELD or intervention each week. *API clients*
read (and, when granted, write) a network's schools through tokens.

Every model that holds school data names, in ``school_scope``, the lookup from itself to its
school; ``students.scoping`` uses it to filter every read to the schools a user may see.
"""

from .api_clients import ApiClient, ApiToken
from .audit import AuditAction, AuditEvent, UserSession
from .families import Guardian, GuardianRelationship
from .moves import CohortMove
from .people import (
    ELLevel,
    InterventionTier,
    NetworkAdmin,
    Role,
    ServiceKind,
    ServiceNeed,
    Staff,
    StaffRole,
    Student,
)
from .rostering import (
    ACTIVE_ROSTER_STATES,
    RosterImport,
    RosterImportState,
)
from .schools import Cohort, Grade, GradeLevel, Network, School

__all__ = [
    "ACTIVE_ROSTER_STATES",
    "ApiClient",
    "ApiToken",
    "AuditAction",
    "AuditEvent",
    "Cohort",
    "CohortMove",
    "ELLevel",
    "Grade",
    "GradeLevel",
    "Guardian",
    "GuardianRelationship",
    "InterventionTier",
    "Network",
    "NetworkAdmin",
    "Role",
    "RosterImport",
    "RosterImportState",
    "School",
    "ServiceKind",
    "ServiceNeed",
    "Staff",
    "StaffRole",
    "Student",
    "UserSession",
]
