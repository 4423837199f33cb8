"""Families: each guardian's view of their own children's day and Learning Lab time, in their
language, with their sign-in and the notices that reach them; and, next, home visits.

``families`` reads ``students``, ``scheduling`` and ``learninglabs`` through their selectors;
nothing imports ``families`` (it listens to their signals instead)."""
