"""The demo network: two invented schools of the reference shapes, with people and logins.

``seed_demo_network`` builds "Bay Valley Public Schools": Alder Street Elementary (shape S) and
Mission Heights Academy (shape M) of ``/shared/design/reference-shapes.json``, with grades,
cohorts, rooms, staff in the Rocketship pattern, 900 students, their service needs and one login
per role, and their guardians with three family logins (English, Spanish, Vietnamese; see
``families``). Everything is planned first from fixed seeds, so the data is the same on every run
and every machine, and then written where missing, looked up by natural keys, so a second run
changes nothing. Names of students never leave this module except into the database.
"""

from .plan import DEMO_PASSWORD, SHAPE_L, DemoSchool, DemoSeedRefused
from .seed import format_logins, seed_demo_network, seed_school

__all__ = [
    "DEMO_PASSWORD",
    "SHAPE_L",
    "DemoSchool",
    "DemoSeedRefused",
    "format_logins",
    "seed_demo_network",
    "seed_school",
]
