"""Home visits: the Django-free planner (pairs of educators x households x days, each pair's
afternoon route) and its independent checker. Frozen data in (``problem``), plan or reasons out.
"""
