"""Stage 1: every cohort's day of blocks, on OR-Tools CP-SAT.

``model.py`` holds the CP-SAT model of a day (variables, constraints, objective terms);
``search.py`` how it is solved within a solve's limits (the published day as it was, a first day
built lab by lab with restarts raced between branching orders, the whole-school search, team
bounds, optimisation, and the explanation of a proven conflict). Callers import ``solve`` and
``SolveOptions`` from here.
"""

from .model import DayModel
from .search import SolveOptions, moved_blocks, solve

__all__ = ["DayModel", "SolveOptions", "moved_blocks", "solve"]
