"""API v1 of the rotation engine: published schedules, versions, rosters, a student's day and
builds."""
